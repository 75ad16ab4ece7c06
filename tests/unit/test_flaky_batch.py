"""``_flaky_batch.FlakyBatcher`` on its own: the read-through cache (never stale across a
write by this process), the searches it makes, large reads in parallel, and writes of
concurrent callers merged into one PATCH with each caller getting exactly its tests'
results. The search and PATCH are recording fakes; threads stand in for the SDK's workers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from pulumi_datadog_testing.errors import ServerError
from pulumi_datadog_testing.identity import FlakyState
from pulumi_datadog_testing.models import FlakyTest, UpdateFlakyTestsResponse
from pulumi_datadog_testing.resources import _flaky_batch
from pulumi_datadog_testing.resources._flaky import id_queries, repository_clause
from pulumi_datadog_testing.resources._flaky_batch import FlakyBatcher

REPO = "github.com/acme/shop"


@dataclass
class FakeApi:
    """Tests of one repository; records searches and PATCHes (and their concurrency)."""

    states: dict[str, str] = field(default_factory=dict)
    page_size: int = 1000
    searches: list[str] = field(default_factory=list)
    patches: list[dict[str, FlakyState]] = field(default_factory=list)
    fail: dict[str, str] = field(default_factory=dict)
    raise_on_patch: Exception | None = None
    delay_s: float = 0.0
    together: threading.Barrier | None = None
    """The first ``together.parties`` searches wait for each other: that many must run at once."""
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def search(self, query: str, _target: str) -> Iterator[FlakyTest]:
        with self.lock:
            self.searches.append(query)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            first = len(self.searches) <= (self.together.parties if self.together else 0)
        try:
            if first and self.together is not None:
                self.together.wait()
            time.sleep(self.delay_s)
            group = query.rpartition("fingerprint_fqn:(")[2].rstrip(")")
            wanted = group.split(" OR ") if group != query else sorted(self.states)
            found = [i for i in wanted if i in self.states]
        finally:
            with self.lock:
                self.in_flight -= 1
        for start in range(0, len(found), self.page_size):
            page = found[start : start + self.page_size]
            if start:  # the next page is another search call
                with self.lock:
                    self.searches.append(query)
            yield from (_test(i, self.states[i]) for i in page)

    def patch(self, changes: Mapping[str, FlakyState], _target: str) -> UpdateFlakyTestsResponse:
        with self.lock:
            self.patches.append(dict(changes))
        time.sleep(self.delay_s)
        if self.raise_on_patch is not None:
            raise self.raise_on_patch
        results = []
        for test_id, state in changes.items():
            if test_id in self.fail:
                results.append({"id": test_id, "success": False, "error": self.fail[test_id]})
            else:
                self.states[test_id] = state
                results.append({"id": test_id, "success": True})
        return UpdateFlakyTestsResponse.model_validate(
            {
                "data": {
                    "type": "update_flaky_test_state_response",
                    "attributes": {
                        "has_errors": any(not r["success"] for r in results),
                        "results": results,
                    },
                }
            }
        )


def _test(test_id: str, state: str) -> FlakyTest:
    return FlakyTest.model_validate(
        {"id": test_id, "attributes": {"name": f"t{test_id}", "flaky_state": state}}
    )


def _ids(count: int, start: int = 0) -> list[str]:
    return [f"{n:016x}" for n in range(start, start + count)]


@pytest.fixture
def api() -> FakeApi:
    return FakeApi(states=dict.fromkeys(_ids(30), "active"))


@pytest.fixture
def batcher() -> Iterator[FlakyBatcher]:
    _flaky_batch.reset()
    yield FlakyBatcher(id_queries, repository_query=repository_clause, page_size=1000)
    _flaky_batch.reset()


def read(batcher: FlakyBatcher, api: FakeApi, ids: list[str]) -> dict[str, FlakyTest]:
    return batcher.read(REPO, ids, target="t", search=api.search)


def write(batcher: FlakyBatcher, api: FakeApi, changes: dict[str, FlakyState]) -> object:
    return batcher.write(changes, target="t", patch=api.patch)


# ------------------------------------------------------------------------------ reads


def test_a_read_is_cached_until_this_process_writes_the_test(
    batcher: FlakyBatcher, api: FakeApi
) -> None:
    [a, b] = _ids(2)
    assert read(batcher, api, [a])[a].attributes.flaky_state == "active"
    assert read(batcher, api, [a])[a].attributes.flaky_state == "active"
    assert len(api.searches) == 1
    write(batcher, api, {a: "quarantined"})
    assert read(batcher, api, [a])[a].attributes.flaky_state == "quarantined"
    assert len(api.searches) == 2  # the written test was read again (with the repository)
    assert read(batcher, api, [a, b]).keys() == {a, b}
    assert len(api.searches) == 2


def test_noted_ids_are_read_with_the_first_search(batcher: FlakyBatcher, api: FakeApi) -> None:
    ids = _ids(20)
    _flaky_batch.note(REPO, ids)
    for test_id in ids:
        assert read(batcher, api, [test_id]).keys() == {test_id}
    assert len(api.searches) == 1
    assert all(test_id in api.searches[0] for test_id in ids)


def test_lookups_without_notes_read_the_repository_by_pages(
    batcher: FlakyBatcher, api: FakeApi
) -> None:
    """A refresh: nothing noted. The second lookup reads the repository (30 tests, one page);
    then every lookup, and a test the repository does not have, is answered from it."""
    ids = _ids(30)
    for test_id in ids:
        assert read(batcher, api, [test_id]).keys() == {test_id}
    assert read(batcher, api, ["ffffffffffffffff"]) == {}
    assert api.searches == [
        id_queries(REPO, [ids[0]])[0],
        repository_clause(REPO),
    ]


def test_a_failed_scan_page_concludes_nothing(batcher: FlakyBatcher) -> None:
    """A scan page that fails (after a first page read the generator is broken) must not
    be taken for the end of the repository: the unseen tests are not "absent"."""
    ids = _ids(5)
    api = FakeApi(states=dict.fromkeys(ids, "active"), page_size=2)
    batcher = FlakyBatcher(id_queries, repository_query=repository_clause, page_size=2)

    def failing(query: str, target: str) -> Iterator[FlakyTest]:
        if "fingerprint_fqn" not in query:  # the repository scan
            raise ServerError("503", method="POST", path="/x", status=503)
        yield from api.search(query, target)

    read(batcher, api, [ids[0]])  # lookup 1: an id search
    with pytest.raises(ServerError):
        batcher.read(REPO, [ids[1]], target="t", search=failing)
    found = read(batcher, api, [ids[1], ids[4]])
    assert found.keys() == {ids[1], ids[4]}  # read again, not concluded absent


def test_a_test_written_after_the_scan_is_read_again(batcher: FlakyBatcher, api: FakeApi) -> None:
    ids = _ids(3)
    for test_id in ids:
        read(batcher, api, [test_id])
    searches = len(api.searches)
    api.states[ids[1]] = "fixed"  # changed by this process:
    batcher.forget(REPO, [ids[1]])
    assert read(batcher, api, [ids[1]])[ids[1]].attributes.flaky_state == "fixed"
    assert len(api.searches) == searches + 1
    assert read(batcher, api, [ids[0]])  # the others still come from the cache
    assert len(api.searches) == searches + 1


def test_cached_reads_expire(api: FakeApi) -> None:
    now = [0.0]
    batcher = FlakyBatcher(
        id_queries, repository_query=repository_clause, page_size=1000, clock=lambda: now[0]
    )
    [a] = _ids(1)
    read(batcher, api, [a])
    now[0] += _flaky_batch.MAX_AGE_S + 1
    read(batcher, api, [a])
    assert len(api.searches) == 2


def test_a_large_read_runs_its_searches_four_at_a_time(batcher: FlakyBatcher) -> None:
    ids = _ids(2000)
    together = threading.Barrier(_flaky_batch.PARALLEL_SEARCHES, timeout=20)
    api = FakeApi(states=dict.fromkeys(ids, "active"), delay_s=0.05, together=together)
    found = read(batcher, api, [*ids, "ffffffffffffffff"])
    assert found.keys() == set(ids)
    assert len(api.searches) == len(id_queries(REPO, ids)) > 4
    assert api.most_in_flight == _flaky_batch.PARALLEL_SEARCHES  # not fewer: the barrier


def test_concurrent_lookups_share_one_search(batcher: FlakyBatcher) -> None:
    ids = _ids(4)
    api = FakeApi(states=dict.fromkeys(ids, "active"), delay_s=0.1)
    start = threading.Barrier(4)

    def lookup(test_id: str) -> set[str]:
        start.wait()
        return set(read(batcher, api, [test_id]))

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lookup, ids))
    assert results == [{i} for i in ids]
    assert len(api.searches) <= 2  # the first search took every id noted by then


# ----------------------------------------------------------------------------- writes


def _concurrently(batcher: FlakyBatcher, api: FakeApi, ids: list[str]) -> list[object]:
    """Each id's write (to ``quarantined``) from its own thread, released together."""
    start = threading.Barrier(len(ids))

    def one(test_id: str) -> object:
        start.wait()
        try:
            return write(batcher, api, {test_id: "quarantined"})
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            return exc

    with ThreadPoolExecutor(max_workers=len(ids)) as pool:
        return list(pool.map(one, ids))


