"""FlakyTestPolicies end to end through the real CLI: leaf-level PATCHes, zero-call preview,
drift on managed leaves only, and destroy restoring the values from before."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e._flaky_support import (
    POLICIES_PATH,
    PROGRAM,
    patch_policies_outside_pulumi,
    quiet,
    server_policies,
    set_config,
    stack_resources,
)
from tests.support.emulator import emulator_stack
from tests.support.engine import PulumiSandbox
from tests.support.provider_imports import provider_imports

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer

pytestmark = pytest.mark.e2e

REPO = "github.com/acme/policies"
MODULE = "pulumi_datadog_testing.resources.flaky_test_policies"
MODELS = "pulumi_datadog_testing.models"
HEAVY = ("pydantic", "pydantic_core")

POLICIES: dict[str, Any] = {
    "attempt_to_fix": {"retries": 3},
    "quarantined": {"auto_quarantine_rule": {"enabled": True, "window_seconds": 3600}},
    "disabled": {
        "enabled": True,
        "failure_rate_rule": {"enabled": True, "min_runs": 10, "status": "quarantined"},
    },
}


def sent(emulator: EmulatorServer) -> list[tuple[str, dict[str, Any]]]:
    """(method, attributes without repository_id) of each policies call; clears the log."""
    out = []
    for call in emulator.calls(clear=True):
        assert call.path == POLICIES_PATH
        attrs = dict(call.body["data"]["attributes"])
        assert attrs.pop("repository_id") == REPO
        out.append((call.method, attrs))
    return out


def test_policies_lifecycle(
    pulumi_sandbox: PulumiSandbox,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    emulator.seed_flaky_tests(REPO, 2000, seed=31)
    before = server_policies(emulator, REPO)
    assert before["disabled"]["failure_rate_rule"]["min_runs"] == 10  # unchanged: never sent
    stack = emulator_stack(pulumi_sandbox, emulator, PROGRAM, config={"flaky-e2e:repository": REPO})

    # --- create: one get (the capture), one more for the leaves it found already as declared
    # (not sent, so checked again: docs/reliability.md), one PATCH carrying only the leaves
    # that differ
    set_config(stack, policies=POLICIES)
    emulator.clear_calls()
    up = stack.up(on_output=quiet)
    assert sent(emulator) == [
        ("POST", {}),
        ("POST", {}),
        (
            "PATCH",
            {
                "attempt_to_fix": {"retries": 3},
                "quarantined": {"auto_quarantine_rule": {"enabled": True, "window_seconds": 3600}},
                "disabled": {
                    "enabled": True,
                    "failure_rate_rule": {"enabled": True, "status": "quarantined"},
                },
            },
        ),
    ]
    previous = up.outputs["policies_previous"].value
    assert previous["attempt_to_fix"] == before["attempt_to_fix"]
    assert previous["disabled"]["failure_rate_rule"] == {
        k: before["disabled"]["failure_rate_rule"][k] for k in ("enabled", "min_runs", "status")
    }

    # --- a no-change preview makes zero calls, and its provider process loads the policies'
    # provider but no pydantic (check of unchanged inputs does not validate them again)
    with provider_imports(monkeypatch, tmp_path) as loaded:
        assert stack.preview(expect_no_changes=True, on_output=quiet).change_summary == {"same": 3}
    assert emulator.calls() == []
    provider = loaded.importing(MODULE)
    assert sorted(m for m in provider if m.partition(".")[0] in HEAVY or m == MODELS) == []

    # --- update: only the changed leaf
    changed = copy.deepcopy(POLICIES)
    changed["attempt_to_fix"]["retries"] = 5
    set_config(stack, policies=changed)
    stack.up(on_output=quiet)
    assert sent(emulator) == [("PATCH", {"attempt_to_fix": {"retries": 5}})]

    # --- refresh: managed leaves take the server's values; unmanaged ones are not drift
    patch_policies_outside_pulumi(
        emulator, REPO, attempt_to_fix={"retries": 9}, quarantined={"enabled": False}
    )
    stack.refresh(on_output=quiet)
    (resource,) = stack_resources(stack, "FlakyTestPolicies")
    assert resource["outputs"]["attempt_to_fix"] == {"retries": 9}
    assert "enabled" not in resource["outputs"]["quarantined"]
    emulator.clear_calls()
    drift = stack.preview(diff=True, on_output=quiet)
    assert "~ retries: 9 => 5" in drift.stdout
    assert emulator.calls() == []
    stack.up(on_output=quiet)
    assert sent(emulator) == [("PATCH", {"attempt_to_fix": {"retries": 5}})]

    # --- destroy restores the managed leaves' values from before
    stack.destroy(on_output=quiet)
    after = server_policies(emulator, REPO)
    expected = copy.deepcopy(before)
    expected["quarantined"]["enabled"] = False  # changed outside Pulumi, never managed
    assert after == expected
