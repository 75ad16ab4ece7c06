"""SyntheticsSuite with the real Pulumi CLI against the emulator.

Lifecycle (create, zero-call preview, one-tag update = guard + one op, refresh, destroy), drift
found by refresh named per property in the next preview and restored by one guarded patch, an
out-of-band edit that makes the next update fail and change nothing, a lost create answer
that leaves exactly one suite (in state), a suite deleted outside Pulumi dropped by refresh,
and bad inputs rejected before any call. Names and tags carry JSON-Pointer-hostile ``~``/``/``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pulumi import automation as auto

from tests.support.emulator import datadog_calls, emulator_stack
from tests.support.engine import PulumiSandbox

pytestmark = [pytest.mark.e2e, pytest.mark.emulator]

PROGRAM = Path(__file__).parent / "programs" / "suite"
SUITES = "/api/v2/synthetics/suites"
NAME = "Checkout ~1 a/b ~0"
TAGS = ["team:shop~/x", "env:prod"]
TESTS = [
    {"public_id": "abc-def-001", "alerting_criticality": "critical"},
    {"public_id": "abc-def-002", "alerting_criticality": "ignore"},
]
CONFIG = {
    "suite-e2e:name": NAME,
    "suite-e2e:message": "checkout is down",
    "suite-e2e:tags": json.dumps(TAGS),
    "suite-e2e:tests": json.dumps(TESTS),
    "suite-e2e:options": json.dumps({"alerting_threshold": 0.5}),
}
QUIET: dict[str, Any] = {"on_output": lambda _line: None}


def api(emulator: Any) -> httpx.Client:
    """A plain HTTP client on the emulator's Datadog API (edits "outside Pulumi")."""
    return httpx.Client(
        base_url=emulator.url,
        headers={"DD-API-KEY": emulator.api_key, "DD-APPLICATION-KEY": emulator.app_key},
    )


def suites_on_server(emulator: Any) -> list[dict[str, Any]]:
    with api(emulator) as http:
        found = http.get(f"{SUITES}/search", params={"count": 100}).json()
    suites: list[dict[str, Any]] = found["data"]["attributes"]["suites"]
    return suites


def suite_on_server(emulator: Any, public_id: str) -> dict[str, Any]:
    with api(emulator) as http:
        response = http.get(f"{SUITES}/{public_id}")
    response.raise_for_status()
    attributes: dict[str, Any] = response.json()["data"]["attributes"]
    return attributes


def set_config(stack: Any, key: str, value: Any) -> None:
    text = value if isinstance(value, str) else json.dumps(value)
    stack.set_config(f"suite-e2e:{key}", auto.ConfigValue(text))


def state_ids(stack: Any) -> list[str]:
    resources = stack.export_stack().deployment.get("resources") or []
    return [r["id"] for r in resources if r["type"].endswith(":SyntheticsSuite")]


