"""Test Optimization service settings: partial updates, inheritance, get and delete.

A service stores only what it overrides. Every other setting is inherited: from the
repository's default when the emulator config has one, else from the org default
(``EmulatorConfig.org_defaults``). The answer always carries all six values and, for the
five inheritable settings, ``<setting>_is_overridden``.

``pr_comments_enabled`` follows ``EmulatorConfig.pr_comments_mode``: ``seeds`` applies it
like the other settings (the seeds' contract); ``current`` ignores it in updates and always
returns the inherited value (the current client's contract: "PR Comments cannot be
overridden at the service level").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..identity import DEFAULT_ENV, service_settings_id
from ..models import (
    INHERITABLE_SETTINGS,
    SERVICE_SETTING_NAMES,
    ServiceSettingsAttributes,
    ServiceSettingsData,
    ServiceSettingsIdentity,
    ServiceSettingsResponse,
    ServiceSettingsUpdate,
)
from .admin_models import EmulatorConfig
from .api_errors import ApiError
from .store import Store

__all__ = ["ServiceSettingsService"]

_TABLE = "service_settings"
_PR_COMMENTS = "pr_comments_enabled"


class ServiceSettingsService:
    """The settings endpoints' behaviour over the store."""

    def __init__(self, store: Store, config: Callable[[], EmulatorConfig]) -> None:
        self._store = store
        self._config = config

    def update(self, attrs: ServiceSettingsUpdate) -> ServiceSettingsResponse:
        """PATCH: create the service's settings if needed, change only the fields given."""
        for name in INHERITABLE_SETTINGS:
            if getattr(attrs, f"{name}_inherit") and getattr(attrs, name) is not None:
                raise ApiError.bad_request(
                    f"data.attributes: {name} and {name}_inherit cannot both be set "
                    f"(set a value to override, or {name}_inherit: true to inherit)"
                )
        env = attrs.env or DEFAULT_ENV
        key = service_settings_id(attrs.repository_id, attrs.service_name, env)
        with self._store.transaction():
            doc = self._store.get(_TABLE, key) or {
                "repository_id": attrs.repository_id,
                "service_name": attrs.service_name,
                "env": env,
                "overrides": {},
            }
            overrides: dict[str, bool] = doc["overrides"]
            for name in INHERITABLE_SETTINGS:
                if getattr(attrs, f"{name}_inherit"):
                    overrides.pop(name, None)
                elif (value := getattr(attrs, name)) is not None:
                    overrides[name] = value
            if attrs.pr_comments_enabled is not None and self._config().pr_comments_mode == "seeds":
                overrides[_PR_COMMENTS] = attrs.pr_comments_enabled
            self._store.put(_TABLE, key, doc)
        return self._response(key, doc)

    def get(self, identity: ServiceSettingsIdentity) -> ServiceSettingsResponse:
        key = self._key(identity)
        doc = self._store.get(_TABLE, key)
        if doc is None:
            raise ApiError.not_found(f"Service settings not found for {key!r}")
        return self._response(key, doc)

    def delete(self, identity: ServiceSettingsIdentity) -> None:
        key = self._key(identity)
        if not self._store.delete(_TABLE, [key]):
            raise ApiError.not_found(f"Service settings not found for {key!r}")

    @staticmethod
    def _key(identity: ServiceSettingsIdentity) -> str:
        return service_settings_id(identity.repository_id, identity.service_name, identity.env)

    def _response(self, key: str, doc: dict[str, Any]) -> ServiceSettingsResponse:
        config = self._config()
        overrides: dict[str, bool] = dict(doc["overrides"])
        if config.pr_comments_mode == "current":
            overrides.pop(_PR_COMMENTS, None)
        repo = config.repository_defaults.get(doc["repository_id"])
        values: dict[str, Any] = {}
        for name in SERVICE_SETTING_NAMES:
            if name in overrides:
                values[name] = overrides[name]
            elif repo is not None and getattr(repo, name) is not None:
                values[name] = getattr(repo, name)
            else:
                values[name] = getattr(config.org_defaults, name)
        for name in INHERITABLE_SETTINGS:
            values[f"{name}_is_overridden"] = name in overrides
        attributes = ServiceSettingsAttributes(
            repository_id=doc["repository_id"],
            service_name=doc["service_name"],
            env=doc["env"],
            **values,
        )
        return ServiceSettingsResponse(data=ServiceSettingsData(id=key, attributes=attributes))
