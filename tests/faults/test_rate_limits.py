"""Rate limits through the real CLI: a real 20-per-2 s budget is paced (``pulumi up
--parallel 64`` of 60 service settings, and of 200 mixed resources, with no failed resource
and at most a handful of 429s); injected 429 bursts are waited out without using retries;
a storm longer than the time budget fails with "after N retries" leaving state consistent.

Everything is asserted from the emulator's call log and statuses, never from wall-clock gaps.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from typing import Any

import pytest

from tests.faults._harness import (
    FLAKY_PATH,
    POLICIES_PATH,
    REPOSITORY,
    SETTINGS_PATH,
    SUITES_PATH,
    FaultStack,
    Seeded,
    retry_config,
    seed_tests,
    spec,
    suite,
)
from tests.support.engine import PulumiSandbox

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.emulator]

RESET = 1
MAX_RETRIES = 1
HANDFUL = 5
"""Most 429s a paced run may see (a window estimate can be a little off at its edges)."""
JSON_PATCH = SUITES_PATH + "/[^/]+/jsonpatch"


def program(seeded: Seeded, version: int) -> list[dict[str, Any]]:
    """One resource of each writing kind; every ``version`` changes all four."""
    return [
        spec("ServiceSettings", "settings", repository_id=REPOSITORY, service_name="checkout",
             env="prod", code_coverage_enabled=version % 2 == 0),
        suite("suite", "Checkout", "abc-def-001", tags=[f"release:{version}"]),
        spec("FlakyTestStates", "bulk", repository_id=REPOSITORY,
             states=dict.fromkeys(seeded.ids, ("quarantined", "disabled", "fixed")[version % 3])),
        spec("FlakyTestPolicies", "policies", repository_id=REPOSITORY,
             attempt_to_fix={"retries": version + 1}),
    ]  # fmt: skip


def attempts_by_request(calls: list[Any]) -> dict[str, list[Any]]:
    """Calls grouped by identical request (method, path, body): one group = one request and
    its retries."""
    groups: dict[str, list[Any]] = defaultdict(list)
    for call in calls:
        groups[f"{call.method} {call.path} {json.dumps(call.body, sort_keys=True)}"].append(call)
    return groups


def test_429_bursts_are_waited_out_without_retries_and_a_longer_storm_fails_cleanly(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    seeded = seed_tests(emulator, 3)
    stack = FaultStack(pulumi_sandbox, emulator, config=retry_config(max_retries=MAX_RETRIES))
    stack.declare(program(seeded, 1))
    stack.up()

    # 1. An update whose first three calls are rate limited (reset 1 s): it completes, even
    # with maxRetries 1 — a 429 that says when the budget is back is a paced wait, not a retry.
    emulator.clear_calls()
    emulator.set_faults({"kind": "rate_limit", "reset_seconds": RESET, "count": 3})
    stack.declare(program(seeded, 2))
    stack.up()
    calls = emulator.calls()
    assert len([c for c in calls if c.status == 429]) == 3
    for request, attempts in attempts_by_request(calls).items():
        assert attempts[-1].status == 200, (request, [a.status for a in attempts])
        assert all(a.status == 429 for a in attempts[:-1]), request
    assert {c.path for c in calls if c.method == "PATCH"} >= {
        SETTINGS_PATH,
        FLAKY_PATH,
        POLICIES_PATH,
    }
    result = stack.reconcile()
    result.assert_clean()
    assert sum(result.checked.values()) == 4

    # 2. A storm on every suite JSON Patch, longer than a 4 s time budget: that update fails
    # when the budget is spent — after more attempts than maxRetries allows, since the paced
    # waits do not count; the other three resources update normally.
    stack.set("datadog-testing:retryTimeoutSeconds", "4")
    emulator.clear_calls()
    emulator.set_faults(
        {"kind": "rate_limit", "reset_seconds": RESET, "count": None, "method": "PATCH",
         "path": JSON_PATCH}
    )  # fmt: skip
    stack.declare(program(seeded, 3))
    ok, text = stack.try_up()
    assert not ok
    found = re.search(
        r"PATCH /api/v2/synthetics/suites/[a-z0-9-]+/jsonpatch -> 429 Too many requests — still "
        r"rate limited after (\d+) retries over \d+\.\ds \(limit [^)]*resets in 1s\); raise "
        r"datadog-testing:retryTimeoutSeconds",
        text,
    )
    assert found, text
    patches = [c for c in emulator.calls() if c.method == "PATCH" and c.path.endswith("/jsonpatch")]
    assert {c.status for c in patches} == {429}
    assert len(patches) == 1 + int(found.group(1)) > 1 + MAX_RETRIES
    emulator.clear_faults()
    # Nothing half-written: the suite keeps its old tags on the server and in state; the
    # three other resources hold their new values in both.
    result = stack.reconcile()
    result.assert_clean()
    assert sum(result.checked.values()) == 4
    [server_suite] = result.server_suites
    assert server_suite["tags"] == ["release:2"]

    # 3. The storm is over: the next up converges.
    stack.converge()
    stack.reconcile().assert_clean()


# ------------------------------------------------------------- a real, small rate limit

BUDGET = {"limit": 20, "period_seconds": 2}
"""The emulator's ``--rate-limit 20 --rate-limit-period 2``, per rate-limit group."""
UNLIMITED = {"limit": 1_000_000, "period_seconds": 60}


