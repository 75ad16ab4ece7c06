"""The SDKs of the native plugin in the tree (Python, TypeScript; scripts/setup generates them)
are what the generator makes of the schema the plugin serves now."""

from __future__ import annotations

import filecmp
import subprocess
from pathlib import Path

import pytest

from tests.support.engine import ROOT, require

pytestmark = pytest.mark.e2e
COMMITTED = {
    "python": ROOT / "provider" / "pulumi_datadog_testing" / "native",
    "nodejs": ROOT / "sdk" / "nodejs",
}


def _files(folder: Path) -> set[str]:
    skip = {"__pycache__", "node_modules", "bin"}
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and not skip.intersection(p.relative_to(folder).parts)
    }


def test_generated_sdks_match_the_schema(engine_bin: Path, tmp_path: Path) -> None:
    generated = {language: tmp_path / language for language in COMMITTED}
    run = subprocess.run(
        [str(ROOT / "scripts" / "gen-sdk"), str(generated["python"]), str(generated["nodejs"])],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    require(
        run.returncode == 0, "the SDK generator", f"scripts/gen-sdk failed: {run.stderr[-2000:]}"
    )
    for language, committed in COMMITTED.items():
        fresh = generated[language]
        assert _files(fresh) == _files(committed), language
        stale = [
            n
            for n in sorted(_files(fresh))
            if not filecmp.cmp(fresh / n, committed / n, shallow=False)
        ]
        assert stale == [], f"run scripts/setup (or scripts/gen-sdk): {language} {stale} differ"
