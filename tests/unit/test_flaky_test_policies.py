"""FlakyTestPolicies provider hooks: leaf-level partial updates, restore on delete, refresh."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.errors import DatadogAPIError
from pulumi_datadog_testing.resources._base import WIRE_UNKNOWN
from pulumi_datadog_testing.resources.flaky_test_policies import (
    FlakyTestPoliciesProvider,
    flatten,
    unflatten,
)
from pulumi_datadog_testing.resources.prior_values import PRIORS_KEY
from tests.support.results import outs
from tests.unit._flaky_fake import POLICIES_PATH, REPO, FakeFlakyAPI, serving

MakeClient = Callable[..., DatadogClient]

SERVER = {
    "attempt_to_fix": {"retries": 20},
    "quarantined": {
        "enabled": True,
        "auto_quarantine_rule": {"enabled": False, "window_seconds": 2592000},
        "branch_rule": {"enabled": False, "branches": ["main"], "excluded_branches": []},
        "failure_rate_rule": {"enabled": False, "min_runs": 10, "threshold": 0.5},
    },
    "disabled": {
        "enabled": False,
        "auto_disable_rule": {"enabled": False, "status": "quarantined"},
        "failure_rate_rule": {"enabled": False, "threshold": 0.5, "status": "active"},
    },
}


@pytest.fixture
def api() -> FakeFlakyAPI:
    return FakeFlakyAPI(policies=copy.deepcopy(SERVER))


@pytest.fixture
def provider(serve: MakeClient, api: FakeFlakyAPI) -> Iterator[FlakyTestPoliciesProvider]:
    with serving(serve, api):
        yield FlakyTestPoliciesProvider()


def patches(api: FakeFlakyAPI) -> list[dict[str, Any]]:
    """The attributes of every policies PATCH (without repository_id)."""
    return [
        {k: v for k, v in r.body["data"]["attributes"].items() if k != "repository_id"}
        for r in api.requests
        if r.method == "PATCH" and r.path == POLICIES_PATH
    ]


def test_flatten_round_trips() -> None:
    assert unflatten(flatten(SERVER)) == SERVER
    assert flatten({"a": {"b": None, "c": [1]}}) == {("a", "c"): [1]}


# ------------------------------------------------------------------------------- check


@pytest.mark.parametrize(
    ("news", "expected"),
    [
        ({"repository_id": REPO, "attempt_to_fix": {"retries": 3.0}}, {}),
        (
            {"repository_id": REPO, "attempt_to_fix": {"retries": 0}},
            {"attempt_to_fix.retries": "greater than 0"},
        ),
        (
            {"repository_id": REPO, "quarantined": {"failure_rate_rule": {"threshold": 2}}},
            {"quarantined.failure_rate_rule.threshold": "less than or equal to 1"},
        ),
        (
            {"repository_id": REPO, "quarantined": {"branch_rule": {"branchs": ["main"]}}},
            {"quarantined.branch_rule.branchs": "did you mean 'branches'?"},
        ),
        (
            {"repository_id": REPO, "disabled": {"auto_disable_rule": {"status": "fixed"}}},
            {"disabled.auto_disable_rule.status": "Input should be 'active' or 'quarantined'"},
        ),
        (
            {"repository_id": REPO, "quarantined": {"enabled": "yes"}},
            {"quarantined.enabled": "valid boolean"},
        ),
        ({"attempt_to_fix": {"retries": 3}}, {"repository_id": "missing required property"}),
        ({"repository_id": REPO, "quarantined": {"enabled": WIRE_UNKNOWN}}, {}),
    ],
)
def test_check(
    provider: FlakyTestPoliciesProvider, news: dict[str, Any], expected: dict[str, str]
) -> None:
    result = provider.check({}, news)
    found = {f.property: f.reason for f in result.failures}
    assert set(found) == set(expected)
    for key, text in expected.items():
        assert text in found[key]


def test_check_turns_engine_floats_into_ints(provider: FlakyTestPoliciesProvider) -> None:
    result = provider.check({}, {"repository_id": REPO, "attempt_to_fix": {"retries": 3.0}})
    assert result.inputs == {"repository_id": REPO, "attempt_to_fix": {"retries": 3}}
    assert type(result.inputs["attempt_to_fix"]["retries"]) is int


# ---------------------------------------------------------------------------- lifecycle

INPUTS = {
    "repository_id": REPO,
    "attempt_to_fix": {"retries": 3},
    "quarantined": {"enabled": True, "branch_rule": {"branches": ["main", "release"]}},
}


def test_create_sends_only_differing_leaves_and_records_previous(
    provider: FlakyTestPoliciesProvider, api: FakeFlakyAPI
) -> None:
    result = provider.create(dict(INPUTS))
    assert result.id == REPO
    assert [r.method for r in api.requests] == ["POST", "PATCH"]
    assert patches(api) == [
        {
            "attempt_to_fix": {"retries": 3},
            "quarantined": {"branch_rule": {"branches": ["main", "release"]}},
        }
    ]
    assert outs(result) == {
        **INPUTS,
        "previous_policies": {
            "attempt_to_fix": {"retries": 20},
            "quarantined": {"enabled": True, "branch_rule": {"branches": ["main"]}},
        },
    }


def test_create_checks_leaves_captured_as_already_declared(
    provider: FlakyTestPoliciesProvider, api: FakeFlakyAPI
) -> None:
    """A capture taken after Pulumi's own write (the resource moved into the ledger, then
    destroyed alone, which put the values back) says ``attempt_to_fix.retries`` already was 3:
    the create reads the policies again, sends it and records the server's 20."""
    late = {
        "attempt_to_fix.retries": {"value": 3},
        "quarantined.enabled": {"value": True},
        "quarantined.branch_rule.branches": {"value": ["main"]},
    }
    result = provider.create({**INPUTS, PRIORS_KEY: {"values": late, "existed": True}})
    assert [r.method for r in api.requests] == ["POST", "PATCH"]  # the one read: the recheck
    assert patches(api) == [
        {
            "attempt_to_fix": {"retries": 3},
            "quarantined": {"branch_rule": {"branches": ["main", "release"]}},
        }
    ]
    assert outs(result)["previous_policies"]["attempt_to_fix"] == {"retries": 20}


