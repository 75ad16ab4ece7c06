"""What the flaky-test resources share: batched search reads and all-or-nothing bulk updates.

``FlakyTestState`` and ``FlakyTestStates`` both manage a set of tests of one repository;
they differ only in how the set is declared. Everything that talks to the API is here:

- **Reads** go through the search endpoint, batched: one query for many ids
  (``@git.repository.id_v2:"<repo>" fingerprint_fqn:(<id> OR <id> ...)``) or many selectors
  (``@git.repository.id_v2:"<repo>" ((@test.module:"<m>" @test.name:"<n>") OR (...))``), split
  so no query is longer than ``MAX_QUERY_CHARS``, ``page.limit`` 1000, cursor pagination
  followed to the end (bounded: a cursor that repeats is an error).
- **Writes** go through the bulk ``PATCH``, in chunks of ``flakyBulkChunkSize`` tests
  (``Settings.flaky_bulk_chunk_size``, default 1,000), ``PARALLEL_WRITES`` chunks at a time,
  and only for tests whose state actually changes. The PATCH sets absolute states, so it is
  idempotent and safely retried.
- **All or nothing**: a dynamic provider cannot hand partial state back to the engine (an
  exception from ``create``/``update``/``delete`` keeps the previous state), so when a test
  fails (``results[].success: false``, a missing result, or a failed call) no further chunk
  is sent and every test changed by this operation is set back to the state it had before.
  The error names each failed test with Datadog's error, and any test whose roll-back failed.
- **Restore on delete**: each managed test's state from before it was managed is recorded at
  create (``previous``); releasing a test sets it back to that state, unless Pulumi never
  changed it.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, DiffResult

from ..errors import (
    DatadogAPIError,
    FlakyTestsNotFoundError,
    FlakyUpdateError,
)
from ..identity import FlakyState, quote_query_value
from ._base import DatadogResourceProvider, check_inputs, strip_provider
from ._flaky_batch import (
    COALESCE_MAX,
    PARALLEL_SEARCHES,
    FlakyBatcher,
    batcher_for,
    claim,
    claimed,
)
from ._flaky_select import MAX_SELECTORS_PER_QUERY, Selector
from ._flaky_values import States, captured_state, states_map
from .prior_values import PRIORS_KEY, keep_captured

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..api import TestOptimizationAPI
    from ..models import FlakyTest

__all__ = [
    "MAX_QUERY_CHARS",
    "PARALLEL_WRITES",
    "FlakyProvider",
    "Managed",
    "apply_all_or_nothing",
    "captured_state",
    "captured_test",
    "captured_value",
    "check_test_ids",
    "chunked",
    "declared",
    "fqn",
    "id_queries",
    "managed_of",
    "read_states",
    "read_tests",
    "reconcile",
    "repository_clause",
    "repository_replace",
    "search",
    "search_states",
    "select_tests",
    "selector_queries",
    "state_of",
    "states_map",
]

logger = logging.getLogger(__name__)

PARALLEL_WRITES: Final = 4
"""Bulk ``PATCH`` chunks of one operation in flight at once (as the provider's 4 hooks, and
a 4-thread script, would): the next chunk starts as soon as one is answered, and none once a
chunk failed, so a failure stops the run as early as with one chunk at a time, give or take
the chunks in flight. (Waves of 4, each waiting for its slowest chunk, left ~0.1 s of a
20-chunk run idle.)"""

MAX_QUERY_CHARS: Final = 8000
"""Longest search query sent. The API documents no limit; 8,000 characters (about 390 test
ids) keeps well inside what log-search style query parsers accept."""

T = TypeVar("T")


# ------------------------------------------------------------------------------ queries


def repository_clause(repository_id: str) -> str:
    """The query term that scopes a search to one repository."""
    return f"@git.repository.id_v2:{quote_query_value(repository_id)}"


def id_queries(
    repository_id: str, test_ids: Iterable[str], max_chars: int = MAX_QUERY_CHARS
) -> list[str]:
    """Queries selecting ``test_ids`` in the repository, each at most ``max_chars`` long
    (always at least one id per query), in the order of ``test_ids``."""
    head = f"{repository_clause(repository_id)} fingerprint_fqn:("
    queries: list[str] = []
    batch: list[str] = []
    length = len(head) + 1
    for test_id in test_ids:
        term = quote_query_value(test_id) if not test_id.isalnum() else test_id
        extra = len(term) + (4 if batch else 0)  # " OR "
        if batch and length + extra > max_chars:
            queries.append(head + " OR ".join(batch) + ")")
            batch, length, extra = [], len(head) + 1, len(term)
        batch.append(term)
        length += extra
    if batch:
        queries.append(head + " OR ".join(batch) + ")")
    return queries


def selector_queries(
    repository_id: str, selectors: Sequence[Selector], max_chars: int = MAX_QUERY_CHARS
) -> list[tuple[str, list[Selector]]]:
    """Queries selecting the tests that match any of ``selectors`` in the repository, each
    with the selectors it covers, in order: one selector is ``<repo> @test.name:"<n>" ...``;
    several are OR'd, ``<repo> ((<selector>) OR (<selector>))``, at most ``max_chars`` long
    (always at least one selector) and ``MAX_SELECTORS_PER_QUERY`` selectors a query."""
    head = repository_clause(repository_id)

    def clause(selector: Selector) -> str:
        return " ".join(f"@test.{part}:{quote_query_value(value)}" for part, value in selector)

    def query(batch: list[Selector]) -> str:
        if len(batch) == 1:
            return f"{head} {clause(batch[0])}"
        return f"{head} (" + " OR ".join(f"({clause(s)})" for s in batch) + ")"

    queries: list[tuple[str, list[Selector]]] = []
    batch: list[Selector] = []
    length = len(head) + 3  # " (" and ")"
    for selector in selectors:
        extra = len(clause(selector)) + 2 + (4 if batch else 0)  # "(...)" and " OR "
        full = len(batch) >= MAX_SELECTORS_PER_QUERY
        if batch and (full or length + extra > max_chars):
            queries.append((query(batch), batch))
            batch, length, extra = [], len(head) + 3, extra - 4
        batch.append(selector)
        length += extra
    if batch:
        queries.append((query(batch), batch))
    return queries


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    if size < 1:
        raise ValueError(f"chunk size must be at least 1, got {size}")
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ------------------------------------------------------------------------------- search


def search(api: TestOptimizationAPI, query: str, *, target: str) -> list[FlakyTest]:
    """Every test matching ``query`` (the API layer follows the cursor to the last page)."""
    return list(api.search_flaky_tests(query, target=target))


def search_states(api: TestOptimizationAPI, query: str, *, target: str) -> States:
    """The state of every test matching ``query``: the same calls as ``search``, each page
    read as ids and states only (no model per test)."""
    return {
        test_id: state or "active"
        for test_id, state in api.search_flaky_tests(query, target=target, states_only=True)
    }


def batcher(api: TestOptimizationAPI) -> FlakyBatcher:
    """The process's batcher of flaky-test reads and writes (``_flaky_batch``)."""
    from ..api import catalog

    return batcher_for(
        api.client,
        lambda: FlakyBatcher(
            id_queries,
            repository_query=repository_clause,
            page_size=catalog.SEARCH_FLAKY_TESTS.page_size or 1000,
        ),
    )


