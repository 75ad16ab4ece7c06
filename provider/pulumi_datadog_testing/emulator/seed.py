"""Realistic, deterministic flaky-test data for the emulator's seeding endpoints.

Tests get plausible modules, suites and names in a few language styles, services, envs,
code owners, a flaky category with a matching error message and stack, flake timestamps
and branches/SHAs, failure rates, pipeline statistics, an impact score and a state history.
Everything derives from ``random.Random(f"{repository_id}:{seed}")`` and a fixed reference
time, so the same request always yields the same tests; ids are ``test_id()``, a 16-hex
hash of repository and FQN (stable, like the API's ``test_fingerprint_fqn``).
"""

from __future__ import annotations

import hashlib
import random
import string
from collections.abc import Iterable, Iterator
from typing import Any, Final

from ..identity import FLAKY_STATES, FlakyState
from .admin_models import SeedFlakyTestsRequest, SeedTest

__all__ = ["REFERENCE_TS", "from_specs", "generate", "test_id"]

REFERENCE_TS: Final = 1_788_000_000
"""The fixed "now" generated timestamps lie before (2026-08-29T10:40:00Z)."""

_DEFAULT_WEIGHTS: Final[dict[FlakyState, float]] = {
    "active": 0.70,
    "quarantined": 0.15,
    "disabled": 0.05,
    "fixed": 0.10,
}
_CATEGORIES: Final = {
    "Timeout": ("TimeoutError: operation timed out after 30000ms", "await client.fetch()"),
    "Concurrency": ("AssertionError: expected 2 workers to finish, 1 did", "pool.join()"),
    "Asynchronous Wait": ("ElementNotVisibleError: #checkout not visible after 5s", "page.click()"),
    "Network": ("ConnectionResetError: [Errno 104] Connection reset by peer", "session.get(url)"),
    "Randomness": ("AssertionError: 0.4971 != 0.5 within 0.001", "assert_close(rate, 0.5)"),
    "Test Order Dependency": (
        "KeyError: 'cart_id' (fixture state leaked)",
        "cart = store['cart_id']",
    ),
    "Resource Leak": ("OSError: [Errno 24] Too many open files", "open(report_path)"),
    "Time": ("AssertionError: expected 2026-03-29 got 2026-03-28 (DST)", "assert day == expected"),
    "IO": ("FileNotFoundError: /tmp/export.csv", "read_export()"),
    "Unordered Collection": (
        "AssertionError: ['b', 'a'] != ['a', 'b']",
        "assert items == expected",
    ),
}
_AREAS: Final = (
    "cart", "checkout", "payments", "inventory", "search", "accounts", "shipping",
    "notifications", "pricing", "catalog", "orders", "auth", "reviews", "recommendations",
)  # fmt: skip
_VERBS: Final = (
    "creates", "updates", "deletes", "lists", "rejects", "retries", "caches", "syncs",
    "validates", "renders", "exports", "imports", "refunds", "applies", "expires",
)  # fmt: skip
_OBJECTS: Final = (
    "order", "item", "coupon", "session", "token", "invoice", "address", "user", "report",
    "webhook", "discount", "subscription", "receipt", "cart", "shipment",
)  # fmt: skip
_CONDITIONS: Final = (
    "when_stock_is_low", "with_expired_card", "on_retry", "under_load", "after_timeout",
    "for_guest_user", "with_unicode_name", "in_parallel", "across_timezones", "",
)  # fmt: skip
_SERVICES: Final = ("api", "web", "worker", "billing", "mobile-backend")
_ENVS: Final = ("ci", "staging")
_OWNERS: Final = ("@acme/payments", "@acme/web", "@acme/platform", "@acme/mobile", "@acme/qa")
_BRANCHES: Final = ("main", "develop", "release/2026.08", "feature/checkout-v2")
_POLICY_FOR_STATE: Final[dict[str, str]] = {
    "quarantined": "ftm_policy.quarantine.failure_rate",
    "disabled": "ftm_policy.disable.failure_rate",
    "fixed": "ftm_policy.fixed",
    "active": "ftm_policy.manual",
}


