"""Flaky-test reads and writes batched across the resources of one provider process.

The engine hands a dynamic provider one resource per hook (as many at once as ``--parallel``
sends, up to ``maxConcurrency``: see ``_server_pool``), so N ``FlakyTestState`` resources would
cost N searches and N bulk ``PATCH``\\ es. ``FlakyBatcher`` sits between the resources
and the API (``search``/``patch``: the narrow seam the typed API layer fills) and batches
inside the process:

- **Reads** (``read``) are a read-through cache per repository, filled by as few searches
  as possible: ids named in ``check`` (``note``) are prefetched with the first search that
  has to be made, concurrent lookups wait for the one search in flight and share it, and
  from a repository's second lookup on the cache reads the repository's tests a page
  (1,000) at a time — one more page per ``SCAN_EVERY`` further lookups — so a refresh,
  where nothing was noted, reads a repository of up to 1,000 tests in about two searches. Searches of many ids (a bulk resource) run up to
  ``PARALLEL_SEARCHES`` at a time. An entry is never used after a write by this process to
  that test (``write`` drops it) nor after ``MAX_AGE_S``; the cache lives as long as the
  provider process, i.e. one Pulumi operation.
- **Writes** (``write``) of a few tests are coalesced: concurrent writes wait for the
  ``PATCH`` in flight, then for others to join — until every ``create``/``update``/``delete``
  this process is running is such a write (``writing_hooks``: no other write can join before
  one of them returns), none joining for a while (``SETTLE_S``: the engine sends its next hook
  a while after one returns, at its own pace), or ``ENOUGH_WRITES`` are queued
  (``ENOUGH_RELEASES`` when they all come from ``delete`` hooks), at most ``WRITE_WINDOW_S``
  (``RELEASE_WINDOW_S``) — and go out together in one ``PATCH``; each caller gets back
  exactly its tests' results, so a failed test fails only the resource that manages it (a
  failed *call* fails every resource in it, as it would have alone). A shared ``PATCH``
  never holds more tests than the chunk size (``flakyBulkChunkSize``: the caller's
  ``limit``), nor more than ``COALESCE_MAX`` × ``PARALLEL_SEARCHES``; a write of
  ``COALESCE_MAX`` tests or more, or of a whole chunk, is sent as it is.

Nothing here decides what to change: ``_flaky`` does, and its all-or-nothing and roll-back
rules are unchanged; it only calls ``read``/``write`` instead of searching and patching.
"""

from __future__ import annotations

import itertools
import math
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Generic, TypeVar

from ..identity import FlakyState
from ._writing_hooks import arrival_gap, running_hook, writing_hooks

if TYPE_CHECKING:  # only the API's answers are models (no pydantic until the first call)
    from ..models import FlakyTest, UpdateFlakyTestsResponse
    from ._flaky_select import Selections, SelectorQueries

__all__ = [
    "COALESCE_MAX",
    "ENOUGH_RELEASES",
    "ENOUGH_WRITES",
    "MAX_AGE_S",
    "PARALLEL_SEARCHES",
    "RELEASE_WINDOW_S",
    "SCAN_EVERY",
    "SETTLE_S",
    "WRITE_WINDOW_S",
    "FlakyBatcher",
    "Patch",
    "Queries",
    "RepositoryNotes",
    "Search",
    "batcher_for",
    "claim",
    "claimed",
    "forget_claims",
    "note",
    "noted",
    "reset",
    "run_searches",
    "unnote",
]

