"""The flaky-test search index (``emulator/flaky_tests.py``, ``query.Narrowing``): a search
the index narrows answers exactly what a full scan answers — same tests, same order, same
pages — while tests are added and change state; and selective queries are narrowed to their
few candidates. In-process (no server): ``FlakyTests`` over an in-memory store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_datadog_testing.emulator.admin_models import SeedFlakyTestsRequest
from pulumi_datadog_testing.emulator.flaky_tests import FlakyRecord, FlakyTests
from pulumi_datadog_testing.emulator.query import compile_query
from pulumi_datadog_testing.emulator.seed import generate
from pulumi_datadog_testing.emulator.store import Store
from pulumi_datadog_testing.identity import FlakyState
from pulumi_datadog_testing.models import (
    FlakySort,
    FlakyTestsSearchRequest,
    UpdateFlakyTestsRequest,
)

pytestmark = pytest.mark.emulator

BIG, SMALL, OTHER = "github.com/acme/big", "github.com/acme/small", "github.com/acme/other"
STATES: tuple[FlakyState, ...] = ("active", "quarantined", "disabled", "fixed")
DOCS = {
    repo: generate(SeedFlakyTestsRequest(repository_id=repo, count=count, seed=seed))
    for repo, count, seed in ((BIG, 400, 1), (SMALL, 6, 2), (OTHER, 30, 3))
}
"""400 tests in BIG, 6 in SMALL, 30 in OTHER (deterministic; mixed states, envs, services)."""
SAMPLE_IDS = [
    *(d["id"] for d in DOCS[SMALL]),
    *(d["id"] for d in DOCS[BIG][:20]),
    "ffffffffffffffff",  # no such test
]


@pytest.fixture(scope="module")
def flaky() -> Iterator[FlakyTests]:
    store = Store()
    tests = FlakyTests(store)
    for docs in DOCS.values():
        tests.upsert(docs)
    yield tests
    store.close()


def _pages(flaky: FlakyTests, query: str, sort: FlakySort, limit: int) -> list[list[str]]:
    """Every page of a search, as lists of ids."""
    pages: list[list[str]] = []
    cursor: str | None = None
    for _ in range(1000):
        request = FlakyTestsSearchRequest.of(query, limit=limit, cursor=cursor, sort=sort)
        answer = json.loads(flaky.search(request))
        pages.append([t["id"] for t in answer["data"]])
        cursor = answer["meta"]["pagination"]["next_page"]
        if cursor is None:
            return pages
    raise AssertionError("pagination did not end")


def _full_scan(flaky: FlakyTests, query: str, sort: FlakySort) -> list[str]:
    """What the search must return: every test, in the sort order (``*`` is never narrowed),
    that the compiled query accepts."""
    compiled = compile_query(query)
    ordered = [test_id for page in _pages(flaky, "*", sort, 1000) for test_id in page]
    assert len(ordered) == len(flaky)
    return [i for i in ordered if compiled.matches(FlakyRecord.of(flaky.get(i) or {}))]


def _term(draw: st.DrawFn, ids: list[str]) -> str:
    kind = draw(st.sampled_from(["repo", "state", "id", "ids", "env", "service", "text"]))
    if kind == "repo":
        return f'@git.repository.id_v2:"{draw(st.sampled_from([BIG, SMALL, OTHER, "nope"]))}"'
    if kind == "state":
        values = draw(st.lists(st.sampled_from(STATES), min_size=1, max_size=2, unique=True))
        return f"flaky_test_state:({' OR '.join(values)})"
    if kind == "id":
        return f"fingerprint_fqn:{draw(st.sampled_from(ids))}"
    if kind == "ids":
        chosen = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=6))
        return f"fingerprint_fqn:({' OR '.join(chosen)})"
    if kind == "env":
        return f"env:{draw(st.sampled_from(['ci', 'staging', 'prod*']))}"
    if kind == "service":
        return "@test.service:*"
    return draw(st.sampled_from(["test", "checkout", "*"]))


@st.composite
def _queries(draw: st.DrawFn, ids: list[str], depth: int = 0) -> str:
    shape = draw(st.sampled_from(["term", "and", "or", "not", "group"] if depth < 2 else ["term"]))
    if shape == "term":
        return _term(draw, ids)
    if shape == "not":
        return f"-{draw(_queries(ids, depth + 1))}"
    parts = draw(st.lists(_queries(ids, depth + 1), min_size=2, max_size=3))
    if shape == "group":
        return f"({' OR '.join(parts)})"
    return (" OR " if shape == "or" else " AND ").join(parts)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    sort=st.sampled_from(["fqn", "-fqn", "last_flaked", "-last_flaked"]),
    limit=st.sampled_from([1, 3, 1000]),
    moves=st.lists(st.tuples(st.integers(0, 25), st.sampled_from(STATES)), max_size=5),
)
def test_indexed_search_answers_what_a_full_scan_answers(
    flaky: FlakyTests,
    data: st.DataObject,
    sort: FlakySort,
    limit: int,
    moves: list[tuple[int, FlakyState]],
) -> None:
    ids = SAMPLE_IDS
    if moves:  # state changes move tests between index entries
        changes = {ids[i % len(ids)]: state for i, state in moves}
        flaky.bulk_update(
            UpdateFlakyTestsRequest.of(changes),
            max_tests=1000,
            injected_failures=lambda _ids: {},
        )
    query = data.draw(_queries(ids))
    pages = _pages(flaky, query, sort, limit)
    found = [test_id for page in pages for test_id in page]
    assert found == _full_scan(flaky, query, sort), query
    assert all(len(page) <= limit for page in pages)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f'@git.repository.id_v2:"{SMALL}"', 6),
        (f'@git.repository.id_v2:"{SMALL}" flaky_test_state:(active OR quarantined)', None),
        (f'@git.repository.id_v2:("{SMALL}" OR "{OTHER}") env:ci', 36),
        ("fingerprint_fqn:a OR fingerprint_fqn:b", 2),  # ids as given (unknown: skipped later)
        (f'@git.repository.id_v2:"{BIG}" fingerprint_fqn:(a OR b OR c)', 0),  # none in BIG
        ("FIRST_THREE_OF_BIG", 3),
        ('@git.repository.id_v2:"github.com/nobody"', 0),
    ],
)
def test_selective_queries_are_narrowed_to_their_candidates(
    flaky: FlakyTests, query: str, expected: int | None
) -> None:
    if query == "FIRST_THREE_OF_BIG":
        three = sorted(flaky.lookup("@git.repository.id_v2", frozenset({BIG})) or ())[:3]
        query = f'@git.repository.id_v2:"{BIG}" fingerprint_fqn:({" OR ".join(three)})'
    candidates = compile_query(query).candidates(flaky.lookup)
    assert candidates is not None
    if expected is None:  # repository AND state: exactly SMALL's tests in those states
        small = (d["id"] for d in DOCS[SMALL])
        in_state = {i for i in small if (flaky.get(i) or {})["flaky_state"] in STATES[:2]}
        assert candidates == in_state
    else:
        assert len(candidates) == expected


@pytest.mark.parametrize(
    "query",
    [
        "*",
        "env:ci",  # not an indexed key
        f'-@git.repository.id_v2:"{SMALL}"',  # negated
        f'@git.repository.id_v2:"{SMALL}" OR env:ci',  # one branch unbounded
        "@git.repository.id_v2:github.com/acme/s*",  # wildcard
        "checkout",  # free text
    ],
)
def test_queries_the_index_cannot_bound_scan_every_test(flaky: FlakyTests, query: str) -> None:
    assert compile_query(query).candidates(flaky.lookup) is None


def test_index_follows_state_changes_and_replaced_tests(flaky: FlakyTests) -> None:
    small = sorted(flaky.lookup("@git.repository.id_v2", frozenset({SMALL})) or ())
    target = small[0]
    for state in ("quarantined", "disabled", "active"):
        flaky.bulk_update(
            UpdateFlakyTestsRequest.of({target: state}),
            max_tests=1000,
            injected_failures=lambda _ids: {},
        )
        assert target in (flaky.lookup("flaky_test_state", frozenset({state})) or ())
        others = set(STATES) - {state}
        assert target not in (flaky.lookup("flaky_test_state", frozenset(others)) or ())
    doc: dict[str, Any] = {**(flaky.get(target) or {}), "repository_id": "github.com/acme/moved"}
    flaky.upsert([doc])
    assert target not in (flaky.lookup("@git.repository.id_v2", frozenset({SMALL})) or ())
    assert flaky.lookup("@git.repository.id_v2", frozenset({"github.com/acme/moved"})) == {target}
    flaky.upsert([{**doc, "repository_id": SMALL}])
