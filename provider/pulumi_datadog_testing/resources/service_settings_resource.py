"""``ServiceSettings`` as a program declares it: the resource class and its Args (the provider,
``service_settings.ServiceSettingsProvider``, runs in the provider process; see
``service_settings`` for what each operation does).

A program imports only this side: no pydantic, no provider class (see ``_provider_ref``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypedDict, Unpack

import pulumi

from ..identity import DEFAULT_ENV, SERVICE_SETTING_NAMES
from ..type_tokens import MODULE, ResourceKind
from ._props import PRIORS_KEY, given_inputs
from ._provider_ref import ProviderRef
from ._resource import DatadogResource, label
from .prior_values_resource import Captured, captured_of, register_priors, warn_overlap

__all__ = [
    "OUTPUTS",
    "PR_COMMENTS",
    "PR_COMMENTS_WARNING",
    "ServiceSettings",
    "ServiceSettingsArgs",
    "documented_outputs",
    "overlap",
    "recorded_outputs",
]

OUTPUTS: Final = ("prior", "prior_existed")
"""The computed outputs (every other output attribute is an input). Since 2026-12-02 they are
not stored: a resource records its prior values once, as its ``__priors`` output, and both
are read from there (``recorded_outputs``)."""
PR_COMMENTS: Final = "pr_comments_enabled"
PR_COMMENTS_WARNING: Final = (
    "pr_comments_enabled is sent to Datadog, but the current API ignores PR Comments at the "
    "service level (set them for the repository instead); Pulumi never reports it as drift"
)
_PROVIDER: Final = ProviderRef(f"{__package__}.service_settings", "ServiceSettingsProvider")


def overlap(declared: Mapping[str, Any], captured: Captured) -> list[str]:
    """Settings that were already overridden to the declared value (captured values: setting
    → ``{"value", "is_overridden"}``)."""
    found: list[str] = []
    for name in SERVICE_SETTING_NAMES:
        before = captured.values.get(name)
        if (
            isinstance(before, Mapping)
            and before.get("is_overridden") is True
            and before.get("value") == declared.get(name)
        ):
            found.append(name)
    return found


def recorded_outputs(outs: Mapping[str, Any]) -> dict[str, Any]:
    """``prior`` and ``prior_existed`` of a resource's outputs (plain values; ``{}`` when it
    recorded nothing): as stored by states written before 2026-12-02 (and by ``get``), else
    from its ``__priors`` output — ``{"values": {setting: {"value", "is_overridden"}},
    "existed"}``, the prior values it recorded. Every output in state crosses the engine's gRPC
    calls several times per operation, and the program resolves each: the two were a second
    copy of ``__priors`` (9 property values per resource)."""
    if isinstance(outs.get("prior"), Mapping):
        return {"prior": dict(outs["prior"]), "prior_existed": bool(outs.get("prior_existed"))}
    captured = captured_of(outs)
    if captured is None:
        return {}
    return {"prior": captured.values, "prior_existed": bool(captured.existed)}


def documented_outputs(outs: Mapping[str, Any]) -> dict[str, Any]:
    """``outs`` with ``prior`` and ``prior_existed`` as documented, instead of ``__priors``:
    the native provider's outputs (its resources have no ``__priors`` input)."""
    shown = {k: v for k, v in outs.items() if k != PRIORS_KEY}
    return {**shown, **recorded_outputs(outs)}


