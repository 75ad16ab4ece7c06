"""``FlakyTestPolicies`` as a program declares it: the resource class and its Args, nested
shapes included (the provider, ``flaky_test_policies.FlakyTestPoliciesProvider``, runs in the
provider process; see ``flaky_test_policies`` for what each operation does).

A program imports only this side: no pydantic, no provider class (see ``_provider_ref``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypedDict, Unpack

import pulumi

from ..type_tokens import MODULE, ResourceKind
from ._props import given_inputs
from ._provider_ref import ProviderRef
from ._resource import DatadogResource
from .prior_values_resource import register_priors

__all__ = [
    "OUTPUTS",
    "AttemptToFixArgs",
    "AutoDisableRuleArgs",
    "AutoQuarantineRuleArgs",
    "BranchRuleArgs",
    "DisabledArgs",
    "FailureRateRuleArgs",
    "FlakyTestPolicies",
    "FlakyTestPoliciesArgs",
    "QuarantinedArgs",
]

OUTPUTS: Final = ("previous_policies",)
_PROVIDER: Final = ProviderRef(f"{__package__}.flaky_test_policies", "FlakyTestPoliciesProvider")


class AttemptToFixArgs(TypedDict, total=False):
    retries: pulumi.Input[int]
    """Retries when attempting to fix a flaky test (> 0)."""


class AutoQuarantineRuleArgs(TypedDict, total=False):
    enabled: pulumi.Input[bool]
    window_seconds: pulumi.Input[int]


class AutoDisableRuleArgs(TypedDict, total=False):
    enabled: pulumi.Input[bool]
    status: pulumi.Input[str]
    """``active`` or ``quarantined``."""
    window_seconds: pulumi.Input[int]


class BranchRuleArgs(TypedDict, total=False):
    enabled: pulumi.Input[bool]
    branches: pulumi.Input[list[str]]
    excluded_branches: pulumi.Input[list[str]]
    excluded_test_services: pulumi.Input[list[str]]


class FailureRateRuleArgs(TypedDict, total=False):
    enabled: pulumi.Input[bool]
    branches: pulumi.Input[list[str]]
    min_runs: pulumi.Input[int]
    threshold: pulumi.Input[float]
    """0..1."""
    status: pulumi.Input[str]
    """``disabled.failure_rate_rule`` only: ``active`` or ``quarantined``."""


class QuarantinedArgs(TypedDict, total=False):
    enabled: pulumi.Input[bool]
    auto_quarantine_rule: pulumi.Input[AutoQuarantineRuleArgs]
    branch_rule: pulumi.Input[BranchRuleArgs]
    failure_rate_rule: pulumi.Input[FailureRateRuleArgs]


class DisabledArgs(TypedDict, total=False):
    enabled: pulumi.Input[bool]
    auto_disable_rule: pulumi.Input[AutoDisableRuleArgs]
    branch_rule: pulumi.Input[BranchRuleArgs]
    failure_rate_rule: pulumi.Input[FailureRateRuleArgs]


class FlakyTestPoliciesArgs(TypedDict, total=False):
    """Arguments of ``FlakyTestPolicies``; unset leaves are not managed."""

    repository_id: pulumi.Input[str]
    attempt_to_fix: pulumi.Input[AttemptToFixArgs] | None
    quarantined: pulumi.Input[QuarantinedArgs] | None
    disabled: pulumi.Input[DisabledArgs] | None


class FlakyTestPolicies(DatadogResource, module=MODULE, name=ResourceKind.FLAKY_TEST_POLICIES):
    """A repository's Flaky Tests Management policies (only the leaves you set are managed).

    ``FlakyTestPolicies("p", repository_id="github.com/acme/shop",
    attempt_to_fix={"retries": 3}, quarantined={"auto_quarantine_rule": {"enabled": True}})``.
    Destroying it sets the leaves Pulumi changed back to their values from before.
    """

    repository_id: pulumi.Output[str]
    attempt_to_fix: pulumi.Output[dict[str, Any] | None]
    quarantined: pulumi.Output[dict[str, Any] | None]
    disabled: pulumi.Output[dict[str, Any] | None]
    previous_policies: pulumi.Output[dict[str, Any]]
    """The managed leaves' values before Pulumi managed them (restored on delete)."""

    def __init__(
        self,
        resource_name: str,
        args: FlakyTestPoliciesArgs | Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[FlakyTestPoliciesArgs],
    ) -> None:
        inputs = given_inputs(args, kwargs)
        register_priors(resource_name, ResourceKind.FLAKY_TEST_POLICIES, inputs, opts)
        super().__init__(_PROVIDER, resource_name, inputs, opts)

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> FlakyTestPolicies:
        """Read a repository's policies by repository id (then every leaf is managed)."""
        return FlakyTestPolicies(
            resource_name, opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        )
