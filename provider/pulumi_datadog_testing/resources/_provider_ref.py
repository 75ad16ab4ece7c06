"""``ProviderRef``: the provider as a program names it, without importing it.

A dynamic resource carries its provider pickled (``pulumi.dynamic.serialize_provider``, dill)
in its ``__provider`` property; the provider process unpickles it and calls its hooks. The
provider classes need pydantic, the wire models and the client, and a program only declares
resources: importing them cost the program process ~60 ms per run (2026-12-01). So a resource
class hands the SDK a ``ProviderRef`` naming its provider class by module and name, and dill
pickles it *exactly* as it pickles an instance of that class (``copyreg.__newobj__`` of the
class by reference, then the instance's empty ``__getstate__``): the same bytes, so a stack
written by an earlier version sees no change of ``__provider`` (and an earlier version can
still read what this one writes), and the provider process unpickles the real provider.

Only this package's provider classes are named this way (their instances hold no state, and
their module and name are what earlier states hold, so they never move); a provider class a
program defines itself (``__main__``) is pickled by value as before.
"""

from __future__ import annotations

import importlib
import pickle
from typing import Any, Final

import dill
from pulumi.dynamic import ResourceProvider

__all__ = ["ProviderRef", "load_provider"]

_MIN_PROTOCOL: Final = 4
"""``STACK_GLOBAL`` (the SDK pickles with ``pickle.DEFAULT_PROTOCOL``: 4, 5 from Python 3.14)."""


class ProviderRef(ResourceProvider):
    """Stands for an instance of ``module.name`` (a ``DatadogResourceProvider`` subclass) in
    a program: pickled as that instance, never called (the program calls no hook)."""

    # As every DatadogResourceProvider: the pickle holds no secret (see _base).
    serialize_as_secret_always = False

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def __repr__(self) -> str:
        return f"ProviderRef({self.module!r}, {self.name!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Any other pickler (copy, plain pickle): unpickles to the provider as well.
        return load_provider, (self.module, self.name)


def load_provider(module: str, name: str) -> ResourceProvider:
    """A new instance of the provider class ``module.name``."""
    provider_class = getattr(importlib.import_module(module), name)
    provider: ResourceProvider = provider_class()
    return provider


@dill.register(ProviderRef)  # type: ignore[untyped-decorator,unused-ignore]
def _save_as_instance(pickler: Any, ref: ProviderRef) -> None:
    """Write what dill writes for an instance of the named class with no attributes:
    ``module``, ``name``, ``STACK_GLOBAL`` (the class by reference), ``()``, ``NEWOBJ``,
    ``{}``, ``BUILD`` — each object memoized as the pickler memoizes it (tests compare the
    bytes with a real instance's for every provider class)."""
    if pickler.proto < _MIN_PROTOCOL:
        pickler.save_reduce(load_provider, (ref.module, ref.name), obj=ref)
        return
    pickler.save(ref.module)
    pickler.save(ref.name)
    pickler.write(pickle.STACK_GLOBAL)
    pickler.memoize(object())  # the class's memo slot (nothing refers to it again)
    pickler.save(())
    pickler.write(pickle.NEWOBJ)
    pickler.memoize(ref)
    pickler.save({})  # the instance's state: DatadogResourceProvider keeps none
    pickler.write(pickle.BUILD)
