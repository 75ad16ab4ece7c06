"""``pulumi-datadog-testing repair``: recover a stack after ``pulumi up`` was killed.

A killed run (two Ctrl-C, a cancelled CI job, SIGKILL of ``pulumi`` or of the provider
process) can leave four things behind; this command deals with each, through the ``pulumi``
CLI on PATH (``stack export``/``stack import``/``cancel``/``refresh``):

0. **A checkpoint's empty metadata file.** The file backend writes each checkpoint to a
   temporary file and renames it, then writes its metadata beside it
   (``<stack>.json.attrs``) in place: a kill in between leaves that file empty, and every
   later command fails with ``failed to load checkpoint: EOF`` (seen on 2026-12-02 when a
   test killed ``pulumi up``). The checkpoint itself is whole; ``repair`` removes the
   empty or unreadable metadata file (the backend reads a checkpoint without one).
1. **A stale lock.** The file backend keeps one lock file per running update
   (``.pulumi/locks/<org>/<project>/<stack>/<id>.json``: pid, user, host, time). A lock whose
   process is gone blocks every later command. ``repair`` shows it and, after confirmation
   (or ``--yes``), removes it with ``pulumi cancel``. It refuses while the process that holds
   the lock is alive, and asks before removing a lock taken on another host (it cannot check).
2. **Pending creates** (``pulumi`` itself was killed): a ``SyntheticsSuite`` whose suite exists
   is adopted when exactly one suite, not claimed by another resource of the stack, has the
   exact name and the declared values; service settings, flaky-test states and policies are
   recorded as managed with the prior values their ``PriorValues`` saved before any write.
   Everything else pending is dropped (the next ``up`` does it again).
3. **A create that failed with nothing pending** (the provider process was killed): a
   ``PriorValues`` in state whose resource is missing means that resource may have written;
   the resource is added back from the inputs and prior values saved there. A suite create
   the engine never recorded is found through ``pulumi preview --json``: each suite create it
   plans adopts the one unclaimed suite that matches exactly.

Then ``pulumi refresh`` reads every resource back. Running it again finds nothing to do.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

NAME = "repair"
HELP = "recover a stack after a killed `pulumi up`: stale lock, pending creates, refresh"
DESCRIPTION = __doc__.split("\n\n", 1)[1] if __doc__ else HELP

_TYPE_PREFIX = "pulumi-python:dynamic/datadog-testing:"
_PRIORS_TYPE = _TYPE_PREFIX + "PriorValues"
_SUITE_TYPE = _TYPE_PREFIX + "SyntheticsSuite"


class RepairError(Exception):
    """A reason to stop, said in one line."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", "-s", help="the stack (default: the selected stack)")
    parser.add_argument(
        "--cwd", "-C", type=Path, default=None, help="the Pulumi project directory (default: .)"
    )
    parser.add_argument(
        "--yes", "-y", action="store_true", help="remove a stale lock without asking"
    )


def run(args: argparse.Namespace) -> int:
    cwd = (args.cwd or Path.cwd()).resolve()
    try:
        return _repair(_Pulumi(cwd, args.stack), assume_yes=bool(args.yes))
    except RepairError as error:
        print(f"repair: {error}", file=sys.stderr)
        return 1


# --------------------------------------------------------------------------- the CLI


@dataclass
class _Pulumi:
    cwd: Path
    stack: str | None

    def __post_init__(self) -> None:
        self.binary = shutil.which("pulumi")
        if self.binary is None:
            raise RepairError("the `pulumi` CLI is not on PATH")
        if not self.cwd.is_dir():
            raise RepairError(f"--cwd {self.cwd}: not a directory")
        if self.stack is None:
            self.stack = self.run("stack", "--show-name", stack=False).strip()

    def run(self, *args: str, stack: bool = True, show: bool = False) -> str:
        command = [str(self.binary), *args, "--non-interactive"]
        if stack and self.stack:
            command += ["--stack", self.stack]
        result = subprocess.run(
            command,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=None if show else subprocess.PIPE,
            stderr=None if show else subprocess.PIPE,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout or "").strip() if not show else ""
            raise RepairError(
                f"`pulumi {' '.join(args)}` failed" + (f": {detail}" if detail else "")
            )
        return result.stdout or ""


