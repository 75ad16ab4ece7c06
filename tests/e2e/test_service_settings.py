"""ServiceSettings through the real Pulumi CLI against the emulator; its call log asserts the
exact API calls of every step (create, no-op preview, update, drift, replace, a setting no
longer declared, destroy, bad input, PR comments in both emulator modes, retain_on_delete)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_datadog_testing.emulator import EmulatorServer
from pulumi_datadog_testing.resources.service_settings import PR_COMMENTS_WARNING
from tests.e2e.service_settings_support import (
    changed_keys,
    diagnostics,
    identity,
    out_of_band_patch,
    quiet,
    server_settings,
    set_json,
    take_calls,
)
from tests.support.emulator import emulator_stack
from tests.support.engine import PulumiSandbox

pytestmark = pytest.mark.e2e
PROGRAM = Path(__file__).parent / "programs" / "service_settings"
SETTINGS = "service-settings-e2e:settings"
REPO, SERVICE = "github.com/acme/shop", "checkout"
NONE = identity(REPO, SERVICE)
PROD = identity(REPO, SERVICE, "prod")


def stack_of(sandbox: PulumiSandbox, emulator: EmulatorServer, settings: dict[str, Any]) -> Any:
    return emulator_stack(sandbox, emulator, PROGRAM, config={SETTINGS: json.dumps(settings)})


def test_lifecycle_sends_only_what_changes_and_destroy_restores(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    # Before Pulumi: auto test retries overridden on; early flake detection inherited (off).
    out_of_band_patch(emulator, NONE, auto_test_retries_enabled=True)
    take_calls(emulator)
    declared = {"repository_id": REPO, "service_name": SERVICE,
                "early_flake_detection_enabled": True, "auto_test_retries_enabled": False}  # fmt: skip
    stack = stack_of(pulumi_sandbox, emulator, declared)

    # 1. up: one get, one PATCH with only the declared fields.
    up = stack.up(on_output=quiet)
    assert up.summary.resource_changes == {"create": 3}
    assert take_calls(emulator) == [
        ("POST", NONE),
        ("PATCH", {**NONE, "auto_test_retries_enabled": False, "early_flake_detection_enabled": True}),
    ]  # fmt: skip
    assert up.outputs["id"].value == f"{REPO}::{SERVICE}::none"
    assert up.outputs["prior_existed"].value is True
    assert up.outputs["prior"].value == {
        "auto_test_retries_enabled": {"value": True, "is_overridden": True},
        "early_flake_detection_enabled": {"value": False, "is_overridden": False},
    }

    # 2. preview right after: no API call, no change.
    preview = stack.preview(expect_no_changes=True, on_output=quiet)
    assert preview.change_summary == {"same": 3}
    assert take_calls(emulator) == []

    # 3. flip one boolean: preview shows only it; up PATCHes only it.
    set_json(stack, SETTINGS, {**declared, "early_flake_detection_enabled": False})
    events: list[auto.EngineEvent] = []
    preview = stack.preview(on_event=events.append, on_output=quiet, diff=True)
    assert preview.change_summary == {"same": 2, "update": 1}
    assert changed_keys(events) == {"settings": {"early_flake_detection_enabled"}}
    assert "~ early_flake_detection_enabled: true => false" in preview.stdout
    assert take_calls(emulator) == []
    up = stack.up(on_output=quiet)
    assert up.summary.resource_changes == {"same": 2, "update": 1}
    assert take_calls(emulator) == [("PATCH", {**NONE, "early_flake_detection_enabled": False})]
    declared["early_flake_detection_enabled"] = False

    # 4. drift: an out-of-band change is reported by refresh and undone by up.
    out_of_band_patch(emulator, NONE, auto_test_retries_enabled=True)
    take_calls(emulator)
    events = []
    refresh = stack.refresh(on_event=events.append, on_output=quiet)
    assert refresh.summary.resource_changes == {"same": 2, "update": 1}
    assert changed_keys(events, "outputs") == {"settings": {"auto_test_retries_enabled"}}
    assert take_calls(emulator) == [("POST", NONE)]
    events = []
    up = stack.up(on_event=events.append, on_output=quiet)
    assert up.summary.resource_changes == {"same": 2, "update": 1}
    assert changed_keys(events) == {"settings": {"auto_test_retries_enabled"}}
    assert take_calls(emulator) == [("PATCH", {**NONE, "auto_test_retries_enabled": False})]

    # 5. env changes: replace — the new env's settings are applied, then the old restored.
    set_json(stack, SETTINGS, {**declared, "env": "prod"})
    up = stack.up(on_output=quiet)
    # The stack's PriorValues ledger updates (it reads the new env's values before the write).
    assert up.summary.resource_changes == {"same": 1, "update": 1, "replace": 1}
    assert take_calls(emulator) == [
        ("POST", PROD),
        ("PATCH", {**PROD, "auto_test_retries_enabled": False, "early_flake_detection_enabled": False}),
        ("PATCH", {**NONE, "auto_test_retries_enabled": True, "early_flake_detection_enabled_inherit": True}),
    ]  # fmt: skip
    old = server_settings(emulator, NONE)
    assert (old["auto_test_retries_enabled"], old["auto_test_retries_enabled_is_overridden"]) == (
        True,
        True,
    )
    assert old["early_flake_detection_enabled_is_overridden"] is False

    # 6. a setting no longer declared: preview shows it removed (and its PriorValues narrowed);
    # up re-inherits it (prod had no settings before) and it is no longer managed.
    del declared["auto_test_retries_enabled"]
    set_json(stack, SETTINGS, {**declared, "env": "prod"})
    take_calls(emulator)
    events = []
    preview = stack.preview(on_event=events.append, on_output=quiet, diff=True)
    assert preview.change_summary == {"same": 1, "update": 2}
    # The hidden __priors input changes at up only: a preview does not wait for the capture.
    assert changed_keys(events) == {"settings": {"auto_test_retries_enabled"}}
    settings_diff = preview.stdout.split("datadog-testing:ServiceSettings: (update)")[1]
    assert re.search(r"- auto_test_retries_enabled\s*: false", settings_diff), preview.stdout
    assert take_calls(emulator) == []
    up = stack.up(on_output=quiet)
    assert up.summary.resource_changes == {"same": 1, "update": 2}
    assert take_calls(emulator) == [("PATCH", {**PROD, "auto_test_retries_enabled_inherit": True})]

    # 7. destroy: early flake detection re-inherits too.
    destroy = stack.destroy(on_output=quiet)
    assert destroy.summary.resource_changes == {"delete": 3}
    assert take_calls(emulator) == [
        ("PATCH", {**PROD, "early_flake_detection_enabled_inherit": True})
    ]
    prod = server_settings(emulator, PROD)
    assert not any(value for key, value in prod.items() if key.endswith("_is_overridden"))


def test_bad_input_fails_preview_naming_each_field_without_any_call(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    bad = {"repository_id": REPO, "service_name": "", "code_coverage_enabled": "yes",
           "early_flake_detection": True}  # fmt: skip
    stack = stack_of(pulumi_sandbox, emulator, bad)
    with pytest.raises(auto.CommandError) as raised:
        stack.preview(on_output=quiet)
    message = str(raised.value)
    assert "property service_name value {} has a problem: String should have at least 1" in message
    assert "property code_coverage_enabled value {yes} has a problem: Input should be a valid boolean" in message  # fmt: skip
    assert "unknown property 'early_flake_detection'; did you mean 'early_flake_detection_enabled'?" in message  # fmt: skip
    assert emulator.calls() == []


@pytest.mark.parametrize("mode", ["seeds", "current"])
def test_pr_comments_warns_and_never_drifts(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer, mode: str
) -> None:
    emulator.update_config(pr_comments_mode=mode)
    declared = {"repository_id": REPO, "service_name": SERVICE, "env": "prod",
                "pr_comments_enabled": True, "code_coverage_enabled": True}  # fmt: skip
    stack = stack_of(pulumi_sandbox, emulator, declared)
    events: list[auto.EngineEvent] = []
    stack.up(on_event=events.append, on_output=quiet)
    assert any(PR_COMMENTS_WARNING in warning for warning in diagnostics(events, "warning"))
    assert take_calls(emulator)[-1] == (
        "PATCH", {**PROD, "code_coverage_enabled": True, "pr_comments_enabled": True}
    )  # fmt: skip
    applied = server_settings(emulator, PROD)["pr_comments_enabled"]
    assert applied is (mode == "seeds")

    refresh = stack.refresh(on_output=quiet)
    assert refresh.summary.resource_changes == {"same": 3}
    stack.preview(expect_no_changes=True, on_output=quiet)


def test_retain_on_delete_keeps_the_values(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    declared = {
        "repository_id": REPO,
        "service_name": SERVICE,
        "test_impact_analysis_enabled": True,
    }
    stack = stack_of(pulumi_sandbox, emulator, declared)
    stack.set_config("service-settings-e2e:retain", auto.ConfigValue("true"))
    stack.up(on_output=quiet)
    take_calls(emulator)
    stack.destroy(on_output=quiet)
    assert take_calls(emulator) == []
    kept = server_settings(emulator, NONE)
    assert (kept["test_impact_analysis_enabled"], kept["test_impact_analysis_enabled_is_overridden"]) == (True, True)  # fmt: skip


def test_failed_update_changes_nothing_and_the_next_up_applies_it(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    declared = {"repository_id": REPO, "service_name": SERVICE, "code_coverage_enabled": True}
    stack = stack_of(pulumi_sandbox, emulator, declared)
    stack.set_config("datadog-testing:maxRetries", auto.ConfigValue("0"))
    stack.up(on_output=quiet)
    set_json(stack, SETTINGS, {**declared, "code_coverage_enabled": False})
    emulator.set_faults({"kind": "error", "status": 503, "method": "PATCH", "count": 1})
    take_calls(emulator)
    with pytest.raises(auto.CommandError) as raised:
        stack.up(on_output=quiet)
    assert (
        f"service settings '{REPO}::{SERVICE}::none': PATCH "
        "/api/v2/ci/test-optimization/settings/service -> 503"
    ) in str(raised.value)
    assert take_calls(emulator) == [("PATCH", {**NONE, "code_coverage_enabled": False})]
    assert server_settings(emulator, NONE)["code_coverage_enabled"] is True
    take_calls(emulator)
    up = stack.up(on_output=quiet)
    assert up.summary.resource_changes == {"same": 2, "update": 1}
    assert take_calls(emulator) == [("PATCH", {**NONE, "code_coverage_enabled": False})]
