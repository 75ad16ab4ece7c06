"""Flaky tests over real HTTP: search (query, sort, cursor pagination, history) and the bulk
state PATCH (per-test results, unknown ids, limits, injected per-test failures)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pulumi_datadog_testing.emulator import EmulatorServer
from pulumi_datadog_testing.models import (
    FLAKY_SORT_KEYS,
    FlakyTestsSearchResponse,
    UpdateFlakyTestsResponse,
)

from .conftest import FLAKY, REPO, envelope, error_text, flaky_search, flaky_update

pytestmark = pytest.mark.emulator

JSON_API = "application/vnd.api+json"


def search(api: httpx.Client, body: dict[str, Any] | None) -> dict[str, Any]:
    response = api.post(FLAKY, json=body) if body is not None else api.post(FLAKY)
    assert response.status_code == 200, response.text
    FlakyTestsSearchResponse.model_validate(response.json())
    return dict(response.json())


def search_all(api: httpx.Client, query: str = "*", **options: Any) -> list[dict[str, Any]]:
    """Every page of a search, following cursors until ``next_page`` is null."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(10_000):
        page = search(api, flaky_search(query, cursor=cursor, **options))
        found.extend(page["data"])
        cursor = page["meta"]["pagination"]["next_page"]
        if cursor is None:
            return found
        assert page["data"], "a page with a next cursor must not be empty"
    raise AssertionError("pagination did not end")


def update(api: httpx.Client, states: dict[str, str]) -> dict[str, Any]:
    response = api.patch(FLAKY, json=flaky_update(states))
    assert response.status_code == 200, response.text
    UpdateFlakyTestsResponse.model_validate(response.json())
    data = response.json()["data"]
    assert data["type"] == "update_flaky_test_state_response"
    return dict(data["attributes"])


@pytest.fixture
def seeded(emulator: EmulatorServer) -> list[str]:
    """57 tests in REPO (deterministic) and 5 in another repository; REPO's ids."""
    emulator.seed_flaky_tests("github.com/acme/other", 5, seed=1)
    return [t.id for t in emulator.seed_flaky_tests(REPO, 57, seed=3).tests]


def test_default_search_is_ten_tests_by_fqn(api: httpx.Client, seeded: list[str]) -> None:
    for body in (None, {}, envelope("search_flaky_tests_request", {})):
        page = search(api, body)
        assert len(page["data"]) == 10
        assert page["meta"]["pagination"]["next_page"]
    first = search(api, None)["data"][0]
    assert first["type"] == "flaky_test"
    assert len(first["id"]) == 16 and int(first["id"], 16) >= 0
    attributes = first["attributes"]
    for field in (
        "name",
        "suite",
        "flaky_state",
        "services",
        "envs",
        "codeowners",
        "test_stats",
        "pipeline_stats",
        "first_flaked_ts",
        "last_flaked_ts",
        "test_run_metadata",
    ):
        assert field in attributes
    assert "history" not in attributes
    assert "repository_id" not in attributes


def test_seed_example_query_and_pagination_cover_every_match_once(
    api: httpx.Client, seeded: list[str]
) -> None:
    query = f'flaky_test_state:active @git.repository.id_v2:"{REPO}"'
    found = search_all(api, query, limit=7)
    ids = [t["id"] for t in found]
    assert len(ids) == len(set(ids))
    assert set(ids) <= set(seeded)
    assert all(t["attributes"]["flaky_state"] == "active" for t in found)
    everything = search_all(api, limit=1000)
    expected = {
        t["id"]
        for t in everything
        if t["attributes"]["flaky_state"] == "active" and t["id"] in set(seeded)
    }
    assert set(ids) == expected
    assert 0 < len(expected) < 57


def test_last_page_has_null_next_page(api: httpx.Client, seeded: list[str]) -> None:
    page = search(api, flaky_search(f'@git.repository.id_v2:"{REPO}"', limit=57))
    assert len(page["data"]) == 57
    assert page["meta"]["pagination"]["next_page"] is None
    empty = search(api, flaky_search("flaky_test_category:NoSuchCategory"))
    assert empty == {"data": [], "meta": {"pagination": {"next_page": None}}}


