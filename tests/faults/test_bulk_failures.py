"""Per-test failures inside a bulk flaky-test PATCH: the error names every failed test, the
tests already changed are set back, and state and server agree."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.faults._harness import FLAKY_PATH, REPOSITORY, FaultStack, calls_to, seed_tests, spec
from tests.support.engine import PulumiSandbox

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.emulator]

LOCKED = "test is locked by an attempt-to-fix"


def bulk(states: dict[str, str]) -> list[dict[str, Any]]:
    return [spec("FlakyTestStates", "bulk", repository_id=REPOSITORY, states=states)]


def test_per_test_failures_are_named_and_nothing_is_half_applied(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    seeded = seed_tests(emulator, 6)
    ids = sorted(seeded.ids)
    # 2 tests per PATCH: chunks [0, 1], [2, 3], [4, 5] (sorted ids).
    stack = FaultStack(pulumi_sandbox, emulator, config={"datadog-testing:flakyBulkChunkSize": "2"})

    # create: the second chunk fails for both its tests.
    emulator.set_faults({"kind": "bulk_failure", "test_ids": ids[2:4], "message": LOCKED})
    stack.declare(bulk(dict.fromkeys(ids, "quarantined")))
    ok, text = stack.try_up()
    assert not ok
    assert f"2 of 6 flaky tests could not be updated: {ids[2]}, {ids[3]} ({LOCKED})" in text
    assert re.search(r"\b2 tests\b[^;]*\bset back", text), text  # chunk 1, rolled back
    assert "2 tests were not sent" in text, text  # chunk 3
    patches = [c.body for c in emulator.calls() if (c.method, c.path) == ("PATCH", FLAKY_PATH)]
    sent = [sorted(t["id"] for t in p["data"]["attributes"]["tests"]) for p in patches]
    assert sent == [ids[0:2], ids[2:4], ids[0:2]]  # chunk 1, failing chunk 2, chunk 1 set back
    result = stack.reconcile(flaky_baseline=seeded.baseline)
    result.assert_clean()  # every test still active; nothing in state
    assert sum(result.checked.values()) == 0

    stack.converge()
    stack.reconcile(flaky_baseline=seeded.baseline).assert_clean()

    # update: one test of the set fails; the other change is set back; state keeps the old.
    emulator.clear_calls()
    emulator.set_faults({"kind": "bulk_failure", "test_ids": [ids[5]], "message": LOCKED})
    stack.declare(bulk({**dict.fromkeys(ids, "quarantined"), ids[0]: "disabled", ids[5]: "fixed"}))
    ok, text = stack.try_up()
    assert not ok
    assert f"1 of 2 flaky tests could not be updated: {ids[5]} ({LOCKED})" in text
    result = stack.reconcile(flaky_baseline=seeded.baseline)
    result.assert_clean()
    assert result.checked == {"FlakyTestStates": 1}
    assert stack.deployment()["resources"][-1]["outputs"]["states"] == dict.fromkeys(
        ids, "quarantined"
    )


@pytest.mark.parametrize(
    ("chunk", "per_resource", "resources"),
    [(100, 40, 3), (3, 1, 8)],
    ids=["3-sets-of-40-chunk-100", "8-singles-chunk-3"],
)
def test_shared_patches_stay_within_the_chunk_size(
    pulumi_sandbox: PulumiSandbox, emulator: Any, chunk: int, per_resource: int, resources: int
) -> None:
    """``flakyBulkChunkSize`` is the most tests one PATCH may carry — what the API accepts
    (the emulator is told so: ``max_bulk_tests``, 400 beyond). Each resource is within it
    alone; the PATCHes the provider shares between resources must be too (they were up to
    200 tests: every resource in them failed, on every ``up``)."""
    seeded = seed_tests(emulator, per_resource * resources)
    ids = seeded.ids
    emulator.update_config(max_bulk_tests=chunk)
    if per_resource == 1:
        program = [
            spec("FlakyTestState", f"s-{n}", repository_id=REPOSITORY, test_id=test_id,
                 state="quarantined")
            for n, test_id in enumerate(ids)
        ]  # fmt: skip
    else:
        program = [
            spec("FlakyTestStates", f"set-{n}", repository_id=REPOSITORY,
                 states=dict.fromkeys(ids[n * per_resource : (n + 1) * per_resource],
                                      "quarantined"))
            for n in range(resources)
        ]  # fmt: skip
    stack = FaultStack(
        pulumi_sandbox, emulator, config={"datadog-testing:flakyBulkChunkSize": str(chunk)}
    )
    stack.declare(program)
    emulator.clear_calls()
    ok, text = stack.try_up()
    sizes = [
        len(c.body["data"]["attributes"]["tests"]) for c in calls_to(emulator, "PATCH", FLAKY_PATH)
    ]
    assert ok, text[-3000:]
    assert sum(sizes) == len(ids) and max(sizes) <= chunk, sizes
    stack.reconcile(flaky_baseline=seeded.baseline).assert_clean()
    assert {emulator.admin.flaky_test(i)["flaky_state"] for i in ids} == {"quarantined"}
