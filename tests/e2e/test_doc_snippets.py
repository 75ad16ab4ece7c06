"""Every runnable code block of the user docs, run as written (tests/support/doc_blocks.py says
which blocks run and how they are marked otherwise).

The setting is the one the docs describe after ``scripts/quickstart --keep``: an emulator
seeded exactly like the quickstart's (250 flaky tests of ``github.com/acme/shop``, seed 7,
plus its named tests), its ``DD_HOST``/``DD_API_KEY``/``DD_APP_KEY`` in the environment, the
project's venv and engine on ``PATH`` and a fresh Pulumi backend. Python blocks are Pulumi
programs (``pulumi preview``, then ``pulumi up`` — with its own preview); bash blocks run with
``bash -e`` from a copy of the repository root. A block that starts its own emulator on the
documented default port gets a free port instead, so parallel runs never collide; whatever a
block leaves running is stopped afterwards.
"""

from __future__ import annotations

import os
import runpy
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pulumi_datadog_testing.emulator.server import DEFAULT_PORT
from tests.support.doc_blocks import ROOT, Block, doc_blocks
from tests.support.engine import PulumiSandbox

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer

pytestmark = [pytest.mark.e2e, pytest.mark.emulator]

RUNNABLE = [b for b in doc_blocks() if b.kind in ("program", "script", "bash")]
_NOT_COPIED = shutil.ignore_patterns(
    ".venv", ".git", ".demo", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"
)
_TIMEOUT = 600


def _quickstart() -> dict[str, Any]:
    return runpy.run_path(str(ROOT / "scripts" / "quickstart.py"), run_name="doc_snippets")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(sandbox: PulumiSandbox, emulator: EmulatorServer) -> dict[str, str]:
    venv = Path(sys.executable).parent.parent
    return {
        **os.environ,
        **sandbox.env(),
        **emulator.env(),
        "PDT_VENV": str(venv),
        "PDT_ENGINE_BIN": str(sandbox.engine_bin),
        # The user answering "yes" to `pulumi up`/`destroy` (which still preview first).
        "PULUMI_SKIP_CONFIRMATIONS": "true",
    }


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run in a new session (output to a file: a server the command leaves in the background
    keeps no pipe open); then stop whatever the command left running in that session."""
    log = cwd.parent / f"{cwd.name}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            proc.wait(timeout=_TIMEOUT)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return subprocess.CompletedProcess(command, proc.returncode, log.read_text(), "")


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.id for b in RUNNABLE])
def test_doc_block_runs_as_written(
    block: Block, pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer, tmp_path: Path
) -> None:
    quickstart = _quickstart()
    emulator.seed_flaky_tests(
        quickstart["REPOSITORY"], count=250, seed=7, tests=quickstart["NAMED_TESTS"]
    )
    env = _env(pulumi_sandbox, emulator)
    if block.kind == "program":
        project = tmp_path / "program"
        project.mkdir()
        (project / "Pulumi.yaml").write_text("name: doc-snippet\nruntime: python\n")
        (project / "__main__.py").write_text(block.text)
        steps = [["stack", "init", "doc"], ["preview"], ["up", "--yes"]]
        for step in steps:
            done = _run(["pulumi", *step, "--non-interactive"], project, env)
            assert done.returncode == 0, f"{block.id}: pulumi {' '.join(step)}\n{done.stdout}"
        return
    work = tmp_path / "repo"
    shutil.copytree(ROOT, work, ignore=_NOT_COPIED, symlinks=True)
    # What `scripts/quickstart --keep` leaves behind: its backend folder and emulator.env.
    demo = work / ".demo"
    (demo / "state").mkdir(parents=True)
    (demo / "emulator.env").write_text(
        "".join(f"export {k}={v}\n" for k, v in emulator.env().items())
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {**env, "HOME": str(home)}
    text = block.text.replace(str(DEFAULT_PORT), str(_free_port()))
    if block.kind == "script":
        command = [sys.executable, "-c", text]
    else:
        command = ["bash", "-e", "-o", "pipefail", "-c", text]
    done = _run(command, work, env)
    assert done.returncode == 0, f"{block.id}:\n{text}\n--- output ---\n{done.stdout}"
