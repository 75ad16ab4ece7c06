"""Format generated source with ruff when it is installed (the package's ``dev`` extra).

ruff is not a runtime dependency, so a missing ruff is not an error: the source is already
valid, readable Python (the renderer indents it), only not normalised. ``format_source``
says which happened so the command can tell the user on stderr.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

__all__ = ["LINE_LENGTH", "format_source", "ruff_command"]

LINE_LENGTH: Final = 100
TIMEOUT_SECONDS: Final = 60


def ruff_command() -> list[str] | None:
    """How to run ruff: the ``ruff`` package's binary, else one on ``PATH``, else ``None``."""
    try:  # the ruff package knows where its binary is (not typed: imported by name)
        found_bin = importlib.import_module("ruff.__main__").find_ruff_bin
        return [os.fsdecode(found_bin())]
    except (ImportError, AttributeError, FileNotFoundError):
        pass
    beside = Path(sys.executable).parent / "ruff"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("ruff")
    return [found] if found else None


def format_source(source: str) -> tuple[str, str | None]:
    """``(source, None)`` formatted by ruff, or ``(source unchanged, why not)``."""
    command = ruff_command()
    if command is None:
        return source, "ruff is not installed (pip install ruff)"
    try:
        done = subprocess.run(
            [*command, "format", "--isolated", f"--line-length={LINE_LENGTH}",
             "--stdin-filename", "__main__.py", "-"],
            input=source,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        return source, f"running ruff failed ({exc})"
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return source, f"ruff format failed ({detail})"
    return done.stdout, None
