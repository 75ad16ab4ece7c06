"""Pydantic models of the emulator's admin surface (``/_emulator/...``) — and its reference.

Everything here is emulator-only (none of it is a Datadog API). Admin paths need no keys,
get no rate-limit headers and are not in the call log; they answer only requests addressed
to a loopback host (403 otherwise), and ``POST``/``PUT``/``PATCH`` need
``Content-Type: application/json`` even without a body (415). Bodies are JSON; unknown fields,
wrong types and out-of-range values are ``400 {"errors": ["<field>: <problem>", ...]}``.
``EmulatorAdmin``/``EmulatorServer`` (``harness.py``) speak these models.

Endpoints
---------
``GET /_emulator/health`` → ``Health``::

    {"status": "ok", "version": "0.1.0", "database": ":memory:" | "<sqlite path>",
     "uptime_seconds": 12.3,
     "counts": {"service_settings": 1, "policies": 0, "flaky_tests": 250, "suites": 2,
                "calls": 17, "call_body_bytes": 5120}}   # bodies held by the call log

``POST /_emulator/seed/flaky-tests`` ← ``SeedFlakyTestsRequest`` → ``SeededFlakyTests``::

    {"repository_id": "github.com/acme/shop",   # required, non-empty
     "count": 250,                              # generated tests, 0..100000 (0: only "tests")
     "seed": 7,                                 # default 0; same body -> same tests
     "tests": [                                 # optional explicit tests (added to count)
       {"name": "test_apply_coupon",            # required
        "suite": "test_cart",                   # default "DefaultSuite"
        "module": "shop.checkout",              # default null
        "service": "checkout",                  # or "services": [...]; default <repo>-api
        "state": "quarantined",                 # active|quarantined|disabled|fixed (active)
        "id": "0123456789abcdef",               # default: 16-hex hash of repo + FQN
        "category": "Timeout", "envs": ["ci"], "codeowners": ["@acme/web"],
        "branch": "main", "failure_rate": 0.25}],          # failure_rate 0..1
     "services": [...], "envs": [...], "codeowners": [...], # pools for generated tests
     "branch": "main",
     "state": "active",                         # every generated test in this state, or
     "states": {"active": 0.7, "quarantined": 0.15, "disabled": 0.05, "fixed": 0.1},
     "with_history": true}
    -> {"repository_ids": ["github.com/acme/shop"], "created": 252, "updated": 0,
        "tests": [{"id": "4eb1887a8adb1847", "module": ..., "suite": ..., "name": ...,
                   "state": "active"}, ...]}          # generated first, then "tests"

  Ids are ``sha256(repository_id NUL module NUL suite NUL name)[:16]``, so seeding again
  updates the same tests. Generated tests get modules/suites/names in pytest, JUnit and
  Jest styles, services, envs, code owners, a category with a matching error message and
  stack, first/last flake timestamps, branches and SHAs, failure rate, pipeline stats,
  impact score/level and a state history.

``POST /_emulator/flaky-tests`` ← ``FlakyTestsRequest`` → ``SeededFlakyTests``: the same
explicit tests, each with its own ``repository_id``: ``{"tests": [{"repository_id": ...,
"name": ..., ...}]}``. ``GET /_emulator/flaky-tests/{id}`` → the stored test document
(404 when unknown).

``GET /_emulator/calls[?method=PATCH&path=/api/...&clear=true]`` → ``CallsResponse``
(oldest first; ``clear=true`` empties the log in the same step); ``DELETE /_emulator/calls``
→ 204. The log is bounded: the last 10,000 calls, the first 256 KiB of each body and
32 MiB of bodies in all (older calls go first); 403s keep no body, 413s none either::

    {"calls": [{"seq": 1, "time": 1795424059.8, "method": "PATCH",
                "path": "/api/v2/ci/test-optimization/settings/service",
                "query": {}, "body": {...request JSON...}, "body_bytes": 412,
                "body_truncated": false, "status": 200,
                "fault": null, "duration_ms": 1.2, "injected_latency_ms": 0.0}]}

  Headers (so keys) are never recorded; query parameters named like keys show ``"***"``;
  ``status`` is ``null`` when no answer was sent (``drop``/``hang``); ``fault`` names the
  fault that shaped the answer (``latency``, ``rate_limit``, ``error``, ``drop``, ``hang``).

``POST /_emulator/faults`` ← ``FaultsRequest`` → ``FaultsResponse``; ``GET`` → the active
rules; ``DELETE`` → 204 (all cleared)::

    {"faults": [FaultSpec, ...],   # 1..100 rules
     "replace": false,             # true: clear the active rules first
     "seed": 42}                   # optional: reproducible random draws
    FaultSpec = {"kind": "latency"|"rate_limit"|"error"|"drop"|"hang"|"bulk_failure",
                 "method": "PATCH" | null,          # any case; null: every method
                 "path": "/api/v2/synthetics/suites/.*" | null,  # full-match regex
                 "rate": 1.0,                       # probability per matching call
                 "count": 1 | null,                 # firings before removal; null: until
                                                    # DELETE /_emulator/faults
                 "latency_ms": 0, "latency_jitter_ms": 0,     # latency: fixed + random
                 "status": 500,                     # error: 400..599
                 "reset_seconds": 1,                # rate_limit: X-RateLimit-Reset
                 "apply": null,                     # process the request first? default
                                                    # false for error, true for drop/hang
                 "hang_seconds": 30,                # hang: hold the connection, then drop
                 "test_ids": ["..."],               # bulk_failure: fail these ids
                 "message": "text"}                 # error/429/bulk_failure message
    -> {"faults": [{...FaultSpec, "id": "f1", "fired": 0, "remaining": 1}]}

  See ``FaultSpec`` for each kind. Rules live in memory (a restart or reset clears them).

``GET /_emulator/org-defaults`` → ``OrgDefaultsState``; ``PUT`` ← ``OrgDefaultsUpdate``::

    {"auto_test_retries_enabled": false, "code_coverage_enabled": false,
     "early_flake_detection_enabled": false, "failed_test_replay_enabled": false,
     "pr_comments_enabled": false, "test_impact_analysis_enabled": false,
     "pr_comments_mode": "seeds" | "current"}

  PUT replaces all six org-wide values (an omitted setting is ``false``) and, when given,
  the PR-comments mode. Services inherit every setting they don't override.

``GET /_emulator/config`` → ``EmulatorConfig``; ``PATCH`` ← ``EmulatorConfigPatch``
(fields merge; a repository mapped to ``null`` is removed)::

    {"pr_comments_mode": "seeds",
     "org_defaults": {<the six settings>},
     "repository_defaults": {"github.com/acme/shop": {"code_coverage_enabled": true}},
     "rate_limit": {"limit": 1000000, "period_seconds": 60},
     "max_bulk_tests": 1000}

  ``repository_defaults`` sit between the org default and a service's own override. The
  default rate-limit budget is so large it never fires (headers are still sent); set
  e.g. ``{"limit": 5, "period_seconds": 10}`` for real 429s per rate-limit name.

``POST /_emulator/reset`` → 204: forgets every object, call and fault; the config goes
back to its start-up value (command-line options applied).

The config (org/repository defaults, modes, limits) and all Datadog objects persist in
the SQLite file; faults and the call log are in memory.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..identity import FlakyState
from ..models import ServiceSettingFlags

__all__ = [
    "DEFAULT_MAX_BULK_TESTS",
    "ActiveFault",
    "CallsResponse",
    "EmulatorConfig",
    "EmulatorConfigPatch",
    "FaultKind",
    "FaultSpec",
    "FaultsRequest",
    "FaultsResponse",
    "FlakyTestSpec",
    "FlakyTestsRequest",
    "Health",
    "OrgDefaults",
    "OrgDefaultsState",
    "OrgDefaultsUpdate",
    "PrCommentsMode",
    "RateLimitConfig",
    "RecordedCall",
    "RepositoryDefaults",
    "SeedFlakyTestsRequest",
    "SeedTest",
    "SeededFlakyTests",
    "SeededTest",
]

DEFAULT_MAX_BULK_TESTS: Final = 1000
"""Default maximum number of tests one bulk state PATCH may carry (the API documents none)."""

PrCommentsMode = Literal["seeds", "current"]
"""``seeds``: ``pr_comments_enabled`` in a service PATCH is applied (the seeds' contract).
``current``: it is ignored at the service level and the repository/org value is returned
(what the current official client documents)."""


class _Admin(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- config


class OrgDefaults(_Admin):
    """The organisation-wide value of each service setting; a service that does not
    override a setting (and whose repository has no default for it) inherits it."""

    auto_test_retries_enabled: bool = False
    code_coverage_enabled: bool = False
    early_flake_detection_enabled: bool = False
    failed_test_replay_enabled: bool = False
    pr_comments_enabled: bool = False
    test_impact_analysis_enabled: bool = False


class OrgDefaultsUpdate(OrgDefaults):
    """``PUT /_emulator/org-defaults``: the org-wide value of every service setting (an
    omitted setting is ``false``) and, when given, the ``pr_comments_mode``."""

    pr_comments_mode: PrCommentsMode | None = None


class OrgDefaultsState(OrgDefaults):
    """Answer of ``GET``/``PUT /_emulator/org-defaults``."""

    pr_comments_mode: PrCommentsMode


class RepositoryDefaults(ServiceSettingFlags, _Admin):
    """Repository-level defaults: a set field takes precedence over the org default."""


class RateLimitConfig(_Admin):
    """A fixed-window budget per rate-limit name (``X-RateLimit-Name``): ``limit`` requests
    per ``period_seconds``; the next request in the window gets a real 429."""

    limit: Annotated[int, Field(ge=1, le=10_000_000)] = 1_000_000
    period_seconds: Annotated[int, Field(ge=1, le=3600)] = 60


class EmulatorConfig(_Admin):
    """``GET /_emulator/config`` (and the answer of ``PATCH``); persisted with the state."""

    pr_comments_mode: PrCommentsMode = "seeds"
    org_defaults: OrgDefaults = Field(default_factory=OrgDefaults)
    repository_defaults: dict[str, RepositoryDefaults] = Field(default_factory=dict)
    rate_limit: RateLimitConfig = Field(default_factory=RateLimitConfig)
    max_bulk_tests: Annotated[int, Field(ge=1, le=100_000)] = DEFAULT_MAX_BULK_TESTS


class EmulatorConfigPatch(_Admin):
    """``PATCH /_emulator/config``: only the fields given change. ``org_defaults`` and each
    repository's defaults merge field by field; a repository mapped to ``null`` is removed."""

    pr_comments_mode: PrCommentsMode | None = None
    org_defaults: RepositoryDefaults | None = None
    repository_defaults: dict[str, RepositoryDefaults | None] | None = None
    rate_limit: RateLimitConfig | None = None
    max_bulk_tests: Annotated[int, Field(ge=1, le=100_000)] | None = None


# --------------------------------------------------------------------------- faults

FaultKind = Literal["latency", "rate_limit", "error", "drop", "hang", "bulk_failure"]


class FaultSpec(_Admin):
    """One fault rule. It applies to Datadog-path calls matching ``method`` (exact, any case;
    ``null``: any) and ``path`` (a Python regular expression that must match the whole
    path, e.g. ``/api/v2/synthetics/suites`` exactly or ``/api/v2/synthetics/suites/.*``;
    ``null``: any path), fires with probability
    ``rate`` on each matching call, at most ``count`` times (``null``: until cleared).

    Kinds:
    - ``latency``: wait ``latency_ms`` (+ uniform random ``0..latency_jitter_ms``) first.
    - ``rate_limit``: answer 429 with ``X-RateLimit-Reset: reset_seconds``, not applied.
    - ``error``: answer ``status`` (5xx by default 500). ``apply=false`` (default): the
      request is not applied; ``apply=true``: it is applied, then the error is answered.
    - ``drop``: close the connection without any HTTP answer (a transport error for the
      client). ``apply=true`` (default): after the server applied the change.
    - ``hang``: apply (unless ``apply=false``), then hold the connection ``hang_seconds``
      (past the client's timeout) and close it without an answer.
    - ``bulk_failure``: in a bulk flaky-test PATCH, tests in ``test_ids`` — or, without
      ``test_ids``, each test with probability ``rate`` — get ``success: false`` with
      ``message`` and keep their state; ``count`` counts affected requests.
    """

    kind: FaultKind
    method: str | None = None
    path: str | None = None
    rate: Annotated[float, Field(ge=0, le=1)] = 1.0
    count: Annotated[int, Field(ge=1, le=1_000_000)] | None = 1
    latency_ms: Annotated[int, Field(ge=0, le=120_000)] = 0
    latency_jitter_ms: Annotated[int, Field(ge=0, le=120_000)] = 0
    status: Annotated[int, Field(ge=400, le=599)] = 500
    reset_seconds: Annotated[int, Field(ge=0, le=3600)] = 1
    apply: bool | None = None
    hang_seconds: Annotated[float, Field(gt=0, le=600)] = 30.0
    test_ids: list[str] | None = None
    message: str | None = None

    @field_validator("path")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _check(self) -> FaultSpec:
        if self.kind == "latency" and self.latency_ms == 0 and self.latency_jitter_ms == 0:
            raise ValueError("a latency fault needs latency_ms and/or latency_jitter_ms > 0")
        if self.test_ids is not None and self.kind != "bulk_failure":
            raise ValueError("test_ids only applies to kind 'bulk_failure'")
        if self.method is not None:
            self.method = self.method.upper()
        return self

    @property
    def applies_change(self) -> bool:
        """Whether the request is processed before the fault's answer."""
        if self.apply is not None:
            return self.apply
        return self.kind in ("drop", "hang")


class FaultsRequest(_Admin):
    """``POST /_emulator/faults``: add rules (``replace: true`` clears the others first);
    ``seed`` makes the random draws (rates, jitter) reproducible."""

    faults: Annotated[list[FaultSpec], Field(min_length=1, max_length=100)]
    replace: bool = False
    seed: int | None = None


class ActiveFault(FaultSpec):
    """A rule as installed: its id, how often it fired, and how many firings remain."""

    id: str
    fired: int = 0
    remaining: int | None = None


class FaultsResponse(_Admin):
    """``GET``/``POST /_emulator/faults``."""

    faults: list[ActiveFault]


# ---------------------------------------------------------------------------- calls


class RecordedCall(_Admin):
    """One Datadog-path call the emulator received (headers, hence keys, never recorded)."""

    seq: int
    time: float
    method: str
    path: str
    query: dict[str, str | list[str]]
    body: Any = None
    """The JSON body; text when it is not JSON or was cut (only its first 256 KiB are kept)."""
    body_bytes: int = 0
    """Size of the body as received (or as declared, for a refused 413)."""
    body_truncated: bool = False
    """``true`` when ``body`` holds only the start of the body (or none of it: 413, 403)."""
    status: int | None
    """``null`` when no HTTP answer was sent (``drop``/``hang`` faults)."""
    fault: FaultKind | None = None
    duration_ms: float
    """Wall time the emulator spent on the call (a measurement: never exact)."""
    injected_latency_ms: float = 0.0
    """Delay a ``latency`` fault added before the call was served (the drawn value)."""


class CallsResponse(_Admin):
    """``GET /_emulator/calls``: oldest first (the most recent 10,000 are kept)."""

    calls: list[RecordedCall]


# ------------------------------------------------------------------------ flaky tests


class SeedTest(_Admin):
    """One explicitly described flaky test; unset details get realistic generated values.
    ``service`` is a shortcut for ``services: [service]``; ``id`` defaults to the hash of
    repository and FQN (``module.suite.name``)."""

    name: Annotated[str, Field(min_length=1)]
    suite: Annotated[str, Field(min_length=1)] = "DefaultSuite"
    module: str | None = None
    id: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")] | None = None
    state: FlakyState = "active"
    category: str | None = None
    service: Annotated[str, Field(min_length=1)] | None = None
    services: list[str] | None = None
    envs: list[str] | None = None
    codeowners: list[str] | None = None
    branch: Annotated[str, Field(min_length=1)] = "main"
    failure_rate: Annotated[float, Field(ge=0, le=1)] | None = None

    @model_validator(mode="after")
    def _one_service_field(self) -> SeedTest:
        if self.service is not None and self.services is not None:
            raise ValueError("give either service or services, not both")
        return self


class SeedFlakyTestsRequest(_Admin):
    """``POST /_emulator/seed/flaky-tests``: generate ``count`` realistic flaky tests for a
    repository, plus the explicitly described ``tests``. Deterministic: the same body gives
    the same tests (ids are a hash of the repository and the test's FQN, so seeding again
    updates instead of duplicating).

    ``state`` puts every generated test in one state; otherwise ``states`` weights the draw
    (default: 70% active, 15% quarantined, 5% disabled, 10% fixed)."""

    repository_id: Annotated[str, Field(min_length=1)]
    count: Annotated[int, Field(ge=0, le=100_000)]
    seed: int = 0
    tests: Annotated[list[SeedTest], Field(max_length=100_000)] | None = None
    services: list[Annotated[str, Field(min_length=1)]] | None = None
    envs: list[Annotated[str, Field(min_length=1)]] | None = None
    codeowners: list[str] | None = None
    branch: Annotated[str, Field(min_length=1)] = "main"
    state: FlakyState | None = None
    states: dict[FlakyState, Annotated[float, Field(ge=0)]] | None = None
    with_history: bool = True

    @model_validator(mode="after")
    def _something_to_seed(self) -> SeedFlakyTestsRequest:
        if self.count == 0 and not self.tests:
            raise ValueError("nothing to seed: give count >= 1 and/or tests")
        return self


class FlakyTestSpec(SeedTest):
    """One explicit flaky test for ``POST /_emulator/flaky-tests`` (a ``SeedTest`` with its
    repository)."""

    repository_id: Annotated[str, Field(min_length=1)]


class FlakyTestsRequest(_Admin):
    """``POST /_emulator/flaky-tests``: create or replace the given tests."""

    tests: Annotated[list[FlakyTestSpec], Field(min_length=1, max_length=100_000)]


class SeededTest(_Admin):
    id: str
    module: str | None = None
    suite: str
    name: str
    state: FlakyState


class SeededFlakyTests(_Admin):
    """Answer of both flaky-test admin endpoints."""

    repository_ids: list[str]
    created: int
    updated: int
    tests: list[SeededTest]


# --------------------------------------------------------------------------- health


class Health(_Admin):
    """``GET /_emulator/health``."""

    status: Literal["ok"] = "ok"
    version: str
    database: str
    """``":memory:"`` or the SQLite file path."""
    uptime_seconds: float
    counts: dict[str, int]
