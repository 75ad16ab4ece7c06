"""Reads run ahead for a refresh (``resources/_read_ahead``): what starts when, that every
object is read once, and that an answer is never used after a write, a failure or its age."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterator
from typing import Any

import pytest

from pulumi_datadog_testing.errors import DatadogAPIError, NotFoundError
from pulumi_datadog_testing.resources import _read_ahead
from pulumi_datadog_testing.resources._read_ahead import MAX_AGE_S, ReadAhead
from pulumi_datadog_testing.resources.prior_values import (
    LEDGER_KIND,
    PriorValuesProvider,
    _summary,
    encoded,
)

KIND = "ServiceSettings"


class Server:
    """A get per object that counts its calls; ``version`` changes what it answers."""

    def __init__(self, fail: dict[Hashable, Exception] | None = None) -> None:
        self.calls: Counter[Hashable] = Counter()
        self.version = 1
        self.fail = dict(fail or {})
        self.lock = threading.Lock()

    def fetch(self, identity: Hashable) -> tuple[Hashable, int]:
        with self.lock:
            self.calls[identity] += 1
            error = self.fail.pop(identity, None)
        if error is not None:
            raise error
        return identity, self.version


@pytest.fixture
def ahead() -> Iterator[ReadAhead]:
    reading = ReadAhead(workers=4)
    yield reading
    reading.close()


def settle(reading: ReadAhead, kind: str = KIND) -> None:
    """Wait until every answer run ahead has arrived."""
    for answer in list(reading._kinds[kind].answers.values()):
        answer.future.exception(timeout=10)


def read_a_then_settle(reading: ReadAhead, server: Server) -> None:
    """The ledger names "a" and "b", "a" is read (so "b" is got ahead), "b"'s answer arrives."""
    reading.learn(KIND, ["a", "b"])
    reading.take(KIND, "a", server.fetch)
    settle(reading)


def test_a_read_without_the_ledger_gets_its_own_object(ahead: ReadAhead) -> None:
    server = Server()
    assert ahead.take(KIND, "a", server.fetch) == ("a", 1)
    assert server.calls == {"a": 1}
    assert ahead.pending(KIND) == 0


def test_nothing_starts_before_a_read_of_the_kind(ahead: ReadAhead) -> None:
    ahead.learn(KIND, ["a", "b"])
    assert ahead.pending(KIND) == 0  # a refresh --target of other resources reads nothing


def test_the_first_read_starts_every_named_get_and_each_object_is_read_once(
    ahead: ReadAhead,
) -> None:
    server = Server()
    names = [f"svc-{i}" for i in range(10)]
    ahead.learn(KIND, names)
    assert ahead.take(KIND, "svc-3", server.fetch) == ("svc-3", 1)
    settle(ahead)
    assert set(server.calls) == set(names)
    assert [ahead.take(KIND, n, server.fetch) for n in names if n != "svc-3"] == [
        (n, 1) for n in names if n != "svc-3"
    ]
    assert server.calls == dict.fromkeys(names, 1)
    assert ahead.pending(KIND) == 0


def test_a_read_whose_get_is_still_queued_makes_it_at_once() -> None:
    """The engine reads in its own order: a read does not wait for the gets queued before
    its own; its queued get is dropped, so the object is still read once."""
    server = Server()
    first_get_started, release = threading.Event(), threading.Event()

    def fetch(identity: Hashable) -> tuple[Hashable, int]:
        if identity == "a":  # the one worker is busy with "a" until released
            first_get_started.set()
            assert release.wait(20)
        return server.fetch(identity)

    reading = ReadAhead(workers=1)
    try:
        reading.learn(KIND, ["a", "b", "c", "d"])
        reading.take(KIND, "x", fetch)  # a read of the kind: "a".."d" queue on one worker
        assert first_get_started.wait(20)
        assert reading.take(KIND, "d", fetch) == ("d", 1)  # not behind "a", "b", "c"
        assert server.calls == {"x": 1, "d": 1}
        release.set()
        settle(reading)
        assert server.calls == {"x": 1, "a": 1, "b": 1, "c": 1, "d": 1}
        assert [reading.take(KIND, n, fetch) for n in "abc"] == [("a", 1), ("b", 1), ("c", 1)]
        assert server.calls == {"x": 1, "a": 1, "b": 1, "c": 1, "d": 1}
    finally:
        release.set()
        reading.close()


def test_the_ledger_read_after_the_first_read_starts_the_others(ahead: ReadAhead) -> None:
    server = Server()
    ahead.take(KIND, "a", server.fetch)
    ahead.learn(KIND, ["a", "b", "c"])
    settle(ahead)
    assert server.calls == {"a": 1, "b": 1, "c": 1}  # "a" was read already: not again
    assert ahead.take(KIND, "b", server.fetch) == ("b", 1)
    assert server.calls["b"] == 1


def test_an_answer_is_taken_once(ahead: ReadAhead) -> None:
    server = Server()
    read_a_then_settle(ahead, server)
    ahead.take(KIND, "b", server.fetch)
    server.version = 2
    assert ahead.take(KIND, "b", server.fetch) == ("b", 2)  # a second read calls again
    assert server.calls["b"] == 2


def test_a_write_drops_the_answer(ahead: ReadAhead) -> None:
    server = Server()
    read_a_then_settle(ahead, server)
    server.version = 2  # the write
    ahead.forget(KIND, "b")
    assert ahead.take(KIND, "b", server.fetch) == ("b", 2)


