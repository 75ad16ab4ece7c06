"""A resource's properties on the program side: what it registers with the engine."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

__all__ = ["PRIORS_KEY", "PROVIDER_KEY", "given_inputs", "input_names", "strip_provider"]

PROVIDER_KEY = "__provider"
"""The property holding the pickled provider; never part of a resource's own inputs."""
PRIORS_KEY = "__priors"
"""The hidden input carrying a resource's captured prior values (see ``prior_values``; keys
starting ``__`` are not displayed)."""


def strip_provider(props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` without the ``__provider`` entry the engine adds."""
    return {key: value for key, value in props.items() if key != PROVIDER_KEY}


def input_names(args_type: type) -> tuple[str, ...]:
    """The input properties a resource's ``XArgs`` TypedDict declares, in declaration order.

    Each resource declares its inputs once, as that TypedDict: it types ``args=XArgs(...)``
    and, through ``**kwargs: Unpack[XArgs]``, the keyword arguments."""
    return tuple(args_type.__annotations__)  # a TypedDict's include its bases' keys


def given_inputs(args: Any, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs the user gave values for: the fields of ``args`` (an ``XArgs`` TypedDict or
    dataclass, or a plain mapping, whose keys pass through unchanged so a misspelt key gets
    check's "did you mean"), overridden by the keyword arguments that are not ``None``.
    ``None`` means "not given" and is left out (the SDK would not send it either)."""
    given: dict[str, Any]
    if isinstance(args, Mapping):
        given = dict(args)
    elif dataclasses.is_dataclass(args) and not isinstance(args, type):
        given = {f.name: getattr(args, f.name) for f in dataclasses.fields(args)}
    elif args is None:
        given = {}
    else:
        raise TypeError(f"args must be an Args object or a mapping, got {type(args).__name__}")
    given.update((key, value) for key, value in overrides.items() if value is not None)
    return {key: value for key, value in given.items() if value is not None}
