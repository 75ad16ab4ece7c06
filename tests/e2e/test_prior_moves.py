"""Resources renamed (with an alias) or moved between the PriorValues ledger and a sibling,
through the real CLI: the capture taken again under the new name or owner reads the server
after Pulumi's writes; the resources keep the prior values they first recorded, no preview
warns that the values "already had the declared value", and ``destroy`` puts back the values
from before the first ``up``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_datadog_testing.emulator import EmulatorServer
from pulumi_datadog_testing.resources.prior_values import (
    LEDGER_NAME,
    captured_of,
    decoded,
    entry_key,
)
from pulumi_datadog_testing.resources.service_settings_resource import recorded_outputs
from pulumi_datadog_testing.type_tokens import SERVICE_SETTINGS
from tests.e2e.service_settings_support import identity, out_of_band_patch, server_settings
from tests.support.emulator import emulator_stack
from tests.support.engine import PulumiSandbox
from tests.support.reconcile import export_deployment

pytestmark = pytest.mark.e2e

PROGRAM = Path(__file__).parent / "programs" / "prior_moves"
REPO = "github.com/acme/moves"
WARNING = "already had the declared value"
ORIGINAL = {"value": False, "is_overridden": True}


def settings(name: str, service: str, **extra: Any) -> dict[str, Any]:
    args = {"repository_id": REPO, "service_name": service, "code_coverage_enabled": True}
    return {"name": name, "args": args, **extra}


def declare(stack: auto.Stack, *resources: dict[str, Any]) -> None:
    stack.set_config("moves:resources", auto.ConfigValue(json.dumps(list(resources))))


def printed(run: Any) -> str:
    lines: list[str] = []
    run(on_output=lines.append)
    return "".join(lines)


def by_name(sandbox: PulumiSandbox) -> dict[str, dict[str, Any]]:
    resources = export_deployment(sandbox).get("resources") or []
    return {str(r["urn"]).rsplit("::", 1)[-1]: r for r in resources if "::" in str(r["urn"])}


def test_renamed_and_moved_resources_keep_their_prior_values(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    services = {"a": "checkout", "m": "cart", "t": "orders"}
    for service in services.values():
        out_of_band_patch(emulator, identity(REPO, service), code_coverage_enabled=False)
    stack = emulator_stack(pulumi_sandbox, emulator, PROGRAM)
    # "a" in the ledger, "m" after it (depends_on): a sibling of its own
    declare(stack, settings("a", "checkout"), settings("m", "cart", depends_on=["a"]))
    assert WARNING not in printed(stack.up)

    # "a" renamed "b" (aliased: the same resource), "m" joins the ledger (no depends_on)
    declare(stack, settings("b", "checkout", aliases=["a"]), settings("m", "cart"))
    preview = printed(stack.preview)
    assert WARNING not in preview, preview
    up = printed(stack.up)  # with its preview
    assert WARNING not in up, up
    state = by_name(pulumi_sandbox)
    assert set(state) >= {"b", "m", LEDGER_NAME} and "a" not in state
    captures = state[LEDGER_NAME]["outputs"]["captures"]
    # the rename carried the capture over; both resources keep what they first recorded
    captured = decoded(captures[entry_key("ServiceSettings", "b")]) or {}
    assert captured["values"]["code_coverage_enabled"] == ORIGINAL
    for name in ("b", "m"):
        for part in ("inputs", "outputs"):
            recorded = captured_of(state[name][part])
            assert recorded is not None, (name, part)
            assert recorded.values["code_coverage_enabled"] == ORIGINAL, (name, part)
        assert (
            recorded_outputs(state[name]["outputs"])["prior"]["code_coverage_enabled"] == ORIGINAL
        )
    # "t" added and created alone with --target: the ledger is not updated, so "t" reads its
    # prior values itself and has no __priors; the next up captures it late, after Pulumi's
    # write — the warning comes from the values "t" recorded, so none
    declare(stack, settings("b", "checkout"), settings("m", "cart"), settings("t", "orders"))
    target = f"urn:pulumi:test::prior-moves::{SERVICE_SETTINGS}::t"
    assert WARNING not in printed(lambda **kw: stack.up(target=[target], **kw))
    for run in (stack.preview, stack.up, stack.preview, stack.up):
        text = printed(run)
        assert WARNING not in text, text
    assert (
        recorded_outputs(by_name(pulumi_sandbox)["t"]["outputs"])["prior"]["code_coverage_enabled"]
        == ORIGINAL
    )
    no_change = stack.preview(expect_no_changes=True, on_output=lambda _: None)
    assert set(no_change.change_summary) == {"same"}, no_change.change_summary
    assert WARNING not in no_change.stdout

    # "m" deleted alone (its delete puts the value back) and created again: its ledger capture
    # was taken late (it says "already as declared"); the create checks and applies the value
    m_urn = f"urn:pulumi:test::prior-moves::{SERVICE_SETTINGS}::m"
    stack.destroy(target=[m_urn], on_output=lambda _: None)
    assert server_settings(emulator, identity(REPO, "cart"))["code_coverage_enabled"] is False
    assert WARNING not in printed(stack.up)
    recreated = server_settings(emulator, identity(REPO, "cart"))
    assert recreated["code_coverage_enabled"] is True, recreated
    assert (
        recorded_outputs(by_name(pulumi_sandbox)["m"]["outputs"])["prior"]["code_coverage_enabled"]
        == ORIGINAL
    )

    stack.destroy(on_output=lambda _: None)
    for service in services.values():
        after = server_settings(emulator, identity(REPO, service))
        assert (after["code_coverage_enabled"], after["code_coverage_enabled_is_overridden"]) == (
            False,
            True,
        ), service
