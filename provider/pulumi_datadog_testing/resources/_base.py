"""What every resource's dynamic provider shares: credentials, the HTTP client, check helpers.

How credentials reach a provider without entering Pulumi state:

- A dynamic provider *instance* is pickled (dill) into the state of every resource that
  uses it (the ``__provider`` property). So a provider keeps no configuration on ``self``.
- In the provider process the engine calls ``Configure`` with the whole stack config: every
  namespace (``datadog:apiKey``, ``datadog-testing:site``, ``<project>:...``), keys kept
  with their namespace, secrets decrypted (SDK 3.259 ``pulumi/dynamic/__main__.py`` unwraps
  them; the engine's ``Target.GetPackageConfig`` passes everything for ``pulumi-python``).
  The SDK then calls ``provider.configure(req)`` once per distinct provider it unpickles.
- ``DatadogResourceProvider.configure`` resolves ``Settings`` (stack config, then the
  process environment) into a process-level holder in this module, and the single pooled
  ``DatadogClient`` is built from it on first use. If ``configure`` never ran (older engines,
  direct calls in tests), settings come from the environment alone.
- A configuration error found by ``configure`` (unknown site, ``http://`` to a non-loopback
  host, malformed URL, missing credentials, bad numbers) is reported by every ``check`` as a
  failure of the resource, so ``pulumi preview`` fails with the one-line message before any
  API call — as pulumi-datadog fails them at configure. ``datadog:validate: false`` exempts
  missing credentials only: the preview runs, and the first API call raises the error.
- ``__getstate__`` refuses to pickle a provider holding a client, ``Settings`` or secret.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import sys
import threading
import types
import typing
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, ResourceProvider
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN
from pydantic import BaseModel, SecretStr, ValidationError

from ..config import ConfigSource, Settings, load_settings, validation_enabled
from ..errors import DatadogAPIError, DatadogConfigError, DatadogError, MissingCredentialsError

if TYPE_CHECKING:
    from ..api import DatadogAPI
    from ..client import DatadogClient

__all__ = [
    "PROVIDER_KEY",
    "UNKNOWN",
    "DatadogResourceProvider",
    "check_failures",
    "check_inputs",
    "config_failures",
    "configure_process",
    "has_unknowns",
    "input_names",
    "is_unknown",
    "props_of",
    "reset_process",
    "shared_api",
    "shared_client",
    "shared_settings",
    "strip_provider",
    "use_client",
    "write_or_undo",
]

PROVIDER_KEY = "__provider"
"""The property holding the pickled provider; never part of a resource's own inputs."""

M = TypeVar("M", bound=BaseModel)


class _ProcessState:
    """Settings and client of this provider process (never pickled: module-level)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.configured = False
        self.settings: Settings | None = None
        self.error: DatadogConfigError | None = None
        self.blocking: DatadogConfigError | None = None
        self.client: DatadogClient | None = None
        self.api: DatadogAPI | None = None


_STATE = _ProcessState()


def configure_process(
    config: ConfigSource | Mapping[str, Any] | None, env: Mapping[str, str] | None = None
) -> None:
    """Resolve settings from stack config (then ``env``, default ``os.environ``) for this process.

    Never raises for bad configuration: the error is raised by the first API use, and —
    unless it is only missing credentials with ``datadog:validate: false`` — reported by
    ``config_failures`` (so ``check`` fails the preview).
    """
    blocking: DatadogConfigError | None = None
    try:
        settings, error = load_settings(config, env), None
    except DatadogConfigError as exc:
        settings, error = None, exc
        blocking = exc
    try:
        validate = validation_enabled(config)
    except DatadogConfigError as exc:
        validate, blocking = True, exc
    if isinstance(blocking, MissingCredentialsError) and not validate:
        blocking = None
    with _STATE.lock:
        if _STATE.client is not None and settings != _STATE.settings:
            _STATE.client.close()
            _STATE.client = None
        _STATE.settings, _STATE.error, _STATE.configured = settings, error, True
        _STATE.blocking = blocking


def config_failures() -> list[CheckFailure]:
    """The configuration error ``configure`` found, as a ``check`` failure of the resource
    (no property: the engine prints "<type> resource '<name>' has a problem: <message>")."""
    with _STATE.lock:
        blocking = _STATE.blocking
    return [] if blocking is None else [CheckFailure("", str(blocking))]


def shared_settings() -> Settings:
    """This process's settings; raises ``DatadogConfigError`` if they are missing or invalid."""
    with _STATE.lock:
        return _settings_locked()


