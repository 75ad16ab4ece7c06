"""Fault injection: the installed rules and the per-call decisions drawn from them.

See ``FaultSpec`` for what each kind does. On each Datadog-path call, every matching
``latency`` rule that fires adds its delay; then the first matching ``rate_limit``,
``error``, ``drop`` or ``hang`` rule that fires decides the outcome (later ones are not
consumed). ``bulk_failure`` rules are consulted by the bulk flaky-test PATCH itself.
A rule fires with probability ``rate`` and is removed once it has fired ``count`` times.
Rules live in memory only: a restart starts without faults.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .admin_models import ActiveFault, FaultsRequest

__all__ = ["Decision", "FaultRegistry"]

_TERMINAL = ("rate_limit", "error", "drop", "hang")


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one call: wait ``latency_s``, then follow ``fault`` (None: serve)."""

    latency_s: float = 0.0
    fault: ActiveFault | None = None


_NO_FAULT = Decision()


class FaultRegistry:
    """Thread-safe set of active fault rules with a seedable random source."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[ActiveFault] = []
        self._ids = itertools.count(1)
        self._rng = random.Random()

    def add(self, request: FaultsRequest) -> list[ActiveFault]:
        with self._lock:
            if request.replace:
                self._faults.clear()
            if request.seed is not None:
                self._rng.seed(request.seed)
            for spec in request.faults:
                self._faults.append(
                    ActiveFault(**spec.model_dump(), id=f"f{next(self._ids)}", remaining=spec.count)
                )
            return [f.model_copy() for f in self._faults]

    def list(self) -> list[ActiveFault]:
        with self._lock:
            return [f.model_copy() for f in self._faults]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __bool__(self) -> bool:
        return bool(self._faults)

    def draw(self, method: str, path: str) -> Decision:
        """Decide the fate of one call (consumes the rules that fire)."""
        if not self._faults:
            return _NO_FAULT
        latency = 0.0
        chosen: ActiveFault | None = None
        with self._lock:
            for fault in list(self._faults):
                if fault.kind == "bulk_failure" or not _matches(fault, method, path):
                    continue
                if fault.kind in _TERMINAL and chosen is not None:
                    continue
                if self._rng.random() >= fault.rate:
                    continue
                self._fire(fault)
                if fault.kind == "latency":
                    jitter = self._rng.uniform(0, fault.latency_jitter_ms)
                    latency += (fault.latency_ms + jitter) / 1000
                else:
                    chosen = fault
        return Decision(latency_s=latency, fault=chosen)

    def bulk_failures(self, method: str, path: str, test_ids: Sequence[str]) -> Mapping[str, str]:
        """Test id → error message for the tests a ``bulk_failure`` rule fails."""
        failures: dict[str, str] = {}
        if not self._faults:
            return failures
        with self._lock:
            for fault in list(self._faults):
                if fault.kind != "bulk_failure" or not _matches(fault, method, path):
                    continue
                message = fault.message or "injected failure (emulator bulk_failure fault)"
                wanted = set(fault.test_ids) if fault.test_ids is not None else None
                hit = [
                    test_id
                    for test_id in test_ids
                    if (wanted is None or test_id in wanted) and self._rng.random() < fault.rate
                ]
                if wanted is not None and not (wanted & set(test_ids)):
                    continue  # a rule naming tests only counts requests that carry them
                self._fire(fault)
                for test_id in hit:
                    failures.setdefault(test_id, message)
        return failures

    def _fire(self, fault: ActiveFault) -> None:
        fault.fired += 1
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)


def _matches(fault: ActiveFault, method: str, path: str) -> bool:
    if fault.method is not None and fault.method != method:
        return False
    return fault.path is None or re.fullmatch(fault.path, path) is not None
