"""Answers lost after the server applied the request — dropped connections, and latency or
hangs past the client timeout: no duplicate suite, every write either adopted or safely
repeated, state matches the server, and the next preview shows no change."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults._harness import (
    FLAKY_PATH,
    POLICIES_PATH,
    REPOSITORY,
    SETTINGS_PATH,
    SUITES_PATH,
    FaultStack,
    Seeded,
    retry_config,
    seed_tests,
    spec,
    suite,
)
from tests.support.engine import PulumiSandbox

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.emulator]

JSON_PATCH = SUITES_PATH + "/[^/]+/jsonpatch"
CREATE_WRITES = (("POST", SUITES_PATH), ("PATCH", SETTINGS_PATH), ("PATCH", FLAKY_PATH),
                 ("PATCH", POLICIES_PATH))  # fmt: skip
UPDATE_WRITES = (("PATCH", JSON_PATCH), *CREATE_WRITES[1:])


def program(seeded: Seeded, version: int) -> list[dict[str, Any]]:
    return [
        spec("ServiceSettings", "settings", repository_id=REPOSITORY, service_name="checkout",
             env="prod", code_coverage_enabled=version % 2 == 0),
        suite("suite", "Checkout", "abc-def-001", tags=[f"release:{version}", "team:shop"]),
        spec("FlakyTestStates", "bulk", repository_id=REPOSITORY,
             states=dict.fromkeys(seeded.ids, ("quarantined", "disabled")[version % 2])),
        spec("FlakyTestPolicies", "policies", repository_id=REPOSITORY,
             attempt_to_fix={"retries": version + 1}),
    ]  # fmt: skip


def faults_on(writes: tuple[tuple[str, str], ...], **fault: Any) -> list[dict[str, Any]]:
    return [{"method": method, "path": path, "count": 1, **fault} for method, path in writes]


def assert_fired_and_reconciled(stack: FaultStack, seeded: Seeded) -> None:
    emulator = stack.emulator
    assert emulator.faults() == [], "a fault did not fire"
    result = stack.reconcile(flaky_baseline=None)
    result.assert_clean()
    assert sum(result.checked.values()) == 4
    assert len(result.server_suites) == 1  # never a duplicate suite
    stack.assert_no_changes()


def test_answers_dropped_after_the_server_applied(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    seeded = seed_tests(emulator, 3)
    stack = FaultStack(pulumi_sandbox, emulator)

    # create: the suite POST, the settings, bulk-state and policies PATCHes are applied,
    # then their connections dropped without an answer.
    emulator.set_faults(*faults_on(CREATE_WRITES, kind="drop"))
    stack.declare(program(seeded, 1))
    stack.up()
    dropped = [(c.method, c.path) for c in emulator.calls() if c.fault == "drop"]
    assert sorted(dropped) == sorted(CREATE_WRITES)
    # The lost create was found and adopted, not sent again.
    assert len([c for c in emulator.calls() if (c.method, c.path) == ("POST", SUITES_PATH)]) == 1
    assert_fired_and_reconciled(stack, seeded)

    # update: the suite JSON Patch and the three PATCHes are applied, answers dropped.
    emulator.clear_calls()
    emulator.set_faults(*faults_on(UPDATE_WRITES, kind="drop"))
    stack.declare(program(seeded, 2))
    stack.up()
    patches = [c for c in emulator.calls() if c.method == "PATCH" and c.path.endswith("/jsonpatch")]
    assert [c.status for c in patches] == [None]  # applied once, adopted from a read-back
    assert_fired_and_reconciled(stack, seeded)


def test_latency_and_hangs_past_the_client_timeout(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    seeded = seed_tests(emulator, 3)
    stack = FaultStack(pulumi_sandbox, emulator, config=retry_config(timeout=1, retry_timeout=30))
    # create: every write answers 2.5 s late (applied at the end of the delay), past the
    # 1 s client timeout.
    emulator.set_faults(*faults_on(CREATE_WRITES, kind="latency", latency_ms=2500))
    stack.declare(program(seeded, 1))
    stack.up()
    timed_out = [(c.method, c.path) for c in emulator.calls() if c.fault == "latency"]
    assert sorted(timed_out) == sorted(CREATE_WRITES)
    assert_fired_and_reconciled(stack, seeded)

    # update: the writes are applied, then the connection hangs until the client gives up.
    emulator.clear_calls()
    emulator.set_faults(*faults_on(UPDATE_WRITES, kind="hang", hang_seconds=10))
    stack.declare(program(seeded, 2))
    stack.up()
    hung = [(c.method, c.path) for c in emulator.calls() if c.fault == "hang"]
    assert len(hung) == len(UPDATE_WRITES)
    assert_fired_and_reconciled(stack, seeded)
