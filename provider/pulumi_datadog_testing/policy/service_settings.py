"""Policies over Test Optimization service settings (``ServiceSettings``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pydantic import Field

from ..identity import DEFAULT_ENV
from ..models import ServiceSettingName
from ..type_tokens import ResourceKind
from ._base import StackResource, Violation, py, resource_policy, stack_policy
from ._config import PolicyConfig
from ._props import UNKNOWN
from ._resources import ResourceRef, ServiceSettingsView

__all__ = [
    "REQUIRED_SERVICE_SETTINGS",
    "TIA_REQUIRES_CODE_COVERAGE",
    "UNIQUE_SERVICE_SETTINGS",
    "RequiredServiceSettingsConfig",
    "TiaRequiresCodeCoverageConfig",
    "UniqueServiceSettingsConfig",
    "required_service_settings",
    "tia_requires_code_coverage",
    "unique_service_settings",
]

REQUIRED_SERVICE_SETTINGS = "required-service-settings"
TIA_REQUIRES_CODE_COVERAGE = "tia-requires-code-coverage"
UNIQUE_SERVICE_SETTINGS = "unique-service-settings"


# --- required-service-settings -------------------------------------------------------------


class RequiredServiceSettingsConfig(PolicyConfig):
    required: dict[str, dict[ServiceSettingName, bool]] = Field(
        default={
            "prod": {"early_flake_detection_enabled": True, "auto_test_retries_enabled": True}
        },
        description=(
            "env -> {setting: required value}. ServiceSettings whose env (default 'none') is a "
            "key here must set each listed setting to that value; leaving it unset (unmanaged) "
            "is a violation too. Setting this key replaces the whole map."
        ),
    )


def _check_required(
    ref: ResourceRef, props: Mapping[str, Any], config: RequiredServiceSettingsConfig
) -> Iterator[str]:
    view = ServiceSettingsView.of(ref, props)
    if view.env is UNKNOWN or view.env not in config.required:
        return
    where = (
        f"(required by policy '{REQUIRED_SERVICE_SETTINGS}' config 'required.{view.env}'); "
        "set it in the resource args or change the policy config"
    )
    for flag, expected in config.required[view.env].items():
        actual = view.flags[flag]
        if actual is UNKNOWN or actual == expected:
            continue
        if actual is None:
            yield (
                f"{ref} (env '{view.env}') leaves {flag} unmanaged, so Datadog keeps whatever "
                f"value it has, but must set {flag}={py(expected)} {where}"
            )
        else:
            yield (
                f"{ref} (env '{view.env}') sets {flag}={py(actual)} but must set "
                f"{flag}={py(expected)} {where}"
            )


def required_service_settings(
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    """Service settings of the configured envs must set the required values (default: prod
    needs early flake detection and auto test retries on)."""
    return resource_policy(
        name=REQUIRED_SERVICE_SETTINGS,
        description=(
            "Test Optimization service settings of the configured environments must manage "
            "the required settings with the required values."
        ),
        kinds={ResourceKind.SERVICE_SETTINGS},
        config=RequiredServiceSettingsConfig,
        check=_check_required,
        enforcement_level=enforcement_level,
        remediation_steps=(
            "Set the named setting in the ServiceSettings args, or tune config 'required'."
        ),
    )


# --- tia-requires-code-coverage ------------------------------------------------------------


class TiaRequiresCodeCoverageConfig(PolicyConfig):
    exempt_envs: list[str] = Field(
        default=[],
        description="envs where Test Impact Analysis may run without code coverage.",
    )


def _check_tia(
    ref: ResourceRef, props: Mapping[str, Any], config: TiaRequiresCodeCoverageConfig
) -> Iterator[str]:
    view = ServiceSettingsView.of(ref, props)
    if view.flags["test_impact_analysis_enabled"] is not True:
        return
    if view.env is UNKNOWN or view.env in config.exempt_envs:
        return
    coverage = view.flags["code_coverage_enabled"]
    if coverage is True or coverage is UNKNOWN:
        return
    found = (
        "leaves code_coverage_enabled unmanaged"
        if coverage is None
        else (f"sets code_coverage_enabled={py(coverage)}")
    )
    yield (
        f"{ref} (env '{view.env}') sets test_impact_analysis_enabled=True but {found}; Test "
        "Impact Analysis needs code coverage: set code_coverage_enabled=True on the same "
        f"resource, or add '{view.env}' to config 'exempt_envs' of policy "
        f"'{TIA_REQUIRES_CODE_COVERAGE}'"
    )


def tia_requires_code_coverage(
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    """Test Impact Analysis only together with code coverage on the same ServiceSettings."""
    return resource_policy(
        name=TIA_REQUIRES_CODE_COVERAGE,
        description=(
            "Test Impact Analysis may only be enabled together with code coverage "
            "(code_coverage_enabled=True on the same service settings)."
        ),
        kinds={ResourceKind.SERVICE_SETTINGS},
        config=TiaRequiresCodeCoverageConfig,
        check=_check_tia,
        enforcement_level=enforcement_level,
        remediation_steps="Set code_coverage_enabled=True, or list the env in 'exempt_envs'.",
    )


# --- unique-service-settings ---------------------------------------------------------------


class UniqueServiceSettingsConfig(PolicyConfig):
    """No options: two resources managing the same service's settings always conflict."""


def _check_unique(
    resources: Sequence[StackResource], config: UniqueServiceSettingsConfig
) -> Iterator[Violation]:
    first: dict[tuple[str, str, str], ResourceRef] = {}
    for resource in resources:
        view = ServiceSettingsView.of(resource.ref, resource.props)
        identity = (view.repository_id, view.service_name, view.env)
        if not all(isinstance(part, str) for part in identity):
            continue  # unknown during preview, or missing (the resource's own check reports it)
        key: tuple[str, str, str] = identity  # type: ignore[assignment]
        owner = first.setdefault(key, view.ref)
        if owner is view.ref:
            continue
        repository_id, service_name, env = key
        env_note = " (the default)" if env == DEFAULT_ENV else ""
        yield Violation(
            f"{view.ref} manages the same service settings as {owner} (repository_id "
            f"'{repository_id}', service_name '{service_name}', env '{env}'{env_note}); the two "
            "would overwrite each other's values on every update — merge them into one "
            "resource or change repository_id/service_name/env "
            f"(policy '{UNIQUE_SERVICE_SETTINGS}')",
            view.ref.urn,
        )


def unique_service_settings(
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> StackValidationPolicy:
    """Each (repository_id, service_name, env) is managed by at most one ServiceSettings."""
    return stack_policy(
        name=UNIQUE_SERVICE_SETTINGS,
        description=(
            "A service's settings (repository_id, service_name, env) must be declared by only "
            "one ServiceSettings resource in the stack."
        ),
        kinds={ResourceKind.SERVICE_SETTINGS},
        config=UniqueServiceSettingsConfig,
        check=_check_unique,
        enforcement_level=enforcement_level,
        remediation_steps="Merge the duplicate ServiceSettings resources into one.",
    )
