"""Rate-limit pacing: every call of one provider process shares what Datadog says about its
budget, and waits *before* sending when the budget is spent instead of spending retries on 429s.

Datadog answers every call with ``X-RateLimit-Limit`` (calls per window), ``-Period``
(window seconds), ``-Remaining``, ``-Reset`` (seconds until the window ends) and ``-Name``
(the rate-limit group: several endpoints share one budget). A ``Pacer`` keeps, per group,
when the current window ends and how many calls were charged to it, and hands out *slots*:
a call that finds the window full reserves a place in the next window with room and sleeps
until it opens. Slots are handed out in call order, so waiting calls neither stampede when a
window opens nor starve. Answers correct the estimate: the server's ``Remaining`` counts
calls from anywhere (other processes, other stacks), and a 429 closes the window.

``Reset`` is whole seconds, so an answer places its window's end only within a second (and
the call's round trip): a group keeps the earliest and the latest end its answers allow, and
a call sent between the two — which the server may count in either window — is charged to
both. A window end taken a second late once let 64 calls in flight overrun the next window.

Before a group is known — the first call of a process to an endpoint family — one call
probes it and the others of that family wait for its answer (or ``probe_timeout``), so a
``--parallel`` start does not send a burst the budget cannot hold. A path is mapped to its
group by the answers (exact path, then its parent, then its family: the first four path
segments, e.g. ``/api/v2/synthetics/suites``); paths whose answers carry no rate-limit
headers are not paced.

Headers are matched case-insensitively and their values are strings; anything unparsable is
ignored (that answer teaches nothing). All times come from the injected ``Clock``, so tests
drive a pacer without sleeping.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from .retry import Clock

__all__ = ["Pacer", "RateLimitInfo", "parse_rate_limit"]

_MARGIN: Final = 0.05
"""Seconds added after a window's estimated end before sending into the next one."""
_SAME_WINDOW: Final = 1.0
"""``X-RateLimit-Reset`` is whole seconds, rounded up: ends estimated from answers in one
window differ by less than this."""
_UNPACED: Final = ""


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """The rate-limit headers of one answer."""

    limit: int
    period: float
    remaining: int
    reset: float
    name: str | None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict with other capitalisation
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return None if value is None else str(value).strip()


def parse_rate_limit(headers: Mapping[str, str]) -> RateLimitInfo | None:
    """The ``X-RateLimit-*`` headers of an answer, or ``None`` when absent or unusable."""
    raw = {
        part: _header(headers, f"x-ratelimit-{part}")
        for part in ("limit", "period", "remaining", "reset", "name")
    }
    try:
        limit = int(float(raw["limit"] or ""))
        remaining = int(float(raw["remaining"] or ""))
        reset = float(raw["reset"] or "")
        period = float(raw["period"]) if raw["period"] else max(reset, 1.0)
    except ValueError:
        return None
    if limit < 1 or period <= 0 or not math.isfinite(reset) or not math.isfinite(period):
        return None
    return RateLimitInfo(limit, period, max(0, remaining), max(0.0, reset), raw["name"] or None)


@dataclass
class _Group:
    """One rate-limit group's budget as this process believes it.

    The current window ends at some time in ``(earliest_end, window_end]``: whole-second
    resets only bound it (a reset of ``r`` seconds, read from a call sent at ``s`` and answered
    at ``t``, means the end lies in ``(s + r - 1, t + r]``), and every answer narrows the bounds.
    A call sent between them may be counted in either window, so it is charged to both; the
    next window's own calls wait for ``window_end``."""

    limit: int
    period: float
    window_end: float
    earliest_end: float
    used: int = 0
    later: list[int] = field(default_factory=list)
    """Slots reserved in the windows after the current one."""
    blocked_until: float = 0.0
    """A 429 said: nothing before this time."""
    round_trip: float = 0.0
    """The longest recent time from sending a call to its answer (decays)."""
    straddling: list[float] = field(default_factory=list)
    """When the calls charged to both this window and the next were sent."""

    def roll(self, now: float) -> None:
        """Move to the window containing ``now``."""
        while now >= self.window_end:
            self.straddling.clear()
            if not self.later and now >= self.window_end + self.period:
                skipped = math.floor((now - self.window_end) / self.period) * self.period
                self.window_end += skipped
                self.earliest_end += skipped
                self.used = 0
                continue
            self.window_end += self.period
            self.earliest_end += self.period
            self.used = self.later.pop(0) if self.later else 0

    def _sends_until(self) -> float:
        """Until when a call surely counts in the current window: its earliest possible end,
        less the round trip (a call is counted when it arrives) — but never more than half a
        window early, as resets of whole seconds cannot place the end of a short window
        better."""
        safe = max(self.earliest_end, self.window_end - self.period / 2)
        return safe - self.round_trip - _MARGIN

    def reserve(self, now: float, *, take: bool) -> float:
        """Seconds until a slot is free (taking it when ``take``)."""
        self.roll(now)
        blocked = self.blocked_until - now + _MARGIN if now < self.blocked_until else 0.0
        if self.used < self.limit:
            if now + blocked < self._sends_until():
                if take:
                    self.used += 1
                return blocked
            if not self.later or self.later[0] < self.limit:  # room in both windows
                if take:
                    self.used += 1
                    if not self.later:
                        self.later.append(0)
                    self.later[0] += 1
                    self.straddling.append(now + blocked)
                return blocked
        index = next((i for i, n in enumerate(self.later) if n < self.limit), len(self.later))
        if take:
            if index == len(self.later):
                self.later.append(0)
            self.later[index] += 1
        return max(blocked, self.window_end + index * self.period - now + _MARGIN)

    def learn(self, info: RateLimitInfo, sent: float, now: float, *, rate_limited: bool) -> None:
        """Fold in what one answer (to a call sent at ``sent``) said about the server's current
        window: it ended in ``(sent + reset - 1, now + reset]``."""
        self.limit, self.period = info.limit, info.period
        self.round_trip = max(self.round_trip * 0.9, min(now - sent, self.period / 4))
        self.roll(now)
        earliest, end = sent + info.reset - 1, now + info.reset
        if rate_limited:
            self.blocked_until = max(self.blocked_until, end)
        charged = info.limit if rate_limited else info.limit - info.remaining
        window = self._which_window(earliest, end)
        if window == 0:  # this window
            if rate_limited:
                self.window_end = max(self.window_end, end)
            else:
                self.earliest_end = max(self.earliest_end, earliest)
                self.window_end = min(self.window_end, end)
                self._release_straddling()
            self.used = max(self.used, charged)
        elif window == 1 or (window is None and end >= self.window_end + _SAME_WINDOW):
            # The server is in a later window than us.
            if window == 1 and not rate_limited:
                earliest = max(earliest, self.earliest_end + self.period)
                end = min(end, self.window_end + self.period)
            self.window_end, self.earliest_end = end, earliest
            self.used = max(charged, self.later.pop(0) if self.later else 0)
            self.straddling.clear()
        elif window is None and end > self.window_end - _SAME_WINDOW:
            # This window or the next: narrow nothing, but count the calls against both.
            self.used = max(self.used, charged)
            if self.later:
                self.later[0] = max(self.later[0], charged)
        # else: about an earlier window (a late answer), or a 429 with its own reset

    def _release_straddling(self) -> None:
        """Give the next window back the calls that, by the narrowed bounds, surely counted
        in this one."""
        sure = self._sends_until()
        released = sum(1 for sent in self.straddling if sent < sure)
        if released:
            self.straddling = [sent for sent in self.straddling if sent >= sure]
            self.later[0] -= min(released, self.later[0])

    def _which_window(self, earliest: float, end: float) -> int | None:
        """Which window an answer's bounds of its window's end fit: -1 (the one before), 0
        (this one) or 1 (the next); ``None`` when they fit none or more than one."""
        fits = [
            shift
            for shift in (-1, 0, 1)
            if earliest < self.window_end + shift * self.period
            and end > self.earliest_end + shift * self.period
        ]
        return fits[0] if len(fits) == 1 else None


