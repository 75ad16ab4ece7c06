"""A program whose every resource takes inputs from other resources' outputs, through the real
CLI: plain ``pulumi preview`` (every wired input unknown) and ``pulumi up`` with its preview
(not ``--skip-preview``), then a change that makes the wired inputs unknown again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.emulator import emulator_stack
from tests.support.engine import PulumiSandbox

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer

pytestmark = [pytest.mark.e2e, pytest.mark.emulator]

PROGRAM = Path(__file__).parent / "programs" / "wired"
REPO = "github.com/acme/wired"
TYPES = ("SyntheticsSuite", "FlakyTestPolicies", "ServiceSettings", "FlakyTestState",
         "FlakyTestStates")  # fmt: skip


def run(sandbox: PulumiSandbox, *args: str) -> str:
    """``pulumi <args>`` on the test stack; fails the test with the CLI's output otherwise."""
    done = sandbox.cli(*args, "--stack", "test", cwd=sandbox.root / "program", check=False)
    assert done.returncode == 0, f"pulumi {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def outputs(sandbox: PulumiSandbox) -> dict[str, Any]:
    text = run(sandbox, "stack", "output", "--json", "--show-secrets")
    result: dict[str, Any] = json.loads(text)
    return result


def test_every_resource_wired_from_outputs_previews_and_ups(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    seeded = emulator.add_flaky_tests(
        {"repository_id": REPO, "module": "shop", "suite": "CartTest", "name": "test_checkout"},
        {"repository_id": REPO, "module": "shop", "suite": "CartTest", "name": "test_refund"},
    )
    first, second = (t.id for t in seeded.tests)
    config = {
        "wired-e2e:repository": REPO,
        "wired-e2e:testIds": json.dumps([first, second]),
        "wired-e2e:baseName": "checkout",
    }
    emulator_stack(pulumi_sandbox, emulator, PROGRAM, config=config)
    emulator.clear_calls()

    # A first preview: every wired input is unknown; six creates, no error, no API call.
    preview = run(pulumi_sandbox, "preview", "--diff")
    assert "11 to create" in preview, preview  # 4 of them PriorValues
    for kind in TYPES:
        assert kind in preview
    assert emulator.calls() == []

    # `pulumi up` previews first (the same unknowns), then creates everything.
    up = run(pulumi_sandbox, "up", "--yes")
    assert "11 created" in up, up
    out = outputs(pulumi_sandbox)
    assert out["wired_name"] == f"checkout (wired to {out['base_id']})"
    assert out["settings_id"] == f"{REPO}::checkout::prod"
    assert out["single_state"] == "quarantined"
    assert out["bulk_states"] == {second: "disabled"}

    # Output.secret inputs stay secret in state (ciphertext only).
    exported = run(pulumi_sandbox, "stack", "export")
    assert "checkout is down" not in exported
    assert "flaky since the checkout rewrite" not in exported
    # Each resource's source position is the program line that declared it (inside an apply
    # too), as for a generated SDK's resources: not a line of this package.
    resources = json.loads(exported)["deployment"]["resources"]
    ours = [r for r in resources if ":dynamic/datadog-testing:" in r["type"]]
    assert len(ours) == 10, [r["urn"] for r in ours]  # the 11 created less the provider
    for resource in ours:
        assert resource["sourcePosition"].startswith("project:///__main__.py#"), resource

    # Nothing changed: a preview with no change and no API call (the checks of the inputs,
    # now known, take the inputs in state as they are: _check.unchanged), and an `up` that
    # keeps them; the next preview still finds nothing.
    emulator.clear_calls()
    again = run(pulumi_sandbox, "preview", "--expect-no-changes")
    assert "11 unchanged" in again, again
    up = run(pulumi_sandbox, "up", "--yes")
    assert "11 unchanged" in up, up
    run(pulumi_sandbox, "preview", "--expect-no-changes")
    assert emulator.calls() == []

    # Renaming the base suite makes its outputs unknown in the preview: the wired suite is an
    # update, resources whose identity comes from them show a replace (as Pulumi does).
    run(pulumi_sandbox, "config", "set", "wired-e2e:baseName", "checkout v2")
    preview = run(pulumi_sandbox, "preview", "--diff")
    assert "2 to update" in preview and "8 to replace" in preview, preview  # with 4 PriorValues
    assert "[unknown]" in preview
    up = run(pulumi_sandbox, "up", "--yes")
    # Resolved, the wired identities are the same: only the two suites are updated.
    assert "2 updated" in up and "9 unchanged" in up, up
    out = outputs(pulumi_sandbox)
    assert out["wired_name"] == f"checkout v2 (wired to {out['base_id']})"
    assert out["settings_id"] == f"{REPO}::checkout::prod"

    run(pulumi_sandbox, "destroy", "--yes")
