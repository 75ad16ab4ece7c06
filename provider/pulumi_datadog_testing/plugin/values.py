"""Property values between the engine's wire form and what a dynamic provider receives.

Inbound, a property map goes through the very function the dynamic provider host
(``pulumi/dynamic/__main__.py``) uses — ``rpc.deserialize_properties(..., keep_unknowns=True)``
— so both front-ends hand a resource's logic identical values: numbers as floats, unknowns
as ``pulumi.output.Unknown``. Secrets never reach this code: the plugin does not accept them
(``ConfigureResponse.accept_secrets=False``) and the engine re-marks outputs whose input was
secret. Outbound, plain Python values become ``PropertyValue``\\ s (an ``Unknown`` becomes
the engine's unknown sentinel); ``None`` entries of a top-level map are dropped, as the dynamic host's
serialization drops them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.output import Unknown
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime import rpc

__all__ = ["from_wire", "to_wire", "to_wire_value"]


def from_wire(props: Mapping[str, PropertyValue]) -> dict[str, Any]:
    """A property map as the dynamic provider host would pass it to ``ResourceProvider``."""
    struct = PropertyValue.marshal_map(dict(props))
    plain = rpc.deserialize_properties(struct, keep_unknowns=True)
    return {k: rpc.unwrap_rpc_secret(v) for k, v in plain.items()}


def to_wire(values: Mapping[str, Any] | None) -> dict[str, PropertyValue]:
    """Plain outputs/inputs of a resource as a property map (``None`` values left out)."""
    return {k: to_wire_value(v) for k, v in (values or {}).items() if v is not None}


def to_wire_value(value: Any) -> PropertyValue:
    """One plain value (bool, number, str, list, dict, ``None``, ``Unknown``) as a property."""
    if isinstance(value, Unknown):
        # The engine's unknown sentinel, as the SDK (3.259) receives and sends it: its
        # ``PropertyValue.computed()`` cannot be marshalled.
        return PropertyValue(rpc.UNKNOWN)
    if value is None or isinstance(value, (bool, str)):
        return PropertyValue(value)
    if isinstance(value, (int, float)):
        return PropertyValue(float(value))
    if isinstance(value, Mapping):
        return PropertyValue({str(k): to_wire_value(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return PropertyValue([to_wire_value(v) for v in value])
    raise TypeError(f"cannot send a {type(value).__name__} to the engine: {value!r}")
