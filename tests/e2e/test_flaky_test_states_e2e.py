"""FlakyTestStates end to end: the real CLI against the emulator seeded with 2,000 flaky tests.

Create/update/refresh/destroy of a 500-test set with the minimal number of calls, a
no-change preview making zero calls, per-test diffs in the preview, drift found by refresh,
injected per-test failures leaving state and server consistent, and the chunk size.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pulumi import automation as auto

from pulumi_datadog_testing.type_tokens import type_token
from tests.e2e._flaky_support import (
    PROGRAM,
    TESTS_PATH,
    patch_bodies,
    quiet,
    server_states,
    set_config,
    set_states_outside_pulumi,
    stack_resources,
)
from tests.support.emulator import emulator_stack
from tests.support.engine import PulumiSandbox
from tests.support.provider_imports import provider_imports

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer

pytestmark = pytest.mark.e2e

REPO = "github.com/acme/bulk"
MODULE = "pulumi_datadog_testing.resources.flaky_test_states"
MODELS = "pulumi_datadog_testing.models"
HEAVY = ("pydantic", "pydantic_core")


def recorded(stack: Any) -> dict[str, Any]:
    (resource,) = stack_resources(stack, "FlakyTestStates")
    outputs: dict[str, Any] = resource["outputs"]
    return outputs


def test_bulk_states_lifecycle(
    pulumi_sandbox: PulumiSandbox,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    seeded = emulator.seed_flaky_tests(REPO, 2000, seed=11)
    original = {t.id: t.state for t in seeded.tests}
    ids = sorted(original)[:500]
    stack = emulator_stack(pulumi_sandbox, emulator, PROGRAM, config={"flaky-e2e:repository": REPO})

    # --- create: batched reads, then one PATCH with exactly the tests whose state changes
    desired = dict.fromkeys(ids, "quarantined")
    set_config(stack, states=desired, reason="JIRA-100")
    emulator.clear_calls()
    assert stack.up(on_output=quiet).summary.resource_changes == {"create": 3}
    calls = emulator.calls()
    searches = [c for c in calls if c.method == "POST" and c.path == TESTS_PATH]
    assert all(c.body["data"]["attributes"]["page"]["limit"] == 1000 for c in searches)
    changing = {i for i in ids if original[i] != "quarantined"}
    # 500 ids fit in two queries (the capture); one more reads again the tests captured as
    # already quarantined (not sent, so checked: docs/reliability.md, "Where it does not hold")
    assert 0 < len(changing) < len(ids) and len(searches) == 3
    sent = patch_bodies(emulator)
    assert len(sent) == math.ceil(len(changing) / 500) == 1
    assert sent[0] == dict.fromkeys(changing, "quarantined")
    assert server_states(emulator, REPO, ids) == desired
    # 100 tests or more: previous_states is stored as one string and test_ids not at all; the
    # program's attributes (exported here) show them whole
    packed = ";".join(f"{i}={original[i]}" for i in ids)
    assert recorded(stack)["previous_states"] == {"__packed__": packed}
    assert "test_ids" not in recorded(stack)
    exported = stack.outputs()
    assert exported["bulk_previous"].value == {i: original[i] for i in ids}
    assert exported["bulk_test_ids"].value == ids

    # --- a no-change preview makes zero API calls, and its provider process loads the
    # provider of FlakyTestStates but no pydantic (check of unchanged inputs does not
    # validate them again)
    emulator.clear_calls()
    with provider_imports(monkeypatch, tmp_path) as loaded:
        assert stack.preview(expect_no_changes=True, on_output=quiet).change_summary == {"same": 3}
    assert emulator.calls() == []
    provider = loaded.importing(MODULE)
    assert sorted(m for m in provider if m.partition(".")[0] in HEAVY or m == MODELS) == []

    # --- update: the preview lists each test's change; up sends only those
    dropped, added = ids[-5:], sorted(original)[500:505]
    update = {i: s for i, s in desired.items() if i not in dropped}
    update.update({ids[0]: "disabled", ids[1]: "fixed", **dict.fromkeys(added, "disabled")})
    set_config(stack, states=update)
    preview = stack.preview(diff=True, on_output=quiet)
    assert preview.change_summary == {"same": 1, "update": 2}
    assert f'~ {ids[0]}: "quarantined" => "disabled"' in preview.stdout
    assert f'~ {ids[1]}: "quarantined" => "fixed"' in preview.stdout
    for test_id in dropped:
        assert f'- {test_id}: "quarantined"' in preview.stdout
    for test_id in added:
        assert f'+ {test_id}: "disabled"' in preview.stdout
    assert emulator.calls(clear=True) == []
    stack.up(on_output=quiet)
    expected_patch = {ids[0]: "disabled", ids[1]: "fixed"}
    expected_patch.update({i: original[i] for i in dropped if original[i] != "quarantined"})
    expected_patch.update({i: "disabled" for i in added if original[i] != "disabled"})
    assert patch_bodies(emulator) == [dict(sorted(expected_patch.items()))]
    assert server_states(emulator, REPO, update) == update
    assert server_states(emulator, REPO, dropped) == {i: original[i] for i in dropped}

    # --- a change outside Pulumi is found by refresh and undone by the next up
    set_states_outside_pulumi(emulator, {ids[2]: "active"})
    stack.refresh(on_output=quiet)
    assert recorded(stack)["states"][ids[2]] == "active"
    emulator.clear_calls()
    drift = stack.preview(diff=True, on_output=quiet)
    assert f'~ {ids[2]}: "active" => "quarantined"' in drift.stdout
    assert emulator.calls() == []
    stack.up(on_output=quiet)
    assert patch_bodies(emulator) == [{ids[2]: "quarantined"}]

    # --- per-test failures: the error names each one; state and server agree afterwards
    failing = [ids[3], ids[4], added[0]]
    emulator.set_faults(
        {"kind": "bulk_failure", "test_ids": failing, "message": "test is locked by a policy"}
    )
    set_config(stack, states=dict.fromkeys(update, "fixed"))
    with pytest.raises(auto.CommandError) as caught:
        stack.up(on_output=quiet)
    message = str(caught.value)
    changing_now = [i for i in update if update[i] != "fixed"]
    assert f"3 of {len(changing_now)} flaky tests could not be updated" in message
    assert f"{', '.join(sorted(failing))} (test is locked by a policy)" in message
    assert (
        f"the {len(changing_now) - 3} tests this operation had already changed were set back"
        in message
    )
    emulator.clear_faults()
    outputs = recorded(stack)
    assert outputs["states"] == update  # Pulumi state still holds the last applied states
    assert server_states(emulator, REPO, outputs["states"]) == outputs["states"]

    # --- a state written before the packed form (whole previous_states, a test_ids list):
    # read as before by preview and destroy
    deployment = stack.export_stack()
    (resource,) = [
        r for r in deployment.deployment["resources"] if r["type"] == type_token("FlakyTestStates")
    ]
    pairs = (
        item.split("=") for item in resource["outputs"]["previous_states"]["__packed__"].split(";")
    )
    resource["outputs"]["previous_states"] = dict(pairs)
    resource["outputs"]["test_ids"] = sorted(resource["outputs"]["previous_states"])
    stack.import_stack(deployment)
    set_config(stack, states=update)  # what the state holds (the failed update changed nothing)
    emulator.clear_calls()
    assert stack.preview(expect_no_changes=True, on_output=quiet).change_summary == {"same": 3}
    assert emulator.calls() == []

    # --- destroy: every test Pulumi changed goes back to its state from before
    emulator.clear_calls()
    stack.destroy(on_output=quiet)
    assert len(patch_bodies(emulator)) == 1
    touched = [*ids, *added]
    assert server_states(emulator, REPO, touched) == {i: original[i] for i in touched}
    assert stack_resources(stack, "FlakyTestStates") == []


def test_chunk_size_is_configurable_and_emulator_max_is_enforced(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    seeded = emulator.seed_flaky_tests(REPO, 2000, seed=12, state="active")
    ids = sorted(t.id for t in seeded.tests)[:500]
    emulator.update_config(max_bulk_tests=200)
    stack = emulator_stack(pulumi_sandbox, emulator, PROGRAM, config={"flaky-e2e:repository": REPO})
    set_config(stack, states=dict.fromkeys(ids, "disabled"))

    # the default chunk (1,000) is more than this server takes: refused, nothing changed
    emulator.clear_calls()
    with pytest.raises(auto.CommandError) as caught:
        stack.up(on_output=quiet)
    assert "at most 200 tests per request (got 500)" in str(caught.value)
    assert len(patch_bodies(emulator)) == 1
    assert set(server_states(emulator, REPO, ids).values()) == {"active"}
    assert stack_resources(stack, "FlakyTestStates") == []

    stack.set_config("datadog-testing:flakyBulkChunkSize", auto.ConfigValue(value="200"))
    stack.up(on_output=quiet)
    # one wave: the three chunks are sent at the same time, in any order
    assert sorted(len(p) for p in patch_bodies(emulator)) == [100, 200, 200]
    assert set(server_states(emulator, REPO, ids).values()) == {"disabled"}
    stack.destroy(on_output=quiet)
    assert set(server_states(emulator, REPO, ids).values()) == {"active"}