PARALLEL_SEARCHES: Final = 4
"""Searches of one large read in flight at once."""
SCAN_EVERY: Final = 8
"""Lookups of one repository per further page of its tests read by the scan (the first page
comes with the second lookup): the scan costs at most one search per ``SCAN_EVERY``
lookups beyond the first page."""
MAX_AGE_S: Final = 60.0
"""A cached test older than this is read again."""
WRITE_WINDOW_S: Final = 0.8
"""The longest a write waits for others to join it. When the engine is slow to send hooks (a
large stack: it saves the whole state after each step), a flaky-test write arrives about every
80-100 ms while the resources between them (service settings) keep a hook in flight: 0.5 s
gathered ~6 writes a PATCH, 0.8 s ~7 (N = 500, destroy 305-316 calls against 288-290, and no
slower: fewer calls are less work for the engine and the API; 2026-12-01, a loaded machine)."""
RELEASE_WINDOW_S: Final = 1.5
"""As ``WRITE_WINDOW_S`` when every queued write comes from a ``delete`` (a destroy): the
engine rewrites its whole state before and after each step, one step at a time, so in a
large destroy most of its 8 workers wait on that and the deletes reach the provider unevenly;
with 0.8 s a third of the PATCHes left with 5-7 of the 8 (N = 500: 36-42 PATCHes for 250
tests, 287-293 calls against the batched minimum of 252), with 1.5 s nearly all with 8 (32-33
PATCHes, 283-284 calls) and the destroy took no longer (30.6-31.6 s against 31.0-33.6 s;
N = 100 unchanged: 7 PATCHes; 2026-12-02, quiet machine, 50 ms latency). A delete alone
(nothing else writing) still goes out after ``SETTLE_S``."""
ENOUGH_WRITES: Final = 7
"""Writes that go out together without waiting for more: one less than the engine's default
``--parallel`` on 2 CPUs (8), so one slot keeps the other resources moving while a batch
fills. Waiting for all 8 stalls every slot until the last write arrives: ``up`` at N = 100
took 4.23 s against 3.48 s with 7 (3.43 s with 6) for the same 110 calls (2026-12-01,
quiet machine, 50 ms latency)."""
ENOUGH_RELEASES: Final = 8
"""As ``ENOUGH_WRITES`` when every queued write comes from a ``delete`` (a destroy), which
waits for the 8th: ``destroy`` at N = 100 made 58 calls (7 PATCHes for 49 tests) against
59-60 with 7 and 60-61 with 6 (the hand-written script's batched minimum: 52), and at
N = 500 284-287 against 298-299 with 7 (minimum 252), for ~0.5 s (N = 100) and ~1.2 s
(N = 500) more."""
SETTLE_S: Final = (0.03, 0.25)
"""How long (least, most) every running hook that may write must have been a queued write,
none joining, before they go out: the engine sends its next hook a while after one returns (it
saves its state first), and that hook may be one more write. Within these bounds, 2.5 times
the recent gap between two such hooks starting (``arrival_gap``): at N = 500 the engine's
pace was ~45 ms a flaky write, and a fixed 30 ms shared a PATCH between 2 of them."""
_POLL_S: Final = 0.005
"""How often a waiting write looks at the hook count (nothing notifies its changes)."""
COALESCE_MAX: Final = 50
"""Writes of fewer tests than this are coalesced; larger ones are sent as they are."""

K = TypeVar("K")

Search = Callable[[str, str], Iterator["FlakyTest"]]
"""``(query, target)`` → the matching tests, page after page, fetched as they are consumed."""
Patch = Callable[[Mapping[str, FlakyState], str], "UpdateFlakyTestsResponse"]
"""``(changes, target)`` → Datadog's answer to one bulk state PATCH."""
Queries = Callable[[str, Sequence[str]], list[str]]
"""``(repository, ids)`` → search queries selecting those ids (each within the query cap)."""


@dataclass
class _Repository:
    """What the process knows of one repository's flaky tests."""

    repository_id: str
    tests: dict[str, tuple[float, FlakyTest]] = field(default_factory=dict)
    """id → (when read, the test)."""
    absent: dict[str, float] = field(default_factory=dict)
    """id → when a search showed it is not a flaky test of the repository."""
    stale: dict[str, float] = field(default_factory=dict)
    """id → when this process last wrote it: unknown until a search *started after that*
    reads it again (even once the scan is complete)."""
    lookups: int = 0
    scan: Iterator[FlakyTest] | None = None
    scan_started: float = 0.0
    scan_pages: int = 0
    scan_complete_at: float | None = None
    fetching: bool = False


@dataclass
class _Write:
    changes: dict[str, FlakyState]
    target: str
    patch: Patch
    limit: int = COALESCE_MAX * PARALLEL_SEARCHES
    """The most tests a PATCH carrying this write may hold (the chunk size)."""
    releasing: bool = False
    """Made by a ``delete`` hook (see ``ENOUGH_RELEASES``)."""
    done: bool = False
    response: UpdateFlakyTestsResponse | None = None
    error: BaseException | None = None


class FlakyBatcher:
    """Batched flaky-test reads and coalesced writes for one API client (see the module
    docstring); thread-safe."""

    def __init__(
        self,
        queries: Queries,
        *,
        repository_query: Callable[[str], str],
        page_size: int,
        clock: Callable[[], float] = time.monotonic,
        busy: Callable[[], int] = writing_hooks,
        pace: Callable[[], float] = arrival_gap,
    ) -> None:
        self._queries = queries
        self._busy = busy
        self._pace = pace
        self._repository_query = repository_query
        self._page_size = page_size
        self._clock = clock
        self._lock = threading.Condition()
        self._repos: dict[str, _Repository] = {}
        self._writes: list[_Write] = []
        self._sending = False
        self._selections: Selections | None = None

    def selections(self, queries: SelectorQueries) -> Selections:
        """The lookups of tests by module/suite/name sharing this cache (``_flaky_select``),
        made on first use."""
        from ._flaky_select import Selections

        with self._lock:
            if self._selections is None:
                self._selections = Selections(self, queries)
            return self._selections

    # ------------------------------------------------------------------------ reads
    def read(
        self, repository_id: str, test_ids: Iterable[str], *, target: str, search: Search
    ) -> dict[str, FlakyTest]:
        """The tests of ``test_ids`` that are flaky tests of the repository (others are
        absent from the result), from the cache or as few searches (``search``) as possible."""
        wanted = list(dict.fromkeys(test_ids))
        small = len(wanted) < COALESCE_MAX
        if small:  # a lookup: concurrent ones are read by the search in flight
            note(repository_id, wanted)
        with self._lock:
            repo = self._repo(repository_id)
            repo.lookups += small
        while True:
            with self._lock:
                found, missing = self._cached(repo, wanted)
                if not missing:
                    return found
                if repo.fetching:
                    self._lock.wait()
                    continue
                repo.fetching = True
                plan = self._plan(repo, missing, search, target, scan=small)
            try:
                fetched = plan()
            finally:
                with self._lock:
                    repo.fetching = False
                    self._lock.notify_all()
            if fetched is not None:  # a search of every missing id: it has the last word
                return {**found, **{i: fetched[i] for i in missing if i in fetched}}

    def remember(self, repository_id: str, tests: Iterable[FlakyTest], read_at: float) -> None:
        """Cache ``tests``, read by a search that started at ``read_at`` (``_flaky_select``)."""
        read = []
        with self._lock:
            repo = self._repo(repository_id)
            for test in tests:
                _record(repo, test, read_at)
                read.append(test.id)
        unnote(repository_id, read)

    def tests(
        self, repository_id: str, test_ids: Sequence[str], *, target: str, search: Search
    ) -> list[FlakyTest]:
        """The tests of ``test_ids`` that are flaky tests of the repository, in that order:
        from the cache, else read again (``read``): one this process wrote since it was
        cached."""
        with self._lock:
            found, missing = self._cached(self._repo(repository_id), test_ids)
        if missing:
            found.update(self.read(repository_id, missing, target=target, search=search))
        return [found[test_id] for test_id in test_ids if test_id in found]

    def forget(self, repository_id: str | None, test_ids: Iterable[str]) -> None:
        """Drop cached knowledge of ``test_ids`` (in every repository when ``None``)."""
        ids = set(test_ids)
        now = self._clock()
        with self._lock:
            repos = (
                self._repos.values()
                if repository_id is None
                else [self._repos[repository_id]]
                if repository_id in self._repos
                else []
            )
            for repo in repos:
                for test_id in ids:
                    repo.tests.pop(test_id, None)
                    repo.absent.pop(test_id, None)
                for test_id in ids:
                    repo.stale[test_id] = now

    def _repo(self, repository_id: str) -> _Repository:
        repo = self._repos.get(repository_id)
        if repo is None:
            repo = self._repos[repository_id] = _Repository(repository_id)
        return repo

    def _cached(
        self, repo: _Repository, wanted: Sequence[str]
    ) -> tuple[dict[str, FlakyTest], list[str]]:
        """(found, still unknown) among ``wanted``; caller holds the lock."""
        fresh = self._clock() - MAX_AGE_S
        scanned = repo.scan_complete_at if repo.scan_complete_at is not None else -math.inf
        found: dict[str, FlakyTest] = {}
        missing: list[str] = []
        for test_id in wanted:
            entry = repo.tests.get(test_id)
            if entry is not None:
                if entry[0] >= fresh:
                    found[test_id] = entry[1]
                else:
                    missing.append(test_id)
                continue
            # Not cached: absent if a search that began after this process last wrote the
            # test (a complete scan, or a search of its id) did not find it.
            seen_absent = max(scanned, repo.absent.get(test_id, -math.inf))
            written = repo.stale.get(test_id, -math.inf)
            if not (seen_absent >= fresh and seen_absent > written):
                missing.append(test_id)
        return found, missing

    def _plan(
        self, repo: _Repository, missing: list[str], search: Search, target: str, *, scan: bool
    ) -> Callable[[], dict[str, FlakyTest] | None]:
        """The next fetch for ``missing`` (caller holds the lock): a page of the repository
        scan when lookups have earned it (``None``: look again); else the searches of a
        large read (its own ids, several at a time); else one search of the missing ids,
        filled up with noted ones (both return what they found)."""
        earned = repo.lookups >= 2 + repo.scan_pages * SCAN_EVERY
        if scan and repo.scan_complete_at is None and earned:
            return lambda: self._scan_page(repo, search, target)
        own = self._queries(repo.repository_id, missing)
        if len(own) > 1:  # a bulk read: its own, not kept (no other resource shares it)
            return lambda: self._search_ids(repo, own, missing, search, target, keep=False)
        wanted = set(missing)
        extra = [i for i in noted(repo.repository_id) if i not in wanted and i not in repo.tests]
        ids = [*missing, *extra]
        first = self._queries(repo.repository_id, ids)[0]  # holds every missing id: they lead
        return lambda: self._search_ids(repo, [first], ids, search, target)

    def _search_ids(
        self,
        repo: _Repository,
        queries: list[str],
        ids: list[str],
        search: Search,
        target: str,
        *,
        keep: bool = True,
    ) -> dict[str, FlakyTest]:
        """Run ``queries`` (built from ``ids`` in order) and return what they found; ``keep``:
        cache it too."""
        started = self._clock()
        pages = run_searches(queries, search, target)
        asked = ids[: sum(_id_count(q) for q in queries)]
        found = {t.id: t for t in itertools.chain.from_iterable(pages)}
        if not keep:
            return found
        with self._lock:
            for test in found.values():
                _record(repo, test, started)
            for test_id in asked:
                written = repo.stale.get(test_id)
                if test_id not in found and (written is None or written < started):
                    repo.stale.pop(test_id, None)
                    repo.absent[test_id] = started
        unnote(repo.repository_id, asked)
        return found

    def _scan_page(self, repo: _Repository, search: Search, target: str) -> None:
        """Read the next page of the repository's tests into the cache."""
        if repo.scan is None:
            repo.scan = search(self._repository_query(repo.repository_id), target)
            repo.scan_started = self._clock()
        try:
            page = list(itertools.islice(repo.scan, self._page_size))
        except BaseException:
            repo.scan = None  # a failed page: a later scan starts over, nothing is concluded
            raise
        with self._lock:
            repo.scan_pages += 1
            for test in page:
                _record(repo, test, repo.scan_started)
            if len(page) < self._page_size:
                repo.scan_complete_at = repo.scan_started
                repo.scan = None
        unnote(repo.repository_id, [t.id for t in page])

    # ----------------------------------------------------------------------- writes
    def write(
        self,
        changes: Mapping[str, FlakyState],
        *,
        target: str,
        patch: Patch,
        limit: int = COALESCE_MAX * PARALLEL_SEARCHES,
    ) -> UpdateFlakyTestsResponse:
        """Set ``changes`` with ``patch`` in one bulk PATCH — shared with concurrent writes
        when small, never beyond ``limit`` tests (the chunk size the API takes) — and return
        Datadog's answer for exactly these tests. A failed call raises here (for every write
        that shared it). Their cached reads are dropped."""
        try:
            if len(changes) >= min(COALESCE_MAX, limit):
                return patch(dict(changes), target)
            releasing = running_hook() == "delete"
            mine = _Write(dict(changes), target, patch, limit=limit, releasing=releasing)
            return self._coalesced(mine)
        finally:
            self.forget(None, changes)

    def _coalesced(self, mine: _Write) -> UpdateFlakyTestsResponse:
        with self._lock:
            self._writes.append(mine)
            self._lock.notify_all()  # a leader waiting for company
        while True:
            with self._lock:
                while not mine.done and self._sending:
                    self._lock.wait()
                if mine.done:
                    break
                self._sending = True
            self._lead()
        if mine.error is not None:
            raise mine.error
        assert mine.response is not None
        return mine.response

    def _lead(self) -> None:
        """Send the queued writes (after a short window for more to join) in one PATCH;
        a write touching a test already in the batch waits for the next one."""
        batch: list[_Write] = []
        try:
            with self._lock:
                self._wait_for_company()
                ids: set[str] = set()
                limit = COALESCE_MAX * PARALLEL_SEARCHES
                for queued in self._writes:
                    room = min(limit, queued.limit)
                    if len(ids) + len(queued.changes) <= room and ids.isdisjoint(queued.changes):
                        batch.append(queued)
                        ids.update(queued.changes)
                        limit = room
                self._writes = [w for w in self._writes if w not in batch]
            merged = {k: v for w in batch for k, v in w.changes.items()}
            targets = sorted({w.target for w in batch})
            target = targets[0] if len(targets) == 1 else f"{len(batch)} flaky-test resources"
            try:
                response = batch[0].patch(merged, target)
            except Exception as exc:  # noqa: BLE001 - each writer of the batch re-raises it
                for queued in batch:
                    queued.error = exc
            else:
                for queued in batch:
                    queued.response = _share(response, queued.changes)
        finally:
            with self._lock:
                for queued in batch:
                    if queued.response is None and queued.error is None:
                        queued.error = RuntimeError("the shared flaky-test update was interrupted")
                    queued.done = True
                self._sending = False
                self._lock.notify_all()

    def _enough(self) -> tuple[int, float]:
        """How many queued writes go out without waiting for more, and how long the first of
        them waits at most (holding ``_lock``)."""
        if all(w.releasing for w in self._writes):
            return ENOUGH_RELEASES, RELEASE_WINDOW_S
        return ENOUGH_WRITES, WRITE_WINDOW_S

    def _full(self) -> bool:
        """Whether the queued writes fill a PATCH already (holding ``_lock``)."""
        if not self._writes:
            return False
        limit = min(w.limit for w in self._writes)
        return sum(len(w.changes) for w in self._writes) >= limit

    def _wait_for_company(self) -> None:
        """Wait (holding ``_lock``) until no other write can join the queued ones soon."""
        start = time.monotonic()
        settle = min(SETTLE_S[1], max(SETTLE_S[0], 2.5 * self._pace()))
        settled_at: float | None = None
        seen = 0
        while True:
            enough, window = self._enough()
            now = time.monotonic()
            if len(self._writes) >= enough or now - start >= window or self._full():
                return
            if len(self._writes) < self._busy() or len(self._writes) != seen:
                settled_at, seen = None, len(self._writes)  # a hook on its way, or one joined
            else:  # every running hook that may write is a queued write
                settled_at = now if settled_at is None else settled_at
                if now - settled_at >= settle:
                    return
            self._lock.wait(_POLL_S)


def run_searches(queries: Sequence[str], search: Search, target: str) -> list[list[FlakyTest]]:
    """Each query's tests, in order: one query on this thread, more ``PARALLEL_SEARCHES`` at
    a time."""

    def one(query: str) -> list[FlakyTest]:
        return list(search(query, target))

    if len(queries) == 1:
        return [one(queries[0])]
    with ThreadPoolExecutor(max_workers=PARALLEL_SEARCHES) as pool:
        return list(pool.map(one, queries))


def _record(repo: _Repository, test: FlakyTest, read_at: float) -> None:
    """Cache ``test`` as read at ``read_at`` — unless this process wrote it since, or a
    newer read is cached."""
    written = repo.stale.get(test.id)
    cached = repo.tests.get(test.id)
    if (written is not None and written >= read_at) or (cached and cached[0] > read_at):
        return
    repo.stale.pop(test.id, None)
    repo.tests[test.id] = (read_at, test)


class RepositoryNotes(Generic[K]):
    """Per repository, keys resources of this process said they will read (no API call, no
    client needed — ``check`` and the ledger note them), in order, until read; thread-safe."""

    def __init__(self) -> None:
        self._by_repository: dict[str, dict[K, None]] = {}
        self._lock = threading.Lock()

    def add(self, repository_id: str, keys: Iterable[K]) -> None:
        with self._lock:
            known = self._by_repository.setdefault(repository_id, {})
            for key in keys:
                known[key] = None

    def of(self, repository_id: str) -> list[K]:
        with self._lock:
            return list(self._by_repository.get(repository_id, ()))

    def drop(self, repository_id: str, keys: Iterable[K]) -> None:
        with self._lock:
            known = self._by_repository.get(repository_id)
            if known is not None:
                for key in keys:
                    known.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._by_repository.clear()


