"""examples/suite-from-list with the real CLI against the emulator: a suite from the Python
list, then from a stack config list; each list edit is one guarded patch of single tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_datadog_testing.api import catalog
from tests.support.emulator import datadog_calls, emulator_stack
from tests.support.engine import ROOT, PulumiSandbox

pytestmark = [pytest.mark.e2e, pytest.mark.emulator]

EXAMPLE = ROOT / "examples" / "suite-from-list"
SUITES = catalog.CREATE_SUITE.path
QUIET: dict[str, Any] = {"on_output": lambda _line: None}


def set_list(stack: Any, key: str, values: list[str]) -> None:
    stack.remove_config(f"suite-from-list:{key}")
    for index, value in enumerate(values):
        stack.set_config(f"suite-from-list:{key}[{index}]", auto.ConfigValue(value), path=True)


def test_suite_from_python_list_then_stack_config_list(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    stack = emulator_stack(pulumi_sandbox, emulator, Path(EXAMPLE))

    up = stack.up(**QUIET)  # no config: DEFAULT_TEST_IDS
    assert up.summary.resource_changes == {"create": 2}
    assert up.outputs["test_count"].value == 3
    [(method, path)] = datadog_calls(emulator)
    assert (method, path) == ("POST", SUITES)
    sent = emulator.calls()[0].body["data"]["attributes"]
    assert sent["tests"] == [
        {"public_id": f"abc-def-00{n}", "alerting_criticality": "critical"} for n in (1, 2, 3)
    ]
    assert sent["tags"] == ["managed-by:pulumi", "team:checkout"]
    assert sent["options"] == {"alerting_threshold": 0.5}

    emulator.clear_calls()
    assert stack.preview(expect_no_changes=True, **QUIET).change_summary == {"same": 2}
    assert datadog_calls(emulator) == []

    # the stack config list: drop 001, keep 002 (now ignored) and 003, add 004
    set_list(stack, "testIds", ["abc-def-002", "abc-def-003", "abc-def-004"])
    set_list(stack, "ignoredTestIds", ["abc-def-002"])
    up = stack.up(**QUIET)
    assert up.summary.resource_changes == {"update": 1, "same": 1}
    assert up.outputs["test_count"].value == 3
    public_id = up.outputs["suite_public_id"].value
    [patch] = emulator.calls(method="PATCH")
    assert patch.path == f"{SUITES}/{public_id}/jsonpatch"
    old_tests = [
        {"public_id": f"abc-def-00{n}", "alerting_criticality": "critical"} for n in (1, 2, 3)
    ]
    assert patch.body["data"]["attributes"]["json_patch"] == [
        {"op": "test", "path": "/tests", "value": old_tests},
        {"op": "replace", "path": "/tests/1/alerting_criticality", "value": "ignore"},
        {"op": "remove", "path": "/tests/0"},
        {
            "op": "add",
            "path": "/tests/-",
            "value": {"public_id": "abc-def-004", "alerting_criticality": "critical"},
        },
    ]

    emulator.clear_calls()
    destroy = stack.destroy(**QUIET)
    assert destroy.summary.resource_changes == {"delete": 2}
    assert datadog_calls(emulator) == [("POST", f"{SUITES}/bulk-delete")]