def read_tests(
    api: TestOptimizationAPI, repository_id: str, test_ids: Iterable[str], *, target: str
) -> dict[str, FlakyTest]:
    """The tests of ``test_ids`` that exist in the repository; ids the search does not
    return are absent from the result. Batched across the process's resources (cache, one
    search for concurrent lookups, the ids ``check`` noted, repository pages), a large read
    in ``MAX_QUERY_CHARS`` queries run several at a time: see ``_flaky_batch``."""
    return batcher(api).read(
        repository_id,
        test_ids,
        target=target,
        search=lambda query, what: api.search_flaky_tests(query, target=what, brief=True),
    )


def select_tests(
    api: TestOptimizationAPI, repository_id: str, selector: Selector, *, target: str
) -> list[FlakyTest]:
    """The flaky tests of the repository matching ``selector`` exactly, sorted by id; the
    selectors of the process's resources asked at once (or noted) share one search: see
    ``_flaky_select``."""
    return (
        batcher(api)
        .selections(selector_queries)
        .select(
            repository_id,
            selector,
            target=target,
            search=lambda query, what: api.search_flaky_tests(query, target=what, brief=True),
        )
    )


def read_states(
    api: TestOptimizationAPI, repository_id: str, test_ids: Iterable[str], *, target: str
) -> States:
    """The state of each test of ``test_ids`` the repository has (others are absent). Ids
    that fit one query go through ``read_tests`` (shared with the process's other lookups);
    more are read by their own queries, ``PARALLEL_SEARCHES`` in flight at all times (the
    next starts as soon as one is answered), as ids and states only (``search_states``):
    20,000 tests as models took ~30 MB. Nothing is cached: a large read's tests are no other
    resource's, and a fresh search is never stale."""
    ids = list(dict.fromkeys(test_ids))
    queries = id_queries(repository_id, ids)
    if len(queries) < 2:
        found = read_tests(api, repository_id, ids, target=target)
        return {test_id: state_of(test) for test_id, test in found.items()}
    wanted = set(ids)
    states: States = {}
    for page in _streamed(lambda query: search_states(api, query, target=target), queries):
        states.update((i, state) for i, state in page.items() if i in wanted)
    return states


