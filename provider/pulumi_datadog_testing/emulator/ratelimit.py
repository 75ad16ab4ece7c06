"""Rate limiting with Datadog's headers: a fixed window per rate-limit name.

Every Datadog-path answer carries ``X-RateLimit-Limit``, ``-Period``, ``-Remaining``,
``-Reset`` (seconds until the window resets) and ``-Name``; a call beyond the budget gets
a real 429. Names group endpoints like Datadog's do (each endpoint's ``rate_limit`` in
``api.catalog``: ``test_optimization_settings``, ``flaky_test_management``,
``synthetics_suites``; anything else: ``default``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..api.catalog import rate_limit_group
from .admin_models import RateLimitConfig

__all__ = ["RateLimiter", "Verdict", "headers", "limit_name"]


def limit_name(path: str) -> str:
    """The rate-limit name (bucket) of a Datadog path: its endpoint's in ``api.catalog``."""
    return rate_limit_group(path) or "default"


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    headers: list[tuple[bytes, bytes]]


class RateLimiter:
    """Fixed-window counters per name; the budget comes from the live config."""

    def __init__(
        self, config: Callable[[], RateLimitConfig], clock: Callable[[], float] = time.time
    ) -> None:
        self._config = config
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def peek(self, path: str) -> list[tuple[bytes, bytes]]:
        """The headers describing the budget, without charging it."""
        return self._verdict(path, charge=False).headers

    def hit(self, path: str) -> Verdict:
        """Count one call and return whether it is allowed, with the headers to send."""
        return self._verdict(path, charge=True)

    def _verdict(self, path: str, *, charge: bool) -> Verdict:
        config = self._config()
        name = limit_name(path)
        now = self._clock()
        window = math.floor(now / config.period_seconds) * config.period_seconds
        with self._lock:
            start, used = self._windows.get(name, (window, 0))
            if start != window:
                start, used = window, 0
            allowed = used < config.limit
            if charge:
                used += allowed
                self._windows[name] = (start, used)
        reset = max(1, math.ceil(start + config.period_seconds - now))
        return Verdict(allowed, headers(config, name, config.limit - used, reset))


def headers(
    config: RateLimitConfig, name: str, remaining: int, reset: int
) -> list[tuple[bytes, bytes]]:
    """The five ``X-RateLimit-*`` headers (lower-case, string values, as Datadog sends)."""
    return [
        (b"x-ratelimit-limit", str(config.limit).encode()),
        (b"x-ratelimit-period", str(config.period_seconds).encode()),
        (b"x-ratelimit-remaining", str(max(0, remaining)).encode()),
        (b"x-ratelimit-reset", str(reset).encode()),
        (b"x-ratelimit-name", name.encode()),
    ]
