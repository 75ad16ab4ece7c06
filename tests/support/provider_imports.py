"""What the dynamic-provider processes the CLI starts import, seen from outside: a
``sitecustomize`` put on ``PYTHONPATH`` runs in every Python process the engine spawns, and
each process running ``pulumi.dynamic`` logs the modules it loads, from its start.

Used to check that a no-change preview's provider process loads no pydantic
(docs/performance.md), as the engine really runs it (the unit test in
tests/unit/test_import_cost.py replays the hooks in one process).

A module loads through ``sys.meta_path`` however it is imported, so an observer first on it
sees each one; the ``import`` audit event alone does not: ``importlib.import_module`` raises
none. (The provider of ``PriorValues`` loads its owner's module that way, ``spec_of``: when the
engine's call for the ledger reached the provider process first, the owner's provider was
loaded unseen and the check found no process importing it - under pytest-xdist, where the
order of those calls changes.) Every Python process that runs the ``sitecustomize`` also logs
its start and exit, so a check that finds no provider process says what did run."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = ["ProviderImports", "provider_imports"]

_LOG_VAR = "PDT_TEST_PROVIDER_IMPORTS"
_SITECUSTOMIZE = f"""
import atexit, json, os, sys

_log = os.environ.get({_LOG_VAR!r})
_seen = set()


def _write(record):
    with open(_log, "a") as log:
        log.write(json.dumps(record) + "\\n")


def _provider():
    # The dynamic provider runs as `python -u -m pulumi.dynamic` (then argv[0] is its
    # __main__.py); a provider's __main__ run another way is known by argv[0] alone.
    argv, main = sys.orig_argv, getattr(sys, "argv", [""])[:1] or [""]
    module = argv[argv.index("-m") + 1 : argv.index("-m") + 2] if "-m" in argv else []
    return module == ["pulumi.dynamic"] or "pulumi/dynamic/" in main[0].replace(os.sep, "/")


def _loading(name):
    if name not in _seen and _provider():
        _seen.add(name)
        _write({{"pid": os.getpid(), "import": name}})


class _Observer:
    # First on sys.meta_path: asked for every module not loaded yet, however it is imported
    # (importlib.import_module raises no "import" audit event), then defers to the others.
    @staticmethod
    def find_spec(name, path=None, target=None):
        _loading(name)


def _hook(event, args):
    # The import statement and __import__, even past a finder put before the observer.
    if event == "import":
        _loading(args[0])


if _log:
    _write({{"pid": os.getpid(), "ppid": os.getppid(), "start": sys.orig_argv}})
    atexit.register(lambda: _write({{"pid": os.getpid(), "exit": sys.argv[:1]}}))
    sys.meta_path.insert(0, _Observer)
    sys.addaudithook(_hook)
"""


@dataclass
class ProviderImports:
    """What the Python processes started within a ``provider_imports`` block logged."""

    log: Path
    loaded: dict[int, set[str]] = field(default_factory=dict)
    """Per process id, the modules a dynamic-provider process loaded."""
    records: list[dict[str, Any]] = field(default_factory=list)

    def read(self) -> None:
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        self.records = [json.loads(line) for line in lines]
        for record in self.records:
            if "import" in record:
                self.loaded.setdefault(record["pid"], set()).add(record["import"])

    def importing(self, module: str) -> set[str]:
        """The modules loaded by the one provider process that imported ``module``; fails
        with everything the processes logged when there is not exactly one."""
        found = [modules for modules in self.loaded.values() if module in modules]
        assert len(found) == 1, (
            f"{len(found)} dynamic-provider processes imported {module}, expected 1\n"
            + self.describe()
        )
        return found[0]

    def describe(self) -> str:
        """Each process that ran the sitecustomize: argv, parent, imports logged, exit."""
        if not self.log.exists():
            return f"no process logged anything: {self.log} does not exist"
        out = [f"log {self.log}:"]
        for record in self.records:
            pid = record["pid"]
            if "start" in record:
                imports = self.loaded.get(pid, set())
                out.append(
                    f"  pid {pid} (parent {record['ppid']}) started {record['start']};"
                    f" provider imports logged: {len(imports)}"
                    + (f" (e.g. {sorted(imports)[:5]})" if imports else "")
                )
            elif "exit" in record:
                out.append(f"  pid {pid} exited (argv[0] {record['exit']})")
        started = {r["pid"] for r in self.records if "start" in r}
        out += [
            f"  pid {pid} logged imports, no start" for pid in self.loaded if pid not in started
        ]
        return "\n".join(out)


@contextmanager
def provider_imports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ProviderImports]:
    """Within the block, the engine's dynamic-provider processes log what they load; on exit
    the result holds, per process id, the modules each one loaded."""
    site = tmp_path / "provider-imports"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    seen = ProviderImports(log=site / "imports.log")
    with monkeypatch.context() as patched:
        patched.setenv("PYTHONPATH", str(site), prepend=os.pathsep)
        patched.setenv(_LOG_VAR, str(seen.log))
        yield seen
    seen.read()
