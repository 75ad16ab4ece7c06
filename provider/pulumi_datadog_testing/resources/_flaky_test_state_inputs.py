"""The pydantic model of ``FlakyTestState``'s inputs (``flaky_test_state``), as check
validates them. Loaded by the first validation or API call, not by a no-change preview (see
``_check.unchanged``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from ..identity import FlakyState
from ..models import NonEmptyStr
from . import _flaky
from ._flaky_notes import IsoDate
from ._flaky_values import SELECTOR

__all__ = ["FlakyTestStateInputs"]


class FlakyTestStateInputs(BaseModel):
    """The validated inputs of ``FlakyTestState``."""

    model_config = ConfigDict(defer_build=True, extra="forbid", strict=True)

    repository_id: NonEmptyStr
    test_id: NonEmptyStr | None = None
    module: NonEmptyStr | None = None
    suite: NonEmptyStr | None = None
    name: NonEmptyStr | None = None
    state: FlakyState
    reason: str | None = None
    expires: IsoDate | None = None
    owner: str | None = None

    @field_validator("test_id")
    @classmethod
    def _id(cls, value: str | None) -> str | None:
        if value is not None:
            _flaky.check_test_ids([value])
        return value

    def selector(self) -> dict[str, str]:
        """The selector fields that are set."""
        return {k: v for k in SELECTOR if (v := getattr(self, k)) is not None}