def test_create_whose_patch_may_have_been_applied_puts_the_policies_back(
    provider: FlakyTestPoliciesProvider, api: FakeFlakyAPI
) -> None:
    before = copy.deepcopy(api.policies)
    api.policies_applied_then_503 = 4  # the first attempt and its 3 retries
    with pytest.raises(DatadogAPIError) as raised:
        provider.create(dict(INPUTS))
    assert raised.value.status == 503
    assert str(raised.value).endswith("; the policies were put back as they were")
    assert [r.method for r in api.requests] == ["POST", *["PATCH"] * 5]
    assert patches(api)[-1] == {
        "attempt_to_fix": {"retries": 20},
        "quarantined": {"branch_rule": {"branches": ["main"]}},
    }
    assert api.policies == before


def test_create_when_nothing_differs_sends_no_patch(
    provider: FlakyTestPoliciesProvider, api: FakeFlakyAPI
) -> None:
    provider.create({"repository_id": REPO, "quarantined": {"enabled": True}})
    assert [r.method for r in api.requests] == ["POST"]


def test_update_sends_changed_and_released_leaves(
    provider: FlakyTestPoliciesProvider, api: FakeFlakyAPI
) -> None:
    olds = outs(provider.create(dict(INPUTS)))
    api.requests.clear()
    news = {
        "repository_id": REPO,
        "attempt_to_fix": {"retries": 5},
        "quarantined": {"enabled": True},
    }
    result = provider.update(REPO, olds, news)
    assert [r.method for r in api.requests] == ["PATCH"]  # no new leaf: no read
    assert patches(api) == [
        {"attempt_to_fix": {"retries": 5}, "quarantined": {"branch_rule": {"branches": ["main"]}}}
    ]
    assert outs(result)["previous_policies"] == {
        "attempt_to_fix": {"retries": 20},
        "quarantined": {"enabled": True},
    }


