"""Building blocks shared by every policy: selection by type token, config, plain props.

A policy is written as a *check*: a function from typed inputs (a resource's reference and
plain properties, or all of the stack's resources of the kinds it targets) and its parsed
config to the violation messages it finds. ``resource_policy``/``stack_policy`` wrap a check
into the pulumi-policy object, so every policy selects resources the same way (by type
token), parses its config the same way and treats unknown values the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from ..type_tokens import ResourceKind, kind_of
from ._config import PolicyConfig, config_schema, load_config
from ._levels import advisory_reporter
from ._props import plain
from ._resources import ResourceRef

__all__ = [
    "Advisory",
    "StackResource",
    "Violation",
    "join_or",
    "listing",
    "py",
    "resource_policy",
    "stack_policy",
]

C = TypeVar("C", bound=PolicyConfig)


@dataclass(frozen=True)
class StackResource:
    """One of the stack's resources of a targeted kind, with plain properties."""

    ref: ResourceRef
    props: Mapping[str, Any]


class Advisory(str):
    """A message a resource check reports as a warning (advisory level) even when its policy
    is mandatory — e.g. a quarantine that expires soon, where failing preview comes later."""

    __slots__ = ()


class Violation(NamedTuple):
    """A stack policy's finding; ``urn`` ties it to one resource (``None``: the whole stack)."""

    message: str
    urn: str | None = None


ResourceCheck = Callable[[ResourceRef, Mapping[str, Any], C], Iterable[str]]
"""Messages about one resource of a targeted kind, given its plain properties and the config."""

StackCheck = Callable[[Sequence[StackResource], C], Iterable[Violation]]
"""Violations found among the stack's resources of the targeted kinds (in name order)."""


def _targeted(
    kinds: Collection[ResourceKind], resource_type: str, name: str, urn: str
) -> ResourceRef | None:
    """The resource's ref when its type token is one of ``kinds``, else ``None``."""
    kind = kind_of(resource_type)
    if kind is None or kind not in kinds:
        return None
    return ResourceRef(kind=kind, name=name, urn=urn)


def resource_policy(
    *,
    name: str,
    description: str,
    kinds: Collection[ResourceKind],
    config: type[C],
    check: ResourceCheck[C],
    enforcement_level: EnforcementLevel,
    remediation_steps: str | None = None,
) -> ResourceValidationPolicy:
    """A ``ResourceValidationPolicy`` running ``check`` on each resource of ``kinds``."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        parsed = load_config(config, name, args.get_config())
        ref = _targeted(kinds, args.resource_type, args.name, args.urn)
        if ref is None:
            return
        for message in check(ref, plain(args.props), parsed):
            if isinstance(message, Advisory):
                advisory_reporter(report_violation)(str(message), None)
            else:
                report_violation(message, None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=config_schema(config),
        remediation_steps=remediation_steps,
    )


def stack_policy(
    *,
    name: str,
    description: str,
    kinds: Collection[ResourceKind],
    config: type[C],
    check: StackCheck[C],
    enforcement_level: EnforcementLevel,
    remediation_steps: str | None = None,
) -> StackValidationPolicy:
    """A ``StackValidationPolicy`` running ``check`` over the stack's resources of ``kinds``."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        parsed = load_config(config, name, args.get_config())
        selected = []
        for resource in args.resources:
            ref = _targeted(kinds, resource.resource_type, resource.name, resource.urn)
            if ref is not None:
                selected.append(StackResource(ref=ref, props=plain(resource.props)))
        # The engine lists resources in no stable order; name order makes "first declared"
        # (the owner a duplicate is compared with) and every message deterministic.
        selected.sort(key=lambda resource: (resource.ref.name, resource.ref.urn))
        for violation in check(selected, parsed):
            report_violation(violation.message, violation.urn)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=config_schema(config),
        remediation_steps=remediation_steps,
    )


def py(value: object) -> str:
    """A value as the Python literal the program author would write: ``True``, ``'prod'``, ``0.5``."""
    return repr(value)


def join_or(items: Iterable[str]) -> str:
    """``'a'``, ``'a or b'``, ``'a, b or c'``."""
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def listing(items: Sequence[str], limit: int = 10) -> str:
    """A comma-separated list of at most ``limit`` items, then ``and N more``."""
    shown = ", ".join(items[:limit])
    rest = len(items) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown
