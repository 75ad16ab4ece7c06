"""Everything one emulator instance holds: store, config, domain services, faults, calls."""

from __future__ import annotations

import collections
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qs

from .admin_models import (
    EmulatorConfig,
    EmulatorConfigPatch,
    FaultKind,
    RecordedCall,
    RepositoryDefaults,
)
from .faults import FaultRegistry
from .flaky_tests import FlakyTests
from .guard import DEFAULT_MAX_BODY_BYTES
from .policies import PoliciesService
from .ratelimit import RateLimiter
from .service_settings import ServiceSettingsService
from .store import MEMORY, Store
from .suites import SuitesService

__all__ = [
    "CALL_LOG_BODY_BYTES",
    "CALL_LOG_SIZE",
    "CALL_LOG_TOTAL_BYTES",
    "CallLog",
    "EmulatorOptions",
    "EmulatorState",
    "parse_query",
]

CALL_LOG_SIZE: Final = 10_000
"""Most calls kept (the oldest go first)."""
CALL_LOG_BODY_BYTES: Final = 256 * 1024
"""Most bytes of one request body kept (the rest is cut; the original size is kept)."""
CALL_LOG_TOTAL_BYTES: Final = 32 * 1024 * 1024
"""Most body bytes kept over all recorded calls (the oldest calls go first)."""
_SECRET_PARAMS: Final = frozenset(
    {"api_key", "application_key", "dd-api-key", "dd-application-key"}
)
_CONFIG_KEY = "config"


@dataclass(frozen=True)
class EmulatorOptions:
    """Start-up options (the command line). Keys ``None``: any non-empty key is accepted.
    ``bearer_token``: the accepted ``Authorization: Bearer`` token (``None``: any non-empty
    token, but only when no key is configured either).
    ``config`` overrides: applied on top of the persisted config at every start."""

    api_key: str | None = None
    app_key: str | None = None
    bearer_token: str | None = None
    db: str = MEMORY
    config_overrides: EmulatorConfigPatch = field(default_factory=EmulatorConfigPatch)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    listen_host: str = "127.0.0.1"
    """The address served (``guard.py``: the ``Host`` values answered besides loopback)."""


@dataclass(frozen=True, slots=True)
class _Call:
    """A call as recorded on the hot path (raw; decoded only when listed)."""

    seq: int
    time: float
    method: str
    path: str
    query_string: str
    body: bytes
    body_bytes: int
    status: int | None
    fault: FaultKind | None
    duration_ms: float
    injected_latency_ms: float

    @property
    def truncated(self) -> bool:
        return len(self.body) < self.body_bytes

    def decoded(self) -> RecordedCall:
        return RecordedCall(
            seq=self.seq,
            time=self.time,
            method=self.method,
            path=self.path,
            query=parse_query(self.query_string),
            body=_decoded_body(self.body, truncated=self.truncated),
            body_bytes=self.body_bytes,
            body_truncated=self.truncated,
            status=self.status,
            fault=self.fault,
            duration_ms=self.duration_ms,
            injected_latency_ms=self.injected_latency_ms,
        )


class CallLog:
    """The most recent Datadog-path calls, in memory and bounded three ways: at most
    ``size`` calls, ``body_limit`` bytes of each body (cut, the original size kept) and
    ``total_bytes`` of bodies in all — so no stream of calls, however large or
    unauthenticated, grows the process. Recording keeps the raw query string and body;
    they are parsed when the log is read, off the request path."""

    def __init__(
        self,
        size: int = CALL_LOG_SIZE,
        *,
        body_limit: int = CALL_LOG_BODY_BYTES,
        total_bytes: int = CALL_LOG_TOTAL_BYTES,
    ) -> None:
        self._calls: collections.deque[_Call] = collections.deque()
        self._size = size
        self._body_limit = body_limit
        self._total_limit = total_bytes
        self._retained = 0
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def retained_bytes(self) -> int:
        """Body bytes held now (at most ``total_bytes``)."""
        return self._retained

    def record(
        self,
        *,
        time: float,
        method: str,
        path: str,
        query_string: str,
        body: bytes,
        status: int | None,
        fault: FaultKind | None,
        duration_ms: float,
        injected_latency_ms: float = 0.0,
        body_bytes: int | None = None,
    ) -> None:
        """Record one call; ``body_bytes`` is the size received (default ``len(body)``)
        when ``body`` holds less than that (e.g. nothing, for a refused call)."""
        size = len(body) if body_bytes is None else max(body_bytes, len(body))
        kept = body[: self._body_limit]
        with self._lock:
            self._calls.append(
                _Call(
                    next(self._seq), time, method, path, query_string[:self._body_limit], kept,
                    size, status, fault, duration_ms, injected_latency_ms,
                )
            )  # fmt: skip
            self._retained += len(kept)
            while self._calls and (
                len(self._calls) > self._size or self._retained > self._total_limit
            ):
                self._retained -= len(self._calls.popleft().body)

    def __len__(self) -> int:
        return len(self._calls)

    def list(
        self, method: str | None = None, path: str | None = None, *, clear: bool = False
    ) -> list[RecordedCall]:
        """The recorded calls, oldest first; ``clear`` empties the log in the same step."""
        with self._lock:
            calls = list(self._calls)
            if clear:
                self._calls.clear()
                self._retained = 0
        wanted = method.upper() if method is not None else None
        return [
            c.decoded()
            for c in calls
            if (wanted is None or c.method == wanted) and (path is None or c.path == path)
        ]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
            self._retained = 0


