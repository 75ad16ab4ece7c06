"""The ready policy pack through the real CLI: mandatory violations stop preview before any
API call, advisory ones warn and let ``up`` proceed, a config file changes the outcome, and
a config that only tunes thresholds never downgrades a policy (the repository's pack, and a
custom pack of library factories). The pack printed by `pulumi-datadog-testing policy-pack`
and a starter pack, from an installed wheel: test_installed_package.py."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest
from pulumi import automation as auto

from pulumi_datadog_testing.api import catalog
from pulumi_datadog_testing.policy.pack import starter_pack_files
from tests.support.emulator import datadog_calls, emulator_stack
from tests.support.engine import ROOT, PulumiSandbox

pytestmark = pytest.mark.e2e
PROGRAM = Path(__file__).parent / "programs" / "policy_cases"
PACK = str(ROOT / "policy-pack" / "run")
SETTINGS_PATH = catalog.GET_SERVICE_SETTINGS.path
MANDATORY_MESSAGE = (
    "ServiceSettings 'checkout-prod' (env 'prod') sets early_flake_detection_enabled=False but "
    "must set early_flake_detection_enabled=True (required by policy 'required-service-settings' "
    "config 'required.prod'); set it in the resource args or change the policy config"
)


def _stack(sandbox: PulumiSandbox, emulator, case: str):  # type: ignore[no-untyped-def]
    return emulator_stack(sandbox, emulator, PROGRAM, config={"policy-cases:case": case})


def _write_config(tmp_path: Path, config: Mapping[str, object]) -> str:
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
    # sent, and the update fails (independent resources may be created meanwhile — its
    # PriorValues too, which only reads the settings).
    with pytest.raises(auto.CommandError):
        stack.up(policy_packs=[PACK], on_output=lambda _: None)
    assert ("PATCH", SETTINGS_PATH) not in datadog_calls(emulator)


def test_advisory_violation_warns_and_up_proceeds(pulumi_sandbox, emulator) -> None:  # type: ignore[no-untyped-def]
    stack = _stack(pulumi_sandbox, emulator, "advisory")
    printed: list[str] = []
    up = stack.up(policy_packs=[PACK], on_output=printed.append)
    out = "\n".join(printed)
    assert up.summary.result == "succeeded"
    assert "[advisory]  suite-owner-tag" in out
    assert "team:" in out
    assert ("POST", catalog.CREATE_SUITE.path) in datadog_calls(emulator)


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


# --- a policy keeps its declared level unless a config sets "enforcementLevel" -------------

THRESHOLD_ONLY = {
    "required-service-settings": {
        "required": {
            "prod": {"auto_test_retries_enabled": True, "early_flake_detection_enabled": True}
        }
    }
}
"""Tunes the mandatory policy's threshold without naming a level (the default, restated)."""

CUSTOM_PACK = """
from pulumi_policy import EnforcementLevel, PolicyPack
from pulumi_datadog_testing.policy import required_service_settings, suite_owner_tag

PolicyPack(
    name="acme-ci-guardrails",
    policies=[required_service_settings(), suite_owner_tag()],
    enforcement_level=EnforcementLevel.ADVISORY,
    initial_config=INITIAL_CONFIG,
)
"""


def _assert_mandatory_failure(stack, pack: str, configs: list[str] | None = None) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(auto.CommandError) as failed:
        stack.preview(
            policy_packs=[pack], policy_pack_configs=configs or [], on_output=lambda _: None
        )
    text = str(failed.value)
    assert "[mandatory]  required-service-settings" in text, text[-3000:]
    assert "[advisory]  required-service-settings" not in text


def test_threshold_only_config_file_keeps_the_policy_mandatory(  # type: ignore[no-untyped-def]
    pulumi_sandbox, emulator, tmp_path: Path
) -> None:
    stack = _stack(pulumi_sandbox, emulator, "mandatory")
    _assert_mandatory_failure(stack, PACK, [_write_config(tmp_path, THRESHOLD_ONLY)])
    assert datadog_calls(emulator) == []


def test_a_library_factory_in_a_custom_pack_keeps_mandatory_with_threshold_only_initial_config(  # type: ignore[no-untyped-def]
    pulumi_sandbox, emulator, tmp_path: Path
) -> None:
    """The README's "your own pack" shape with pulumi_policy.PolicyPack itself: tuning a
    threshold in initial_config must not turn the policy advisory (pulumi-policy sends an
    unset level as advisory; the library fixes that on import)."""
    pack = tmp_path / "acme-pack"
    files = starter_pack_files("acme-ci-guardrails", pack.name)
    pack.mkdir()
    for name in ("PulumiPolicy.yaml", "run"):
        (pack / name).write_text(files[name].text)
    (pack / "run").chmod(0o755)
    (pack / "__main__.py").write_text(CUSTOM_PACK.replace("INITIAL_CONFIG", repr(THRESHOLD_ONLY)))
    stack = _stack(pulumi_sandbox, emulator, "mandatory")
    _assert_mandatory_failure(stack, str(pack / "run"))
    # a config file that only tunes thresholds keeps it mandatory as well
    _assert_mandatory_failure(stack, str(pack / "run"), [_write_config(tmp_path, THRESHOLD_ONLY)])
    assert datadog_calls(emulator) == []
