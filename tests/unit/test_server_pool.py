"""``_server_pool``: a widened pool really runs as many calls at once as it may, also after it
has been saturated (CPython's idle-worker count drifts up then and it would start no thread),
and it counts the calls it runs."""

from __future__ import annotations

import gc
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from pulumi_datadog_testing.resources import _server_pool


def _saturate(pool: ThreadPoolExecutor, rounds: int = 50) -> None:
    """Keep every worker busy with calls queued behind them: each finishing worker then
    counts itself idle and takes the next queued call (the drift)."""
    futures = [pool.submit(threading.Event().wait, 0.001) for _ in range(rounds)]
    for future in futures:
        future.result()


def test_a_widened_pool_runs_every_call_at_once_after_being_saturated() -> None:
    pool = ThreadPoolExecutor(max_workers=4)
    try:
        _saturate(pool)
        _server_pool.widen_pool(pool, 12)
        together = threading.Barrier(12, timeout=20)  # 12 calls must be running together
        results = [pool.submit(together.wait) for _ in range(12)]
        assert sorted(f.result(timeout=30) for f in results) == list(range(12))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def test_calls_queued_before_the_pool_was_widened_run_at_once() -> None:
    """As at a refresh's start: the engine sends 8 reads, the SDK's 4 workers run the first
    4 (one of them configures and widens the pool) and 4 queue; all 8 must then run."""
    pool = ThreadPoolExecutor(max_workers=4)
    together = threading.Barrier(8, timeout=20)  # 8 calls must be running together
    try:
        results = [pool.submit(together.wait) for _ in range(8)]
        _server_pool.widen_pool(pool, 16)
        assert sorted(f.result(timeout=30) for f in results) == list(range(8))
    finally:
        together.abort()
        pool.shutdown(wait=False, cancel_futures=True)


def test_the_widened_pool_counts_the_calls_it_is_running() -> None:
    pool = ThreadPoolExecutor(max_workers=2)
    release = threading.Event()
    started = threading.Barrier(4, timeout=20)
    try:
        _server_pool.widen_pool(pool, 8)
        before = _server_pool._running

        def call() -> None:
            started.wait()
            release.wait(20)

        futures = [pool.submit(call) for _ in range(3)]
        started.wait()  # the three calls are running
        assert _server_pool._running - before == 3
        release.set()
        for future in futures:
            future.result(timeout=20)
        assert _server_pool._running == before
    finally:
        release.set()
        pool.shutdown(wait=False, cancel_futures=True)


def test_a_started_grpc_servers_pool_is_found_through_its_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As in the dynamic-provider process: a started ``grpc.server`` is found without
    scanning every object (``gc.get_objects``, ~10 ms there) — and, failing that, by it."""
    pool = ThreadPoolExecutor(max_workers=4)
    server = grpc.server(pool)
    server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with monkeypatch.context() as patched:
            patched.setattr(gc, "get_objects", _no_scan)
            assert pool in _server_pool._server_pools()
        monkeypatch.setattr(_server_pool, "_thread_args", lambda _thread: ())
        assert pool in _server_pool._server_pools()  # the scan, for another grpc layout
    finally:
        server.stop(None)
        pool.shutdown(wait=False, cancel_futures=True)


def _no_scan() -> list[object]:
    raise AssertionError("scanned every object")
