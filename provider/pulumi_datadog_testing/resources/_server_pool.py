"""Let the dynamic-provider server run as many calls at once as the engine sends.

The SDK's dynamic-provider server (``pulumi/dynamic/__main__.py``, SDK 3.259) serves every
resource of the program with ``grpc.server(ThreadPoolExecutor(max_workers=4))``: however high
the engine's ``--parallel`` (default 4 × CPUs), at most 4 creates, reads or deletes run at once,
and the rest queue inside the server. Against an API with latency that caps every phase, and
it caps how many concurrent flaky-test writes can be coalesced into one bulk ``PATCH``.

The server object is local to the SDK's ``main()``, so the pool is found through the garbage
collector (one scan per process, at ``configure``) and its worker limit raised to
``maxConcurrency`` — ``ThreadPoolExecutor`` reads ``_max_workers`` each time it decides whether
to start another thread. A private attribute of two libraries: if either changes shape the scan
finds nothing and the server keeps its 4 workers (``tests/faults/test_provider_concurrency.py``
fails then, so an upgrade cannot silently lose this).
"""

from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor

__all__ = ["widen_server_pool"]


def _server_pools() -> list[ThreadPoolExecutor]:
    found = []
    for obj in gc.get_objects():
        kind = type(obj)
        if kind.__name__ == "_ServerState" and kind.__module__ == "grpc._server":
            pool = getattr(obj, "thread_pool", None)
            if isinstance(pool, ThreadPoolExecutor):
                found.append(pool)
    return found


_widened: list[ThreadPoolExecutor] = []


def widen_server_pool(size: int) -> bool:
    """Raise the worker limit of this process's gRPC server pool to ``size`` (never lower it;
    the scan runs once per process); ``False`` when no server pool was found."""
    pools = _widened or _server_pools()
    _widened[:] = pools
    for pool in pools:
        pool._max_workers = max(pool._max_workers, size)
    return bool(pools)
