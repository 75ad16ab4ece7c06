"""The pydantic model of ``FlakyTestStates``' inputs (``flaky_test_states``), as check
validates them. Loaded by the first validation or API call, not by a no-change preview (see
``_check.unchanged``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from ..identity import FlakyState
from ..models import NonEmptyStr
from . import _flaky
from ._flaky_notes import IsoDate, StateEntry, entry_state

__all__ = ["FlakyTestStatesInputs"]


class FlakyTestStatesInputs(BaseModel):
    """The validated inputs of ``FlakyTestStates``."""

    model_config = ConfigDict(defer_build=True, extra="forbid", strict=True)

    repository_id: NonEmptyStr
    states: dict[str, StateEntry] | None = None
    query: NonEmptyStr | None = None
    state: FlakyState | None = None
    reason: str | None = None
    expires: IsoDate | None = None
    owner: str | None = None

    @field_validator("states")
    @classmethod
    def _ids(cls, value: dict[str, StateEntry] | None) -> dict[str, StateEntry] | None:
        if value is not None:
            _flaky.check_test_ids(value)
        return value

    def desired_states(self) -> dict[str, FlakyState]:
        """The map form's ``{test_id: state}`` (notes left out)."""
        return {test_id: entry_state(value) for test_id, value in (self.states or {}).items()}
