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
from ._flaky_values import NOTE_KEYS, SELECTOR, captured_state
from ._props import PRIORS_KEY, given_inputs
from ._provider_ref import ProviderRef
from ._resource import DatadogResource, label
from .prior_values_resource import (
    Captured,
    captured_of,
    priors_input,
    register_priors,
    warn_overlap,
)

__all__ = [
    "OUTPUTS",
    "FlakyTestState",
    "FlakyTestStateArgs",
    "documented_outputs",
    "overlap",
    "recorded_outputs",
    "recorded_priors",
]

OUTPUTS: Final = ("previous_state", "fqn", "test_module", "test_suite", "test_name")
"""Properties the provider computes (``test_id`` is also an output: the resolved id). Since
2026-12-02 they are not stored: the resource records the test once, as its ``__priors`` output
(``recorded_priors``), and they are read from there (``recorded_outputs``)."""


def recorded_priors(test_id: str, previous_state: str, parts: Mapping[str, Any]) -> str:
    """The ``__priors`` output of a resource managing ``test_id``: the state it had before
    Pulumi managed it and its module/suite/name (``parts``; empty ones left out), as
    ``PriorValues`` captures a single test."""
    value = {"state": previous_state, **{k: parts[k] for k in SELECTOR if parts.get(k)}}
    return priors_input({test_id: value}, True)


def recorded_outputs(outs: Mapping[str, Any]) -> dict[str, Any]:
    """``previous_state``, ``fqn``, ``test_module``, ``test_suite`` and ``test_name`` of a
    resource's outputs (plain values; ``{}`` when it recorded nothing): as stored by states
    written before 2026-12-02 (and by ``get``), else from its ``__priors`` output
    (``recorded_priors``). Every output in state crosses the engine's gRPC calls several times
    per operation, and the program resolves each: the five were a second copy of ``__priors``."""
    stored = {key: outs[key] for key in OUTPUTS if outs.get(key) is not None}
    if "previous_state" in stored and len(stored) > 1:
        return {key: stored.get(key) for key in OUTPUTS}  # all stored (test_* None: absent)
    captured = captured_of(outs)
    if captured is None or not captured.values:
        return {key: stored.get(key) for key in OUTPUTS} if stored else {}
    test_id = outs.get("test_id")
    values = captured.values
    value = values.get(test_id) if test_id in values else next(iter(values.values()))
    details = value if isinstance(value, Mapping) else {}
    parts = [details.get(k) or None for k in SELECTOR]
    recorded = {
        "previous_state": captured_state(value),
        "fqn": ".".join(part for part in parts if part),
        **{f"test_{k}": part for k, part in zip(SELECTOR, parts, strict=True)},
    }
    return {**recorded, **stored}  # a program sees only a stored previous_state (RECORDED_ONLY)


def documented_outputs(outs: Mapping[str, Any]) -> dict[str, Any]:
    """``outs`` with the five outputs as documented, instead of ``__priors``: the native
    provider's outputs (its resources have no ``__priors`` input)."""
    shown = {k: v for k, v in outs.items() if k != PRIORS_KEY}
    recorded = {k: v for k, v in recorded_outputs(outs).items() if v is not None}
    return {**shown, **recorded}


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
    RECORDED = staticmethod(recorded_outputs)  # previous_state, fqn, ...: read from __priors
    RECORDED_NAMES = OUTPUTS
    RECORDED_ALSO = ("test_id",)
    RECORDED_ONLY = frozenset(OUTPUTS) - {"previous_state"}

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
        sources = self.recorded_sources()
        warn_overlap(
            priors, self, what, list(sources.values()), lambda v: _recorded_state(sources, v)
        )

    @staticmethod
    def get(
        resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> FlakyTestState:
        """Read an existing test's state by id ``<repository_id>::<test_id>`` (no change made)."""
        return FlakyTestState(
            resource_name, opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        )


def _recorded_state(sources: Mapping[str, Any], values: list[Any]) -> dict[str, Any]:
    """The managed test's recorded prior state, ``{test_id: {"state": ...}}`` (``{}`` when
    not known), from the values of a resource's ``recorded_sources``."""
    found = dict(zip(sources, values, strict=True))
    previous = recorded_outputs(found).get("previous_state")
    test_id = found.get("test_id")
    return {test_id: {"state": previous}} if test_id and previous else {}
