"""Validating resource inputs in ``check``: the configuration error if any, then one
``CheckFailure`` per problem, with property paths and "did you mean" hints; values unknown
during preview are never judged.

Inputs that did not change since check accepted them are not validated again (``unchanged``):
a no-change preview then loads no pydantic in the provider process (docs/performance.md)."""

from __future__ import annotations

import types
import typing
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pulumi.dynamic import CheckFailure, CheckResult

from ._process import config_failures
from ._props import WIRE_UNKNOWN, has_unknowns, is_unknown, strip_provider

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

__all__ = [
    "WIRE_UNKNOWN",
    "check_failures",
    "check_inputs",
    "has_unknowns",
    "identical",
    "is_unknown",
    "unchanged",
]

M = TypeVar("M", bound="BaseModel")


def unchanged(old: Mapping[str, Any], new: Mapping[str, Any]) -> CheckResult | None:
    """``check``'s result for inputs ``new`` that are ``old``, inputs check accepted before
    (the engine's ``olds``: the checked inputs in state), without validating them again:
    ``CheckResult(old, [])``. ``None`` (validate them) when anything differs, types included
    (``True`` is not ``1.0``), something is unknown, or configuration has a problem (check
    reports it on every resource).

    Sound because each resource's check is idempotent on its own output, and the callers
    normalize ``new`` only as check would (a default filled in, a set sorted): tests prove
    both per resource kind."""
    if not new or not identical(old, new) or has_unknowns(new) or config_failures():
        return None
    return CheckResult(dict(old), [])


def identical(a: Any, b: Any) -> bool:
    """``a == b`` with the same types all the way down (``True == 1.0`` is not identical:
    strict validation accepts only one of them)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(identical(v, b[k]) for k, v in a.items())
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def check_inputs(
    model: type[M], news: Mapping[str, Any], *, ignore: Collection[str] = ()
) -> tuple[M | None, CheckResult]:
    """Validate resource inputs with ``model`` for ``ResourceProvider.check``.

    Drops ``__provider`` and the ``ignore`` keys (e.g. output placeholders). Returns the
    model (``None`` if invalid or partly unknown) and a ``CheckResult`` whose inputs are the
    validated values (``exclude_none``), or the raw inputs when something is unknown or
    invalid. Failures caused only by preview unknowns are not reported; a configuration
    error found by ``configure`` is (``config_failures``).
    """
    from pydantic import ValidationError  # loaded by the first validation only

    props = {k: v for k, v in strip_provider(news).items() if k not in ignore}
    failures = config_failures()
    try:
        parsed = model.model_validate(props)
    except ValidationError as exc:
        return None, CheckResult(props, failures + check_failures(exc, model, props))
    if has_unknowns(props) or failures:
        return None, CheckResult(props, failures)
    return parsed, CheckResult(parsed.model_dump(mode="json", exclude_none=True), [])


def check_failures(
    error: ValidationError, model: type[BaseModel], inputs: Mapping[str, Any] | None = None
) -> list[CheckFailure]:
    """One ``CheckFailure(property, reason)`` per pydantic error, with property paths like
    ``tests[0].public_id``; unknown names get a "did you mean" hint. Errors on values that
    are unknown in ``inputs`` (preview) are skipped."""
    failures = []
    for err in error.errors():
        loc = tuple(err["loc"])
        if inputs is not None and _unknown_along(inputs, loc):
            continue
        failures.append(CheckFailure(_property_path(loc), _reason(err, model, loc)))
    return failures


def _reason(err: Mapping[str, Any], model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        name = str(loc[-1])
        known = _field_names(model, loc[:-1])
        import difflib  # only a misspelt name needs it

        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        if close:
            return f"unknown property {name!r}; did you mean {close[0]!r}?"
        return f"unknown property {name!r}; valid properties: {', '.join(sorted(known)) or 'none'}"
    if kind == "missing":
        return "missing required property"
    got = err.get("input")
    shown = repr(got)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{err['msg']} (got {shown})" if not isinstance(got, (dict, list)) else str(err["msg"])


def _property_path(loc: Sequence[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif str(part).isidentifier():
            path += f".{part}" if path else str(part)
        else:
            path += f"[{str(part)!r}]"
    return path


def _unknown_along(inputs: Any, loc: Sequence[Any]) -> bool:
    value = inputs
    for part in loc:
        if is_unknown(value):
            return True
        in_mapping = isinstance(value, Mapping) and part in value
        in_list = isinstance(value, (list, tuple)) and isinstance(part, int) and part < len(value)
        if not (in_mapping or in_list):
            break
        value = value[part]
    return has_unknowns(value)


def _field_names(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """Field names of the (nested) model reached by following ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        current = _element_type(current)  # unwrap X | None, list[X], dict[str, X]
        if isinstance(part, str) and _is_model(current) and part in current.model_fields:
            current = current.model_fields[part].annotation
    current = _element_type(current)
    return list(current.model_fields) if _is_model(current) else []


def _is_model(annotation: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _element_type(annotation: Any) -> Any:
    """The model inside ``X | None``, ``list[X]``, ``dict[str, X]``, … (first one found)."""
    for arg in _flatten(annotation):
        if _is_model(arg):
            return arg
    return annotation


def _flatten(annotation: Any) -> Iterator[Any]:
    yield annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            yield from _flatten(arg)
