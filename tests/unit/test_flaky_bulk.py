"""resources._flaky: batched search reads, pagination, chunked all-or-nothing PATCHes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest

from pulumi_datadog_testing.api import TestOptimizationAPI
from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.errors import (
    BadRequestError,
    FlakyTestsNotFoundError,
    FlakyUpdateError,
    ServerError,
    UnexpectedResponseError,
)
from pulumi_datadog_testing.resources import _flaky
from pulumi_datadog_testing.resources._flaky import (
    PARALLEL_WRITES,
    Managed,
    apply_all_or_nothing,
    id_queries,
    read_tests,
    reconcile,
    search,
)
from pulumi_datadog_testing.resources._flaky_batch import COALESCE_MAX, PARALLEL_SEARCHES
from tests.unit._flaky_fake import REPO, FakeFlakyAPI

MakeClient = Callable[..., DatadogClient]
MakeAPI = Callable[..., TestOptimizationAPI]


@pytest.fixture
def flaky_api(make_client: MakeClient) -> MakeAPI:
    """``flaky_api(handler, **settings)``: the Test Optimization operations over a fake."""
    return lambda handler, **settings: TestOptimizationAPI(make_client(handler, **settings))


T = "unit test"


# ----------------------------------------------------------------------------- queries


def test_id_queries_cover_every_id_once_within_the_length_limit() -> None:
    ids = [f"{n:016x}" for n in range(1000)]
    queries = id_queries(REPO, ids, max_chars=2000)
    assert all(len(q) <= 2000 for q in queries)
    assert all(
        q.startswith('@git.repository.id_v2:"github.com/acme/shop" fingerprint_fqn:(')
        for q in queries
    )
    seen = [
        i for q in queries for i in q.split("fingerprint_fqn:(", 1)[1].rstrip(")").split(" OR ")
    ]
    assert seen == ids
    # as few queries as the limit allows: each one is full but the last
    per_query = len(queries[0].split(" OR "))
    assert len(queries) == -(-len(ids) // per_query)


def test_id_queries_quote_ids_that_are_not_plain_words() -> None:
    (query,) = id_queries('repo "x"', ["abc", "a-b"])
    assert query == '@git.repository.id_v2:"repo \\"x\\"" fingerprint_fqn:(abc OR "a-b")'


def test_default_query_limit_batches_hundreds_of_ids_per_search() -> None:
    ids = [f"{n:016x}" for n in range(2000)]
    queries = id_queries(REPO, ids)
    assert len(queries) == 6
    assert max(len(q) for q in queries) <= _flaky.MAX_QUERY_CHARS


def test_chunked_rejects_a_size_below_one() -> None:
    assert [list(c) for c in _flaky.chunked([1, 2, 3], 2)] == [[1, 2], [3]]
    with pytest.raises(ValueError, match="at least 1"):
        list(_flaky.chunked([1], 0))


# ------------------------------------------------------------------------------ search


def test_search_follows_the_cursor_to_the_last_page(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI(page_size=3)
    api.add(8)
    found = search(flaky_api(api), f'@git.repository.id_v2:"{REPO}"', target=T)
    assert sorted(t.id for t in found) == sorted(api.tests)
    bodies = [r.body["data"]["attributes"] for r in api.calls("POST")]
    assert [b["page"].get("cursor") for b in bodies] == [None, "3", "6"]
    assert {b["page"]["limit"] for b in bodies} == {1000}


def test_search_states_makes_the_calls_of_search(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI(page_size=3)
    quarantined = api.add(4, state="quarantined")
    active = api.add(4)
    query = f'@git.repository.id_v2:"{REPO}"'
    states = _flaky.search_states(flaky_api(api), query, target=T)
    assert states == {
        **dict.fromkeys(quarantined, "quarantined"),
        **dict.fromkeys(active, "active"),
    }
    sent = [r.body for r in api.calls("POST")]
    assert len(sent) == 3  # 8 tests, pages of 3
    api.requests.clear()
    search(flaky_api(api), query, target=T)
    assert [r.body for r in api.calls("POST")] == sent


def test_brief_search_reads_only_state_and_name_parts(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI(page_size=3)
    ids = api.add(7, state="quarantined")
    query = _flaky.repository_clause(REPO)
    full = list(flaky_api(api).search_flaky_tests(query, target=T))
    brief = list(flaky_api(api).search_flaky_tests(query, target=T, brief=True))
    assert [t.id for t in brief] == [t.id for t in full] == ids
    assert len(api.calls("POST")) == 6  # the same 3 pages each
    for short, long in zip(brief, full, strict=True):
        for field in ("flaky_state", "module", "suite", "name"):
            assert getattr(short.attributes, field) == getattr(long.attributes, field)
    assert _flaky.state_of(brief[0]) == "quarantined" and _flaky.fqn(brief[0]) == _flaky.fqn(
        full[0]
    )


def test_search_stops_on_a_repeating_cursor(flaky_api: MakeAPI) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = {"data": [], "meta": {"pagination": {"next_page": "same"}}}
        return httpx.Response(200, json=page)

    with pytest.raises(UnexpectedResponseError, match="same page cursor twice"):
        search(flaky_api(handler), "*", target=T)


def test_read_tests_reads_many_ids_in_few_searches(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI()
    ids = api.add(1000)
    wanted = [*ids, "ffffffffffffffff"]
    found = read_tests(flaky_api(api), REPO, wanted, target=T)
    assert set(found) == set(ids)  # the unknown id is simply absent
    assert len(api.calls("POST")) == len(id_queries(REPO, wanted)) == 3


def test_read_tests_ignores_tests_it_did_not_ask_for(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI()
    ids = api.add(3)
    other_repo = api.add(1, repository_id="github.com/other/repo")
    found = read_tests(flaky_api(api), REPO, [ids[0], other_repo[0]], target=T)
    assert list(found) == [ids[0]]


@pytest.mark.parametrize("count", [2000, 1700, 300])
def test_read_states_makes_the_searches_of_read_tests(flaky_api: MakeAPI, count: int) -> None:
    """One search per query of at most 8,000 characters (2,000 ids: 6; 1,700: 5; 300: one,
    through ``read_tests``); ids the repository lacks are absent."""
    api = FakeFlakyAPI()
    ids = api.add(count, state="quarantined")
    unknown = "00000000ffffffff"
    client = flaky_api(api)
    asked = [*ids, unknown]
    states = _flaky.read_states(client, REPO, asked, target=T)
    assert states == dict.fromkeys(ids, "quarantined")
    searches = api.calls("POST")
    assert len(searches) == len(id_queries(REPO, asked))
    queried = [r.body["data"]["attributes"]["filter"]["query"] for r in searches]
    assert sorted(queried) == sorted(id_queries(REPO, asked))


def _query_of(body: dict) -> str:  # type: ignore[type-arg]
    query: str = body["data"]["attributes"]["filter"]["query"]
    return query


def test_a_large_read_keeps_its_searches_in_flight(flaky_api: MakeAPI) -> None:
    """A large read's searches are streamed: the next one starts as soon as one is answered,
    never more than ``PARALLEL_SEARCHES`` at once. The first search is held until the fifth
    has started (grouped four by four, the fifth would wait for it: a timeout)."""
    api = FakeFlakyAPI()
    ids = api.add(2000)
    queries = id_queries(REPO, ids)
    client = flaky_api(api)
    read_tests(client, REPO, ids[:1], target=T)  # the first call of a family goes alone (pacing)
    lock, fifth = threading.Lock(), threading.Event()
    started: list[str] = []
    in_flight, most = 0, 0
    original = api._search

    def streamed(body: dict) -> httpx.Response:  # type: ignore[type-arg]
        nonlocal in_flight, most
        with lock:
            started.append(_query_of(body))
            in_flight += 1
            most = max(most, in_flight)
            if len(started) == PARALLEL_SEARCHES + 1:
                fifth.set()
        try:
            if _query_of(body) == queries[0]:
                assert fifth.wait(timeout=10), "the fifth search waited for the first"
            return original(body)
        finally:
            with lock:
                in_flight -= 1

    api._search = streamed  # type: ignore[method-assign]
    assert _flaky.read_states(client, REPO, ids, target=T) == dict.fromkeys(ids, "active")
    assert sorted(started) == sorted(queries) and most == PARALLEL_SEARCHES


def test_a_failed_search_stops_a_large_read(flaky_api: MakeAPI) -> None:
    """A failed search is raised, and the searches not started yet never are."""
    api = FakeFlakyAPI()
    ids = api.add(4000)
    queries = id_queries(REPO, ids)
    client = flaky_api(api, max_retries=0)
    read_tests(client, REPO, ids[:1], target=T)
    api.requests.clear()
    original = api._search

    def second_fails(body: dict) -> httpx.Response:  # type: ignore[type-arg]
        if _query_of(body) == queries[1]:
            return httpx.Response(400, json={"errors": ["query refused"]})
        time.sleep(0.05)
        return original(body)

    api._search = second_fails  # type: ignore[method-assign]
    with pytest.raises(BadRequestError, match="query refused"):
        _flaky.read_states(client, REPO, ids, target=T)
    assert len(api.calls("POST")) < len(queries)


# ------------------------------------------------------------------------------ update


def test_changes_are_sent_in_chunks_of_the_configured_size(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI()
    ids = api.add(1200)
    client = flaky_api(api, flaky_bulk_chunk_size=500)
    apply_all_or_nothing(client, dict.fromkeys(ids, "quarantined"), api.states(), target=T)
    assert sorted(len(p) for p in api.patched()) == [200, 500, 500]  # one wave, any order
    assert set(api.states().values()) == {"quarantined"}


def test_work_meanwhile_runs_while_the_first_chunks_are_in_flight(flaky_api: MakeAPI) -> None:
    """``meanwhile`` (a large set's outputs) runs on the sending thread once the first chunks
    are out: the first PATCH is held until it ran. A failure in it stops nothing (its caller
    finds its work not done)."""
    api = FakeFlakyAPI()
    ids = api.add(1200)
    client = flaky_api(api, flaky_bulk_chunk_size=500)
    ran = threading.Event()
    original = api._patch
    held: list[bool] = []

    def patch(body: dict) -> httpx.Response:  # type: ignore[type-arg]
        if not held:
            held.append(ran.wait(timeout=10))
        return original(body)

    api._patch = patch  # type: ignore[method-assign]
    apply_all_or_nothing(
        client, dict.fromkeys(ids, "quarantined"), api.states(), target=T, meanwhile=ran.set
    )
    assert held == [True] and set(api.states().values()) == {"quarantined"}

    def fails() -> None:
        raise RuntimeError("a bug in the outputs")

    states = api.states()
    apply_all_or_nothing(client, dict.fromkeys(ids, "disabled"), states, target=T, meanwhile=fails)
    assert set(api.states().values()) == {"disabled"}


def test_no_change_sends_nothing(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI()
    apply_all_or_nothing(flaky_api(api), {}, {}, target=T)
    assert api.requests == []


def test_a_failed_test_stops_the_run_and_rolls_back_what_changed(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI()
    ids = api.add(25)
    before = api.states()
    api.patch_failures = {ids[12]: "test is locked by a policy", ids[14]: "internal error"}
    client = flaky_api(api, flaky_bulk_chunk_size=10)
    with pytest.raises(FlakyUpdateError) as caught:
        apply_all_or_nothing(
            client, dict.fromkeys(ids, "disabled"), before, target="FlakyTestStates x"
        )
    assert api.states() == before  # nothing left changed
    sent = api.patched()
    assert [len(p) for p in sent[:2]] == [10, 10]  # the third chunk was never sent
    rollback = {i: s for p in sent[2:] for i, s in p.items()}
    assert [len(p) for p in sent[2:]] == [10, 8]  # set back in chunks too
    assert rollback == dict.fromkeys(set(ids[:20]) - {ids[12], ids[14]}, "active")
    message = str(caught.value)
    assert message.startswith("FlakyTestStates x: 2 of 25 flaky tests could not be updated: ")
    assert f"{ids[12]} (test is locked by a policy)" in message
    assert f"{ids[14]} (internal error)" in message
    assert message.endswith(
        "; 5 tests were not sent; the 18 tests this operation had already changed were set "
        "back, so no test changed; fix or drop the failing tests and run `pulumi up` again"
    )
    assert caught.value.failures == {
        ids[12]: "test is locked by a policy",
        ids[14]: "internal error",
    }
    assert caught.value.rollback_failures == {}


def test_large_chunks_keep_parallel_writes_in_flight(flaky_api: MakeAPI) -> None:
    """Chunks of ``COALESCE_MAX`` tests or more keep ``PARALLEL_WRITES`` in flight: the first
    four PATCHes wait at a barrier that only opens when all of them are in flight (sent one
    after another, the first would wait alone and the barrier break), and the first chunk is
    then held until the fifth has started (in waves of four, the fifth would wait for it)."""
    api = FakeFlakyAPI()
    size = COALESCE_MAX
    ids = api.add(size * (PARALLEL_WRITES + 2))
    barrier = threading.Barrier(PARALLEL_WRITES, timeout=10)
    fifth = threading.Event()
    lock = threading.Lock()
    started: list[str] = []
    original = api._patch

    def streamed(body: dict) -> httpx.Response:  # type: ignore[type-arg]
        first = body["data"]["attributes"]["tests"][0]["id"]
        with lock:
            started.append(first)
            if len(started) == PARALLEL_WRITES + 1:
                fifth.set()
            position = len(started)
        if position <= PARALLEL_WRITES:
            barrier.wait()
        if first == ids[0]:
            assert fifth.wait(timeout=10), "the fifth chunk waited for the first"
        return original(body)

    api._patch = streamed  # type: ignore[method-assign]
    client = flaky_api(api, flaky_bulk_chunk_size=size)
    # The process's first call to the endpoint family probes its rate limit alone (pacing).
    read_tests(client, REPO, ids[:1], target=T)
    apply_all_or_nothing(client, dict.fromkeys(ids, "quarantined"), api.states(), target=T)
    assert sorted(len(p) for p in api.patched()) == [size] * (PARALLEL_WRITES + 2)
    assert set(api.states().values()) == {"quarantined"}


def test_a_failed_chunk_stops_the_run_and_rolls_back_every_chunk_in_flight(
    flaky_api: MakeAPI,
) -> None:
    """A failure in the second chunk, answered while the three others are in flight: those
    are answered and set back; no chunk starts after the failure."""
    api = FakeFlakyAPI()
    size = COALESCE_MAX
    ids = api.add(size * (PARALLEL_WRITES + 1))
    api.patch_failures = {ids[size + 1]: "locked"}
    client = flaky_api(api, flaky_bulk_chunk_size=size)
    read_tests(client, REPO, ids[:1], target=T)  # pacing: the first call goes alone
    failed_seen = threading.Event()
    original = api._patch

    def others_after_the_failure(body: dict) -> httpx.Response:  # type: ignore[type-arg]
        chunk = [t["id"] for t in body["data"]["attributes"]["tests"]]
        if ids[size + 1] in chunk and len(chunk) == size:
            answer = original(body)
            failed_seen.set()
            return answer
        if len(api.patched()) <= PARALLEL_WRITES:
            failed_seen.wait(timeout=10)
            time.sleep(0.2)  # answered well after the failure was taken in
        return original(body)

    api._patch = others_after_the_failure  # type: ignore[method-assign]
    with pytest.raises(FlakyUpdateError) as caught:
        apply_all_or_nothing(client, dict.fromkeys(ids, "fixed"), api.states(), target=T)
    assert api.states() == dict.fromkeys(ids, "active")
    sent = api.patched()
    first = {i for p in sent[:PARALLEL_WRITES] for i in p}
    assert first == set(ids[: size * PARALLEL_WRITES])  # the last chunk was never sent
    rolled_back = {i for p in sent[PARALLEL_WRITES:] for i in p}
    assert rolled_back == first - {ids[size + 1]}
    changed = size * PARALLEL_WRITES - 1
    assert (
        f"; {size} tests were not sent; the {changed} tests this operation had already changed "
        "were set back, so no test changed" in str(caught.value)
    )


def test_failures_with_the_same_error_are_grouped(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI()
    ids = api.add(3)
    api.patch_failures = dict.fromkeys(ids, "locked")
    with pytest.raises(FlakyUpdateError, match=rf"{ids[0]}, {ids[1]}, {ids[2]} \(locked\)"):
        apply_all_or_nothing(flaky_api(api), dict.fromkeys(ids, "fixed"), api.states(), target=T)


def test_a_failed_rollback_is_named_with_what_to_do(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI()
    ids = api.add(4)
    api.patch_failures = {ids[3]: "boom"}
    api.patch_failures_once = {}
    client = flaky_api(api, flaky_bulk_chunk_size=4)
    # ids[1] succeeds first, then fails when set back
    original = api._patch

    def second_time_fails(body: dict) -> httpx.Response:  # type: ignore[type-arg]
        if len(api.patched()) == 2:
            api.patch_failures[ids[1]] = "rollback refused"
        return original(body)

    api._patch = second_time_fails  # type: ignore[method-assign]
    with pytest.raises(FlakyUpdateError) as caught:
        apply_all_or_nothing(client, dict.fromkeys(ids, "quarantined"), api.states(), target=T)
    assert caught.value.rollback_failures == {ids[1]: "rollback refused"}
    assert (
        f"2 of the 3 tests this operation had already changed were set back, but setting back failed for {ids[1]} (rollback refused)"
        in str(caught.value)
    )
    assert "run `pulumi refresh`" in str(caught.value)
    assert api.tests[ids[0]].state == "active"


def test_a_missing_result_counts_as_a_failure_and_is_rolled_back(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI()
    ids = api.add(2)

    def handler(request: httpx.Request) -> httpx.Response:
        response = api(request)
        if request.method == "PATCH" and len(api.patched()) == 1:
            payload = response.json()
            payload["data"]["attributes"]["results"] = payload["data"]["attributes"]["results"][:1]
            return httpx.Response(200, json=payload)
        return response

    with pytest.raises(
        FlakyUpdateError, match=f"{ids[1]} \\(Datadog returned no result for this test\\)"
    ):
        apply_all_or_nothing(
            flaky_api(handler), dict.fromkeys(ids, "fixed"), api.states(), target=T
        )
    assert api.states() == dict.fromkeys(ids, "active")
    assert api.patched()[1] == dict.fromkeys(ids, "active")  # the unknown one is set back too


def test_has_errors_without_a_failed_result_is_not_trusted(flaky_api: MakeAPI) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        results = [{"id": "a", "success": True}]
        data = {"attributes": {"has_errors": True, "results": results}}
        return httpx.Response(200, json={"data": data})

    with pytest.raises(FlakyUpdateError, match="has_errors without naming a failed test"):
        apply_all_or_nothing(flaky_api(handler), {"a": "fixed"}, {"a": "active"}, target=T)


def test_a_refused_chunk_rolls_back_the_earlier_chunks(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI()
    ids = api.add(6)
    api.patch_status = [200, 400]
    client = flaky_api(api, flaky_bulk_chunk_size=3)
    with pytest.raises(BadRequestError) as caught:
        apply_all_or_nothing(client, dict.fromkeys(ids, "quarantined"), api.states(), target="X")
    assert api.states() == dict.fromkeys(ids, "active")
    assert api.patched()[-1] == dict.fromkeys(ids[:3], "active")  # only what had applied
    assert str(caught.value).startswith("X: updating 6 flaky tests failed: PATCH ")
    assert "the 3 tests this operation had already changed were set back" in str(caught.value)


def test_a_server_error_chunk_may_have_applied_so_it_is_set_back_too(
    flaky_api: MakeAPI,
) -> None:
    api = FakeFlakyAPI()
    ids = api.add(2)
    api.patch_status = [503, 503, 503, 503]  # the first PATCH and its three retries
    with pytest.raises(ServerError):
        apply_all_or_nothing(flaky_api(api), dict.fromkeys(ids, "fixed"), api.states(), target=T)
    assert api.patched()[-1] == dict.fromkeys(ids, "active")


# --------------------------------------------------------------------------- reconcile


def test_reconcile_reads_new_tests_records_previous_and_sends_only_changes(
    flaky_api: MakeAPI,
) -> None:
    api = FakeFlakyAPI()
    a, b = api.add(2)
    (c,) = api.add(1, state="quarantined")
    managed = reconcile(
        flaky_api(api),
        REPO,
        Managed(),
        {a: "quarantined", b: "active", c: "quarantined"},
        target=T,
    )
    assert managed.previous == {a: "active", b: "active", c: "quarantined"}
    assert managed.current == {a: "quarantined", b: "active", c: "quarantined"}
    assert api.patched() == [{a: "quarantined"}]


def test_reconcile_releases_dropped_tests_to_their_previous_state(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI()
    a, b = api.add(2, state="quarantined")
    api.tests[a].state = "disabled"
    old = Managed(
        previous={a: "quarantined", b: "quarantined"}, current={a: "disabled", b: "quarantined"}
    )
    managed = reconcile(flaky_api(api), REPO, old, {b: "fixed"}, target=T)
    assert api.patched() == [{a: "quarantined", b: "fixed"}]
    assert len(api.calls("POST")) == 0  # nothing new to read
    assert managed == Managed(previous={b: "quarantined"}, current={b: "fixed"})


def test_reconcile_refuses_unknown_ids_before_writing(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI()
    (a,) = api.add(1)
    with pytest.raises(FlakyTestsNotFoundError) as caught:
        reconcile(
            flaky_api(api), REPO, Managed(), {a: "fixed", "0000deadbeef0000": "fixed"}, target="R"
        )
    assert (
        "1 test id(s) not found among the flaky tests of repository 'github.com/acme/shop': 0000deadbeef0000"
        in str(caught.value)
    )
    assert caught.value.missing == ["0000deadbeef0000"]
    assert api.patched() == []


def test_releasing_a_test_that_no_longer_exists_is_not_an_error(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI()
    a, b, c = api.add(3, state="quarantined")
    old = Managed(
        previous=dict.fromkeys([a, b, c], "active"), current=dict.fromkeys([a, b, c], "quarantined")
    )
    del api.tests[b]  # deleted from Flaky Test Management since
    managed = reconcile(flaky_api(api), REPO, old, {}, target=T)  # e.g. destroy
    assert managed == Managed()
    assert api.states() == {a: "active", c: "active"}
    assert len(api.calls("POST")) == 1  # one search to tell "gone" from a real failure


def test_a_missing_test_still_fails_when_it_is_wanted(flaky_api: MakeAPI) -> None:
    api = FakeFlakyAPI()
    a, b = api.add(2)
    old = Managed(previous={a: "active", b: "active"}, current={a: "active", b: "active"})
    del api.tests[b]
    with pytest.raises(FlakyUpdateError, match=f"{b} \\(test not found\\)"):
        reconcile(flaky_api(api), REPO, old, {a: "fixed", b: "fixed"}, target=T)
    assert api.states() == {a: "active"}
