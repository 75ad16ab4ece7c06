"""Fuzzing the emulator over HTTP: whatever a client sends — any query in the flaky-test
search language, any JSON or bytes to any Datadog endpoint, any suite-search parameters —
the answer is a 2xx or 4xx, never a 5xx and never a dropped connection.

Bounded: a fixed number of examples per test, a generous per-example deadline and the pytest
timeout. The session emulator is reset once per test, not per example.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_datadog_testing.emulator import EmulatorServer
from pulumi_datadog_testing.emulator.query import SEARCH_KEYS

from .conftest import FLAKY, POLICIES, REPO, SETTINGS, SUITES, flaky_search

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(600)]

FUZZ = settings(
    max_examples=150,
    deadline=timedelta(seconds=20),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

FRAGMENTS = [
    "(", ")", '"', "\\", "*", "?", "-", ":", " ", "NOT ", "OR ", "AND ", " OR ", " AND ",
    "a", "test_", "é", "\u0000", "\t", "fingerprint_fqn:", "unknown:", "@test.name:",
    *(f"{key}:" for key in SEARCH_KEYS), "quarantined", "*a*a*", "((", "))",
]  # fmt: skip
QUERIES = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=40).map(
    "".join
) | st.integers(1, 3000).flatmap(
    lambda n: st.sampled_from(
        ["(" * n + "a" + ")" * n, "NOT " * n + "a", "-" * n + "a", "@test.name:" + "*a" * n + "x"]
    )
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
ENDPOINTS = [
    ("PATCH", SETTINGS), ("POST", SETTINGS), ("DELETE", SETTINGS), ("POST", POLICIES),
    ("PATCH", POLICIES), ("POST", FLAKY), ("PATCH", FLAKY), ("POST", SUITES),
    ("PUT", f"{SUITES}/abc-def-ghi"), ("PATCH", f"{SUITES}/abc-def-ghi/jsonpatch"),
    ("POST", f"{SUITES}/bulk-delete"), ("GET", f"{SUITES}/x%00y"),
]  # fmt: skip


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    emulator.seed_flaky_tests(REPO, 50, seed=2)
    with httpx.Client(base_url=emulator.url, headers=emulator.headers(), timeout=60) as http:
        yield http


def assert_answered(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])


@FUZZ
@given(query=QUERIES, limit=st.none() | st.integers(-5, 2000), sort=st.none() | st.text(max_size=8))
def test_any_flaky_search_query_is_answered(
    client: httpx.Client, query: str, limit: int | None, sort: str | None
) -> None:
    body: dict[str, Any] = flaky_search(query)
    attributes = body["data"]["attributes"]
    if limit is not None:
        attributes["page"] = {"limit": limit}
    if sort is not None:
        attributes["sort"] = sort
    response = client.post(FLAKY, json=body)
    assert_answered(response)
    if response.status_code == 400:
        assert response.json()["errors"]


@FUZZ
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    body=st.one_of(JSON.map(lambda v: json.dumps(v).encode()), st.binary(max_size=200)),
    content_type=st.sampled_from(["application/json", "text/plain", "", "application/json; x"]),
)
def test_any_body_to_any_endpoint_is_answered(
    client: httpx.Client, endpoint: tuple[str, str], body: bytes, content_type: str
) -> None:
    method, path = endpoint
    headers = {"Content-Type": content_type} if content_type else {}
    assert_answered(client.request(method, path, content=body, headers=headers))


@FUZZ
@given(
    envelope=st.fixed_dictionaries(
        {"data": st.fixed_dictionaries({"type": st.text(max_size=10), "attributes": JSON})}
    ),
    endpoint=st.sampled_from(ENDPOINTS),
)
def test_any_envelope_is_answered(
    client: httpx.Client, envelope: dict[str, Any], endpoint: tuple[str, str]
) -> None:
    method, path = endpoint
    assert_answered(client.request(method, path, json=envelope))


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["query", "sort", "start", "count", "facets_only", "other"]),
        st.text(max_size=30)
        | st.lists(st.sampled_from(["tag:*", "name:a*?", "-x", '"'])).map(" ".join),
        max_size=5,
    )
)
def test_any_suite_search_is_answered(client: httpx.Client, params: dict[str, str]) -> None:
    assert_answered(client.get(f"{SUITES}/search", params=params))
