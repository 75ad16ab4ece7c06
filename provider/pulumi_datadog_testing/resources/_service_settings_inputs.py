"""The pydantic models of ``ServiceSettings`` (``service_settings``): the inputs check
validates and the prior value of a managed setting. Loaded by the first validation or API
call, not by a no-change preview (see ``_check.unchanged``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..identity import DEFAULT_ENV, ID_SEPARATOR, SERVICE_SETTING_NAMES, service_settings_id
from ..models import ServiceSettingFlags, ServiceSettingsIdentity

__all__ = ["IdPart", "PriorValue", "ServiceSettingsInputs"]


def _no_separator(value: str) -> str:
    if ID_SEPARATOR in value:
        raise ValueError(f"must not contain {ID_SEPARATOR!r} (it separates the parts of the id)")
    return value


IdPart = Annotated[str, Field(min_length=1), AfterValidator(_no_separator)]


class _InputIdentity(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", strict=True, frozen=True)

    repository_id: IdPart
    service_name: IdPart
    env: IdPart = DEFAULT_ENV


class ServiceSettingsInputs(ServiceSettingFlags, _InputIdentity):
    """The validated inputs of a ``ServiceSettings`` (what ``check`` accepts)."""

    @property
    def id(self) -> str:
        return service_settings_id(self.repository_id, self.service_name, self.env)

    def identity(self) -> ServiceSettingsIdentity:
        return ServiceSettingsIdentity(
            repository_id=self.repository_id, service_name=self.service_name, env=self.env
        )

    def managed(self) -> dict[str, bool]:
        """The declared settings (the managed ones) and their values, in API order."""
        values = {name: getattr(self, name) for name in SERVICE_SETTING_NAMES}
        return {name: value for name, value in values.items() if value is not None}


class PriorValue(BaseModel):
    """What one managed setting was before Pulumi managed it.

    ``value`` is ``None`` when unknown (the service had no settings); ``is_overridden`` is
    ``None`` when the API did not say (``pr_comments_enabled``; responses shaped like the seeds).
    """

    model_config = ConfigDict(defer_build=True, extra="ignore")

    value: bool | None = None
    is_overridden: bool | None = None
