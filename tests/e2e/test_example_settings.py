"""The service-settings examples, run as shipped (stack ``dev`` with its Pulumi.dev.yaml) through
the real Pulumi CLI against the emulator."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from pulumi import automation as auto

from pulumi_datadog_testing.emulator import EmulatorServer
from pulumi_datadog_testing.type_tokens import SERVICE_SETTINGS
from tests.e2e.service_settings_support import (
    identity,
    out_of_band_patch,
    quiet,
    server_settings,
    set_json,
    take_calls,
)
from tests.support.emulator import emulator_stack
from tests.support.engine import ROOT, PulumiSandbox

pytestmark = pytest.mark.e2e
EXAMPLES = ROOT / "examples"
REPO, SERVICE = "github.com/acme/shop", "checkout"


def example_stack(sandbox: PulumiSandbox, emulator: EmulatorServer, name: str) -> auto.Stack:
    stack: auto.Stack = emulator_stack(sandbox, emulator, EXAMPLES / name, stack_name="dev")
    return stack


def test_per_env_settings_from_a_config_map(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    stack = example_stack(pulumi_sandbox, emulator, "per-env-settings")
    prod, staging, ci = (identity(REPO, SERVICE, env) for env in ("prod", "staging", "ci"))

    up = stack.up(on_output=quiet)
    # the stack, 3 ServiceSettings and the stack's PriorValues ledger
    assert up.summary.resource_changes == {"create": 5}
    calls = take_calls(emulator)
    assert Counter(method for method, _ in calls) == {"POST": 3, "PATCH": 3}
    patches = {attrs["env"]: attrs for method, attrs in calls if method == "PATCH"}
    assert patches == {
        "prod": {**prod, "auto_test_retries_enabled": True, "code_coverage_enabled": True,
                 "early_flake_detection_enabled": True, "test_impact_analysis_enabled": True},
        "staging": {**staging, "auto_test_retries_enabled": False,
                    "early_flake_detection_enabled": True},
        "ci": {**ci, "failed_test_replay_enabled": True},
    }  # fmt: skip
    assert up.outputs["ids"].value == {
        env: f"{REPO}::{SERVICE}::{env}" for env in ("ci", "prod", "staging")
    }

    stack.preview(expect_no_changes=True, on_output=quiet)
    assert take_calls(emulator) == []

    changed = json.loads(stack.get_config("per-env-settings:environments").value)
    changed["staging"]["auto_test_retries_enabled"] = True
    set_json(stack, "per-env-settings:environments", changed)
    up = stack.up(on_output=quiet)
    assert up.summary.resource_changes == {"same": 4, "update": 1}  # a value: ledger unchanged
    assert take_calls(emulator) == [("PATCH", {**staging, "auto_test_retries_enabled": True})]

    stack.destroy(on_output=quiet)
    assert sorted(attrs["env"] for method, attrs in take_calls(emulator) if method == "PATCH") == [
        "ci",
        "prod",
        "staging",
    ]
    for ident in (prod, staging, ci):
        after = server_settings(emulator, ident)
        assert not any(v for k, v in after.items() if k.endswith("_is_overridden")), ident


def test_adopt_existing_settings_reads_then_manages_and_restores(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    prod = identity(REPO, SERVICE, "prod")
    # Someone set these by hand before Pulumi: EFD off and coverage on (overridden); ATR inherited.
    out_of_band_patch(
        emulator, prod, early_flake_detection_enabled=False, code_coverage_enabled=True
    )
    before = server_settings(emulator, prod)
    take_calls(emulator)
    stack = example_stack(pulumi_sandbox, emulator, "adopt-existing-settings")

    # Step 1: read only — outputs show Datadog's values, nothing is written.
    up = stack.up(on_output=quiet)
    assert up.summary.resource_changes == {"create": 1}  # the stack; reads are not counted
    assert [method for method, _ in take_calls(emulator)] == ["POST", "POST"]
    resources = (stack.export_stack().deployment or {})["resources"]
    assert [r.get("external") for r in resources if r["type"] == SERVICE_SETTINGS] == [True, True]
    outputs = {name: value.value for name, value in up.outputs.items()}
    assert outputs["early_flake_detection_enabled"] is False
    assert outputs["auto_test_retries_enabled"] is False
    assert outputs["code_coverage_enabled_now"] is True

    # Step 2: manage — the preview shows Datadog's value => the declared one.
    stack.set_config("adopt-existing-settings:manage", auto.ConfigValue("true"))
    preview = stack.preview(on_output=quiet, diff=True)
    assert "~ early_flake_detection_enabled: false => true" in preview.stdout
    assert "~ auto_test_retries_enabled    : false => true" in preview.stdout
    take_calls(emulator)
    up = stack.up(on_output=quiet)
    patches = [attrs for method, attrs in take_calls(emulator) if method == "PATCH"]
    assert patches == [
        {**prod, "auto_test_retries_enabled": True, "early_flake_detection_enabled": True}
    ]
    assert up.outputs["prior"].value == {
        "auto_test_retries_enabled": {"value": False, "is_overridden": False},
        "early_flake_detection_enabled": {"value": False, "is_overridden": True},
    }

    # destroy: what was there before is back; the read-only resource writes nothing.
    stack.destroy(on_output=quiet)
    assert take_calls(emulator) == [
        ("PATCH", {**prod, "auto_test_retries_enabled_inherit": True,
                   "early_flake_detection_enabled": False}),
    ]  # fmt: skip
    assert server_settings(emulator, prod) == before
