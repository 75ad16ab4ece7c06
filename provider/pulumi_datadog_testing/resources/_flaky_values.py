"""Flaky-test values both sides read, without pydantic: the program's overlap warnings use
them as the provider does (``_flaky`` and ``_flaky_notes`` re-export them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NotRequired, TypedDict, cast

from ..identity import FlakyState
from .prior_values_resource import unpack_values

__all__ = [
    "NOTE_KEYS",
    "SELECTOR",
    "FlakyTestEntryArgs",
    "States",
    "captured_state",
    "entry_notes",
    "entry_state",
    "notes_map",
    "plain_states",
    "states_map",
]

States = dict[str, FlakyState]

NOTE_KEYS: Final = ("expires", "owner", "reason")
"""The notes a state may carry (never sent to the API; see ``_flaky_notes``)."""
SELECTOR: Final = ("module", "suite", "name")
"""The name parts a ``FlakyTestState`` may name its test by instead of ``test_id``."""


class FlakyTestEntryArgs(TypedDict):
    """A test's value in ``FlakyTestStates(states=...)`` with notes of its own."""

    state: str
    """``active``, ``quarantined``, ``disabled`` or ``fixed``."""
    expires: NotRequired[str]
    """ISO date (``YYYY-MM-DD``): the last day this test's quarantine is meant to last."""
    owner: NotRequired[str]
    """Who owns the fix (free text, e.g. ``@acme/payments``)."""
    reason: NotRequired[str]
    """Why (e.g. a ticket link)."""


def captured_state(value: Any) -> FlakyState:
    """The state in a captured value: a bare state (``FlakyTestStates``: one string per test
    keeps a 20,000-test capture at 20,000 property values, each of which the engine marshals
    and logs on every gRPC call) or ``{"state": ..., ...}`` (``captured_value``; also what
    ``FlakyTestStates`` captured before)."""
    state = value.get("state") if isinstance(value, Mapping) else value
    return cast("FlakyState", state) if isinstance(state, str) and state else "active"


def states_map(raw: Any) -> States:
    """A ``{test_id: state}`` output as a plain dict (empty when absent); a packed one
    (``pack_values``: ``FlakyTestStates.previous_states`` of a large set) unpacked."""
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): v for k, v in unpack_values(raw).items()}


def entry_state(value: Any) -> Any:
    """The state of a map-form value: a state string, an object's ``state``, or the ``state``
    of a validated entry (``_flaky_notes.FlakyTestEntry``)."""
    if isinstance(value, Mapping):
        return value.get("state")
    return value if isinstance(value, str) else getattr(value, "state", value)


def plain_states(raw: Any) -> dict[str, Any]:
    """``{test_id: state}`` from a map whose values may be objects (empty when absent)."""
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): entry_state(v) for k, v in raw.items()}


def entry_notes(value: Any) -> dict[str, Any]:
    """The notes a map-form value carries (``{}`` for a plain state): those of an object, or
    of a validated entry (``_flaky_notes.FlakyTestEntry``, read through its ``model_dump``)."""
    if not isinstance(value, Mapping | str) and hasattr(value, "model_dump"):
        value = value.model_dump(exclude_none=True)
    if not isinstance(value, Mapping):
        return {}
    return {k: value[k] for k in NOTE_KEYS if value.get(k) is not None}


def notes_map(raw: Any) -> dict[str, dict[str, Any]]:
    """``{test_id: notes}`` for the tests of a map that carry notes of their own."""
    if not isinstance(raw, Mapping):
        return {}
    return {str(k): notes for k, v in raw.items() if (notes := entry_notes(v))}
