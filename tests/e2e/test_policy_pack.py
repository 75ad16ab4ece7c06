"""The ready policy pack through the real CLI: mandatory violations stop preview before any
API call, advisory ones warn and let ``up`` proceed, and a config file changes the outcome."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi import automation as auto

from tests.support.emulator import datadog_calls, emulator_stack
from tests.support.engine import ROOT, PulumiSandbox

pytestmark = pytest.mark.e2e
PROGRAM = Path(__file__).parent / "programs" / "policy_cases"
PACK = str(ROOT / "policy-pack" / "run")
SETTINGS_PATH = "/api/v2/ci/test-optimization/settings/service"
MANDATORY_MESSAGE = (
    "ServiceSettings 'checkout-prod' (env 'prod') sets early_flake_detection_enabled=False but "
    "must set early_flake_detection_enabled=True (required by policy 'required-service-settings' "
    "config 'required.prod'); set it in the resource args or change the policy config"
)


def _stack(sandbox: PulumiSandbox, emulator, case: str):  # type: ignore[no-untyped-def]
    return emulator_stack(sandbox, emulator, PROGRAM, config={"policy-cases:case": case})


def _write_config(tmp_path: Path, config: dict[str, object]) -> str:
    path = tmp_path / "policy-config.json"
    path.write_text(json.dumps(config))
    return str(path)


def test_mandatory_violation_fails_preview_before_any_api_call(pulumi_sandbox, emulator) -> None:  # type: ignore[no-untyped-def]
    stack = _stack(pulumi_sandbox, emulator, "mandatory")
    with pytest.raises(auto.CommandError) as failed:
        stack.preview(policy_packs=[PACK], on_output=lambda _: None)
    text = str(failed.value)
    assert "[mandatory]  required-service-settings" in text
    assert MANDATORY_MESSAGE in text
    assert datadog_calls(emulator) == []

    # The CLI's `pulumi up` previews first, so it is stopped the same way: nothing is sent.
    up = pulumi_sandbox.cli(
        "up",
        "--yes",
        "--stack",
        "test",
        "--policy-pack",
        PACK,
        cwd=pulumi_sandbox.root / "program",
        check=False,
    )
    assert up.returncode != 0, up.stdout
    assert "required-service-settings" in up.stdout + up.stderr
    assert datadog_calls(emulator) == []

    # The Automation API's `up` skips that preview: the violating resource is still never
    # sent, and the update fails (independent resources may be created meanwhile).
    with pytest.raises(auto.CommandError):
        stack.up(policy_packs=[PACK], on_output=lambda _: None)
    assert SETTINGS_PATH not in {path for _, path in datadog_calls(emulator)}


def test_advisory_violation_warns_and_up_proceeds(pulumi_sandbox, emulator) -> None:  # type: ignore[no-untyped-def]
    stack = _stack(pulumi_sandbox, emulator, "advisory")
    printed: list[str] = []
    up = stack.up(policy_packs=[PACK], on_output=printed.append)
    out = "\n".join(printed)
    assert up.summary.result == "succeeded"
    assert "[advisory]  suite-owner-tag" in out
    assert "team:" in out
    assert ("POST", "/api/v2/synthetics/suites") in datadog_calls(emulator)


def test_config_file_changes_the_outcome(pulumi_sandbox, emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    stack = _stack(pulumi_sandbox, emulator, "compliant")
    # Compliant with the defaults ...
    stack.preview(policy_packs=[PACK], on_output=lambda _: None)
    # ... but a stricter config (two critical tests per suite) makes the same program fail,
    config = _write_config(tmp_path, {"suite-critical-test": {"min_critical_tests": 2}})
    with pytest.raises(auto.CommandError) as failed:
        stack.preview(policy_packs=[PACK], policy_pack_configs=[config], on_output=lambda _: None)
    assert "suite-critical-test" in str(failed.value)
    # and turning a mandatory policy advisory lets the violating program through.
    stack = _stack(pulumi_sandbox, emulator, "mandatory")
    relaxed = _write_config(tmp_path, {"required-service-settings": "advisory"})
    printed: list[str] = []
    stack.preview(policy_packs=[PACK], policy_pack_configs=[relaxed], on_output=printed.append)
    assert "[advisory]  required-service-settings" in "\n".join(printed)
    assert datadog_calls(emulator) == []
