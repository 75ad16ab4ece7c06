"""The emulator restarted in the middle of an ``up`` (same SQLite file: nothing it stored is
lost): the run retries through the outage or fails cleanly; a re-run converges."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults._harness import (
    REPOSITORY,
    Background,
    FaultStack,
    seed_tests,
    spec,
    suite,
    wait_for,
)
from tests.support.engine import PulumiSandbox

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.emulator]


def test_emulator_restart_mid_run(pulumi_sandbox: PulumiSandbox, emulator: Any) -> None:
    seeded = seed_tests(emulator, 6)
    resources = [
        *(suite(f"suite-{i}", f"Journey {i}", f"abc-def-{i:03d}") for i in range(4)),
        *(spec("ServiceSettings", f"settings-{i}", repository_id=REPOSITORY,
               service_name=f"svc-{i}", early_flake_detection_enabled=True) for i in range(4)),
        *(spec("FlakyTestState", f"state-{i}", repository_id=REPOSITORY, test_id=test_id,
               state="quarantined") for i, test_id in enumerate(seeded.ids[:2])),
        spec("FlakyTestStates", "bulk", repository_id=REPOSITORY,
             states=dict.fromkeys(seeded.ids[2:], "disabled")),
        spec("FlakyTestPolicies", "policies", repository_id=REPOSITORY,
             attempt_to_fix={"retries": 4}),
    ]  # fmt: skip
    stack = FaultStack(pulumi_sandbox, emulator)
    stack.declare(resources)
    # Slow every call down, and work on 2 resources at a time, so the restart lands in the
    # middle of the run (the provider runs as many calls at once as --parallel sends: with the
    # default, the 13 creates can all be answered before the restart is done).
    emulator.set_faults({"kind": "latency", "latency_ms": 400, "count": None})
    run = Background(stack, parallel=2)
    wait_for("the first writes", lambda: len(emulator.calls()) >= 6)
    emulator.restart()  # SIGTERM, then the same port and database; faults and calls start empty
    ok, text = run.join()
    assert emulator.calls(), "the run did not go on after the restart"
    if not ok:  # it may fail, but with the client's one-line errors, not a crash
        assert "Traceback" not in text, text
    stack.converge()
    result = stack.reconcile(flaky_baseline=seeded.baseline)
    result.assert_clean()
    assert sum(result.checked.values()) == len(resources)
    assert len(result.server_suites) == 4