_NOTED: Final = RepositoryNotes[str]()
"""repository → ids resources of this process said they manage (``check``), not read yet."""


def note(repository_id: str, test_ids: Iterable[str]) -> None:
    """Remember that a resource of this process manages ``test_ids``: the next search of the
    repository reads them too."""
    _NOTED.add(repository_id, test_ids)


def noted(repository_id: str) -> list[str]:
    """The ids noted for the repository and not read yet, in order."""
    return _NOTED.of(repository_id)


def unnote(repository_id: str, test_ids: Iterable[str]) -> None:
    _NOTED.drop(repository_id, test_ids)


_CLAIMED: dict[str, set[str]] = {}
"""repository → tests a create or update of this process has set to a declared state."""
_CLAIMED_LOCK = threading.Lock()


def claim(repository_id: str, test_ids: Iterable[str]) -> None:
    """Remember that a resource of this process now manages ``test_ids`` (its create or
    update applied them): a resource deleted later in the same operation hands them over
    instead of setting them back — a rename without an alias creates the new resource, then
    deletes the old one, and the new one restores them when it goes."""
    with _CLAIMED_LOCK:
        _CLAIMED.setdefault(repository_id, set()).update(test_ids)


def claimed(repository_id: str, test_ids: Iterable[str]) -> set[str]:
    """Those of ``test_ids`` a resource of this process has claimed (``claim``)."""
    with _CLAIMED_LOCK:
        return _CLAIMED.get(repository_id, set()).intersection(test_ids)


