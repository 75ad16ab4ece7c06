"""The ready pack and starter packs as files, so a pack runs from the installed package alone.

A Python policy pack is a folder (``PulumiPolicy.yaml`` + ``__main__.py``) that the engine
starts through the Python language host, or an executable the engine runs directly. The
language host v3.79 (the one this project builds) cannot start a folder pack with the
current engine, so every pack written here also gets ``run``: a launcher that execs
pulumi-policy's runner (``python -m pulumi.policy <args> <folder>``). Pass ``.../run`` to
``--policy-pack`` with any engine that runs executable packs; pass the folder with an
official Pulumi install whose language host starts folder packs.

- ``serve()`` is the ready pack (``datadog-testing-guardrails``): ``all_policies()`` — the one
  table ``POLICIES`` — at their declared levels.
- ``materialise_ready_pack()`` writes the ready pack into the user cache, keyed by package
  version and Python, idempotently and safely under concurrent calls (each file is written
  to a temporary name and renamed over; identical content is left alone).
- ``write_starter_pack()`` writes a pack of the user's own that composes the library.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .. import __version__
from . import PACK_NAME, all_policies

__all__ = [
    "CACHE_ENV",
    "LAUNCHER",
    "PACK_DESCRIPTION",
    "STARTER_EXAMPLE_CONFIG",
    "STARTER_INITIAL_CONFIG",
    "PackFile",
    "PackFolderError",
    "cache_root",
    "materialise_ready_pack",
    "ready_pack_files",
    "serve",
    "starter_pack_files",
    "write_starter_pack",
]

PACK_DESCRIPTION: Final = (
    "Guard-rails for Datadog Test Optimization service settings, flaky-test states "
    "and policies, and Synthetics suites managed with pulumi-datadog-testing."
)
LAUNCHER: Final = "run"
"""The executable every pack written here carries (pass ``<folder>/run`` to --policy-pack)."""
CACHE_ENV: Final = "PULUMI_DATADOG_TESTING_CACHE_DIR"
"""Overrides the cache directory (default ``$XDG_CACHE_HOME`` or ``~/.cache``, + our name)."""

_PACK_NAME_RE: Final = re.compile(r"^[A-Za-z0-9._-]{1,100}$")  # what the engine accepts


@dataclass(frozen=True)
class PackFile:
    """One file of a pack: its text and whether it is executable."""

    text: str
    executable: bool = False


class PackFolderError(RuntimeError):
    """A pack folder cannot be written (files in the way, bad name, unwritable place)."""


def serve() -> None:
    """Start the ready pack (blocks: this is what the pack's ``__main__.py`` calls)."""
    from pulumi_policy import EnforcementLevel, PolicyPack

    PolicyPack(
        name=PACK_NAME,
        policies=all_policies(),
        enforcement_level=EnforcementLevel.ADVISORY,  # only for a policy without its own level
        description=PACK_DESCRIPTION,
    )


# --- file contents -------------------------------------------------------------------------


def _launcher(pack: str, python: str | None) -> PackFile:
    """The ``run`` launcher; ``python`` baked in, else ``$PULUMI_PYTHON_CMD`` or ``python3``."""
    if python is None:
        chooser = (
            "# Python: $PULUMI_PYTHON_CMD, else venv/bin/python in this folder, else python3.\n"
            "python=${PULUMI_PYTHON_CMD:-}\n"
            'if [ -z "$python" ] && [ -x "$here/venv/bin/python" ]; then python="$here/venv/bin/python"; fi\n'
            'exec "${python:-python3}" -u -m pulumi.policy "$@" "$here"\n'
        )
    else:
        chooser = (
            "# Python: the one that has pulumi-datadog-testing installed (it wrote this file).\n"
            f'exec {shlex.quote(python)} -u -m pulumi.policy "$@" "$here"\n'
        )
    return PackFile(
        "#!/bin/sh\n"
        f"# Executable entry point of the {pack} policy pack: pass this file to --policy-pack.\n"
        "# The engine runs an executable pack directly (with optional logging flags, then its\n"
        "# own address) and reads PulumiPolicy.yaml beside it; pulumi-policy's runner then runs\n"
        "# this folder's __main__.py. Needed where the Python language host cannot start a\n"
        "# folder pack (the v3.79 host); any engine that runs executable packs accepts it.\n"
        'here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)\n' + chooser,
        executable=True,
    )


def _project(description: str, virtualenv: str | None) -> PackFile:
    lines = ["runtime: python", f"version: {__version__}", f"description: {description}"]
    if virtualenv is not None:
        # For an official Pulumi install given the folder: its language host runs the pack
        # with this virtualenv (the one that has the package). The launcher ignores it.
        lines[0:1] = ["runtime:", "  name: python", "  options:", f"    virtualenv: {virtualenv}"]
    return PackFile("\n".join(lines) + "\n")


_READY_MAIN: Final = '''"""The datadog-testing-guardrails policy pack: every policy of pulumi_datadog_testing.policy.

The policies, their config schemas, defaults and levels live in the package; this file only
starts the pack (``pulumi_datadog_testing.policy.pack.serve``). Without --policy-pack-config
each policy runs at its declared level with its schema's defaults.
"""

from pulumi_datadog_testing.policy.pack import serve

if __name__ == "__main__":  # pulumi-policy's runner executes this file as __main__
    serve()
'''


def ready_pack_files(
    python: str | None = None, virtualenv: str | None = None
) -> dict[str, PackFile]:
    """The ready pack's files. ``python``: the interpreter the launcher runs (``None``: the
    repository's ``policy-pack/`` form, choosing it at run time); ``virtualenv``: the one an
    official language host should run the folder with."""
    return {
        "PulumiPolicy.yaml": _project(
            "Guard-rails for pulumi-datadog-testing resources "
            "(service settings, flaky tests, Synthetics suites).",
            virtualenv,
        ),
        "__main__.py": PackFile(_READY_MAIN),
        LAUNCHER: _launcher(PACK_NAME, python),
    }


_STARTER_MAIN: Final = '''"""{name}: a policy pack of our own, composed from pulumi_datadog_testing.policy.

Written by `pulumi-datadog-testing policy-pack --init`; edit it freely. Each policy keeps its
declared level (below, or the library's default) unless a config sets "enforcementLevel"
explicitly: tuning a threshold in initial_config or --policy-pack-config keeps it mandatory.

Run it: pulumi preview --policy-pack path/to/{folder}/run [--policy-pack-config FILE]
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from pulumi_datadog_testing.policy import SUITE_OWNER_TAG, all_policies, suite_owner_tag

# Every policy of the library at its default level, with one made stricter.
policies = [policy for policy in all_policies() if policy.name != SUITE_OWNER_TAG]
policies.append(suite_owner_tag(EnforcementLevel.MANDATORY))

if __name__ == "__main__":  # pulumi-policy's runner executes this file as __main__
    PolicyPack(
        name="{name}",
        policies=policies,
        enforcement_level=EnforcementLevel.ADVISORY,  # only for a policy without its own level
        # Our organisation's defaults; a --policy-pack-config file still overrides them.
        initial_config={initial_config},
    )
'''

STARTER_INITIAL_CONFIG: Final[Mapping[str, Mapping[str, object]]] = {
    "flaky-test-quarantine-cap": {"max_per_repository": 20},
    "flaky-quarantine-expiry": {"warn_days": 14},
}
"""What the starter pack's ``initial_config`` sets (thresholds only: levels stay declared)."""

STARTER_EXAMPLE_CONFIG: Final[Mapping[str, object]] = {
    "flaky-test-quarantine-cap": {"repository_limits": {"github.com/acme/legacy-monolith": 100}},
    "suite-alerting-threshold": {"min_threshold": 0.25},
    "suite-owner-tag": {"enforcementLevel": "advisory"},
}
"""The starter's ``policy-config.example.json``: thresholds, and one explicit level change."""


def _python_literal(value: Mapping[str, object]) -> str:
    """``value`` as Python source (JSON's literals plus True/False/None)."""
    text = json.dumps(value, indent=4)
    text = text.replace("true", "True").replace("false", "False").replace("null", "None")
    return text.replace("\n", "\n        ")


def starter_pack_files(name: str, folder: str = "policy-pack") -> dict[str, PackFile]:
    """The files of a starter pack named ``name`` (its folder name ``folder`` for the docs)."""
    if not _PACK_NAME_RE.match(name):
        raise PackFolderError(
            f"pack name {name!r} is not valid: use 1-100 letters, digits, '.', '_' or '-'"
        )
    main = _STARTER_MAIN.replace("{name}", name).replace("{folder}", folder)
    main = main.replace("{initial_config}", _python_literal(STARTER_INITIAL_CONFIG))
    return {
        "PulumiPolicy.yaml": _project(
            "Guard-rails composed from pulumi-datadog-testing's policy library.", None
        ),
        "__main__.py": PackFile(main),
        LAUNCHER: _launcher(name, None),
        "requirements.txt": PackFile(
            "# What the Python that runs this pack needs (the launcher prefers ./venv):\n"
            "#   python3 -m venv venv && venv/bin/pip install -r requirements.txt\n"
            "pulumi-policy>=1.21,<2\n"
            f"pulumi-datadog-testing=={__version__}\n"
        ),
        "policy-config.example.json": PackFile(json.dumps(STARTER_EXAMPLE_CONFIG, indent=2) + "\n"),
    }


# --- writing -------------------------------------------------------------------------------


def cache_root() -> Path:
    """Where materialised packs live: ``$PULUMI_DATADOG_TESTING_CACHE_DIR``, else the user
    cache (``$XDG_CACHE_HOME`` or ``~/.cache``) + ``pulumi-datadog-testing``."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pulumi-datadog-testing"


def _matches(path: Path, file: PackFile) -> bool:
    try:
        same = path.read_text() == file.text
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return False
    return same and (not file.executable or os.access(path, os.X_OK))


def _write_atomically(path: Path, file: PackFile) -> None:
    """Write via a temporary file renamed over ``path``: a reader (or a concurrent writer of
    the same content) never sees a partial file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as out:
            out.write(file.text)
        os.chmod(temporary, 0o755 if file.executable else 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _write_files(folder: Path, files: Mapping[str, PackFile]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, file in files.items():
        if not _matches(folder / name, file):
            _write_atomically(folder / name, file)


def materialise_ready_pack(root: Path | None = None, python: str | None = None) -> Path:
    """The ready pack's folder, written if missing or stale, for ``python`` (default: this
    interpreter). Keyed by package version and interpreter, so venvs never share a launcher."""
    python = python or sys.executable
    in_venv = python == sys.executable and sys.prefix != sys.base_prefix
    key = hashlib.sha256(python.encode()).hexdigest()[:12]
    folder = (root or cache_root()) / "policy-pack" / __version__ / key
    try:
        _write_files(folder, ready_pack_files(python, sys.prefix if in_venv else None))
    except OSError as exc:
        raise PackFolderError(
            f"cannot write the policy pack to {folder}: {exc.strerror or exc} "
            f"(set {CACHE_ENV} to a writable directory)"
        ) from None
    return folder


def write_starter_pack(folder: Path, name: str | None = None, force: bool = False) -> list[Path]:
    """Write a starter pack into ``folder``; refuses to replace existing files unless
    ``force``. Returns the files written."""
    name = name or _name_from(folder)
    files = starter_pack_files(name, folder.name or "policy-pack")
    if folder.exists() and not folder.is_dir():
        raise PackFolderError(f"{folder} exists and is not a directory")
    existing = sorted(n for n in files if (folder / n).exists() or (folder / n).is_symlink())
    if existing and not force:
        raise PackFolderError(
            f"{folder} already has {', '.join(existing)}; pass --force to overwrite "
            "(other files in the folder are left alone)"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for file_name, file in files.items():
            _write_atomically(folder / file_name, file)
    except OSError as exc:
        raise PackFolderError(f"cannot write the starter pack to {folder}: {exc}") from None
    return [folder / file_name for file_name in files]


def _name_from(folder: Path) -> str:
    """A pack name from the folder: ``acme-guardrails`` for ``./acme guardrails/``."""
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", folder.resolve().name).strip("-.")[:100]
    if not base or base.lower() in {"policy-pack", "policy", "policies", "pack"}:
        return f"{PACK_NAME}-custom"
    return base
