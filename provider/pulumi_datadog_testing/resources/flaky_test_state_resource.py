"""``FlakyTestState`` as a program declares it: the resource class and its Args (the provider,
``flaky_test_state.FlakyTestStateProvider``, runs in the provider process; see
``flaky_test_state`` for what each operation does).

A program imports only this side: no pydantic, no provider class (see ``_provider_ref``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypedDict, Unpack

import pulumi

from ..type_tokens import MODULE, ResourceKind
from ._flaky_values import NOTE_KEYS, SELECTOR
from ._props import given_inputs
from ._provider_ref import ProviderRef
from ._resource import DatadogResource, label
from .prior_values_resource import Captured, register_priors, warn_overlap

__all__ = ["OUTPUTS", "FlakyTestState", "FlakyTestStateArgs", "overlap"]

OUTPUTS: Final = ("previous_state", "fqn", "test_module", "test_suite", "test_name")
"""Properties the provider computes (``test_id`` is also an output: the resolved id)."""
_PROVIDER: Final = ProviderRef(f"{__package__}.flaky_test_state", "FlakyTestStateProvider")


def overlap(declared: Mapping[str, Any], captured: Captured) -> list[str]:
    """The test, if it was already in the declared (non-``active``) state."""
    state = declared.get("state")
    return [
        test_id
        for test_id, value in captured.values.items()
        if state != "active" and isinstance(value, Mapping) and value.get("state") == state
    ]


class FlakyTestStateArgs(TypedDict, total=False):
    """Arguments of ``FlakyTestState``: ``test_id``, or ``module``/``suite``/``name``."""

    repository_id: pulumi.Input[str]
    """Repository of the test, e.g. ``github.com/acme/shop`` (scopes every search)."""
    state: pulumi.Input[str]
    """``active``, ``quarantined``, ``disabled`` or ``fixed``."""
    test_id: pulumi.Input[str] | None
    """The test's id (the ``id`` of the flaky tests search, e.g. ``4eb1887a8adb1847``)."""
    module: pulumi.Input[str] | None
    """Selector: the test's module (exact match)."""
    suite: pulumi.Input[str] | None
    """Selector: the test's suite (exact match)."""
    name: pulumi.Input[str] | None
    """Selector: the test's name (exact match)."""
    reason: pulumi.Input[str] | None
    """Why (e.g. a ticket link); kept in Pulumi state only."""
    expires: pulumi.Input[str] | None
    """ISO date (``YYYY-MM-DD``): the last day the quarantine is meant to last (the
    ``flaky-quarantine-expiry`` policy fails preview after it); kept in Pulumi state only."""
    owner: pulumi.Input[str] | None
    """Who owns fixing the test (free text, e.g. ``@acme/payments``); kept in Pulumi state only."""


class FlakyTestState(DatadogResource, module=MODULE, name=ResourceKind.FLAKY_TEST_STATE):
    """The state of one flaky test.

    ``FlakyTestState("t", repository_id="github.com/acme/shop", test_id="4eb1887a8adb1847",
    state="quarantined")`` or, by what you know of it,
    ``FlakyTestState("t", repository_id=..., suite="CartTest", name="test_checkout",
    state="disabled", reason="JIRA-123")``. Destroying it puts the test back in the state it
    had before Pulumi managed it.
    """

    repository_id: pulumi.Output[str]
    test_id: pulumi.Output[str]
    """The managed test's id (resolved from the selector in the selector form)."""
    module: pulumi.Output[str | None]
    suite: pulumi.Output[str | None]
    name: pulumi.Output[str | None]
    state: pulumi.Output[str]
    """Last known state (``pulumi refresh`` updates it)."""
    reason: pulumi.Output[str | None]
    expires: pulumi.Output[str | None]
    owner: pulumi.Output[str | None]
    previous_state: pulumi.Output[str]
    """The state before Pulumi managed the test (restored on delete)."""
    fqn: pulumi.Output[str]
    """``module.suite.name`` of the managed test."""
    test_module: pulumi.Output[str | None]
    test_suite: pulumi.Output[str | None]
    test_name: pulumi.Output[str]

    ECHOED = frozenset((*SELECTOR, *NOTE_KEYS))  # outputs only as declared (never computed)

    def __init__(
        self,
        resource_name: str,
        args: FlakyTestStateArgs | Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[FlakyTestStateArgs],
    ) -> None:
        inputs = given_inputs(args, kwargs)
        priors = register_priors(resource_name, ResourceKind.FLAKY_TEST_STATE, inputs, opts)
        super().__init__(_PROVIDER, resource_name, inputs, opts)
        what = label("flaky test state of repository {0}", inputs.get("repository_id"))
        warn_overlap(
            priors,
            self,
            what,
            (self.test_id, self.previous_state),
            lambda both: {both[0]: {"state": both[1]}} if all(both) else {},
        )

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> FlakyTestState:
        """Read an existing test's state by id ``<repository_id>::<test_id>`` (no change made)."""
        return FlakyTestState(
            resource_name, opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        )
