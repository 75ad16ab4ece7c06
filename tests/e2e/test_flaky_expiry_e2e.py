"""Quarantines that expire, through the real CLI: an expired ``expires`` fails preview under
the ready pack before any API write, one about to expire only warns, and changing
``expires``/``owner`` is an update that makes no API write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from pulumi import automation as auto

from tests.e2e._flaky_support import PROGRAM, patch_bodies, quiet, set_config, stack_resources
from tests.support.emulator import emulator_stack
from tests.support.engine import ROOT, PulumiSandbox

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer

pytestmark = pytest.mark.e2e

REPO = "github.com/acme/expiry"
PACK = str(ROOT / "policy-pack" / "run")


def day(offset: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


def test_expired_quarantine_fails_preview_and_notes_change_without_api_writes(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    seeded = emulator.seed_flaky_tests(REPO, 3, seed=5)
    a, b, _ = sorted(t.id for t in seeded.tests)
    stack = emulator_stack(pulumi_sandbox, emulator, PROGRAM, config={"flaky-e2e:repository": REPO})
    expired = {"state": "quarantined", "expires": day(-3), "owner": "@acme/cart"}
    set_config(stack, states={a: expired, b: "quarantined"}, expires=day(60), owner="@acme/shop")

    emulator.clear_calls()
    with pytest.raises(auto.CommandError) as failed:
        stack.preview(policy_packs=[PACK], on_output=quiet)
    text = str(failed.value)
    assert "unhandled exception" not in text  # the policy failed it, not the program
    assert "[mandatory]  flaky-quarantine-expiry" in text
    assert f"'{a}' (quarantined, expired {day(-3)}, 3 day(s) ago, owner @acme/cart)" in text
    assert patch_bodies(emulator) == []

    # moved to three days from now: a warning, and the update goes ahead
    set_config(stack, states={a: {**expired, "expires": day(3)}, b: "quarantined"})
    previewed: list[str] = []
    stack.preview(policy_packs=[PACK], on_output=previewed.append)  # objects as values: fine
    assert "[advisory]  flaky-quarantine-expiry" in "\n".join(previewed)
    printed: list[str] = []
    up = stack.up(policy_packs=[PACK], on_output=printed.append)
    assert up.summary.result == "succeeded"
    out = "\n".join(printed)
    assert "[advisory]  flaky-quarantine-expiry" in out and "3 day(s) left" in out
    assert patch_bodies(emulator) != []
    (resource,) = stack_resources(stack, "FlakyTestStates")
    assert resource["outputs"]["test_notes"] == {a: {"expires": day(3), "owner": "@acme/cart"}}
    assert resource["outputs"]["expires"] == day(60)

    # notes only: an update with no API write (and nothing of them in any request)
    emulator.clear_calls()
    set_config(
        stack, states={a: {**expired, "expires": day(30)}, b: "quarantined"}, owner="@acme/qa"
    )
    up = stack.up(policy_packs=[PACK], on_output=quiet)
    assert up.summary.resource_changes == {"same": 2, "update": 1}
    assert emulator.calls() == []  # not even a read
    (resource,) = stack_resources(stack, "FlakyTestStates")
    assert (resource["outputs"]["owner"], resource["outputs"]["test_notes"][a]["expires"]) == (
        "@acme/qa",
        day(30),
    )
    assert stack.preview(policy_packs=[PACK], on_output=quiet).change_summary == {"same": 3}

    # a quarantine that lapses while nothing changes still fails the next preview: resource
    # policies judge every resource of the program, unchanged ones included (here the date is
    # put in the past by an update made without the pack, as if time had passed)
    set_config(stack, states={a: expired, b: "quarantined"})
    stack.up(on_output=quiet)
    assert stack.preview(on_output=quiet).change_summary == {"same": 3}
    with pytest.raises(auto.CommandError) as failed:
        stack.preview(policy_packs=[PACK], on_output=quiet)
    assert f"'{a}' (quarantined, expired {day(-3)}" in str(failed.value)
