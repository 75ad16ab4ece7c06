"""Reusable, configurable pulumi-policy policies for this package's resources.

Each factory returns a new pulumi-policy ``ResourceValidationPolicy`` or
``StackValidationPolicy`` that targets resources by their type token (see
``pulumi_datadog_testing.type_tokens``), has a JSON-schema config whose defaults the engine
applies, and a default enforcement level you can override per call or per config file::

    from pulumi_policy import EnforcementLevel, PolicyPack
    from pulumi_datadog_testing.policy import all_policies, suite_owner_tag

    PolicyPack("my-guardrails", policies=[*all_policies(), ...])
    PolicyPack("lenient", policies=[suite_owner_tag(EnforcementLevel.MANDATORY)])

Importing this module never constructs a ``PolicyPack`` (that starts a gRPC server and blocks),
so policies can be unit-tested by calling ``policy.validate(args, report_violation)``.

Values unknown during preview are never judged: a policy checks what is known and skips the
rest. A policy keeps its declared level unless a config sets ``enforcementLevel``
explicitly (importing this module fixes pulumi-policy's ``initial_config`` downgrade, see
``_levels``). A config the schema does not allow (including unknown keys, which the engine lets
through) makes the policy raise ``PolicyConfigError`` naming the key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from pulumi_policy import EnforcementLevel, Policy

from ._config import PolicyConfig, PolicyConfigError
from ._levels import allow_advisory_reports, keep_declared_levels
from ._props import UNKNOWN, Unknown, plain
from .flaky_tests import (
    FLAKY_QUARANTINE_EXPIRY,
    FLAKY_STATE_JUSTIFICATION,
    FLAKY_TEST_QUARANTINE_CAP,
    UNIQUE_FLAKY_TEST_POLICIES,
    UNIQUE_FLAKY_TESTS,
    FlakyQuarantineExpiryConfig,
    FlakyStateJustificationConfig,
    FlakyTestQuarantineCapConfig,
    UniqueFlakyTestPoliciesConfig,
    UniqueFlakyTestsConfig,
    flaky_quarantine_expiry,
    flaky_state_justification,
    flaky_test_quarantine_cap,
    unique_flaky_test_policies,
    unique_flaky_tests,
)
from .service_settings import (
    REQUIRED_SERVICE_SETTINGS,
    TIA_REQUIRES_CODE_COVERAGE,
    UNIQUE_SERVICE_SETTINGS,
    RequiredServiceSettingsConfig,
    TiaRequiresCodeCoverageConfig,
    UniqueServiceSettingsConfig,
    required_service_settings,
    tia_requires_code_coverage,
    unique_service_settings,
)
from .synthetics import (
    SUITE_ALERTING_THRESHOLD,
    SUITE_CRITICAL_TEST,
    SUITE_OWNER_TAG,
    SuiteAlertingThresholdConfig,
    SuiteCriticalTestConfig,
    SuiteOwnerTagConfig,
    suite_alerting_threshold,
    suite_critical_test,
    suite_owner_tag,
)

__all__ = [
    "CONFIG_MODELS",
    "FLAKY_QUARANTINE_EXPIRY",
    "FLAKY_STATE_JUSTIFICATION",
    "FLAKY_TEST_QUARANTINE_CAP",
    "PACK_NAME",
    "POLICIES",
    "POLICY_FACTORIES",
    "REQUIRED_SERVICE_SETTINGS",
    "SUITE_ALERTING_THRESHOLD",
    "SUITE_CRITICAL_TEST",
    "SUITE_OWNER_TAG",
    "TIA_REQUIRES_CODE_COVERAGE",
    "UNIQUE_FLAKY_TESTS",
    "UNIQUE_FLAKY_TEST_POLICIES",
    "UNIQUE_SERVICE_SETTINGS",
    "UNKNOWN",
    "FlakyQuarantineExpiryConfig",
    "FlakyStateJustificationConfig",
    "FlakyTestQuarantineCapConfig",
    "PolicyConfig",
    "PolicyConfigError",
    "PolicySpec",
    "RequiredServiceSettingsConfig",
    "SuiteAlertingThresholdConfig",
    "SuiteCriticalTestConfig",
    "SuiteOwnerTagConfig",
    "TiaRequiresCodeCoverageConfig",
    "UniqueFlakyTestPoliciesConfig",
    "UniqueFlakyTestsConfig",
    "UniqueServiceSettingsConfig",
    "Unknown",
    "all_policies",
    "default_config",
    "flaky_quarantine_expiry",
    "flaky_state_justification",
    "flaky_test_quarantine_cap",
    "plain",
    "required_service_settings",
    "suite_alerting_threshold",
    "suite_critical_test",
    "suite_owner_tag",
    "tia_requires_code_coverage",
    "unique_flaky_test_policies",
    "unique_flaky_tests",
    "unique_service_settings",
]

PACK_NAME: Final = "datadog-testing-guardrails"
"""The name of the ready pack (``policy-pack/``) that composes every policy below."""


@dataclass(frozen=True)
class PolicySpec:
    """One policy of the library: its factory and the pydantic model of its config."""

    factory: Callable[..., Policy]
    """``factory(enforcement_level=...)`` returns a new instance of the policy."""
    config: type[PolicyConfig]
    """The model of its config (the source of its JSON schema and defaults)."""


POLICIES: Final[dict[str, PolicySpec]] = {
    REQUIRED_SERVICE_SETTINGS: PolicySpec(required_service_settings, RequiredServiceSettingsConfig),
    TIA_REQUIRES_CODE_COVERAGE: PolicySpec(
        tia_requires_code_coverage, TiaRequiresCodeCoverageConfig
    ),
    UNIQUE_SERVICE_SETTINGS: PolicySpec(unique_service_settings, UniqueServiceSettingsConfig),
    FLAKY_TEST_QUARANTINE_CAP: PolicySpec(flaky_test_quarantine_cap, FlakyTestQuarantineCapConfig),
    FLAKY_STATE_JUSTIFICATION: PolicySpec(flaky_state_justification, FlakyStateJustificationConfig),
    FLAKY_QUARANTINE_EXPIRY: PolicySpec(flaky_quarantine_expiry, FlakyQuarantineExpiryConfig),
    UNIQUE_FLAKY_TESTS: PolicySpec(unique_flaky_tests, UniqueFlakyTestsConfig),
    UNIQUE_FLAKY_TEST_POLICIES: PolicySpec(
        unique_flaky_test_policies, UniqueFlakyTestPoliciesConfig
    ),
    SUITE_CRITICAL_TEST: PolicySpec(suite_critical_test, SuiteCriticalTestConfig),
    SUITE_ALERTING_THRESHOLD: PolicySpec(suite_alerting_threshold, SuiteAlertingThresholdConfig),
    SUITE_OWNER_TAG: PolicySpec(suite_owner_tag, SuiteOwnerTagConfig),
}
"""Every policy of the library by name, in the ready pack's order: the one table that the
library (``all_policies``, ``default_config``) and the ready pack (``pack.serve``) read."""

POLICY_FACTORIES: Final[dict[str, Callable[..., Policy]]] = {
    name: spec.factory for name, spec in POLICIES.items()
}
"""Policy name → factory (``factory(enforcement_level=...)``), in the pack's order."""

CONFIG_MODELS: Final[dict[str, type[PolicyConfig]]] = {
    name: spec.config for name, spec in POLICIES.items()
}
"""Policy name → the pydantic model of its config (the source of its JSON schema)."""

keep_declared_levels()  # initial_config entries without "enforcementLevel" never downgrade
allow_advisory_reports()  # a mandatory policy may also warn (flaky-quarantine-expiry)


def all_policies() -> list[Policy]:
    """A new instance of every policy of the library, each at its default enforcement level."""
    return [spec.factory() for spec in POLICIES.values()]


def default_config() -> dict[str, dict[str, Any]]:
    """The effective config with no config file: per policy its enforcement level and the
    default of every key, in the shape of a ``--policy-pack-config`` file."""
    result: dict[str, dict[str, Any]] = {}
    for policy in all_policies():
        level = policy.enforcement_level or EnforcementLevel.ADVISORY
        defaults = POLICIES[policy.name].config().model_dump(mode="json")
        result[policy.name] = {"enforcementLevel": level.value, **defaults}
    return result