# ---------------------------------------------------------------------------- locks


@dataclass
class Lock:
    """One lock file of the file backend."""

    path: Path
    pid: int | None
    user: str
    host: str
    since: str

    def holder(self) -> str:
        return f"pid {self.pid} of {self.user}@{self.host}, since {self.since}"

    def alive(self) -> bool | None:
        """Whether the holder still runs (``None``: taken on another host, cannot tell)."""
        if self.host != socket.gethostname():
            return None
        if self.pid is None or self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        cmdline = Path(f"/proc/{self.pid}/cmdline")
        if cmdline.exists():  # a reused pid is not a live `pulumi`
            return b"pulumi" in cmdline.read_bytes()
        return True


def _file_backend(backend_url: str) -> Path | None:
    """The ``.pulumi`` folder of a ``file://`` backend; ``None`` for other backends."""
    parsed = urlparse(backend_url)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.path or "")).expanduser() / ".pulumi"


def stack_locks(backend_url: str, project: str, stack: str) -> list[Lock]:
    """The lock files of ``stack`` in a ``file://`` backend (none for other backends)."""
    backend = _file_backend(backend_url)
    if backend is None:
        return []
    root = backend / "locks"
    name = stack.rsplit("/", 1)[-1]
    found = [*root.glob(f"*/{project}/{name}/*.json"), *root.glob(f"{name}/*.json")]
    locks = []
    for path in sorted(set(found)):
        try:
            content = json.loads(path.read_text())
        except (OSError, ValueError):
            content = {}
        pid = content.get("pid")
        locks.append(
            Lock(
                path,
                pid if isinstance(pid, int) else None,
                str(content.get("username", "?")),
                str(content.get("hostname", "?")),
                str(content.get("timestamp", "?")),
            )
        )
    return locks


def broken_sidecars(backend_url: str, project: str, stack: str) -> list[Path]:
    """The metadata files (``<checkpoint>.attrs``) of ``stack``'s checkpoints in a
    ``file://`` backend that are empty or not JSON (none for other backends). A checkpoint
    beside one that is not whole JSON itself is an error: its previous version is ``.bak``."""
    backend = _file_backend(backend_url)
    if backend is None:
        return []
    root = backend / "stacks"
    name = stack.rsplit("/", 1)[-1]
    broken = []
    for folder in (root / project, root):
        for checkpoint in (folder / f"{name}.json", folder / f"{name}.json.gz"):
            sidecar = checkpoint.with_name(checkpoint.name + ".attrs")
            if not (checkpoint.is_file() and sidecar.is_file()) or _is_json(sidecar):
                continue
            if checkpoint.suffix == ".json" and not _is_json(checkpoint):
                raise RepairError(
                    f"the checkpoint {checkpoint} is not whole JSON; the one before it is "
                    f"{checkpoint.name}.bak beside it: restore it with `pulumi stack import`"
                )
            broken.append(sidecar)
    return broken


def _is_json(path: Path) -> bool:
    try:
        json.loads(path.read_bytes() or b"?")
    except (OSError, ValueError):
        return False
    return True


def _project_name(cwd: Path) -> str:
    """``name:`` of the project's Pulumi.yaml (a top-level scalar: no YAML parser needed)."""
    for candidate in ("Pulumi.yaml", "Pulumi.yml"):
        path = cwd / candidate
        if path.exists():
            for line in path.read_text().splitlines():
                match = re.match(r"name:\s*['\"]?([^'\"#\s]+)", line)
                if match:
                    return match.group(1)
    raise RepairError(f"no Pulumi.yaml with a name in {cwd}; pass --cwd with the project directory")


def _remove_broken_sidecars(pulumi: _Pulumi, backend_url: str) -> bool:
    project, stack = _project_name(pulumi.cwd), str(pulumi.stack)
    if any(lock.alive() is True for lock in stack_locks(backend_url, project, stack)):
        return False  # a running `pulumi` may be writing it: the lock step refuses next
    broken = broken_sidecars(backend_url, project, stack)
    for sidecar in broken:
        sidecar.unlink()
        print(f"removed the empty or unreadable checkpoint metadata file {sidecar}")
    return bool(broken)


