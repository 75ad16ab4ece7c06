"""A stack written by a version whose resource classes pickled provider instances (imported
into the program) previews with no change and makes no call after the upgrade to provider
references (``resources/_provider_ref.py``), keeps its ``__provider`` properties as they
were, and ``pulumi up`` works: one resource of each kind, through the real CLI."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import dill
import pytest
from pulumi import automation as auto

from pulumi_datadog_testing.emulator import EmulatorServer
from pulumi_datadog_testing.resources._base import DatadogResourceProvider
from tests.support.emulator import datadog_calls, emulator_stack
from tests.support.engine import PulumiSandbox
from tests.support.reconcile import export_deployment

pytestmark = [pytest.mark.e2e, pytest.mark.emulator]

PROGRAM = Path(__file__).parent / "programs" / "upgrade"
REPO = "github.com/acme/upgrade"
KINDS = {
    "ServiceSettings",
    "FlakyTestState",
    "FlakyTestStates",
    "FlakyTestPolicies",
    "SyntheticsSuite",
    "PriorValues",
}
QUIET: dict[str, Any] = {"on_output": lambda _line: None}


def pickled_providers(sandbox: PulumiSandbox) -> dict[str, str]:
    """Each dynamic resource's ``__provider`` (URN → the pickle as stored)."""
    resources = export_deployment(sandbox).get("resources") or []
    return {
        str(r["urn"]): r["inputs"]["__provider"]
        for r in resources
        if "__provider" in (r.get("inputs") or {})
    }


def test_a_stack_from_before_provider_references_upgrades_without_a_change(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    tests = [t.id for t in emulator.seed_flaky_tests(REPO, 5, seed=19).tests]
    config = {
        "upgrade:repository": REPO,
        "upgrade:test_id": tests[0],
        "upgrade:states": json.dumps({tests[1]: "quarantined", tests[2]: "disabled"}),
        "upgrade:earlier": "true",
    }
    stack = emulator_stack(pulumi_sandbox, emulator, PROGRAM, config=config)
    up = stack.up(**QUIET)
    assert "ProviderRef" not in up.outputs["providers"].value  # provider instances, as before
    earlier = pickled_providers(pulumi_sandbox)
    assert {urn.rsplit("::", 1)[0].rsplit(":", 1)[-1] for urn in earlier} == KINDS
    for pickled in earlier.values():  # what the provider process gets from state
        assert isinstance(dill.loads(base64.b64decode(pickled)), DatadogResourceProvider)

    stack.set_config("upgrade:earlier", auto.ConfigValue("false"))
    emulator.clear_calls()
    stack.preview(expect_no_changes=True, **QUIET)
    assert datadog_calls(emulator) == [], "a no-change preview makes no call"
    up = stack.up(expect_no_changes=True, **QUIET)
    assert up.outputs["providers"].value == ["ProviderRef"]
    assert pickled_providers(pulumi_sandbox) == earlier