def _streamed(work: Callable[[str], T], items: Sequence[str]) -> Iterator[T]:
    """``work(item)`` of every item, in order, ``PARALLEL_SEARCHES`` at a time; on a failure
    the items not started are dropped (the ones in flight finish) and it is raised."""
    pool = ThreadPoolExecutor(max_workers=PARALLEL_SEARCHES, thread_name_prefix="flaky-search")
    try:
        yield from pool.map(work, items)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def captured_value(test: FlakyTest, *, details: bool = False) -> dict[str, Any]:
    """What ``PriorValues`` keeps of a single ``FlakyTestState``'s test: its state (and
    module/suite/name if ``details``). ``FlakyTestStates`` keeps the bare state instead
    (``captured_state``)."""
    value: dict[str, Any] = {"state": state_of(test)}
    if details:
        attrs = test.attributes
        value.update(
            {k: getattr(attrs, k) for k in ("module", "suite", "name") if getattr(attrs, k)}
        )
    return value


def captured_test(test_id: str, value: Any) -> FlakyTest:
    """A test as captured (``captured_value`` or a bare state: ``captured_state``)."""
    from ..models import FlakyTest

    details = value if isinstance(value, Mapping) else {}
    attributes = {k: details.get(k) for k in ("module", "suite", "name") if details.get(k)}
    return FlakyTest.model_validate(
        {"id": test_id, "attributes": {**attributes, "flaky_state": captured_state(value)}}
    )


def state_of(test: FlakyTest) -> FlakyState:
    """A test's state; a test nobody acted on yet may report none, which means ``active``."""
    return test.attributes.flaky_state or "active"


def fqn(test: FlakyTest) -> str:
    """``module.suite.name`` (parts that are empty left out), as the API sorts by it."""
    attrs = test.attributes
    return ".".join(part for part in (attrs.module, attrs.suite, attrs.name) if part)


# ------------------------------------------------------------------------------- update


@dataclass
class _Sent:
    """What sending a set of changes did."""

    changed: list[str] = field(default_factory=list)
    """Tests Datadog reported updated."""
    failed: dict[str, str] = field(default_factory=dict)
    """Test id → error, for every test not reported updated."""
    uncertain: set[str] = field(default_factory=set)
    """Tests that may have been updated anyway (no result, or the call failed ambiguously)."""
    error: DatadogAPIError | None = None
    """The failed call that stopped the run, if any."""
    gone: set[str] = field(default_factory=set)
    """Tests being released that failed because they no longer exist (nothing to restore)."""

    @property
    def attempted(self) -> set[str]:
        return {*self.changed, *self.failed, *self.uncertain}

    def add(self, chunk: Sequence[str], outcome: _Sent | DatadogAPIError) -> None:
        """Take in what sending ``chunk`` did (its results, or the call's error)."""
        if isinstance(outcome, DatadogAPIError):
            # A 4xx (but 408) refuses the request as a whole; anything else may have applied.
            if not _refused(outcome):
                self.uncertain.update(chunk)
            self.error = self.error or outcome
            return
        self.changed.extend(outcome.changed)
        self.failed.update(outcome.failed)
        self.uncertain.update(outcome.uncertain)