def parse_query(raw: str) -> dict[str, str | list[str]]:
    """Query parameters (repeated ones as lists); values of key-like names masked."""
    parsed = parse_qs(raw, keep_blank_values=True)
    return {
        k: ("***" if k.lower() in _SECRET_PARAMS else (v[0] if len(v) == 1 else v))
        for k, v in parsed.items()
    }


def _decoded_body(body: bytes, *, truncated: bool) -> Any:
    """The body as JSON when it is complete JSON, else as text (a cut body: its start)."""
    if not body:
        return None
    text = body.decode("utf-8", "replace")
    if truncated:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


class EmulatorState:
    """The live state of one emulator process."""

    def __init__(self, options: EmulatorOptions) -> None:
        self.options = options
        self.started = time.monotonic()
        self.store = Store(options.db)
        self._config = self._initial_config()
        self.settings = ServiceSettingsService(self.store, lambda: self._config)
        self.policies = PoliciesService(self.store)
        self.flaky = FlakyTests(self.store)
        self.suites = SuitesService(self.store)
        self.faults = FaultRegistry()
        self.limiter = RateLimiter(lambda: self._config.rate_limit)
        self.calls = CallLog()

    @property
    def config(self) -> EmulatorConfig:
        return self._config

    def update_config(self, patch: EmulatorConfigPatch) -> EmulatorConfig:
        self._config = apply_config_patch(self._config, patch)
        self.store.set_meta(_CONFIG_KEY, self._config.model_dump(mode="json"))
        return self._config

    def reset(self) -> None:
        """Forget every object, call and fault; config back to its start-up value."""
        self.store.reset()
        self.flaky.reload()
        self.faults.clear()
        self.calls.clear()
        self.limiter.reset()
        self._config = apply_config_patch(EmulatorConfig(), self.options.config_overrides)
        self.store.set_meta(_CONFIG_KEY, self._config.model_dump(mode="json"))

    def close(self) -> None:
        self.store.close()

    def authorized(
        self, api_key: str | None, app_key: str | None, authorization: str | None = None
    ) -> bool:
        """Whether a call's credentials are accepted: a bearer token (``Authorization:
        Bearer <token>``) or the two keys, each checked against the configured value."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            wanted_token = self.options.bearer_token
            if wanted_token is not None:
                return secrets.compare_digest(token.strip(), wanted_token)
            return self.options.api_key is None and self.options.app_key is None
        expected = (self.options.api_key, self.options.app_key)
        for given, wanted in zip((api_key, app_key), expected, strict=True):
            if not given or (wanted is not None and given != wanted):
                return False
        return True

    def _initial_config(self) -> EmulatorConfig:
        stored = self.store.get_meta(_CONFIG_KEY)
        base = EmulatorConfig.model_validate(stored) if stored else EmulatorConfig()
        config = apply_config_patch(base, self.options.config_overrides)
        self.store.set_meta(_CONFIG_KEY, config.model_dump(mode="json"))
        return config


def apply_config_patch(config: EmulatorConfig, patch: EmulatorConfigPatch) -> EmulatorConfig:
    """``config`` with the fields of ``patch`` applied (see ``EmulatorConfigPatch``)."""
    data = config.model_dump()
    if patch.pr_comments_mode is not None:
        data["pr_comments_mode"] = patch.pr_comments_mode
    if patch.org_defaults is not None:
        data["org_defaults"].update(patch.org_defaults.model_dump(exclude_none=True))
    if patch.repository_defaults is not None:
        repos: dict[str, Any] = data["repository_defaults"]
        for repo, defaults in patch.repository_defaults.items():
            if defaults is None:
                repos.pop(repo, None)
            else:
                merged = RepositoryDefaults.model_validate(repos.get(repo, {}))
                repos[repo] = merged.model_copy(
                    update=defaults.model_dump(exclude_none=True)
                ).model_dump()
    if patch.rate_limit is not None:
        data["rate_limit"] = patch.rate_limit.model_dump()
    if patch.max_bulk_tests is not None:
        data["max_bulk_tests"] = patch.max_bulk_tests
    return EmulatorConfig.model_validate(data)
