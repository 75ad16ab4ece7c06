"""``PriorValues``: what an object was before Pulumi first wrote to it, saved in state first.

Deleting a ``ServiceSettings``, ``FlakyTestState(s)`` or ``FlakyTestPolicies`` puts back what
was there before Pulumi managed it. Those prior values must be read *before the first write*
and kept somewhere that survives a SIGKILL of ``pulumi`` or of the provider process at any
instant; otherwise a re-run reads Pulumi's own half-finished writes back as "prior".

Why a resource of its own (engine v3.259 facts, read in ``pkg/backend/snapshot.go`` and
``pkg/resource/deploy/step_executor.go`` and checked by killing runs):

- The engine saves a create as a *pending operation* carrying its checked inputs before it
  calls the provider, so values read in ``check`` survive a kill of ``pulumi`` — but when the
  *provider* dies, the create fails and ``createSnapshotMutation.End`` removes the pending
  operation: the values are gone.
- A step's result is saved in the snapshot (``OnResourceStepPost``) before any resource that
  depends on it is allowed to proceed.

So the prior values live in a resource of their own, this type, whose create only *reads*;
the resource takes its outputs as the hidden input ``__priors``. One ``PriorValues`` — the
stack's *ledger*, named ``datadog-testing-prior-values`` — holds them for every resource
declared at the top of the program with plain inputs (no ``parent``, no ``depends_on``, no
``Output`` in its inputs): one extra resource per stack, so a no-change preview or refresh
costs what the resources alone cost. A resource that cannot join it (declared inside an
``apply``, under a component, after a dependency, or with inputs from other resources'
outputs, which the ledger cannot wait for without waiting for every resource) registers its
own ``PriorValues`` sibling (same name as the resource). By the
time the resource's create or update writes anything, the values are in the saved state,
whatever is killed afterwards. A re-run, an update that manages one more setting, leaf or
test, and ``pulumi-datadog-testing repair`` all take the prior values from there, and a value
already captured is never read again (so Pulumi's own writes are never taken for priors).

Costs: one read per new resource at ``up`` (the resource's own create no longer reads, so
the number of calls is unchanged; the ledger reads for new resources up to 8 at a time);
``preview``, ``refresh`` and ``destroy`` of a ``PriorValues`` make no API call (a refresh
of the ledger lets the resources' own gets start early: ``_read_ahead``). In a preview
(``pulumi.runtime.is_dry_run()``) the resources do not wait for their ``PriorValues``: their
``__priors`` is a value computed later, as a preview never writes.

This module is the provider half (``PriorValuesProvider``, the ledger's captures, ``PriorSpec``
per kind); the program half — the ``PriorValues`` class, the ledger, ``register_priors``,
``warn_overlap`` — is ``prior_values_resource`` (no pydantic), re-exported here.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final

import pulumi
from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from ..errors import DatadogError
from . import _read_ahead
from ._base import DatadogResourceProvider, has_unknowns, shared_api, strip_provider
from .prior_values_resource import (
    KIND_MODULES,
    LEDGER_KIND,
    LEDGER_NAME,
    OVERLAP_WARNING,
    PACK_MIN,
    PACKED,
    PRIOR_VALUES,
    PRIORS_KEY,
    Captured,
    OverlapWatch,
    PriorValues,
    captured_of,
    carry_priors,
    decoded,
    encoded,
    entry_key,
    pack_values,
    priors_input,
    register_priors,
    split_entry_key,
    stable,
    unpack_values,
    warn_overlap,
    without_priors,
)

__all__ = [
    "KIND_MODULES",
    "LEDGER_KIND",
    "LEDGER_NAME",
    "OVERLAP_WARNING",
    "PACKED",
    "PACK_MIN",
    "PRIORS_KEY",
    "PRIOR_VALUES",
    "Captured",
    "OverlapWatch",
    "PriorSpec",
    "PriorValues",
    "PriorValuesProvider",
    "captured_of",
    "carry_priors",
    "decoded",
    "encoded",
    "entry_key",
    "keep_captured",
    "pack_values",
    "priors_input",
    "register_priors",
    "spec_of",
    "split_entry_key",
    "unpack_values",
    "warn_overlap",
    "without_priors",
]

_LEDGER_WORKERS: Final = 8
"""Captures the ledger runs at once (reads of different objects; flaky reads are batched)."""

_SPEC_MODULES: Final = KIND_MODULES
"""Kind → module (under ``resources``) defining ``PRIOR_SPEC`` (the provider side)."""


@dataclass(frozen=True)
class PriorSpec:
    """How one resource kind captures its prior values.

    ``identity(declared)``: what names the object (a change replaces the ``PriorValues``);
    ``scope(declared)``: what decides which keys are captured (a change updates it);
    ``capture(declared, known)``: the values of every key now declared, reading only
    the keys missing from ``known`` (already captured values are kept as they are);
    ``overlap(declared, captured)``: keys whose prior value already looks like another
    stack's write (declared value, explicitly set); ``adopt(declared, captured)``: the id and
    outputs the resource's create would have recorded, without an API call (``None`` when
    ``captured`` does not cover the declared inputs) — ``repair`` uses it for a create that
    was interrupted; ``provider``: the resource's provider class; ``delete_before_replace``
    mirrors the resource's own replacement order; ``announce(declared)`` (optional) notes
    what capturing ``declared`` will read, before the ledger captures its entries, so that
    one search reads the objects of many entries together (no API call).
    """

    identity: Callable[[Mapping[str, Any]], Any]
    scope: Callable[[Mapping[str, Any]], Any]
    capture: Callable[[Mapping[str, Any], Captured | None], Captured]
    overlap: Callable[[Mapping[str, Any], Captured], list[str]]
    adopt: Callable[[Mapping[str, Any], Captured], tuple[str, dict[str, Any]] | None]
    provider: Callable[[], ResourceProvider]
    delete_before_replace: bool = False
    announce: Callable[[Mapping[str, Any]], None] | None = None


def spec_of(kind: str) -> PriorSpec:
    module = _SPEC_MODULES.get(kind)
    if module is None:
        raise ValueError(
            f"PriorValues: unknown kind {kind!r}; expected one of {sorted(_SPEC_MODULES)}"
        )
    spec: PriorSpec = importlib.import_module(f"{__package__}.{module}").PRIOR_SPEC
    return spec


def keep_captured(kind: str, olds: Mapping[str, Any], checked: dict[str, Any]) -> None:
    """In the checked inputs of a resource already in state (``olds``: its inputs), keep the
    values it was first given for the same object, key by key: a capture taken again later —
    the resource renamed, moved between the ledger and a sibling, or its stack moved from
    siblings to the ledger — read the server after Pulumi's own writes. (No key is added: a
    key the new capture lacks is not wanted any more.) The same text as in state — every
    resource of a no-change preview — is kept as it is, without decoding it."""
    given = checked.get(PRIORS_KEY)
    if isinstance(given, str) and given == olds.get(PRIORS_KEY):
        return
    new, old = captured_of(checked), captured_of(olds)
    if new is None or old is None:
        return
    spec = spec_of(kind)
    if stable(spec.identity(without_priors(olds))) != stable(
        spec.identity(without_priors(checked))
    ):
        return
    values = {key: old.values.get(key, value) for key, value in new.values.items()}
    existed = old.existed if old.existed is not None else new.existed
    checked[PRIORS_KEY] = priors_input(values, existed)


class PriorValuesProvider(DatadogResourceProvider):
    """Reads at create and update only; refresh and delete make no call and change nothing."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        # The resource's own check validates the declared inputs.
        kind = news.get("kind")
        if kind == LEDGER_KIND:
            _warm_for(_new_kinds(olds.get("entries"), news.get("entries")))
        elif not olds and kind in _SPEC_MODULES:  # a new sibling: its create captures
            _warm_for({str(kind)})
            _announce([news])
        return CheckResult(strip_provider(news), [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = olds.get("declared") or {}, news.get("declared") or {}
        if news.get("kind") != olds.get("kind"):
            return DiffResult(changes=True, replaces=["kind"], delete_before_replace=True)
        if news.get("kind") == LEDGER_KIND:
            return DiffResult(
                changes=_ledger_changed(olds, news), replaces=[], delete_before_replace=False
            )
        if not isinstance(new, Mapping) or not isinstance(old, Mapping):  # unknown in preview
            return DiffResult(changes=True, replaces=[], delete_before_replace=False)
        spec = spec_of(str(news.get("kind")))
        identity = spec.identity(new)
        if has_unknowns(identity) or stable(spec.identity(old)) != stable(identity):
            return DiffResult(
                changes=True,
                replaces=["declared"],
                delete_before_replace=spec.delete_before_replace,
            )
        scope = spec.scope(new)
        changed = has_unknowns(scope) or stable(spec.scope(old)) != stable(scope)
        return DiffResult(
            changes=changed or _found_nothing(olds), replaces=[], delete_before_replace=False
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        if props.get("kind") == LEDGER_KIND:
            return CreateResult(f"{LEDGER_KIND}::{LEDGER_NAME}", _ledger_outputs(props, {}))
        kind, declared = str(props["kind"]), dict(props.get("declared") or {})
        outputs = self._capture(kind, declared, None)
        digest = hashlib.sha256(stable(spec_of(kind).identity(declared)).encode()).hexdigest()
        return CreateResult(f"{kind}::{digest[:16]}", outputs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if news.get("kind") == LEDGER_KIND:
            return UpdateResult(_ledger_outputs(news, olds))
        kind, declared = str(news["kind"]), dict(news.get("declared") or {})
        known = Captured(unpack_values(olds.get("values") or {}), olds.get("existed"))
        return UpdateResult(self._capture(kind, declared, known))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        # Never re-read: the server may by now hold Pulumi's own writes. The ledger names
        # every object of the stack: the refresh's gets of them can start now (_read_ahead).
        if props.get("kind") == LEDGER_KIND and isinstance(props.get("entries"), Mapping):
            _read_ahead.learn(_objects(props["entries"].values()))
        return ReadResult(id_, strip_provider(props))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to undo: capturing wrote nothing."""

    def _capture(
        self, kind: str, declared: dict[str, Any], known: Captured | None
    ) -> dict[str, Any]:
        spec = spec_of(kind)
        captured = spec.capture(declared, known)
        return {
            "kind": kind,
            "declared": declared,
            "values": pack_values(captured.values),
            "existed": captured.existed,
        }


# ------------------------------------------------------------------------------ the ledger


_WARMED = threading.Event()


def _new_kinds(old_entries: Any, new_entries: Any) -> set[str]:
    """The kinds of the ledger entries new since ``old_entries`` (read from the keys:
    ``entry_key``), the ones the ledger's create or update will capture."""
    if not isinstance(new_entries, Mapping):
        return set()
    old = old_entries if isinstance(old_entries, Mapping) else {}
    return {
        kind
        for key in new_entries
        if key not in old and (kind := split_entry_key(str(key))[0]) in _SPEC_MODULES
    }


def _warm_for(kinds: set[str]) -> None:
    """Load, on a thread of its own, what capturing entries of ``kinds`` first needs — the
    kinds' provider modules and the process's API client (the HTTP stack, pydantic, the wire
    models: ~0.15-0.3 s) — while the engine, between the ledger's check and its create, has
    nothing for this process to do. Once per process; only for new entries, so a no-change
    preview loads nothing. A failure is left for the capture to meet and report."""
    if not kinds or _WARMED.is_set():
        return
    _WARMED.set()

    def warm() -> None:
        try:
            for kind in sorted(kinds):
                spec_of(kind)
            shared_api()
        except Exception:  # noqa: BLE001, S110 - the capture itself reports any problem
            pass

    threading.Thread(target=warm, name="prior-values-warm", daemon=True).start()


def _found_nothing(captured: Mapping[str, Any]) -> bool:
    """Whether a capture found no object (a flaky test not detected yet): it is taken again,
    so the create that finds the object still has its value before writing."""
    return not captured.get("values") and captured.get("existed") is False


def _identity_of(value: Any) -> str | None:
    """The object a ledger entry names (kind and identity; ``None``: not an entry). The entry
    is declared (the ledger's inputs) or summarised (its outputs: ``_summary``), as
    ``encoded`` text or, in states from before 2026-12-01, a mapping."""
    entry = decoded(value)
    if entry is None or str(entry.get("kind")) not in _SPEC_MODULES:
        return None
    if "declared" not in entry and isinstance(entry.get("identity"), str):
        return str(entry["identity"])
    declared = entry.get("declared") or {}
    return stable([entry.get("kind"), spec_of(str(entry["kind"])).identity(declared)])


def _objects(entries: Iterable[Any]) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """``(kind, identity)`` of every object the ledger's entries name (the identity as
    ``PriorSpec.identity`` gives it, as a tuple)."""
    for value in entries:
        named = _identity_of(value)
        if named is None:
            continue
        try:
            kind, identity = json.loads(named)
            found = (str(kind), tuple(identity))
            hash(found)
        except (TypeError, ValueError):
            continue
        yield found


def _scope_of(value: Any) -> str | None:
    """A digest of what decides which keys an entry captures (``PriorSpec.scope``), declared
    or summarised as ``_identity_of``; ``None``: not an entry."""
    entry = decoded(value)
    if entry is None or str(entry.get("kind")) not in _SPEC_MODULES:
        return None
    if "declared" not in entry and isinstance(entry.get("scope"), str):
        return str(entry["scope"])
    scope = spec_of(str(entry["kind"])).scope(entry.get("declared") or {})
    return hashlib.sha256(stable(scope).encode()).hexdigest()


def _summary(value: Any) -> str:
    """What the ledger's outputs keep of an entry (``encoded``): all that its diff and update
    compare (the kind, the object, a digest of the scope), not the declared inputs — they
    stay in the ledger's inputs (``repair`` reads them there). Every output value crosses the
    engine's gRPC calls again: a ``FlakyTestStates``' 20,000 tests would be in the outputs
    twice."""
    entry = decoded(value) or {}
    return encoded(
        {"kind": entry.get("kind"), "identity": _identity_of(entry), "scope": _scope_of(entry)}
    )


def _entry_stale(old_value: Any, new_value: Any, captured_value: Any) -> bool:
    """Whether an entry must be captured (again): new, another object or more keys, or
    nothing captured yet (a read failed, or the object was not found)."""
    old, new, captured = decoded(old_value), decoded(new_value), decoded(captured_value)
    if old is None or new is None or captured is None:
        return True
    if _found_nothing(captured) or _identity_of(old) != _identity_of(new):
        return True
    return _scope_of(old) != _scope_of(new)


def _ledger_changed(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    new = news.get("entries")
    if not isinstance(new, Mapping) or has_unknowns(new):
        return True
    old = olds.get("entries") or {}
    captures = olds.get("captures") or {}
    if set(old) != set(new):
        return True
    return any(_entry_stale(old.get(k), v, captures.get(k)) for k, v in new.items())


def _capture_entry(
    entry: Mapping[str, Any],
    old: Any,
    captured_value: Any,
    inheritable: Mapping[str, Mapping[str, Any]],
) -> str | None:
    """One entry's capture (``entry`` decoded), encoded (``None`` when the read failed: the
    resource's own create reads then, and reports the error on itself). ``inheritable``: per
    object, the values other entries captured (``_inheritable``), kept for keys this entry
    did not capture itself."""
    kind, declared = str(entry.get("kind")), dict(entry.get("declared") or {})
    spec = spec_of(kind)
    identity = _identity_of(entry)
    known: Captured | None = None
    captured = decoded(captured_value)
    if captured is not None and _identity_of(old) == identity:
        known = Captured(unpack_values(captured.get("values") or {}), captured.get("existed"))
    inherited = inheritable.get(identity) if identity is not None else None
    if inherited:
        own = known.values if known is not None else {}
        known = Captured({**inherited, **own}, known.existed if known is not None else None)
    try:
        found = spec.capture(declared, known)
    except DatadogError as error:
        pulumi.log.warn(
            f"{LEDGER_NAME}: reading the values to restore of {kind} failed ({error}); its "
            "create reads them itself"
        )
        return None
    return priors_input(found.values, found.existed)  # what the resource's __priors will be


def _announce(entries: Iterable[Mapping[str, Any]]) -> None:
    """Let each entry's kind (ledger entries, or a sibling's inputs) note what its capture
    will read (``PriorSpec.announce``)."""
    for entry in entries:
        kind, declared = str(entry.get("kind")), entry.get("declared")
        announce = spec_of(kind).announce if kind in _SPEC_MODULES else None
        if announce is not None and isinstance(declared, Mapping) and not has_unknowns(declared):
            announce(declared)


def _renamed(
    entries: Mapping[str, Any],
    old_entries: Mapping[str, Any],
    old_captures: Mapping[str, Any],
    stale: list[str],
) -> dict[str, str]:
    """The key each stale entry takes its earlier capture from: its own, or — for a key new
    to the ledger — that of a removed entry of the same kind naming the same object (once)."""
    removed: dict[str, list[str]] = {}
    for key, entry in old_entries.items():
        identity = _identity_of(entry)
        if key not in entries and identity is not None and old_captures.get(key):
            removed.setdefault(identity, []).append(key)
    sources = {}
    for key in stale:
        identity = _identity_of(entries[key])
        if key not in old_entries and identity is not None and removed.get(identity):
            sources[key] = removed[identity].pop(0)
        else:
            sources[key] = key
    return sources


def _inheritable(
    entries: Mapping[str, Any],
    old_entries: Mapping[str, Any],
    old_captures: Mapping[str, Any],
    stale: list[str],
) -> dict[str, dict[str, Any]]:
    """Object (``_identity_of``) → the values captured under entries that are gone or change
    now: a key one of them captured that another entry of the same object declares now — a
    flaky test moved from one resource to another, a setting from one ``ServiceSettings`` to
    another of the same service — keeps the value from before Pulumi's first write (read
    again, the server would show that write)."""
    changing = set(stale)
    found: dict[str, dict[str, Any]] = {}
    for key, old in old_entries.items():
        if key in entries and key not in changing:
            continue  # unchanged: it keeps managing what it captured
        identity, captured = _identity_of(old), decoded(old_captures.get(key))
        if identity is None or captured is None:
            continue
        values = found.setdefault(identity, {})
        for name, value in unpack_values(captured.get("values") or {}).items():
            values.setdefault(name, value)
    return found


def _ledger_outputs(news: Mapping[str, Any], olds: Mapping[str, Any]) -> dict[str, Any]:
    """The ledger's outputs: every entry's capture (``encoded``), reading only what is stale
    (up to ``_LEDGER_WORKERS`` at once); values captured before are kept as they are."""
    entries: dict[str, Any] = dict(news.get("entries") or {})
    old_entries = olds.get("entries") or {}
    old_captures = olds.get("captures") or {}
    captures: dict[str, Any] = {}
    stale = []
    for key, entry in entries.items():
        if _entry_stale(old_entries.get(key), entry, old_captures.get(key)):
            stale.append(key)
        else:  # kept as captured (a mapping in states from before 2026-12-01)
            captures[key] = encoded(decoded(old_captures[key]) or {})
    # A renamed resource (with or without an alias) names the same object under a new key:
    # it keeps what was captured under the old one, which the server no longer shows.
    sources = _renamed(entries, old_entries, old_captures, stale)
    inheritable = _inheritable(entries, old_entries, old_captures, stale) if stale else {}
    changing = {key: decoded(entries[key]) or {} for key in stale}  # each decoded once
    _announce(changing.values())
    if stale:
        with ThreadPoolExecutor(max_workers=_LEDGER_WORKERS) as pool:
            found = pool.map(
                lambda k: _capture_entry(
                    changing[k],
                    old_entries.get(sources[k]),
                    old_captures.get(sources[k]),
                    inheritable,
                ),
                stale,
            )
            captures.update(zip(stale, found, strict=True))
    return {
        "kind": LEDGER_KIND,
        "entries": {key: _summary(entry) for key, entry in entries.items()},
        "captures": dict(sorted(captures.items())),
    }
