"""Rate-limit pacing (``pacing.py``) and its hook in the client: calls wait before sending
when the budget is spent, a paced 429 does not use a retry, the time budget still ends it.

A fake fixed-window server on the fake clock stands in for Datadog's limiter (same rules as
the emulator's: aligned windows, ``X-RateLimit-Reset`` rounded up to whole seconds).
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable

import httpx
import pytest

from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.errors import RateLimitedError
from pulumi_datadog_testing.pacing import Pacer, parse_rate_limit
from tests.support.clock import FakeClock

SETTINGS = "/api/v2/ci/test-optimization/settings/service"
POLICIES = "/api/v2/ci/test-optimization/settings/policies"
SUITE = "/api/v2/synthetics/suites/abc-def-ghi"
MakeClient = Callable[..., DatadogClient]


class WindowServer:
    """A fixed-window rate limiter per group, answering 200 or 429 with Datadog's headers."""

    def __init__(self, clock: FakeClock, limit: int, period: int, *, name: bool = True) -> None:
        self.clock, self.limit, self.period, self.name = clock, limit, period, name
        self.windows: dict[str, tuple[float, int]] = {}
        self.statuses: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        group = "settings" if "/ci/" in request.url.path else "suites"
        now = self.clock.now
        start = math.floor(now / self.period) * self.period
        window, used = self.windows.get(group, (start, 0))
        if window != start:
            used = 0
        allowed = used < self.limit
        used += allowed
        self.windows[group] = (start, used)
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Period": str(self.period),
            "X-RateLimit-Remaining": str(self.limit - used),
            "X-RateLimit-Reset": str(max(1, math.ceil(start + self.period - now))),
        }
        if self.name:
            headers["X-RateLimit-Name"] = group
        status = 200 if allowed else 429
        self.statuses.append(status)
        return httpx.Response(status, json={}, headers=headers)


def test_headers_are_read_whatever_their_case_and_as_strings() -> None:
    info = parse_rate_limit(
        {"x-ratelimit-limit": "20", "X-RATELIMIT-PERIOD": "2", "X-RateLimit-Remaining": " 7 ",
         "x-ratelimit-reset": "1", "x-ratelimit-name": "g"}
    )  # fmt: skip
    assert info is not None
    assert (info.limit, info.period, info.remaining, info.reset, info.name) == (
        20,
        2.0,
        7,
        1.0,
        "g",
    )
    assert parse_rate_limit({}) is None
    assert parse_rate_limit({"x-ratelimit-reset": "3"}) is None  # no budget: nothing to pace
    assert parse_rate_limit({"x-ratelimit-limit": "lots", "x-ratelimit-remaining": "1",
                             "x-ratelimit-reset": "1"}) is None  # fmt: skip


def test_a_spent_budget_makes_calls_wait_for_the_next_windows_in_order() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    assert pacer.before_send(SETTINGS) == 0  # unknown: this call probes
    pacer.after_answer(
        SETTINGS, 200, {"x-ratelimit-limit": "2", "x-ratelimit-period": "2",
                        "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1",
                        "x-ratelimit-name": "settings"}
    )  # fmt: skip
    waits = [pacer.before_send(SETTINGS) for _ in range(5)]
    assert waits[0] == waits[1] > 0.9  # both in the next window (1 s away)
    assert waits[2] == waits[3] > waits[1] + 1.9  # then the one after (a period later)
    assert waits[4] > waits[3] + 1.9
    # Another path of the same group (learned through its family) shares the budget.
    assert pacer.before_send(POLICIES) >= waits[4]
    clock.advance(10)
    assert pacer.before_send(SETTINGS) == 0


def test_a_late_answer_from_an_earlier_window_does_not_close_the_current_one() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    headers = {"x-ratelimit-limit": "5", "x-ratelimit-period": "4", "x-ratelimit-name": "g"}
    pacer.before_send(SUITE)
    pacer.after_answer(SUITE, 200, {**headers, "x-ratelimit-remaining": "4",
                                    "x-ratelimit-reset": "1"})  # fmt: skip
    clock.advance(1.5)  # the next window: nothing sent in it yet
    pacer.after_answer(
        SUITE, 200, {**headers, "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"}
    )  # fmt: skip  (sent before)
    assert [pacer.before_send(SUITE) for _ in range(5)] == [0, 0, 0, 0, 0]
    assert pacer.before_send(SUITE) > 0


