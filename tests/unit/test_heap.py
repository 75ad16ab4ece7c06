"""Heap settings of the emulator and provider processes (``heap.py``)."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest

from pulumi_datadog_testing import heap


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_settle_collects_freezes_survivors_and_raises_the_young_threshold() -> None:
    gc.set_threshold(700, 10, 10)

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    Cycle()  # unreachable garbage: collected before the freeze, not frozen with the rest
    before = gc.get_freeze_count()
    heap.settle_garbage_collector()
    assert gc.get_freeze_count() > before
    assert not any(type(o) is Cycle for o in gc.get_objects())
    assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, 10, 10)
    gc.set_threshold(50_000, 10, 10)
    heap.settle_garbage_collector()  # a higher threshold chosen by the process is kept
    assert gc.get_threshold()[0] == 50_000


@pytest.mark.parametrize(
    ("platform", "confstr", "expected"),
    [
        ("linux", "glibc 2.36", "2.36"),
        ("linux", None, None),  # musl: the name is not set
        ("linux", ValueError("unknown name"), None),
        ("linux", "musl 1.2", None),
        ("darwin", "glibc 2.36", None),
    ],
)
def test_glibc_version_only_on_linux_with_glibc(
    monkeypatch: pytest.MonkeyPatch,
    platform: str,
    confstr: str | Exception | None,
    expected: str | None,
) -> None:
    def fake_confstr(name: str) -> str | None:
        assert name == "CS_GNU_LIBC_VERSION"
        if isinstance(confstr, Exception):
            raise confstr
        return confstr

    monkeypatch.setattr("sys.platform", platform)
    monkeypatch.setattr(os, "confstr", fake_confstr)
    assert heap.glibc_version() == expected


def test_malloc_settings_are_a_no_op_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "glibc_version", lambda: None)
    monkeypatch.setattr(heap, "_arenas_limited", False)
    assert heap.limit_malloc_arenas() is False
    assert heap.release_free_memory() is False


def test_arena_limit_needs_a_positive_count() -> None:

    with pytest.raises(ValueError, match="at least 1, got 0"):
        heap.limit_malloc_arenas(0)


@pytest.mark.skipif(heap.glibc_version() is None, reason="glibc only")
def test_arena_limit_is_accepted_by_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "_arenas_limited", False)
    assert os.confstr("CS_GNU_LIBC_VERSION")
    assert heap.limit_malloc_arenas() is True
    assert heap.limit_malloc_arenas() is True  # once per process; later calls report it


@pytest.mark.skipif(heap.glibc_version() is None, reason="glibc only")
def test_free_memory_is_given_back_on_glibc() -> None:
    blocks = [bytearray(64 * 1024) for _ in range(200)]  # below the mmap threshold: heap
    del blocks
    assert heap.release_free_memory() is True