def test_concurrent_writes_go_out_in_one_patch_each_getting_its_own_results(
    batcher: FlakyBatcher, api: FakeApi
) -> None:
    ids = _ids(4)
    api.fail = {ids[2]: "test is locked"}
    results = _concurrently(batcher, api, ids)
    assert len(api.patches) == 1 and api.patches[0].keys() == set(ids)
    for test_id, result in zip(ids, results, strict=True):
        assert isinstance(result, UpdateFlakyTestsResponse)
        attributes = result.data.attributes
        assert [r.id for r in attributes.results] == [test_id]
        assert attributes.has_errors is (test_id == ids[2])
    assert api.states[ids[2]] == "active" and api.states[ids[0]] == "quarantined"


def test_a_failed_shared_call_fails_every_write_in_it(batcher: FlakyBatcher, api: FakeApi) -> None:
    api.raise_on_patch = ServerError(
        "503 Service Unavailable", method="PATCH", path="/x", status=503
    )
    results = _concurrently(batcher, api, _ids(3))
    assert all(result is api.raise_on_patch for result in results)


def test_writes_of_the_same_test_are_never_merged(batcher: FlakyBatcher, api: FakeApi) -> None:
    [a] = _ids(1)
    start = threading.Barrier(2)

    def one(state: FlakyState) -> object:
        start.wait()
        return write(batcher, api, {a: state})

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, ["quarantined", "disabled"]))
    assert [p.keys() for p in api.patches] == [{a}, {a}]


