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

So each managed resource registers a ``PriorValues`` sibling (same name, this type) whose
create only *reads*; the resource takes its outputs as the hidden input ``__priors``. By the
time the resource's create or update writes anything, the values are in the saved state,
whatever is killed afterwards. A re-run, an update that manages one more setting, leaf or
test, and ``pulumi-datadog-testing repair`` all take the prior values from there, and a value
already captured is never read again (so Pulumi's own writes are never taken for priors).

Costs: one read per new resource at ``up`` (the resource's own create no longer reads, so
the number of calls is unchanged); ``preview``, ``refresh`` and ``destroy`` of a
``PriorValues`` make no API call.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable, Mapping
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

from ..type_tokens import MODULE
from ._base import DatadogResourceProvider, has_unknowns, strip_provider

__all__ = [
    "PRIORS_KEY",
    "PRIOR_VALUES",
    "Captured",
    "PriorSpec",
    "PriorValues",
    "PriorValuesProvider",
    "captured_of",
    "carry_priors",
    "register_priors",
    "spec_of",
    "warn_overlap",
    "without_priors",
]

PRIORS_KEY: Final = "__priors"
"""The hidden input carrying the captured values (keys starting ``__`` are not displayed)."""
PRIOR_VALUES: Final = "PriorValues"
"""The ``name=`` of the class (type ``pulumi-python:dynamic/datadog-testing:PriorValues``)."""

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


def captured_of(props: Mapping[str, Any]) -> Captured | None:
    """The ``__priors`` input of a resource's properties (``None``: absent or unknown)."""
    raw = props.get(PRIORS_KEY)
    if (
        not isinstance(raw, Mapping)
        or has_unknowns(raw)
        or not isinstance(raw.get("values"), Mapping)
    ):
        return None
    existed = raw.get("existed")
    return Captured(dict(raw["values"]), existed if isinstance(existed, bool) else None)


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


class PriorValuesProvider(DatadogResourceProvider):
    """Reads at create and update only; refresh and delete make no call and change nothing."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        # The resource's own check validates the declared inputs.
        return CheckResult(strip_provider(news), [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = olds.get("declared") or {}, news.get("declared") or {}
        if news.get("kind") != olds.get("kind"):
            return DiffResult(changes=True, replaces=["kind"], delete_before_replace=True)
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
        # Nothing captured because the object was not found (a flaky test not detected yet):
        # capture again, so the next create that finds it still has its value before writing.
        found_nothing = not olds.get("values") and olds.get("existed") is False
        return DiffResult(
            changes=changed or found_nothing, replaces=[], delete_before_replace=False
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        kind, declared = str(props["kind"]), dict(props.get("declared") or {})
        outputs = self._capture(kind, declared, None)
        digest = hashlib.sha256(_stable(spec_of(kind).identity(declared)).encode()).hexdigest()
        return CreateResult(f"{kind}::{digest[:16]}", outputs)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        kind, declared = str(news["kind"]), dict(news.get("declared") or {})
        known = Captured(dict(olds.get("values") or {}), olds.get("existed"))
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
            "values": captured.values,
            "existed": captured.existed,
            "overlap": spec.overlap(declared, captured),
        }


class PriorValues(pulumi.dynamic.Resource, module=MODULE, name=PRIOR_VALUES):
    """The prior values of one managed resource (registered by that resource; see the module
    docstring). Outputs: ``values`` (key → prior value), ``existed``, ``overlap`` (keys that
    already held the declared value, explicitly set: possibly another stack's write)."""

    values: pulumi.Output[dict[str, Any]]
    existed: pulumi.Output[bool | None]
    overlap: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        kind: str,
        declared: Mapping[str, Any],
        opts: pulumi.ResourceOptions,
    ) -> None:
        props = {
            "kind": kind,
            "declared": dict(declared),
            "values": None,
            "existed": None,
            "overlap": None,
        }
        super().__init__(PriorValuesProvider(), resource_name, props, opts)


OVERLAP_WARNING: Final = (
    "{what}: {keys} already had the declared value, set explicitly, before this stack managed "
    "it. If another stack manages the same object, keep one owning stack: see "
    "docs/reliability.md, 'Two stacks' (if you adopted existing values on purpose, e.g. with "
    "`pulumi-datadog-testing generate`, nothing is wrong)"
)


def register_priors(
    resource_name: str,
    kind: str,
    props: dict[str, Any],
    opts: pulumi.ResourceOptions | None,
    *,
    outputs: tuple[str, ...] = (),
) -> PriorValues | None:
    """Register the ``PriorValues`` of a resource about to be declared with ``props`` and put
    its outputs in ``props[PRIORS_KEY]``. Nothing when the resource is read by id (it writes
    nothing) — returns ``None`` then."""
    if opts is not None and opts.id is not None:
        return None
    declared = {k: v for k, v in props.items() if k not in outputs and v is not None}
    own = pulumi.ResourceOptions(
        parent=opts.parent if opts else None,
        depends_on=opts.depends_on if opts else None,
        protect=False,
    )
    priors = PriorValues(resource_name, kind, declared, own)
    props[PRIORS_KEY] = {"values": priors.values, "existed": priors.existed}
    return priors


def warn_overlap(
    priors: PriorValues | None, resource: pulumi.Resource, what: pulumi.Input[str]
) -> None:
    """Warn (at ``up``, and at every later preview) when ``priors`` found values that look like
    another stack's writes."""
    if priors is None:
        return

    def warn(args: list[Any]) -> None:
        keys, name = args
        if keys:
            shown = ", ".join(keys[:10]) + (f" and {len(keys) - 10} more" if len(keys) > 10 else "")
            pulumi.log.warn(OVERLAP_WARNING.format(what=name, keys=shown), resource=resource)

    pulumi.Output.all(priors.overlap, what).apply(warn)