def _settings_locked() -> Settings:
    if not _STATE.configured:
        try:
            _STATE.settings, _STATE.error = load_settings(None, os.environ), None
        except DatadogConfigError as exc:
            _STATE.settings, _STATE.error = None, exc
        _STATE.configured = True
    if _STATE.settings is None:
        assert _STATE.error is not None
        raise type(_STATE.error)(str(_STATE.error))
    return _STATE.settings


def shared_client() -> DatadogClient:
    """The process's pooled ``DatadogClient``, built on first use."""
    with _STATE.lock:
        return _client_locked()


def _client_locked() -> DatadogClient:
    if _STATE.client is None:
        # Imported here: a preview that makes no call never loads the HTTP stack.
        from ..client import DatadogClient

        _STATE.client = DatadogClient(_settings_locked())
    return _STATE.client


def shared_api() -> DatadogAPI:
    """The typed operations (``api.DatadogAPI``) over the process's client."""
    with _STATE.lock:
        client = _client_locked()
        if _STATE.api is None or _STATE.api.client is not client:
            from ..api import DatadogAPI

            _STATE.api = DatadogAPI(client)
        return _STATE.api


def use_client(client: DatadogClient) -> None:
    """Make every provider in this process use ``client`` (the one way tests put a fake
    HTTP layer — a client over ``httpx.MockTransport`` — under the resources)."""
    with _STATE.lock:
        if _STATE.client is not None and _STATE.client is not client:
            _STATE.client.close()
        _STATE.client, _STATE.api = client, None
        _STATE.settings, _STATE.error, _STATE.configured = client.settings, None, True


def reset_process() -> None:
    """Close the client and forget settings and batched flaky-test reads (tests: a new
    provider process; the next use re-reads configuration)."""
    from . import _flaky_batch

    with _STATE.lock:
        if _STATE.client is not None:
            _STATE.client.close()
        _STATE.__init__()  # type: ignore[misc]
    _flaky_batch.reset()


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


def _unpicklable_types() -> tuple[type, ...]:
    """Types a provider must not hold. The client classes count only once their modules are
    loaded (nothing can be an instance before), so pickling never imports the HTTP stack."""
    found: list[type] = [Settings, SecretStr]
    for module, name in ((f"{__package__.rpartition('.')[0]}.client", "DatadogClient"),
                         ("httpx", "Client")):  # fmt: skip
        loaded = sys.modules.get(module)
        if loaded is not None:
            found.append(getattr(loaded, name))
    return tuple(found)


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


