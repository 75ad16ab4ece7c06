"""The fewest Datadog API calls each phase can make, and the time those calls must add.

Per resource and phase (the resources' documented minimum, ``docs/resources/*.md``):

| kind              | create                       | refresh | one-field up | destroy          |
|-------------------|------------------------------|---------|--------------|------------------|
| ServiceSettings   | 2: read the values to restore, PATCH | 1 (POST get) | 1 PATCH | 1 (PATCH restore or DELETE) |
| FlakyTestState    | 2: search (previous state), bulk PATCH | 1 search | 1 PATCH | 1 PATCH (restore) |
| FlakyTestStates   | search batches + PATCH chunks | search batches | 1 PATCH | PATCH chunks |
| FlakyTestPolicies | 2: read the policies to restore, PATCH | 1 (POST get) | 1 PATCH | 1 PATCH (restore) |
| SyntheticsSuite   | 1 POST                       | 1 GET   | 1 JSON Patch | 1 bulk-delete |

A no-change ``preview`` makes no call at all. Flaky-test writes are batched: one bulk
``PATCH`` per ``flakyBulkChunkSize`` (1,000) tests. Reads too: one search can return 1,000
tests (the API's page limit), but the resources cap a search query at 8,000 characters
(``_flaky.MAX_QUERY_CHARS``, ~390 ids), so their documented minimum is one search per
~390 tests; ``bulk_minimum`` takes the number of searches that cap allows.

**The batched hand minimum** (``hand_minimum``) is what the hand-written script
(``hand.py``) does with the same changes: the per-resource calls of service settings,
policies and suites (all suites deleted in one bulk delete), and the flaky tests of *all*
resources read and written together — one search per ``MAX_QUERY_CHARS`` query and one bulk
``PATCH`` per ``HAND_CHUNK`` tests.

The time the calls must add: the dynamic-provider server runs at most ``PROVIDER_WORKERS``
provider calls at once and each resource's calls within one hook are sequential, so with a
fixed per-request latency ``L`` a phase needs at least
``max(total_calls / PROVIDER_WORKERS, longest_chain) * L`` on top of the engine floor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from .shape import TESTS_PER_SET, Kind

__all__ = [
    "HAND_CHUNK",
    "MAX_QUERY_CHARS",
    "PHASES",
    "PROVIDER_WORKERS",
    "Minimum",
    "Phase",
    "bulk_minimum",
    "flaky_queries",
    "hand_bulk_minimum",
    "hand_minimum",
    "hook_calls",
    "phase_minimum",
]

Phase = Literal["create", "preview", "refresh", "update", "destroy"]
PHASES: Final[tuple[Phase, ...]] = ("create", "preview", "refresh", "update", "destroy")
PROVIDER_WORKERS: Final = 4
"""Concurrent provider calls the SDK's dynamic-provider server allows (``max_workers=4``)."""
CHUNK_SIZE: Final = 1000
"""``datadog-testing:flakyBulkChunkSize`` default: tests per bulk PATCH."""
IDS_PER_SEARCH: Final = 1000
"""Tests one search can return (the API's largest ``page.limit``): the ideal batching."""
HAND_CHUNK: Final = 1000
"""Tests per bulk ``PATCH`` of the hand-written script: the most the emulator accepts by
default (the API documents no maximum)."""
MAX_QUERY_CHARS: Final = 8000
"""Longest search query either side sends (``_flaky.MAX_QUERY_CHARS``)."""


@dataclass(frozen=True)
class Minimum:
    """The fewest calls of one phase and the least time they add at ``latency_s`` each."""

    calls: int
    longest_chain: int

    def added_seconds(self, latency_s: float) -> float:
        return max(self.calls / PROVIDER_WORKERS, self.longest_chain) * latency_s


def _flaky_batches(tests: int, per: int) -> int:
    return math.ceil(tests / per) if tests else 0


