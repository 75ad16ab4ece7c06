"""Names a module re-exports from another module that is loaded only when one is read.

A provider module keeps its pydantic input models in a module of their own, loaded on first
use: a no-change preview needs none of them (``_check.unchanged``), and importing them costs
the provider process pydantic. Code that imported a model from the provider module goes on
working through the module ``__getattr__`` this makes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(owner: str, source: str, names: Iterable[str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for module ``owner``: ``source`` is imported the first time
    one of ``names`` is read; any other name is an ``AttributeError``."""
    wanted = frozenset(names)

    def __getattr__(name: str) -> Any:
        if name in wanted:
            return getattr(importlib.import_module(source), name)
        raise AttributeError(f"module {owner!r} has no attribute {name!r}")

    return __getattr__
