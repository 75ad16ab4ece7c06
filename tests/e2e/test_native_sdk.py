"""The committed Python SDK of the native plugin is what the generator makes of the schema."""

from __future__ import annotations

import filecmp
import subprocess
from pathlib import Path

import pytest

from tests.support.engine import ROOT, require

pytestmark = pytest.mark.e2e
COMMITTED = ROOT / "provider" / "pulumi_datadog_testing" / "native"


def _files(folder: Path) -> set[str]:
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_committed_sdk_matches_the_schema(engine_bin: Path, tmp_path: Path) -> None:
    generated = tmp_path / "native"
    run = subprocess.run(
        [str(ROOT / "scripts" / "gen-sdk"), str(generated)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    require(
        run.returncode == 0, "the SDK generator", f"scripts/gen-sdk failed: {run.stderr[-2000:]}"
    )
    assert _files(generated) == _files(COMMITTED)
    stale = [
        n
        for n in sorted(_files(generated))
        if not filecmp.cmp(generated / n, COMMITTED / n, shallow=False)
    ]
    assert stale == [], f"run scripts/gen-sdk and commit: {stale} differ from the schema"
