"""What the dynamic-provider processes the CLI starts import, seen from outside: a
``sitecustomize`` put on ``PYTHONPATH`` adds an audit hook to every Python process the
engine spawns, and each process running ``pulumi.dynamic`` logs the modules it loads.

Used to check that a no-change preview's provider process loads no pydantic
(docs/performance.md), as the engine really runs it (the unit test in
tests/unit/test_import_cost.py replays the hooks in one process)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["provider_imports"]

_LOG_VAR = "PDT_TEST_PROVIDER_IMPORTS"
_SITECUSTOMIZE = f"""
import os, sys

_log = os.environ.get({_LOG_VAR!r})


def _hook(event, args):
    # argv[0] is the dynamic provider's __main__ once it runs (not yet at startup)
    if event == "import" and "pulumi/dynamic/" in sys.argv[0].replace(os.sep, "/"):
        with open(_log, "a") as log:
            log.write(f"{{os.getpid()}} {{args[0]}}\\n")


if _log:
    sys.addaudithook(_hook)
"""


@contextmanager
def provider_imports(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[dict[int, set[str]]]:
    """Within the block, the engine's dynamic-provider processes log what they import; on
    exit the dict holds, per process id, the modules each one loaded (after its start)."""
    site = tmp_path / "provider-imports"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    log = site / "imports.log"
    loaded: dict[int, set[str]] = {}
    with monkeypatch.context() as patched:
        patched.setenv("PYTHONPATH", str(site), prepend=os.pathsep)
        patched.setenv(_LOG_VAR, str(log))
        yield loaded
    for line in log.read_text().splitlines() if log.exists() else []:
        pid, _, module = line.partition(" ")
        loaded.setdefault(int(pid), set()).add(module)
