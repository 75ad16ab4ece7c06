"""``SyntheticsSuite`` as a program declares it: the resource class and its Args (the provider,
``synthetics_suite.SyntheticsSuiteProvider``, runs in the provider process; see
``synthetics_suite`` for what each operation does).

A program imports only this side: no pydantic, no provider class (see ``_provider_ref``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal, NotRequired, TypedDict, Unpack

import pulumi

from ..type_tokens import MODULE, ResourceKind
from ._props import given_inputs
from ._provider_ref import ProviderRef
from ._resource import DatadogResource

__all__ = [
    "ADOPTED",
    "OUTPUTS",
    "SyntheticsSuite",
    "SyntheticsSuiteArgs",
    "SyntheticsSuiteOptionsArgs",
    "SyntheticsSuiteTestArgs",
]

ADOPTED: Final = "adopted"
"""Output of an adopted suite: its writable fields when adopted (what delete restores)."""
OUTPUTS: Final = ("monitor_id", ADOPTED)
"""The computed outputs (every other output attribute is an input)."""
_PROVIDER: Final = ProviderRef(f"{__package__}.synthetics_suite", "SyntheticsSuiteProvider")


class SyntheticsSuiteTestArgs(TypedDict):
    """A test in the suite: its public id and (optionally) whether it alerts."""

    public_id: pulumi.Input[str]
    """Public id of the Synthetic test, e.g. ``abc-def-ghi``."""
    alerting_criticality: NotRequired[pulumi.Input[Literal["ignore", "critical"]]]
    """``critical``: its failure counts towards the suite's alert; ``ignore``: it does not.
    Unset: not managed (Datadog's value is kept)."""


class SyntheticsSuiteOptionsArgs(TypedDict, total=False):
    """Suite options."""

    alerting_threshold: pulumi.Input[float]
    """Share of critical tests that must fail for the suite to fail, 0..1 (0.5 = 50%)."""


class SyntheticsSuiteArgs(TypedDict, total=False):
    """Arguments of a ``SyntheticsSuite``.

    ``message``, ``tags`` and ``options`` left as ``None`` are not managed: Pulumi neither
    sends nor diffs them (set ``message=""`` or ``tags=[]`` to clear them).
    """

    name: pulumi.Input[str]
    """Name of the suite."""
    tests: pulumi.Input[Sequence[pulumi.Input[SyntheticsSuiteTestArgs]]]
    """The tests in the suite, keyed by ``public_id`` (order is not significant)."""
    message: pulumi.Input[str] | None
    """Notification message of the suite's monitor."""
    tags: pulumi.Input[Sequence[pulumi.Input[str]]] | None
    """Tags, treated as a set (order and duplicates are not significant)."""
    options: pulumi.Input[SyntheticsSuiteOptionsArgs] | None
    """Options, e.g. ``{"alerting_threshold": 0.5}``."""
    public_id: pulumi.Input[str] | None
    """An existing suite to adopt instead of creating one: create writes nothing unless the
    declared fields differ, and destroy puts the suite back as it was adopted (never deletes
    it). See the module docstring."""


class SyntheticsSuite(DatadogResource, module=MODULE, name=ResourceKind.SYNTHETICS_SUITE):
    """A Datadog Synthetics test suite, updated in place with minimal, guarded JSON Patches.

    ``SyntheticsSuite("checkout", name="Checkout", tests=[{"public_id": "abc-def-ghi",
    "alerting_criticality": "critical"}], tags=["team:shop"], options={"alerting_threshold":
    0.5})`` or ``SyntheticsSuite("checkout", args=SyntheticsSuiteArgs(...))`` (or a plain
    mapping, e.g. from stack config). An update fails with
    "suite <public_id> changed outside Pulumi — run `pulumi refresh`" when the suite was edited
    outside Pulumi since the last refresh, instead of overwriting that edit. With
    ``public_id="abc-def-ghi"`` the resource adopts that existing suite instead of creating one
    (destroy then puts it back as it was adopted instead of deleting it).
    """

    name: pulumi.Output[str]
    """Name of the suite."""
    message: pulumi.Output[str | None]
    """Notification message (Datadog's value, also when not managed)."""
    tags: pulumi.Output[list[str] | None]
    """Tags in the order Datadog stores them."""
    tests: pulumi.Output[list[dict[str, Any]]]
    """Tests as Datadog lists them: ``{"public_id", "alerting_criticality"}``."""
    options: pulumi.Output[dict[str, Any]]
    """Options, e.g. ``{"alerting_threshold": 0.5}``."""
    public_id: pulumi.Output[str]
    """Public id of the suite (also the resource id)."""
    monitor_id: pulumi.Output[int | None]
    """Id of the suite's monitor."""
    adopted: pulumi.Output[dict[str, Any] | None]
    """For a suite adopted with ``public_id=``: its fields when adopted (what destroy puts
    back); ``None`` for a suite Pulumi created."""

    def __init__(
        self,
        resource_name: str,
        args: SyntheticsSuiteArgs | Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[SyntheticsSuiteArgs],
    ) -> None:
        """Declare the suite; keyword arguments override the fields of ``args``.

        ``args`` may also be a plain mapping (e.g. from stack config): unknown keys then fail
        ``check`` with a "did you mean" hint, like a missing ``name`` or ``tests``.
        """
        super().__init__(_PROVIDER, resource_name, given_inputs(args, kwargs), opts)

    @staticmethod
    def get(
        resource_name: str, public_id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> SyntheticsSuite:
        """Look up an existing suite by ``public_id`` (read-only: Pulumi will not change it)."""
        merged = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=public_id))
        return SyntheticsSuite(resource_name, opts=merged)
