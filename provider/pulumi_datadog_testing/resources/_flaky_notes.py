"""Notes on a flaky test's state — ``expires``, ``owner``, ``reason`` — kept in Pulumi state only.

Datadog stores a test's state, nothing about why or until when. Teams keep that next to the
state in code: ``reason`` (e.g. a ticket), ``owner`` (free text, e.g. ``@acme/payments``) and
``expires`` (an ISO date, ``YYYY-MM-DD``: the last day the quarantine is meant to last; the
``flaky-quarantine-expiry`` policy fails preview after it). None of them is ever sent to the
API; changing one is an update that makes no API call.

In ``FlakyTestStates(states=...)`` each value is either a state string or an object
``{"state": ..., "expires": ..., "owner": ..., "reason": ...}`` carrying that test's own
notes (the resource-level ``expires``/``owner``/``reason`` apply to tests without their own).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    TypeAdapter,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from ..identity import FlakyState
from ._flaky_values import (
    NOTE_KEYS,
    FlakyTestEntryArgs,
    entry_notes,
    entry_state,
    notes_map,
    plain_states,
)

__all__ = [
    "NOTE_KEYS",
    "FlakyTestEntry",
    "FlakyTestEntryArgs",
    "IsoDate",
    "StateEntry",
    "entry_notes",
    "entry_state",
    "notes_map",
    "parse_iso_date",
    "plain_states",
]

_ISO_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_iso_date(value: str) -> date:
    """``YYYY-MM-DD`` as a date, or ``ValueError`` saying what was expected."""
    try:
        if _ISO_DATE.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(f"not an ISO date: {value!r}; expected YYYY-MM-DD, e.g. '2026-12-31'")


def _iso_date(value: str) -> str:
    parse_iso_date(value)
    return value


IsoDate = Annotated[str, AfterValidator(_iso_date)]
"""An ISO calendar date (``YYYY-MM-DD``), kept as the string the program gave."""


class FlakyTestEntry(BaseModel):
    """One test's value in ``FlakyTestStates(states=...)`` when it carries its own notes."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    state: FlakyState
    expires: IsoDate | None = None
    owner: str | None = None
    reason: str | None = None


_STATE: Final[TypeAdapter[FlakyState]] = TypeAdapter(FlakyState)


def _entry(value: Any) -> FlakyState | FlakyTestEntry:
    """A map-form value, with one error at the test's own path (``states.<id>``)."""
    if isinstance(value, FlakyTestEntry):
        return value
    try:
        if isinstance(value, Mapping):
            return FlakyTestEntry.model_validate(value)
        return _STATE.validate_python(value, strict=True)
    except ValidationError as exc:
        problems = "; ".join(
            (f"{'.'.join(map(str, e['loc']))}: " if e["loc"] else "") + e["msg"]
            for e in exc.errors(include_url=False)
        )
        if not isinstance(value, Mapping):
            problems += (
                ' (or an object {"state": ..., "expires": "YYYY-MM-DD", "owner": ..., '
                '"reason": ...})'
            )
        raise PydanticCustomError("flaky_state_entry", problems) from None


StateEntry = Annotated[FlakyState | FlakyTestEntry, BeforeValidator(_entry)]
"""A map-form value: a state, or an object with the state and that test's notes."""
