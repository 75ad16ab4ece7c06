"""The real ``pulumi`` CLI in an isolated, offline workspace, timed from outside.

Each ``Workspace`` has its own ``PULUMI_HOME``, a ``file://`` backend and a copy of the
benchmark program; commands run the engine binary the project builds
(``scripts/install-pulumi``), with ``pdt_bench`` on ``PYTHONPATH`` for the program and the
dynamic-provider process. ``run()`` measures wall time, the CPU time of the whole
command tree (``RUSAGE_CHILDREN`` of the waited-for process and its descendants) and the
peak resident memory of its Python processes by role (``RssWatch``).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Self

__all__ = [
    "BENCH_ROOT",
    "CommandFailed",
    "RssWatch",
    "Timed",
    "Workspace",
    "engine_bin",
    "pulumi_version",
]

BENCH_ROOT: Final = Path(__file__).resolve().parents[1]
REPO_ROOT: Final = BENCH_ROOT.parent
VENV_BIN: Final = Path(os.environ.get("PDT_VENV", REPO_ROOT / ".venv")) / "bin"
PASSPHRASE: Final = "pulumi-datadog-testing-bench"
STACK: Final = "bench"


class CommandFailed(RuntimeError):
    """A pulumi command exited non-zero (message: the command and its output's tail)."""


@dataclass(frozen=True)
class Timed:
    """One command's outcome: wall and CPU seconds, exit code, combined output."""

    wall_s: float
    cpu_s: float
    returncode: int
    output: str
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    """Peak resident memory (MB) per role: ``provider``, ``program``, ``script``."""

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


def engine_bin() -> Path:
    """The directory holding ``pulumi`` and the Python plugins (``PDT_ENGINE_BIN`` or the
    project's cached build); ``FileNotFoundError`` with the fix when it is missing."""
    explicit = os.environ.get("PDT_ENGINE_BIN")
    if explicit and (Path(explicit) / "pulumi").exists():
        return Path(explicit)
    script = REPO_ROOT / "scripts" / "install-pulumi"
    found = subprocess.run(
        [str(script), "--print-dir"], capture_output=True, text=True, check=False
    )
    path = Path(found.stdout.strip())
    if found.returncode != 0 or not (path / "pulumi").exists():
        raise FileNotFoundError("the Pulumi engine is not installed: run scripts/setup first")
    return path


def pulumi_version(bin_dir: Path) -> str:
    out = subprocess.run(
        [str(bin_dir / "pulumi"), "version"], capture_output=True, text=True, check=False
    )
    return out.stdout.strip()


@dataclass
class Workspace:
    """A copy of ``program`` under ``root`` with a stack ``bench`` on a local backend."""

    bin_dir: Path
    root: Path
    program: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 900.0

    @property
    def work_dir(self) -> Path:
        return self.root / "program"

    def env(self) -> dict[str, str]:
        home, backend = self.root / "pulumi-home", self.root / "state"
        home.mkdir(parents=True, exist_ok=True)
        backend.mkdir(parents=True, exist_ok=True)
        path = os.pathsep.join([str(VENV_BIN), str(self.bin_dir), os.environ.get("PATH", "")])
        python_path = os.pathsep.join(
            p for p in (str(BENCH_ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        return {
            **os.environ,
            "PATH": path,
            "PYTHONPATH": python_path,
            "PULUMI_HOME": str(home),
            "PULUMI_BACKEND_URL": f"file://{backend}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_PYTHON_CMD": str(VENV_BIN / "python"),
            **self.extra_env,
        }

    def init(self, config: Mapping[str, str], secrets: Mapping[str, str] = {}) -> None:
        """Copy the program and create the stack with ``config`` (plain) and ``secrets``."""
        if self.work_dir.exists():
            shutil.rmtree(self.work_dir)
        shutil.copytree(self.program, self.work_dir)
        self.run("stack", "init", STACK, check=True)
        self.configure(config, secrets)

    def configure(self, config: Mapping[str, str], secrets: Mapping[str, str] = {}) -> None:
        args = [f"--plaintext={k}={v}" for k, v in config.items()]
        args += [f"--secret={k}={v}" for k, v in secrets.items()]
        if args:
            self.run("config", "set-all", *args, check=True)

    def run(self, *args: str, check: bool = False) -> Timed:
        """Run ``pulumi <args> --non-interactive`` in the program directory, timed."""
        timed = self.timed([str(self.bin_dir / "pulumi"), *args, "--non-interactive"])
        if check and timed.returncode != 0:
            raise CommandFailed(
                f"pulumi {' '.join(args[:3])} failed ({timed.returncode}):\n{timed.tail()}"
            )
        return timed

    def run_script(self, *args: str) -> Timed:
        """Run ``python -m <args>`` (the hand-written script) with the same environment."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        return self.timed([str(VENV_BIN / "python"), "-m", *args])

    def timed(self, command: Sequence[str]) -> Timed:
        """Run ``command`` in the program directory: wall, CPU, exit code, output, RSS.

        Wall time ends when the command exits (its output goes to a file)."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as out:
            start = time.perf_counter()
            process = subprocess.Popen(
                command,
                cwd=self.work_dir,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            with RssWatch(process.pid) as rss:
                try:
                    code = process.wait(timeout=self.timeout_s)
                    suffix = ""
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                    code = -9
                    suffix = f"\n[timed out after {self.timeout_s:.0f}s]"
            wall = time.perf_counter() - start
            out.seek(0)
            output = out.read() + suffix
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return Timed(wall, cpu, code, output, rss.peaks())


class RssWatch:
    """Samples the process tree under ``root`` every ``interval`` seconds and keeps the peak
    resident memory (``VmHWM``, the kernel's own high-water mark) of each Python process by
    role: the dynamic provider (``-m pulumi.dynamic``), the program (the language host's
    Python) and the script (``-m pdt_bench.hand``). Linux ``/proc`` only; elsewhere empty."""

    ROLES: Final = (
        ("provider", "pulumi.dynamic"),
        ("program", "pulumi-language-python-exec"),
        ("script", "pdt_bench.hand"),
    )

    def __init__(self, root: int, interval: float = 0.05) -> None:
        self.root = root
        self.interval = interval
        self._peak_kb: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peaks(self) -> dict[str, float]:
        return {role: round(kb / 1024, 1) for role, kb in sorted(self._peak_kb.items())}

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        for pid in self._tree():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            role = next((r for r, marker in self.ROLES if marker.encode() in cmdline), None)
            hwm = next((ln.split()[1] for ln in status.splitlines() if ln.startswith("VmHWM")), "")
            if role and hwm.isdigit():
                self._peak_kb[role] = max(self._peak_kb.get(role, 0), int(hwm))

    def _tree(self) -> list[int]:
        """``root`` and its descendants (from each process's parent id in ``/proc``)."""
        children: dict[int, list[int]] = {}
        try:
            entries = [e for e in os.listdir("/proc") if e.isdigit()]
        except OSError:
            return []
        for entry in entries:
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, ()))
        return tree
