"""Heap settings for this package's own long-running processes: the emulator server and the
dynamic-provider process. Never applied to a program's or a user's process.

Both processes hold tens of thousands of small containers (20,000 flaky-test documents or
states) and allocate as many more per bulk request, which costs them twice:

- **Cyclic garbage collection.** CPython starts a collection every 700 net allocations of
  containers and a full one whenever the long-lived objects grew by a quarter: with a
  200,000-object heap (a seeded emulator) each full pass takes ~0.1-0.2 s, and a 1,000-test
  bulk ``PATCH`` allocates enough for one every few requests — a third of the emulator's CPU
  for such a ``PATCH`` (2026-12-01). The emulator server calls ``settle_garbage_collector``:
  it collects once, moves what survived (modules, loaded state) out of the collector's sight
  (``gc.freeze``; objects there are still freed by reference counting) and raises the
  young-generation threshold, so a pass is rarer and looks at recent objects only. Call it again after loading much long-lived data.
- **glibc malloc arenas.** glibc gives each thread that meets lock contention its own arena
  (up to 8 per CPU) and rarely returns their memory: the provider server's worker threads,
  each decoding pages of 1,000 tests, left ~17 MB of peak RSS in extra arenas.
  ``limit_malloc_arenas`` caps them (``mallopt(M_ARENA_MAX)``, as ``MALLOC_ARENA_MAX=2``
  would, but a process started by the engine cannot choose its environment; the provider
  applies it when it meets a large ``FlakyTestStates``), and fixes the mmap threshold so
  large short-lived blocks are returned to the system when freed;
  ``release_free_memory`` (``malloc_trim``) gives back what a large request's working data
  left free in the heap, before the next peak builds on it. Only on glibc; elsewhere (macOS,
  musl) nothing is done.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
import threading
from typing import Final

__all__ = [
    "ARENA_MAX",
    "YOUNG_THRESHOLD",
    "glibc_version",
    "limit_malloc_arenas",
    "release_free_memory",
    "settle_garbage_collector",
]

YOUNG_THRESHOLD: Final = 20_000
"""Net container allocations between two young collections (CPython's default: 700)."""
ARENA_MAX: Final = 2
"""Most glibc malloc arenas (glibc's default: 8 per CPU)."""
MMAP_THRESHOLD: Final = 128 * 1024
"""Blocks of this many bytes or more get their own mapping, returned to the system when
freed (glibc's default starts here but rises to the largest block freed so far, up to 32 MB,
so after the first large free every later search page or serialized message came from the
heap, where what it leaves behind is not returned)."""
_M_ARENA_MAX: Final = -8
"""``M_ARENA_MAX`` of glibc's ``<malloc.h>``."""
_M_MMAP_THRESHOLD: Final = -3
"""``M_MMAP_THRESHOLD`` of glibc's ``<malloc.h>`` (setting it disables the rising threshold)."""
_lock = threading.Lock()
_arenas_limited = False


def settle_garbage_collector(young_threshold: int = YOUNG_THRESHOLD) -> None:
    """Collect now, exempt the survivors from later passes, and make young passes rarer.

    Cyclic garbage created before this call is collected first, so nothing unreachable is
    frozen; frozen objects that die later are freed by reference counting as usual (the
    documents and states held here form no cycles)."""
    with _lock:
        gc.collect()
        gc.freeze()
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(max(young_threshold, gc.get_threshold()[0]), older, oldest)


def glibc_version() -> str | None:
    """The C library's glibc version (``"2.36"``), or ``None`` when it is not glibc."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        found = os.confstr("CS_GNU_LIBC_VERSION")  # "glibc 2.36"; unset on musl
    except (ValueError, OSError):
        return None
    if not found or not found.startswith("glibc "):
        return None
    return found.split(" ", 1)[1]


def limit_malloc_arenas(
    arenas: int = ARENA_MAX, mmap_threshold: int | None = MMAP_THRESHOLD
) -> bool:
    """Cap glibc's malloc arenas at ``arenas`` and fix its mmap threshold at
    ``mmap_threshold`` bytes (``None``: leave it) for the rest of this process (arenas
    that already exist stay); ``False`` where there is no glibc or ``mallopt`` refused."""
    global _arenas_limited
    if arenas < 1:
        raise ValueError(f"arenas must be at least 1, got {arenas}")
    if glibc_version() is None:
        return False
    with _lock:
        if _arenas_limited:
            return True
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            mallopt = libc.mallopt
        except (OSError, AttributeError):
            return False
        mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        mallopt.restype = ctypes.c_int
        done = mallopt(_M_ARENA_MAX, arenas) == 1  # 1: success, 0: refused
        if mmap_threshold is not None:
            done = mallopt(_M_MMAP_THRESHOLD, mmap_threshold) == 1 and done
        _arenas_limited = bool(done)
        return _arenas_limited


def release_free_memory() -> bool:
    """Give the memory glibc's heap holds free back to the system (``malloc_trim``), e.g.
    what parsing a large request left behind; ``False`` without glibc."""
    if glibc_version() is None:
        return False
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes = (ctypes.c_size_t,)
    trim.restype = ctypes.c_int
    trim(0)
    return True
