"""Flaky tests management policies over real HTTP: defaults, nested partial updates, errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pulumi_datadog_testing.emulator.policies import DEFAULT_POLICIES
from pulumi_datadog_testing.models import FlakyTestsManagementPoliciesResponse

from .conftest import POLICIES, REPO, envelope, error_text

pytestmark = pytest.mark.emulator

GET = "test_optimization_get_flaky_tests_management_policies_request"
UPDATE = "test_optimization_update_flaky_tests_management_policies_request"


def policies(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    FlakyTestsManagementPoliciesResponse.model_validate(response.json())
    data = response.json()["data"]
    assert data["type"] == "test_optimization_flaky_tests_management_policies"
    assert data["id"] == data["attributes"]["repository_id"]
    return dict(data["attributes"])


def test_never_configured_repository_answers_the_documented_defaults(api: httpx.Client) -> None:
    got = policies(api.post(POLICIES, json=envelope(GET, {"repository_id": REPO})))
    assert got == {"repository_id": REPO, **DEFAULT_POLICIES}


def test_patch_merges_nested_objects_field_by_field(api: httpx.Client) -> None:
    first = policies(
        api.patch(
            POLICIES,
            json=envelope(
                UPDATE,
                {
                    "repository_id": REPO,
                    "attempt_to_fix": {"retries": 3},
                    "quarantined": {
                        "auto_quarantine_rule": {"enabled": True, "window_seconds": 3600},
                        "failure_rate_rule": {
                            "min_runs": 10,
                            "threshold": 0.5,
                            "branches": ["main"],
                        },
                    },
                },
            ),
        )
    )
    assert first["attempt_to_fix"] == {"retries": 3}
    quarantined = first["quarantined"]
    assert quarantined["enabled"] is DEFAULT_POLICIES["quarantined"]["enabled"]
    assert quarantined["auto_quarantine_rule"] == {"enabled": True, "window_seconds": 3600}
    assert quarantined["failure_rate_rule"]["branches"] == ["main"]
    assert quarantined["failure_rate_rule"]["enabled"] is False  # untouched default
    assert first["disabled"] == DEFAULT_POLICIES["disabled"]

    second = policies(
        api.patch(
            POLICIES,
            json=envelope(
                UPDATE,
                {
                    "repository_id": REPO,
                    "disabled": {"enabled": True, "auto_disable_rule": {"status": "active"}},
                },
            ),
        )
    )
    assert second["attempt_to_fix"] == {"retries": 3}
    assert second["quarantined"] == quarantined
    assert second["disabled"]["enabled"] is True
    assert second["disabled"]["auto_disable_rule"]["status"] == "active"
    assert (
        second["disabled"]["auto_disable_rule"]["window_seconds"]
        == DEFAULT_POLICIES["disabled"]["auto_disable_rule"]["window_seconds"]
    )
    assert policies(api.post(POLICIES, json=envelope(GET, {"repository_id": REPO}))) == second

    other = policies(api.post(POLICIES, json=envelope(GET, {"repository_id": "github.com/x/y"})))
    assert other["attempt_to_fix"] == DEFAULT_POLICIES["attempt_to_fix"]


@pytest.mark.parametrize(
    ("method", "body", "fragment"),
    [
        ("POST", envelope(GET, {"repository_id": ""}), "data.attributes.repository_id"),
        ("PATCH", envelope(UPDATE, {"repository_id": ""}), "data.attributes.repository_id"),
        ("POST", envelope(UPDATE, {"repository_id": REPO}), "data.type"),
        ("PATCH", envelope(GET, {"repository_id": REPO}), "data.type"),
        (
            "PATCH",
            envelope(UPDATE, {"repository_id": REPO, "attempt_to_fix": {"retries": 0}}),
            "data.attributes.attempt_to_fix.retries",
        ),
        (
            "PATCH",
            envelope(
                UPDATE,
                {"repository_id": REPO, "disabled": {"auto_disable_rule": {"status": "fixed"}}},
            ),
            "data.attributes.disabled.auto_disable_rule.status",
        ),
        (
            "PATCH",
            envelope(
                UPDATE,
                {"repository_id": REPO, "quarantined": {"failure_rate_rule": {"threshold": 1.5}}},
            ),
            "data.attributes.quarantined.failure_rate_rule.threshold",
        ),
        (
            "PATCH",
            envelope(UPDATE, {"repository_id": REPO, "quarantined": {"enabled": "yes"}}),
            "data.attributes.quarantined.enabled",
        ),
    ],
)
def test_invalid_policies_bodies_are_400s_naming_the_field(
    api: httpx.Client, method: str, body: dict[str, Any], fragment: str
) -> None:
    response = api.request(method, POLICIES, json=body)
    assert response.status_code == 400
    assert fragment in error_text(response)