def test_id(repository_id: str, module: str | None, suite: str, name: str) -> str:
    """The stable 16-hex id of a test (hash of repository and FQN)."""
    fqn = f"{repository_id}\x00{module or ''}\x00{suite}\x00{name}"
    return hashlib.sha256(fqn.encode()).hexdigest()[:16]


test_id.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def generate(request: SeedFlakyTestsRequest) -> list[dict[str, Any]]:
    """``request.count`` generated test documents for ``request.repository_id``, then one per
    explicit ``request.tests`` entry (which win over a generated test with the same id)."""
    explicit = from_specs([(request.repository_id, spec) for spec in request.tests or ()])
    if request.count == 0:
        return explicit
    taken = {doc["id"] for doc in explicit}
    generated = [d for d in _generated(request) if d["id"] not in taken]
    return generated[: request.count] + explicit


def _generated(request: SeedFlakyTestsRequest) -> list[dict[str, Any]]:
    rng = random.Random(f"{request.repository_id}:{request.seed}")
    repo_name = request.repository_id.rstrip("/").rsplit("/", 1)[-1] or "app"
    services = request.services or [f"{repo_name}-{s}" for s in _SERVICES[:3]]
    envs = request.envs or list(_ENVS)
    owners = request.codeowners if request.codeowners is not None else list(_OWNERS)
    weights = request.states or _DEFAULT_WEIGHTS
    states = [s for s in FLAKY_STATES if weights.get(s, 0) > 0] or ["active"]
    seen: set[tuple[str | None, str, str]] = set()
    docs: list[dict[str, Any]] = []
    for module, suite, name in _names(rng, repo_name):
        if (module, suite, name) in seen:
            continue
        seen.add((module, suite, name))
        state: FlakyState = (
            request.state or rng.choices(states, weights=[weights.get(s, 0) for s in states])[0]
        )
        docs.append(
            _document(
                rng,
                repository_id=request.repository_id,
                module=module,
                suite=suite,
                name=name,
                state=state,
                services=rng.sample(services, k=rng.randint(1, min(2, len(services)))),
                envs=rng.sample(envs, k=rng.randint(1, len(envs))),
                codeowners=rng.sample(owners, k=min(len(owners), rng.randint(1, 2))),
                branch=request.branch,
                category=None,
                failure_rate=None,
                with_history=request.with_history,
            )
        )
        if len(docs) == request.count:
            break
    return docs


def from_specs(specs: Iterable[tuple[str, SeedTest]]) -> list[dict[str, Any]]:
    """Documents for explicitly described tests, as (repository_id, spec) pairs (unset
    details generated deterministically from the test's identity)."""
    docs = []
    for repository_id, spec in specs:
        rng = random.Random(f"{repository_id}:{spec.module}:{spec.suite}:{spec.name}")
        repo_name = repository_id.rstrip("/").rsplit("/", 1)[-1] or "app"
        services = [spec.service] if spec.service else spec.services
        doc = _document(
            rng,
            repository_id=repository_id,
            module=spec.module,
            suite=spec.suite,
            name=spec.name,
            state=spec.state,
            services=services or [f"{repo_name}-api"],
            envs=spec.envs or ["ci"],
            codeowners=spec.codeowners if spec.codeowners is not None else [_OWNERS[0]],
            branch=spec.branch,
            category=spec.category,
            failure_rate=spec.failure_rate,
            with_history=True,
        )
        if spec.id:
            doc["id"] = spec.id
        docs.append(doc)
    return docs


