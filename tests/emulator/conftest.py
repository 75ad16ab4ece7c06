"""Shared bits of the emulator tests: an authenticated HTTP client and body builders.

The ``emulator`` fixture (one subprocess per session, reset before each test) comes from
``tests/support/emulator.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pulumi_datadog_testing.api import catalog
from pulumi_datadog_testing.emulator import EmulatorServer

SETTINGS = catalog.GET_SERVICE_SETTINGS.path
POLICIES = catalog.GET_FLAKY_TESTS_POLICIES.path
FLAKY = catalog.SEARCH_FLAKY_TESTS.path
SUITES = catalog.CREATE_SUITE.path
REPO = "github.com/acme/shop"


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """httpx client on the emulator's URL with valid Datadog keys."""
    with httpx.Client(base_url=emulator.url, headers=emulator.headers(), timeout=30) as client:
        yield client


def envelope(type_: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"type": type_, "attributes": attributes}}


def settings_patch(**attributes: Any) -> dict[str, Any]:
    attributes.setdefault("repository_id", REPO)
    attributes.setdefault("service_name", "checkout")
    return envelope("test_optimization_update_service_settings_request", attributes)


def settings_get(**attributes: Any) -> dict[str, Any]:
    attributes.setdefault("repository_id", REPO)
    attributes.setdefault("service_name", "checkout")
    return envelope("test_optimization_get_service_settings_request", attributes)


def settings_delete(**attributes: Any) -> dict[str, Any]:
    attributes.setdefault("repository_id", REPO)
    attributes.setdefault("service_name", "checkout")
    return envelope("test_optimization_delete_service_settings_request", attributes)


def flaky_search(
    query: str | None = None,
    *,
    limit: int | None = None,
    cursor: str | None = None,
    sort: str | None = None,
    **attributes: Any,
) -> dict[str, Any]:
    if query is not None:
        attributes.setdefault("filter", {})["query"] = query
    page = {k: v for k, v in (("limit", limit), ("cursor", cursor)) if v is not None}
    if page:
        attributes["page"] = page
    if sort is not None:
        attributes["sort"] = sort
    return envelope("search_flaky_tests_request", attributes)


def flaky_update(states: dict[str, str]) -> dict[str, Any]:
    tests = [{"id": test_id, "new_state": state} for test_id, state in states.items()]
    return envelope("update_flaky_test_state_request", {"tests": tests})


def suite_body(**attributes: Any) -> dict[str, Any]:
    suite: dict[str, Any] = {
        "type": "suite",
        "name": "Checkout suite",
        "message": "Checkout is broken @team-web",
        "options": {"alerting_threshold": 0.5},
        "tests": [{"public_id": "abc-def-ghi", "alerting_criticality": "critical"}],
        "tags": ["team:web", "env:prod"],
    }
    suite.update(attributes)
    return envelope("suites", suite)


def errors(response: httpx.Response) -> list[Any]:
    """The ``errors`` list of an error answer."""
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("errors"), list), body
    return list(body["errors"])


def error_text(response: httpx.Response) -> str:
    """All error messages of an answer in one string (plain or JSON:API objects)."""
    parts = []
    for item in errors(response):
        parts.append(item if isinstance(item, str) else str(item.get("detail")))
    return " | ".join(parts)
