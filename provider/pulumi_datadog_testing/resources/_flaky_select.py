"""Flaky tests chosen by module/suite/name, resolved together.

A ``FlakyTestState`` given a selector instead of a test id is found by a search. One search
per resource made N selector resources cost N searches at ``up`` (the ledger's capture
resolves each, 8 at a time). ``Selections`` resolves the selectors of one repository that
are asked at the same time — and those announced beforehand (``note``: the ledger names its
entries before it captures them, ``check`` names a new resource's) — with one search: the
repository clause and the selectors OR'd, ``((@test.module:"a" @test.name:"b") OR (…))``,
each query within the query cap, several at once (``run_searches``). A selector's
answer is the ids of the tests that match it exactly (case-sensitive, every part given);
the tests themselves go into the batcher's read-through cache, so the resource gets them
from there — or, for one this process has written since, from a new read by id
(``FlakyBatcher.tests``): an answer's ids are reused for ``MAX_AGE_S``, a test's state
never across a write. A failed search fails the resource that made it; the others whose
selectors it carried search again on their own, so an error lands on the resource it
concerns.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ._flaky_batch import MAX_AGE_S, FlakyBatcher, RepositoryNotes, Search, run_searches

if TYPE_CHECKING:
    from ..models import FlakyTest

__all__ = [
    "MAX_SELECTORS_PER_QUERY",
    "Selections",
    "Selector",
    "SelectorQueries",
    "matches",
    "note",
    "noted",
    "reset",
    "selector_of",
]

Selector = tuple[tuple[str, str], ...]
"""A test selector: its ``(part, value)`` pairs (``module``/``suite``/``name``), sorted."""
SelectorQueries = Callable[[str, Sequence[Selector]], list[tuple[str, list[Selector]]]]
"""``(repository, selectors)`` → search queries, each with the selectors it covers."""

MAX_SELECTORS_PER_QUERY: Final = 100
"""Selectors OR'd in one query at most (beside the character cap): 100 selectors of three
parts are ~300 terms, well inside what log-search style parsers take (the emulator: 512)."""


def selector_of(parts: Mapping[str, str | None]) -> Selector:
    """The selector of the parts given (``None`` parts are not part of it)."""
    return tuple(sorted((part, value) for part, value in parts.items() if value is not None))


def matches(test: FlakyTest, selector: Selector) -> bool:
    """Whether ``test`` has every part of ``selector`` (exact, case-sensitive)."""
    return all(getattr(test.attributes, part) == value for part, value in selector)


@dataclass(frozen=True)
class _Answer:
    read_at: float
    ids: tuple[str, ...]


@dataclass
class _Repository:
    answers: dict[Selector, _Answer] = field(default_factory=dict)
    searching: bool = False


class Selections:
    """Selector lookups of one process's batcher (see the module docstring); thread-safe."""

    def __init__(
        self,
        batcher: FlakyBatcher,
        queries: SelectorQueries,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._batcher = batcher
        self._queries = queries
        self._clock = clock
        self._lock = threading.Condition()
        self._repos: dict[str, _Repository] = {}

    def select(
        self, repository_id: str, selector: Selector, *, target: str, search: Search
    ) -> list[FlakyTest]:
        """The flaky tests of the repository that match ``selector`` exactly, sorted by id,
        found by a search shared with the selectors asked at the same time or noted."""
        note(repository_id, [selector])
        with self._lock:
            repo = self._repos.setdefault(repository_id, _Repository())
        while True:
            with self._lock:
                answer = self._fresh(repo, selector)
                if answer is not None:
                    break
                if repo.searching:
                    self._lock.wait()
                    continue
                repo.searching = True
                asked = [selector] + [
                    s for s in noted(repository_id) if s != selector and not self._fresh(repo, s)
                ]
            try:
                self._search(repo, repository_id, asked, target, search)
            except BaseException:
                unnote(repository_id, asked)  # the others search again, each on its own
                raise
            finally:
                with self._lock:
                    repo.searching = False
                    self._lock.notify_all()
        unnote(repository_id, [selector])  # answered (perhaps by an earlier search)
        return self._batcher.tests(repository_id, answer.ids, target=target, search=search)

    def _fresh(self, repo: _Repository, selector: Selector) -> _Answer | None:
        answer = repo.answers.get(selector)
        if answer is None or answer.read_at < self._clock() - MAX_AGE_S:
            return None
        return answer

    def _search(
        self,
        repo: _Repository,
        repository_id: str,
        asked: list[Selector],
        target: str,
        search: Search,
    ) -> None:
        """Search ``asked`` (the caller's own first) and record each selector's answer."""
        started = self._clock()
        queries = self._queries(repository_id, asked)
        found = run_searches([query for query, _ in queries], search, target)
        self._batcher.remember(repository_id, itertools.chain.from_iterable(found), started)
        # An answer counts from when its search ended: one that outlasts MAX_AGE_S (pages,
        # retries) would otherwise be stale on arrival and searched again, without end. The
        # tests' states still count from ``started`` (the batcher reads them again if old).
        ended = self._clock()
        with self._lock:
            for (_, covered), tests in zip(queries, found, strict=True):
                for selector in covered:
                    ids = sorted(t.id for t in tests if matches(t, selector))
                    repo.answers[selector] = _Answer(ended, tuple(ids))
        unnote(repository_id, asked)


_NOTED: Final = RepositoryNotes[Selector]()
"""repository → selectors resources of this process will resolve, not searched yet."""


def note(repository_id: str, selectors: Iterable[Selector]) -> None:
    """Remember that a resource of this process will resolve ``selectors``: the next
    selector search of the repository carries them too."""
    _NOTED.add(repository_id, selectors)


def noted(repository_id: str) -> list[Selector]:
    """The selectors noted for the repository and not searched yet, in order."""
    return _NOTED.of(repository_id)


def unnote(repository_id: str, selectors: Iterable[Selector]) -> None:
    _NOTED.drop(repository_id, selectors)


def reset() -> None:
    """Forget every noted selector (tests: a fresh process; answers go with the batcher)."""
    _NOTED.clear()
