"""The provider configuration resolved to plain, validated values (see ``config`` for the
keys, the environment variables and the rules), without pydantic.

``config.Settings`` (pydantic, what the client uses) is built from a ``ResolvedSettings``.
A provider process resolves its configuration at ``configure`` with this module alone, so
that a preview that makes no API call never loads pydantic (~0.1 s of CPU per process), and
builds ``Settings`` at its first API call. Every check of the configuration is made here:
building ``Settings`` from a ``ResolvedSettings`` cannot fail.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol
from urllib.parse import urlsplit

from .errors import DatadogConfigError, MissingCredentialsError
from .sites import DEFAULT_SITE, api_url_for_site

__all__ = [
    "API_KEY_ENV",
    "APP_KEY_ENV",
    "BEARER_TOKEN_ENV",
    "CONFIG_NAMESPACE",
    "HOST_ENV",
    "SITE_ENV",
    "ConfigSource",
    "ResolvedSettings",
    "resolve_settings",
    "validate_api_url",
    "validation_enabled",
]

CONFIG_NAMESPACE = "datadog-testing"
"""This package's own stack config namespace."""

API_KEY_CONFIG = "datadog:apiKey"
APP_KEY_CONFIG = "datadog:appKey"
BEARER_TOKEN_CONFIG = "datadog:bearerToken"
VALIDATE_CONFIG = "datadog:validate"
API_URL_CONFIG = "datadog:apiUrl"
SITE_CONFIG = f"{CONFIG_NAMESPACE}:site"
MAX_RETRIES_CONFIG = f"{CONFIG_NAMESPACE}:maxRetries"
RETRY_TIMEOUT_CONFIG = f"{CONFIG_NAMESPACE}:retryTimeoutSeconds"
TIMEOUT_CONFIG = f"{CONFIG_NAMESPACE}:timeoutSeconds"
CHUNK_SIZE_CONFIG = f"{CONFIG_NAMESPACE}:flakyBulkChunkSize"
MAX_CONCURRENCY_CONFIG = f"{CONFIG_NAMESPACE}:maxConcurrency"

# pulumi-datadog's own retry keys, honoured when this package's keys are not set.
DD_RETRY_ENABLED_CONFIG = "datadog:httpClientRetryEnabled"
DD_MAX_RETRIES_CONFIG = "datadog:httpClientRetryMaxRetries"
DD_RETRY_TIMEOUT_CONFIG = "datadog:httpClientRetryTimeout"

API_KEY_ENV = ("DD_API_KEY", "DATADOG_API_KEY")
APP_KEY_ENV = ("DD_APP_KEY", "DATADOG_APP_KEY")
BEARER_TOKEN_ENV = ("DD_BEARER_TOKEN",)
HOST_ENV = ("DD_HOST", "DATADOG_HOST")
SITE_ENV = "DD_SITE"

DEFAULT_MAX_RETRIES = 3
DEFAULT_RETRY_TIMEOUT = 60.0
DEFAULT_TIMEOUT = 30.0
DEFAULT_CHUNK_SIZE = 1000
DEFAULT_MAX_CONCURRENCY = 64

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class ConfigSource(Protocol):
    """Where stack config comes from: ``pulumi.dynamic.Config`` or a plain dict of
    namespaced keys (``{"datadog:apiKey": "..."}``)."""

    def get(self, key: str) -> Any: ...


