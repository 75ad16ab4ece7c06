"""Keep each policy's declared enforcement level when ``initial_config`` does not set one.

Why a pack's ``initial_config`` used to downgrade policies: pulumi-policy (1.21) sends each
``initial_config`` entry to the engine as a protobuf ``PolicyConfig`` in ``GetAnalyzerInfo``
and sets its ``enforcementLevel`` only when the entry names one. A protobuf enum field left
unset reads as its zero value, and the zero of ``EnforcementLevel`` is ``ADVISORY``; the
engine (``convertPolicyConfig`` then ``applyConfig`` in pkg/resource) therefore sees an
*explicit* ``advisory`` and applies it over the policy's declared level. So
``initial_config={"flaky-test-quarantine-cap": {"max_per_repository": 1}}`` turned a
mandatory policy advisory and its violations passed. (A ``--policy-pack-config`` file does not
have the problem: the engine parses it itself and keeps the level when the key is absent.)

``keep_declared_levels()`` wraps pulumi-policy's analyzer so that every such entry carries the
level the pack itself reports for that policy (its own level, else the pack's default), and
drops an ``"all"`` entry without a level (whose only meaning is a level for every policy).
The policy library applies it on import, so any pack that composes these factories — with
``pulumi_policy.PolicyPack`` directly — gets it, for all of its policies.

``allow_advisory_reports()`` lets a mandatory policy also *warn*: the engine takes the level
of each diagnostic from the diagnostic itself, but pulumi-policy binds one level per policy
into the ``report_violation`` it passes. The wrapped factory attaches ``.advisory`` — a
reporter at advisory level — to the reporter of a mandatory policy (``advisory_reporter``
reads it). ``flaky-quarantine-expiry`` uses it to warn before a quarantine expires and fail
once it has.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, Final

from pulumi_policy import EnforcementLevel
from pulumi_policy import policy as _sdk

__all__ = [
    "advisory_reporter",
    "allow_advisory_reports",
    "keep_declared_levels",
    "keeps_declared_levels",
]

_MARK: Final = "__pulumi_datadog_testing_keeps_levels__"
_INITIAL_CONFIG: Final = "_PolicyAnalyzerServicer__initial_config"  # name-mangled private


def _fill_levels(info: Any, initial_config: Mapping[str, Any] | None) -> Any:
    """``info`` (an AnalyzerInfo message) with level-less initial config entries fixed."""
    declared = {policy.name: policy.enforcementLevel for policy in info.policies}
    for name, value in (initial_config or {}).items():
        if isinstance(value, EnforcementLevel) or "enforcementLevel" in value:
            continue  # the pack author chose a level: keep it
        if name in declared:
            info.initialConfig[name].enforcementLevel = declared[name]
        elif name == "all" and name in info.initialConfig:
            del info.initialConfig[name]
    return info


def keep_declared_levels() -> None:
    """Patch pulumi-policy's analyzer (once per process; idempotent)."""
    servicer = getattr(_sdk, "_PolicyAnalyzerServicer", None)
    original: Callable[..., Any] | None = getattr(servicer, "GetAnalyzerInfo", None)
    if servicer is None or original is None or getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def get_analyzer_info(self: Any, request: Any, context: Any) -> Any:
        return _fill_levels(original(self, request, context), getattr(self, _INITIAL_CONFIG, None))

    setattr(get_analyzer_info, _MARK, True)
    servicer.GetAnalyzerInfo = get_analyzer_info


def keeps_declared_levels() -> bool:
    """Whether the patch is in place (the library applies it on import)."""
    servicer = getattr(_sdk, "_PolicyAnalyzerServicer", None)
    return bool(getattr(getattr(servicer, "GetAnalyzerInfo", None), _MARK, False))


def allow_advisory_reports() -> None:
    """Patch pulumi-policy's reporter factory (once per process; idempotent)."""
    servicer = getattr(_sdk, "_PolicyAnalyzerServicer", None)
    original: Callable[..., Any] | None = getattr(servicer, "_create_report_violation", None)
    if servicer is None or original is None or getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def create_report_violation(
        self: Any,
        response: Any,
        policy_name: str,
        policy_description: str,
        enforcement_level: EnforcementLevel,
        severity: Any = None,
    ) -> Any:
        report = original(
            self, response, policy_name, policy_description, enforcement_level, severity
        )
        if enforcement_level == EnforcementLevel.MANDATORY:
            report.advisory = original(
                self,
                response,
                policy_name,
                policy_description,
                EnforcementLevel.ADVISORY,
                severity,
            )
        return report

    setattr(create_report_violation, _MARK, True)
    servicer._create_report_violation = create_report_violation


def advisory_reporter(report_violation: Callable[..., None]) -> Callable[..., None]:
    """Where a policy's warnings go: the advisory reporter attached to a mandatory policy's
    ``report_violation``, else ``report_violation`` itself (a policy configured advisory
    warns at its own level)."""
    advisory: Callable[..., None] = getattr(report_violation, "advisory", report_violation)
    return advisory
