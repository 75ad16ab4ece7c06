"""Refresh's reads run ahead (``resources/_read_ahead``) through the real CLI: a refresh of
many ``ServiceSettings`` and ``FlakyTestPolicies`` has more gets in flight than the engine's
``--parallel`` sends hooks, still makes exactly one get per object, reports exactly the
drifted ones, and a targeted refresh reads only its target. One resource wired through
Outputs (a secret ``env``, a name from another resource's output) reads for itself."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e._flaky_support import (
    POLICIES_PATH,
    patch_policies_outside_pulumi,
    server_policies,
    stack_resources,
)
from tests.e2e.service_settings_support import (
    SETTINGS_PATH,
    identity,
    out_of_band_patch,
    quiet,
    server_settings,
)
from tests.support.emulator import emulator_stack, most_at_once
from tests.support.engine import PulumiSandbox

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer
    from pulumi_datadog_testing.emulator.admin_models import RecordedCall

pytestmark = pytest.mark.e2e

PROGRAM = Path(__file__).parent / "programs" / "read_ahead"
REPO = "github.com/acme/read-ahead"
SERVICES = 12
PARALLEL = 2


def gets(calls: Sequence[RecordedCall]) -> Counter[str]:
    """How many times each object was read: settings by ``service::env``, policies by
    repository."""
    seen: Counter[str] = Counter()
    for call in calls:
        assert call.method == "POST", (
            call.method,
            call.path,
        )  # gets only: a refresh writes nothing
        attrs = call.body["data"]["attributes"]
        if call.path == SETTINGS_PATH:
            seen[f"{attrs['service_name']}::{attrs['env']}"] += 1
        else:
            assert call.path == POLICIES_PATH, call.path
            seen[attrs["repository_id"]] += 1
    return seen


def test_refresh_runs_gets_ahead_of_the_engine(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    stack = emulator_stack(
        pulumi_sandbox,
        emulator,
        PROGRAM,
        config={"read-ahead-e2e:repository": REPO, "read-ahead-e2e:services": str(SERVICES)},
    )
    # Plain preview, then up with its preview: the wired resource's inputs are unknown in
    # the preview and known at up.
    assert stack.preview(on_output=quiet).change_summary["create"] >= SERVICES + 3
    stack.up(on_output=quiet)
    wired = stack.outputs()["wired"]
    assert wired.value == f"{REPO}::wired-0::ci"

    # Drift on two services and one repository's policies, then a refresh with 50 ms per get
    # and the engine sending 2 hooks at a time.
    out_of_band_patch(emulator, identity(REPO, "svc-03", "ci"), early_flake_detection_enabled=False)
    out_of_band_patch(emulator, identity(REPO, "svc-08", "ci"), auto_test_retries_enabled=False)
    patch_policies_outside_pulumi(emulator, f"{REPO}-1", attempt_to_fix={"retries": 9})
    emulator.set_faults({"kind": "latency", "method": "POST", "latency_ms": 50, "count": None})
    emulator.clear_calls()
    refresh = stack.refresh(parallel=PARALLEL, on_output=quiet)
    calls = emulator.calls(clear=True)
    assert {k: v for k, v in refresh.summary.resource_changes.items() if k != "same"} == {
        "update": 3
    }
    expected = {f"svc-{i:02d}::ci": 1 for i in range(SERVICES)}
    expected |= {"wired-0::ci": 1, f"{REPO}-0": 1, f"{REPO}-1": 1}
    assert gets(calls) == expected  # one get per object, as before
    assert most_at_once(calls) > PARALLEL  # gets ran ahead of the engine's hooks

    settings = {
        r["outputs"]["service_name"]: r["outputs"]
        for r in stack_resources(stack, "ServiceSettings")
    }
    assert settings["svc-03"]["early_flake_detection_enabled"] is False
    assert settings["svc-08"]["auto_test_retries_enabled"] is False
    assert settings["svc-04"]["auto_test_retries_enabled"] is True
    (drifted,) = [r for r in stack_resources(stack, "FlakyTestPolicies") if r["id"] == f"{REPO}-1"]
    assert drifted["outputs"]["attempt_to_fix"] == {"retries": 9}

    # A targeted refresh reads its target only (nothing runs ahead for the others).
    urn = next(
        r["urn"]
        for r in stack_resources(stack, "ServiceSettings")
        if r["id"].endswith("::svc-05::ci")
    )
    stack.refresh(target=[urn], parallel=PARALLEL, on_output=quiet)
    assert gets(emulator.calls(clear=True)) == {"svc-05::ci": 1}

    # up puts the declared values back: a write after the reads, never an answer read ahead.
    emulator.clear_faults()
    up = stack.up(on_output=quiet)
    assert {k: v for k, v in up.summary.resource_changes.items() if k != "same"} == {"update": 3}
    assert server_settings(emulator, identity(REPO, "svc-03", "ci"))[
        "early_flake_detection_enabled"
    ]
    assert server_policies(emulator, f"{REPO}-1")["attempt_to_fix"]["retries"] == 4
    emulator.clear_calls()
    assert stack.preview(expect_no_changes=True, on_output=quiet).change_summary
    assert emulator.calls() == []
    stack.destroy(on_output=quiet)
    after = server_settings(emulator, identity(REPO, "svc-03", "ci"))
    assert after["early_flake_detection_enabled_is_overridden"] is False  # re-inherited