def _clear_stale_lock(pulumi: _Pulumi, backend_url: str, assume_yes: bool) -> bool:
    locks = stack_locks(backend_url, _project_name(pulumi.cwd), str(pulumi.stack))
    if not locks:
        return False
    live = [lock for lock in locks if lock.alive() is True]
    if live:
        raise RepairError(
            f"stack {pulumi.stack!r} is locked by a running `pulumi` ("
            + "; ".join(lock.holder() for lock in live)
            + "): wait for it to finish or stop it, then run repair again"
        )
    for lock in locks:
        state = "is not running" if lock.alive() is False else "ran on another host (not checked)"
        print(f"stack {pulumi.stack!r} is locked by {lock.holder()}, which {state}: {lock.path}")
    if not assume_yes and not _confirm("remove the lock (no other `pulumi` may be running)?"):
        raise RepairError("the lock was kept; nothing else was changed")
    try:
        pulumi.run("cancel", "--yes")
    except RepairError as error:
        # `pulumi cancel` loads the stack first; the lock files are all it removes here.
        print(f"{error}; removing the lock file(s) directly")
        for lock in locks:
            lock.path.unlink(missing_ok=True)
    print("removed the stale lock")
    return True


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise RepairError(f"{question} — no terminal to ask: pass --yes")
    return input(f"{question} [y/N] ").strip().lower() in {"y", "yes"}


# ----------------------------------------------------------------------- the state


@dataclass
class Plan:
    """What repair changes in the exported state."""

    adopted: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.adopted or self.restored or self.dropped)


def _label(resource: Mapping[str, Any]) -> str:
    kind = str(resource.get("type", "")).removeprefix(_TYPE_PREFIX)
    return f"{kind} {str(resource.get('urn', '')).rsplit('::', 1)[-1]!r}"


def _own_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in inputs.items() if not k.startswith("__") and v is not None}


def plan_repair(
    state: dict[str, Any],
    config: Mapping[str, Any],
    planned: Sequence[Mapping[str, Any]] = (),
) -> Plan:
    """Rewrite ``state`` (a deployment's ``deployment`` object) in place; see the module doc.

    ``planned``: the ``newState`` of each create a preview of the program plans; a planned
    suite create whose suite already exists (exact match, unclaimed) was made by a create the
    engine never recorded (the provider was killed): it is adopted."""
    from ..resources.prior_values import PRIORS_KEY, captured_of, spec_of

    plan = Plan()
    resources: list[dict[str, Any]] = state.setdefault("resources", []) or []
    state["resources"] = resources
    by_urn = {str(r.get("urn")): r for r in resources}
    pending = state.pop("pending_operations", None) or []
    claimed = {str(r.get("id")) for r in resources if r.get("type") == _SUITE_TYPE}
    for operation in pending:
        resource = dict(operation.get("resource") or {})
        kind = str(resource.get("type", "")).removeprefix(_TYPE_PREFIX)
        adopted: tuple[str, dict[str, Any]] | None = None
        if operation.get("type") == "creating" and str(resource.get("urn")) not in by_urn:
            inputs = resource.get("inputs") or {}
            if resource.get("type") == _SUITE_TYPE:
                adopted = _find_suite(inputs, claimed, config)
                if adopted is not None:
                    claimed.add(adopted[0])
            elif resource.get("type", "").startswith(_TYPE_PREFIX) and kind != "PriorValues":
                captured = captured_of(inputs)
                if captured is not None:
                    adopted = spec_of(kind).adopt(_own_inputs(inputs), captured)
        if adopted is None:
            plan.dropped.append(f"{operation.get('type')} {_label(resource)}")
            continue
        resource["id"], outputs = adopted
        resource["outputs"] = {
            **outputs,
            "__provider": (resource.get("inputs") or {}).get("__provider"),
        }
        resources.append(resource)
        by_urn[str(resource["urn"])] = resource
        plan.adopted.append(f"{_label(resource)} (id {resource['id']})")
    # A PriorValues whose resource is missing: that create failed, maybe after writing.
    for priors in list(resources):
        if priors.get("type") != _PRIORS_TYPE or priors.get("delete"):
            continue
        for owner, kind, declared, captured_input in _captured_objects(priors):
            if owner in by_urn:
                continue
            spec = spec_of(kind)
            captured = captured_of({PRIORS_KEY: captured_input})
            adopted = spec.adopt(declared, captured) if captured is not None else None
            if adopted is None or not _may_have_written(kind, declared, captured, config):
                continue
            from pulumi.dynamic.dynamic import serialize_provider

            provider = serialize_provider(spec.provider())
            urn = str(priors.get("urn"))
            restored = {
                "urn": owner,
                "custom": True,
                "id": adopted[0],
                "type": _TYPE_PREFIX + kind,
                "inputs": {**declared, PRIORS_KEY: captured_input, "__provider": provider},
                "outputs": {**adopted[1], "__provider": provider},
                "dependencies": [urn],
                "propertyDependencies": {PRIORS_KEY: [urn]},
            }
            for key in ("parent", "provider"):
                if priors.get(key):
                    restored[key] = priors[key]
            resources.append(restored)
            by_urn[owner] = restored
            plan.restored.append(f"{_label(restored)} (id {adopted[0]})")
    for new_state in planned:
        urn = str(new_state.get("urn"))
        inputs = new_state.get("inputs") or {}
        if (
            new_state.get("type") != _SUITE_TYPE
            or urn in by_urn
            or "[secret]" in json.dumps(inputs)
        ):
            continue
        found = _find_suite(inputs, claimed, config)
        if found is None:
            continue
        claimed.add(found[0])
        keep = ("urn", "custom", "type", "inputs", "parent", "provider", "dependencies",
                "propertyDependencies")  # fmt: skip
        resource = {k: new_state[k] for k in keep if new_state.get(k) is not None}
        resource["id"], outputs = found
        resource["outputs"] = {**outputs, "__provider": inputs.get("__provider")}
        resources.append(resource)
        by_urn[urn] = resource
        plan.restored.append(f"{_label(resource)} (id {found[0]})")
    return plan


