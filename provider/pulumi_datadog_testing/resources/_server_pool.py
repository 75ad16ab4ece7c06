"""Let the dynamic-provider server run as many calls at once as the engine sends.

The SDK's dynamic-provider server (``pulumi/dynamic/__main__.py``, SDK 3.259) serves every
resource of the program with ``grpc.server(ThreadPoolExecutor(max_workers=4))``: however high
the engine's ``--parallel`` (default 4 × CPUs), at most 4 creates, reads or deletes run at once,
and the rest queue inside the server. Against an API with latency that caps every phase, and
it caps how many concurrent flaky-test writes can be coalesced into one bulk ``PATCH``.

The server object is local to the SDK's ``main()``, so the pool is found through the thread
serving it (``grpc._server`` starts it with the server's state as its argument; the garbage
collector's every object is scanned only if no thread has one: ~10 ms in a provider process,
which a no-change preview otherwise spends on nothing else this large), once per process at
``configure``, and its worker limit raised to
``maxConcurrency`` — ``ThreadPoolExecutor`` reads ``_max_workers`` each time it decides whether
to start another thread. A private attribute of two libraries: if either changes shape the scan
finds nothing and the server keeps its 4 workers (``tests/faults/test_provider_concurrency.py``
fails then, so an upgrade cannot silently lose this).

The widened pool starts a worker for every call that would wait for one: CPython's pool starts
threads only while its count of idle workers is zero, and that count drifts (see
``_start_missing_workers``).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

__all__ = ["widen_pool", "widen_server_pool"]


def _server_pools() -> list[ThreadPoolExecutor]:
    """The thread pools of this process's started gRPC servers."""
    states = [arg for thread in threading.enumerate() for arg in _thread_args(thread)]
    if not any(map(_is_server_state, states)):
        states = gc.get_objects()
    found = []
    for state in filter(_is_server_state, states):
        pool = getattr(state, "thread_pool", None)
        if isinstance(pool, ThreadPoolExecutor):
            found.append(pool)
    return found


def _thread_args(thread: threading.Thread) -> tuple[Any, ...]:
    args = getattr(thread, "_args", ())  # kept while its target runs (CPython)
    return args if isinstance(args, tuple) else ()


def _is_server_state(obj: Any) -> bool:
    kind = type(obj)
    return kind.__name__ == "_ServerState" and kind.__module__ == "grpc._server"


_widened: list[ThreadPoolExecutor] = []
_running = 0
_running_lock = threading.Lock()


def _counted(fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        global _running
        with _running_lock:
            _running += 1
        try:
            return fn(*args, **kwargs)
        finally:
            with _running_lock:
                _running -= 1

    return run


def _start_missing_workers(pool: ThreadPoolExecutor) -> None:
    """Start a worker for every call waiting while all workers are busy.

    ``ThreadPoolExecutor`` starts a thread only when its count of idle workers is zero, and
    that count drifts up: a worker that finishes a call counts itself idle, then takes the
    next queued call at once (CPython 3.11). Once the pool has been saturated it may never
    start another thread — a pool widened from 4 workers kept running 4 calls at a time."""
    with pool._shutdown_lock:
        while len(pool._threads) < pool._max_workers:
            with _running_lock:
                wanted = _running + pool._work_queue.qsize()
            if wanted <= len(pool._threads):
                return
            while pool._idle_semaphore.acquire(timeout=0):
                pass  # the drifted idle count: _adjust_thread_count then starts a thread
            pool._adjust_thread_count()


def _count_calls(pool: ThreadPoolExecutor) -> None:
    """Make ``pool`` count the calls it runs (gRPC submits each call to it) to start a worker
    for each call that would otherwise wait."""
    submit = pool.submit

    def counting_submit(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = submit(_counted(fn), *args, **kwargs)
        _start_missing_workers(pool)
        return future

    pool.submit = counting_submit  # type: ignore[method-assign]


def widen_server_pool(size: int) -> bool:
    """Raise the worker limit of this process's gRPC server pool to ``size`` (never lower it;
    the scan runs once per process) and count its calls; ``False`` when no server pool was
    found."""
    pools = _widened or _server_pools()
    for pool in pools:
        widen_pool(pool, size, count=pool not in _widened)
    _widened[:] = pools
    return bool(pools)


def widen_pool(pool: ThreadPoolExecutor, size: int, *, count: bool = True) -> None:
    """Let ``pool`` run up to ``size`` calls at once (``count``: first use of this pool)."""
    if count:
        _count_calls(pool)
    pool._max_workers = max(pool._max_workers, size)
    if count:
        _start_queued_workers(pool)


def _start_queued_workers(pool: ThreadPoolExecutor) -> None:
    """Start a worker for each call that queued before the pool was widened: ``configure``
    runs inside the first call, while the engine's next calls already wait for one of the
    SDK's 4 workers (uncounted, so ``_start_missing_workers`` cannot see them)."""
    with pool._shutdown_lock:
        for _ in range(min(pool._work_queue.qsize(), pool._max_workers - len(pool._threads))):
            while pool._idle_semaphore.acquire(timeout=0):
                pass  # see _start_missing_workers
            pool._adjust_thread_count()
