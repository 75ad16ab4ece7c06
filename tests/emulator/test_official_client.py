# mypy: disable-error-code="arg-type,func-returns-value"
# (the official client takes plain dicts for nested models at run time; its annotations name
#  the model classes, and its delete returns None — both exercised on purpose here)
"""The official ``datadog-api-client`` against the emulator: every operation the emulator
implements, called through the client's own API classes, with every response parsed by the
client's own models (its type checks would raise on a wrong shape, type or enum value)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import ApiException, NotFoundException
from datadog_api_client.v2.api import test_optimization_api
from datadog_api_client.v2.api.synthetics_api import SyntheticsApi
from datadog_api_client.v2.model import (
    test_optimization_delete_service_settings_request as delete_settings,
)
from datadog_api_client.v2.model import (
    test_optimization_flaky_tests_management_policies_get_request as get_policies,
)
from datadog_api_client.v2.model import (
    test_optimization_flaky_tests_management_policies_update_request as update_policies,
)
from datadog_api_client.v2.model import (
    test_optimization_get_service_settings_request as get_settings,
)
from datadog_api_client.v2.model import (
    test_optimization_update_service_settings_request as update_settings,
)
from datadog_api_client.v2.model.deleted_suites_request_delete_request import (
    DeletedSuitesRequestDeleteRequest,
)
from datadog_api_client.v2.model.flaky_tests_search_request import FlakyTestsSearchRequest
from datadog_api_client.v2.model.suite_create_edit_request import SuiteCreateEditRequest
from datadog_api_client.v2.model.suite_json_patch_request import SuiteJsonPatchRequest
from datadog_api_client.v2.model.update_flaky_tests_request import UpdateFlakyTestsRequest

from pulumi_datadog_testing.emulator import EmulatorServer

from .conftest import REPO

# The client's ``TestOptimization*`` classes are used through their modules, so pytest
# does not try to collect them as test classes.
OptimizationApi = test_optimization_api.TestOptimizationApi

pytestmark = pytest.mark.emulator


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[ApiClient]:
    configuration = Configuration(host=emulator.url)
    configuration.api_key["apiKeyAuth"] = emulator.api_key
    configuration.api_key["appKeyAuth"] = emulator.app_key
    for operation in list(configuration.unstable_operations.values):  # "v2.<operation>"
        configuration.unstable_operations[operation.split(".", 1)[1]] = True
    with ApiClient(configuration) as api_client:
        yield api_client


def test_service_settings_operations(client: ApiClient, emulator: EmulatorServer) -> None:
    api = OptimizationApi(client)
    identity = {"repository_id": REPO, "service_name": "checkout", "env": "prod"}
    updated = api.update_test_optimization_service_settings(
        body=update_settings.TestOptimizationUpdateServiceSettingsRequest(
            data={
                "type": "test_optimization_update_service_settings_request",
                "attributes": {
                    **identity,
                    "auto_test_retries_enabled": True,
                    "early_flake_detection_enabled": False,
                    "pr_comments_enabled": True,
                    "code_coverage_enabled_inherit": True,
                },
            }
        )
    )
    assert updated.data.id == f"{REPO}::checkout::prod"
    assert str(updated.data.type) == "test_optimization_service_settings"
    assert updated.data.attributes.auto_test_retries_enabled is True
    assert updated.data.attributes.auto_test_retries_enabled_is_overridden is True
    assert updated.data.attributes.code_coverage_enabled_is_overridden is False

    got = api.get_test_optimization_service_settings(
        body=get_settings.TestOptimizationGetServiceSettingsRequest(
            data={"type": "test_optimization_get_service_settings_request", "attributes": identity}
        )
    )
    assert got.to_dict() == updated.to_dict()

    delete_body = delete_settings.TestOptimizationDeleteServiceSettingsRequest(
        data={"type": "test_optimization_delete_service_settings_request", "attributes": identity}
    )
    assert api.delete_test_optimization_service_settings(body=delete_body) is None
    with pytest.raises(NotFoundException):
        api.delete_test_optimization_service_settings(body=delete_body)
    assert [c.status for c in emulator.calls()] == [200, 200, 204, 404]


def test_policies_operations(client: ApiClient) -> None:
    api = OptimizationApi(client)
    defaults = api.get_flaky_tests_management_policies(
        body=get_policies.TestOptimizationFlakyTestsManagementPoliciesGetRequest(
            data={
                "type": "test_optimization_get_flaky_tests_management_policies_request",
                "attributes": {"repository_id": REPO},
            }
        )
    )
    assert defaults.data.attributes.repository_id == REPO
    updated = api.update_flaky_tests_management_policies(
        body=update_policies.TestOptimizationFlakyTestsManagementPoliciesUpdateRequest(
            data={
                "type": "test_optimization_update_flaky_tests_management_policies_request",
                "attributes": {  # the client's BDD feature-file example
                    "repository_id": REPO,
                    "attempt_to_fix": {"retries": 3},
                    "disabled": {
                        "enabled": False,
                        "auto_disable_rule": {"enabled": False, "status": "active",
                                              "window_seconds": 3600},
                        "branch_rule": {"branches": ["main"], "enabled": False,
                                        "excluded_branches": [], "excluded_test_services": []},
                        "failure_rate_rule": {"branches": ["main"], "enabled": False,
                                              "min_runs": 10, "status": "active", "threshold": 0.5},
                    },
                    "quarantined": {
                        "auto_quarantine_rule": {"enabled": True, "window_seconds": 3600},
                        "branch_rule": {"branches": ["main"], "enabled": True,
                                        "excluded_branches": [], "excluded_test_services": []},
                        "enabled": True,
                        "failure_rate_rule": {"branches": ["main"], "enabled": True,
                                              "min_runs": 10, "threshold": 0.5},
                    },
                },
            }
        )
    )  # fmt: skip
    attributes = updated.data.attributes
    assert str(updated.data.type) == "test_optimization_flaky_tests_management_policies"
    assert attributes.attempt_to_fix.retries == 3
    assert attributes.quarantined.failure_rate_rule.threshold == 0.5
    assert str(attributes.disabled.failure_rate_rule.status) == "active"


def test_flaky_tests_operations(client: ApiClient, emulator: EmulatorServer) -> None:
    ids = [t.id for t in emulator.seed_flaky_tests(REPO, 30, seed=4).tests]
    api = OptimizationApi(client)

    def search_body(**attributes: object) -> FlakyTestsSearchRequest:
        return FlakyTestsSearchRequest(
            data={"type": "search_flaky_tests_request", "attributes": attributes}
        )

    page = api.search_flaky_tests(
        body=search_body(
            filter={"query": f'@git.repository.id_v2:"{REPO}"', "include_history": True},
            page={"limit": 25},
            sort="-failure_rate",
        )
    )
    assert len(page.data) == 25
    assert page.meta.pagination.next_page
    assert all(t.attributes.history for t in page.data)
    assert str(page.data[0].type) == "flaky_test"

    everything = list(
        api.search_flaky_tests_with_pagination(
            body=search_body(filter={"query": "*"}, page={"limit": 7}, sort="fqn")
        )
    )
    assert sorted(t.id for t in everything) == sorted(ids)

    result = api.update_flaky_tests(
        body=UpdateFlakyTestsRequest(
            data={
                "type": "update_flaky_test_state_request",
                "attributes": {
                    "tests": [
                        {"id": ids[0], "new_state": "quarantined"},
                        {"id": "ffffffffffffffff", "new_state": "fixed"},
                    ]
                },
            }
        )
    )
    assert result.data.attributes.has_errors is True
    assert [(r.id, r.success) for r in result.data.attributes.results] == [
        (ids[0], True),
        ("ffffffffffffffff", False),
    ]
    with pytest.raises(ApiException) as info:
        api.search_flaky_tests(body=search_body(filter={"query": "flaky_test_state:(active"}))
    assert info.value.status == 400
    assert "unbalanced '('" in str(info.value.body)


def test_suite_operations(client: ApiClient) -> None:
    api = SyntheticsApi(client)
    suite = {
        "type": "suite",
        "name": "Checkout",
        "message": "Checkout is down",
        "options": {"alerting_threshold": 0.5},
        "tags": ["team:web"],
        "tests": [{"public_id": "abc-def-ghi", "alerting_criticality": "critical"}],
    }
    created = api.create_synthetics_suite(
        body=SuiteCreateEditRequest(data={"type": "suites", "attributes": suite})
    )
    public_id = created.data.attributes.public_id
    assert created.data.id == public_id
    assert isinstance(created.data.attributes.monitor_id, int)

    got = api.get_synthetics_suite(public_id=public_id)
    assert got.data.attributes.name == "Checkout"

    edited = api.edit_synthetics_suite(
        public_id=public_id,
        body=SuiteCreateEditRequest(
            data={"type": "suites", "attributes": {**suite, "name": "Checkout v2"}}
        ),
    )
    assert edited.data.attributes.name == "Checkout v2"

    patched = api.patch_test_suite(
        public_id=public_id,
        body=SuiteJsonPatchRequest(
            data={
                "type": "suites_json_patch",
                "attributes": {
                    "json_patch": [
                        {"op": "test", "path": "/name", "value": "Checkout v2"},
                        {"op": "replace", "path": "/name", "value": "Checkout v3"},
                        {"op": "add", "path": "/tags/-", "value": "env:prod"},
                    ]
                },
            }
        ),
    )
    assert patched.data.attributes.name == "Checkout v3"
    assert patched.data.attributes.tags == ["team:web", "env:prod"]

    found = api.search_suites(query="tag:env:prod", sort="name,asc", start=0, count=10)
    assert str(found.data.type) == "suites_search"
    assert [s.public_id for s in found.data.attributes.suites] == [public_id]
    assert api.search_suites(facets_only=True).data.attributes.suites == []

    deleted = api.delete_synthetics_suites(
        body=DeletedSuitesRequestDeleteRequest(
            data={"type": "delete_suites_request", "attributes": {"public_ids": [public_id]}}
        )
    )
    assert [d.attributes.public_id for d in deleted.data] == [public_id]
    with pytest.raises(NotFoundException) as info:
        api.get_synthetics_suite(public_id=public_id)
    assert "Synthetics test not found" in str(info.value.body)
