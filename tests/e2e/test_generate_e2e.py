"""``generate`` on a brownfield org, then the generated program through the real CLI:
``pulumi up`` (with its preview) adopts everything without a single write, the following
``pulumi preview --expect-no-changes`` makes no API call, the server is the same before and
after, and ``pulumi destroy`` leaves it the same too (adopted values restored = unchanged,
adopted suites kept)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pulumi_datadog_testing.emulator import EmulatorServer
from tests.support.brownfield import SHOP, WEB, seed_brownfield, server_state, writes
from tests.support.emulator import emulator_stack
from tests.support.engine import VENV_BIN, PulumiSandbox

pytestmark = pytest.mark.e2e


def test_generated_program_adopts_a_brownfield_org_without_changing_it(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer, tmp_path: Path
) -> None:
    brownfield = seed_brownfield(emulator)
    before = server_state(emulator, brownfield)

    out = tmp_path / "adopted"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "DATADOG_"))}
    done = subprocess.run(
        [str(VENV_BIN / "pulumi-datadog-testing"), "generate",
         "--repository", SHOP, "--repository", WEB, "--out", str(out)],
        env={**env, **emulator.env()}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "summary:" in done.stderr and "wrote" in done.stderr
    assert writes(emulator) == []
    emulator.clear_calls()

    stack = emulator_stack(pulumi_sandbox, emulator, out)
    work_dir = Path(stack.workspace.work_dir)
    up = pulumi_sandbox.cli("up", "--yes", "--stack", "test", "--suppress-progress", cwd=work_dir)
    assert "Previewing update" in up.stdout  # the CLI's up previews first
    # stack + 4 ServiceSettings + 2 FlakyTestPolicies + 4 FlakyTestStates + 2 SyntheticsSuite,
    # and the stack's PriorValues ledger (a generated program's inputs are plain values)
    assert "+ 14 created" in up.stdout, up.stdout
    assert writes(emulator) == [], "adopting must not write"
    emulator.clear_calls()

    pulumi_sandbox.cli("preview", "--expect-no-changes", "--stack", "test", cwd=work_dir)
    assert emulator.calls() == []
    assert server_state(emulator, brownfield) == before

    resources = (stack.export_stack().deployment or {})["resources"]
    suites = [r for r in resources if r["type"].endswith(":SyntheticsSuite")]
    assert sorted(r["id"] for r in suites) == sorted(brownfield.suite_ids)
    assert all(r["outputs"]["adopted"]["name"] == r["outputs"]["name"] for r in suites)

    pulumi_sandbox.cli("destroy", "--yes", "--stack", "test", cwd=work_dir)
    assert writes(emulator) == []  # everything is as adopted: nothing to put back
    assert server_state(emulator, brownfield) == before
