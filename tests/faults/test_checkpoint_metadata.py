"""A ``pulumi up`` killed between the file backend's checkpoint rename and its metadata write
leaves ``<stack>.json.attrs`` empty: every later command fails with ``failed to load
checkpoint: EOF`` (a SIGKILL in ``test_kill_points`` landed there on 2026-12-02). The
checkpoint is whole; ``pulumi-datadog-testing repair`` removes the broken metadata file and
the stack works again, with nothing to change."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from tests.faults._harness import REPOSITORY, FaultStack, run_repair, seed_tests, spec
from tests.support.engine import PulumiSandbox

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.emulator]


def test_an_empty_checkpoint_metadata_file_is_repaired(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    seeded = seed_tests(emulator, 1)
    stack = FaultStack(pulumi_sandbox, emulator)
    stack.declare([
        spec("ServiceSettings", "settings", repository_id=REPOSITORY, service_name="svc",
             early_flake_detection_enabled=True),
        spec("FlakyTestState", "state", repository_id=REPOSITORY, test_id=seeded.ids[0],
             state="quarantined"),
    ])  # fmt: skip
    stack.up()
    (sidecar,) = pulumi_sandbox.backend_dir.glob(".pulumi/stacks/*/test.json.attrs")
    sidecar.write_bytes(b"")  # as a kill between the rename and the metadata write leaves it

    def pulumi(*args: str) -> subprocess.CompletedProcess[str]:
        return pulumi_sandbox.cli(*args, "--stack", "test", cwd=pulumi_sandbox.root / "program",
                                  check=False)  # fmt: skip

    broken = pulumi("stack", "export")
    assert broken.returncode != 0 and "failed to load checkpoint: EOF" in broken.stderr

    out = run_repair(stack)
    assert f"removed the empty or unreadable checkpoint metadata file {sidecar}" in out, out
    assert pulumi("stack", "export").returncode == 0
    again = run_repair(stack)  # nothing left to mend
    assert "checkpoint metadata" not in again and "no lock, nothing pending" in again, again
    stack.assert_no_changes()
    assert len(stack.resource_ids("FlakyTestState")) == 1