@dataclass
class _Probe:
    done: threading.Event
    started: float


class Pacer:
    """Per-process pacing of Datadog calls by rate-limit group; thread-safe."""

    def __init__(self, clock: Clock, *, probe_timeout: float = 30.0) -> None:
        self._clock = clock
        self._probe_timeout = probe_timeout
        self._lock = threading.Lock()
        self._groups: dict[str, _Group] = {}
        self._routes: dict[str, str] = {}
        self._probes: dict[str, _Probe] = {}

    def before_send(self, path: str) -> float:
        """Reserve a slot for one call to ``path``; the seconds to sleep before sending.

        May block while another call probes an unknown endpoint family (at most
        ``probe_timeout`` seconds of real time)."""
        family = _family(path)
        while True:
            with self._lock:
                group = self._group_of(path)
                if group is not None:
                    return group.reserve(self._clock.monotonic(), take=True)
                if self._route(path) == _UNPACED:
                    return 0.0
                probe = self._probes.get(family)
                now = self._clock.monotonic()
                if probe is None or now - probe.started > self._probe_timeout:
                    self._probes[family] = _Probe(threading.Event(), now)
                    return 0.0  # this call is the probe
            probe.done.wait(self._probe_timeout)

    def wait_hint(self, path: str) -> float:
        """Seconds a call to ``path`` would wait now (nothing reserved)."""
        with self._lock:
            group = self._group_of(path)
            return 0.0 if group is None else group.reserve(self._clock.monotonic(), take=False)

    def after_answer(
        self,
        path: str,
        status: int | None,
        headers: Mapping[str, str],
        *,
        sent: float | None = None,
    ) -> None:
        """Learn from the answer to a call to ``path`` sent at ``sent`` (the clock's time;
        ``None``: just now) — ``status`` None: no answer at all."""
        family = _family(path)
        with self._lock:
            if status is not None:
                info = parse_rate_limit(headers)
                now = self._clock.monotonic()
                sent = now if sent is None else min(sent, now)
                if info is not None:
                    name = info.name or family
                    group = self._groups.get(name)
                    if group is None:
                        end = now + info.reset
                        self._groups[name] = group = _Group(
                            info.limit, info.period, end, sent + info.reset - 1
                        )
                    group.learn(info, sent, now, rate_limited=status == 429)
                    self._remember(path, name)
                elif self._route(path) is None:
                    self._remember(path, _UNPACED)
            probe = self._probes.pop(family, None)
        if probe is not None:
            probe.done.set()

    # ------------------------------------------------------------------ internals
    def _remember(self, path: str, name: str) -> None:
        self._routes[path] = name
        self._routes.setdefault(_parent(path), name)
        self._routes.setdefault(_family(path), name)

    def _route(self, path: str) -> str | None:
        for key in (path, _parent(path), _family(path)):
            name = self._routes.get(key)
            if name is not None:
                return name
        return None

    def _group_of(self, path: str) -> _Group | None:
        name = self._route(path)
        return self._groups.get(name) if name else None


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


def _family(path: str) -> str:
    return "/".join(path.split("/")[:5])