def test_a_write_before_the_ledger_read_keeps_the_object_out(ahead: ReadAhead) -> None:
    server = Server()
    ahead.take(KIND, "a", server.fetch)
    ahead.forget(KIND, "b")
    ahead.learn(KIND, ["a", "b"])
    assert server.calls == {"a": 1}


def test_not_found_is_an_answer(ahead: ReadAhead) -> None:
    server = Server(fail={"b": NotFoundError("gone", method="POST", path="/x", status=404)})
    read_a_then_settle(ahead, server)
    with pytest.raises(NotFoundError):
        ahead.take(KIND, "b", server.fetch)
    assert server.calls["b"] == 1


def test_any_other_failure_is_read_again_by_the_resource(ahead: ReadAhead) -> None:
    server = Server(fail={"b": DatadogAPIError("busy", method="POST", path="/x", status=503)})
    read_a_then_settle(ahead, server)
    assert ahead.take(KIND, "b", server.fetch) == ("b", 1)
    assert server.calls["b"] == 2


def test_an_old_answer_is_not_used() -> None:
    now = [0.0]
    reading = ReadAhead(workers=2, clock=lambda: now[0])
    try:
        server = Server()
        reading.learn(KIND, ["a", "b"])
        reading.take(KIND, "a", server.fetch)
        settle(reading)
        server.version = 2
        now[0] = MAX_AGE_S + 1
        assert reading.take(KIND, "b", server.fetch) == ("b", 2)
    finally:
        reading.close()


def test_kinds_are_apart(ahead: ReadAhead) -> None:
    server = Server()
    ahead.learn(KIND, ["a"])
    ahead.learn("FlakyTestPolicies", ["a"])
    ahead.take("FlakyTestPolicies", "z", server.fetch)
    settle(ahead, "FlakyTestPolicies")
    assert server.calls == {"z": 1, "a": 1}
    assert ahead.pending(KIND) == 0


@pytest.fixture
def process_read_ahead() -> Iterator[None]:
    _read_ahead.reset()
    yield
    _read_ahead.reset()


def ledger_props(entries: dict[str, Any]) -> dict[str, Any]:
    """The ledger's outputs as a refresh hands them to ``read`` (summarised entries)."""
    summaries = {key: _summary(encoded(entry)) for key, entry in entries.items()}
    return {"kind": LEDGER_KIND, "entries": summaries, "captures": {}}


def test_the_ledger_read_names_the_objects_of_the_kinds_read_one_by_one(
    process_read_ahead: None,
) -> None:
    entries = {
        "ServiceSettings::a": {
            "kind": "ServiceSettings",
            "declared": {"repository_id": "r", "service_name": "a", "env": "ci"},
        },
        "ServiceSettings::b": {  # no env: the default
            "kind": "ServiceSettings",
            "declared": {"repository_id": "r", "service_name": "b"},
        },
        "FlakyTestPolicies::p": {"kind": "FlakyTestPolicies", "declared": {"repository_id": "r"}},
        "FlakyTestState::t": {
            "kind": "FlakyTestState",
            "declared": {"repository_id": "r", "test_id": "t1", "state": "quarantined"},
        },
    }
    props = ledger_props(entries)
    # states from before 2026-12-01 keep entries as mappings with their declared inputs
    props["entries"]["ServiceSettings::old"] = {
        "kind": "ServiceSettings",
        "declared": {"repository_id": "r", "service_name": "old", "env": "prod"},
    }
    result = PriorValuesProvider().read("ledger::datadog-testing-prior-values", props)
    assert result.outs == props  # the ledger itself is never re-read

    server = Server()
    reading = _read_ahead.read_ahead()
    reading.take("ServiceSettings", ("r", "a", "ci"), server.fetch)
    reading.take("FlakyTestPolicies", ("r",), server.fetch)
    settle(reading, "ServiceSettings")
    assert server.calls == {
        ("r", "a", "ci"): 1,
        ("r", "b", "none"): 1,
        ("r", "old", "prod"): 1,
        ("r",): 1,
    }
    assert reading.pending("FlakyTestState") == 0


def test_a_sibling_read_names_nothing(process_read_ahead: None) -> None:
    props = {"kind": "ServiceSettings", "declared": {"repository_id": "r", "service_name": "a"}}
    PriorValuesProvider().read("ServiceSettings::0123", props)
    server = Server()
    _read_ahead.read_ahead().take("ServiceSettings", ("r", "x", "none"), server.fetch)
    assert server.calls == {("r", "x", "none"): 1}


def test_workers_follow_max_concurrency(
    process_read_ahead: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    original: Callable[..., None] = ReadAhead.__init__

    def spy(self: ReadAhead, workers: int = 16, **kwargs: Any) -> None:
        seen.append(workers)
        original(self, workers, **kwargs)

    monkeypatch.setattr(ReadAhead, "__init__", spy)
    monkeypatch.setattr(_read_ahead, "_max_concurrency", lambda: 8)
    _read_ahead.read_ahead()
    _read_ahead.reset()
    monkeypatch.setattr(_read_ahead, "_max_concurrency", lambda: 640)
    _read_ahead.read_ahead()
    assert seen == [2, _read_ahead.WORKERS]