def test_update_reads_newly_managed_leaves(
    provider: FlakyTestPoliciesProvider, api: FakeFlakyAPI
) -> None:
    olds = outs(provider.create({"repository_id": REPO, "attempt_to_fix": {"retries": 3}}))
    api.requests.clear()
    news = {
        "repository_id": REPO,
        "attempt_to_fix": {"retries": 3},
        "disabled": {"enabled": True, "failure_rate_rule": {"status": "active"}},
    }
    result = provider.update(REPO, olds, news)
    assert [r.method for r in api.requests] == ["POST", "PATCH"]
    assert patches(api) == [{"disabled": {"enabled": True}}]
    assert outs(result)["previous_policies"]["disabled"] == {
        "enabled": False,
        "failure_rate_rule": {"status": "active"},
    }


def test_engine_floats_in_old_outputs_do_not_look_like_changes(
    provider: FlakyTestPoliciesProvider,
) -> None:
    olds = outs(provider.create(dict(INPUTS)))
    as_engine = {**olds, "attempt_to_fix": {"retries": 3.0}}
    assert provider.diff(REPO, as_engine, dict(INPUTS)).changes is False


def test_diff(provider: FlakyTestPoliciesProvider, api: FakeFlakyAPI) -> None:
    olds = outs(provider.create(dict(INPUTS)))
    api.requests.clear()
    assert provider.diff(REPO, olds, {**INPUTS, "attempt_to_fix": {"retries": 4}}).changes is True
    assert provider.diff(REPO, olds, {**INPUTS, "disabled": {"enabled": False}}).changes is True
    assert (
        provider.diff(REPO, olds, {**INPUTS, "quarantined": {"enabled": WIRE_UNKNOWN}}).changes
        is True
    )
    replaced = provider.diff(REPO, olds, {**INPUTS, "repository_id": "github.com/x/y"})
    assert replaced.replaces == ["repository_id"]
    assert api.requests == []


def test_delete_restores_previous_values(
    provider: FlakyTestPoliciesProvider, api: FakeFlakyAPI
) -> None:
    olds = outs(provider.create(dict(INPUTS)))
    api.requests.clear()
    provider.delete(REPO, olds)
    assert patches(api) == [
        {"attempt_to_fix": {"retries": 20}, "quarantined": {"branch_rule": {"branches": ["main"]}}}
    ]
    assert api.policies == SERVER


def test_read_reports_managed_leaves_only(
    provider: FlakyTestPoliciesProvider, api: FakeFlakyAPI
) -> None:
    olds = outs(provider.create(dict(INPUTS)))
    api.policies["attempt_to_fix"]["retries"] = 7  # changed outside Pulumi
    api.policies["disabled"]["enabled"] = True  # not managed: not reported
    result = provider.read(REPO, olds)
    assert outs(result)["attempt_to_fix"] == {"retries": 7}
    assert "disabled" not in outs(result)
    assert result.inputs == {**INPUTS, "attempt_to_fix": {"retries": 7}}
    assert provider.diff(REPO, outs(result), dict(INPUTS)).changes is True


def test_refresh_of_a_resource_declaring_no_leaf_reads_none(
    provider: FlakyTestPoliciesProvider,
) -> None:
    # It used to adopt every server leaf on refresh, so the next preview proposed removing
    # them (an update after every refresh, never converging).
    olds = outs(provider.create({"repository_id": REPO}))
    result = provider.read(REPO, olds)
    assert not set(outs(result)) & set(SERVER)
    assert result.inputs is None  # nothing changed: the engine keeps the inputs it has
    assert provider.diff(REPO, outs(result), {"repository_id": REPO}).changes is False


@pytest.mark.parametrize(
    "props",
    [{}, {"repository_id": None, "attempt_to_fix": None, "previous_policies": None}],
    ids=["import", "get"],
)
def test_read_by_id_adopts_every_leaf(
    provider: FlakyTestPoliciesProvider, props: dict[str, Any]
) -> None:
    result = provider.read(REPO, props)
    assert flatten({k: v for k, v in outs(result).items() if k in SERVER}) == flatten(SERVER)
    assert outs(result)["previous_policies"] == SERVER
