"""``pulumi up`` SIGKILLed at a write, then ``repair``, ``up``, ``destroy``: every object back.

Kill points (each with a SIGKILL of the whole ``pulumi`` process group — a cancelled CI job —
and of the dynamic-provider process alone):

- ``settings``: two service-settings PATCHes applied on the server, their answers held;
- ``flaky``: the first bulk flaky-test chunk applied, its answer held (later chunks unsent);
- ``suite``: the suite POST applied (the suite exists), its answer held.

The emulator's ``hang`` fault (apply, then hold the connection) opens the window
deterministically: the test waits until the server shows the write, then kills. After a kill
of ``pulumi``'s group the provider (in a group of its own) must end by itself: a provider left
running would send its held and queued writes after the repair. Afterwards
``pulumi-datadog-testing repair --yes`` (run twice: it must be safe to repeat), then ``up``
until converged: state equals the server, no pending operation, no orphan or duplicate
suite. After ``destroy`` every object is back to its value from before the first ``up``.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.faults._harness import (
    FLAKY_PATH,
    REPOSITORY,
    SETTINGS_PATH,
    SUITES_PATH,
    FaultStack,
    run_repair,
    seed_tests,
    spec,
    suite,
    wait_for,
)
from tests.support.engine import PulumiSandbox
from tests.support.reconcile import ServerReader

pytestmark = [
    pytest.mark.faults,
    pytest.mark.e2e,
    pytest.mark.emulator,
]

SERVICES = ("svc-0", "svc-1", "svc-2")
TESTS = 8
CHUNK = 4
INHERITABLE = (
    "auto_test_retries_enabled",
    "code_coverage_enabled",
    "early_flake_detection_enabled",
    "failed_test_replay_enabled",
    "test_impact_analysis_enabled",
)


def program(test_ids: list[str]) -> list[dict[str, Any]]:
    return [
        *(spec("ServiceSettings", f"settings-{s}", repository_id=REPOSITORY, service_name=s,
               code_coverage_enabled=True, early_flake_detection_enabled=False)
          for s in SERVICES),
        spec("FlakyTestStates", "bulk", repository_id=REPOSITORY,
             states=dict.fromkeys(test_ids, "quarantined")),
        spec("FlakyTestPolicies", "policies", repository_id=REPOSITORY,
             attempt_to_fix={"retries": 7}),
        suite("suite-0", "Checkout journey", "abc-def-001"),
    ]  # fmt: skip


def settings_view(found: dict[str, Any] | None) -> dict[str, Any]:
    """What a service's settings mean: each overridden setting's value (inherited: absent)."""
    if found is None:
        return {}
    return {k: found[k] for k in INHERITABLE if found.get(f"{k}_is_overridden")}


def snapshot(stack: FaultStack, test_ids: list[str]) -> dict[str, Any]:
    with ServerReader(stack.emulator.url, stack.emulator.headers()) as server:
        return {
            "settings": {
                s: settings_view(server.settings(REPOSITORY, s, "none")) for s in SERVICES
            },
            "flaky": server.flaky_states(REPOSITORY, test_ids),
            "policies": server.policies(REPOSITORY).get("attempt_to_fix"),
            "suites": sorted(x["public_id"] for x in server.all_suites()),
        }


def written(stack: FaultStack, point: str, test_ids: list[str]) -> bool:
    """Whether the server shows the write the kill waits for."""
    now = snapshot(stack, test_ids)
    if point == "settings":
        return sum(1 for view in now["settings"].values() if view) >= 2
    if point == "flaky":
        return sum(1 for state in now["flaky"].values() if state == "quarantined") >= CHUNK
    return len(now["suites"]) >= 1


HANGS = {
    "settings": {"method": "PATCH", "path": SETTINGS_PATH, "count": 2},
    "flaky": {"method": "PATCH", "path": FLAKY_PATH, "count": 1},
    "suite": {"method": "POST", "path": SUITES_PATH, "count": 1},
}


def descendants(root: int) -> list[int]:
    """Pids of every process below ``root`` (from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def provider_pid(root: int) -> int | None:
    for pid in descendants(root):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        # The plugin is a sh script running `python -u -m pulumi.dynamic`: the Python process
        # is the provider (killing the script alone would leave it serving).
        if b"pulumi.dynamic" in cmdline.split(b"\0"):
            return pid
    return None


def killed_up(stack: FaultStack, point: str, target: str, test_ids: list[str]) -> None:
    emulator = stack.emulator
    emulator.set_faults({"kind": "hang", "hang_seconds": 120, **HANGS[point]})
    sandbox = stack.sandbox
    process = subprocess.Popen(
        [str(sandbox.engine_bin / "pulumi"), "up", "--yes", "--skip-preview", "--non-interactive",
         "--suppress-progress", "--stack", "test"],
        cwd=sandbox.root / "program", env={**os.environ, **sandbox.env()},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(f"the {point} write", lambda: written(stack, point, test_ids), timeout=120)
        pid = wait_for("the provider process", lambda: provider_pid(process.pid))
        if target == "group":
            # The engine starts plugins in process groups of their own: this kill does not
            # reach the provider, which must end by itself (engine_watch) instead of going on
            # writing after the repair.
            os.killpg(process.pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
        process.wait(timeout=120)
        wait_for("the provider process to end", lambda: not running(pid), timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        emulator.clear_faults()


@pytest.mark.parametrize("target", ["group", "provider"])
@pytest.mark.parametrize("point", ["settings", "flaky", "suite"])
def test_killed_up_is_repaired_and_destroy_restores_everything(
    pulumi_sandbox: PulumiSandbox, emulator: Any, point: str, target: str
) -> None:
    seeded = seed_tests(emulator, TESTS)
    stack = FaultStack(
        pulumi_sandbox, emulator, config={"datadog-testing:flakyBulkChunkSize": str(CHUNK)}
    )
    stack.declare(program(seeded.ids))
    before = snapshot(stack, seeded.ids)
    assert before["suites"] == [] and not any(before["settings"].values())

    killed_up(stack, point, target, seeded.ids)
    first = run_repair(stack)
    second = run_repair(stack)
    assert "nothing pending" in second, second
    assert "adopted" not in second and "added back" not in second, second
    result = stack.reconcile(flaky_baseline=seeded.baseline)
    result.assert_clean()  # no pending operation, no orphan suite, state == server
    assert len(result.server_suites) <= 1, first

    stack.converge()
    result = stack.reconcile(flaky_baseline=seeded.baseline)
    result.assert_clean()
    assert len(result.server_suites) == 1  # no duplicate of the interrupted suite create

    stack.stack.destroy(on_output=lambda _: None)
    after = snapshot(stack, seeded.ids)
    assert after == before, (first, after)
    assert not stack.deployment().get("resources")
