"""The Pulumi type tokens of this package's resources, in one place.

A dynamic resource declared as ``class X(pulumi.dynamic.Resource, module=MODULE, name="X")``
gets the type token ``pulumi-python:dynamic/datadog-testing:X``. Resources take ``MODULE`` and
their ``ResourceKind`` from here; policies select resources by these tokens (never by sniffing
property names), so both sides always agree::

    class ServiceSettings(Resource, module=MODULE, name=ResourceKind.SERVICE_SETTINGS): ...
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = [
    "FLAKY_TEST_POLICIES",
    "FLAKY_TEST_STATE",
    "FLAKY_TEST_STATES",
    "MODULE",
    "SERVICE_SETTINGS",
    "SYNTHETICS_SUITE",
    "TYPE_TOKENS",
    "ResourceKind",
    "kind_of",
    "type_token",
]

MODULE: Final = "datadog-testing"
"""The ``module=`` every resource class of this package passes to ``pulumi.dynamic.Resource``."""

_DYNAMIC_PREFIX: Final = "pulumi-python:dynamic"


class ResourceKind(StrEnum):
    """The ``name=`` of each resource class (the last segment of its type token)."""

    SERVICE_SETTINGS = "ServiceSettings"
    FLAKY_TEST_STATE = "FlakyTestState"
    FLAKY_TEST_STATES = "FlakyTestStates"
    FLAKY_TEST_POLICIES = "FlakyTestPolicies"
    SYNTHETICS_SUITE = "SyntheticsSuite"

    @property
    def type_token(self) -> str:
        """The full Pulumi type token, e.g. ``pulumi-python:dynamic/datadog-testing:ServiceSettings``."""
        return type_token(self)


def type_token(kind: ResourceKind | str) -> str:
    """The type token of a resource class declared with ``module=MODULE, name=kind``."""
    return f"{_DYNAMIC_PREFIX}/{MODULE}:{kind}"


SERVICE_SETTINGS: Final = type_token(ResourceKind.SERVICE_SETTINGS)
FLAKY_TEST_STATE: Final = type_token(ResourceKind.FLAKY_TEST_STATE)
FLAKY_TEST_STATES: Final = type_token(ResourceKind.FLAKY_TEST_STATES)
FLAKY_TEST_POLICIES: Final = type_token(ResourceKind.FLAKY_TEST_POLICIES)
SYNTHETICS_SUITE: Final = type_token(ResourceKind.SYNTHETICS_SUITE)

TYPE_TOKENS: Final[dict[str, ResourceKind]] = {kind.type_token: kind for kind in ResourceKind}
"""Type token → kind, for every resource of this package."""


def kind_of(resource_type: str) -> ResourceKind | None:
    """The kind of a resource given its type token; ``None`` for any other resource type."""
    return TYPE_TOKENS.get(resource_type)
