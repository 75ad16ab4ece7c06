"""Reading provider hook results in tests: the SDK types ``outs`` as optional."""

from __future__ import annotations

from typing import Any, Protocol


class _HasOuts(Protocol):
    @property
    def outs(self) -> dict[str, Any] | None: ...


class _HasInputs(Protocol):
    @property
    def inputs(self) -> dict[str, Any] | None: ...


def outs(result: _HasOuts) -> dict[str, Any]:
    """``result.outs``, which a create/update/read that succeeded always sets."""
    assert result.outs is not None, f"{type(result).__name__} has no outputs"
    return result.outs


def inputs(result: _HasInputs) -> dict[str, Any]:
    """``result.inputs`` of a read that reports them."""
    assert result.inputs is not None, f"{type(result).__name__} has no inputs"
    return result.inputs
