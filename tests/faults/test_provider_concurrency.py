"""The dynamic-provider server runs more than the SDK's 4 calls at once (``_server_pool``).

16 service settings created with ``--parallel 16`` against an emulator that answers each
``PATCH`` after 400 ms: the call log's intervals show how many writes were in flight together.
With the SDK's 4 workers it can never exceed 4; the provider raises the limit to
``maxConcurrency`` at configure. (Concurrency, not duration, is asserted: a slow machine
changes the time, not how many requests overlap.)
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.faults._harness import REPOSITORY, SETTINGS_PATH, FaultStack, calls_to, spec
from tests.support.emulator import most_at_once
from tests.support.engine import PulumiSandbox

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.emulator]

SERVICES = 16


def test_more_than_four_provider_calls_run_at_once(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    stack = FaultStack(pulumi_sandbox, emulator)
    stack.declare(
        [
            spec(
                "ServiceSettings",
                f"settings-{n}",
                repository_id=REPOSITORY,
                service_name=f"parallel-{n}",
                code_coverage_enabled=True,
            )
            for n in range(SERVICES)
        ]
    )
    slow = {"kind": "latency", "method": "PATCH", "path": SETTINGS_PATH, "latency_ms": 400}
    emulator.set_faults({**slow, "count": None})
    try:
        emulator.calls(clear=True)
        result = stack.up(parallel=SERVICES)
        patches = calls_to(emulator, "PATCH", SETTINGS_PATH)
    finally:
        emulator.clear_faults()
    assert result.summary.result == "succeeded"
    assert len(patches) == SERVICES
    assert most_at_once(patches) > 4, [(c.time, c.duration_ms) for c in patches]
    stack.stack.destroy(on_output=lambda _: None)
