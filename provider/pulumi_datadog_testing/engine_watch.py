"""End a provider process as soon as the ``pulumi`` engine that started it is gone.

The engine starts every plugin in a process group of its own (``Setpgid``), so a SIGKILL of
``pulumi``'s process group — a cancelled CI job, ``kill -9 -<pgid>`` — does not reach the
provider. Left running, it finishes the calls it had received: a held ``PATCH`` is retried
when its connection drops, the next bulk chunk is sent, a suite is created. Those writes land
minutes later, after ``pulumi-datadog-testing repair`` and the next ``up`` have recorded the
state, and silently undo the recovery (a service overridden again after ``destroy`` restored
it).

The engine is the only reader of the plugin's stdout (it reads the port from it, then the
logs until the plugin exits), so the pipe reporting that its reader is gone is the engine's
death: one blocked ``poll`` in a daemon thread notices it at once, with no polling loop and no
network probe. The process then exits without finishing anything — the same as a killed
provider, which ``repair`` handles.
"""

from __future__ import annotations

import os
import select
import stat
import sys
import threading
from typing import Final

__all__ = [
    "ENGINE_GONE_EXIT_CODE",
    "exit_when_engine_exits",
    "is_dynamic_provider_process",
    "reader_gone",
]

ENGINE_GONE_EXIT_CODE: Final = 70
"""The exit status of a provider that ended because its engine was gone (``EX_SOFTWARE``)."""

_started = threading.Event()


def _is_pipe(fd: int) -> bool:
    try:
        return stat.S_ISFIFO(os.fstat(fd).st_mode)
    except OSError:
        return False


def reader_gone(fd: int, timeout_ms: int | None = None) -> bool:
    """Wait (at most ``timeout_ms``; ``None``: forever) until the pipe written through ``fd``
    has no reader left; ``True`` when it has none."""
    poller = select.poll()
    # Event mask 0: only POLLERR/POLLHUP (always reported) wake it, never "writable".
    poller.register(fd, 0)
    events = poller.poll(timeout_ms)
    return any(mask & (select.POLLERR | select.POLLHUP) for _, mask in events)


def _watch(fd: int) -> None:
    if reader_gone(fd):
        os._exit(ENGINE_GONE_EXIT_CODE)


def exit_when_engine_exits(fd: int | None = None) -> bool:
    """Start (once per process) the thread that ends this process when the engine is gone.

    ``fd``: the plugin's stdout (default). Does nothing — and returns ``False`` — when it is
    not a pipe (the provider classes used in-process, a terminal, a file) or ``poll`` is not
    available (Windows)."""
    fd = sys.__stdout__.fileno() if fd is None and sys.__stdout__ is not None else fd
    if fd is None or not hasattr(select, "poll") or not _is_pipe(fd):
        return False
    if _started.is_set():
        return True
    _started.set()
    threading.Thread(target=_watch, args=(fd,), name="engine-watch", daemon=True).start()
    return True


def is_dynamic_provider_process() -> bool:
    """Whether this process is the engine's dynamic-provider plugin (``python -m
    pulumi.dynamic``), not a program, a test or a command that imports the providers."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    # `python -m pulumi.dynamic` runs the package's __main__ module.
    return getattr(spec, "name", None) in ("pulumi.dynamic", "pulumi.dynamic.__main__")
