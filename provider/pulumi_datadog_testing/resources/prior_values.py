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
``preview``, ``refresh`` and ``destroy`` of a ``PriorValues`` make no API call. In a preview
(``pulumi.runtime.is_dry_run()``) the resources do not wait for their ``PriorValues``: their
``__priors`` is a value computed later, as a preview never writes.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import inspect
import json
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, cast

import pulumi
from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import UNKNOWN

from ..errors import DatadogError
from ..type_tokens import MODULE
from ._base import DatadogResourceProvider, has_unknowns, is_unknown, strip_provider
from ._props import PRIORS_KEY

__all__ = [
    "LEDGER_KIND",
    "LEDGER_NAME",
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

PRIOR_VALUES: Final = "PriorValues"
"""The ``name=`` of the class (type ``pulumi-python:dynamic/datadog-testing:PriorValues``)."""
LEDGER_NAME: Final = "datadog-testing-prior-values"
"""The resource name of the stack's ledger (the ``PriorValues`` of top-level resources)."""
LEDGER_KIND: Final = "ledger"
"""The ``kind`` input of the ledger (a sibling's ``kind`` is its resource's kind)."""
_LEDGER_WORKERS: Final = 8
"""Captures the ledger runs at once (reads of different objects; flaky reads are batched)."""

_SPEC_MODULES: Final = {
    "ServiceSettings": "service_settings",
    "FlakyTestState": "flaky_test_state",
    "FlakyTestStates": "flaky_test_states",
    "FlakyTestPolicies": "flaky_test_policies",
}
"""Kind → module (under ``resources``) defining ``PRIOR_SPEC``."""


@dataclass(frozen=True)
class Captured:
    """The prior values a resource was given (``values``: key → value; ``existed``: whether
    the object existed on the server; ``None`` when the kind does not say)."""

    values: dict[str, Any]
    existed: bool | None = None


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
    mirrors the resource's own replacement order.
    """

    identity: Callable[[Mapping[str, Any]], Any]
    scope: Callable[[Mapping[str, Any]], Any]
    capture: Callable[[Mapping[str, Any], Captured | None], Captured]
    overlap: Callable[[Mapping[str, Any], Captured], list[str]]
    adopt: Callable[[Mapping[str, Any], Captured], tuple[str, dict[str, Any]] | None]
    provider: Callable[[], ResourceProvider]
    delete_before_replace: bool = False


def spec_of(kind: str) -> PriorSpec:
    module = _SPEC_MODULES.get(kind)
    if module is None:
        raise ValueError(
            f"PriorValues: unknown kind {kind!r}; expected one of {sorted(_SPEC_MODULES)}"
        )
    spec: PriorSpec = importlib.import_module(f"{__package__}.{module}").PRIOR_SPEC
    return spec


PACKED: Final = "__packed__"
"""The one key of captured values stored packed (``pack_values``)."""
PACK_MIN: Final = 100
"""Captures of fewer keys are stored as they are (readable in the state file)."""
_PLAIN: Final = re.compile(r"[A-Za-z0-9_.\-]+")


def pack_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Captured values as stored in state: ``PACK_MIN`` or more plain string values (a
    ``FlakyTestStates``' test id → state) become one string ``{PACKED: "id=state;..."}``,
    sorted by key — every value in state crosses the engine's gRPC calls (marshalled and
    logged) several times per operation, 20,000 of them seconds' worth; others are kept as
    they are."""
    if len(values) >= PACK_MIN and all(
        isinstance(v, str) and _PLAIN.fullmatch(k) and _PLAIN.fullmatch(v)
        for k, v in values.items()
    ):
        return {PACKED: ";".join(f"{k}={v}" for k, v in sorted(values.items()))}
    return dict(values)


def unpack_values(stored: Mapping[str, Any]) -> dict[str, Any]:
    """``pack_values`` reversed (values stored as they are are returned as they are)."""
    packed = stored.get(PACKED)
    if len(stored) != 1 or not isinstance(packed, str):
        return dict(stored)
    pairs = (item.partition("=") for item in packed.split(";") if item)
    return {key: value for key, _, value in pairs}


def captured_of(props: Mapping[str, Any]) -> Captured | None:
    """The ``__priors`` input of a resource's properties (``None``: absent or unknown): the
    ``encoded`` text of ``{"values", "existed"}`` (or that mapping, in states and resources
    from before 2026-12-01)."""
    raw = decoded(props.get(PRIORS_KEY))
    if raw is None or not isinstance(raw.get("values"), Mapping):
        return None
    existed = raw.get("existed")
    return Captured(unpack_values(raw["values"]), existed if isinstance(existed, bool) else None)


def priors_input(values: Mapping[str, Any], existed: bool | None) -> str:
    """A resource's ``__priors`` input: one JSON text (see ``encoded``; a large set of plain
    values packed first, see ``pack_values``)."""
    return encoded({"values": pack_values(values), "existed": existed})


def carry_priors(props: Mapping[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``values`` (outputs, or inputs a refresh returns) with the ``__priors`` of ``props``:
    kept in outputs too, so a refresh can hand it back with the refreshed inputs."""
    if PRIORS_KEY in props:
        return {**values, PRIORS_KEY: props[PRIORS_KEY]}
    return values


def without_priors(props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` without the ``__priors`` input (for validation)."""
    return {k: v for k, v in props.items() if k != PRIORS_KEY}


def _stable(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def encoded(value: Mapping[str, Any]) -> str:
    """A ledger entry or capture as the JSON text the ledger stores: one property value
    instead of one per nested field. The engine marshals every property value on each call
    it makes (and the SDK on both ends); a nested value per resource made a no-change preview
    cost ~3 ms more per resource than the same value as one string (2026-12-01, N = 500)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def decoded(value: Any) -> Mapping[str, Any] | None:
    """A ledger entry or capture: the JSON text stored since 2026-12-01, or the mapping of
    earlier states (``None``: neither, or not known yet)."""
    if isinstance(value, str) and not is_unknown(value):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, Mapping) else None
    if isinstance(value, Mapping) and not has_unknowns(value):
        return value
    return None


def keep_captured(kind: str, olds: Mapping[str, Any], checked: dict[str, Any]) -> None:
    """In the checked inputs of a resource already in state (``olds``: its inputs), keep the
    values it was first given for the same object, key by key: a capture taken again later —
    the resource renamed, moved between the ledger and a sibling, or its stack moved from
    siblings to the ledger — read the server after Pulumi's own writes. (No key is added: a
    key the new capture lacks is not wanted any more.)"""
    new, old = captured_of(checked), captured_of(olds)
    if new is None or old is None:
        return
    spec = spec_of(kind)
    if _stable(spec.identity(without_priors(olds))) != _stable(
        spec.identity(without_priors(checked))
    ):
        return
    values = {key: old.values.get(key, value) for key, value in new.values.items()}
    existed = old.existed if old.existed is not None else new.existed
    checked[PRIORS_KEY] = priors_input(values, existed)


class PriorValuesProvider(DatadogResourceProvider):
    """Reads at create and update only; refresh and delete make no call and change nothing."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        # The resource's own check validates the declared inputs.
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
        if has_unknowns(identity) or _stable(spec.identity(old)) != _stable(identity):
            return DiffResult(
                changes=True,
                replaces=["declared"],
                delete_before_replace=spec.delete_before_replace,
            )
        scope = spec.scope(new)
        changed = has_unknowns(scope) or _stable(spec.scope(old)) != _stable(scope)
        return DiffResult(
            changes=changed or _found_nothing(olds), replaces=[], delete_before_replace=False
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        if props.get("kind") == LEDGER_KIND:
            return CreateResult(f"{LEDGER_KIND}::{LEDGER_NAME}", _ledger_outputs(props, {}))
        kind, declared = str(props["kind"]), dict(props.get("declared") or {})
        outputs = self._capture(kind, declared, None)
        digest = hashlib.sha256(_stable(spec_of(kind).identity(declared)).encode()).hexdigest()
        return CreateResult(f"{kind}::{digest[:16]}", outputs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if news.get("kind") == LEDGER_KIND:
            return UpdateResult(_ledger_outputs(news, olds))
        kind, declared = str(news["kind"]), dict(news.get("declared") or {})
        known = Captured(unpack_values(olds.get("values") or {}), olds.get("existed"))
        return UpdateResult(self._capture(kind, declared, known))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        # Never re-read: the server may by now hold Pulumi's own writes.
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


def entry_key(kind: str, resource_name: str) -> str:
    """The ledger key of a resource: its kind and name (unique among top-level resources)."""
    return f"{kind}::{resource_name}"


def split_entry_key(key: str) -> tuple[str, str]:
    """The kind and resource name of a ledger key (``entry_key`` reversed)."""
    kind, _, resource_name = key.partition("::")
    return kind, resource_name


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
    return _stable([entry.get("kind"), spec_of(str(entry["kind"])).identity(declared)])


def _scope_of(value: Any) -> str | None:
    """A digest of what decides which keys an entry captures (``PriorSpec.scope``), declared
    or summarised as ``_identity_of``; ``None``: not an entry."""
    entry = decoded(value)
    if entry is None or str(entry.get("kind")) not in _SPEC_MODULES:
        return None
    if "declared" not in entry and isinstance(entry.get("scope"), str):
        return str(entry["scope"])
    scope = spec_of(str(entry["kind"])).scope(entry.get("declared") or {})
    return hashlib.sha256(_stable(scope).encode()).hexdigest()


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


def _capture_entry(entry_value: Any, old: Any, captured_value: Any) -> str | None:
    """One entry's capture, encoded (``None`` when the read failed: the resource's own create
    reads then, and reports the error on itself)."""
    entry = decoded(entry_value) or {}
    kind, declared = str(entry.get("kind")), dict(entry.get("declared") or {})
    spec = spec_of(kind)
    known: Captured | None = None
    captured = decoded(captured_value)
    if captured is not None and _identity_of(old) == _identity_of(entry):
        known = Captured(unpack_values(captured.get("values") or {}), captured.get("existed"))
    try:
        found = spec.capture(declared, known)
    except DatadogError as error:
        pulumi.log.warn(
            f"{LEDGER_NAME}: reading the values to restore of {kind} failed ({error}); its "
            "create reads them itself"
        )
        return None
    return priors_input(found.values, found.existed)  # what the resource's __priors will be


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
    if stale:
        with ThreadPoolExecutor(max_workers=_LEDGER_WORKERS) as pool:
            found = pool.map(
                lambda k: _capture_entry(
                    entries[k], old_entries.get(sources[k]), old_captures.get(sources[k])
                ),
                stale,
            )
            captures.update(zip(stale, found, strict=True))
    return {
        "kind": LEDGER_KIND,
        "entries": {key: _summary(entry) for key, entry in entries.items()},
        "captures": dict(sorted(captures.items())),
    }


def _is_plain(value: Any) -> bool:
    """Whether ``value`` holds no ``Output``, awaitable or resource (known at declaration)."""
    if isinstance(value, Mapping):
        return all(_is_plain(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return not (isinstance(value, (pulumi.Output, pulumi.Resource)) or inspect.isawaitable(value))


@dataclass
class _Ledger:
    """The program's ledger: entries join until the program's synchronous part ends (the
    first turn of the event loop), then its ``entries`` input resolves and it registers."""

    resource: PriorValues
    future: asyncio.Future[dict[str, Any]]
    entries: dict[str, Any] = field(default_factory=dict)
    closed: bool = False

    def close(self) -> None:
        self.closed = True
        if not self.future.done():
            self.future.set_result(dict(self.entries))


@dataclass
class _Program:
    """What one running program registered: its ledger (made on first use) and the names of
    its ``PriorValues`` siblings, per parent (``(0, name)`` at the top)."""

    loop: asyncio.AbstractEventLoop
    ledger: _Ledger | None = None
    sibling_names: set[tuple[int, str]] = field(default_factory=lambda: {(0, LEDGER_NAME)})


_PROGRAMS: dict[int, _Program] = {}
"""Each running program's state, keyed by its event loop (tests run several, one by one)."""


def _program() -> _Program | None:
    """The state of the program running now (``None`` outside a program's event loop)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    program = _PROGRAMS.get(id(loop))
    if program is None or program.loop is not loop:  # an id reused by a later loop
        program = _PROGRAMS[id(loop)] = _Program(loop)
    return program


def _ledger() -> _Ledger | None:
    program = _program()
    if program is None:
        return None
    if program.ledger is None:
        future: asyncio.Future[dict[str, Any]] = program.loop.create_future()
        resource = PriorValues(
            LEDGER_NAME, LEDGER_KIND, {}, pulumi.ResourceOptions(), entries=future
        )
        program.ledger = _Ledger(resource, future)
        program.loop.call_soon(program.ledger.close)
    return program.ledger


def _join_ledger(
    resource_name: str, kind: str, declared: dict[str, Any], opts: pulumi.ResourceOptions | None
) -> pulumi.Output[Any] | None:
    """The ledger's captures, this resource now among its entries (``None``: it cannot
    join; see the module docstring)."""
    if opts is not None and (opts.parent is not None or opts.depends_on):
        return None
    if not _is_plain(declared):
        return None
    ledger = _ledger()
    key = entry_key(kind, resource_name)
    if ledger is None or ledger.closed or key in ledger.entries:
        return None
    try:
        ledger.entries[key] = encoded({"kind": kind, "declared": declared})
    except (TypeError, ValueError):  # not JSON: the sibling keeps it as the SDK sends it
        return None
    captures: pulumi.Output[Any] = ledger.resource.captures
    return captures


def _sibling_name(resource_name: str, kind: str, parent: pulumi.Resource | None) -> str:
    """The resource's own name — unless a sibling under the same parent (another kind's
    resource of the same name) or the ledger has it: then ``<name>-<kind>`` (the sibling's
    ``owner`` input names the resource)."""
    program = _program()
    if program is None:
        return resource_name
    scope = 0 if parent is None else id(parent)
    name = resource_name
    if (scope, name) in program.sibling_names:
        name = f"{resource_name}-{kind}"
    program.sibling_names.add((scope, name))
    return name


class PriorValues(pulumi.dynamic.Resource, module=MODULE, name=PRIOR_VALUES):
    """The prior values of one managed resource (its sibling) or of many (the ledger; see the
    module docstring). A sibling's outputs: ``values`` (key → prior value) and ``existed``;
    the ledger's: ``captures`` (entry key → those two) and a summary of each of its
    ``entries``, both as ``encoded`` JSON text. (States written before 2026-12-01
    also hold ``overlap``, which nothing reads: the warning comes from each resource's own
    recorded prior values, see ``OverlapWatch``.)"""

    values: pulumi.Output[dict[str, Any]]
    existed: pulumi.Output[bool | None]
    captures: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        resource_name: str,
        kind: str,
        declared: Mapping[str, Any],
        opts: pulumi.ResourceOptions,
        *,
        entries: pulumi.Input[Mapping[str, Any]] | None = None,
        owner: str | None = None,
    ) -> None:
        props: dict[str, Any]
        if kind == LEDGER_KIND:
            props = {"kind": kind, "entries": entries, "captures": None}
        else:
            props = {
                "kind": kind,
                "declared": dict(declared),
                "values": None,
                "existed": None,
            }
            if owner is not None:  # named apart from its resource (see _sibling_name)
                props["owner"] = owner
        super().__init__(PriorValuesProvider(), resource_name, props, opts)


OVERLAP_WARNING: Final = (
    "{what}: {keys} already had the declared value, set explicitly, before this stack managed "
    "it. If another stack manages the same object, keep one owning stack: see "
    "docs/reliability.md, 'Two stacks' (if you adopted existing values on purpose, e.g. with "
    "`pulumi-datadog-testing generate`, nothing is wrong)"
)


@dataclass
class OverlapWatch:
    """Where a resource's overlap warning goes (``warn_overlap`` arms it once the resource
    exists). The keys come from the prior values the resource itself recorded, not from the
    ledger's or a sibling's capture: a capture taken again once the resource exists (it moved
    between the ledger and a sibling, the stack moved from siblings to the ledger) read
    Pulumi's own writes, and the resource keeps its first values (``keep_captured``)."""

    kind: str
    declared: dict[str, Any]
    resource: pulumi.Resource | None = None
    what: pulumi.Input[str] | None = None
    sibling: PriorValues | None = None

    def recorded(self, values: Any, declared: Mapping[str, Any] | None = None) -> None:
        """The prior values the resource recorded (key → value, as captured; ``declared``:
        its inputs, resolved)."""
        if isinstance(values, Mapping) and not has_unknowns(values):
            given = self.declared if declared is None else declared
            self.found(spec_of(self.kind).overlap(given, Captured(dict(values))))

    def found(self, keys: list[str]) -> None:
        resource = self.resource
        if not keys or resource is None:
            return
        shown = ", ".join(keys[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")

        def warn(what: Any) -> None:
            pulumi.log.warn(OVERLAP_WARNING.format(what=what, keys=shown), resource=resource)

        what = self.what
        if isinstance(what, str) or what is None:
            warn(what)
        else:
            pulumi.Output.from_input(cast("pulumi.Input[str]", what)).apply(warn)


_UNKNOWN_IN_PREVIEW: Final = UNKNOWN
"""A resource's ``__priors`` in a preview: the engine sees a value computed later (so a
saved update plan accepts the capture ``up`` passes), and the resource does not wait for its
``PriorValues``. A preview writes nothing, so it never needs the captured values; waiting for
the ledger put its registration (the provider process's start included) before every
resource's check, about 0.2 s of a no-change preview (2026-12-01, N=100)."""


def _previewing() -> bool:
    return pulumi.runtime.is_dry_run()


def register_priors(
    resource_name: str,
    kind: str,
    props: dict[str, Any],
    opts: pulumi.ResourceOptions | None,
    *,
    outputs: tuple[str, ...] = (),
) -> OverlapWatch | None:
    """Have the prior values of a resource about to be declared with ``props`` captured (by
    the ledger, else by a sibling ``PriorValues``) and put them in ``props[PRIORS_KEY]``.
    Returns where to send the overlap warning (``warn_overlap``); nothing when the resource
    is read by id (it writes nothing).

    A ledger entry costs the program one ``Output`` at ``up`` (the SDK's end-of-program wait
    grows with the number of pending ``Output``\\ s): its slice of the ledger's captures; in
    a preview, none (``_UNKNOWN_IN_PREVIEW``)."""
    if opts is not None and opts.id is not None:
        return None
    declared = {k: v for k, v in props.items() if k not in outputs and v is not None}
    watch = OverlapWatch(kind, declared)
    captures = _join_ledger(resource_name, kind, declared, opts)
    if captures is not None:
        key = entry_key(kind, resource_name)

        def take(found: Mapping[str, Any] | None) -> str | None:
            entry = decoded((found or {}).get(key))
            if entry is None or not isinstance(entry.get("values"), Mapping):
                return None
            return priors_input(entry["values"], entry.get("existed"))

        props[PRIORS_KEY] = _UNKNOWN_IN_PREVIEW if _previewing() else captures.apply(take)
        return watch
    own = pulumi.ResourceOptions(
        parent=opts.parent if opts else None,
        depends_on=opts.depends_on if opts else None,
        protect=False,
    )
    name = _sibling_name(resource_name, kind, own.parent)
    owner = None if name == resource_name else resource_name
    watch.sibling = PriorValues(name, kind, declared, own, owner=owner)
    props[PRIORS_KEY] = (
        _UNKNOWN_IN_PREVIEW
        if _previewing()
        else pulumi.Output.all(watch.sibling.values, watch.sibling.existed).apply(
            lambda found: priors_input(found[0] or {}, found[1])
        )
    )
    return watch


def warn_overlap(
    watch: OverlapWatch | None,
    resource: pulumi.Resource,
    what: pulumi.Input[str],
    recorded: pulumi.Output[Any],
    as_values: Callable[[Any], Any] = lambda recorded: recorded,
) -> None:
    """Warn (at ``up``, and at every later preview) when the prior values the resource
    recorded — its own output ``recorded``, made key → captured value by ``as_values`` — look
    like another stack's writes. An output every version of the resource has: a stack older
    than ``PriorValues``, or a resource created with ``--target``, has no ``__priors`` output,
    and ``up`` would then see the capture the program passes now."""
    if watch is None:
        return
    watch.resource, watch.what = resource, what
    if watch.sibling is None:  # a ledger entry: its declared inputs are plain values
        recorded.apply(lambda value: watch.recorded(as_values(value)))
    else:
        pulumi.Output.all(recorded, watch.declared).apply(
            lambda both: watch.recorded(as_values(both[0]), both[1])
        )
