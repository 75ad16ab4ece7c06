"""What every resource's dynamic provider shares: the base provider class and the undo of a
write that failed half-way.

The process-wide configuration and client live in ``_process`` (with how credentials reach a
provider without entering Pulumi state), input validation for ``check`` in ``_check``, and the
program-side property helpers in ``_props``; their names are re-exported here, so resource
modules import what they share from one place.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pulumi.dynamic import ConfigureRequest, ReadResult, ResourceProvider

from ..config_values import ResolvedSettings
from ..errors import DatadogAPIError, DatadogError
from ._check import (
    WIRE_UNKNOWN,
    check_failures,
    check_inputs,
    has_unknowns,
    identical,
    is_unknown,
    unchanged,
)
from ._process import (
    config_failures,
    configure_process,
    reset_process,
    shared_api,
    shared_client,
    shared_settings,
    use_client,
)
from ._props import PROVIDER_KEY, given_inputs, input_names, strip_provider
from ._writing_hooks import WRITING_HOOKS, counted

if TYPE_CHECKING:
    from ..api import DatadogAPI
    from ..client import DatadogClient
    from ..config import Settings

__all__ = [
    "PROVIDER_KEY",
    "WIRE_UNKNOWN",
    "DatadogResourceProvider",
    "check_failures",
    "check_inputs",
    "config_failures",
    "configure_process",
    "given_inputs",
    "has_unknowns",
    "identical",
    "input_names",
    "is_unknown",
    "refreshed",
    "reset_process",
    "shared_api",
    "shared_client",
    "shared_settings",
    "strip_provider",
    "unchanged",
    "use_client",
    "write_or_undo",
]


def refreshed(
    id_: str, props: Mapping[str, Any], outputs: dict[str, Any], inputs: dict[str, Any]
) -> ReadResult:
    """A refresh's result, with ``inputs`` only when the refresh changed the outputs: when
    Datadog holds exactly what the state records, the engine keeps the inputs it has (engine
    v3.259 ``RefreshStep.Apply``: no inputs from the provider retain the old ones), and the
    SDK and the engine skip marshalling a second copy of every resource's values (the usual
    refresh, where nothing drifted)."""
    same = outputs == strip_provider(props)
    return ReadResult(id_, outputs, None if same else inputs)


def write_or_undo(write: Callable[[], None], undo: Callable[[], None], *, what: str) -> None:
    """Run ``write``; when it fails in a way that may have been applied anyway (no answer, or
    a 5xx after retries), run ``undo`` so a failed create leaves nothing half-written — the
    next attempt would otherwise record the half-written values as the ones to restore.
    Re-raises the write's error, its message saying whether ``what`` was put back."""
    try:
        write()
    except DatadogAPIError as error:
        if error.status is not None and error.status < 500:
            raise  # answered and refused: nothing was applied
        try:
            undo()
        except DatadogError as undo_error:
            outcome = f"putting back {what} failed too ({undo_error}): check them on Datadog"
        else:
            outcome = f"{what} were put back as they were"
        raise error.with_message(f"{error.message}; {outcome}") from error


_ROOT = __package__.rpartition(".")[0]


def _unpicklable_types() -> tuple[type, ...]:
    """Types a provider must not hold. The others count only once their modules are loaded
    (nothing can be an instance before), so pickling never imports pydantic or the HTTP
    stack."""
    found: list[type] = [ResolvedSettings]
    for module, name in ((f"{_ROOT}.config", "Settings"), ("pydantic", "SecretStr"),
                         (f"{_ROOT}.client", "DatadogClient"), ("httpx", "Client")):  # fmt: skip
        loaded = sys.modules.get(module)
        if loaded is not None:
            found.append(getattr(loaded, name))
    return tuple(found)


_PACKAGE = __name__.partition(".")[0] + "."
"""This package's module prefix."""


class DatadogResourceProvider(ResourceProvider):
    """Base of every resource provider in this package.

    Subclasses implement ``check``/``diff``/``create``/``read``/``update``/``delete`` and use
    ``self.api`` (typed operations) and ``self.settings``; both live in the process, not on
    the instance.
    Keep instance attributes plain data (they are pickled into state).
    """

    # The pickle holds no secret (``__getstate__`` enforces it), so it need not be stored
    # encrypted: state stays inspectable, and tests can prove no key is in it.
    serialize_as_secret_always = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__module__.startswith(_PACKAGE):
            # A provider class of a program (``__main__``) is pickled by value, its methods
            # with it: a counting wrapper would drag the counter's lock along. Only this
            # package's providers write flaky tests, so only they are counted.
            return
        for name in WRITING_HOOKS:  # counted while they run (see _writing_hooks)
            hook = cls.__dict__.get(name)
            if callable(hook) and not getattr(hook, "_counted", False):
                setattr(cls, name, counted(hook))

    def configure(self, req: ConfigureRequest) -> None:
        configure_process(req.config)

    @property
    def client(self) -> DatadogClient:
        return shared_client()

    @property
    def api(self) -> DatadogAPI:
        return shared_api()

    @property
    def settings(self) -> Settings:
        return shared_settings()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(vars(self))
        forbidden = _unpicklable_types()
        for name, value in state.items():
            if isinstance(value, forbidden):
                raise TypeError(
                    f"{type(self).__name__}.{name} holds a {type(value).__name__}: providers are "
                    "pickled into Pulumi state, so keep clients and credentials out of self "
                    "(use self.api / self.settings)"
                )
        return state
