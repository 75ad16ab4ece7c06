"""A flaky test passed from one resource to another in one ``pulumi up`` — a rename without
an alias (the engine creates the new resource, then deletes the old one), or a test moved
from one ``FlakyTestStates`` to another: the resource that goes hands the test over instead
of setting it back (it did, silently: the server said ``active`` while state and a no-change
preview said ``quarantined``), and the resource that has it restores the state from before
Pulumi on ``destroy``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults._harness import FLAKY_PATH, REPOSITORY, FaultStack, calls_to, seed_tests, spec
from tests.support.engine import PulumiSandbox

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.emulator]


def _states(emulator: Any, ids: list[str]) -> dict[str, str]:
    return {i: emulator.admin.flaky_test(i)["flaky_state"] for i in ids}


def test_a_renamed_state_keeps_its_test_and_restores_it_on_destroy(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    seeded = seed_tests(emulator, 1)
    [test_id] = seeded.ids
    stack = FaultStack(pulumi_sandbox, emulator)
    single = {"repository_id": REPOSITORY, "test_id": test_id, "state": "quarantined"}
    stack.declare([spec("FlakyTestState", "old", **single)])
    stack.up()
    assert _states(emulator, [test_id]) == {test_id: "quarantined"}

    emulator.clear_calls()
    stack.declare([spec("FlakyTestState", "new", **single)])  # renamed, no alias
    out = stack.up().stdout
    sent = [
        t["new_state"]
        for c in calls_to(emulator, "PATCH", FLAKY_PATH)
        for t in c.body["data"]["attributes"]["tests"]
    ]
    assert set(sent) <= {"quarantined"}, sent  # never set back to active on the way
    assert "took them over" in out, out
    assert _states(emulator, [test_id]) == {test_id: "quarantined"}
    stack.assert_no_changes()
    stack.reconcile(flaky_baseline=seeded.baseline).assert_clean()

    stack.declare([])
    stack.up()  # the new resource puts back what was there before Pulumi
    assert _states(emulator, [test_id]) == {test_id: "active"}


def test_a_test_moved_between_sets_stays_in_its_new_state(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    seeded = seed_tests(emulator, 4)
    a, b, c, d = seeded.ids
    stack = FaultStack(pulumi_sandbox, emulator)
    stack.declare(
        [
            spec("FlakyTestStates", "first", repository_id=REPOSITORY,
                 states={a: "quarantined", b: "quarantined"}),
            spec("FlakyTestStates", "second", repository_id=REPOSITORY, states={c: "disabled"}),
        ]
    )  # fmt: skip
    stack.up()
    # b moves from the first set (which goes) to the second, in a new state; d joins.
    stack.declare(
        [
            spec("FlakyTestStates", "second", repository_id=REPOSITORY,
                 states={b: "disabled", c: "disabled", d: "fixed"}),
        ]
    )  # fmt: skip
    stack.up()
    assert _states(emulator, [a, b, c, d]) == {
        a: "active",  # released by the first set: set back
        b: "disabled",  # handed over: kept as the second set declares
        c: "disabled",
        d: "fixed",
    }
    stack.assert_no_changes()
    stack.declare([])
    stack.up()
    assert set(_states(emulator, [a, b, c, d]).values()) == {"active"}