def _patch(
    api: TestOptimizationAPI, changes: Mapping[str, FlakyState], *, target: str, limit: int
) -> _Sent | DatadogAPIError:
    """One bulk PATCH (shared with concurrent small ones, ``limit`` tests at most — the
    chunk size: ``_flaky_batch``): each test's outcome, or the error of the call."""
    sent = _Sent()
    try:
        response = batcher(api).write(
            changes,
            target=target,
            patch=lambda merged, what: api.update_flaky_test_states(merged, target=what),
            limit=limit,
        )
    except DatadogAPIError as exc:
        return exc
    attrs = response.data.attributes
    results = {r.id: r for r in attrs.results if r.id in changes}
    if attrs.has_errors and all(r.success for r in results.values()):
        # Contradictory answer: trust no test of this call.
        sent.uncertain.update(changes)
        sent.failed.update(
            dict.fromkeys(changes, "Datadog reported has_errors without naming a failed test")
        )
        return sent
    for test_id in changes:
        result = results.get(test_id)
        if result is None:
            sent.uncertain.add(test_id)
            sent.failed[test_id] = "Datadog returned no result for this test"
        elif result.success:
            sent.changed.append(test_id)
        else:
            sent.failed[test_id] = result.error or "no error text"
    return sent


Exists = Callable[[list[str]], set[str]]
"""Given test ids, the ones the repository still has (one batched search)."""


