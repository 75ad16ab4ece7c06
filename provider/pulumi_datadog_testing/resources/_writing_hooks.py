"""How many hooks that may write — ``create``, ``update``, ``delete`` — this provider process is
running now.

Coalesced flaky-test writes (``_flaky_batch``) go out once every such hook in flight is one of
them: any other may still reach a write of its own (a flaky-test create reads first), while
``check``, ``diff`` and ``read`` never write and are not waited for.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any, Final, TypeVar

__all__ = ["WRITING_HOOKS", "arrival_gap", "counted", "running_hook", "writing_hooks"]

WRITING_HOOKS: Final = ("create", "update", "delete")
"""The provider hooks that may write."""

F = TypeVar("F", bound=Callable[..., Any])

_running = 0
_lock = threading.Lock()
_last_start: float | None = None
_gap = 0.0
"""Moving average of the time between two such hooks starting (the engine's pace)."""
_depth = threading.local()
"""Per thread: how deep in counted hooks (a hook calling another counts once), and the name
of the outermost one (``hook``)."""


def arrival_gap() -> float:
    """Recent time between two ``create``/``update``/``delete`` hooks starting, in seconds:
    the engine sends them more slowly as its state grows (it saves the state after each
    step), so how long a write waits for the next one to join follows it."""
    with _lock:
        return _gap


def running_hook() -> str | None:
    """The counted hook this thread runs (the outermost: ``create``, ``update`` or
    ``delete``), ``None`` outside one."""
    name: str | None = getattr(_depth, "hook", None)
    return name


def writing_hooks() -> int:
    """How many ``create``/``update``/``delete`` hooks run now in this process."""
    with _lock:
        return _running


def _started() -> None:
    global _running, _last_start, _gap
    now = time.monotonic()
    with _lock:
        _running += 1
        if _last_start is not None:
            gap = min(now - _last_start, 1.0)  # a pause between operations is not the pace
            _gap = gap if _gap == 0.0 else 0.8 * _gap + 0.2 * gap
        _last_start = now


def counted(hook: F) -> F:
    """``hook``, counted by ``writing_hooks`` while it runs."""

    @functools.wraps(hook)
    def run(*args: Any, **kwargs: Any) -> Any:
        global _running
        depth = getattr(_depth, "value", 0)
        _depth.value = depth + 1
        if depth == 0:
            _depth.hook = hook.__name__
            _started()
        try:
            return hook(*args, **kwargs)
        finally:
            _depth.value = depth
            if depth == 0:
                _depth.hook = None
                with _lock:
                    _running -= 1

    run.__dict__["_counted"] = True
    return run  # type: ignore[return-value]
