"""SyntheticsSuite check() and diff(): validation, normalisation, exact changes, no API call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.errors import DatadogError
from pulumi_datadog_testing.resources import _resource
from pulumi_datadog_testing.resources._base import WIRE_UNKNOWN
from pulumi_datadog_testing.resources._provider_ref import load_provider
from pulumi_datadog_testing.resources.synthetics_suite import (
    SyntheticsSuite,
    SyntheticsSuiteArgs,
    SyntheticsSuiteProvider,
    SyntheticsSuiteTestArgs,
    changed_properties,
    desired_documents,
    patch_for,
)

PROVIDER = "<pickled provider>"
PLACEHOLDERS = {"public_id": None, "monitor_id": None}

TESTS: list[dict[str, Any]] = [
    {"public_id": "abc-def-001", "alerting_criticality": "critical"},
    {"public_id": "abc-def-002", "alerting_criticality": "ignore"},
]
INPUTS: dict[str, Any] = {
    "name": "Checkout",
    "message": "checkout is down",
    "tags": ["env:prod", "team:shop"],
    "tests": TESTS,
    "options": {"alerting_threshold": 0.5},
    "__provider": PROVIDER,
}
# What the outputs of the created suite look like (Datadog's values as last read).
OUTPUTS: dict[str, Any] = {
    **INPUTS,
    "tags": ["team:shop", "env:prod"],
    "public_id": "sui-te0-001",
    "monitor_id": 140000001,
}


@pytest.fixture
def provider(serve: Callable[..., DatadogClient]) -> SyntheticsSuiteProvider:
    """A provider whose client fails the test on any HTTP call."""

    def no_calls(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected API call {request.method} {request.url.path}")

    serve(no_calls)
    return SyntheticsSuiteProvider()


def failures(provider: SyntheticsSuiteProvider, **props: Any) -> dict[str, str]:
    result = provider.check({}, {**props, **PLACEHOLDERS, "__provider": PROVIDER})
    return {f.property: f.reason for f in result.failures}


# ----------------------------------------------------------------------------- check


def test_check_normalises_valid_inputs(provider: SyntheticsSuiteProvider) -> None:
    result = provider.check(
        {},
        {
            "name": "a/b~c",
            "tests": [{"public_id": "abc-def-001"}],
            "tags": ["team:x", "a~b/c", "team:x"],
            "options": {"alerting_threshold": 1},
            "message": None,
            **PLACEHOLDERS,
            "__provider": PROVIDER,
        },
    )
    assert result.failures == []
    assert result.inputs == {
        "name": "a/b~c",
        "tests": [{"public_id": "abc-def-001"}],
        "tags": ["a~b/c", "team:x"],  # a set: sorted, de-duplicated
        "options": {"alerting_threshold": 1.0},
    }


def test_check_rejects_duplicate_public_ids_naming_both(provider: SyntheticsSuiteProvider) -> None:
    tests = [
        {"public_id": "abc-def-001"},
        {"public_id": "abc-def-002"},
        {"public_id": "abc-def-001", "alerting_criticality": "ignore"},
    ]
    assert failures(provider, name="s", tests=tests) == {
        "tests": "duplicate public_id 'abc-def-001' at tests[0] and tests[2]; "
        "each test may appear once"
    }


@pytest.mark.parametrize("threshold", [1.5, -0.1, float("nan"), float("inf")])
def test_check_rejects_threshold_outside_0_1(
    provider: SyntheticsSuiteProvider, threshold: float
) -> None:
    got = failures(provider, name="s", tests=[], options={"alerting_threshold": threshold})
    assert list(got) == ["options.alerting_threshold"]
    assert got["options.alerting_threshold"].startswith(
        "must be a fraction between 0 and 1 inclusive (e.g. 0.5 for 50%)"
    )


@pytest.mark.parametrize("threshold", [0, 0.0, 1, 1.0, 0.25])
def test_check_accepts_threshold_bounds(
    provider: SyntheticsSuiteProvider, threshold: float
) -> None:
    assert failures(provider, name="s", tests=[], options={"alerting_threshold": threshold}) == {}


def test_check_names_each_bad_field(provider: SyntheticsSuiteProvider) -> None:
    got = failures(
        provider,
        name="  ",
        tests=[{"public_id": "abc-def-001", "alerting_criticality": "crit"}, {"publicId": "x"}],
        tags="team:x",
        options={"alerting_threshold": True, "threshold": 1},
        mesage="typo",
    )
    assert got == {
        "name": "must not be blank (got '  ')",
        "tests[0].alerting_criticality": "Input should be 'ignore' or 'critical' (got 'crit')",
        "tests[1].public_id": "missing required property",
        "tests[1].publicId": "unknown property 'publicId'; did you mean 'public_id'?",
        "tags": "Input should be a valid list (got 'team:x')",
        "options.alerting_threshold": "Input should be a valid number (got True)",
        "options.threshold": "unknown property 'threshold'; did you mean 'alerting_threshold'?",
        "mesage": "unknown property 'mesage'; did you mean 'message'?",
    }


def test_check_requires_name_and_tests(provider: SyntheticsSuiteProvider) -> None:
    assert failures(provider) == {
        "name": "missing required property",
        "tests": "missing required property",
    }


def test_check_rejects_empty_tag_and_public_id(provider: SyntheticsSuiteProvider) -> None:
    got = failures(provider, name="s", tests=[{"public_id": ""}], tags=["ok", ""])
    assert set(got) == {"tests[0].public_id", "tags[1]"}


def test_check_rejects_tags_longer_than_datadog_allows(provider: SyntheticsSuiteProvider) -> None:
    assert failures(provider, name="s", tests=[], tags=["t" * 200]) == {}
    got = failures(provider, name="s", tests=[], tags=["ok", "t" * 201])
    assert list(got) == ["tags[1]"]
    assert got["tags[1]"].startswith("String should have at most 200 characters")


def test_check_does_not_fail_on_unknowns(provider: SyntheticsSuiteProvider) -> None:
    props = {
        "name": WIRE_UNKNOWN,
        "tests": [{"public_id": WIRE_UNKNOWN, "alerting_criticality": "critical"}],
        "tags": WIRE_UNKNOWN,
        "options": {"alerting_threshold": WIRE_UNKNOWN},
    }
    result = provider.check({}, {**props, **PLACEHOLDERS, "__provider": PROVIDER})
    assert result.failures == []
    assert result.inputs == props


# ------------------------------------------------------------------------------ diff


def diff(provider: SyntheticsSuiteProvider, **changes: Any) -> tuple[bool | None, list[str]]:
    news = {**INPUTS, **changes}
    news = {k: v for k, v in news.items() if v is not None}
    result = provider.diff("sui-te0-001", OUTPUTS, news)
    assert result.replaces == []
    return result.changes, changed_properties(OUTPUTS, news)


def test_diff_no_change_for_equal_sets(provider: SyntheticsSuiteProvider) -> None:
    same = diff(
        provider,
        tags=["team:shop", "env:prod"],
        tests=list(reversed(INPUTS["tests"])),
    )
    assert same == (False, [])


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"name": "Checkout v2"}, ["name"]),
        ({"message": ""}, ["message"]),
        ({"tags": ["env:prod", "team:shop", "tier:1"]}, ["tags"]),
        ({"tags": []}, ["tags"]),
        ({"tests": INPUTS["tests"][:1]}, ["tests"]),
        (
            {
                "tests": [
                    {"public_id": "abc-def-001", "alerting_criticality": "ignore"},
                    INPUTS["tests"][1],
                ]
            },
            ["tests"],
        ),
        ({"options": {"alerting_threshold": 1.0}}, ["options"]),
        ({"name": "x", "options": {"alerting_threshold": 0.0}}, ["name", "options"]),
    ],
)
def test_diff_reports_exactly_the_changed_properties(
    provider: SyntheticsSuiteProvider, changes: dict[str, Any], expected: list[str]
) -> None:
    assert diff(provider, **changes) == (True, expected)


def test_unset_optional_fields_are_not_managed(provider: SyntheticsSuiteProvider) -> None:
    unmanaged = {
        "name": "Checkout",
        "tests": [{"public_id": "abc-def-001"}, {"public_id": "abc-def-002"}],
    }
    result = provider.diff("sui-te0-001", OUTPUTS, {**unmanaged, "__provider": PROVIDER})
    assert result.changes is False
    assert changed_properties(OUTPUTS, {**unmanaged, "options": {}}) == []


def test_diff_with_unknowns_reports_those_properties(provider: SyntheticsSuiteProvider) -> None:
    assert diff(provider, tags=WIRE_UNKNOWN) == (True, ["tags"])
    assert diff(provider, tests=[{"public_id": WIRE_UNKNOWN}]) == (True, ["tests"])
    assert diff(provider, name=WIRE_UNKNOWN, options={"alerting_threshold": 0.9}) == (
        True,
        ["name", "options"],
    )


def test_diff_against_outputs_missing_fields(provider: SyntheticsSuiteProvider) -> None:
    sparse: dict[str, Any] = {
        "name": "Checkout", "tests": [], "message": None, "tags": None, "options": {}
    }  # fmt: skip
    assert changed_properties(sparse, {"name": "Checkout", "tests": [], "tags": []}) == ["tags"]
    assert changed_properties(sparse, {"name": "Checkout", "tests": []}) == []


# ------------------------------------------------------------------- documents, patch


def test_unmanaged_criticality_and_options_keep_datadog_values() -> None:
    old, new = desired_documents(
        {**OUTPUTS, "options": {"alerting_threshold": 0.5, "future_option": 3}},
        {"name": "Checkout", "tests": [{"public_id": "abc-def-001"}], "options": {}},
    )
    assert old["tests"] == OUTPUTS["tests"]
    assert new == {
        "name": "Checkout",
        "tests": [{"public_id": "abc-def-001", "alerting_criticality": "critical"}],
        "options": {"alerting_threshold": 0.5, "future_option": 3},
    }


def test_one_tag_change_is_one_guard_and_one_op() -> None:
    added = patch_for("sui", OUTPUTS, {**INPUTS, "tags": ["env:prod", "team:shop", "tier:1"]})
    assert added == [
        {"op": "test", "path": "/tags", "value": ["team:shop", "env:prod"]},
        {"op": "add", "path": "/tags/-", "value": "tier:1"},
    ]
    removed = patch_for("sui", OUTPUTS, {**INPUTS, "tags": ["team:shop"]})
    assert removed == [
        {"op": "test", "path": "/tags/1", "value": "env:prod"},
        {"op": "remove", "path": "/tags/1"},
    ]


def test_duplicate_test_in_datadog_copy_is_a_clear_error() -> None:
    outputs = {**OUTPUTS, "tests": [{"public_id": "x"}, {"public_id": "x"}]}
    with pytest.raises(DatadogError, match=r"suite sui: Datadog's copy lists a test twice"):
        patch_for("sui", outputs, {"name": "n", "tests": [{"public_id": "y"}]})


# -------------------------------------------------------------------------- resource


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The props each SyntheticsSuite registers (``_resource.register_dynamic``)."""
    seen: list[dict[str, Any]] = []

    def capture(resource: Any, provider: Any, name: str, props: dict[str, Any], opts: Any) -> None:
        assert isinstance(load_provider(provider.module, provider.name), SyntheticsSuiteProvider)
        seen.append(props)

    monkeypatch.setattr(_resource, "register_dynamic", capture)
    return seen


def test_resource_takes_args_mapping_or_keywords(registered: list[dict[str, Any]]) -> None:
    tests: list[SyntheticsSuiteTestArgs] = [{"public_id": "abc-def-001"}]
    SyntheticsSuite("a", SyntheticsSuiteArgs(name="n", tests=tests, tags=["t"]))
    SyntheticsSuite("b", name="n", tests=tests, options={"alerting_threshold": 0.5})
    SyntheticsSuite("c", {"name": "n", "tests": tests, "tagz": ["t"]}, message="m")
    SyntheticsSuite("d", SyntheticsSuiteArgs(name="n", tests=tests), name="override")
    empty = {
        "message": None, "tags": None, "options": None, "public_id": None,
        "monitor_id": None, "adopted": None,
    }  # fmt: skip
    assert registered == [
        {**empty, "name": "n", "tests": tests, "tags": ["t"]},
        {**empty, "name": "n", "tests": tests, "options": {"alerting_threshold": 0.5}},
        {**empty, "name": "n", "tests": tests, "tagz": ["t"], "message": "m"},
        {**empty, "name": "override", "tests": tests},
    ]
