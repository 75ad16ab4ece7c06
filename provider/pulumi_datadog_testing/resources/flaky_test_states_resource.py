"""``FlakyTestStates`` as a program declares it: the resource class and its Args (the provider,
``flaky_test_states.FlakyTestStatesProvider``, runs in the provider process; see
``flaky_test_states`` for what each operation does).

A program imports only this side: no pydantic, no provider class (see ``_provider_ref``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypedDict, Unpack

import pulumi

from ..type_tokens import MODULE, ResourceKind
from ._flaky_values import FlakyTestEntryArgs, captured_state, plain_states, states_map
from ._props import given_inputs
from ._provider_ref import ProviderRef
from ._resource import DatadogResource, label, untrack
from .prior_values_resource import (
    PACKED,
    Captured,
    pack_values,
    register_priors,
    warn_overlap,
)

__all__ = [
    "OUTPUTS",
    "FlakyTestEntryArgs",
    "FlakyTestStates",
    "FlakyTestStatesArgs",
    "documented_outputs",
    "overlap",
    "stored_set",
]

OUTPUTS: Final = ("previous_states", "test_ids", "pending_test_ids", "test_notes")
"""Properties the provider computes (``states`` is also an output: the last known states)."""
_PROVIDER: Final = ProviderRef(f"{__package__}.flaky_test_states", "FlakyTestStatesProvider")


def stored_set(previous: Mapping[str, str]) -> dict[str, Any]:
    """``previous_states`` and ``test_ids`` as a resource stores them. From ``PACK_MIN`` (100)
    tests on, ``previous_states`` is packed into one string (``pack_values``: ``{"__packed__":
    "id=state;..."}``) and ``test_ids`` (its keys) left out: every value in state crosses the
    engine's gRPC calls several times per operation, and these two would triple a 20,000-test
    set's 20,000 ``states``. The resource's attributes unpack them (``documented_outputs``)."""
    stored = pack_values(previous)
    if PACKED in stored:
        return {"previous_states": stored}
    return {"previous_states": dict(sorted(previous.items())), "test_ids": sorted(previous)}


def _whole_previous(stored: Any) -> Any:
    return None if stored is None else states_map(stored)


def _sorted_keys(previous: Any) -> Any:
    return None if previous is None else sorted(previous)


def documented_outputs(outs: Mapping[str, Any]) -> dict[str, Any]:
    """``outs`` with ``previous_states`` and ``test_ids`` in their documented shape (a whole
    map and a list; ``stored_set`` reversed): what the resource's attributes and the native
    provider's outputs show."""
    whole = dict(outs)
    if "previous_states" in whole:
        whole["previous_states"] = _whole_previous(whole["previous_states"])
        if whole.get("test_ids") is None:
            whole["test_ids"] = _sorted_keys(whole["previous_states"])
    return whole


def overlap(declared: Mapping[str, Any], captured: Captured) -> list[str]:
    """Tests already in their declared (non-``active``) state."""
    states = declared.get("states")
    wanted = (
        plain_states(states)
        if isinstance(states, Mapping)
        else dict.fromkeys(captured.values, declared.get("state"))
    )
    return sorted(
        test_id
        for test_id, value in captured.values.items()
        if wanted.get(test_id) not in (None, "active")
        and captured_state(value) == wanted.get(test_id)
    )


class FlakyTestStatesArgs(TypedDict, total=False):
    """Arguments of ``FlakyTestStates``: ``states``, or ``query`` + ``state``."""

    repository_id: pulumi.Input[str]
    """Repository the tests belong to, e.g. ``github.com/acme/shop`` (scopes every search)."""
    states: pulumi.Input[Mapping[str, pulumi.Input[str | FlakyTestEntryArgs]]] | None
    """Test id → ``active``, ``quarantined``, ``disabled`` or ``fixed``, or an object
    ``{"state": ..., "expires": ..., "owner": ..., "reason": ...}`` with that test's notes."""
    query: pulumi.Input[str] | None
    """A flaky tests search query (e.g. ``@test.service:checkout flaky_test_state:active``);
    every matching test of the repository gets ``state``."""
    state: pulumi.Input[str] | None
    """With ``query``: the state every matching test gets."""
    reason: pulumi.Input[str] | None
    """Why (e.g. a ticket link); kept in Pulumi state only."""
    expires: pulumi.Input[str] | None
    """ISO date (``YYYY-MM-DD``): the last day the quarantine is meant to last (the
    ``flaky-quarantine-expiry`` policy fails preview after it); kept in Pulumi state only."""
    owner: pulumi.Input[str] | None
    """Who owns fixing the tests (free text, e.g. ``@acme/payments``); kept in Pulumi state only."""


class FlakyTestStates(DatadogResource, module=MODULE, name=ResourceKind.FLAKY_TEST_STATES):
    """The states of many flaky tests of one repository, applied with as few bulk calls as possible.

    ``FlakyTestStates("q", repository_id="github.com/acme/shop",
    states={"4eb1887a8adb1847": "quarantined"}, reason="JIRA-123")`` or
    ``FlakyTestStates("q", repository_id=..., query="@test.service:checkout",
    state="quarantined")``.
    Destroying it puts every test Pulumi changed back in the state it had before.
    """

    repository_id: pulumi.Output[str]
    states: pulumi.Output[dict[str, Any]]
    """Last known state of every managed test (``pulumi refresh`` updates it). While a change
    is previewed it holds the declared values, which may be objects (``{"state": ...}``)."""
    query: pulumi.Output[str | None]
    state: pulumi.Output[str | None]
    reason: pulumi.Output[str | None]
    expires: pulumi.Output[str | None]
    owner: pulumi.Output[str | None]
    test_notes: pulumi.Output[dict[str, dict[str, str]] | None]
    """Map form: the notes (expires/owner/reason) of each test that has its own."""
    previous_states: pulumi.Output[dict[str, str]]
    """Each managed test's state before Pulumi managed it (restored on delete). Stored packed
    for 100 tests or more (``stored_set``); this attribute is the whole map either way."""
    test_ids: pulumi.Output[list[str]]
    """The managed test ids, sorted: the keys of ``previous_states`` (not stored for 100
    tests or more)."""
    pending_test_ids: pulumi.Output[list[str] | None]
    """Query form: tests the last ``pulumi refresh`` found matching that the next
    ``pulumi up`` will add (empty after create/update)."""

    def __init__(
        self,
        resource_name: str,
        args: FlakyTestStatesArgs | Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Unpack[FlakyTestStatesArgs],
    ) -> None:
        inputs = given_inputs(args, kwargs)
        priors = register_priors(resource_name, ResourceKind.FLAKY_TEST_STATES, inputs, opts)
        super().__init__(_PROVIDER, resource_name, inputs, opts)
        stored_previous = self.previous_states
        # Stored packed for a large set (``stored_set``): the attributes show the whole values.
        # ``test_ids`` is always the sorted keys of ``previous_states`` (stored or not), so it
        # is derived from them: also in a preview, where an output a state lacks is unknown.
        self.previous_states = stored_previous.apply(_whole_previous)
        self.test_ids = self.previous_states.apply(_sorted_keys)
        untrack((self.previous_states, self.test_ids))
        what = label("flaky tests of repository {0}", inputs.get("repository_id"))
        warn_overlap(
            priors,
            self,
            what,
            stored_previous,
            lambda previous: {k: {"state": v} for k, v in states_map(previous).items()},
        )