@dataclass(frozen=True)
class ResolvedSettings:
    """The configuration as ``resolve_settings`` found it: what ``config.Settings`` holds.

    The credentials are plain strings here: they are left out of ``repr``, and a
    ``ResolvedSettings`` refuses to be pickled, like ``Settings``."""

    api_url: str
    api_key: str | None = dataclasses.field(default=None, repr=False)
    app_key: str | None = dataclasses.field(default=None, repr=False)
    bearer_token: str | None = dataclasses.field(default=None, repr=False)
    max_retries: int = DEFAULT_MAX_RETRIES
    retry_timeout_seconds: float = DEFAULT_RETRY_TIMEOUT
    timeout_seconds: float = DEFAULT_TIMEOUT
    flaky_bulk_chunk_size: int = DEFAULT_CHUNK_SIZE
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    sources: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Where each setting came from (config key or env var name), for messages."""

    def __getstate__(self) -> NoReturn:
        raise TypeError(
            "ResolvedSettings hold Datadog credentials and must not be pickled "
            "(a dynamic provider must keep them out of its instance attributes)"
        )


def resolve_settings(
    config: ConfigSource | Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> ResolvedSettings:
    """Resolve settings from stack config (``datadog:*``, ``datadog-testing:*``), then ``env``.

    ``env`` defaults to ``os.environ``. Raises one ``DatadogConfigError`` listing every
    problem found (missing keys, bad URL or site, bad numbers); its text never contains a key.
    """
    lookup = _Lookup(config, os.environ if env is None else env)
    problems: list[str] = []
    sources: dict[str, str] = {}

    api_key = lookup.first((API_KEY_CONFIG,), API_KEY_ENV)
    app_key = lookup.first((APP_KEY_CONFIG,), APP_KEY_ENV)
    bearer_token = lookup.first((BEARER_TOKEN_CONFIG,), BEARER_TOKEN_ENV)
    missing = [
        f"{label} (stack config `{key}`, or env {' / '.join(names)})"
        for value, label, key, names in (
            (api_key, "an API key", API_KEY_CONFIG, API_KEY_ENV),
            (app_key, "an application key", APP_KEY_CONFIG, APP_KEY_ENV),
        )
        if value is None
    ]
    missing_credentials = bool(missing) and bearer_token is None
    if missing_credentials:
        problems.append(
            "Datadog credentials are missing: set "
            + " and ".join(missing)
            + f", or a bearer token (stack config `{BEARER_TOKEN_CONFIG}`, or env "
            + " / ".join(BEARER_TOKEN_ENV)
            + "), e.g. `pulumi config set --secret datadog:apiKey <key>`"
        )
    for name, found in (("api_key", api_key), ("app_key", app_key), ("bearer_token", bearer_token)):
        if found is not None:
            sources[name] = found[0]

    api_url: str | None = None
    try:
        api_url, sources["api_url"] = _resolve_api_url(lookup)
    except DatadogConfigError as exc:
        problems.append(str(exc))

    numbers: dict[str, Any] = {}
    for field, keys, kind, minimum, default in (
        ("max_retries", (MAX_RETRIES_CONFIG, DD_MAX_RETRIES_CONFIG), int, 0, DEFAULT_MAX_RETRIES),
        (
            "retry_timeout_seconds",
            (RETRY_TIMEOUT_CONFIG, DD_RETRY_TIMEOUT_CONFIG),
            float,
            0,
            DEFAULT_RETRY_TIMEOUT,
        ),
        ("timeout_seconds", (TIMEOUT_CONFIG,), float, 0.001, DEFAULT_TIMEOUT),
        ("flaky_bulk_chunk_size", (CHUNK_SIZE_CONFIG,), int, 1, DEFAULT_CHUNK_SIZE),
        ("max_concurrency", (MAX_CONCURRENCY_CONFIG,), int, 1, DEFAULT_MAX_CONCURRENCY),
    ):
        key, raw = next(((k, v) for k in keys if (v := lookup.config(k)) is not None), ("", None))
        if raw is None:
            numbers[field] = default
            continue
        try:
            numbers[field] = _number(raw, kind, minimum)
            sources[field] = key
        except ValueError as exc:
            problems.append(f"{key}: {exc}")
    retry_enabled = lookup.config(DD_RETRY_ENABLED_CONFIG)
    if retry_enabled is not None and lookup.config(MAX_RETRIES_CONFIG) is None:
        if str(retry_enabled).strip().lower() in ("false", "0", "no"):
            numbers["max_retries"], sources["max_retries"] = 0, DD_RETRY_ENABLED_CONFIG
        elif str(retry_enabled).strip().lower() not in ("true", "1", "yes"):
            problems.append(
                f"{DD_RETRY_ENABLED_CONFIG}: expected true or false, got {retry_enabled!r}"
            )

    if problems or api_url is None:
        only_credentials = missing_credentials and len(problems) == 1
        raise (MissingCredentialsError if only_credentials else DatadogConfigError)(
            "; ".join(problems)
        )
    return ResolvedSettings(
        api_key=api_key[1] if api_key else None,
        app_key=app_key[1] if app_key else None,
        bearer_token=bearer_token[1] if bearer_token else None,
        api_url=api_url,
        sources=sources,
        **numbers,
    )


def validation_enabled(config: ConfigSource | Mapping[str, Any] | None) -> bool:
    """``datadog:validate`` (default true); ``DatadogConfigError`` unless true or false."""
    raw = _Lookup(config, {}).config(VALIDATE_CONFIG)
    if raw is None:
        return True
    text = str(raw).strip().lower()
    if text not in ("true", "false"):
        raise DatadogConfigError(f"{VALIDATE_CONFIG}: expected true or false, got {raw!r}")
    return text == "true"


def validate_api_url(url: str, *, source: str = API_URL_CONFIG) -> str:
    """Check an API base URL and return it without trailing slash (see module rules)."""
    text = url.strip()
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise DatadogConfigError(f"{source} {text!r} is not a URL: it contains whitespace")
    if "://" not in text:
        if re.match(r"https?[:/]", text, re.IGNORECASE):
            # "http//host", "https:/host": a mistyped scheme, not a bare host named "http".
            raise DatadogConfigError(
                f"{source} {text!r} is not a URL: write the scheme as https:// (or http://)"
            )
        text = f"https://{text}"
    parts = urlsplit(text)
    host = parts.hostname or ""

    def fail(reason: str) -> NoReturn:
        # The URL is configuration, not a secret, but userinfo could be: never echo it.
        shown = text if not parts.username and not parts.password else "<url with credentials>"
        raise DatadogConfigError(f"{source} {shown!r} {reason}")

    if parts.scheme not in ("https", "http"):
        fail("must start with https:// (or http:// for a loopback emulator)")
    if not host:
        fail("has no host name")
    if not _HOST_NAME.fullmatch(host) and not _is_ip_address(host):
        fail("has an invalid host name")
    if parts.username or parts.password:
        fail("must not contain credentials; set datadog:apiKey and datadog:appKey instead")
    if parts.query or parts.fragment:
        fail("must not have a query string or fragment")
    if parts.scheme == "http" and not _is_loopback(host):
        fail(
            "uses http:// with a non-loopback host; use https:// "
            "(http is only for a local emulator)"
        )
    try:
        parts.port  # noqa: B018 - validates the port number
    except ValueError:
        fail("has an invalid port")
    path = parts.path.rstrip("/")
    if path.endswith("/api") or "/api/v" in path:
        fail("must be the API root without /api (e.g. https://api.datadoghq.eu/)")
    return f"{parts.scheme}://{parts.netloc}{path}"


def _resolve_api_url(lookup: _Lookup) -> tuple[str, str]:
    for level in ("config", "env"):
        if level == "config":
            url_found = lookup.first((API_URL_CONFIG,), ())
            site_found = lookup.first((SITE_CONFIG,), ())
        else:
            url_found = lookup.first((), HOST_ENV)
            site_found = lookup.first((), (SITE_ENV,))
        from_url = validate_api_url(url_found[1], source=url_found[0]) if url_found else None
        from_site = api_url_for_site(site_found[1], source=site_found[0]) if site_found else None
        if url_found and site_found and from_url != from_site:
            raise DatadogConfigError(
                f"{url_found[0]} ({from_url}) and {site_found[0]} ({from_site}) point at "
                "different Datadog hosts; set only one of them"
            )
        if url_found and from_url:
            return from_url, url_found[0]
        if site_found and from_site:
            return from_site, site_found[0]
    return api_url_for_site(DEFAULT_SITE), "default"


def _number(raw: Any, kind: type[int | float], minimum: float) -> int | float:
    text = str(raw).strip()
    try:
        value: int | float = kind(text) if kind is float else int(text, 10)
    except ValueError:
        expected = "a whole number" if kind is int else "a number"
        raise ValueError(f"expected {expected} >= {minimum:g}, got {text!r}") from None
    if value < minimum or not math.isfinite(value):
        raise ValueError(f"expected a value >= {minimum:g} (and finite), got {text!r}")
    return value


# DNS labels (letters, digits, hyphens; underscores occur in internal names), dot-separated.
_HOST_NAME = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*\.?")


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Lookup:
    """Reads stack config, then env; treats missing, ``None`` and blank values alike."""

    def __init__(self, config: ConfigSource | Mapping[str, Any] | None, env: Mapping[str, str]):
        self._config = config
        self._env = env

    def config(self, key: str) -> Any:
        if self._config is None:
            return None
        value = self._config.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return value

    def first(
        self, config_keys: tuple[str, ...], env_names: tuple[str, ...]
    ) -> tuple[str, str] | None:
        """``(where, value)`` of the first set value among config keys, then env vars."""
        for key in config_keys:
            value = self.config(key)
            if value is not None:
                return key, str(value).strip()
        for name in env_names:
            value = self._env.get(name)
            if value and value.strip():
                return name, value.strip()
        return None
