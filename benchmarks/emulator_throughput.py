"""Requests per second of the local Datadog API emulator on loopback, per endpoint.

    python benchmarks/emulator_throughput.py [--requests 3000] [--seconds 10] \\
        [--concurrency 1] [--tests 20000] [--only TEXT] [--log] [--db PATH | --memory]

Starts the emulator (``EmulatorServer``: one uvicorn worker, a SQLite file by default),
seeds ``--tests`` flaky tests in one repository plus 5 in another (and prints how long that
took), then drives each endpoint (``--only``: those whose name contains TEXT) with
``--concurrency`` keep-alive connections (``http.client`` in threads: a light client, so the
numbers are mostly the server's) for ``--requests`` requests or ``--seconds``, whichever
comes first, and prints requests/s, client-side latency percentiles, the median time
spent inside the emulator (from its call log) and requests per CPU-second of the emulator
process: its capacity on one free core, which, unlike req/s, barely depends on what else
the machine runs. Per-request log lines are off
unless ``--log`` (the emulator logs each request by default; ``--quiet`` turns that off).
Numbers depend on the machine and its load; client and server share the CPU.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pulumi_datadog_testing.emulator import EmulatorServer

REPO = "github.com/acme/bench"
SMALL_REPO = "github.com/acme/small"
"""A repository with a handful of tests beside the big one: the selective searches."""
SETTINGS = "/api/v2/ci/test-optimization/settings/service"
FLAKY = "/api/v2/test/flaky-test-management/tests"
SUITES = "/api/v2/synthetics/suites"

Body = Callable[[int], tuple[str, str, Any]]
"""Request number → (method, path, JSON body or None)."""


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    server_ms: list[float] | None = None
    """Time spent inside the emulator per request (its call log's ``duration_ms``)."""
    server_cpu_s: float | None = None
    """CPU seconds the emulator process used for these requests (Linux ``/proc``)."""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def row(self) -> str:
        lat = sorted(self.latencies_ms)
        p50 = statistics.median(lat)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        errors = f"  ERRORS: {self.errors}" if self.errors else ""
        inside = (
            f"  server p50 {statistics.median(self.server_ms):5.2f} ms" if self.server_ms else ""
        )
        if self.server_cpu_s:
            inside += f"  {self.requests / self.server_cpu_s:6.0f} req/server-CPU-s"
        return (
            f"{self.name:<42} {self.rate:7.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"
            f"{inside}  ({self.requests} in {self.seconds:.1f}s){errors}"
        )


def drive(
    url: str,
    headers: dict[str, str],
    name: str,
    body: Body,
    *,
    requests: int,
    seconds: float,
    concurrency: int,
) -> Result:
    """Send ``requests`` requests (or stop after ``seconds``) over ``concurrency`` connections."""
    parts = urlsplit(url)
    counter = iter(range(requests))
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        nonlocal errors
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        own: list[float] = []
        failed = 0
        while time.perf_counter() < deadline:
            with lock:
                number = next(counter, None)
            if number is None:
                break
            method, path, payload = body(number)
            data = json.dumps(payload).encode() if payload is not None else None
            started = time.perf_counter()
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            response.read()
            own.append((time.perf_counter() - started) * 1000)
            if response.status >= 400:
                failed += 1
        conn.close()
        with lock:
            latencies.extend(own)
            errors += failed

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(name, len(latencies), time.perf_counter() - started, latencies, errors)


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a process so far (Linux only, else ``None``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def envelope(type_: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"type": type_, "attributes": attributes}}


def flaky_search(query: str, limit: int) -> Body:
    return lambda n: (
        "POST",
        FLAKY,
        envelope(
            "search_flaky_tests_request", {"filter": {"query": query}, "page": {"limit": limit}}
        ),
    )


def scenarios(ids: list[str], suite_ids: list[str]) -> list[tuple[str, Body, int]]:
    """(name, request builder, request-count divisor) for each measured endpoint."""
    fingerprints = f"fingerprint_fqn:({' OR '.join(ids[:1000])})"
    provider_read = f'@git.repository.id_v2:"{REPO}" fingerprint_fqn:({" OR ".join(ids[-390:])})'  # what the provider sends: one repository, up to ~390 ids (8,000 characters)
    few_ids = " OR ".join(f"fingerprint_fqn:{i}" for i in ids[100:103])
    settings_patch: Body = lambda n: (
        "PATCH",
        SETTINGS,
        envelope(
            "test_optimization_update_service_settings_request",
            {
                "repository_id": REPO,
                "service_name": f"svc-{n % 50}",
                "env": "ci",
                "early_flake_detection_enabled": n % 2 == 0,
            },
        ),
    )
    return [
        ("service settings PATCH", settings_patch, 1),
        (
            "service settings get (POST)",
            lambda n: (
                "POST",
                SETTINGS,
                envelope(
                    "test_optimization_get_service_settings_request",
                    {"repository_id": REPO, "service_name": f"svc-{n % 50}", "env": "ci"},
                ),
            ),
            1,
        ),
        (
            "policies PATCH",
            lambda n: (
                "PATCH",
                "/api/v2/ci/test-optimization/settings/policies",
                envelope(
                    "test_optimization_update_flaky_tests_management_policies_request",
                    {"repository_id": REPO, "attempt_to_fix": {"retries": 1 + n % 5}},
                ),
            ),
            1,
        ),
        (
            "flaky search, state query, 25/page",
            lambda n: (
                "POST",
                FLAKY,
                envelope(
                    "search_flaky_tests_request",
                    {"filter": {"query": "flaky_test_state:active env:ci"}, "page": {"limit": 25}},
                ),
            ),
            4,
        ),
        (
            "flaky search, 1000 ids by fingerprint_fqn",
            lambda n: (
                "POST",
                FLAKY,
                envelope(
                    "search_flaky_tests_request",
                    {"filter": {"query": fingerprints}, "page": {"limit": 1000}},
                ),
            ),
            30,
        ),
        (
            "flaky search, provider read (repo + 390 ids)",
            flaky_search(provider_read, 1000),
            10,
        ),
        (
            "flaky search, selective: 5-test repository",
            flaky_search(f'@git.repository.id_v2:"{SMALL_REPO}"', 100),
            1,
        ),
        (
            "flaky search, selective: repo + state",
            flaky_search(f'@git.repository.id_v2:"{SMALL_REPO}" flaky_test_state:active', 100),
            1,
        ),
        (
            "flaky search, selective: 3 ids OR'd",
            flaky_search(few_ids, 100),
            1,
        ),
        (
            "flaky bulk PATCH, 100 tests",
            lambda n: (
                "PATCH",
                FLAKY,
                envelope(
                    "update_flaky_test_state_request",
                    {
                        "tests": [
                            {"id": i, "new_state": ("quarantined", "active")[n % 2]}
                            for i in ids[(n % 40) * 100 : (n % 40) * 100 + 100]
                        ]
                    },
                ),
            ),
            4,
        ),
        ("suite GET", lambda n: ("GET", f"{SUITES}/{suite_ids[n % len(suite_ids)]}", None), 1),
        (
            "suite JSON Patch",
            lambda n: (
                "PATCH",
                f"{SUITES}/{suite_ids[n % len(suite_ids)]}/jsonpatch",
                envelope(
                    "suites_json_patch",
                    {"json_patch": [{"op": "replace", "path": "/name", "value": f"suite {n}"}]},
                ),
            ),
            1,
        ),
        (
            "suite search",
            lambda n: ("GET", f"{SUITES}/search?query=tag:team:web&count=20", None),
            2,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per endpoint")
    parser.add_argument("--seconds", type=float, default=10.0, help="time cap per endpoint")
    parser.add_argument("--concurrency", type=int, default=1, help="keep-alive connections")
    parser.add_argument(
        "--tests", type=int, default=20_000, help="flaky tests seeded in the big repository"
    )
    parser.add_argument("--only", default="", help="run the endpoints whose name contains this")
    parser.add_argument("--log", action="store_true", help="keep per-request log lines on")
    parser.add_argument("--memory", action="store_true", help="in-memory SQLite")
    parser.add_argument("--db", type=Path, help="SQLite file (default: a temporary file)")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 1_000_000 or not 0 < args.seconds <= 600:
        parser.error("--requests must be 1..1000000 and --seconds 0..600")
    if not 4000 <= args.tests <= 100_000:
        parser.error("--tests must be 4000..100000 (the bulk PATCH scenario uses 4,000 ids)")

    extra = [] if args.log else ["--quiet"]
    if args.memory:
        extra += ["--db", ":memory:"]
    with EmulatorServer(db=args.db, extra_args=extra) as server:
        headers = {**server.headers(), "Content-Type": "application/json"}
        started = time.perf_counter()
        seeded = server.seed_flaky_tests(REPO, args.tests, seed=1, with_history=False)
        seed_seconds = time.perf_counter() - started
        ids = [t.id for t in seeded.tests]
        server.seed_flaky_tests(SMALL_REPO, 5, seed=2, state="active")
        suite_ids = []
        for n in range(20):
            conn = http.client.HTTPConnection(server.host, server.port)
            suite = envelope(
                "suites",
                {"type": "suite", "name": f"suite {n}", "options": {}, "tests": [],
                 "tags": ["team:web"] if n % 2 else ["team:api"]},
            )  # fmt: skip
            conn.request("POST", SUITES, body=json.dumps(suite), headers=headers)
            suite_ids.append(json.loads(conn.getresponse().read())["data"]["id"])
            conn.close()

        storage = "in-memory SQLite" if args.memory else "SQLite file (WAL)"
        print(
            f"emulator at {server.url}: 1 uvicorn worker, {storage}, "
            f"request log {'on' if args.log else 'off'}, {args.concurrency} connection(s)"
        )
        print(f"{f'seed {args.tests:,} flaky tests (admin POST)':<42} {seed_seconds:9.2f} s")
        server.clear_calls()
        for name, body, divisor in scenarios(ids, suite_ids):
            if args.only and args.only not in name:
                continue
            cpu_before = cpu_seconds(server.pid)
            result = drive(
                server.url,
                headers,
                name,
                body,
                requests=max(1, args.requests // divisor),
                seconds=args.seconds,
                concurrency=args.concurrency,
            )
            cpu_after = cpu_seconds(server.pid)
            if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
                result.server_cpu_s = cpu_after - cpu_before
            result.server_ms = [c.duration_ms for c in server.calls(clear=True)]
            print(result.row(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