def service_settings_fleet(count: int, repository: str = REPOSITORY) -> list[dict[str, Any]]:
    return [
        spec("ServiceSettings", f"svc-{index}", repository_id=repository,
             service_name=f"service-{index:03d}", env=("prod", "staging")[index % 2],
             code_coverage_enabled=True, early_flake_detection_enabled=index % 3 == 0)
        for index in range(count)
    ]  # fmt: skip


def mixed_fleet(seeded: Seeded) -> list[dict[str, Any]]:
    """200 resources: 100 service settings, 40 single flaky states, 10 bulk state sets,
    10 policy sets and 40 suites."""
    tests = seeded.tests
    resources = service_settings_fleet(100)
    resources += [
        spec("FlakyTestState", f"state-{index}", repository_id=REPOSITORY, test_id=test["id"],
             state=("quarantined", "disabled")[index % 2])
        for index, test in enumerate(tests[:40])
    ]  # fmt: skip
    resources += [
        spec("FlakyTestStates", f"bulk-{index}", repository_id=REPOSITORY,
             states={t["id"]: "quarantined" for t in tests[40 + 3 * index : 43 + 3 * index]})
        for index in range(10)
    ]  # fmt: skip
    resources += [
        spec("FlakyTestPolicies", f"policies-{index}", repository_id=f"github.com/acme/r{index}",
             attempt_to_fix={"retries": 2})
        for index in range(10)
    ]  # fmt: skip
    resources += [suite(f"suite-{index}", f"Journey {index}", f"abc-def-{index:03d}")
                  for index in range(40)]  # fmt: skip
    assert len(resources) == 200
    return resources


def paced_up(stack: FaultStack, emulator: Any, resources: list[dict[str, Any]]) -> list[Any]:
    """``pulumi preview`` then ``pulumi up --parallel 64`` under the small budget; the calls
    the emulator received (the budget is lifted again before returning, so the checks that
    follow are not rate limited themselves)."""
    stack.declare(resources)
    emulator.update_config(rate_limit=BUDGET)
    try:
        emulator.clear_calls()
        stack.stack.preview(on_output=lambda _: None, parallel=64)
        result = stack.up(parallel=64)
        calls = emulator.calls()
    finally:
        emulator.update_config(rate_limit=UNLIMITED)
    assert result.summary.result == "succeeded"
    # The resources, the stack's PriorValues ledger (docs/reliability.md) and the stack.
    assert result.summary.resource_changes.get("create") == len(resources) + 2
    return calls


@pytest.mark.timeout(600)
def test_parallel_64_service_settings_are_paced_under_a_20_per_2s_limit(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    stack = FaultStack(pulumi_sandbox, emulator)
    calls = paced_up(stack, emulator, service_settings_fleet(60))
    statuses = [c.status for c in calls]
    assert statuses.count(429) <= HANDFUL, statuses
    assert len([c for c in calls if c.method == "PATCH" and c.status == 200]) >= 60
    result = stack.reconcile()
    result.assert_clean()
    assert result.checked.get("ServiceSettings") == 60

    # A refresh under the same budget: its gets run ahead of the engine (resources/_read_ahead),
    # still paced, and each service is read once.
    emulator.update_config(rate_limit=BUDGET)
    try:
        emulator.clear_calls()
        refresh = stack.stack.refresh(on_output=lambda _: None, parallel=64)
        calls = emulator.calls()
    finally:
        emulator.update_config(rate_limit=UNLIMITED)
    assert set(refresh.summary.resource_changes) == {"same"}, refresh.summary.resource_changes
    statuses = [c.status for c in calls]
    assert statuses.count(429) <= HANDFUL, statuses
    read = Counter(c.body["data"]["attributes"]["service_name"] for c in calls if c.status == 200)
    assert len(read) == 60 and set(read.values()) == {1}, read


@pytest.mark.timeout(900)
def test_parallel_64_of_200_mixed_resources_are_paced_under_a_20_per_2s_limit(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    seeded = seed_tests(emulator, 70)
    stack = FaultStack(pulumi_sandbox, emulator)
    calls = paced_up(stack, emulator, mixed_fleet(seeded))
    statuses = [c.status for c in calls]
    assert statuses.count(429) <= HANDFUL, statuses
    assert {c.path.split("/")[3] for c in calls} >= {"ci", "test", "synthetics"}
    result = stack.reconcile()
    result.assert_clean()
    assert sum(result.checked.values()) == 200