def _sort_value(test: dict[str, Any], key: str) -> Any:
    a = test["attributes"]
    return {
        "fqn": lambda: (a.get("module") or "", a.get("suite") or "", a["name"]),
        "first_flaked": lambda: a["first_flaked_ts"],
        "last_flaked": lambda: a["last_flaked_ts"],
        "failure_rate": lambda: a["test_stats"]["failure_rate_pct"],
        "pipelines_failed": lambda: a["pipeline_stats"]["failed_pipelines"],
        "pipelines_duration_lost": lambda: a["pipeline_stats"]["total_lost_time_ms"],
    }[key]()


@pytest.mark.parametrize("sort", FLAKY_SORT_KEYS)
def test_every_sort_key_orders_all_pages(api: httpx.Client, seeded: list[str], sort: str) -> None:
    found = search_all(api, f'@git.repository.id_v2:"{REPO}"', limit=9, sort=sort)
    assert sorted(t["id"] for t in found) == sorted(seeded)
    values = [_sort_value(t, sort.lstrip("-")) for t in found]
    assert values == sorted(values, reverse=sort.startswith("-"))


@pytest.mark.parametrize("limit", [0, -1, 1001, 2000])
def test_page_limit_out_of_range_is_a_json_api_400(api: httpx.Client, limit: int) -> None:
    response = api.post(FLAKY, json=flaky_search(limit=limit))
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON_API
    (error,) = response.json()["errors"]
    assert error["status"] == "400"
    assert error["title"] == "Bad Request"
    assert "data.attributes.page.limit" in error["detail"]


@pytest.mark.parametrize("limit", [1, 1000])
def test_page_limit_bounds_are_accepted(api: httpx.Client, seeded: list[str], limit: int) -> None:
    assert len(search(api, flaky_search(limit=limit))["data"]) == min(limit, 62)


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("flaky_test_state:(active", "unbalanced '('"),
        ("owner:me", "unknown search key 'owner'"),
        ("flaky_test_state:active OR", "'OR' must be followed by a term"),
    ],
)
def test_malformed_query_is_a_json_api_400(api: httpx.Client, query: str, fragment: str) -> None:
    response = api.post(FLAKY, json=flaky_search(query))
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON_API
    detail = response.json()["errors"][0]["detail"]
    assert detail.startswith("data.attributes.filter.query: invalid search query at character")
    assert fragment in detail


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (envelope("flaky_tests", {}), "data.type"),
        (flaky_search(sort="name"), "data.attributes.sort"),
        (flaky_search(limit="10"), "data.attributes.page.limit"),  # type: ignore[arg-type]
        (flaky_search(filter={"query": 3}), "data.attributes.filter.query"),
    ],
)
def test_invalid_search_body_is_a_400_naming_the_field(
    api: httpx.Client, body: dict[str, Any], fragment: str
) -> None:
    response = api.post(FLAKY, json=body)
    assert response.status_code == 400
    assert fragment in error_text(response)


def test_foreign_or_garbage_cursor_is_a_400(api: httpx.Client, seeded: list[str]) -> None:
    cursor = search(api, flaky_search(limit=2))["meta"]["pagination"]["next_page"]
    for bad, fragment in (
        ("not-a-cursor!", "not a cursor returned by this search"),
        (cursor, "different query or sort"),
    ):
        response = api.post(FLAKY, json=flaky_search("env:ci", cursor=bad, limit=2))
        assert response.status_code == 400
        assert fragment in error_text(response)


def test_include_history_in_attributes_or_filter(api: httpx.Client, seeded: list[str]) -> None:
    quarantined = "flaky_test_state:quarantined"
    for body in (
        flaky_search(quarantined, include_history=True),
        envelope(
            "search_flaky_tests_request",
            {"filter": {"query": quarantined, "include_history": True}},
        ),
    ):
        data = search(api, body)["data"]
        assert data
        for test in data:
            history = test["attributes"]["history"]
            assert history[0]["status"] == "quarantined"
            assert {"status", "commit_sha", "timestamp", "policy_id"} <= set(history[0])


def test_batched_read_of_1000_ids(api: httpx.Client, emulator: EmulatorServer) -> None:
    ids = [t.id for t in emulator.seed_flaky_tests(REPO, 1200, seed=9).tests]
    wanted = ids[100:1100]
    query = f"fingerprint_fqn:({' OR '.join(wanted)})"
    page = search(api, flaky_search(query, limit=1000))
    assert sorted(t["id"] for t in page["data"]) == sorted(wanted)
    assert page["meta"]["pagination"]["next_page"] is None


