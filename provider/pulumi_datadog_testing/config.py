"""Provider configuration: credentials, API URL, retry and timeout limits.

Drop-in compatible with stacks that already use pulumi-datadog: its ``datadog:`` keys and
environment variables work unchanged. Keys this package adds live in its own
``datadog-testing:`` namespace, so a bridged ``datadog`` provider in the same stack never
sees a key it does not know. Each setting is taken from the stack config first, then from
the environment of the ``pulumi`` command, then the default:

- API key (secret): ``datadog:apiKey``; env ``DD_API_KEY`` or ``DATADOG_API_KEY``. Required.
- Application key (secret): ``datadog:appKey``; env ``DD_APP_KEY`` or ``DATADOG_APP_KEY``.
  Required.
- Bearer token (secret): ``datadog:bearerToken``; env ``DD_BEARER_TOKEN``. An OAuth or
  personal access token sent as ``Authorization: Bearer``, *instead of* the two keys: with a
  token the keys are not required, and not sent even when set.
- ``datadog:validate`` (pulumi-datadog's key, default true): ``false`` turns off the check
  that credentials are present when the provider is configured, so ``pulumi preview`` runs in
  pipelines without secrets (the first API call still needs them).
- API URL: ``datadog:apiUrl`` (a full URL, e.g. ``https://api.datadoghq.eu/`` or a local
  emulator) or ``datadog-testing:site`` (a site name, e.g. ``datadoghq.eu``); env
  ``DD_HOST``/``DATADOG_HOST`` (URL) or ``DD_SITE`` (site). Default
  ``https://api.datadoghq.com``.
- ``datadog-testing:maxRetries``: retries after the first attempt (default 3; 0 disables);
  falls back to pulumi-datadog's ``datadog:httpClientRetryMaxRetries``, and
  ``datadog:httpClientRetryEnabled: false`` means 0.
- ``datadog-testing:retryTimeoutSeconds``: total time budget of one call including its
  retries; no retry starts once it is used up (default 60); falls back to
  ``datadog:httpClientRetryTimeout``.
- ``datadog-testing:timeoutSeconds``: timeout of one HTTP request (default 30).
- ``datadog-testing:flakyBulkChunkSize``: most tests sent in one flaky-test bulk ``PATCH``
  (default 1,000: the API documents no maximum; 1,000 is the search's page limit and the
  emulator's default maximum).
- ``datadog-testing:maxConcurrency``: most API calls one provider process has in flight
  (default 64): the HTTP connection pool's size, the native plugin's worker threads, and the
  dynamic-provider server's (raised from the SDK's 4; see ``resources/_server_pool``); a
  quarter of it (at most 16) for the gets a refresh runs ahead (``resources/_read_ahead``). The
  engine's ``--parallel`` decides how many resources it works on at once; this only caps it.

Rules:

- Sites: every Datadog site (``datadoghq.com``, ``us3.datadoghq.com``, ``us5.datadoghq.com``,
  ``datadoghq.eu``, ``ap1.datadoghq.com``, ``ap2.datadoghq.com``, ``uk1.datadoghq.com``,
  ``ddog-gov.com``, ``us2.ddog-gov.com``; ``app.``-prefixed forms too) maps to
  ``https://api.<site>``; anything else is an error listing the valid sites.
- API URL: ``https://`` with no query, fragment, credentials or ``/api`` suffix (the client
  adds ``/api/v2/...``), no whitespace, a valid host name or IP address; a bare host name
  means ``https://`` (a mistyped scheme such as ``http//host`` is an error). Plain ``http://`` is accepted
  only for loopback hosts (``localhost``, ``127.0.0.0/8``, ``::1``) — the local emulator —
  because anything else would send the keys in clear text.
- Within one level (stack config, or environment) a URL and a site that point at
  different hosts are an error rather than a silent choice; across levels, stack config wins.
- Missing keys produce one error naming both the config keys and the environment variables
  (``MissingCredentialsError``; any other problem is a plain ``DatadogConfigError``).
- ``Settings`` keeps the keys as ``SecretStr``: they never appear in ``repr``/``str``, and a
  ``Settings`` object refuses to be pickled, so it cannot end up in Pulumi state.

The checks and the resolution live in ``config_values`` (plain Python: a provider process
resolves its configuration without loading pydantic); this module adds ``Settings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from .config_values import (
    API_KEY_CONFIG,
    API_KEY_ENV,
    API_URL_CONFIG,
    APP_KEY_CONFIG,
    APP_KEY_ENV,
    BEARER_TOKEN_CONFIG,
    BEARER_TOKEN_ENV,
    CHUNK_SIZE_CONFIG,
    CONFIG_NAMESPACE,
    DD_MAX_RETRIES_CONFIG,
    DD_RETRY_ENABLED_CONFIG,
    DD_RETRY_TIMEOUT_CONFIG,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_RETRIES,
    DEFAULT_RETRY_TIMEOUT,
    DEFAULT_TIMEOUT,
    HOST_ENV,
    MAX_CONCURRENCY_CONFIG,
    MAX_RETRIES_CONFIG,
    RETRY_TIMEOUT_CONFIG,
    SITE_CONFIG,
    SITE_ENV,
    TIMEOUT_CONFIG,
    VALIDATE_CONFIG,
    ConfigSource,
    ResolvedSettings,
    resolve_settings,
    validate_api_url,
    validation_enabled,
)
from .errors import Redactor

__all__ = [
    "API_KEY_CONFIG",
    "API_KEY_ENV",
    "API_URL_CONFIG",
    "APP_KEY_CONFIG",
    "APP_KEY_ENV",
    "BEARER_TOKEN_CONFIG",
    "BEARER_TOKEN_ENV",
    "CHUNK_SIZE_CONFIG",
    "CONFIG_NAMESPACE",
    "DD_MAX_RETRIES_CONFIG",
    "DD_RETRY_ENABLED_CONFIG",
    "DD_RETRY_TIMEOUT_CONFIG",
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_RETRY_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "HOST_ENV",
    "MAX_CONCURRENCY_CONFIG",
    "MAX_RETRIES_CONFIG",
    "RETRY_TIMEOUT_CONFIG",
    "SITE_CONFIG",
    "SITE_ENV",
    "TIMEOUT_CONFIG",
    "VALIDATE_CONFIG",
    "ConfigSource",
    "ResolvedSettings",
    "Settings",
    "load_settings",
    "resolve_settings",
    "settings_from",
    "validate_api_url",
    "validation_enabled",
]


class Settings(BaseModel):
    """Everything the client needs, resolved and validated. Credentials are ``SecretStr``:
    a bearer token, or both keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: SecretStr | None = None
    app_key: SecretStr | None = None
    bearer_token: SecretStr | None = None
    api_url: str = Field(description="API base URL without trailing slash")
    max_retries: int = Field(DEFAULT_MAX_RETRIES, ge=0)
    retry_timeout_seconds: float = Field(DEFAULT_RETRY_TIMEOUT, ge=0)
    timeout_seconds: float = Field(DEFAULT_TIMEOUT, gt=0)
    flaky_bulk_chunk_size: int = Field(DEFAULT_CHUNK_SIZE, ge=1)
    max_concurrency: int = Field(DEFAULT_MAX_CONCURRENCY, ge=1)
    sources: dict[str, str] = Field(
        default_factory=dict,
        description="Where each setting came from (config key or env var name), for messages",
    )

    @model_validator(mode="after")
    def _credentials(self) -> Settings:
        if self.bearer_token is None and (self.api_key is None or self.app_key is None):
            raise ValueError("Settings need a bearer token or both an API and an application key")
        return self

    def _secrets(self) -> list[str]:
        found = (self.api_key, self.app_key, self.bearer_token)
        return [secret.get_secret_value() for secret in found if secret is not None]

    def redactor(self) -> Redactor:
        """A ``Redactor`` for this configuration's credentials."""
        return Redactor(self._secrets())

    def auth_headers(self) -> dict[str, str]:
        """The authentication headers of every request: the bearer token when there is one
        (the keys are then not sent), else the API and application keys."""
        if self.bearer_token is not None:
            return {"Authorization": f"Bearer {self.bearer_token.get_secret_value()}"}
        assert self.api_key is not None and self.app_key is not None  # _credentials
        return {
            "DD-API-KEY": self.api_key.get_secret_value(),
            "DD-APPLICATION-KEY": self.app_key.get_secret_value(),
        }

    def __getstate__(self) -> NoReturn:
        raise TypeError(
            "Settings hold Datadog credentials and must not be pickled "
            "(a dynamic provider must keep them out of its instance attributes)"
        )


def settings_from(resolved: ResolvedSettings) -> Settings:
    """The ``Settings`` of a resolved configuration (never fails: ``resolve_settings`` made
    every check)."""
    return Settings(
        api_key=SecretStr(resolved.api_key) if resolved.api_key is not None else None,
        app_key=SecretStr(resolved.app_key) if resolved.app_key is not None else None,
        bearer_token=(
            SecretStr(resolved.bearer_token) if resolved.bearer_token is not None else None
        ),
        api_url=resolved.api_url,
        max_retries=resolved.max_retries,
        retry_timeout_seconds=resolved.retry_timeout_seconds,
        timeout_seconds=resolved.timeout_seconds,
        flaky_bulk_chunk_size=resolved.flaky_bulk_chunk_size,
        max_concurrency=resolved.max_concurrency,
        sources=dict(resolved.sources),
    )


def load_settings(
    config: ConfigSource | Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """``config_values.resolve_settings`` (same sources, same errors) as a ``Settings``."""
    return settings_from(resolve_settings(config, env))
