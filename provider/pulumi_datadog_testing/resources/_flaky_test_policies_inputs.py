"""The pydantic models of ``FlakyTestPolicies``' inputs (``flaky_test_policies``), as check
validates them: the API's policy models with unknown names rejected at any depth. Loaded by
the first validation or API call, not by a no-change preview (see ``_check.unchanged``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..models import (
    PoliciesAttemptToFix,
    PoliciesAutoDisableRule,
    PoliciesAutoQuarantineRule,
    PoliciesBranchRule,
    PoliciesDisabled,
    PoliciesDisabledFailureRateRule,
    PoliciesQuarantined,
    PoliciesQuarantinedFailureRateRule,
)
from .flaky_test_policies import Leaves, flatten

__all__ = [
    "AttemptToFixInput",
    "AutoDisableRuleInput",
    "AutoQuarantineRuleInput",
    "BranchRuleInput",
    "DisabledFailureRateRuleInput",
    "DisabledInput",
    "FlakyTestPoliciesInputs",
    "QuarantinedFailureRateRuleInput",
    "QuarantinedInput",
]

_INPUT = ConfigDict(defer_build=True, extra="forbid", strict=True)


class AttemptToFixInput(PoliciesAttemptToFix):
    model_config = _INPUT


class AutoQuarantineRuleInput(PoliciesAutoQuarantineRule):
    model_config = _INPUT


class AutoDisableRuleInput(PoliciesAutoDisableRule):
    model_config = _INPUT


class BranchRuleInput(PoliciesBranchRule):
    model_config = _INPUT


class QuarantinedFailureRateRuleInput(PoliciesQuarantinedFailureRateRule):
    model_config = _INPUT


class DisabledFailureRateRuleInput(PoliciesDisabledFailureRateRule):
    model_config = _INPUT


class QuarantinedInput(PoliciesQuarantined):
    model_config = _INPUT
    auto_quarantine_rule: AutoQuarantineRuleInput | None = None
    branch_rule: BranchRuleInput | None = None
    failure_rate_rule: QuarantinedFailureRateRuleInput | None = None


class DisabledInput(PoliciesDisabled):
    model_config = _INPUT
    auto_disable_rule: AutoDisableRuleInput | None = None
    branch_rule: BranchRuleInput | None = None
    failure_rate_rule: DisabledFailureRateRuleInput | None = None


class FlakyTestPoliciesInputs(BaseModel):
    """The validated inputs of ``FlakyTestPolicies`` (unknown names rejected at any depth)."""

    model_config = _INPUT

    repository_id: Annotated[str, Field(min_length=1)]
    attempt_to_fix: AttemptToFixInput | None = None
    quarantined: QuarantinedInput | None = None
    disabled: DisabledInput | None = None

    def leaves(self) -> Leaves:
        """The managed leaves: path → value."""
        return flatten(self.model_dump(exclude_none=True, exclude={"repository_id"}))
