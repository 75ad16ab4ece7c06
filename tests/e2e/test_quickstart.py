"""README command (a) end to end: the quickstart driver against the emulator, real CLI."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

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
    assert "+ 11 created" in out
    assert "11 unchanged" in out
    assert "datadog-testing-guardrails@v0.1.0" in out  # the policy pack ran, and passed
    assert (
        "created: 1 FlakyTestPolicies, 4 FlakyTestState, 4 ServiceSettings, 1 SyntheticsSuite"
        in out
    )
    assert "API calls made by the no-change `pulumi preview`: 0" in out
    assert not (ROOT / "Pulumi.quickstart.yaml").read_text().count("secure:"), (
        "no secret written to the repo"
    )
