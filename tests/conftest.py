"""Fixtures shared by every test folder."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.engine import PulumiSandbox, find_engine_bin, require


def pytest_configure(config: pytest.Config) -> None:
    """Give the pulumi commands the tests run the default SIGINT disposition when pytest
    ignores it. A shell starts a background job with SIGINT ignored, and children inherit
    that: the engine stops each plugin with SIGINT and kills it 5 s later, so every command that
    runs a program took 5 s longer when the suite ran in the background (2026-12-01). A Python
    handler is not inherited across exec, so the children get the default back."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def engine_bin() -> Path:
    """The cached Pulumi engine; fails under CI=true when it is not installed."""
    found = find_engine_bin()
    require(found is not None, "the Pulumi engine", "run scripts/setup (or scripts/install-pulumi)")
    assert found is not None
    return found


@pytest.fixture
def pulumi_sandbox(engine_bin: Path, tmp_path: Path) -> Iterator[PulumiSandbox]:
    """An isolated PULUMI_HOME and file:// backend for one test."""
    yield PulumiSandbox(engine_bin=engine_bin, root=tmp_path)


from tests.support.emulator import emulator, emulator_server  # noqa: F401  (fixtures)