def test_a_bulk_chunk_is_sent_as_it_is(batcher: FlakyBatcher) -> None:
    ids = _ids(60)
    api = FakeApi(states=dict.fromkeys(ids, "active"))
    chunk: dict[str, FlakyState] = dict.fromkeys(ids[: _flaky_batch.COALESCE_MAX], "fixed")
    write(batcher, api, chunk)
    assert api.patches == [chunk]


@pytest.mark.parametrize("limit", [1, 3, 5])
def test_a_shared_patch_never_holds_more_tests_than_the_chunk_size(
    batcher: FlakyBatcher, limit: int
) -> None:
    ids = _ids(8)
    api = FakeApi(states=dict.fromkeys(ids, "active"))
    start = threading.Barrier(4)

    def one(pair: list[str]) -> object:
        start.wait()
        changes: dict[str, FlakyState] = dict.fromkeys(pair[:limit], "quarantined")
        return batcher.write(changes, target="t", patch=api.patch, limit=limit)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, [ids[n : n + 2] for n in range(0, 8, 2)]))
    assert all(isinstance(r, UpdateFlakyTestsResponse) for r in results)
    assert all(len(p) <= limit for p in api.patches), api.patches
    written = sorted(i for p in api.patches for i in p)
    assert written == sorted(i for n in range(0, 8, 2) for i in ids[n : n + 2][:limit])
    if limit >= 4:  # two writes fit in one PATCH: they were shared
        assert len(api.patches) < 4


class Calls:
    """Stands in for the count of running hooks that may write: each worker counts from its
    start to its end, as a create or delete hook does."""

    def __init__(self) -> None:
        self.running = 0
        self.lock = threading.Lock()

    def __call__(self) -> int:
        with self.lock:
            return self.running

    def run(self, work: object) -> object:
        assert callable(work)
        try:
            return work()
        finally:
            with self.lock:
                self.running -= 1

    def start(self, count: int) -> None:
        with self.lock:
            self.running += count


def test_writes_wait_for_every_running_call_that_is_still_on_its_way_to_its_write(
    api: FakeApi,
) -> None:
    """Three hooks run (e.g. three deletes); two reach their write later than the first
    write's settling time. The first write waits until every running hook is a queued write:
    one PATCH."""
    calls = Calls()
    batcher = FlakyBatcher(
        id_queries, repository_query=repository_clause, page_size=1000, busy=calls
    )
    ids = _ids(3)
    calls.start(len(ids))

    def one(index: int) -> object:
        def work() -> object:
            time.sleep(0.08 * index)  # other work first: 0, 80 and 160 ms
            return write(batcher, api, {ids[index]: "quarantined"})

        return calls.run(work)

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(one, range(3)))
    assert [p.keys() for p in api.patches] == [set(ids)]
    assert all(isinstance(r, UpdateFlakyTestsResponse) for r in results)


