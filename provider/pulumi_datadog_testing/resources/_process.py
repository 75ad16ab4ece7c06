"""The provider process's configuration and its one pooled API client.

How credentials reach a provider without entering Pulumi state:

- A dynamic provider *instance* is pickled (dill) into the state of every resource that
  uses it (the ``__provider`` property). So a provider keeps no configuration on ``self``.
- In the provider process the engine calls ``Configure`` with the whole stack config: every
  namespace (``datadog:apiKey``, ``datadog-testing:site``, ``<project>:...``), keys kept
  with their namespace, secrets decrypted (SDK 3.259 ``pulumi/dynamic/__main__.py`` unwraps
  them; the engine's ``Target.GetPackageConfig`` passes everything for ``pulumi-python``).
  The SDK then calls ``provider.configure(req)`` once per distinct provider it unpickles.
- ``DatadogResourceProvider.configure`` resolves the settings (stack config, then the
  process environment; ``config_values``, plain Python) into a process-level holder in this
  module; ``Settings`` (pydantic) and the single pooled ``DatadogClient`` are built from them
  on first use, so a preview that makes no API call loads neither. If ``configure`` never
  ran (older engines, direct calls in tests), settings come from the environment alone.
- A configuration error found by ``configure`` (unknown site, ``http://`` to a non-loopback
  host, malformed URL, missing credentials, bad numbers) is reported by every ``check`` as a
  failure of the resource, so ``pulumi preview`` fails with the one-line message before any
  API call — as pulumi-datadog fails them at configure. ``datadog:validate: false`` exempts
  missing credentials only: the preview runs, and the first API call raises the error.
- ``__getstate__`` refuses to pickle a provider holding a client, ``Settings`` or secret.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pulumi.dynamic import CheckFailure

from ..config_values import (
    DEFAULT_MAX_CONCURRENCY,
    ConfigSource,
    ResolvedSettings,
    resolve_settings,
    validation_enabled,
)
from ..engine_watch import exit_when_engine_exits, is_dynamic_provider_process
from ..errors import DatadogConfigError, MissingCredentialsError
from ._server_pool import widen_server_pool

if TYPE_CHECKING:
    from ..api import DatadogAPI
    from ..client import DatadogClient
    from ..config import Settings

__all__ = [
    "config_failures",
    "configure_process",
    "reset_process",
    "shared_api",
    "shared_client",
    "shared_settings",
    "use_client",
]


class _ProcessState:
    """Settings and client of this provider process (never pickled: module-level)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.configured = False
        self.resolved: ResolvedSettings | None = None
        self.settings: Settings | None = None
        """Built from ``resolved`` on first use."""
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
    resolved: ResolvedSettings | None
    try:
        resolved, error = resolve_settings(config, env), None
    except DatadogConfigError as exc:
        resolved, error = None, exc
        blocking = exc
    try:
        validate = validation_enabled(config)
    except DatadogConfigError as exc:
        validate, blocking = True, exc
    if isinstance(blocking, MissingCredentialsError) and not validate:
        blocking = None
    if is_dynamic_provider_process():
        # Configure runs first in every provider process: from now on, no write outlives
        # the engine (see engine_watch), and the server runs up to maxConcurrency calls at
        # once instead of the SDK's 4 (see _server_pool).
        exit_when_engine_exits()
        widen_server_pool(resolved.max_concurrency if resolved else DEFAULT_MAX_CONCURRENCY)
    with _STATE.lock:
        if not _same_settings_locked(resolved):
            if _STATE.client is not None:
                _STATE.client.close()
                _STATE.client = None
            _STATE.settings = None
        _STATE.resolved, _STATE.error, _STATE.configured = resolved, error, True
        _STATE.blocking = blocking


def _same_settings_locked(resolved: ResolvedSettings | None) -> bool:
    """Whether ``resolved`` are the settings the process has now."""
    if _STATE.resolved is not None or _STATE.settings is None:
        return resolved == _STATE.resolved
    if resolved is None:  # settings of a client given by use_client (tests)
        return False
    from ..config import settings_from

    return settings_from(resolved) == _STATE.settings


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
            _STATE.resolved, _STATE.error = resolve_settings(None, os.environ), None
        except DatadogConfigError as exc:
            _STATE.resolved, _STATE.error = None, exc
        _STATE.settings, _STATE.configured = None, True
    if _STATE.settings is None:
        if _STATE.resolved is None:
            assert _STATE.error is not None
            raise type(_STATE.error)(str(_STATE.error))
        from ..config import settings_from  # pydantic: loaded by the first API use only

        _STATE.settings = settings_from(_STATE.resolved)
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
        _STATE.resolved, _STATE.settings = None, client.settings
        _STATE.error, _STATE.configured = None, True


def reset_process() -> None:
    """Close the client and forget settings, batched flaky-test reads and reads run ahead (tests: a new
    provider process; the next use re-reads configuration)."""
    from . import _flaky_batch, _flaky_select, _read_ahead

    with _STATE.lock:
        if _STATE.client is not None:
            _STATE.client.close()
        _STATE.__init__()  # type: ignore[misc]
    _flaky_batch.reset()
    _flaky_select.reset()
    _read_ahead.reset()
