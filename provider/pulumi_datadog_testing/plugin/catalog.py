"""The five resources the plugin serves: each one's dynamic provider, input model and class.

The native plugin owns no resource logic. For every resource it names the *same*
``ResourceProvider`` subclass the dynamic ``Resource`` uses (check/diff/CRUD), the pydantic
model ``check`` validates inputs with (the schema's input properties) and the dynamic
``Resource`` class (its ``pulumi.Output`` annotations are the schema's output properties).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from pulumi.dynamic import ResourceProvider
from pydantic import BaseModel

from ..resources._resource import DatadogResource
from ..type_tokens import ResourceKind, native_type_token

__all__ = ["RESOURCES", "Entry", "entry_for"]


@dataclass(frozen=True)
class Entry:
    """Where one resource's single implementation lives (imported on first use)."""

    kind: ResourceKind
    module: str
    provider_class: str
    inputs_model: str

    @property
    def token(self) -> str:
        return native_type_token(self.kind)

    @cached_property
    def _module(self) -> object:
        return importlib.import_module(f"{__package__.rpartition('.')[0]}.resources.{self.module}")

    def provider(self) -> ResourceProvider:
        """A fresh instance of the dynamic provider (it keeps no state of its own)."""
        cls: type[ResourceProvider] = getattr(self._module, self.provider_class)
        return cls()

    def documented(self, outs: Mapping[str, Any]) -> Mapping[str, Any]:
        """A hook's outputs in the shape the schema documents: a resource module's
        ``documented_outputs`` unpacks what its resources store packed (``FlakyTestStates``
        of 100 tests or more), so the native provider's state holds them whole."""
        shape: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = getattr(
            self._module, "documented_outputs", None
        )
        return outs if shape is None else shape(outs)

    @property
    def inputs(self) -> type[BaseModel]:
        """The model ``check`` validates this resource's inputs with."""
        model: type[BaseModel] = getattr(self._module, self.inputs_model)
        return model

    @property
    def resource_class(self) -> type[DatadogResource]:
        """The dynamic ``Resource`` class (its ``OUTPUT_TYPES`` list the outputs)."""
        cls: type[DatadogResource] = getattr(self._module, self.kind.value)
        return cls

    @property
    def description(self) -> str:
        """The resource module's docstring: the semantics users read in the SDK docs."""
        return (getattr(self._module, "__doc__", None) or "").strip()


RESOURCES: Final[tuple[Entry, ...]] = (
    Entry(
        ResourceKind.SERVICE_SETTINGS,
        "service_settings",
        "ServiceSettingsProvider",
        "ServiceSettingsInputs",
    ),
    Entry(
        ResourceKind.FLAKY_TEST_STATE,
        "flaky_test_state",
        "FlakyTestStateProvider",
        "FlakyTestStateInputs",
    ),
    Entry(
        ResourceKind.FLAKY_TEST_STATES,
        "flaky_test_states",
        "FlakyTestStatesProvider",
        "FlakyTestStatesInputs",
    ),
    Entry(
        ResourceKind.FLAKY_TEST_POLICIES,
        "flaky_test_policies",
        "FlakyTestPoliciesProvider",
        "FlakyTestPoliciesInputs",
    ),
    Entry(
        ResourceKind.SYNTHETICS_SUITE,
        "synthetics_suite",
        "SyntheticsSuiteProvider",
        "SuiteInputs",
    ),
)

_BY_TOKEN: Final = {entry.token: entry for entry in RESOURCES}


def entry_for(token: str) -> Entry:
    """The entry of a native type token; ``ValueError`` naming the served types otherwise."""
    try:
        return _BY_TOKEN[token]
    except KeyError:
        served = ", ".join(sorted(_BY_TOKEN))
        raise ValueError(f"unknown resource type {token!r}; this plugin serves {served}") from None
