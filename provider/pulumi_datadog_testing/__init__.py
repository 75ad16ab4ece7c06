"""Pulumi resources for Datadog Test Optimization and Synthetics suites.

Public surface: the resource classes and their Args (below), the policy library
(``pulumi_datadog_testing.policy``) and the local Datadog API emulator
(``python -m pulumi_datadog_testing.emulator``, ``pulumi_datadog_testing.emulator.EmulatorServer``).

Names are imported lazily, so ``import pulumi_datadog_testing`` stays cheap (policy packs and
the emulator import it without loading every resource).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "ServiceSettings": "resources.service_settings_resource",
    "ServiceSettingsArgs": "resources.service_settings_resource",
    "FlakyTestState": "resources.flaky_test_state_resource",
    "FlakyTestStateArgs": "resources.flaky_test_state_resource",
    "FlakyTestStates": "resources.flaky_test_states_resource",
    "FlakyTestStatesArgs": "resources.flaky_test_states_resource",
    "FlakyTestPolicies": "resources.flaky_test_policies_resource",
    "FlakyTestPoliciesArgs": "resources.flaky_test_policies_resource",
    "SyntheticsSuite": "resources.synthetics_suite_resource",
    "SyntheticsSuiteArgs": "resources.synthetics_suite_resource",
    # Typed shapes of nested arguments (TypedDicts: plain dicts at run time).
    "AttemptToFixArgs": "resources.flaky_test_policies_resource",
    "AutoDisableRuleArgs": "resources.flaky_test_policies_resource",
    "AutoQuarantineRuleArgs": "resources.flaky_test_policies_resource",
    "BranchRuleArgs": "resources.flaky_test_policies_resource",
    "DisabledArgs": "resources.flaky_test_policies_resource",
    "FlakyTestEntryArgs": "resources.flaky_test_states_resource",
    "FailureRateRuleArgs": "resources.flaky_test_policies_resource",
    "QuarantinedArgs": "resources.flaky_test_policies_resource",
    "SyntheticsSuiteOptionsArgs": "resources.synthetics_suite_resource",
    "SyntheticsSuiteTestArgs": "resources.synthetics_suite_resource",
}

__all__ = [
    "AttemptToFixArgs",
    "AutoDisableRuleArgs",
    "AutoQuarantineRuleArgs",
    "BranchRuleArgs",
    "DisabledArgs",
    "FailureRateRuleArgs",
    "FlakyTestEntryArgs",
    "FlakyTestPolicies",
    "FlakyTestPoliciesArgs",
    "FlakyTestState",
    "FlakyTestStateArgs",
    "FlakyTestStates",
    "FlakyTestStatesArgs",
    "QuarantinedArgs",
    "ServiceSettings",
    "ServiceSettingsArgs",
    "SyntheticsSuite",
    "SyntheticsSuiteArgs",
    "SyntheticsSuiteOptionsArgs",
    "SyntheticsSuiteTestArgs",
    "__version__",
]

if TYPE_CHECKING:  # pragma: no cover - for IDEs and type checkers
    from .resources.flaky_test_policies_resource import (
        AttemptToFixArgs,
        AutoDisableRuleArgs,
        AutoQuarantineRuleArgs,
        BranchRuleArgs,
        DisabledArgs,
        FailureRateRuleArgs,
        FlakyTestPolicies,
        FlakyTestPoliciesArgs,
        QuarantinedArgs,
    )
    from .resources.flaky_test_state_resource import FlakyTestState, FlakyTestStateArgs
    from .resources.flaky_test_states_resource import (
        FlakyTestEntryArgs,
        FlakyTestStates,
        FlakyTestStatesArgs,
    )
    from .resources.service_settings_resource import ServiceSettings, ServiceSettingsArgs
    from .resources.synthetics_suite_resource import (
        SyntheticsSuite,
        SyntheticsSuiteArgs,
        SyntheticsSuiteOptionsArgs,
        SyntheticsSuiteTestArgs,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pulumi_datadog_testing' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    return __all__