def _captured_objects(
    priors: Mapping[str, Any],
) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """``(owner urn, kind, declared inputs, captured __priors)`` of each object a
    ``PriorValues`` in state captured: one for a sibling, one per entry for the ledger."""
    from ..resources.prior_values import LEDGER_KIND, decoded, split_entry_key

    urn = str(priors.get("urn"))
    inputs = priors.get("inputs") or {}
    outputs = priors.get("outputs") or {}
    head, _, name = urn.rpartition("::")
    prefix = head.removesuffix(_PRIORS_TYPE)
    if inputs.get("kind") != LEDGER_KIND:
        kind = str(inputs.get("kind", ""))
        if not kind or not isinstance(outputs.get("values"), Mapping):
            return []
        captured = {"values": outputs["values"], "existed": outputs.get("existed")}
        name = str(inputs.get("owner") or name)  # a sibling named apart from its resource
        return [(f"{prefix}{_TYPE_PREFIX}{kind}::{name}", kind,
                 dict(inputs.get("declared") or {}), captured)]  # fmt: skip
    found = []
    # the declared inputs: the ledger's outputs keep a summary of each entry (older ones whole)
    entries = inputs.get("entries") or outputs.get("entries") or {}
    for key, stored in (outputs.get("captures") or {}).items():
        capture, entry = decoded(stored), decoded(entries.get(key))
        if capture is None or entry is None:
            continue
        kind, own_name = split_entry_key(str(key))
        captured = {"values": capture.get("values"), "existed": capture.get("existed")}
        found.append((f"{prefix}{_TYPE_PREFIX}{kind}::{own_name}", kind,
                      dict(entry.get("declared") or {}), captured))  # fmt: skip
    return found


def _may_have_written(
    kind: str, declared: Mapping[str, Any], captured: Any, config: Mapping[str, Any]
) -> bool:
    """Whether an unrecorded create may have written: service settings that did not exist
    before and still do not were not written (refresh would drop them again)."""
    if kind != "ServiceSettings" or captured.existed is not False:
        return True
    from ..resources._base import configure_process
    from ..resources.service_settings import ServiceSettingsProvider, _inputs_of

    configure_process(config)
    return ServiceSettingsProvider()._get(_inputs_of(declared, outputs=False)) is not None