def forget_claims() -> None:
    """Forget every claim (tests: the next operation, whose provider process has none)."""
    with _CLAIMED_LOCK:
        _CLAIMED.clear()


def reset() -> None:
    """Forget every batcher, noted id and claim (tests: a fresh process)."""
    _NOTED.clear()
    forget_claims()
    with _BATCHERS_LOCK:
        _BATCHERS.clear()


def _id_count(query: str) -> int:
    """How many ids a ``… fingerprint_fqn:(a OR b …)`` query of ``Queries`` selects (ids
    hold no spaces: ``_flaky.check_test_ids``)."""
    return query.rpartition("fingerprint_fqn:(")[2].count(" OR ") + 1


def _share(
    response: UpdateFlakyTestsResponse, changes: Mapping[str, FlakyState]
) -> UpdateFlakyTestsResponse:
    """The part of a coalesced PATCH's answer that concerns ``changes``."""
    attributes = response.data.attributes
    results = [r for r in attributes.results if r.id in changes]
    contradictory = attributes.has_errors and all(r.success for r in attributes.results)
    has_errors = contradictory or any(not r.success for r in results)
    return response.model_copy(
        update={
            "data": response.data.model_copy(
                update={
                    "attributes": attributes.model_copy(
                        update={"results": results, "has_errors": has_errors}
                    )
                }
            )
        }
    )


_BATCHERS: weakref.WeakKeyDictionary[object, FlakyBatcher] = weakref.WeakKeyDictionary()
_BATCHERS_LOCK = threading.Lock()


def batcher_for(owner: object, make: Callable[[], FlakyBatcher]) -> FlakyBatcher:
    """The batcher of ``owner`` (an API client: one per process), made on first use."""
    with _BATCHERS_LOCK:
        batcher = _BATCHERS.get(owner)
        if batcher is None:
            batcher = _BATCHERS[owner] = make()
        return batcher
