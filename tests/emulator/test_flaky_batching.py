"""Flaky-test reads and writes batched across resources, against the emulator: N
``FlakyTestState`` hooks of one provider process run four at a time (as the SDK's
dynamic-provider server runs them), and the emulator's call log counts the calls —
creates and refreshes read with one or two searches instead of N, concurrent writes share
PATCHes, and a failed test fails only the resource that manages it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import pytest

from pulumi_datadog_testing.api import catalog
from pulumi_datadog_testing.emulator import EmulatorServer
from pulumi_datadog_testing.errors import FlakyUpdateError
from pulumi_datadog_testing.identity import flaky_test_state_id
from pulumi_datadog_testing.resources._base import configure_process, reset_process
from pulumi_datadog_testing.resources.flaky_test_state import FlakyTestStateProvider
from pulumi_datadog_testing.resources.flaky_test_state_resource import recorded_outputs
from tests.e2e._flaky_support import server_states

pytestmark = pytest.mark.emulator

REPO = "github.com/acme/batched"
TESTS = catalog.SEARCH_FLAKY_TESTS.path
N = 40
T = TypeVar("T")


@pytest.fixture
def provider(emulator: EmulatorServer) -> Iterator[FlakyTestStateProvider]:
    """A provider process configured for the emulator (the engine's Configure)."""
    new_process(emulator)
    yield FlakyTestStateProvider()
    reset_process()


def new_process(emulator: EmulatorServer) -> None:
    """What a new pulumi command gets: a fresh provider process (nothing cached)."""
    reset_process()
    configure_process(
        {
            "datadog:apiUrl": emulator.url,
            "datadog:apiKey": emulator.api_key,
            "datadog:appKey": emulator.app_key,
        },
        env={},
    )


def four_at_a_time(hooks: list[Callable[[], T]]) -> list[T | Exception]:
    """Run the hooks as the SDK's server does (``ThreadPoolExecutor(max_workers=4)``)."""

    def run(hook: Callable[[], T]) -> T | Exception:
        try:
            return hook()
        except Exception as exc:  # noqa: BLE001 - returned for the test to inspect
            return exc

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(run, hooks))


def checked(provider: FlakyTestStateProvider, test_ids: list[str]) -> list[dict[str, Any]]:
    """The engine checks every new resource before creating it."""
    inputs = []
    for test_id in test_ids:
        props = {"repository_id": REPO, "test_id": test_id, "state": "quarantined"}
        result = provider.check({}, props)
        assert result.failures == []
        inputs.append(dict(result.inputs))
    return inputs


def searches_and_patches(emulator: EmulatorServer) -> tuple[int, list[dict[str, str]]]:
    calls = emulator.calls(clear=True)
    assert {c.path for c in calls} <= {TESTS}
    bodies = [
        {t["id"]: t["new_state"] for t in c.body["data"]["attributes"]["tests"]}
        for c in calls
        if c.method == "PATCH"
    ]
    return sum(c.method == "POST" for c in calls), bodies


def test_creates_refreshes_and_deletes_of_many_single_states(
    provider: FlakyTestStateProvider, emulator: EmulatorServer
) -> None:
    ids = [t.id for t in emulator.seed_flaky_tests(REPO, N, seed=5, state="active").tests]
    inputs = checked(provider, ids)
    # Writes take 50 ms at the server: while one PATCH is in flight the others queue.
    emulator.set_faults({"kind": "latency", "method": "PATCH", "latency_ms": 50, "count": None})
    emulator.clear_calls()

    created = four_at_a_time([partial(provider.create, p) for p in inputs])

    searches, patches = searches_and_patches(emulator)
    assert all(not isinstance(c, Exception) for c in created), created
    assert searches == 1  # every id was noted by check: one search read them all
    assert sorted(i for body in patches for i in body) == sorted(ids)  # each test once
    assert len(patches) <= N // 2  # concurrent writes shared PATCHes
    outs = [c.outs or {} for c in created if not isinstance(c, Exception)]
    previous = {o["test_id"]: (recorded_outputs(o)["previous_state"], o["state"]) for o in outs}
    assert previous == dict.fromkeys(ids, ("active", "quarantined"))

    new_process(emulator)  # refresh: a new process, nothing noted or cached
    refreshed = four_at_a_time(
        [partial(provider.read, flaky_test_state_id(REPO, o["test_id"]), o) for o in outs]
    )
    searches, patches = searches_and_patches(emulator)
    assert searches <= 2 and patches == []  # the repository's 40 tests: one page
    states = {(r.outs or {}).get("state") for r in refreshed if not isinstance(r, Exception)}
    assert states == {"quarantined"}

    new_process(emulator)
    deleted = four_at_a_time([partial(provider.delete, "id", o) for o in outs])
    assert deleted == [None] * N
    searches, patches = searches_and_patches(emulator)
    assert searches == 0 and len(patches) <= N // 2
    assert sorted(i for body in patches for i in body) == sorted(ids)
    assert all(set(body.values()) == {"active"} for body in patches)


def test_a_failed_test_in_a_shared_patch_fails_only_its_resource(
    provider: FlakyTestStateProvider, emulator: EmulatorServer
) -> None:
    ids = [t.id for t in emulator.seed_flaky_tests(REPO, 8, seed=6, state="active").tests]
    inputs = checked(provider, ids)
    emulator.set_faults(
        {"kind": "latency", "method": "PATCH", "latency_ms": 50, "count": None},
        {"kind": "bulk_failure", "test_ids": [ids[3]], "message": "test is locked", "count": None},
    )
    emulator.clear_calls()

    created = four_at_a_time([partial(provider.create, p) for p in inputs])

    failed = created[3]
    assert isinstance(failed, FlakyUpdateError), failed
    assert ids[3] in str(failed) and "test is locked" in str(failed)
    assert all(not isinstance(c, Exception) for i, c in enumerate(created) if i != 3), created
    _, patches = searches_and_patches(emulator)
    assert len(patches) < len(ids)
    emulator.clear_faults()
    states = server_states(emulator, REPO, ids)
    assert states == {i: "active" if i == ids[3] else "quarantined" for i in ids}
