"""suite-critical-test, suite-alerting-threshold, suite-owner-tag."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from pulumi_datadog_testing.policy import (
    PolicyConfigError,
    suite_alerting_threshold,
    suite_critical_test,
    suite_owner_tag,
)
from pulumi_datadog_testing.type_tokens import SYNTHETICS_SUITE
from tests.policy.harness import messages, resource_args, run_policy


def check(public_id: str, criticality: Any = "critical") -> dict[str, Any]:
    return {"public_id": public_id, "alerting_criticality": criticality}


def suite(**props: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Checkout journey",
        "message": "Checkout is broken @slack-shop-alerts",
        "tags": ["team:payments", "env:prod"],
        "tests": [check("abc-def-ghi"), check("jkl-mno-pqr", "ignore")],
        "options": {"alerting_threshold": 0.5},
    }
    return {**base, **props}


def validate(
    policy_factory: Any, props: dict[str, Any], config: dict[str, Any] | None = None
) -> list[str]:
    return messages(
        run_policy(policy_factory(), resource_args(SYNTHETICS_SUITE, "checkout", props, config))
    )


# --- suite-critical-test -------------------------------------------------------------------


def test_critical_suite_with_a_critical_test_passes() -> None:
    assert validate(suite_critical_test, suite()) == []


@pytest.mark.parametrize(
    ("tests", "found"),
    [
        ([check("abc-def-ghi", "ignore"), check("jkl-mno-pqr", "ignore")], "0 of 2"),
        ([], "0 of 0"),
        ([{"public_id": "abc-def-ghi"}], "0 of 1"),
    ],
    ids=["all-ignored", "empty", "criticality-unset"],
)
def test_critical_suite_without_critical_test_is_reported(tests: list[Any], found: str) -> None:
    assert validate(suite_critical_test, suite(tests=tests)) == [
        (
            f"SyntheticsSuite 'checkout' has {found} test(s) with alerting_criticality='critical' but "
            "needs at least 1 (policy 'suite-critical-test' config 'min_critical_tests'); a suite "
            "without critical tests never fails — set alerting_criticality='critical' on the tests "
            "whose failure must fail the suite"
        )
    ]


def test_critical_min_from_config() -> None:
    assert validate(suite_critical_test, suite(), {"min_critical_tests": 2}) == [
        (
            "SyntheticsSuite 'checkout' has 1 of 2 test(s) with alerting_criticality='critical' but "
            "needs at least 2 (policy 'suite-critical-test' config 'min_critical_tests'); a suite "
            "without critical tests never fails — set alerting_criticality='critical' on the tests "
            "whose failure must fail the suite"
        )
    ]
    two = suite(tests=[check("abc-def-ghi"), check("jkl-mno-pqr")])
    assert validate(suite_critical_test, two, {"min_critical_tests": 2}) == []


@pytest.mark.parametrize(
    "tests",
    [
        UNKNOWN_ARRAY_VALUE,
        [check("abc-def-ghi", "ignore"), check("jkl-mno-pqr", UNKNOWN_STRING_VALUE)],
        [check("abc-def-ghi", "ignore"), UNKNOWN_OBJECT_VALUE],
    ],
    ids=["tests", "criticality", "entry"],
)
def test_critical_skips_values_unknown_during_preview(tests: Any) -> None:
    assert validate(suite_critical_test, suite(tests=tests)) == []


def test_critical_rejects_zero_minimum() -> None:
    with pytest.raises(
        PolicyConfigError, match="'min_critical_tests': Input should be greater than or equal to 1"
    ):
        validate(suite_critical_test, suite(), {"min_critical_tests": 0})


# --- suite-alerting-threshold --------------------------------------------------------------


@pytest.mark.parametrize("threshold", [0.5, 0.75, 1, 1.0])
def test_threshold_in_default_range_passes(threshold: float) -> None:
    assert (
        validate(suite_alerting_threshold, suite(options={"alerting_threshold": threshold})) == []
    )


@pytest.mark.parametrize(("threshold", "shown"), [(0.2, "0.2"), (0, "0.0")])
def test_threshold_outside_range_is_reported(threshold: float, shown: str) -> None:
    assert validate(suite_alerting_threshold, suite(options={"alerting_threshold": threshold})) == [
        (
            f"SyntheticsSuite 'checkout' sets options.alerting_threshold={shown}, outside the range "
            "[0.5, 1.0] allowed by policy 'suite-alerting-threshold' (config "
            "'min_threshold'/'max_threshold'); set options.alerting_threshold between 0.5 and 1.0, "
            "or change the policy config"
        )
    ]


@pytest.mark.parametrize("options", [{}, None], ids=["empty-options", "no-options"])
def test_threshold_unset_is_reported_unless_config_allows_it(
    options: dict[str, Any] | None,
) -> None:
    props = (
        suite(options=options)
        if options is not None
        else {k: v for k, v in suite().items() if k != "options"}
    )
    assert validate(suite_alerting_threshold, props) == [
        (
            "SyntheticsSuite 'checkout' leaves options.alerting_threshold unset, so Datadog's default "
            "applies; policy 'suite-alerting-threshold' requires a value between 0.5 and 1.0 — set "
            "options={'alerting_threshold': ...} in the resource args, or set config "
            "'require_threshold' to false"
        )
    ]
    assert validate(suite_alerting_threshold, props, {"require_threshold": False}) == []


def test_threshold_range_from_config() -> None:
    config = {"min_threshold": 0.1, "max_threshold": 0.3}
    assert (
        validate(suite_alerting_threshold, suite(options={"alerting_threshold": 0.2}), config) == []
    )
    assert validate(suite_alerting_threshold, suite(), config) == [
        (
            "SyntheticsSuite 'checkout' sets options.alerting_threshold=0.5, outside the range "
            "[0.1, 0.3] allowed by policy 'suite-alerting-threshold' (config "
            "'min_threshold'/'max_threshold'); set options.alerting_threshold between 0.1 and 0.3, "
            "or change the policy config"
        )
    ]


@pytest.mark.parametrize(
    "options",
    [UNKNOWN_OBJECT_VALUE, {"alerting_threshold": UNKNOWN_NUMBER_VALUE}],
    ids=["options", "threshold"],
)
def test_threshold_skips_values_unknown_during_preview(options: Any) -> None:
    assert validate(suite_alerting_threshold, suite(options=options)) == []


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        (
            {"min_threshold": 0.9, "max_threshold": 0.5},
            "(config): Value error, min_threshold (0.9) must not exceed max_threshold (0.5)",
        ),
        ({"max_threshold": 1.5}, "'max_threshold': Input should be less than or equal to 1"),
        ({"min_threshold": "half"}, "'min_threshold': Input should be a valid number"),
    ],
)
def test_threshold_rejects_invalid_config(config: dict[str, Any], problem: str) -> None:
    with pytest.raises(PolicyConfigError) as caught:
        validate(suite_alerting_threshold, suite(), config)
    assert str(caught.value) == (
        f"policy 'suite-alerting-threshold' has invalid config: {problem} "
        "(allowed keys: max_threshold, min_threshold, require_threshold)"
    )


# --- suite-owner-tag -----------------------------------------------------------------------


@pytest.mark.parametrize("tags", [["team:payments"], ["env:prod", "Team:Payments"]])
def test_owner_tag_present_passes(tags: list[str]) -> None:
    assert validate(suite_owner_tag, suite(tags=tags)) == []


@pytest.mark.parametrize("tags", [[], ["env:prod"], ["team:", "team: "], ["teams:payments"]])
def test_owner_tag_missing_is_reported(tags: list[str]) -> None:
    assert validate(suite_owner_tag, suite(tags=tags)) == [
        (
            "SyntheticsSuite 'checkout' has no owner tag; add a tag starting with 'team:' and naming "
            "the owner (e.g. 'team:payments') to its tags (policy 'suite-owner-tag' config "
            "'owner_tag_prefixes')"
        )
    ]


def test_owner_tag_prefixes_from_config() -> None:
    config = {"owner_tag_prefixes": ["owner:", "service-owner:"]}
    assert validate(suite_owner_tag, suite(tags=["service-owner:checkout"]), config) == []
    assert validate(suite_owner_tag, suite(), config) == [
        (
            "SyntheticsSuite 'checkout' has no owner tag; add a tag starting with 'owner:' or "
            "'service-owner:' and naming the owner (e.g. 'owner:payments') to its tags (policy "
            "'suite-owner-tag' config 'owner_tag_prefixes')"
        )
    ]


@pytest.mark.parametrize(
    "tags", [UNKNOWN_ARRAY_VALUE, ["env:prod", UNKNOWN_STRING_VALUE]], ids=["tags", "tag"]
)
def test_owner_tag_skips_values_unknown_during_preview(tags: Any) -> None:
    assert validate(suite_owner_tag, suite(tags=tags)) == []


def test_suite_policies_ignore_other_resource_types() -> None:
    bad = suite(tags=[], tests=[], options={"alerting_threshold": 0})
    for factory in (suite_critical_test, suite_alerting_threshold, suite_owner_tag):
        args = resource_args("datadog:index/syntheticsTest:SyntheticsTest", "checkout", bad)
        assert run_policy(factory(), args) == []