def test_writes_do_not_wait_for_ever_for_a_hook_that_does_not_write(api: FakeApi) -> None:
    calls = Calls()
    batcher = FlakyBatcher(
        id_queries, repository_query=repository_clause, page_size=1000, busy=calls
    )
    calls.start(1)  # a long hook that writes no flaky test (never ends here)
    ids = _ids(2)
    calls.start(len(ids))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(
            pool.map(lambda i: calls.run(lambda: write(batcher, api, {i: "disabled"})), ids)
        )
    assert sorted(k for p in api.patches for k in p) == ids
    assert all(isinstance(r, UpdateFlakyTestsResponse) for r in results)


def test_a_destroys_writes_wait_for_one_more_and_longer_than_other_writes() -> None:
    """A batch fills to ``ENOUGH_WRITES`` — one slot of the engine's default 8 left to the
    other resources — within ``WRITE_WINDOW_S``, unless every queued write is a ``delete``'s
    (a destroy): then to ``ENOUGH_RELEASES`` within ``RELEASE_WINDOW_S``."""
    batcher = FlakyBatcher(id_queries, repository_query=repository_clause, page_size=1000)

    def queued(*releasing: bool) -> tuple[int, float]:
        batcher._writes = [
            _flaky_batch._Write({f"t{i}": "active"}, "t", lambda c, t: None, releasing=r)  # type: ignore[arg-type,return-value]
            for i, r in enumerate(releasing)
        ]
        return batcher._enough()

    assert _flaky_batch.ENOUGH_RELEASES == _flaky_batch.ENOUGH_WRITES + 1
    releases = (_flaky_batch.ENOUGH_RELEASES, _flaky_batch.RELEASE_WINDOW_S)
    writes = (_flaky_batch.ENOUGH_WRITES, _flaky_batch.WRITE_WINDOW_S)
    assert queued(True, True) == releases
    assert queued(True, False) == writes
    assert queued(False) == writes


@pytest.mark.parametrize("hook", ["delete", "create"])
def test_a_destroys_writes_wait_longer_for_company(
    api: FakeApi, monkeypatch: pytest.MonkeyPatch, hook: str
) -> None:
    """Two writes while other hooks keep the process busy, the second 0.8 s after the first:
    past ``WRITE_WINDOW_S`` (0.2 s here), within ``RELEASE_WINDOW_S`` (2 s here). Two
    ``delete`` hooks share a PATCH; two ``create`` hooks do not."""
    from pulumi_datadog_testing.resources._writing_hooks import counted

    monkeypatch.setattr(_flaky_batch, "WRITE_WINDOW_S", 0.2)
    monkeypatch.setattr(_flaky_batch, "RELEASE_WINDOW_S", 2.0)
    batcher = FlakyBatcher(
        id_queries, repository_query=repository_clause, page_size=1000, busy=lambda: 20
    )

    def change(test_id: str, delay: float) -> object:
        time.sleep(delay)
        return write(batcher, api, {test_id: "active"})

    ids = _ids(2)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(counted(_named(change, hook)), ids, [0.0, 0.8]))
    expected = [set(ids)] if hook == "delete" else [{ids[0]}, {ids[1]}]
    assert [set(p) for p in api.patches] == expected


def _named(function: Any, name: str) -> Any:
    """``function`` under another name (``counted`` records the hook's name)."""

    def named(*args: Any) -> Any:
        return function(*args)

    named.__name__ = name
    return named


def test_concurrent_deletes_share_a_patch_of_enough_releases(api: FakeApi) -> None:
    """``ENOUGH_RELEASES`` deletes running at once (other hooks keep the process busy, so
    only the count closes the batch): one PATCH holding all of them."""
    from pulumi_datadog_testing.resources._writing_hooks import counted

    batcher = FlakyBatcher(
        id_queries, repository_query=repository_clause, page_size=1000, busy=lambda: 20
    )

    class Releaser:
        @counted
        def delete(self, test_id: str) -> object:
            return write(batcher, api, {test_id: "active"})

    ids = _ids(_flaky_batch.ENOUGH_RELEASES)
    releaser = Releaser()
    with ThreadPoolExecutor(max_workers=len(ids)) as pool:
        results = list(pool.map(releaser.delete, ids))
    assert [set(p) for p in api.patches] == [set(ids)]
    assert all(isinstance(r, UpdateFlakyTestsResponse) for r in results)