def concurrent_calls(
    clock: FakeClock,
    server: WindowServer,
    *,
    first: float,
    calls: int,
    workers: int,
    latency: tuple[float, float],
    seed: int = 7,
) -> None:
    """``calls`` calls through one pacer from ``workers`` callers at once, each sending its
    next call as soon as the last is answered; each way takes ``latency`` seconds (drawn).
    The first call (the probe) is sent at ``first``, the others once it is answered."""
    pacer, rng = Pacer(clock), random.Random(seed)
    events: list[tuple[float, int, str, int]] = []  # (time, order, what, call)
    sent_at: dict[int, float] = {}
    answers: dict[int, httpx.Response] = {}
    order = iter(range(10**6))

    def send(call: int, now: float) -> None:
        clock.now = now
        when = now + pacer.before_send(SETTINGS)
        sent_at[call] = when
        heapq.heappush(events, (when + rng.uniform(*latency), next(order), "arrive", call))

    send(0, first)
    started = 1
    while events:
        clock.now, _, what, call = heapq.heappop(events)
        if what == "arrive":
            answers[call] = server(httpx.Request("POST", "https://x" + SETTINGS))
            heapq.heappush(events, (clock.now + rng.uniform(*latency), next(order), "back", call))
            continue
        answer = answers.pop(call)
        pacer.after_answer(SETTINGS, answer.status_code, answer.headers, sent=sent_at[call])
        starting = workers if call == 0 else 1
        for _ in range(min(starting, calls - started)):
            send(started, clock.now)
            started += 1


@pytest.mark.parametrize("first", [0.05, 0.6, 1.2, 1.85, 1.97])
@pytest.mark.parametrize("latency", [(0.001, 0.004), (0.005, 0.05)])
@pytest.mark.parametrize("spent", [0, 12])
def test_many_calls_in_flight_never_overrun_a_window_whatever_its_phase(
    first: float, latency: tuple[float, float], spent: int
) -> None:
    # Whole-second resets place a 2 s window's end only within a second: a call sent in
    # between may count in either window. 64 callers at once (the engine's --parallel 64);
    # ``spent``: calls another process (the preview before) made in the first window.
    clock = FakeClock()
    server = WindowServer(clock, limit=20, period=2)
    server.windows["settings"] = (clock.now, spent)
    concurrent_calls(clock, server, first=clock.now + first, calls=200, workers=64,
                     latency=latency)  # fmt: skip
    assert len(server.statuses) == 200
    assert server.statuses.count(429) == 0
    # ... and the budget is used: 200 calls need 10 windows (9 and the rest of the first).
    assert clock.now - 1000 < 12 * 2


def test_a_429_blocks_the_group_until_its_reset() -> None:
    clock = FakeClock()
    pacer = Pacer(clock)
    pacer.before_send(SUITE)
    pacer.after_answer(SUITE, 429, {"x-ratelimit-limit": "1000", "x-ratelimit-period": "60",
                                    "x-ratelimit-remaining": "0", "x-ratelimit-reset": "3"})  # fmt: skip
    assert 3 <= pacer.wait_hint(SUITE) < 3.5
    clock.advance(3.5)
    assert pacer.wait_hint(SUITE) == 0


def test_sequential_calls_over_a_small_budget_never_see_a_429(
    make_client: MakeClient, clock: FakeClock
) -> None:
    server = WindowServer(clock, limit=5, period=2)
    client = make_client(server, max_retries=0)
    for index in range(40):
        client.request("PATCH" if index % 2 else "POST", SETTINGS if index % 3 else POLICIES)
    assert server.statuses.count(429) == 0
    assert sum(clock.sleeps) >= (40 / 5 - 1) * 2 - 1  # it waited for the windows instead


def test_without_a_group_name_paths_of_one_family_share_a_budget(
    make_client: MakeClient, clock: FakeClock
) -> None:
    server = WindowServer(clock, limit=3, period=2, name=False)
    client = make_client(server, max_retries=0)
    for index in range(12):
        client.request("GET", f"/api/v2/synthetics/suites/s{index}")
    assert server.statuses.count(429) == 0


def test_paced_429s_do_not_use_retries_and_the_time_budget_ends_them(
    make_client: MakeClient, clock: FakeClock
) -> None:
    headers = {"x-ratelimit-limit": "10", "x-ratelimit-period": "10",
               "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2", "x-ratelimit-name": "g"}  # fmt: skip
    limited = httpx.Response(429, json={"errors": ["Too many requests"]}, headers=headers)
    answers = [limited] * 4 + [httpx.Response(200, json={}, headers={})]
    calls: list[httpx.Request] = []

    def server(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return answers[min(len(calls), len(answers)) - 1]

    # Four 429s with max_retries=1: each retry was paced (waited for the reset), none counted.
    make_client(server, max_retries=1).request("GET", SUITE)
    assert len(calls) == 5
    waits = [s for s in clock.sleeps if s]
    assert len(waits) == 4 and all(s >= 2 for s in waits)

    # A 429 storm: the time budget (not the count) ends it, with the usual error.
    calls.clear()
    answers[:] = [limited]
    with pytest.raises(RateLimitedError) as info:
        make_client(server, max_retries=1, retry_timeout_seconds=9).request("GET", SUITE)
    assert len(calls) > 2  # more than 1 + max_retries attempts
    assert "still rate limited after" in str(info.value)
    assert "datadog-testing:retryTimeoutSeconds" in str(info.value)
