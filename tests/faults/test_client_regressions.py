"""Client bugs the fault scenarios exposed, pinned down without the engine (MockTransport).

Datadog (and the emulator) put ``X-RateLimit-*`` headers on *every* answer: on a 5xx,
``X-RateLimit-Reset`` is the time left in the rate-limit window (up to its period, e.g. 60 s),
not a hint to wait. The client used to wait it out after any retryable status, so with a
60 s retry budget a 5xx was not retried at all ("try again later" after 0 retries), or after
a long pointless wait. Found by ``test_random_5xx_fleet`` (random 5xx during a 30-resource up).
"""

from __future__ import annotations

import httpx
import pytest

from pulumi_datadog_testing.api import catalog
from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.config import Settings
from pulumi_datadog_testing.retry import RetryPolicy
from tests.support.clock import FakeClock

pytestmark = pytest.mark.faults

PATH = catalog.GET_SERVICE_SETTINGS.path
WINDOW_HEADERS = {"x-ratelimit-reset": "57", "x-ratelimit-period": "60", "x-ratelimit-name": "x"}


def client(answers: list[httpx.Response], clock: FakeClock) -> tuple[DatadogClient, list[int]]:
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(1)
        return answers[min(len(seen), len(answers)) - 1]

    settings = Settings.model_validate({
        "api_key": "k" * 32, "app_key": "a" * 40, "api_url": "https://api.datadoghq.eu",
        "max_retries": 3, "retry_timeout_seconds": 60.0,
    })  # fmt: skip
    policy = RetryPolicy(max_retries=3, timeout=60.0, backoff_base=1.0, backoff_max=30.0)
    return DatadogClient(
        settings, transport=httpx.MockTransport(handler), clock=clock, policy=policy
    ), seen


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_with_rate_limit_window_headers_is_retried_with_backoff(status: int) -> None:
    clock = FakeClock()
    failing = httpx.Response(status, json={"errors": ["boom"]}, headers=WINDOW_HEADERS)
    api, seen = client([failing, failing, httpx.Response(200, json={})], clock)
    api.request("PATCH", PATH, idempotent=True)
    assert len(seen) == 3
    # Exponential backoff (1 s, 2 s at most), never the 57 s left in the rate-limit window.
    assert clock.sleeps and all(wait <= 2.0 for wait in clock.sleeps), clock.sleeps


def test_429_still_waits_x_ratelimit_reset() -> None:
    clock = FakeClock()
    limited = httpx.Response(429, json={"errors": ["Too many requests"]}, headers=WINDOW_HEADERS)
    api, seen = client([limited, httpx.Response(200, json={})], clock)
    api.request("PATCH", PATH, idempotent=True)
    assert len(seen) == 2
    assert len(clock.sleeps) == 1 and 57 <= clock.sleeps[0] <= 58
