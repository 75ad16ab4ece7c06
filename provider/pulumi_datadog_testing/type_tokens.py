"""The Pulumi type tokens of this package's resources, in one place.

Each resource has two: the dynamic one (below) and the native plugin's
``datadog-testing:index:X`` (``native_type_token``, served by ``pulumi-resource-datadog-testing``).
``kind_of`` knows both, so policies select a resource the same way whichever front-end runs it.

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
    "NATIVE_TYPE_TOKENS",
    "SERVICE_SETTINGS",
    "SYNTHETICS_SUITE",
    "TYPE_TOKENS",
    "ResourceKind",
    "kind_of",
    "native_type_token",
    "type_token",
]

MODULE: Final = "datadog-testing"
"""The ``module=`` every resource class of this package passes to ``pulumi.dynamic.Resource``."""

_DYNAMIC_PREFIX: Final = "pulumi-python:dynamic"
_NATIVE_MODULE: Final = "index"


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


def native_type_token(kind: ResourceKind | str) -> str:
    """The native plugin's type token, e.g. ``datadog-testing:index:ServiceSettings``."""
    return f"{MODULE}:{_NATIVE_MODULE}:{kind}"


def type_token(kind: ResourceKind | str) -> str:
    """The type token of a resource class declared with ``module=MODULE, name=kind``."""
    return f"{_DYNAMIC_PREFIX}/{MODULE}:{kind}"


SERVICE_SETTINGS: Final = type_token(ResourceKind.SERVICE_SETTINGS)
FLAKY_TEST_STATE: Final = type_token(ResourceKind.FLAKY_TEST_STATE)
FLAKY_TEST_STATES: Final = type_token(ResourceKind.FLAKY_TEST_STATES)
FLAKY_TEST_POLICIES: Final = type_token(ResourceKind.FLAKY_TEST_POLICIES)
SYNTHETICS_SUITE: Final = type_token(ResourceKind.SYNTHETICS_SUITE)

TYPE_TOKENS: Final[dict[str, ResourceKind]] = {kind.type_token: kind for kind in ResourceKind}
"""Dynamic type token → kind, for every resource of this package."""

NATIVE_TYPE_TOKENS: Final[dict[str, ResourceKind]] = {
    native_type_token(kind): kind for kind in ResourceKind
}
"""Native type token → kind."""


def kind_of(resource_type: str) -> ResourceKind | None:
    """The kind of a resource given its dynamic or native type token; ``None`` for any other."""
    return TYPE_TOKENS.get(resource_type) or NATIVE_TYPE_TOKENS.get(resource_type)
