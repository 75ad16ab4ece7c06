"""The plugin's configuration: ``datadog-testing:*`` keys, mapped onto the shared ``Settings``.

A native provider receives only its own namespace, as provider inputs without the prefix
(``apiKey``, not ``datadog:apiKey``). Each key is translated to the key the dynamic provider
reads, and ``load_settings`` — the one place that resolves and validates settings — does the
rest, environment variables (``DD_API_KEY``, ``DD_SITE``, ...) included. Messages name the
native keys.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Final

from ..config import (
    API_KEY_CONFIG,
    API_URL_CONFIG,
    APP_KEY_CONFIG,
    BEARER_TOKEN_CONFIG,
    CHUNK_SIZE_CONFIG,
    CONFIG_NAMESPACE,
    MAX_CONCURRENCY_CONFIG,
    MAX_RETRIES_CONFIG,
    RETRY_TIMEOUT_CONFIG,
    SITE_CONFIG,
    TIMEOUT_CONFIG,
    VALIDATE_CONFIG,
    load_settings,
)
from ..errors import DatadogConfigError

__all__ = [
    "CONFIG_KEYS",
    "IGNORED_KEYS",
    "SECRET_KEYS",
    "config_problems",
    "native_message",
    "settings_config",
]

CONFIG_KEYS: Final[dict[str, str]] = {
    "apiKey": API_KEY_CONFIG,
    "appKey": APP_KEY_CONFIG,
    "bearerToken": BEARER_TOKEN_CONFIG,
    "validate": VALIDATE_CONFIG,
    "apiUrl": API_URL_CONFIG,
    "site": SITE_CONFIG,
    "maxRetries": MAX_RETRIES_CONFIG,
    "retryTimeoutSeconds": RETRY_TIMEOUT_CONFIG,
    "timeoutSeconds": TIMEOUT_CONFIG,
    "flakyBulkChunkSize": CHUNK_SIZE_CONFIG,
    "maxConcurrency": MAX_CONCURRENCY_CONFIG,
}
"""Native key (``datadog-testing:<key>``) → the key ``load_settings`` reads."""

SECRET_KEYS: Final = frozenset({"apiKey", "appKey", "bearerToken"})
"""Keys ``check_config`` marks secret, so state never holds them in plain text."""

IGNORED_KEYS: Final = frozenset({"version", "pluginDownloadURL"})
"""Provider inputs the engine may add that are not configuration."""

_PLACEHOLDER: Final = "placeholder-for-validation"


def settings_config(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The provider inputs as the stack-config mapping ``load_settings`` reads (a whole
    number sent as ``3.0`` by an SDK's ``Provider(max_retries=3)`` becomes ``3``)."""
    return {
        CONFIG_KEYS[k]: int(v) if isinstance(v, float) and v.is_integer() else v
        for k, v in inputs.items()
        if k in CONFIG_KEYS and v is not None
    }


def native_message(text: str) -> str:
    """``text`` with the dynamic provider's key names replaced by the native ones."""
    for native, shared in CONFIG_KEYS.items():
        text = text.replace(shared, f"{CONFIG_NAMESPACE}:{native}")
    return text


def config_problems(inputs: Mapping[str, Any], env: Mapping[str, str]) -> list[tuple[str, str]]:
    """``(key, reason)`` for each unknown key and each invalid value.

    Missing credentials are not reported here: every resource's ``check`` reports them (as
    for the dynamic provider), unless ``validate`` is false.
    """
    problems: list[tuple[str, str]] = []
    for key in inputs:
        if key in CONFIG_KEYS or key in IGNORED_KEYS or key.startswith("__"):
            continue
        close = difflib.get_close_matches(key, list(CONFIG_KEYS), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(CONFIG_KEYS)}"
        problems.append((key, f"unknown configuration key {CONFIG_NAMESPACE}:{key}; {hint}"))
    config = settings_config(inputs)
    if BEARER_TOKEN_CONFIG not in config:
        for shared in (API_KEY_CONFIG, APP_KEY_CONFIG):
            config.setdefault(shared, _PLACEHOLDER)
    try:
        load_settings(config, env)
    except DatadogConfigError as exc:
        message = native_message(str(exc))
        named = [k for k in CONFIG_KEYS if f"{CONFIG_NAMESPACE}:{k}" in message]
        problems.append((named[0] if named else "", message))
    return problems