class ServiceSettingsArgs(TypedDict, total=False):
    """Inputs of ``ServiceSettings``, declared once: they type ``args=ServiceSettingsArgs(...)``
    and the keyword arguments alike. ``repository_id`` and ``service_name`` are required
    (``check`` names a missing one); unset booleans are not managed (never sent or diffed)."""

    repository_id: pulumi.Input[str]
    """Repository identifier, e.g. ``github.com/acme/shop``."""
    service_name: pulumi.Input[str]
    """The service's name."""
    env: pulumi.Input[str] | None
    """Environment (default ``none``)."""
    auto_test_retries_enabled: pulumi.Input[bool] | None
    """Auto Test Retries."""
    code_coverage_enabled: pulumi.Input[bool] | None
    """Code Coverage."""
    early_flake_detection_enabled: pulumi.Input[bool] | None
    """Early Flake Detection."""
    failed_test_replay_enabled: pulumi.Input[bool] | None
    """Failed Test Replay."""
    pr_comments_enabled: pulumi.Input[bool] | None
    """PR Comments. The current API ignores it at service level (a warning says so)."""
    test_impact_analysis_enabled: pulumi.Input[bool] | None
    """Test Impact Analysis."""


class ServiceSettings(DatadogResource, module=MODULE, name=ResourceKind.SERVICE_SETTINGS):
    """Test Optimization settings of one service in one environment.

    ``ServiceSettings("checkout-prod", repository_id="github.com/acme/shop",
    service_name="checkout", env="prod", early_flake_detection_enabled=True)`` or
    ``ServiceSettings("checkout-prod", args=ServiceSettingsArgs(...))``. ``args`` may also be a
    plain mapping (e.g. from stack config): unknown keys then fail ``check`` with a hint.

    Destroying the resource restores every managed setting to what it was before (output
    ``prior``): inherited ones re-inherit, overridden ones get their old value back.
    """

    repository_id: pulumi.Output[str]
    service_name: pulumi.Output[str]
    env: pulumi.Output[str]
    auto_test_retries_enabled: pulumi.Output[bool | None]
    code_coverage_enabled: pulumi.Output[bool | None]
    early_flake_detection_enabled: pulumi.Output[bool | None]
    failed_test_replay_enabled: pulumi.Output[bool | None]
    pr_comments_enabled: pulumi.Output[bool | None]
    test_impact_analysis_enabled: pulumi.Output[bool | None]
    prior: pulumi.Output[dict[str, Any]]
    """Per managed setting, what it was before Pulumi managed it: ``{"value": bool,
    "is_overridden": bool}`` (what ``destroy`` restores)."""
    prior_existed: pulumi.Output[bool]
    """Whether the service had settings in Datadog before this resource was created."""

    ECHOED = frozenset(SERVICE_SETTING_NAMES)  # an unset setting is not managed: no output
    RECORDED = staticmethod(recorded_outputs)  # prior, prior_existed: read from __priors
    RECORDED_NAMES = OUTPUTS

    def __init__(
        self,
        resource_name: str,
        args: ServiceSettingsArgs | Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[ServiceSettingsArgs],
    ) -> None:
        """Declare the settings; keyword arguments override the fields of ``args``."""
        inputs = given_inputs(args, kwargs)
        priors = register_priors(resource_name, ResourceKind.SERVICE_SETTINGS, inputs, opts)
        super().__init__(_PROVIDER, resource_name, inputs, opts)
        _warn_if_pr_comments(self, inputs.get(PR_COMMENTS))
        what = label(
            "service settings {0}::{1}::{2}",
            inputs.get("repository_id"),
            inputs.get("service_name"),
            inputs.get("env") or DEFAULT_ENV,
        )
        sources = self.recorded_sources()
        warn_overlap(
            priors,
            self,
            what,
            list(sources.values()),
            lambda values: recorded_outputs(dict(zip(sources, values, strict=True))).get("prior"),
        )

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> ServiceSettings:
        """Read existing settings (``repository_id::service_name::env``) without managing them;
        all six settings are reported."""
        return ServiceSettings(
            resource_name, opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        )


def _warn_if_pr_comments(resource: ServiceSettings, value: Any) -> None:
    def warn(resolved: Any) -> None:
        if resolved is not None:
            pulumi.log.warn(PR_COMMENTS_WARNING, resource=resource)

    if value is None:
        return
    if isinstance(value, bool):
        warn(value)
    else:
        pulumi.Output.from_input(value).apply(warn)
