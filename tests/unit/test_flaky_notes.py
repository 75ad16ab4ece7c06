"""``expires``/``owner``/``reason`` on FlakyTestState and FlakyTestStates: validated, kept in
Pulumi state only, never sent, and changing them makes no API call."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.resources._base import WIRE_UNKNOWN
from pulumi_datadog_testing.resources.flaky_test_state import FlakyTestStateProvider
from pulumi_datadog_testing.resources.flaky_test_states import FlakyTestStatesProvider
from tests.support.results import inputs, outs
from tests.unit._flaky_fake import REPO, FakeFlakyAPI, serving

MakeClient = Callable[..., DatadogClient]


@pytest.fixture
def api() -> FakeFlakyAPI:
    return FakeFlakyAPI()


@pytest.fixture
def bulk(serve: MakeClient, api: FakeFlakyAPI) -> Iterator[FlakyTestStatesProvider]:
    with serving(serve, api):
        yield FlakyTestStatesProvider()


@pytest.fixture
def single(serve: MakeClient, api: FakeFlakyAPI) -> Iterator[FlakyTestStateProvider]:
    with serving(serve, api):
        yield FlakyTestStateProvider()


def sent_bodies(api: FakeFlakyAPI) -> str:
    return " ".join(json.dumps(r.body) for r in api.calls())


# ------------------------------------------------------------------------------- check


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("31/12/2026", "not an ISO date: '31/12/2026'; expected YYYY-MM-DD"),
        ("2026-02-30", "not an ISO date: '2026-02-30'"),
        ("20261231", "not an ISO date: '20261231'"),
    ],
)
def test_expires_must_be_an_iso_date(
    bulk: FlakyTestStatesProvider, single: FlakyTestStateProvider, value: str, expected: str
) -> None:
    news: dict[str, Any] = {
        "repository_id": REPO, "test_id": "a1", "state": "quarantined", "expires": value
    }  # fmt: skip
    [failure] = single.check({}, news).failures
    assert failure.property == "expires" and expected in failure.reason
    news = {"repository_id": REPO, "states": {"a1": "quarantined"}, "expires": value}
    [failure] = bulk.check({}, news).failures
    assert failure.property == "expires" and expected in failure.reason
    news = {"repository_id": REPO, "states": {"a1": {"state": "disabled", "expires": value}}}
    [failure] = bulk.check({}, news).failures
    assert failure.property == "states.a1" and f"expires: Value error, {expected}" in failure.reason


def test_map_values_are_a_state_or_an_object(bulk: FlakyTestStatesProvider) -> None:
    entry = {"state": "quarantined", "expires": "2026-12-31", "owner": "@acme/payments"}
    result = bulk.check({}, {"repository_id": REPO, "states": {"a1": entry, "b2": "fixed"}})
    assert result.failures == []
    assert inputs(result)["states"] == {"a1": entry, "b2": "fixed"}
    bad = {"a1": {"state": "quarantined", "ownr": "x"}, "b2": "broken", "c3": {"owner": "x"}}
    failures = {
        f.property: f.reason
        for f in bulk.check({}, {"repository_id": REPO, "states": bad}).failures
    }
    assert failures["states.a1"] == "ownr: Extra inputs are not permitted"
    assert failures["states.b2"].startswith("Input should be 'active', 'quarantined'")
    assert '(or an object {"state": ...' in failures["states.b2"]
    assert failures["states.c3"] == "state: Field required"


def test_unknown_notes_during_preview_are_no_failure(bulk: FlakyTestStatesProvider) -> None:
    news = {
        "repository_id": REPO,
        "states": {"a1": {"state": "quarantined", "expires": WIRE_UNKNOWN}},
    }
    assert bulk.check({}, news).failures == []
    assert bulk.diff("id", {"repository_id": REPO, "states": {"a1": "quarantined"}}, news).changes


# ------------------------------------------------------------------------ FlakyTestStates


def test_notes_are_kept_in_state_and_never_sent(
    bulk: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    a, b = api.add(2)
    entry = {
        "state": "quarantined",
        "expires": "2031-01-15",
        "owner": "@acme/cart",
        "reason": "CART-9",
    }
    created = bulk.create(
        {
            "repository_id": REPO,
            "states": {a: entry, b: "disabled"},
            "expires": "2030-06-30",
            "owner": "@acme/payments",
            "reason": "PAY-1",
        }
    )
    assert api.patched() == [{a: "quarantined", b: "disabled"}]
    for text in ("2031-01-15", "@acme/cart", "CART-9", "2030-06-30", "@acme/payments", "PAY-1"):
        assert text not in sent_bodies(api)
    assert outs(created)["states"] == {a: "quarantined", b: "disabled"}
    assert outs(created)["test_notes"] == {a: {k: v for k, v in entry.items() if k != "state"}}
    assert (outs(created)["expires"], outs(created)["owner"]) == ("2030-06-30", "@acme/payments")


@pytest.mark.parametrize(
    "change",
    [
        {"expires": "2030-07-31"},
        {"owner": "@acme/other"},
        {"states_note": {"expires": "2031-02-01"}},
        {"states_note": {"owner": "@acme/x", "reason": "new"}},
    ],
)
def test_changing_notes_is_an_update_without_api_calls(
    bulk: FlakyTestStatesProvider, api: FakeFlakyAPI, change: dict[str, Any]
) -> None:
    (a,) = api.add(1)
    news: dict[str, Any] = {
        "repository_id": REPO,
        "states": {a: {"state": "quarantined", "expires": "2031-01-15"}},
        "expires": "2030-06-30",
    }
    created = bulk.create(news)
    assert bulk.diff(created.id, outs(created), news).changes is False
    note = change.pop("states_note", None)
    changed = {**news, **change}
    if note is not None:
        changed["states"] = {a: {"state": "quarantined", **note}}
    assert bulk.diff(created.id, outs(created), changed).changes is True
    api.requests.clear()
    updated = bulk.update(created.id, outs(created), changed)
    assert api.requests == []
    assert bulk.diff(created.id, outs(updated), changed).changes is False


def test_a_state_written_as_an_object_or_a_string_is_the_same_state(
    bulk: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    (a,) = api.add(1)
    created = bulk.create({"repository_id": REPO, "states": {a: "quarantined"}})
    as_object = {"repository_id": REPO, "states": {a: {"state": "quarantined"}}}
    assert bulk.diff(created.id, outs(created), as_object).changes is False
    with_note = {"repository_id": REPO, "states": {a: {"state": "quarantined", "owner": "x"}}}
    assert bulk.diff(created.id, outs(created), with_note).changes is True


def test_refresh_keeps_each_tests_notes(bulk: FlakyTestStatesProvider, api: FakeFlakyAPI) -> None:
    a, b = api.add(2)
    entry = {"state": "quarantined", "expires": "2031-01-15", "owner": "@acme/cart"}
    news = {"repository_id": REPO, "states": {a: entry, b: "disabled"}, "expires": "2030-06-30"}
    created = bulk.create(news)
    api.tests[a].state = "active"  # changed outside Pulumi
    result = bulk.read(created.id, outs(created))
    assert inputs(result)["states"] == {a: {**entry, "state": "active"}, b: "disabled"}
    assert inputs(result)["expires"] == "2030-06-30"
    assert outs(result)["test_notes"] == outs(created)["test_notes"]
    assert bulk.diff(created.id, outs(result), news).changes is True  # the drift, not the notes


# ------------------------------------------------------------------------- FlakyTestState


def test_single_state_notes_are_kept_and_changes_make_no_call(
    single: FlakyTestStateProvider, api: FakeFlakyAPI
) -> None:
    (a,) = api.add(1)
    news = {
        "repository_id": REPO,
        "test_id": a,
        "state": "quarantined",
        "expires": "2031-01-15",
        "owner": "@acme/cart",
    }
    created = single.create(news)
    assert (outs(created)["expires"], outs(created)["owner"]) == ("2031-01-15", "@acme/cart")
    assert "2031-01-15" not in sent_bodies(api) and "@acme/cart" not in sent_bodies(api)
    for change in ({"expires": "2031-03-01"}, {"owner": "@acme/other"}):
        changed = {**news, **change}
        assert single.diff(created.id, outs(created), changed).changes is True
        api.requests.clear()
        updated = single.update(created.id, outs(created), changed)
        assert api.requests == []
        assert {k: outs(updated)[k] for k in change} == change
    assert single.read(created.id, outs(created)).inputs is None  # no drift: inputs kept
    drifted = {**outs(created), "state": "active"}  # the state says active, Datadog does not
    refreshed = single.read(created.id, drifted)
    assert inputs(refreshed)["state"] == "quarantined"
    assert (inputs(refreshed)["expires"], inputs(refreshed)["owner"]) == (
        "2031-01-15",
        "@acme/cart",
    )
