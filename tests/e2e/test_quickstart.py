"""README command (a) end to end: the quickstart driver against the emulator, real CLI."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from pulumi_datadog_testing.emulator import EmulatorServer
from tests.support.emulator import emulator_stack
from tests.support.engine import ROOT, VENV_BIN, PulumiSandbox

pytestmark = pytest.mark.e2e


def test_quickstart_up_then_no_change_preview(
    pulumi_sandbox: PulumiSandbox, tmp_path: Path
) -> None:
    env = {**os.environ, **pulumi_sandbox.env(), "PULUMI_HOME": "", "PULUMI_BACKEND_URL": ""}
    env = {k: v for k, v in env.items() if v}
    proc = subprocess.run(
        [
            str(VENV_BIN / "python"),
            str(ROOT / "scripts" / "quickstart.py"),
            "--workdir",
            str(tmp_path / "demo"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "+ 12 created" in out  # 10 resources, the PriorValues ledger, the stack
    assert "12 unchanged" in out
    assert "datadog-testing-guardrails@v0.1.0" in out  # the policy pack ran, and passed
    assert (
        "created: 1 FlakyTestPolicies, 4 FlakyTestState, 4 ServiceSettings, 1 SyntheticsSuite"
        in out
    )
    assert "+ 1 PriorValues" in out
    assert "API calls made by the no-change `pulumi preview`: 0" in out
    assert not (ROOT / "Pulumi.quickstart.yaml").read_text().count("secure:"), (
        "no secret written to the repo"
    )
    assert_generate_reproduces_the_example(
        tmp_path / "demo" / "emulator.db", tmp_path, pulumi_sandbox
    )


ADOPTED_SUITE = re.compile(r'public_id="[^"]+",(  # adopted)')


def assert_generate_reproduces_the_example(
    database: Path, tmp_path: Path, sandbox: PulumiSandbox
) -> None:
    """`generate` on the state the quickstart left writes examples/adopt-with-generate
    (whose README walks through it), apart from the suite's random public id, and the ready
    policy pack accepts that program."""
    out = tmp_path / "adopt-with-generate"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DD_", "DATADOG_"))}
    with EmulatorServer(db=database) as emulator:
        done = subprocess.run(
            [str(VENV_BIN / "pulumi-datadog-testing"), "generate",
             "--repository", "github.com/acme/shop", "--out", str(out)],
            env={**env, **emulator.env()}, capture_output=True, text=True, timeout=120,
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        emulator.clear_calls()
        work_dir = Path(emulator_stack(sandbox, emulator, out).workspace.work_dir)
        preview = sandbox.cli(
            "preview", "--stack", "test", "--policy-pack", str(ROOT / "policy-pack" / "run"),
            cwd=work_dir, check=False,
        )  # fmt: skip
        assert preview.returncode == 0, preview.stdout + preview.stderr
        assert "+ 11 to create" in preview.stdout  # 9 resources, the PriorValues ledger, the stack
        assert emulator.calls() == []
    assert "70 of 254 flaky tests not active" in done.stderr
    example = ROOT / "examples" / "adopt-with-generate"
    for name in ("__main__.py", "Pulumi.yaml"):
        generated = ADOPTED_SUITE.sub(r'public_id="…",\1', (out / name).read_text())
        expected = ADOPTED_SUITE.sub(r'public_id="…",\1', (example / name).read_text())
        assert generated == expected, f"regenerate examples/adopt-with-generate/{name}"
