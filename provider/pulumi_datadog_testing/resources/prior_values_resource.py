"""The program half of ``PriorValues`` (see ``prior_values`` for why the resource exists): the
``PriorValues`` resource class, the stack's ledger, ``register_priors`` / ``warn_overlap``
which the resource classes call, and the encoding of captured values both halves share.

What a program imports to declare resources: nothing here loads pydantic or a provider class
(the provider, ``PriorValuesProvider``, is named by a ``ProviderRef``; see ``_provider_ref``).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

import pulumi
import pulumi.dynamic
from pulumi.output import UNKNOWN

from ..type_tokens import MODULE
from ._props import PRIORS_KEY, has_unknowns, is_unknown
from ._provider_ref import ProviderRef
from ._resource import register_dynamic

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
    "PriorValues",
    "captured_of",
    "carry_priors",
    "decoded",
    "encoded",
    "entry_key",
    "overlap_of",
    "pack_values",
    "priors_input",
    "register_priors",
    "split_entry_key",
    "stable",
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


@dataclass(frozen=True)
class Captured:
    """The prior values a resource was given (``values``: key → value; ``existed``: whether
    the object existed on the server; ``None`` when the kind does not say)."""

    values: dict[str, Any]
    existed: bool | None = None


KIND_MODULES: Final = {
    "ServiceSettings": "service_settings",
    "FlakyTestState": "flaky_test_state",
    "FlakyTestStates": "flaky_test_states",
    "FlakyTestPolicies": "flaky_test_policies",
}
"""The kinds whose prior values are captured → their module under ``resources``: ``<module>``
is the provider side (``PRIOR_SPEC``), ``<module>_resource`` the program side (``overlap``,
for the kinds that warn of one)."""


def overlap_of(kind: str) -> Callable[[Mapping[str, Any], Captured], list[str]]:
    """The ``overlap(declared, captured)`` of a kind: keys whose prior value already looks
    like another stack's write (declared value, explicitly set); plain-dict code, as the
    program calls it."""
    module = KIND_MODULES.get(kind)
    program_side = importlib.import_module(f"{__package__}.{module}_resource") if module else None
    overlap: Callable[[Mapping[str, Any], Captured], list[str]] | None = getattr(
        program_side, "overlap", None
    )
    return overlap if overlap is not None else lambda _declared, _captured: []


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


def stable(value: Any) -> str:
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


def entry_key(kind: str, resource_name: str) -> str:
    """The ledger key of a resource: its kind and name (unique among top-level resources)."""
    return f"{kind}::{resource_name}"


def split_entry_key(key: str) -> tuple[str, str]:
    """The kind and resource name of a ledger key (``entry_key`` reversed)."""
    kind, _, resource_name = key.partition("::")
    return kind, resource_name


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
    watches: list[tuple[list[pulumi.Output[Any]], Callable[[list[Any]], None]]] = field(
        default_factory=list
    )

    def watch(self, outputs: list[pulumi.Output[Any]], react: Callable[[list[Any]], None]) -> None:
        """Call ``react`` with the values of ``outputs`` once they resolve (``None`` for an
        unknown one), batched: the watches added in one turn of the event loop share one
        awaiting Output.

        An ``apply`` per resource costs the program a tracked Output each, and at the end of
        the program the SDK's ``wait_for_rpcs`` waits on all tracked Outputs every time one
        resolves: at N = 500 that was ~20,000 ``add_done_callback`` calls and about a sixth of
        a no-change preview's program CPU (cProfile, 2026-12-01). One Output per batch is
        waited for the same way, so a warning is never lost at the end of the program."""
        if not self.watches:
            self.loop.call_soon(self._flush)
        self.watches.append((outputs, react))

    def _flush(self) -> None:
        batch, self.watches = self.watches, []

        async def run() -> None:
            for outputs, react in batch:
                try:
                    values = [await output.future() for output in outputs]
                except Exception:  # noqa: BLE001, S112 - its registration failed: reported there
                    continue
                react(values)

        async def known() -> bool:
            return True

        pulumi.Output(set(), run(), known())


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


_PROVIDER: Final = ProviderRef(f"{__package__}.prior_values", "PriorValuesProvider")
"""The provider of ``PriorValues`` (``prior_values.PriorValuesProvider``), by name."""


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
        register_dynamic(self, _PROVIDER, resource_name, props, opts)


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
            self.found(overlap_of(self.kind)(given, Captured(dict(values))))

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
    recorded: pulumi.Output[Any] | Sequence[pulumi.Output[Any]],
    as_values: Callable[[Any], Any] = lambda recorded: recorded,
) -> None:
    """Warn (at ``up``, and at every later preview) when the prior values the resource
    recorded — its own output ``recorded`` (or several: ``as_values`` gets their values as a
    list), made key → captured value by ``as_values`` — look like another stack's writes. An
    output every version of the resource has: a stack older than ``PriorValues``, or a
    resource created with ``--target``, has no ``__priors`` output, and ``up`` would then see
    the capture the program passes now."""
    if watch is None:
        return
    watch.resource, watch.what = resource, what
    several = not isinstance(recorded, pulumi.Output)
    outputs = list(recorded) if not isinstance(recorded, pulumi.Output) else [recorded]
    program = _program()
    if watch.sibling is None and program is not None:  # a ledger entry: plain inputs
        program.watch(
            outputs, lambda values: watch.recorded(as_values(values if several else values[0]))
        )
    elif program is not None:  # a sibling's: its declared inputs may hold Outputs
        given = pulumi.Output.from_input(watch.declared)

        def react(values: list[Any]) -> None:
            if values[-1] is not None:
                found = values[:-1]
                watch.recorded(as_values(found if several else found[0]), values[-1])

        # Not Output.all: an output unknown in a preview (one a state no longer stores, see
        # ``_resource``'s ``RECORDED``) would hold back the others.
        program.watch([*outputs, given], react)
    else:
        declared = watch.declared if watch.sibling is not None else None
        pulumi.Output.all(*outputs, declared).apply(
            lambda found: watch.recorded(as_values(found[:-1] if several else found[0]), found[-1])
        )
