"""Resource properties exactly as the dynamic-provider server hands them to ``check``/``diff``.

``pulumi/dynamic/__main__.py`` (SDK 3.259) deserializes ``Check``/``Diff`` requests with
``rpc.deserialize_properties(struct, keep_unknowns=True)``: every value that is not known yet
(top level, a list item, a map value) becomes a ``pulumi.output.Unknown`` instance and every
number a float. Tests build their properties the same way instead of writing the wire
sentinel string by hand.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime import rpc

__all__ = ["U", "as_sent"]

U = rpc.UNKNOWN
"""Marks a value as unknown in the properties given to ``as_sent``."""


def as_sent(props: dict[str, Any]) -> dict[str, Any]:
    """``props`` through the protobuf Struct and the SDK's deserializer, as in preview."""
    struct = struct_pb2.Struct()
    struct.update(props)
    result: dict[str, Any] = rpc.deserialize_properties(struct, keep_unknowns=True)
    return result
