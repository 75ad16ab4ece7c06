"""Reading resource properties as plain data, with values unknown during preview kept apart.

pulumi-policy hands policies the properties wrapped in a proxy that raises
``UnknownValueError`` on any access to a value that is not known yet (a preview where an input
depends on another resource's output); the SDK then turns the whole policy run into a
"can't run policy during preview" warning. Policies here read properties through ``plain()``
instead: every unknown value becomes the ``UNKNOWN`` marker, so a policy checks everything that
*is* known and simply skips the rest — an unknown value is never reported as a violation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any, Final

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

__all__ = ["UNKNOWN", "Unknown", "is_known", "plain"]


class Unknown(Enum):
    """The type of ``UNKNOWN``: a value that will only be known after the update."""

    UNKNOWN = "unknown"

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown.UNKNOWN
"""Stands for a property value that is unknown during preview."""

_SENTINELS: Final = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


def plain(value: Any) -> Any:
    """A deep copy of ``value`` as dicts, lists and scalars, unknowns replaced by ``UNKNOWN``.

    Accepts the SDK's unknown-checking proxies as well as plain data holding the raw unknown
    sentinel strings (the engine's wire form).
    """
    if isinstance(value, str):
        return UNKNOWN if value in _SENTINELS else value
    if isinstance(value, Mapping):
        return {str(key): plain(_read(value, key)) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [plain(_read(value, index)) for index in range(len(value))]
    return value


def _read(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except UnknownValueError:
        return UNKNOWN


def is_known(value: object) -> bool:
    """False for ``UNKNOWN``: a value a policy must not judge yet."""
    return value is not UNKNOWN