def test_lifecycle_guarded_updates_and_refresh(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    stack = emulator_stack(pulumi_sandbox, emulator, PROGRAM, config=CONFIG)

    # create
    up = stack.up(**QUIET)
    assert up.summary.resource_changes == {"create": 2}  # stack + suite
    assert datadog_calls(emulator) == [("POST", SUITES)]
    public_id = up.outputs["public_id"].value
    suite = suite_on_server(emulator, public_id)
    assert (suite["name"], suite["tags"], suite["tests"]) == (NAME, sorted(TAGS), TESTS)
    assert suite["options"] == {"alerting_threshold": 0.5}

    # a no-change preview makes zero API calls
    emulator.clear_calls()
    preview = stack.preview(expect_no_changes=True, **QUIET)
    assert preview.change_summary == {"same": 2}
    assert datadog_calls(emulator) == []

    # tag order and duplicates do not matter (a set)
    set_config(stack, "tags", [*reversed(TAGS), TAGS[0]])
    assert stack.preview(expect_no_changes=True, **QUIET).change_summary == {"same": 2}

    # one more tag: exactly the guard and one op
    set_config(stack, "tags", [*TAGS, "tier:1/~gold"])
    up = stack.up(**QUIET)
    assert up.summary.resource_changes.get("update") == 1
    patches = emulator.calls(method="PATCH")
    assert [c.path for c in patches] == [f"{SUITES}/{public_id}/jsonpatch"]
    assert patches[0].body["data"]["attributes"]["json_patch"] == [
        {"op": "test", "path": "/tags", "value": sorted(TAGS)},
        {"op": "add", "path": "/tags/-", "value": "tier:1/~gold"},
    ]
    assert suite_on_server(emulator, public_id)["tags"] == [*sorted(TAGS), "tier:1/~gold"]

    # an edit outside Pulumi makes the next update of that field fail and change nothing...
    with api(emulator) as http:
        edit = [{"op": "replace", "path": "/tags/0", "value": "owner:someone-else"}]
        body = {"data": {"type": "suites_json_patch", "attributes": {"json_patch": edit}}}
        http.patch(f"{SUITES}/{public_id}/jsonpatch", json=body).raise_for_status()
    # ... but only an update of what was edited: a rename still goes through, guarded by /name
    emulator.clear_calls()
    set_config(stack, "name", NAME + " v2")
    assert stack.up(**QUIET).summary.resource_changes.get("update") == 1
    assert [c.body["data"]["attributes"]["json_patch"] for c in emulator.calls(method="PATCH")] == [
        [
            {"op": "test", "path": "/name", "value": NAME},
            {"op": "replace", "path": "/name", "value": NAME + " v2"},
        ]
    ]
    edited = suite_on_server(emulator, public_id)
    assert edited["tags"][0] == "owner:someone-else"
    set_config(stack, "tags", [*TAGS, "tier:2"])
    with pytest.raises(auto.CommandError) as failed:
        stack.up(**QUIET)
    assert f"suite {public_id} changed outside Pulumi — run `pulumi refresh`" in str(failed.value)
    assert suite_on_server(emulator, public_id) == edited

    # refresh picks the edit up; the next up then applies the program's tags
    refresh = stack.refresh(**QUIET)
    assert refresh.summary.result == "succeeded"
    up = stack.up(**QUIET)
    assert up.summary.resource_changes.get("update") == 1
    assert sorted(suite_on_server(emulator, public_id)["tags"]) == sorted([*TAGS, "tier:2"])

    # destroy deletes through bulk-delete
    emulator.clear_calls()
    destroy = stack.destroy(**QUIET)
    assert destroy.summary.resource_changes == {"delete": 2}
    assert datadog_calls(emulator) == [("POST", f"{SUITES}/bulk-delete")]
    assert suites_on_server(emulator) == []


def test_lost_create_answer_leaves_one_suite_in_state(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    emulator.set_faults({"kind": "drop", "method": "POST", "path": SUITES, "count": 1})
    stack = emulator_stack(pulumi_sandbox, emulator, PROGRAM, config=CONFIG)

    up = stack.up(**QUIET)

    assert up.summary.result == "succeeded"
    on_server = suites_on_server(emulator)
    assert [s["public_id"] for s in on_server] == [up.outputs["public_id"].value]
    assert state_ids(stack) == [on_server[0]["public_id"]]
    calls = emulator.calls()
    assert [(c.method, c.path, c.fault) for c in calls[:2]] == [
        ("POST", SUITES, "drop"),
        ("GET", f"{SUITES}/search", None),
    ]
    assert [c for c in calls if c.method == "POST"] == calls[:1]  # never sent twice

    # deleted outside Pulumi: refresh drops it from state, destroy has nothing to do
    with api(emulator) as http:
        body = {
            "data": {
                "type": "delete_suites_request",
                "attributes": {"public_ids": [on_server[0]["public_id"]]},
            }
        }
        http.post(f"{SUITES}/bulk-delete", json=body).raise_for_status()
    stack.refresh(**QUIET)
    assert state_ids(stack) == []


def test_bad_inputs_fail_before_any_call(pulumi_sandbox: PulumiSandbox, emulator: Any) -> None:
    config = {
        **CONFIG,
        "suite-e2e:options": json.dumps({"alerting_threshold": 1.5}),
        "suite-e2e:tests": json.dumps([*TESTS, {"public_id": "abc-def-001"}]),
    }
    stack = emulator_stack(pulumi_sandbox, emulator, PROGRAM, config=config)
    with pytest.raises(auto.CommandError) as failed:
        stack.preview(**QUIET)
    text = str(failed.value)
    assert "options.alerting_threshold" in text and "between 0 and 1" in text
    assert "duplicate public_id 'abc-def-001' at tests[0] and tests[2]" in text
    assert datadog_calls(emulator) == []


def test_get_reads_an_existing_suite_without_managing_it(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    with api(emulator) as http:
        attributes = {"type": "suite", "name": NAME, "tests": TESTS, "options": {}, "tags": TAGS}
        body = {"data": {"type": "suites", "attributes": attributes}}
        created = http.post(SUITES, json=body).json()["data"]["attributes"]
    program = Path(__file__).parent / "programs" / "suite_get"
    stack = emulator_stack(
        pulumi_sandbox, emulator, program, config={"suite-get:public_id": created["public_id"]}
    )

    up = stack.up(**QUIET)
    outputs = {k: v.value for k, v in up.outputs.items()}
    assert outputs == {
        "name": NAME,
        "tags": TAGS,
        "tests": TESTS,
        "monitor_id": created["monitor_id"],
    }

    emulator.clear_calls()
    stack.destroy(**QUIET)
    assert datadog_calls(emulator) == []  # read-only: never deleted
    assert [s["public_id"] for s in suites_on_server(emulator)] == [created["public_id"]]


def test_drift_found_by_refresh_is_named_per_property_and_restored(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    emulator_stack(pulumi_sandbox, emulator, PROGRAM, config=CONFIG)
    cwd = pulumi_sandbox.root / "program"

    def cli(*args: str) -> str:
        done = pulumi_sandbox.cli(*args, "--stack", "test", cwd=cwd, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    cli("up", "--yes")
    public_id = json.loads(cli("stack", "output", "--json"))["public_id"]

    # Edited outside Pulumi: the name, one tag and the threshold.
    with api(emulator) as http:
        edit = [
            {"op": "replace", "path": "/name", "value": "renamed outside"},
            {"op": "add", "path": "/tags/-", "value": "owner:someone-else"},
            {"op": "replace", "path": "/options/alerting_threshold", "value": 0.9},
        ]
        body = {"data": {"type": "suites_json_patch", "attributes": {"json_patch": edit}}}
        http.patch(f"{SUITES}/{public_id}/jsonpatch", json=body).raise_for_status()

    cli("refresh", "--yes")
    emulator.clear_calls()
    preview = cli("preview", "--diff")
    assert f'~ name   : "renamed outside" => "{NAME}"' in preview, preview
    assert '~ [1]: "owner:someone-else" => "team:shop~/x"' in preview, preview  # a sorted set
    assert "~ alerting_threshold: 0.9 => 0.5" in preview, preview
    assert "~ message" not in preview and "~ tests" not in preview
    assert emulator.calls() == []

    # up restores them with one guarded minimal patch (guards = the refreshed values).
    cli("up", "--yes")
    (patch,) = [c.body["data"]["attributes"]["json_patch"] for c in emulator.calls(method="PATCH")]
    assert {"op": "test", "path": "/name", "value": "renamed outside"} in patch
    assert {"op": "replace", "path": "/name", "value": NAME} in patch
    assert {"op": "replace", "path": "/options/alerting_threshold", "value": 0.5} in patch
    restored = suite_on_server(emulator, public_id)
    assert (restored["name"], sorted(restored["tags"])) == (NAME, sorted(TAGS))
    assert restored["options"] == {"alerting_threshold": 0.5}
    cli("preview", "--expect-no-changes")
