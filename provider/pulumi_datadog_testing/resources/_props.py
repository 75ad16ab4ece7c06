"""A resource's properties on the program side: what it registers with the engine."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["PROVIDER_KEY", "input_names", "props_of", "strip_provider"]

PROVIDER_KEY = "__provider"
"""The property holding the pickled provider; never part of a resource's own inputs."""


def strip_provider(props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` without the ``__provider`` entry the engine adds."""
    return {key: value for key, value in props.items() if key != PROVIDER_KEY}


def input_names(args_type: type) -> tuple[str, ...]:
    """The input properties a resource's ``XArgs`` TypedDict declares, in declaration order.

    Each resource declares its inputs once, as that TypedDict: it types ``args=XArgs(...)``
    and, through ``**kwargs: Unpack[XArgs]``, the keyword arguments; ``props_of`` registers
    exactly these names."""
    return tuple(args_type.__annotations__)  # a TypedDict's include its bases' keys


def props_of(
    args: Any,
    overrides: Mapping[str, Any],
    outputs: Iterable[str] = (),
    *,
    names: Iterable[str] = (),
) -> dict[str, Any]:
    """A resource's properties from its ``XArgs`` (a TypedDict or dataclass) or a plain mapping
    (passed through unchanged, so a misspelt key gets check's "did you mean"), overridden by
    the keyword arguments that are not ``None``; every declared input (``names``, and every
    keyword) and every name in ``outputs`` is present (``None`` = not set / computed), so the
    engine reports each output."""
    props: dict[str, Any] = dict.fromkeys((*names, *overrides))
    if isinstance(args, Mapping):
        props.update(args)
    elif dataclasses.is_dataclass(args) and not isinstance(args, type):
        props.update({f.name: getattr(args, f.name) for f in dataclasses.fields(args)})
    elif args is not None:
        raise TypeError(f"args must be an Args object or a mapping, got {type(args).__name__}")
    props.update({k: v for k, v in overrides.items() if v is not None})
    for name in outputs:
        props.setdefault(name, None)
    return props