def test_bulk_update_applies_states_and_reports_per_test(
    api: httpx.Client, seeded: list[str]
) -> None:
    first, second = seeded[0], seeded[1]
    result = update(api, {first: "quarantined", second: "disabled", "0123456789abcdef": "fixed"})
    assert result["has_errors"] is True
    by_id = {r["id"]: r for r in result["results"]}
    assert [r["id"] for r in result["results"]] == [first, second, "0123456789abcdef"]
    assert by_id[first] == {"id": first, "success": True}
    assert by_id[second]["success"] is True
    assert by_id["0123456789abcdef"]["success"] is False
    assert "0123456789abcdef" in by_id["0123456789abcdef"]["error"]

    page = search(api, flaky_search(f"fingerprint_fqn:({first} OR {second})", include_history=True))
    states = {t["id"]: t["attributes"]["flaky_state"] for t in page["data"]}
    assert states == {first: "quarantined", second: "disabled"}
    history = {t["id"]: t["attributes"]["history"][0]["status"] for t in page["data"]}
    assert history == states

    clean = update(api, {first: "active"})
    assert clean == {"has_errors": False, "results": [{"id": first, "success": True}]}


def test_bulk_update_limit_is_configurable_and_named(
    api: httpx.Client, emulator: EmulatorServer, seeded: list[str]
) -> None:
    emulator.update_config(max_bulk_tests=3)
    response = api.patch(FLAKY, json=flaky_update(dict.fromkeys(seeded[:4], "fixed")))
    assert response.status_code == 400
    assert "at most 3 tests per request (got 4)" in error_text(response)
    assert update(api, dict.fromkeys(seeded[:3], "fixed"))["has_errors"] is False


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (flaky_update({"00000000000000aa": "broken"}), "data.attributes.tests[0].new_state"),
        (envelope("update_flaky_test_state_request", {"tests": []}), "data.attributes.tests"),
        (envelope("update_flaky_test_state_request", {"tests": [{"id": "x"}]}), "new_state"),
        (envelope("update_flaky_test_state_request", {}), "data.attributes.tests"),
        (envelope("search_flaky_tests_request", {"tests": []}), "data.type"),
    ],
)
def test_invalid_bulk_body_is_a_400_naming_the_field(
    api: httpx.Client, body: dict[str, Any], fragment: str
) -> None:
    response = api.patch(FLAKY, json=body)
    assert response.status_code == 400
    assert fragment in error_text(response)


def test_injected_per_test_failures_leave_those_tests_unchanged(
    api: httpx.Client, emulator: EmulatorServer, seeded: list[str]
) -> None:
    before = {t["id"]: t["attributes"]["flaky_state"] for t in search_all(api, limit=1000)}
    target = seeded[:4]
    emulator.set_faults({"kind": "bulk_failure", "test_ids": [target[1]], "message": "boom"})
    result = update(api, dict.fromkeys(target, "fixed"))
    assert result["has_errors"] is True
    assert [r["success"] for r in result["results"]] == [True, False, True, True]
    assert result["results"][1]["error"] == "boom"
    after = {t["id"]: t["attributes"]["flaky_state"] for t in search_all(api, limit=1000)}
    assert after[target[1]] == before[target[1]]
    assert all(after[t] == "fixed" for t in target if t != target[1])

    emulator.set_faults({"kind": "bulk_failure", "rate": 1.0, "count": 1})
    everything_fails = update(api, dict.fromkeys(target, "active"))
    assert not any(r["success"] for r in everything_fails["results"])
    assert update(api, dict.fromkeys(target, "active"))["has_errors"] is False  # count used up


def test_pages_follow_writes_made_between_searches(
    api: httpx.Client, emulator: EmulatorServer, seeded: list[str]
) -> None:
    before = search_all(api, limit=50, sort="-failure_rate")
    added = [t.id for t in emulator.seed_flaky_tests(REPO, 5, seed=99).tests]
    update(api, {before[0]["id"]: "fixed"})
    after = search_all(api, limit=50, sort="-failure_rate")
    assert {t["id"] for t in after} == {t["id"] for t in before} | set(added)
    states = {t["id"]: t["attributes"]["flaky_state"] for t in after}
    assert states[before[0]["id"]] == "fixed"
    rates = [t["attributes"]["test_stats"]["failure_rate_pct"] for t in after]
    assert rates == sorted(rates, reverse=True)
