"""Random 5xx (10 % not applied, 10 % applied then failed) during a 30-resource ``up`` and its
``destroy``: each run completes or a re-run converges, and state always matches the server."""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults._harness import (
    OTHER_REPOSITORY,
    REPOSITORY,
    FaultStack,
    fleet,
    seed_tests,
)
from tests.support.engine import PulumiSandbox
from tests.support.reconcile import COMPARED_SETTINGS, ServerReader

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.emulator]

ERRORS = (
    {"kind": "error", "status": 500, "rate": 0.1, "count": None},
    {"kind": "error", "status": 503, "rate": 0.1, "count": None, "apply": True},
)
RUNS = 3
"""Bound on the runs of one command under faults (the first one usually completes)."""


def until_success(run: Any) -> list[str]:
    """Run ``run()`` (-> (ok, output)) until it succeeds, at most RUNS times; the outputs
    of the failed runs."""
    failed: list[str] = []
    for _ in range(RUNS):
        ok, text = run()
        if ok:
            return failed
        failed.append(text)
    raise AssertionError(f"no success in {RUNS} runs under 5xx faults:\n{failed[-1]}")


def test_random_5xx_during_a_30_resource_up_and_destroy(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    seeded = seed_tests(emulator, 24)
    server = ServerReader(emulator.url, emulator.headers())
    policies_before = {repo: server.policies(repo) for repo in (REPOSITORY, OTHER_REPOSITORY)}
    resources = fleet(seeded)
    stack = FaultStack(pulumi_sandbox, emulator)
    stack.declare(resources)

    emulator.set_faults(*ERRORS, seed=7)
    until_success(stack.try_up)
    injected = [c for c in emulator.calls() if c.fault == "error"]
    assert injected, "the 5xx faults never fired"
    emulator.clear_faults()
    stack.assert_no_changes()
    result = stack.reconcile(flaky_baseline=seeded.baseline)
    result.assert_clean()
    assert result.checked == {
        "ServiceSettings": 12, "FlakyTestState": 8, "SyntheticsSuite": 6,
        "FlakyTestStates": 2, "FlakyTestPolicies": 2,
    }  # fmt: skip

    # destroy under the same faults: nothing left behind, everything restored.
    emulator.set_faults(*ERRORS, seed=8)

    def destroy() -> tuple[bool, str]:
        try:
            stack.stack.destroy(on_output=lambda _: None)
        except Exception as exc:  # noqa: BLE001 - auto.CommandError and its subclasses
            return False, str(exc)
        return True, ""

    until_success(destroy)
    emulator.clear_faults()
    after = stack.reconcile(flaky_baseline=seeded.baseline)
    after.assert_clean()  # every seeded test back in its state, no suite left on the server
    assert after.server_suites == []
    assert sum(after.checked.values()) == 0
    for entry in resources:
        if entry["type"] != "ServiceSettings":
            continue
        args = entry["args"]
        settings = server.settings(args["repository_id"], args["service_name"], args["env"])
        assert settings is not None
        for name in COMPARED_SETTINGS:
            if name in args:  # managed, so released: inherited again
                assert settings[f"{name}_is_overridden"] is False, (entry["name"], name)
    assert {repo: server.policies(repo) for repo in policies_before} == policies_before
    server.close()
