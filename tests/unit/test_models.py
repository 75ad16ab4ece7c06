"""The wire models against the seeds' own examples and the API's validation rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.model_utils import model_to_dict
from datadog_api_client.v2 import models as dd
from pydantic import ValidationError

from pulumi_datadog_testing import models as m
from pulumi_datadog_testing.identity import service_settings_id

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "api_examples"


def _example(name: str) -> Any:
    """A request or response example from Datadog's API reference (tests/fixtures)."""
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def test_service_settings_seed_examples_round_trip() -> None:
    request = _example("service_settings_update_request")
    response = _example("service_settings_response")
    parsed = m.ServiceSettingsUpdateRequest.model_validate(request)
    assert parsed.model_dump(mode="json", exclude_none=True) == request
    settings = m.ServiceSettingsResponse.model_validate(response)
    assert settings.data.id == "github.com/datadog/shopist::shopist::prod"
    assert settings.data.attributes.pr_comments_enabled is True
    assert service_settings_id("github.com/datadog/shopist", "shopist", "prod") == settings.data.id


def test_partial_update_sends_only_declared_fields_and_keeps_false() -> None:
    body = m.ServiceSettingsUpdateRequest.of(
        m.ServiceSettingsUpdate(repository_id="r", service_name="s", code_coverage_enabled=False)
    ).model_dump(mode="json", exclude_none=True)
    assert body == {
        "data": {
            "type": "test_optimization_update_service_settings_request",
            "attributes": {
                "repository_id": "r",
                "service_name": "s",
                "code_coverage_enabled": False,
            },
        }
    }


