"""Policies over Synthetics test suites (``SyntheticsSuite``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from pydantic import Field, model_validator

from ..type_tokens import ResourceKind
from ._base import join_or, py, resource_policy
from ._config import PolicyConfig
from ._props import UNKNOWN
from ._resources import ResourceRef, SyntheticsSuiteView

__all__ = [
    "SUITE_ALERTING_THRESHOLD",
    "SUITE_CRITICAL_TEST",
    "SUITE_OWNER_TAG",
    "SuiteAlertingThresholdConfig",
    "SuiteCriticalTestConfig",
    "SuiteOwnerTagConfig",
    "suite_alerting_threshold",
    "suite_critical_test",
    "suite_owner_tag",
]

SUITE_CRITICAL_TEST = "suite-critical-test"
SUITE_ALERTING_THRESHOLD = "suite-alerting-threshold"
SUITE_OWNER_TAG = "suite-owner-tag"

_SUITE = {ResourceKind.SYNTHETICS_SUITE}


# --- suite-critical-test -------------------------------------------------------------------


class SuiteCriticalTestConfig(PolicyConfig):
    min_critical_tests: int = Field(
        default=1,
        ge=1,
        description="fewest tests with alerting_criticality 'critical' a suite must contain.",
    )


def _check_critical(
    ref: ResourceRef, props: Mapping[str, Any], config: SuiteCriticalTestConfig
) -> Iterator[str]:
    view = SyntheticsSuiteView.of(ref, props)
    if view.tests is UNKNOWN:
        return
    critical = undecided = 0
    for test in view.tests:
        criticality = test.get("alerting_criticality") if isinstance(test, Mapping) else None
        if test is UNKNOWN or criticality is UNKNOWN:
            undecided += 1
        elif criticality == "critical":
            critical += 1
    if critical + undecided >= config.min_critical_tests:
        return
    yield (
        f"{ref} has {critical} of {len(view.tests)} test(s) with "
        f"alerting_criticality='critical' but needs at least {config.min_critical_tests} "
        f"(policy '{SUITE_CRITICAL_TEST}' config 'min_critical_tests'); a suite without "
        "critical tests never fails — set alerting_criticality='critical' on the tests whose "
        "failure must fail the suite"
    )


def suite_critical_test(
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    """A suite contains at least ``min_critical_tests`` tests marked ``critical``."""
    return resource_policy(
        name=SUITE_CRITICAL_TEST,
        description="Synthetics suites must contain at least one test with alerting_criticality 'critical'.",
        kinds=_SUITE,
        config=SuiteCriticalTestConfig,
        check=_check_critical,
        enforcement_level=enforcement_level,
        remediation_steps="Mark the tests whose failure must fail the suite as 'critical'.",
    )


# --- suite-alerting-threshold --------------------------------------------------------------


class SuiteAlertingThresholdConfig(PolicyConfig):
    min_threshold: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="lowest options.alerting_threshold allowed (share of critical tests failing).",
    )
    max_threshold: float = Field(
        default=1.0, ge=0, le=1, description="highest options.alerting_threshold allowed."
    )
    require_threshold: bool = Field(
        default=True,
        description="whether a suite must set options.alerting_threshold explicitly.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> SuiteAlertingThresholdConfig:
        if self.min_threshold > self.max_threshold:
            raise ValueError(
                f"min_threshold ({self.min_threshold}) must not exceed max_threshold "
                f"({self.max_threshold})"
            )
        return self


def _check_threshold(
    ref: ResourceRef, props: Mapping[str, Any], config: SuiteAlertingThresholdConfig
) -> Iterator[str]:
    view = SyntheticsSuiteView.of(ref, props)
    value = view.alerting_threshold
    low, high = config.min_threshold, config.max_threshold
    if value is None:
        if config.require_threshold:
            yield (
                f"{ref} leaves options.alerting_threshold unset, so Datadog's default applies; "
                f"policy '{SUITE_ALERTING_THRESHOLD}' requires a value between {py(low)} and "
                f"{py(high)} — set options={{'alerting_threshold': ...}} in the resource args, "
                "or set config 'require_threshold' to false"
            )
        return
    if value is UNKNOWN or isinstance(value, bool) or not isinstance(value, int | float):
        return  # not known yet, or not a number (the resource's own check rejects it)
    if low <= value <= high:
        return
    yield (
        f"{ref} sets options.alerting_threshold={py(value)}, outside the range "
        f"[{py(low)}, {py(high)}] allowed by policy '{SUITE_ALERTING_THRESHOLD}' (config "
        f"'min_threshold'/'max_threshold'); set options.alerting_threshold between {py(low)} "
        f"and {py(high)}, or change the policy config"
    )


def suite_alerting_threshold(
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    """A suite's ``options.alerting_threshold`` lies within the configured range."""
    return resource_policy(
        name=SUITE_ALERTING_THRESHOLD,
        description=(
            "Synthetics suites must set options.alerting_threshold within the configured range."
        ),
        kinds=_SUITE,
        config=SuiteAlertingThresholdConfig,
        check=_check_threshold,
        enforcement_level=enforcement_level,
        remediation_steps="Set options.alerting_threshold within the configured range.",
    )


# --- suite-owner-tag -----------------------------------------------------------------------


class SuiteOwnerTagConfig(PolicyConfig):
    owner_tag_prefixes: list[str] = Field(
        default=["team:"],
        min_length=1,
        description="a suite needs a tag starting with one of these, followed by a value.",
    )


def _check_owner(
    ref: ResourceRef, props: Mapping[str, Any], config: SuiteOwnerTagConfig
) -> Iterator[str]:
    view = SyntheticsSuiteView.of(ref, props)
    if view.tags is UNKNOWN or any(tag is UNKNOWN for tag in view.tags):
        return
    prefixes = config.owner_tag_prefixes
    if any(_owns(str(tag), prefix) for tag in view.tags for prefix in prefixes):
        return
    yield (
        f"{ref} has no owner tag; add a tag starting with "
        f"{join_or(py(p) for p in prefixes)} and naming the owner (e.g. "
        f"{py(prefixes[0] + 'payments')}) to its tags (policy '{SUITE_OWNER_TAG}' config "
        "'owner_tag_prefixes')"
    )


def _owns(tag: str, prefix: str) -> bool:
    """``tag`` is ``<prefix><owner>`` with a non-blank owner (Datadog tags ignore case)."""
    return tag.lower().startswith(prefix.lower()) and bool(tag[len(prefix) :].strip())


def suite_owner_tag(
    enforcement_level: EnforcementLevel = EnforcementLevel.ADVISORY,
) -> ResourceValidationPolicy:
    """A suite carries an owner tag (``team:<name>`` by default)."""
    return resource_policy(
        name=SUITE_OWNER_TAG,
        description="Synthetics suites must carry an owner tag (by default 'team:<name>').",
        kinds=_SUITE,
        config=SuiteOwnerTagConfig,
        check=_check_owner,
        enforcement_level=enforcement_level,
        remediation_steps="Add an owner tag such as 'team:<name>' to the suite's tags.",
    )