def _find_suite(
    inputs: Mapping[str, Any], claimed: set[str], config: Mapping[str, Any]
) -> tuple[str, dict[str, Any]] | None:
    """The suite an interrupted create made: exactly one identical suite no resource claims."""
    from ..resources._base import configure_process
    from ..resources.synthetics_suite import (
        FIELDS,
        SuiteInputs,
        SyntheticsSuiteProvider,
        identical_suites,
        outputs_of,
    )

    configure_process(config)
    provider = SyntheticsSuiteProvider()
    declared = SuiteInputs.model_validate({k: v for k, v in inputs.items() if k in FIELDS})
    found = [
        s
        for s in identical_suites(provider, declared)
        if s.public_id and s.public_id not in claimed
    ]
    if len(found) != 1:
        if len(found) > 1:
            ids = ", ".join(sorted(str(s.public_id) for s in found))
            print(
                f"suite {declared.name!r}: {len(found)} identical suites nobody manages ({ids}); "
                "adopting none — delete the extra ones in Datadog, then run repair again"
            )
        return None
    public_id = str(found[0].public_id)
    current = provider._get(public_id)
    if current is None:
        return None
    return public_id, outputs_of(current, public_id)


def _planned_suites(pulumi: _Pulumi, state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``newState`` of the suite creates a preview plans (it runs the program; no API call)."""
    in_state = {str(r.get("urn")) for r in state.get("resources") or []}
    try:
        digest = json.loads(pulumi.run("preview", "--json") or "{}")
    except (RepairError, ValueError) as error:
        print(f"could not preview the program, so suites made by a create Pulumi never recorded "
              f"are not looked for: {error}")  # fmt: skip
        return []
    return [
        dict(step["newState"])
        for step in digest.get("steps") or []
        if step.get("op") == "create"
        and isinstance(step.get("newState"), Mapping)
        and step["newState"].get("type") == _SUITE_TYPE
        and str(step["newState"].get("urn")) not in in_state
    ]


def _stack_config(pulumi: _Pulumi) -> dict[str, Any]:
    """Stack config as ``{"ns:key": value}`` (secrets decrypted: they stay in this process)."""
    raw = json.loads(pulumi.run("config", "--json", "--show-secrets") or "{}")
    return {key: entry.get("value") for key, entry in raw.items() if isinstance(entry, Mapping)}


def _repair(pulumi: _Pulumi, *, assume_yes: bool) -> int:
    whoami = json.loads(pulumi.run("whoami", "--json", stack=False) or "{}")
    backend_url = str(whoami.get("url", ""))
    mended = _remove_broken_sidecars(pulumi, backend_url)
    unlocked = _clear_stale_lock(pulumi, backend_url, assume_yes) or mended
    exported = json.loads(pulumi.run("stack", "export"))
    state = exported.get("deployment") or {}
    needs_api = any(
        (op.get("resource") or {}).get("type") == _SUITE_TYPE
        for op in state.get("pending_operations") or []
    )
    planned = _planned_suites(pulumi, state)
    needs_api = (
        needs_api
        or bool(planned)
        or any(r.get("type") == _PRIORS_TYPE for r in state.get("resources") or [])
    )
    plan = plan_repair(state, _stack_config(pulumi) if needs_api else {}, planned)
    if plan.changed:
        with tempfile.TemporaryDirectory(prefix="pdt-repair-") as directory:
            path = Path(directory) / "state.json"
            path.write_text(json.dumps(exported))
            pulumi.run("stack", "import", "--file", str(path))
    for title, items in (
        ("adopted (interrupted create, object found)", plan.adopted),
        ("added back (a create the engine never recorded; the object exists)", plan.restored),
        ("dropped (the next `pulumi up` does it again)", plan.dropped),
    ):
        for item in items:
            print(f"{title}: {item}")
    if not (plan.changed or unlocked):
        print(f"stack {pulumi.stack!r}: no lock, nothing pending; refreshing")
    pulumi.run("refresh", "--yes", "--skip-preview", "--suppress-progress", show=True)
    print(f"stack {pulumi.stack!r} repaired: run `pulumi up` to finish what was interrupted")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"pulumi-datadog-testing {NAME}", description=HELP)
    add_arguments(parser)
    return run(parser.parse_args(argv))
