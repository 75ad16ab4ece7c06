"""``pulumi up`` interrupted with SIGINT (Ctrl-C), then repaired and re-run.

- One SIGINT: the engine cancels gracefully — operations in flight finish and are recorded,
  no new ones start. State stays consistent; the next ``up`` simply does the rest.
- Two SIGINTs: the engine terminates at once. Creates in flight are left as *pending
  operations* in state while the server may already hold the objects. ``pulumi up`` alone
  would create those again (duplicate suites). The repair (docs/reliability.md) is
  ``pulumi-datadog-testing repair``: it adopts each suite an interrupted create made, records
  interrupted settings creates with their saved prior values, drops the rest and refreshes;
  then ``pulumi up``. (``pulumi refresh --import-pending-creates`` does not do it on engine
  3.259: the pending operation is turned into an "importing" one that the next save drops, and
  the object is never added; ``--clear-pending-creates`` alone leaves the created suites
  orphaned.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from typing import Any

import pytest

from tests.faults._harness import (
    REPOSITORY,
    SETTINGS_PATH,
    SUITES_PATH,
    FaultStack,
    run_repair,
    spec,
    suite,
    wait_for,
)
from tests.support.engine import PulumiSandbox

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.emulator]

SLOW = 2500
"""ms every suite create and settings PATCH takes, so that some are in flight at the ^C."""


def program() -> list[dict[str, Any]]:
    return [
        *(suite(f"suite-{i}", f"Journey {i}", f"abc-def-{i:03d}") for i in range(6)),
        *(spec("ServiceSettings", f"settings-{i}", repository_id=REPOSITORY,
               service_name=f"svc-{i}", code_coverage_enabled=True) for i in range(4)),
    ]  # fmt: skip


def interrupted_up(stack: FaultStack, signals: int) -> tuple[int, str]:
    """Start ``pulumi up`` (the real binary, the sandbox env), send ``signals`` SIGINTs once
    the first suite exists on the server, wait for the CLI to exit and for the requests it
    left in flight to finish on the server."""
    emulator = stack.emulator
    emulator.set_faults(
        {"kind": "latency", "method": "POST", "path": SUITES_PATH, "latency_ms": SLOW, "count": None},
        {"kind": "latency", "method": "PATCH", "path": SETTINGS_PATH, "latency_ms": SLOW,
         "count": None},
    )  # fmt: skip
    sandbox = stack.sandbox
    process = subprocess.Popen(
        [str(sandbox.engine_bin / "pulumi"), "up", "--yes", "--skip-preview", "--non-interactive",
         "--suppress-progress", "--stack", "test"],
        cwd=sandbox.root / "program", env={**os.environ, **sandbox.env()},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    stream = process.stdout
    assert stream is not None
    reader = threading.Thread(target=lambda: lines.extend(stream), daemon=True)
    reader.start()
    try:
        wait_for(
            "the first suite",
            lambda: any(c.path == SUITES_PATH and c.status == 200 for c in emulator.calls()),
        )
        process.send_signal(signal.SIGINT)
        if signals == 2:  # the second ^C only counts once the first one was taken
            wait_for("the CLI to cancel", lambda: any("^C received" in line for line in lines))
            process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
        reader.join(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = "".join(lines)

    def settled() -> bool:  # every delayed request has been answered (or dropped)
        started = sum(f.fired for f in emulator.faults())
        return started == sum(1 for c in emulator.calls() if c.fault == "latency")

    wait_for("requests in flight to finish", settled, timeout=30)
    emulator.clear_faults()
    return process.returncode, output


def test_one_sigint_cancels_gracefully_and_the_rerun_converges(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    stack = FaultStack(pulumi_sandbox, emulator)
    stack.declare(program())
    code, output = interrupted_up(stack, signals=1)
    assert code != 0, output
    assert "^C received; cancelling" in output, output
    assert "update canceled" in output, output
    # Graceful: no pending operation, every object on the server is in state.
    stack.reconcile().assert_clean()
    assert not stack.deployment().get("pending_operations")

    stack.converge()
    result = stack.reconcile()
    result.assert_clean()
    assert sum(result.checked.values()) == 10


def test_forced_interrupt_leaves_pending_creates_that_the_documented_repair_resolves(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    stack = FaultStack(pulumi_sandbox, emulator)
    stack.declare(program())
    code, output = interrupted_up(stack, signals=2)
    assert code != 0, output
    assert "^C received; terminating" in output, output
    before = stack.reconcile()
    pending = [p for p in before.problems if p.startswith("pending creating operation")]
    assert pending, before.problems  # the forced stop left creates in flight

    printed = run_repair(stack)
    handled = [line for line in printed.splitlines() if line.startswith(("adopted", "dropped"))]
    assert len(handled) == len(pending), printed
    stack.reconcile().assert_clean()  # no orphan: every suite on the server is in state
    stack.converge()
    result = stack.reconcile()
    result.assert_clean()
    assert sum(result.checked.values()) == 10
    assert len(result.server_suites) == 6  # no duplicate of an interrupted create
