"""Every resource's ``check``/``diff`` with inputs that are unknown during preview.

Properties are built the way the dynamic-provider server builds them (``tests.support.preview``):
unknown values are ``pulumi.output.Unknown`` instances, at the top level and nested in lists
and maps. Known parts are still validated; unknown parts are never an error; an unknown
identity field is a replace.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown

from pulumi_datadog_testing.resources._base import has_unknowns, is_unknown
from pulumi_datadog_testing.resources.flaky_test_policies import FlakyTestPoliciesProvider
from pulumi_datadog_testing.resources.flaky_test_state import FlakyTestStateProvider
from pulumi_datadog_testing.resources.flaky_test_states import FlakyTestStatesProvider
from pulumi_datadog_testing.resources.service_settings import ServiceSettingsProvider
from pulumi_datadog_testing.resources.synthetics_suite import SyntheticsSuiteProvider
from tests.support.preview import U, as_sent

PROVIDER = {"__provider": "<pickled provider>"}
REPO = "github.com/acme/shop"
TEST_ID = "4eb1887a8adb1847"
OTHER_ID = "9f0c2d1e3b4a5c6d"

Provider = (
    ServiceSettingsProvider
    | SyntheticsSuiteProvider
    | FlakyTestStateProvider
    | FlakyTestStatesProvider
    | FlakyTestPoliciesProvider
)


def check(provider: Provider, props: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    result = provider.check({}, as_sent({**props, **PROVIDER}))
    return result.inputs, {f.property: f.reason for f in result.failures}


def diff(provider: Provider, olds: dict[str, Any], news: dict[str, Any]) -> tuple[bool, list[str]]:
    result = provider.diff("id", as_sent({**olds, **PROVIDER}), as_sent({**news, **PROVIDER}))
    assert result.changes is not None
    return result.changes, list(result.replaces or [])


def test_the_sdk_hands_unknowns_as_objects_nested_anywhere() -> None:
    props = as_sent({"a": U, "b": ["x", U], "c": {"k": U}, "d": "known"})
    assert isinstance(props["a"], Unknown)
    assert isinstance(props["b"][1], Unknown) and isinstance(props["c"]["k"], Unknown)
    assert all(is_unknown(v) for v in (props["a"], props["b"][1], props["c"]["k"], U))
    assert has_unknowns(props["b"]) and has_unknowns(props["c"]) and not has_unknowns(props["d"])


# ---------------------------------------------------------------------- ServiceSettings

SETTINGS = {"repository_id": REPO, "service_name": "checkout", "env": "prod"}
SETTINGS_OUT = {**SETTINGS, "code_coverage_enabled": True, "prior": {}, "prior_existed": True}


@pytest.mark.parametrize(
    "props",
    [
        {**SETTINGS, "service_name": U},
        {**SETTINGS, "repository_id": U, "env": U},
        {**SETTINGS, "code_coverage_enabled": U, "auto_test_retries_enabled": True},
    ],
    ids=["service_name", "identity", "flag"],
)
def test_service_settings_check_accepts_unknowns(props: dict[str, Any]) -> None:
    inputs, failures = check(ServiceSettingsProvider(), props)
    assert failures == {}
    assert has_unknowns(inputs)


def test_service_settings_check_still_validates_the_known_parts() -> None:
    _, failures = check(
        ServiceSettingsProvider(), {**SETTINGS, "service_name": U, "code_coverage_enabled": "yes"}
    )
    assert list(failures) == ["code_coverage_enabled"]


@pytest.mark.parametrize("field", ["repository_id", "service_name", "env"])
def test_service_settings_diff_with_an_unknown_identity_field_is_a_replace(field: str) -> None:
    news = {**SETTINGS, "code_coverage_enabled": True, field: U}
    assert diff(ServiceSettingsProvider(), SETTINGS_OUT, news) == (True, [field])


def test_service_settings_diff_with_an_unknown_flag_is_an_update() -> None:
    news = {**SETTINGS, "code_coverage_enabled": U}
    assert diff(ServiceSettingsProvider(), SETTINGS_OUT, news) == (True, [])


# ---------------------------------------------------------------------- SyntheticsSuite

SUITE = {
    "name": "checkout",
    "tests": [{"public_id": "abc-def-ghi", "alerting_criticality": "critical"}],
    "tags": ["team:shop"],
    "options": {"alerting_threshold": 0.5},
}
SUITE_OUT = {**SUITE, "message": "", "public_id": "xyz-suite-1", "monitor_id": 7}


@pytest.mark.parametrize(
    "props",
    [
        {**SUITE, "name": U},
        {**SUITE, "tests": U},
        {**SUITE, "tests": [{"public_id": U}, {"public_id": "jkl-mno-pqr"}]},
        {**SUITE, "tests": [{"public_id": "abc-def-ghi", "alerting_criticality": U}]},
        {**SUITE, "tags": ["team:shop", U]},
        {**SUITE, "options": {"alerting_threshold": U}},
        {**SUITE, "options": U, "message": U},
    ],
    ids=["name", "tests", "test-public-id", "criticality", "tag", "threshold", "options"],
)
def test_suite_check_accepts_unknowns(props: dict[str, Any]) -> None:
    inputs, failures = check(SyntheticsSuiteProvider(), props)
    assert failures == {}
    assert has_unknowns(inputs)


def test_suite_check_still_validates_the_known_parts() -> None:
    props = {
        "name": U,
        "tests": [{"public_id": U}, {"public_id": "jkl-mno-pqr", "alerting_criticality": "loud"}],
        "tags": [U, ""],
        "options": {"alerting_threshold": 5},
    }
    _, failures = check(SyntheticsSuiteProvider(), props)
    assert set(failures) == {
        "tests[1].alerting_criticality",
        "tags[1]",
        "options.alerting_threshold",
    }


@pytest.mark.parametrize(
    ("news", "changed"),
    [
        ({**SUITE, "name": U}, True),
        ({**SUITE, "tests": [{"public_id": U, "alerting_criticality": "critical"}]}, True),
        ({**SUITE, "tags": U}, True),
        (SUITE, False),
    ],
    ids=["name", "test-public-id", "tags", "none"],
)
def test_suite_diff_with_unknowns_is_an_update(news: dict[str, Any], changed: bool) -> None:
    assert diff(SyntheticsSuiteProvider(), SUITE_OUT, news) == (changed, [])


# ---------------------------------------------------------------------- FlakyTestState

SINGLE = {"repository_id": REPO, "test_id": TEST_ID, "state": "quarantined"}
SINGLE_OUT = {**SINGLE, "previous_state": "active", "test_name": "test_checkout"}


@pytest.mark.parametrize(
    "props",
    [
        {**SINGLE, "repository_id": U},
        {**SINGLE, "test_id": U},
        {**SINGLE, "state": U, "reason": U},
        {"repository_id": REPO, "module": U, "name": "test_checkout", "state": "fixed"},
    ],
    ids=["repository_id", "test_id", "state", "selector"],
)
def test_flaky_test_state_check_accepts_unknowns(props: dict[str, Any]) -> None:
    inputs, failures = check(FlakyTestStateProvider(), props)
    assert failures == {}
    assert has_unknowns(inputs)


def test_flaky_test_state_check_still_validates_the_known_parts() -> None:
    _, failures = check(FlakyTestStateProvider(), {**SINGLE, "test_id": U, "state": "broken"})
    assert list(failures) == ["state"]


@pytest.mark.parametrize(
    ("field", "expected"),
    [("repository_id", ["repository_id"]), ("test_id", ["test_id"]), ("state", [])],
)
def test_flaky_test_state_diff_with_unknowns(field: str, expected: list[str]) -> None:
    assert diff(FlakyTestStateProvider(), SINGLE_OUT, {**SINGLE, field: U}) == (True, expected)


# ---------------------------------------------------------------------- FlakyTestStates

BULK = {"repository_id": REPO, "states": {TEST_ID: "quarantined", OTHER_ID: "disabled"}}
BULK_OUT = {**BULK, "previous_states": {TEST_ID: "active", OTHER_ID: "active"}}


@pytest.mark.parametrize(
    "props",
    [
        {**BULK, "repository_id": U},
        {**BULK, "states": U},
        {**BULK, "states": {TEST_ID: U, OTHER_ID: "fixed"}},
        {"repository_id": REPO, "query": U, "state": U},
    ],
    ids=["repository_id", "whole-map", "map-value", "query"],
)
def test_flaky_test_states_check_accepts_unknowns(props: dict[str, Any]) -> None:
    inputs, failures = check(FlakyTestStatesProvider(), props)
    assert failures == {}
    assert has_unknowns(inputs)


def test_flaky_test_states_check_still_validates_the_known_parts() -> None:
    _, failures = check(FlakyTestStatesProvider(), {**BULK, "states": {TEST_ID: U, OTHER_ID: "x"}})
    assert list(failures) == [f"states[{OTHER_ID!r}]"]


@pytest.mark.parametrize(
    ("news", "expected"),
    [
        ({**BULK, "repository_id": U}, ["repository_id"]),
        ({**BULK, "states": U}, []),
        ({**BULK, "states": {TEST_ID: U, OTHER_ID: "disabled"}}, []),
    ],
    ids=["repository_id", "whole-map", "map-value"],
)
def test_flaky_test_states_diff_with_unknowns(news: dict[str, Any], expected: list[str]) -> None:
    assert diff(FlakyTestStatesProvider(), BULK_OUT, news) == (True, expected)


# -------------------------------------------------------------------- FlakyTestPolicies

POLICIES = {
    "repository_id": REPO,
    "attempt_to_fix": {"retries": 3},
    "quarantined": {"enabled": True, "branch_rule": {"branches": ["main"]}},
}
POLICIES_OUT = {**POLICIES, "previous_policies": {}}


@pytest.mark.parametrize(
    "props",
    [
        {**POLICIES, "repository_id": U},
        {**POLICIES, "attempt_to_fix": {"retries": U}},
        {**POLICIES, "quarantined": {"enabled": True, "branch_rule": {"branches": ["main", U]}}},
        {**POLICIES, "quarantined": U},
    ],
    ids=["repository_id", "leaf", "list-item", "section"],
)
def test_flaky_test_policies_check_accepts_unknowns(props: dict[str, Any]) -> None:
    inputs, failures = check(FlakyTestPoliciesProvider(), props)
    assert failures == {}
    assert has_unknowns(inputs)


def test_flaky_test_policies_check_still_validates_the_known_parts() -> None:
    props = {**POLICIES, "attempt_to_fix": {"retries": U}, "disabled": {"enabled": "yes"}}
    _, failures = check(FlakyTestPoliciesProvider(), props)
    assert list(failures) == ["disabled.enabled"]


@pytest.mark.parametrize(
    ("news", "expected"),
    [
        ({**POLICIES, "repository_id": U}, ["repository_id"]),
        ({**POLICIES, "attempt_to_fix": {"retries": U}}, []),
        ({**POLICIES, "quarantined": U}, []),
    ],
    ids=["repository_id", "leaf", "section"],
)
def test_flaky_test_policies_diff_with_unknowns(news: dict[str, Any], expected: list[str]) -> None:
    assert diff(FlakyTestPoliciesProvider(), POLICIES_OUT, news) == (True, expected)