def strip_provider(props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` without the ``__provider`` entry the engine adds."""
    return {key: value for key, value in props.items() if key != PROVIDER_KEY}


def is_unknown(value: Any) -> bool:
    """Whether ``value`` is not known yet (preview: it comes from an output of a resource that
    is still to be created or updated).

    The dynamic-provider server deserializes ``check``/``diff`` properties with
    ``keep_unknowns=True``, so an unknown value — top level, a list item or a map value —
    arrives as a ``pulumi.output.Unknown`` instance; the wire sentinel string ``UNKNOWN``
    is accepted too (raw properties, older SDKs).
    """
    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN)


def has_unknowns(value: Any) -> bool:
    """Whether ``value`` or anything nested in it is unknown."""
    if isinstance(value, Mapping):
        return any(has_unknowns(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_unknowns(v) for v in value)
    return is_unknown(value)


def check_inputs(
    model: type[M], news: Mapping[str, Any], *, ignore: Collection[str] = ()
) -> tuple[M | None, CheckResult]:
    """Validate resource inputs with ``model`` for ``ResourceProvider.check``.

    Drops ``__provider`` and the ``ignore`` keys (e.g. output placeholders). Returns the
    model (``None`` if invalid or partly unknown) and a ``CheckResult`` whose inputs are the
    validated values (``exclude_none``), or the raw inputs when something is unknown or
    invalid. Failures caused only by preview unknowns are not reported; a configuration
    error found by ``configure`` is (``config_failures``).
    """
    props = {k: v for k, v in strip_provider(news).items() if k not in ignore}
    failures = config_failures()
    try:
        parsed = model.model_validate(props)
    except ValidationError as exc:
        return None, CheckResult(props, failures + check_failures(exc, model, props))
    if has_unknowns(props) or failures:
        return None, CheckResult(props, failures)
    return parsed, CheckResult(parsed.model_dump(mode="json", exclude_none=True), [])


def check_failures(
    error: ValidationError, model: type[BaseModel], inputs: Mapping[str, Any] | None = None
) -> list[CheckFailure]:
    """One ``CheckFailure(property, reason)`` per pydantic error, with property paths like
    ``tests[0].public_id``; unknown names get a "did you mean" hint. Errors on values that
    are unknown in ``inputs`` (preview) are skipped."""
    failures = []
    for err in error.errors():
        loc = tuple(err["loc"])
        if inputs is not None and _unknown_along(inputs, loc):
            continue
        failures.append(CheckFailure(_property_path(loc), _reason(err, model, loc)))
    return failures


def _reason(err: Mapping[str, Any], model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        name = str(loc[-1])
        known = _field_names(model, loc[:-1])
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        if close:
            return f"unknown property {name!r}; did you mean {close[0]!r}?"
        return f"unknown property {name!r}; valid properties: {', '.join(sorted(known)) or 'none'}"
    if kind == "missing":
        return "missing required property"
    got = err.get("input")
    shown = repr(got)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{err['msg']} (got {shown})" if not isinstance(got, (dict, list)) else str(err["msg"])


def _property_path(loc: Sequence[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif str(part).isidentifier():
            path += f".{part}" if path else str(part)
        else:
            path += f"[{str(part)!r}]"
    return path


def _unknown_along(inputs: Any, loc: Sequence[Any]) -> bool:
    value = inputs
    for part in loc:
        if is_unknown(value):
            return True
        in_mapping = isinstance(value, Mapping) and part in value
        in_list = isinstance(value, (list, tuple)) and isinstance(part, int) and part < len(value)
        if not (in_mapping or in_list):
            break
        value = value[part]
    return has_unknowns(value)


def _field_names(model: type[BaseModel], loc: Sequence[Any]) -> list[str]:
    """Field names of the (nested) model reached by following ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        current = _element_type(current)  # unwrap X | None, list[X], dict[str, X]
        if isinstance(part, str) and _is_model(current) and part in current.model_fields:
            current = current.model_fields[part].annotation
    current = _element_type(current)
    return list(current.model_fields) if _is_model(current) else []


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _element_type(annotation: Any) -> Any:
    """The model inside ``X | None``, ``list[X]``, ``dict[str, X]``, … (first one found)."""
    for arg in _flatten(annotation):
        if _is_model(arg):
            return arg
    return annotation


def _flatten(annotation: Any) -> Iterator[Any]:
    yield annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is not None:
        for arg in typing.get_args(annotation):
            yield from _flatten(arg)


def input_names(args_type: type) -> tuple[str, ...]:
    """The input properties a resource's ``XArgs`` TypedDict declares, in declaration order.

    Each resource declares its inputs once, as that TypedDict: it types ``args=XArgs(...)``
    and, through ``**kwargs: Unpack[XArgs]``, the keyword arguments; ``props_of`` registers
    exactly these names."""
    return tuple(args_type.__annotations__)  # a TypedDict's include its bases' keys


def props_of(
    args: Any,
    overrides: Mapping[str, Any],
    outputs: Iterable[str] = (),
    *,
    names: Iterable[str] = (),
) -> dict[str, Any]:
    """A resource's properties from its ``XArgs`` (a TypedDict or dataclass) or a plain mapping
    (passed through unchanged, so a misspelt key gets check's "did you mean"), overridden by
    the keyword arguments that are not ``None``; every declared input (``names``, and every
    keyword) and every name in ``outputs`` is present (``None`` = not set / computed), so the
    engine reports each output."""
    props: dict[str, Any] = dict.fromkeys((*names, *overrides))
    if isinstance(args, Mapping):
        props.update(args)
    elif dataclasses.is_dataclass(args) and not isinstance(args, type):
        props.update({f.name: getattr(args, f.name) for f in dataclasses.fields(args)})
    elif args is not None:
        raise TypeError(f"args must be an Args object or a mapping, got {type(args).__name__}")
    props.update({k: v for k, v in overrides.items() if v is not None})
    for name in outputs:
        props.setdefault(name, None)
    return props
