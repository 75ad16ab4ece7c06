"""429 bursts and storms: ``X-RateLimit-Reset`` is waited out, attempts are bounded, and a
storm longer than the retry budget fails with "after N retries" leaving state consistent."""

from __future__ import annotations

import itertools
import json
import re
from collections import defaultdict
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
MAX_RETRIES = 3
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


def test_429_bursts_are_waited_out_and_a_longer_storm_fails_cleanly(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    seeded = seed_tests(emulator, 3)
    stack = FaultStack(pulumi_sandbox, emulator, config=retry_config(max_retries=MAX_RETRIES))
    stack.declare(program(seeded, 1))
    stack.up()

    # 1. An update whose first three calls are rate limited (reset 1 s): it completes.
    emulator.clear_calls()
    emulator.set_faults({"kind": "rate_limit", "reset_seconds": RESET, "count": 3})
    stack.declare(program(seeded, 2))
    stack.up()
    calls = emulator.calls()
    assert len([c for c in calls if c.status == 429]) == 3
    for request, attempts in attempts_by_request(calls).items():
        assert len(attempts) <= 1 + MAX_RETRIES, request
        assert attempts[-1].status == 200, (request, [a.status for a in attempts])
        for earlier, retry in itertools.pairwise(attempts):
            # X-RateLimit-Reset honoured: the retry came at least `reset` seconds later.
            assert earlier.status == 429, request
            assert retry.time - earlier.time >= RESET, (request, retry.time - earlier.time)
    assert {c.path for c in calls if c.method == "PATCH"} >= {
        SETTINGS_PATH,
        FLAKY_PATH,
        POLICIES_PATH,
    }
    result = stack.reconcile()
    result.assert_clean()
    assert sum(result.checked.values()) == 4

    # 2. A storm on every suite JSON Patch, longer than a 2-retry budget: that update fails
    # with "after 2 retries"; the other three resources update normally.
    stack.set("datadog-testing:maxRetries", "2")
    emulator.clear_calls()
    emulator.set_faults(
        {"kind": "rate_limit", "reset_seconds": RESET, "count": None, "method": "PATCH",
         "path": JSON_PATCH}
    )  # fmt: skip
    stack.declare(program(seeded, 3))
    ok, text = stack.try_up()
    assert not ok
    assert re.search(
        r"PATCH /api/v2/synthetics/suites/[a-z0-9-]+/jsonpatch -> 429 Too many requests — still "
        r"rate limited after 2 retries over \d+\.\ds \(limit [^)]*resets in 1s\); raise "
        r"datadog-testing:maxRetries",
        text,
    ), text
    patches = [c for c in emulator.calls() if c.method == "PATCH" and c.path.endswith("/jsonpatch")]
    assert [c.status for c in patches] == [429, 429, 429]  # 1 attempt + 2 retries, no more
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
