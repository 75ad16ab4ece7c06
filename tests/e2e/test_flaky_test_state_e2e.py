"""FlakyTestState end to end: one test selected by module/suite/name among 2,000 seeded
ones, through the real CLI — resolution, errors on 0 or several matches, drift, replace."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pulumi import automation as auto

from tests.e2e._flaky_support import (
    PROGRAM,
    TESTS_PATH,
    quiet,
    server_states,
    set_config,
    set_states_outside_pulumi,
    stack_resources,
)
from tests.support.emulator import emulator_stack
from tests.support.engine import PulumiSandbox

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer

pytestmark = pytest.mark.e2e

REPO = "github.com/acme/single"


def test_single_state_by_selector(pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer) -> None:
    emulator.seed_flaky_tests(REPO, 2000, seed=21)
    known = emulator.add_flaky_tests(
        *(
            {"repository_id": REPO, "module": "shop", "suite": suite, "name": name}
            for suite, name in (
                ("CartTest", "test_checkout"),
                ("CartTest", "test_refund"),
                ("OrderTest", "test_refund"),
            )
        )
    )
    by_fqn = {f"{t.module}.{t.suite}.{t.name}": t.id for t in known.tests}
    checkout = by_fqn["shop.CartTest.test_checkout"]
    stack = emulator_stack(pulumi_sandbox, emulator, PROGRAM, config={"flaky-e2e:repository": REPO})

    # --- create: the selector is resolved through one search, then one PATCH
    set_config(stack, single={"name": "test_checkout", "state": "quarantined"})
    emulator.clear_calls()
    up = stack.up(on_output=quiet)
    assert up.outputs["single_test_id"].value == checkout
    assert up.outputs["single_fqn"].value == "shop.CartTest.test_checkout"
    assert up.outputs["single_previous"].value == "active"
    assert [(c.method, c.path) for c in emulator.calls(clear=True)] == [
        ("POST", TESTS_PATH),
        ("PATCH", TESTS_PATH),
    ]
    assert server_states(emulator, REPO, [checkout]) == {checkout: "quarantined"}

    # --- a no-change preview makes zero calls
    emulator.clear_calls()
    assert stack.preview(expect_no_changes=True, on_output=quiet).change_summary == {"same": 3}
    assert emulator.calls() == []

    # --- update: one PATCH
    set_config(stack, single={"name": "test_checkout", "state": "disabled", "reason": "JIRA-7"})
    emulator.clear_calls()
    stack.up(on_output=quiet)
    assert [c.method for c in emulator.calls(clear=True)] == ["PATCH"]
    assert server_states(emulator, REPO, [checkout]) == {checkout: "disabled"}

    # --- refresh finds a change made outside Pulumi
    set_states_outside_pulumi(emulator, {checkout: "active"})
    stack.refresh(on_output=quiet)
    (resource,) = stack_resources(stack, "FlakyTestState")
    assert resource["outputs"]["state"] == "active"
    drift = stack.preview(diff=True, on_output=quiet)
    assert '~ state        : "active" => "disabled"' in drift.stdout
    emulator.clear_calls()

    # --- a selector matching several tests: a clear error listing them, nothing changed
    set_config(stack, single={"name": "test_refund", "state": "disabled", "reason": "JIRA-7"})
    with pytest.raises(auto.CommandError) as several:
        stack.up(on_output=quiet)
    assert (
        f"2 flaky tests of repository '{REPO}' have name='test_refund': "
        f"shop.CartTest.test_refund ({by_fqn['shop.CartTest.test_refund']}), "
        f"shop.OrderTest.test_refund ({by_fqn['shop.OrderTest.test_refund']}); add "
        "module/suite/name to select one, or set test_id"
    ) in str(several.value)

    # --- a selector matching nothing
    set_config(stack, single={"suite": "CartTest", "name": "test_nothing", "state": "disabled"})
    with pytest.raises(auto.CommandError) as none:
        stack.up(on_output=quiet)
    assert (
        f"no flaky test of repository '{REPO}' has suite='CartTest', name='test_nothing' "
        "(exact, case-sensitive match)"
    ) in str(none.value)
    # Reported on the FlakyTestState the user declared, not on its PriorValues.
    assert "datadog-testing:FlakyTestState (single):\n    error:" in str(none.value)
    assert "datadog-testing:PriorValues (single):\n    error:" not in str(none.value)
    assert "PATCH" not in [c.method for c in emulator.calls(clear=True)]
    assert stack_resources(stack, "FlakyTestState")[0]["outputs"]["test_id"] == checkout

    # --- a selector naming another test replaces: the new one is set, the old one released
    order_refund = by_fqn["shop.OrderTest.test_refund"]
    set_config(stack, single={"suite": "OrderTest", "name": "test_refund", "state": "fixed"})
    up = stack.up(on_output=quiet)
    assert up.summary.resource_changes == {"same": 1, "update": 1, "replace": 1}
    assert server_states(emulator, REPO, [order_refund, checkout]) == {
        order_refund: "fixed",
        checkout: "active",  # its state from before Pulumi managed it
    }

    # --- destroy restores the test's state from before
    stack.destroy(on_output=quiet)
    assert server_states(emulator, REPO, [order_refund]) == {order_refund: "active"}