def hook_calls(kind: Kind, phase: Phase, tests: int = TESTS_PER_SET) -> int:
    """The fewest calls one resource of ``kind`` makes in ``phase`` (``tests``: how many
    tests a ``FlakyTestStates`` manages)."""
    if phase == "preview":
        return 0
    if phase in ("refresh", "update"):
        if kind == Kind.FLAKY_TEST_STATES and phase == "refresh":
            return _flaky_batches(tests, IDS_PER_SEARCH)
        return 1
    if kind == Kind.FLAKY_TEST_STATES:
        writes = _flaky_batches(tests, CHUNK_SIZE)
        return writes if phase == "destroy" else _flaky_batches(tests, IDS_PER_SEARCH) + writes
    if phase == "destroy":
        return 1
    return 1 if kind == Kind.SYNTHETICS_SUITE else 2


def phase_minimum(kinds_in_stack: Sequence[Kind], phase: Phase) -> Minimum:
    """Minimum of ``phase`` for a stack holding one resource per entry of ``kinds_in_stack``.
    The one-field ``update`` changes a single resource: one call."""
    if phase == "update":
        return Minimum(1, 1)
    per = [hook_calls(kind, phase) for kind in kinds_in_stack]
    return Minimum(sum(per), max(per, default=0))


def bulk_minimum(
    tests: int, phase: Literal["create", "destroy"], searches: int | None = None
) -> dict[str, int]:
    """Fewest calls of a ``FlakyTestStates`` of ``tests`` changes, by method: searches
    (``POST``, create only; ``searches``: the documented count, default the page-limit
    ideal) and bulk writes (``PATCH``)."""
    out = {"PATCH": _flaky_batches(tests, CHUNK_SIZE)}
    if phase == "create":
        out["POST"] = searches if searches is not None else _flaky_batches(tests, IDS_PER_SEARCH)
    return out


def flaky_queries(repository: str, ids: Sequence[str]) -> list[str]:
    """Queries selecting ``ids`` in ``repository``, each at most ``MAX_QUERY_CHARS`` long."""
    head = f'@git.repository.id_v2:"{repository}" fingerprint_fqn:('
    queries: list[str] = []
    batch: list[str] = []
    length = len(head) + 1
    for test_id in ids:
        extra = len(test_id) + (4 if batch else 0)
        if batch and length + extra > MAX_QUERY_CHARS:
            queries.append(head + " OR ".join(batch) + ")")
            batch, length, extra = [], len(head) + 1, len(test_id)
        batch.append(test_id)
        length += extra
    if batch:
        queries.append(head + " OR ".join(batch) + ")")
    return queries


def _searches(tests: int) -> int:
    """Searches reading ``tests`` 16-character ids of one repository."""
    from .shape import REPOSITORY, fake_test_ids

    return len(flaky_queries(REPOSITORY, fake_test_ids(tests))) if tests else 0


def hand_minimum(kinds_in_stack: Sequence[Kind], phase: Phase) -> int:
    """Calls of the hand-written script for ``phase`` of a stack holding one resource per
    entry of ``kinds_in_stack`` (``update``: the one changed resource, one call)."""
    if phase == "preview":
        return 0
    if phase == "update":
        return 1
    tests = sum(
        1 if k == Kind.FLAKY_TEST_STATE else TESTS_PER_SET if k == Kind.FLAKY_TEST_STATES else 0
        for k in kinds_in_stack
    )
    each = sum(1 for k in kinds_in_stack if k in (Kind.SERVICE_SETTINGS, Kind.FLAKY_TEST_POLICIES))
    suites = sum(1 for k in kinds_in_stack if k == Kind.SYNTHETICS_SUITE)
    writes = _flaky_batches(tests, HAND_CHUNK)
    if phase == "create":
        return 2 * each + suites + _searches(tests) + writes
    if phase == "refresh":
        return each + suites + _searches(tests)
    return each + min(suites, 1) + writes  # destroy: one bulk delete for every suite


def hand_bulk_minimum(tests: int, phase: Literal["create", "destroy"]) -> dict[str, int]:
    """Calls of the hand-written script for the bulk scenario, by method."""
    out = {"PATCH": _flaky_batches(tests, HAND_CHUNK)}
    if phase == "create":
        out["POST"] = _searches(tests)
    return out