def _send(
    api: TestOptimizationAPI,
    changes: Mapping[str, FlakyState],
    chunk_size: int,
    *,
    target: str,
    releasing: Collection[str] = (),
    exists: Exists | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> _Sent:
    """Send ``changes`` in chunks, ``PARALLEL_WRITES`` in flight at all times (the next chunk
    starts as soon as one is answered; chunks under ``COALESCE_MAX`` tests one at a time),
    none started once a chunk failed (the chunks in flight are answered first, so a roll-back
    sees every outcome). A failed test in ``releasing`` that ``exists`` says is gone is not a
    failure: there is nothing left to restore. ``meanwhile`` runs once on this thread while
    the first chunks are in flight (only when several chunks go out at once; an exception
    from it is dropped: its caller finds its work not done)."""
    sent = _Sent()
    checked: set[str] = set()

    def failed() -> bool:
        """Whether the run must stop (after ruling out released tests that are gone)."""
        if sent.error is not None:
            return True
        suspects = [
            i
            for i in sent.failed
            if i in releasing and i not in sent.uncertain and i not in checked
        ]
        if suspects and exists is not None:
            checked.update(suspects)
            present = exists(suspects)
            for test_id in suspects:
                if test_id not in present:
                    sent.gone.add(test_id)
                    del sent.failed[test_id]
        return bool(sent.failed)

    def one(chunk: Sequence[str]) -> _Sent | DatadogAPIError:
        return _patch(api, {i: changes[i] for i in chunk}, target=target, limit=chunk_size)

    chunks = list(chunked(sorted(changes), chunk_size))
    # Chunks small enough to be coalesced (``_flaky_batch``) go one at a time: sent together
    # they would be merged into one PATCH larger than the chunk size.
    if chunk_size < COALESCE_MAX or len(chunks) == 1:
        for chunk in chunks:
            sent.add(chunk, one(chunk))
            if failed():
                break
        return sent
    queue = iter(chunks)
    with ThreadPoolExecutor(max_workers=PARALLEL_WRITES, thread_name_prefix="flaky-patch") as pool:
        in_flight: dict[Future[_Sent | DatadogAPIError], Sequence[str]] = {}
        stopped = False
        while True:
            while not stopped and len(in_flight) < PARALLEL_WRITES:
                following = next(queue, None)
                if following is None:
                    break
                in_flight[pool.submit(one, following)] = following
            if not in_flight:
                return sent
            if meanwhile is not None:
                with contextlib.suppress(Exception):
                    meanwhile()
                meanwhile = None
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                sent.add(in_flight.pop(future), future.result())
            stopped = stopped or failed()


def _refused(error: DatadogAPIError) -> bool:
    """Whether Datadog answered that it did not act on the request at all."""
    return error.status is not None and 400 <= error.status < 500 and error.status != 408


def apply_all_or_nothing(
    api: TestOptimizationAPI,
    changes: Mapping[str, FlakyState],
    before: Mapping[str, FlakyState],
    *,
    target: str,
    chunk_size: int | None = None,
    releasing: Collection[str] = (),
    exists: Exists | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> set[str]:
    """Set every test in ``changes`` to its state, or none of them.

    ``before`` holds each test's current state, used to roll back. Raises
    ``FlakyUpdateError`` (per-test failures) or the ``DatadogAPIError`` of a failed call,
    after rolling back; the message then says what was rolled back. Tests in ``releasing``
    (set back to their state from before Pulumi) that ``exists`` finds deleted are skipped;
    their ids are returned. ``meanwhile``: work for this thread while the first chunks are
    in flight (``_send``).
    """
    if not changes:
        return set()
    size = chunk_size or api.settings.flaky_bulk_chunk_size
    sent = _send(
        api,
        changes,
        size,
        target=target,
        releasing=releasing,
        exists=exists,
        meanwhile=meanwhile,
    )
    if not sent.failed and sent.error is None:
        if sent.gone:
            logger.info("%s: %d released tests no longer exist", target, len(sent.gone))
        return sent.gone
    undo = {i: before[i] for i in sorted({*sent.changed, *sent.uncertain}) if i in before}
    rollback_failed: dict[str, str] = {}
    if undo:
        logger.info("rolling back %d flaky-test state changes of %s", len(undo), target)
        back = _send(api, undo, size, target=target)
        rollback_failed.update(back.failed)
        if back.error is not None:
            for test_id in undo:
                if test_id not in back.changed:
                    rollback_failed.setdefault(test_id, str(back.error))
    not_sent = len(changes) - len(sent.attempted)
    message = _failure_message(
        target, len(changes), sent.failed, sent.error, undo, rollback_failed, not_sent
    )
    if sent.error is not None and not sent.failed:
        raise sent.error.with_message(message) from sent.error
    raise FlakyUpdateError(message, sent.failed, rollback_failed)


def _by_error(errors: Mapping[str, str]) -> str:
    """``error: id, id; error: id`` — every test named once, grouped by its error text."""
    groups: dict[str, list[str]] = defaultdict(list)
    for test_id, text in sorted(errors.items()):
        groups[text].append(test_id)
    return "; ".join(f"{', '.join(ids)} ({text})" for text, ids in groups.items())


def _failure_message(
    target: str,
    total: int,
    failed: Mapping[str, str],
    error: DatadogAPIError | None,
    undone: Mapping[str, str],
    rollback_failed: Mapping[str, str],
    not_sent: int,
) -> str:
    if failed:
        what = f"{len(failed)} of {total} flaky tests could not be updated: {_by_error(failed)}"
    else:
        what = f"updating {total} flaky tests failed: {error}"
    parts = [f"{target}: {what}"]
    if not_sent > 0:
        parts.append(f"{not_sent} tests were not sent")
    rolled_back = len(undone) - len(rollback_failed)
    if rollback_failed:
        parts.append(
            f"{rolled_back} of the {len(undone)} tests this operation had already changed were "
            f"set back, but setting back failed for {_by_error(rollback_failed)} — those tests "
            "are not in the state Pulumi records: set them in Datadog by hand, then run "
            "`pulumi refresh`"
        )
        return "; ".join(parts)
    if undone:
        parts.append(
            f"the {rolled_back} tests this operation had already changed were set back, so no "
            "test changed"
        )
    else:
        parts.append("no test changed")
    parts.append("fix or drop the failing tests and run `pulumi up` again")
    return "; ".join(parts)


# ----------------------------------------------------------------------- managed sets


@dataclass
class Managed:
    """The tests a resource manages: each one's state before Pulumi managed it
    (``previous``) and its last known state (``current``)."""

    previous: States = field(default_factory=dict)
    current: States = field(default_factory=dict)


def reconcile(
    api: TestOptimizationAPI,
    repository_id: str,
    old: Managed,
    desired: Mapping[str, FlakyState],
    *,
    target: str,
    known: Mapping[str, FlakyTest] | None = None,
    captured: Mapping[str, Any] | None = None,
    meanwhile: Callable[[Managed], None] | None = None,
) -> Managed:
    """Move from ``old`` to managing exactly ``desired`` (all or nothing).

    Tests new to the set are read first (batched search; their state becomes their
    ``previous``) — ids the repository does not have are an error before anything is
    written. Tests leaving the set are set back to their ``previous`` state (one that no
    longer exists is simply dropped). Only tests whose state changes are sent. ``known``
    holds tests the caller already read; ``captured`` the prior values saved in state before
    any write (``PriorValues``): those tests are not read again (unless captured as already in
    their desired state, see below), and their captured state is both their ``previous`` and
    the state a failure sets them back to. ``meanwhile(result)`` gets the result this
    returns if every change is applied, to work on while the first ``PATCH`` calls are in
    flight (a large set's outputs; it may not be called: see ``_send``).
    """
    new_ids = [i for i in desired if i not in old.previous]
    # Each new test's state before this write (states only: no model per test).
    found: States = {i: captured_state(captured[i]) for i in new_ids if captured and i in captured}
    # Tests captured as already in their desired state are not sent, so the server still shows
    # their state from before this write: read them again (one search, only when there are
    # such tests). A capture taken after Pulumi's own write said so wrongly (a resource moved
    # between the ledger and a sibling, then deleted alone, which put the state back).
    settled = [i for i, state in found.items() if state == desired[i]]
    if settled:
        now = read_states(api, repository_id, settled, target=target)
        found.update({i: now[i] for i in settled if i in now and now[i] != desired[i]})
    found.update(
        {i: state_of(known[i]) for i in new_ids if known and i in known and i not in found}
    )
    missing_reads = [i for i in new_ids if i not in found]
    if missing_reads:
        found.update(read_states(api, repository_id, missing_reads, target=target))
    missing = [i for i in new_ids if i not in found]
    if missing:
        raise FlakyTestsNotFoundError(
            f"{target}: {len(missing)} test id(s) not found among the flaky tests of repository "
            f"{repository_id!r}: {', '.join(sorted(missing))}; check the ids (they are the `id` "
            "of the flaky tests search, 16 hex characters) and repository_id — nothing was "
            "changed",
            missing,
        )
    fresh: States = {i: found[i] for i in new_ids}
    del found
    # (no copies when nothing was managed before: a create of 20,000 tests holds each of
    # these maps at once, in the hook that builds the outputs)
    current: States = {**old.current, **fresh} if old.current else fresh
    previous: States = {**old.previous, **fresh} if old.previous else fresh
    released = old.previous.keys() - desired.keys()
    handed_over = claimed(repository_id, released) if released else set()
    if handed_over:  # another resource of the stack manages them now: it restores them
        released -= handed_over
        _log_handed_over(target, handed_over)
    target_states: Mapping[str, FlakyState] = (
        {**{i: old.previous[i] for i in released}, **desired} if released else desired
    )
    changes = {i: s for i, s in target_states.items() if current.get(i) != s}

    def exists(ids: list[str]) -> set[str]:
        return set(read_states(api, repository_id, ids, target=target))

    result = Managed(previous={i: previous[i] for i in desired}, current=dict(desired))
    apply_all_or_nothing(
        api,
        changes,
        current,
        target=target,
        releasing=released,
        exists=exists,
        meanwhile=None if meanwhile is None else lambda: meanwhile(result),
    )
    if desired:
        claim(repository_id, desired)
    return result


def _log_handed_over(target: str, test_ids: Collection[str]) -> None:
    shown = ", ".join(sorted(test_ids)[:5]) + (
        f" and {len(test_ids) - 5} more" if len(test_ids) > 5 else ""
    )
    pulumi.log.info(
        f"{target}: not setting back {len(test_ids)} test(s) ({shown}): another resource of "
        "this stack took them over in this update (a rename or move) and manages them now"
    )


# ------------------------------------------------------------------- provider pieces


_TEST_ID: Final = re.compile(r"[A-Za-z0-9_-]+")
"""A flaky-test id: ASCII letters and digits, ``-`` and ``_`` (one regex match per id: a
20,000-test set is checked at check, create and capture)."""


def check_test_ids(ids: Iterable[str]) -> None:
    """Reject ids that cannot be flaky-test ids (they are embedded in search queries)."""
    bad = [repr(i) for i in ids if not _TEST_ID.fullmatch(i)]
    if bad:
        raise ValueError(
            f"not a flaky test id: {', '.join(bad[:5])}; expected the `id` the flaky tests search "
            "returns (letters, digits, '-' or '_', e.g. 4eb1887a8adb1847)"
        )


class FlakyProvider(DatadogResourceProvider):
    """Base of the ``FlakyTestState``/``FlakyTestStates`` providers: ``check`` validates
    ``INPUTS`` (outputs ignored) and adds the resource's own form rules."""

    INPUTS: ClassVar[type[BaseModel]]
    OUTPUTS: ClassVar[tuple[str, ...]]
    KIND: ClassVar[str]
    """The resource kind (``ResourceKind``), for its prior values."""

    def form_failures(self, props: Mapping[str, Any]) -> list[CheckFailure]:
        """Rules across properties (which of the alternative forms is used)."""
        return []

    def inputs_model(self) -> type[BaseModel]:
        """The model ``check`` validates with (``INPUTS``)."""
        return self.INPUTS

    def unchanged(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> CheckResult | None:
        """``check``'s result for inputs that did not change, without validating them again
        (``_check.unchanged``; ``olds``/``news`` without outputs and ``__priors``); ``None``
        (validate) unless a provider's tests prove its check idempotent and it overrides
        this."""
        return None

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        ignore = (*self.OUTPUTS, PRIORS_KEY)
        result = (
            self.unchanged(
                {k: v for k, v in strip_provider(olds).items() if k not in ignore},
                {k: v for k, v in strip_provider(news).items() if k not in ignore},
            )
            or check_inputs(self.inputs_model(), news, ignore=ignore)[1]
        )
        result.failures.extend(self.form_failures(result.inputs))
        if PRIORS_KEY in news:
            result.inputs[PRIORS_KEY] = news[PRIORS_KEY]
            keep_captured(self.KIND, olds, result.inputs)
        return result

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """A delete-first replace when ``repository_id`` changes, else ``diff_tests``."""
        news = strip_provider(news)
        if replace := repository_replace(olds, news):
            return replace
        return self.diff_tests(olds, news)

    def diff_tests(self, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """The diff within one repository (``news`` without the provider entry)."""
        raise NotImplementedError


def declared(props: Mapping[str, Any], outputs: Collection[str]) -> dict[str, Any]:
    """The inputs in ``props``: no provider entry, no computed ``outputs``, no ``None``."""
    return {
        k: v
        for k, v in strip_provider(props).items()
        if k not in outputs and k != PRIORS_KEY and v is not None
    }


def repository_replace(olds: Mapping[str, Any], news: Mapping[str, Any]) -> DiffResult | None:
    """A replace when ``repository_id`` changes (or is unknown), deleting first: bulk PATCHes
    are not scoped by repository, so the old tests are released before any is managed anew."""
    if news.get("repository_id") != olds.get("repository_id"):
        return DiffResult(changes=True, replaces=["repository_id"], delete_before_replace=True)
    return None


# ------------------------------------------------------------------------ outputs


def managed_of(outs: Mapping[str, Any], previous_key: str, current_key: str) -> Managed:
    """The ``Managed`` set recorded in a resource's outputs."""
    return Managed(states_map(outs.get(previous_key)), states_map(outs.get(current_key)))
