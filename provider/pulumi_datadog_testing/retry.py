"""When and how long to wait before retrying a Datadog request (``pacing.py`` keeps calls
within the rate limit in the first place; a 429 it paces is retried without using a retry).

Mirrors the official client's choices (retry 408, 429, 500–507 and 509–512; on 429 wait
``X-RateLimit-Reset`` seconds) and adds what it lacks: jitter, a bound on total time as well
as attempts, and transport errors. Whether an outcome may be retried at all (idempotency)
is the client's decision; this module only schedules. The loop is tenacity's ``Retrying``
with an injectable ``Clock`` so tests never sleep.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import tenacity

from ._httpx import httpx

__all__ = [
    "RETRYABLE_STATUSES",
    "UNPROCESSED_STATUSES",
    "Clock",
    "RetryPolicy",
    "Retryable",
    "SystemClock",
]

RETRYABLE_STATUSES = frozenset({408, 429, *range(500, 508), *range(509, 513)})
"""Statuses retried (as the official client): 408, 429, 500–507, 509–512."""

UNPROCESSED_STATUSES = frozenset({408, 429})
"""Statuses that mean the server did not act on the request: safe to repeat any request."""


class Clock(Protocol):
    """Time source of the retry loop; tests pass a fake that records sleeps."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class Retryable(Exception):
    """One failed attempt that may be retried: a retryable response, or a transport error."""

    def __init__(self, *, response: httpx.Response | None = None, error: Exception | None = None):
        super().__init__(f"status {response.status_code}" if response is not None else repr(error))
        self.response = response
        self.error = error


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds and backoff of one request's retries.

    ``max_retries`` retries after the first attempt; no retry starts if it would begin more
    than ``timeout`` seconds after the first attempt started. Backoff is exponential
    (``backoff_base * 2**(n-1)``, capped at ``backoff_max``) with equal jitter; a 429 waits
    the ``X-RateLimit-Reset`` (or ``Retry-After``) seconds plus up to ``rate_limit_jitter``.
    """

    max_retries: int = 3
    timeout: float = 60.0
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    rate_limit_jitter: float = 1.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based) without server guidance."""
        delay = min(self.backoff_max, self.backoff_base * 2 ** (retry - 1))
        return self.rng.uniform(delay / 2, delay)

    def rate_limit_wait(self, headers: httpx.Headers, *, rate_limited: bool = True) -> float | None:
        """Seconds the server asked us to wait (``x-ratelimit-reset``/``retry-after``), jittered.

        ``x-ratelimit-reset`` counts only when ``rate_limited`` (a 429): Datadog sends the
        rate-limit headers on every answer, and elsewhere the reset is merely the time left
        in the window (up to its whole period), not a reason to wait."""
        names = ("x-ratelimit-reset", "retry-after") if rate_limited else ("retry-after",)
        for name in names:
            raw = headers.get(name)
            if raw is None:
                continue
            try:
                seconds = float(raw.strip())
            except ValueError:
                continue  # e.g. an HTTP-date Retry-After: fall back to backoff
            return max(0.0, seconds) + self.rng.uniform(0, self.rate_limit_jitter)
        return None

    def wait_after(self, retry: int, failure: BaseException | None) -> float:
        """Seconds before retry ``retry`` following ``failure``."""
        if isinstance(failure, Retryable) and failure.response is not None:
            server = self.rate_limit_wait(
                failure.response.headers, rate_limited=failure.response.status_code == 429
            )
            if server is not None:
                return server
        return self.backoff(retry)

    def retrying(
        self,
        clock: Clock,
        *,
        before_sleep: Callable[[int | None, float, BaseException | None], None] | None = None,
        paced: Callable[[BaseException | None], float | None] | None = None,
    ) -> tenacity.Retrying:
        """A tenacity loop retrying ``Retryable`` failures within this policy's bounds.

        Other exceptions propagate at once. When the budget runs out the last ``Retryable``
        is re-raised for the caller to turn into a final error. ``before_sleep(retry, wait,
        failure)`` is called before each wait (for logging; ``retry`` is ``None`` for a
        paced one).

        ``paced(failure)``: for a failure the caller paces itself (a 429 whose rate-limit
        headers tell when the budget is back; the wait happens before the next send), the
        seconds that wait will take, else ``None``. A paced retry sleeps nothing here and
        does not count against ``max_retries``; like every retry it must start within
        ``timeout``.
        """
        started = clock.monotonic()
        counted = 0

        def failure_of(state: tenacity.RetryCallState) -> BaseException | None:
            return state.outcome.exception() if state.outcome else None

        def paced_wait(state: tenacity.RetryCallState) -> float | None:
            return paced(failure_of(state)) if paced is not None else None

        def wait(state: tenacity.RetryCallState) -> float:
            if paced_wait(state) is not None:
                return 0.0
            return self.wait_after(counted + 1, failure_of(state))

        def stop(state: tenacity.RetryCallState) -> bool:
            nonlocal counted
            upcoming = paced_wait(state)
            if upcoming is None:
                counted += 1
                if counted > self.max_retries:
                    return True
                upcoming = state.upcoming_sleep
            return clock.monotonic() - started + upcoming > self.timeout

        def announce(state: tenacity.RetryCallState) -> None:
            if before_sleep is not None:
                upcoming = paced_wait(state)
                if upcoming is None:
                    before_sleep(counted, state.upcoming_sleep, failure_of(state))
                else:
                    before_sleep(None, upcoming, failure_of(state))

        return tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(Retryable),
            wait=wait,
            stop=stop,
            sleep=lambda seconds: clock.sleep(seconds) if seconds > 0 else None,
            before_sleep=announce,
            reraise=True,
        )