@pytest.mark.parametrize(
    ("attrs", "field"),
    [
        ({"repository_id": "", "service_name": "s"}, "repository_id"),
        ({"repository_id": "r", "service_name": ""}, "service_name"),
        ({"repository_id": "r", "service_name": "s", "env": ""}, "env"),
        (
            {"repository_id": "r", "service_name": "s", "code_coverage_enabled": "yes"},
            "code_coverage_enabled",
        ),
        ({"repository_id": "r", "service_name": "s", "colour": True}, "colour"),
    ],
)
def test_service_settings_update_rejects_bad_attributes(attrs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        m.ServiceSettingsUpdate.model_validate(attrs)
    assert [e["loc"][-1] for e in info.value.errors()] == [field]


def test_flaky_search_seed_examples() -> None:
    request = _example("flaky_tests_search_request")
    response = _example("flaky_tests_search_response")
    request["data"]["type"] = "search_flaky_tests_request"  # the seed shows a placeholder
    parsed = m.FlakyTestsSearchRequest.model_validate(request)
    assert parsed.data and parsed.data.attributes and parsed.data.attributes.sort == "failure_rate"
    page = m.FlakyTestsSearchResponse.model_validate(
        {**response, "data": [{**response["data"][0], "type": "flaky_test"}]}
    )
    test = page.data[0].attributes
    assert (test.flaky_state, test.envs, test.services) == ("active", ["prod"], ["foo", "bar"])
    assert page.next_page == "string"


def test_flaky_search_limit_bounds() -> None:
    for bad in (0, 1001, 2000):
        with pytest.raises(ValidationError):
            m.FlakyTestsSearchPage(limit=bad)
    assert m.FlakyTestsSearchPage(limit=1000).limit == 1000


def test_bulk_update_seed_examples() -> None:
    request = _example("flaky_tests_update_request")
    response = _example("flaky_tests_update_response")
    parsed = m.UpdateFlakyTestsRequest.model_validate(request)
    assert parsed == m.UpdateFlakyTestsRequest.of({"4eb1887a8adb1847": "active"})
    result = m.UpdateFlakyTestsResponse.model_validate(
        {"data": {**response["data"], "type": "update_flaky_test_state_response"}}
    )
    assert result.data.attributes.has_errors is True
    assert result.data.attributes.results[0].success is False
    with pytest.raises(ValidationError):
        m.FlakyTestStateChange(id="x", new_state="broken")  # type: ignore[arg-type]


def test_suite_json_patch_seed_examples() -> None:
    request = _example("suite_json_patch_request")
    response = _example("suite_response")
    parsed = m.SuiteJsonPatchRequest.model_validate(request)
    assert parsed.model_dump(mode="json") == request
    # The seed's example uses placeholders ("number", ""): put real values in their place.
    attributes = {
        **response["data"]["attributes"],
        "options": {"alerting_threshold": 0.5},
        "tests": [{"alerting_criticality": "critical", "public_id": "abc-123-xyz"}],
    }
    suite = m.SyntheticsSuiteResponse.model_validate(
        {"data": {**response["data"], "attributes": attributes}}
    )
    assert suite.data.attributes.tests[0].alerting_criticality == "critical"


def test_json_patch_operations_serialize_in_rfc_shape() -> None:
    ops: list[dict[str, Any]] = [
        {"op": "test", "path": "/message", "value": None},
        {"op": "remove", "path": "/tags/1"},
        {"op": "copy", "from": "/name", "path": "/message"},
    ]
    dumped = m.SuiteJsonPatchRequest.of(ops).model_dump(mode="json", exclude_none=True)
    assert dumped["data"]["attributes"]["json_patch"] == ops
    with pytest.raises(ValidationError, match="JSON Pointer"):
        m.JsonPatchOperation(op="add", path="name", value=1)
    with pytest.raises(ValidationError, match="needs a 'from'"):
        m.JsonPatchOperation(op="move", path="/a")


def test_suite_request_drops_server_fields() -> None:
    suite = m.SyntheticsSuite(name="checkout", public_id="abc-def-ghi", monitor_id=7, version=2)
    body = m.SuiteRequest.of(suite).model_dump(mode="json", exclude_none=True)
    assert body == {
        "data": {
            "type": "suites",
            "attributes": {"type": "suite", "name": "checkout", "options": {}, "tests": []},
        }
    }
    with pytest.raises(ValidationError):
        m.SuiteOptions(alerting_threshold=1.5)


def test_policies_partial_update_and_validation() -> None:
    attrs = m.FlakyTestsManagementPolicies(
        repository_id="github.com/acme/shop",
        attempt_to_fix=m.PoliciesAttemptToFix(retries=3),
        disabled=m.PoliciesDisabled(
            auto_disable_rule=m.PoliciesAutoDisableRule(enabled=True, status="quarantined")
        ),
    )
    body = m.FlakyTestsManagementPoliciesUpdateRequest.of(attrs).model_dump(
        mode="json", exclude_none=True
    )
    assert (
        body["data"]["type"] == "test_optimization_update_flaky_tests_management_policies_request"
    )
    assert body["data"]["attributes"] == {
        "repository_id": "github.com/acme/shop",
        "attempt_to_fix": {"retries": 3},
        "disabled": {"auto_disable_rule": {"enabled": True, "status": "quarantined"}},
    }
    with pytest.raises(ValidationError):
        m.PoliciesAutoDisableRule(status="fixed")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        m.PoliciesQuarantinedFailureRateRule(threshold=2)


# ----------------------------------------------- against the official client's v2 models
# Every request the official client can build must validate as ours (with the on-the-wire
# required-field checks on) and dump back to the same JSON; every response we build must
# deserialize with the client's type checks on.

_SUITE = dd.SyntheticsSuite(
    name="checkout",
    message="page the web team",
    options=dd.SyntheticsSuiteOptions(alerting_threshold=0.5),
    tags=["team:web"],
    tests=[
        dd.SyntheticsSuiteTest(
            public_id="abc-123-xyz",
            alerting_criticality=dd.SyntheticsSuiteTestAlertingCriticality.CRITICAL,
        )
    ],
    type=dd.SyntheticsSuiteType.SUITE,
)

CLIENT_REQUESTS: list[tuple[Any, type[m.WireModel]]] = [
    (
        dd.TestOptimizationUpdateServiceSettingsRequest(
            data=dd.TestOptimizationUpdateServiceSettingsRequestData(
                attributes=dd.TestOptimizationUpdateServiceSettingsRequestAttributes(
                    repository_id="github.com/datadog/shopist",
                    service_name="shopist",
                    env="prod",
                    early_flake_detection_enabled=False,
                    pr_comments_enabled=True,
                    code_coverage_enabled_inherit=True,
                ),
                type=dd.TestOptimizationUpdateServiceSettingsRequestDataType.TEST_OPTIMIZATION_UPDATE_SERVICE_SETTINGS_REQUEST,
            )
        ),
        m.ServiceSettingsUpdateRequest,
    ),
    (
        dd.TestOptimizationGetServiceSettingsRequest(
            data=dd.TestOptimizationGetServiceSettingsRequestData(
                attributes=dd.TestOptimizationGetServiceSettingsRequestAttributes(
                    repository_id="github.com/datadog/shopist", service_name="shopist"
                ),
                type=dd.TestOptimizationGetServiceSettingsRequestDataType.TEST_OPTIMIZATION_GET_SERVICE_SETTINGS_REQUEST,
            )
        ),
        m.ServiceSettingsGetRequest,
    ),
    (
        dd.TestOptimizationDeleteServiceSettingsRequest(
            data=dd.TestOptimizationDeleteServiceSettingsRequestData(
                attributes=dd.TestOptimizationDeleteServiceSettingsRequestAttributes(
                    repository_id="github.com/datadog/shopist", service_name="shopist", env="ci"
                ),
                type=dd.TestOptimizationDeleteServiceSettingsRequestDataType.TEST_OPTIMIZATION_DELETE_SERVICE_SETTINGS_REQUEST,
            )
        ),
        m.ServiceSettingsDeleteRequest,
    ),
    (
        dd.TestOptimizationFlakyTestsManagementPoliciesGetRequest(
            data=dd.TestOptimizationFlakyTestsManagementPoliciesGetRequestData(
                attributes=dd.TestOptimizationFlakyTestsManagementPoliciesGetRequestAttributes(
                    repository_id="github.com/datadog/shopist"
                ),
                type=dd.TestOptimizationGetFlakyTestsManagementPoliciesRequestDataType.TEST_OPTIMIZATION_GET_FLAKY_TESTS_MANAGEMENT_POLICIES_REQUEST,
            )
        ),
        m.FlakyTestsManagementPoliciesGetRequest,
    ),
    (
        dd.TestOptimizationFlakyTestsManagementPoliciesUpdateRequest(
            data=dd.TestOptimizationFlakyTestsManagementPoliciesUpdateRequestData(
                attributes=dd.TestOptimizationFlakyTestsManagementPoliciesUpdateRequestAttributes(
                    repository_id="github.com/datadog/shopist",
                    attempt_to_fix=dd.TestOptimizationFlakyTestsManagementPoliciesAttemptToFix(
                        retries=3
                    ),
                    quarantined=dd.TestOptimizationFlakyTestsManagementPoliciesQuarantined(
                        enabled=True,
                        failure_rate_rule=dd.TestOptimizationFlakyTestsManagementPoliciesQuarantinedFailureRateRule(
                            enabled=True, branches=["main"], min_runs=10, threshold=0.5
                        ),
                    ),
                ),
                type=dd.TestOptimizationUpdateFlakyTestsManagementPoliciesRequestDataType.TEST_OPTIMIZATION_UPDATE_FLAKY_TESTS_MANAGEMENT_POLICIES_REQUEST,
            )
        ),
        m.FlakyTestsManagementPoliciesUpdateRequest,
    ),
    (
        dd.FlakyTestsSearchRequest(
            data=dd.FlakyTestsSearchRequestData(
                attributes=dd.FlakyTestsSearchRequestAttributes(
                    filter=dd.FlakyTestsSearchFilter(
                        query='flaky_test_state:active @git.repository.id_v2:"github.com/datadog/shopist"',
                        include_history=True,
                    ),
                    page=dd.FlakyTestsSearchPageOptions(limit=25),
                    sort=dd.FlakyTestsSearchSort.FAILURE_RATE_DESCENDING,
                ),
            )
        ),
        m.FlakyTestsSearchRequest,
    ),
    (
        dd.UpdateFlakyTestsRequest(
            data=dd.UpdateFlakyTestsRequestData(
                attributes=dd.UpdateFlakyTestsRequestAttributes(
                    tests=[
                        dd.UpdateFlakyTestsRequestTest(
                            id="4eb1887a8adb1847",
                            new_state=dd.UpdateFlakyTestsRequestTestNewState.QUARANTINED,
                        )
                    ]
                ),
                type=dd.UpdateFlakyTestsRequestDataType.UPDATE_FLAKY_TEST_STATE_REQUEST,
            )
        ),
        m.UpdateFlakyTestsRequest,
    ),
    (
        dd.SuiteCreateEditRequest(
            data=dd.SuiteCreateEdit(attributes=_SUITE, type=dd.SyntheticsSuiteTypes.SUITES)
        ),
        m.SuiteRequest,
    ),
    (
        dd.SuiteJsonPatchRequest(
            data=dd.SuiteJsonPatchRequestData(
                attributes=dd.SuiteJsonPatchRequestDataAttributes(
                    json_patch=[
                        dd.JsonPatchOperation(
                            op=dd.JsonPatchOperationOp.REPLACE, path="/name", value="x"
                        ),
                        dd.JsonPatchOperation(op=dd.JsonPatchOperationOp.REMOVE, path="/tags/0"),
                    ]
                ),
            )
        ),
        m.SuiteJsonPatchRequest,
    ),
    (
        dd.DeletedSuitesRequestDeleteRequest(
            data=dd.DeletedSuitesRequestDelete(
                attributes=dd.DeletedSuitesRequestDeleteAttributes(
                    public_ids=["abc-123-xyz"], force_delete_dependencies=True
                ),
            )
        ),
        m.DeleteSuitesRequest,
    ),
]


@pytest.mark.parametrize(
    ("client_body", "ours"), CLIENT_REQUESTS, ids=[o.__name__ for _, o in CLIENT_REQUESTS]
)
def test_official_client_requests_validate_as_ours(
    client_body: Any, ours: type[m.WireModel]
) -> None:
    wire = json.loads(json.dumps(model_to_dict(client_body)))
    parsed = ours.model_validate_json(json.dumps(wire), strict=True, context=m.WIRE_CONTEXT)
    body = parsed.to_body()
    if "type" not in wire["data"]:  # optional for this operation: we always send it
        assert body["data"].pop("type") == type(parsed.data).model_fields["type"].default  # type: ignore[attr-defined]
    assert body == wire


def test_wire_context_requires_the_type_our_defaults_fill_in() -> None:
    body = {"data": {"attributes": {"repository_id": "r", "service_name": "s"}}}
    assert m.ServiceSettingsUpdateRequest.model_validate(body).data.type.endswith("_request")
    with pytest.raises(ValidationError) as info:
        m.ServiceSettingsUpdateRequest.model_validate(body, context=m.WIRE_CONTEXT)
    (error,) = info.value.errors()
    assert (error["type"], error["loc"], error["ctx"]) == (
        "wire_missing",
        ("data",),
        {"field": "type"},
    )
    suite = {"data": {"type": "suites", "attributes": {"type": "suite", "name": "n", "tests": []}}}
    with pytest.raises(ValidationError, match="field required: options"):
        m.SuiteRequest.model_validate(suite, context=m.WIRE_CONTEXT)
    add_without_value = {"data": {"attributes": {"json_patch": [{"op": "add", "path": "/name"}]}}}
    with pytest.raises(ValidationError, match="field required: value"):
        m.SuiteJsonPatchRequest.model_validate(add_without_value, context=m.WIRE_CONTEXT)


def _client_parses(body: m.WireModel, client_type: Any) -> Any:
    api = ApiClient(Configuration())
    return api.deserialize(json.dumps(body.to_body()), (client_type,), True)


def test_our_responses_parse_with_the_official_client() -> None:
    settings = m.ServiceSettingsResponse(
        data=m.ServiceSettingsData(
            id="r::s::none",
            attributes=m.ServiceSettingsAttributes(
                repository_id="r", service_name="s", env="none",
                code_coverage_enabled=True, code_coverage_enabled_is_overridden=False,
            ),
        )
    )  # fmt: skip
    parsed = _client_parses(settings, dd.TestOptimizationServiceSettingsResponse)
    assert parsed.data.attributes.code_coverage_enabled_is_overridden is False

    policies = m.FlakyTestsManagementPoliciesResponse(
        data=m.FlakyTestsManagementPoliciesData(
            id="r",
            attributes=m._PoliciesResponseAttributes(
                repository_id="r",
                attempt_to_fix=m.PoliciesAttemptToFix(retries=3),
                disabled=m.PoliciesDisabled(
                    enabled=False,
                    failure_rate_rule=m.PoliciesDisabledFailureRateRule(
                        status="active", threshold=0.5
                    ),
                ),
            ),
        )
    )
    parsed = _client_parses(policies, dd.TestOptimizationFlakyTestsManagementPoliciesResponse)
    assert parsed.data.attributes.disabled.failure_rate_rule.threshold == 0.5

    page = m.FlakyTestsSearchResponse(
        data=[
            m.FlakyTest(
                id="4eb1887a8adb1847",
                attributes=m.FlakyTestAttributes(
                    name="test_pay", module=None, flaky_state="quarantined", envs=["ci"],
                    impact_level="high", impact_score=0.9,
                    history=[m.FlakyTestHistory(status="quarantined", commit_sha="", timestamp=1, policy_id="ftm_policy.manual")],
                ),
            )
        ],
        meta=m.FlakyTestsSearchMeta(pagination=m.FlakyTestsSearchPagination(next_page=None)),
    )  # fmt: skip
    parsed = _client_parses(page, dd.FlakyTestsSearchResponse)
    assert parsed.data[0].attributes.flaky_state.value == "quarantined"

    bulk = m.UpdateFlakyTestsResponse(
        data=m.UpdateFlakyTestsResponseData(
            id="x",
            attributes=m.UpdateFlakyTestsResponseAttributes(
                has_errors=True,
                results=[m.FlakyTestUpdateResult(id="a", success=False, error="not found")],
            ),
        )
    )
    assert _client_parses(bulk, dd.UpdateFlakyTestsResponse).data.attributes.has_errors is True

    suite = m.SyntheticsSuiteResponse(
        data=m.SyntheticsSuiteData(
            id="abc-123-xyz",
            attributes=m.SyntheticsSuite(
                name="n", public_id="abc-123-xyz", monitor_id=7, version=1,
                tests=[m.SuiteTest(public_id="t-1", alerting_criticality="ignore")],
            ),
        )
    )  # fmt: skip
    assert _client_parses(suite, dd.SyntheticsSuiteResponse).data.attributes.monitor_id == 7

    deleted = m.DeletedSuitesResponse(
        data=[m.DeletedSuite(id="a", attributes=m.DeletedSuiteAttributes(public_id="a", deleted_at="2026-01-01T00:00:00Z"))]
    )  # fmt: skip
    assert _client_parses(deleted, dd.DeletedSuitesResponse).data[0].attributes.public_id == "a"

    search = m.SuitesSearchResponse(
        data=m.SuitesSearchData(
            id="1b4d7a52-5c0e-4b8e-9a59-5e8e2a3f7c11",
            attributes=m.SuitesSearchAttributes(suites=[suite.data.attributes], total=1),
        )
    )
    assert _client_parses(search, dd.SyntheticsSuiteSearchResponse).data.attributes.total == 1


def test_a_brief_test_reads_as_a_flaky_test_of_its_own() -> None:
    """``FlakyTestBrief.as_test`` (copies of a blank test): the brief's attributes, every other
    one unset, and no two tests sharing their attributes."""
    brief = m.FlakyTestBrief.model_validate(
        {"id": "4eb1887a8adb1847", "attributes": {"flaky_state": "quarantined", "name": "t"}}
    )
    test, other = brief.as_test(), brief.as_test()
    assert test.id == "4eb1887a8adb1847" and test.type == "flaky_test"
    assert test.attributes == m.FlakyTestAttributes.model_construct(
        flaky_state="quarantined", module=None, suite=None, name="t"
    )
    assert test.attributes.services is None and test.attributes.history is None
    assert test.model_fields_set == {"id", "attributes"}
    assert test.attributes.model_fields_set == {"flaky_state", "module", "suite", "name"}
    assert test.attributes is not other.attributes
