"""The pydantic models of ``SyntheticsSuite``'s inputs (``synthetics_suite``), as check
validates them. Loaded by the first validation or API call, not by a no-change preview (see
``_check.unchanged``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from ..models import AlertingCriticality, SuiteOptions, SuiteTest
from ..models import SyntheticsSuite as SuiteDocument

__all__ = ["SuiteInputs", "SuiteOptionsInput", "SuiteTestInput", "Tag"]


Tag = Annotated[str, Field(min_length=1, max_length=200)]
"""A tag: Datadog accepts up to 200 characters (docs: Getting Started with Tags)."""


class SuiteTestInput(BaseModel):
    """One Synthetic test of the suite."""

    model_config = ConfigDict(defer_build=True, strict=True, extra="forbid")

    public_id: Annotated[str, Field(min_length=1)]
    alerting_criticality: AlertingCriticality | None = None


class SuiteOptionsInput(BaseModel):
    """Suite options."""

    model_config = ConfigDict(defer_build=True, strict=True, extra="forbid")

    alerting_threshold: float | None = None

    @field_validator("alerting_threshold")
    @classmethod
    def _fraction(cls, value: float | None) -> float | None:
        if value is not None and not 0 <= value <= 1:  # False for NaN too
            raise PydanticCustomError(
                "alerting_threshold",
                "must be a fraction between 0 and 1 inclusive (e.g. 0.5 for 50%)",
            )
        return value


class SuiteInputs(BaseModel):
    """The resolved inputs of a ``SyntheticsSuite`` as ``check`` validates them."""

    model_config = ConfigDict(defer_build=True, strict=True, extra="forbid")

    name: Annotated[str, Field(min_length=1)]
    tests: list[SuiteTestInput]
    message: str | None = None
    tags: list[Tag] | None = None
    options: SuiteOptionsInput | None = None
    public_id: Annotated[str, Field(min_length=1)] | None = None
    """An existing suite to adopt (create reads it instead of creating one)."""

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("blank", "must not be blank")
        return value

    @field_validator("tags")
    @classmethod
    def _tag_set(cls, value: list[str] | None) -> list[str] | None:
        return sorted(set(value)) if value is not None else None

    @field_validator("tests")
    @classmethod
    def _unique_tests(cls, value: list[SuiteTestInput]) -> list[SuiteTestInput]:
        first: dict[str, int] = {}
        for index, test in enumerate(value):
            if test.public_id in first:
                raise PydanticCustomError(
                    "duplicate_public_id",
                    "duplicate public_id '{public_id}' at tests[{first}] and tests[{index}]; "
                    "each test may appear once",
                    {"public_id": test.public_id, "first": first[test.public_id], "index": index},
                )
            first[test.public_id] = index
        return value

    def document(self) -> SuiteDocument:
        """The suite a create sends (unset optional fields are omitted)."""
        return SuiteDocument(
            name=self.name,
            message=self.message,
            tags=self.tags,
            tests=[SuiteTest(**t.model_dump()) for t in self.tests],
            options=SuiteOptions(**(self.options.model_dump() if self.options else {})),
        )
