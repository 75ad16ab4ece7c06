"""``_flaky_select``: flaky tests chosen by module/suite/name, resolved together — the
queries (checked against the emulator's own query parser), one search for the selectors
asked at once or noted, exact matches, never a stale state across a write by this process,
a failed search landing on the resource that made it, answers that expire."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pytest

from pulumi_datadog_testing.emulator.query import compile_query
from pulumi_datadog_testing.errors import ServerError
from pulumi_datadog_testing.identity import FlakyState
from pulumi_datadog_testing.models import FlakyTest, UpdateFlakyTestsResponse
from pulumi_datadog_testing.resources import _flaky_batch, _flaky_select
from pulumi_datadog_testing.resources._flaky import (
    MAX_QUERY_CHARS,
    id_queries,
    repository_clause,
    selector_queries,
)
from pulumi_datadog_testing.resources._flaky_batch import MAX_AGE_S, FlakyBatcher
from pulumi_datadog_testing.resources._flaky_select import (
    MAX_SELECTORS_PER_QUERY,
    Selections,
    Selector,
    selector_of,
)
from tests.unit._flaky_fake import REPO, FakeTest, Searchable

NAMES = ['a "quoted" name', "with spaces", "back\\slash", "x OR (y)", "plain"]


def _tests() -> dict[str, FakeTest]:
    tests: dict[str, FakeTest] = {}
    for n, name in enumerate(NAMES):
        for suite in ("CartTest", "OrderTest"):
            test_id = f"{len(tests):016x}"
            tests[test_id] = FakeTest(test_id, name=name, suite=suite, module=f"m{n % 2}")
    tests["00000000000000ff"] = FakeTest("00000000000000ff", name="plain", suite="CartTest")
    tests["00000000000000fe"] = FakeTest(
        "00000000000000fe", name="plain", repository_id="github.com/acme/other"
    )
    return tests


@dataclass
class FakeSearch:
    """The search endpoint over ``tests`` (the emulator's query language); records queries."""

    tests: dict[str, FakeTest] = field(default_factory=_tests)
    queries: list[str] = field(default_factory=list)
    fail_first: int = 0
    """How many of the first searches fail (a server error after retries)."""
    delay_s: float = 0.0
    gate: threading.Event | None = None
    """The first search waits for it."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, query: str, _target: str) -> Iterator[FlakyTest]:
        with self.lock:
            self.queries.append(query)
            failing = len(self.queries) <= self.fail_first
            first = len(self.queries) == 1
        if first and self.gate is not None:
            self.gate.wait(10)
        time.sleep(self.delay_s)
        if failing:
            raise ServerError("503", method="POST", path="/search", status=503)
        compiled = compile_query(query)
        for test in sorted(self.tests.values(), key=lambda t: t.id):
            if compiled.matches(Searchable(test)):
                yield FlakyTest.model_validate(
                    {
                        "id": test.id,
                        "attributes": {
                            "module": test.module,
                            "suite": test.suite,
                            "name": test.name,
                            "flaky_state": test.state,
                        },
                    }
                )

    def patch(self, changes: Mapping[str, FlakyState], _target: str) -> UpdateFlakyTestsResponse:
        for test_id, state in changes.items():
            self.tests[test_id].state = state
        results = [{"id": i, "success": True} for i in changes]
        return UpdateFlakyTestsResponse.model_validate(
            {
                "data": {
                    "type": "update_flaky_test_state_response",
                    "attributes": {"has_errors": False, "results": results},
                }
            }
        )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def batcher(clock: Clock) -> Iterator[FlakyBatcher]:
    _flaky_batch.reset()
    _flaky_select.reset()
    yield FlakyBatcher(id_queries, repository_query=repository_clause, page_size=1000, clock=clock)
    _flaky_batch.reset()
    _flaky_select.reset()


@pytest.fixture
def selections(batcher: FlakyBatcher, clock: Clock) -> Selections:
    return Selections(batcher, selector_queries, clock=clock)


def sel(name: str, suite: str | None = "CartTest", module: str | None = None) -> Selector:
    return selector_of({"module": module, "suite": suite, "name": name})


def select(selections: Selections, api: FakeSearch, selector: Selector) -> list[str]:
    return [t.id for t in selections.select(REPO, selector, target="t", search=api)]


def expected(api: FakeSearch, selector: Selector) -> list[str]:
    return sorted(
        t.id
        for t in api.tests.values()
        if t.repository_id == REPO and all(getattr(t, k) == v for k, v in selector)
    )


# ----------------------------------------------------------------------------- queries


def test_one_selector_is_the_plain_query() -> None:
    [(query, covered)] = selector_queries(REPO, [sel("plain")])
    assert query == f'{repository_clause(REPO)} @test.name:"plain" @test.suite:"CartTest"'
    assert covered == [sel("plain")]


@pytest.mark.parametrize("max_chars", [120, 400, MAX_QUERY_CHARS])
def test_selector_queries_cover_each_selector_once_and_match_exactly_their_union(
    max_chars: int,
) -> None:
    tests = _tests()
    selectors = [sel(n, s) for n in NAMES for s in ("CartTest", "OrderTest", None)]
    queries = selector_queries(REPO, selectors, max_chars)
    assert [s for _, covered in queries for s in covered] == selectors  # in order, once
    assert all(len(q) <= max_chars for q, c in queries if len(c) > 1)
    if max_chars < 400:
        assert len(queries) > 1
    for query, covered in queries:
        compiled = compile_query(query)  # the emulator's parser takes it
        found = {t.id for t in tests.values() if compiled.matches(Searchable(t))}
        union = {
            t.id
            for t in tests.values()
            for s in covered
            if t.repository_id == REPO and all(getattr(t, k) == v for k, v in s)
        }
        assert found == union, query


def test_selector_queries_hold_at_most_the_selector_cap() -> None:
    selectors = [sel(f"t{n}") for n in range(2 * MAX_SELECTORS_PER_QUERY + 1)]
    sizes = [len(c) for _, c in selector_queries(REPO, selectors, 10**9)]
    assert sizes == [MAX_SELECTORS_PER_QUERY, MAX_SELECTORS_PER_QUERY, 1]


# ------------------------------------------------------------------------------ select


def test_noted_selectors_are_resolved_by_one_search(selections: Selections) -> None:
    api = FakeSearch(delay_s=0.02)
    asked = [sel(n, s) for n in NAMES for s in ("CartTest", None)]
    _flaky_select.note(REPO, asked)
    barrier = threading.Barrier(len(asked), timeout=10)
    results: dict[Selector, list[str]] = {}

    def one(selector: Selector) -> None:
        barrier.wait()
        results[selector] = select(selections, api, selector)

    threads = [threading.Thread(target=one, args=(s,)) for s in asked]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(api.queries) == 1
    assert results == {s: expected(api, s) for s in asked}
    assert len(results[sel("plain")]) == 2  # two tests: the resource reports the ambiguity
    assert len(results[sel("plain", None)]) == 3  # by name alone: both suites and module "mod"
    assert _flaky_select.noted(REPO) == []


def test_concurrent_selectors_share_the_search_in_flight(selections: Selections) -> None:
    gate = threading.Event()
    api = FakeSearch(gate=gate)
    asked = [sel(n) for n in NAMES]
    results: dict[Selector, list[str]] = {}

    def one(selector: Selector) -> None:
        results[selector] = select(selections, api, selector)

    threads = [threading.Thread(target=one, args=(s,)) for s in asked]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(_flaky_select.noted(REPO)) < len(asked) and time.monotonic() < deadline:
        time.sleep(0.001)  # every one asked while the first search is in flight
    gate.set()
    for thread in threads:
        thread.join(timeout=20)
    assert len(api.queries) == 2  # the first (with what was asked by then), then the rest
    assert results == {s: expected(api, s) for s in asked}


def test_the_found_tests_serve_reads_by_id(selections: Selections, batcher: FlakyBatcher) -> None:
    api = FakeSearch()
    [test_id] = select(selections, api, sel("with spaces"))
    found = batcher.read(REPO, [test_id], target="t", search=api)
    assert found[test_id].attributes.name == "with spaces"
    assert len(api.queries) == 1


def test_a_state_is_never_stale_across_a_write(
    selections: Selections, batcher: FlakyBatcher
) -> None:
    api = FakeSearch()
    [test_id] = select(selections, api, sel("plain", "OrderTest"))
    batcher.write({test_id: "quarantined"}, target="t", patch=api.patch)
    [test] = selections.select(REPO, sel("plain", "OrderTest"), target="t", search=api)
    assert test.attributes.flaky_state == "quarantined"
    assert len(api.queries) == 2  # the id read again, not the selector
    assert "fingerprint_fqn" in api.queries[1]


def test_a_failed_search_fails_the_resource_that_made_it_the_others_search_alone(
    selections: Selections,
) -> None:
    gate = threading.Event()
    api = FakeSearch(fail_first=1, gate=gate)
    asked = [sel(n) for n in NAMES[:3]]
    _flaky_select.note(REPO, asked)
    errors: dict[Selector, BaseException] = {}
    results: dict[Selector, list[str]] = {}

    def one(selector: Selector) -> None:
        try:
            results[selector] = select(selections, api, selector)
        except ServerError as error:
            errors[selector] = error

    leader = threading.Thread(target=one, args=(asked[0],))
    leader.start()
    deadline = time.monotonic() + 10
    while not api.queries and time.monotonic() < deadline:  # its search is in flight
        time.sleep(0.001)
    waiters = [threading.Thread(target=one, args=(s,)) for s in asked[1:]]
    for thread in waiters:
        thread.start()
    time.sleep(0.05)  # they wait for it (or, late, find nothing noted: the same outcome)
    gate.set()
    for thread in [leader, *waiters]:
        thread.join(timeout=20)
    assert list(errors) == [asked[0]]
    assert results == {s: expected(api, s) for s in asked[1:]}
    assert len(api.queries) == 3  # the shared one that failed, then one each
    assert api.queries[0].count(" OR (") == 2
    assert all(" OR (" not in q for q in api.queries[1:])


def test_answers_expire(selections: Selections, clock: Clock) -> None:
    api = FakeSearch()
    select(selections, api, sel("plain"))
    select(selections, api, sel("plain"))
    assert len(api.queries) == 1
    api.tests["0000000000000100"] = FakeTest("0000000000000100", name="plain", suite="CartTest")
    clock.now += MAX_AGE_S + 1
    assert len(select(selections, api, sel("plain"))) == 3  # the new test is seen
    assert len(api.queries) == 2


def test_repositories_are_apart(selections: Selections) -> None:
    api = FakeSearch()
    _flaky_select.note("github.com/acme/other", [sel("plain", None)])
    assert select(selections, api, sel("plain")) == expected(api, sel("plain"))
    assert "acme/other" not in api.queries[0]
    found = selections.select("github.com/acme/other", sel("plain", None), target="t", search=api)
    assert [t.id for t in found] == ["00000000000000fe"]


def test_a_search_longer_than_the_answers_life_is_used_not_repeated(
    selections: Selections, clock: Clock
) -> None:
    """Pages and retries can make one search outlast ``MAX_AGE_S``: its answer is used, not
    found stale on arrival and searched again (without end, before 2026-12-02)."""
    api = FakeSearch()
    queries: list[str] = []

    def slow(query: str, target: str) -> Iterator[FlakyTest]:
        queries.append(query)
        if len(queries) > 3:
            raise AssertionError(f"searched {len(queries)} times")
        clock.now += MAX_AGE_S + 1
        return iter(list(api(query, target)))

    found = selections.select(REPO, sel("plain"), target="t", search=slow)
    assert [t.id for t in found] == expected(api, sel("plain"))
    assert len(queries) == 2  # the selector, then its old tests read again by id
    assert "fingerprint_fqn" in queries[1]
