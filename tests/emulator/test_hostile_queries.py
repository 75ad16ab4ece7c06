"""Hostile flaky-test queries over real HTTP: every one gets a 400 naming the limit, or a 200,
and the emulator keeps answering other clients (``/_emulator/health``) meanwhile.

No wall-clock assertions: the pytest timeout bounds each test, and "responsive" means a
health call made while the hostile requests run gets its 200.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from pulumi_datadog_testing.emulator import EmulatorServer
from pulumi_datadog_testing.emulator.query import (
    MAX_QUERY_CHARS,
    MAX_QUERY_DEPTH,
    MAX_QUERY_TERMS,
)

from .conftest import FLAKY, REPO, error_text, flaky_search

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(120)]

LONG_NAME = "a" * 40
BACKTRACKER = "@test.name:" + "*a" * 9 + "x"  # seconds per test as a .* regex
DEEP_BACKTRACKER = "@test.name:" + "*a" * 14 + "x"  # minutes per test as a .* regex

HOSTILE: list[tuple[str, str, int, str | None]] = [
    # (id, query, status, text the 400 must contain)
    ("3000 parentheses", "(" * 3000 + "a" + ")" * 3000, 400, f"deeper than {MAX_QUERY_DEPTH}"),
    ("3000 NOT", "NOT " * 3000 + "a", 400, f"deeper than {MAX_QUERY_DEPTH}"),
    ("3000 minus", "-" * 3000 + "a", 400, f"deeper than {MAX_QUERY_DEPTH}"),
    ("5000 NOT", "NOT " * 5000 + "a", 400, f"deeper than {MAX_QUERY_DEPTH}"),
    ("nested value group", "@test.name:" + "(" * 100 + "a" + ")" * 100, 400, "deeper than"),
    ("too long", "@test.name:" + "b" * MAX_QUERY_CHARS, 400, f"{MAX_QUERY_CHARS:,}"),
    ("too many terms", " ".join(f"t{i}" for i in range(MAX_QUERY_TERMS + 1)), 400,
     f"more than {MAX_QUERY_TERMS} terms"),
    ("backtracking wildcard", BACKTRACKER, 200, None),
    ("deep backtracking wildcard", DEEP_BACKTRACKER, 200, None),
    ("20,000 stars", "@test.name:" + "*" * 20_000, 200, None),
    ("20,000 stars free text", "*" * 20_000 + "b", 200, None),
    ("stars and question marks", "@test.name:" + "?*" * 5000 + "x", 200, None),
]  # fmt: skip


@pytest.fixture
def long_named(emulator: EmulatorServer) -> str:
    """One test named ``"a" * 40`` among 200 generated ones; its id."""
    emulator.seed_flaky_tests(REPO, 200, seed=5)
    [test] = emulator.add_flaky_tests({"repository_id": REPO, "name": LONG_NAME}).tests
    return test.id


@pytest.mark.parametrize(("query", "status", "text"), [h[1:] for h in HOSTILE],
                         ids=[h[0] for h in HOSTILE])  # fmt: skip
def test_a_hostile_query_gets_a_400_naming_the_limit_or_a_200(
    api: httpx.Client, emulator: EmulatorServer, long_named: str, query: str, status: int,
    text: str | None,
) -> None:  # fmt: skip
    response = api.post(FLAKY, json=flaky_search(query, limit=1000))
    assert response.status_code == status, response.text[:500]
    if text is not None:
        assert text in error_text(response)
        assert "query" in error_text(response)
    # The call reached the call log with its answer (no reset connection).
    [call] = emulator.calls(method="POST", path=FLAKY)
    assert call.status == status


def test_wildcards_still_match_what_they_should(api: httpx.Client, long_named: str) -> None:
    for query, expected in [
        ("@test.name:" + "*a" * 14, True),
        ("@test.name:" + "*a" * 41, False),  # more a's than the name has
        ("@test.name:a" + "*" * 20_000 + "a", True),
        ("@test.name:" + "?" * 40, True),
        ("@test.name:" + "?" * 39, False),
        (r"@test.name:a\*", False),  # an escaped star is a literal star
    ]:
        response = api.post(FLAKY, json=flaky_search(query, limit=1000))
        assert response.status_code == 200, (query[:60], response.text[:300])
        ids = {t["id"] for t in response.json()["data"]}
        assert (long_named in ids) is expected, query[:60]


def test_health_answers_while_hostile_queries_run(
    emulator: EmulatorServer, long_named: str
) -> None:
    """Many hostile and heavy searches at once (each scanning 1,700 tests with 511
    wildcard terms) and a big seeding; a health call made meanwhile still answers."""
    emulator.seed_flaky_tests(REPO, 1500, seed=9)
    heavy = " OR ".join(f"@test.name:*q{i}*z" for i in range(MAX_QUERY_TERMS - 1))
    queries = [h[1] for h in HOSTILE] + [heavy] * 2
    done = threading.Event()
    health: list[int] = []

    def hostile(query: str) -> int:
        with httpx.Client(base_url=emulator.url, headers=emulator.headers(), timeout=90) as c:
            return c.post(FLAKY, json=flaky_search(query, limit=1000)).status_code

    def poll_health() -> None:
        with httpx.Client(base_url=emulator.url, timeout=30) as client:
            while not done.is_set() or not health:
                health.append(client.get("/_emulator/health").status_code)

    with ThreadPoolExecutor(max_workers=len(queries) + 1) as pool:
        poller = pool.submit(poll_health)
        seeding = pool.submit(emulator.seed_flaky_tests, "github.com/acme/bulk", 20_000, seed=4)
        statuses = list(pool.map(hostile, queries))
        assert seeding.result().created == 20_000
        done.set()
        poller.result()
    assert statuses == [h[2] for h in HOSTILE] + [200] * 2
    assert health and set(health) == {200}