def _names(rng: random.Random, repo_name: str) -> Iterator[tuple[str | None, str, str]]:
    """An endless stream of (module, suite, name) in Python, Java and JS styles."""
    counter = 0
    while True:
        counter += 1
        module: str | None
        area = rng.choice(_AREAS)
        verb, obj, cond = rng.choice(_VERBS), rng.choice(_OBJECTS), rng.choice(_CONDITIONS)
        style = rng.randrange(3)
        suffix = f"_{counter // 2000}" if counter > 2000 else ""
        if style == 0:  # pytest
            module = f"tests/{area}"
            suite = f"test_{area}_{obj}.py"
            name = "_".join(p for p in ("test", verb, obj, cond) if p) + suffix
        elif style == 1:  # JUnit
            module = f"com.{repo_name.replace('-', '')}.{area}"
            suite = f"{area.title()}{obj.title()}Test"
            words = [verb, obj, *cond.split("_")] if cond else [verb, obj]
            name = words[0] + "".join(w.title() for w in words[1:]) + suffix.replace("_", "V")
        else:  # jest
            module = None if rng.random() < 0.2 else f"packages/{area}"
            suite = f"{area} {obj} flow"
            name = f"{verb} the {obj} {cond.replace('_', ' ')}".strip() + suffix.replace("_", " #")
        yield module, suite, name


def _document(
    rng: random.Random,
    *,
    repository_id: str,
    module: str | None,
    suite: str,
    name: str,
    state: FlakyState,
    services: list[str],
    envs: list[str],
    codeowners: list[str],
    branch: str,
    category: str | None,
    failure_rate: float | None,
    with_history: bool,
) -> dict[str, Any]:
    if category is None and rng.random() < 0.9:
        category = rng.choice(list(_CATEGORIES))
    message, line = _CATEGORIES.get(
        category or "", ("AssertionError: flaky assertion", "assert ok")
    )
    first_ts = REFERENCE_TS - rng.randint(1, 180) * 86_400 - rng.randint(0, 86_399)
    last_ts = min(REFERENCE_TS, first_ts + rng.randint(0, 120) * 86_400 + rng.randint(0, 86_399))
    first_sha, last_sha = _sha(rng), _sha(rng)
    rate = round(failure_rate * 100 if failure_rate is not None else rng.uniform(0.5, 60), 2)
    failed_pipelines = rng.randint(0, 400)
    lost_ms = failed_pipelines * rng.randint(60_000, 1_800_000)
    impact = round(min(1.0, rate / 100 + failed_pipelines / 800), 3)
    source_file = f"{module or suite}/{suite}".replace(" ", "_")
    start_line = rng.randint(10, 400)
    doc: dict[str, Any] = {
        "id": test_id(repository_id, module, suite, name),
        "repository_id": repository_id,
        "module": module,
        "suite": suite,
        "name": name,
        "flaky_state": state,
        "flaky_category": category,
        "services": services,
        "envs": envs,
        "codeowners": codeowners,
        "attempt_to_fix_id": "".join(rng.choices(string.ascii_uppercase + string.digits, k=6)),
        "first_flaked_branch": rng.choice((branch, *_BRANCHES)) if rng.random() < 0.3 else branch,
        "first_flaked_sha": first_sha,
        "first_flaked_ts": first_ts,
        "last_flaked_branch": branch,
        "last_flaked_sha": last_sha,
        "last_flaked_ts": last_ts,
        "impact_score": impact,
        "impact_level": "high" if impact >= 0.66 else "medium" if impact >= 0.33 else "low",
        "pipeline_stats": {"failed_pipelines": failed_pipelines, "total_lost_time_ms": lost_ms},
        "test_run_metadata": {
            "duration_ms": rng.randint(5, 60_000),
            "error_message": message,
            "error_stack": f'Traceback (most recent call last):\n  File "{source_file}", '
            f"line {start_line + 3}, in {name.split()[0]}\n    {line}\n{message}",
            "source_file": source_file,
            "source_start": start_line,
            "source_end": start_line + rng.randint(5, 60),
        },
        "test_stats": {"failure_rate_pct": rate},
    }
    history: list[dict[str, Any]] = []
    if with_history:
        history.append(
            {
                "status": "new",
                "commit_sha": first_sha,
                "timestamp": first_ts * 1000,
                "policy_id": "unknown",
            }
        )
        if state != "active":
            history.insert(
                0,
                {
                    "status": state,
                    "commit_sha": last_sha,
                    "timestamp": last_ts * 1000,
                    "policy_id": _POLICY_FOR_STATE[state],
                    "policy_meta": {"failure_rate": round(rate / 100, 4), "state": state},
                },
            )
    doc["history"] = history
    return doc


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"
