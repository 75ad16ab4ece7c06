"""Reads a refresh is about to make, started before the engine asks for them.

A refresh reads every resource once, and the engine sends at most ``--parallel`` hooks at a
time (8 on a 2-core machine). ``ServiceSettings`` and ``FlakyTestPolicies`` have no batch
read — one get per object, as a hand-written script makes too — so a refresh of 250
settings against an API answering in 50 ms waits at least 250 × 50 ms / 8 ≈ 1.6 s for them,
however little the engine itself has to do.

The stack's ledger (``prior_values``) names every object its resources manage. When a refresh
reads it and reads at least one resource of a kind, the gets of every object of that kind the
ledger names start at once, ``workers`` at a time, beside the engine's own hooks; each
resource's read then takes its object's answer (waiting for it if it is still on its way)
instead of making the call itself. The calls are the same — one per object — only earlier.

Rules that keep it exact:

- A read whose object's get is still queued makes it itself at once (and the queued one is
  dropped): the engine reads in its own order, not the ledger's, and would otherwise wait
  for the gets queued before it while its ``--parallel`` slots stay busy.
- Only a ``read`` hook takes an answer (``take``), and only once; a create, update or delete
  always calls the API itself, and drops the object's answer (``forget``), so an answer is
  never used after a write by this process to that object. An answer older than
  ``MAX_AGE_S`` is not used.
- Nothing starts for a kind until a read of that kind arrives: a refresh of other resources
  (``--target``) reads no object it does not refresh.
- A get that failed for any reason but "not found" is not reused: the resource's read calls
  again, so its error (with its retries) is reported on the resource as before.

It lives as long as the provider process, i.e. one Pulumi operation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

from ..errors import NotFoundError

__all__ = ["MAX_AGE_S", "READ_AHEAD_KINDS", "WORKERS", "ReadAhead", "learn", "read_ahead", "reset"]

WORKERS: Final = 16
"""Gets run ahead at once (at most a quarter of ``maxConcurrency``, at least one)."""
MAX_AGE_S: Final = 60.0
"""An answer older than this is not used (the read calls again)."""

Fetch = Callable[[Any], Any]
"""The get of one object, by the identity the ledger gives it."""


@dataclass
class _Answer:
    future: Future[Any]
    started: float


@dataclass
class _Kind:
    """What is known of one kind: the objects the ledger named whose gets have not started
    (in the ledger's order), the objects whose get started or that are read, written or
    run ahead already (never got ahead again), whether a read of the kind arrived (with the
    get to run ahead), and the answers not taken yet."""

    waiting: dict[Hashable, None] = field(default_factory=dict)
    fetch: Fetch | None = None
    started: set[Hashable] = field(default_factory=set)
    answers: dict[Hashable, _Answer] = field(default_factory=dict)

    def claim(self, identity: Hashable) -> None:
        """``identity`` is read or written by a hook now: no get runs ahead for it."""
        self.started.add(identity)
        self.waiting.pop(identity, None)


class ReadAhead:
    """The process's reads run ahead, per kind (see the module docstring)."""

    def __init__(self, workers: int = WORKERS, clock: Callable[[], float] = time.monotonic) -> None:
        self._workers = max(1, workers)
        self._clock = clock
        self._lock = threading.Lock()
        self._kinds: dict[str, _Kind] = {}
        self._pool: ThreadPoolExecutor | None = None

    def learn(self, kind: str, identities: Iterable[Hashable]) -> None:
        """The objects of ``kind`` the ledger names; their gets start if a read of the kind
        has arrived."""
        with self._lock:
            entry = self._kinds.setdefault(kind, _Kind())
            entry.waiting.update((i, None) for i in identities if i not in entry.started)
            self._start_locked(entry)

    def take(self, kind: str, identity: Hashable, fetch: Fetch) -> Any:
        """The answer of ``fetch(identity)`` for a resource's read: taken from the gets run
        ahead when there is one (started, fresh, not failed), else fetched now. A read of
        ``kind`` starts the gets of every object of the kind the ledger named."""
        with self._lock:
            entry = self._kinds.setdefault(kind, _Kind())
            entry.fetch = fetch
            answer = entry.answers.pop(identity, None)
            entry.claim(identity)  # a later read of it calls itself
            self._start_locked(entry)
        if answer is not None and self._clock() - answer.started <= MAX_AGE_S:
            if answer.future.cancel():  # its get has not started: make it now, not in turn
                return fetch(identity)
            error = answer.future.exception()
            if error is None:
                return answer.future.result()
            if isinstance(error, NotFoundError):
                raise error
            # Any other failure: the read calls again (its own retries, its own error).
        return fetch(identity)

    def forget(self, kind: str, identity: Hashable) -> None:
        """A write to the object is about to be made: its answer (if any) is never used."""
        with self._lock:
            entry = self._kinds.get(kind)
            if entry is not None:
                entry.answers.pop(identity, None)
                entry.claim(identity)

    def pending(self, kind: str) -> int:
        """Answers of ``kind`` run ahead and not taken yet."""
        with self._lock:
            entry = self._kinds.get(kind)
            return 0 if entry is None else len(entry.answers)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            self._kinds.clear()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _start_locked(self, entry: _Kind) -> None:
        fetch = entry.fetch
        if fetch is None or not entry.waiting:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="read-ahead")
        for identity in entry.waiting:
            entry.started.add(identity)
            entry.answers[identity] = _Answer(self._pool.submit(fetch, identity), self._clock())
        entry.waiting.clear()


READ_AHEAD_KINDS: Final = frozenset({"ServiceSettings", "FlakyTestPolicies"})
"""The kinds read one object per get (flaky tests are searched in batches: ``_flaky_batch``)."""

_LOCK = threading.Lock()
_READ_AHEAD: ReadAhead | None = None


def read_ahead() -> ReadAhead:
    """The process's ``ReadAhead``, made on first use with a quarter of ``maxConcurrency``
    workers (at most ``WORKERS``, at least one)."""
    global _READ_AHEAD
    with _LOCK:
        if _READ_AHEAD is None:
            _READ_AHEAD = ReadAhead(min(WORKERS, _max_concurrency() // 4))
        return _READ_AHEAD


def _max_concurrency() -> int:
    from ..errors import DatadogConfigError
    from ._process import shared_settings

    try:
        return shared_settings().max_concurrency
    except DatadogConfigError:  # the reads themselves will report it
        return 4 * WORKERS


def learn(entries: Iterable[tuple[str, Hashable]]) -> None:
    """The objects the ledger names, as ``(kind, identity)`` (kinds that are not read one
    object per get are ignored)."""
    by_kind: dict[str, list[Hashable]] = {}
    for kind, identity in entries:
        if kind in READ_AHEAD_KINDS:
            by_kind.setdefault(kind, []).append(identity)
    if by_kind:
        ahead = read_ahead()
        for kind, identities in by_kind.items():
            ahead.learn(kind, identities)


def reset() -> None:
    """Forget everything (tests: a fresh process)."""
    global _READ_AHEAD
    with _LOCK:
        current, _READ_AHEAD = _READ_AHEAD, None
    if current is not None:
        current.close()
