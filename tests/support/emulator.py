"""Emulator fixtures for tests: one emulator process per test session, reset before each test.

A test that needs the emulator fails under ``CI=true`` (never skips) if it cannot start.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.engine import PulumiSandbox, require

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer
    from pulumi_datadog_testing.emulator.admin_models import RecordedCall


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """The emulator subprocess for the whole session (SQLite file in a temp dir)."""
    require(
        importlib.util.find_spec("fastapi") is not None
        and importlib.util.find_spec("pulumi_datadog_testing.emulator") is not None,
        "the local Datadog API emulator",
        "pip install -e '.[emulator]' (scripts/setup does)",
    )
    from pulumi_datadog_testing.emulator import EmulatorServer

    db = tmp_path_factory.mktemp("emulator") / "emulator.db"
    with EmulatorServer(db=db) as server:
        yield server


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The session emulator, reset (data, faults, call log) for this test."""
    emulator_server.reset()
    yield emulator_server
    emulator_server.clear_faults()


def emulator_stack(
    sandbox: PulumiSandbox,
    emulator: EmulatorServer,
    program_dir: Path,
    *,
    stack_name: str = "test",
    config: dict[str, Any] | None = None,
) -> Any:
    """A stack of ``program_dir`` pointed at ``emulator`` the pulumi-datadog way:
    ``datadog:apiUrl`` in config, the keys as secrets."""
    return sandbox.stack(
        program_dir,
        stack_name=stack_name,
        config={"datadog:apiUrl": emulator.url, **(config or {})},
        secrets={"datadog:apiKey": emulator.api_key, "datadog:appKey": emulator.app_key},
    )


def datadog_calls(emulator: EmulatorServer) -> list[tuple[str, str]]:
    """(method, path) of every Datadog-path call the emulator received, in order."""
    return [(c.method, c.path) for c in emulator.calls()]


def most_at_once(calls: Iterable[RecordedCall]) -> int:
    """The most calls the emulator was answering at once (overlapping [start, end] intervals
    of its call log)."""
    edges: list[tuple[float, int]] = []
    for call in calls:
        edges += [(call.time - call.duration_ms / 1000, 1), (call.time, -1)]
    now = most = 0
    for _, step in sorted(edges):
        now += step
        most = max(most, now)
    return most
