"""FlakyTestStates provider hooks (check/diff/create/update/read/delete) over a fake API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.errors import FlakyTestsNotFoundError, FlakyUpdateError
from pulumi_datadog_testing.resources._base import WIRE_UNKNOWN
from pulumi_datadog_testing.resources.flaky_test_states import (
    PRIOR_SPEC,
    FlakyTestStatesProvider,
    documented_outputs,
)
from pulumi_datadog_testing.resources.prior_values import (
    PACK_MIN,
    PACKED,
    PRIORS_KEY,
    Captured,
    decoded,
    pack_values,
    priors_input,
)
from tests.support.results import inputs, outs
from tests.unit._flaky_fake import REPO, FakeFlakyAPI, next_operation, serving

MakeClient = Callable[..., DatadogClient]


@pytest.fixture
def api() -> FakeFlakyAPI:
    return FakeFlakyAPI()


@pytest.fixture
def provider(serve: MakeClient, api: FakeFlakyAPI) -> Iterator[FlakyTestStatesProvider]:
    with serving(serve, api):
        yield FlakyTestStatesProvider()


def failures(provider: FlakyTestStatesProvider, news: dict[str, Any]) -> dict[str, str]:
    return {f.property: f.reason for f in provider.check({}, news).failures}


# ------------------------------------------------------------------------------- check


def test_check_accepts_both_forms(provider: FlakyTestStatesProvider) -> None:
    assert (
        failures(provider, {"repository_id": REPO, "states": {"4eb1887a8adb1847": "fixed"}}) == {}
    )
    assert failures(provider, {"repository_id": REPO, "query": "tag:x", "state": "disabled"}) == {}


@pytest.mark.parametrize(
    ("news", "expected"),
    [
        ({"repository_id": REPO}, {"states": "missing: set states ({test_id: state}) or query"}),
        (
            {"repository_id": REPO, "states": {}, "query": "x", "state": "fixed"},
            {"query": "set either states ({test_id: state}) or query + state, not both"},
        ),
        ({"repository_id": REPO, "query": "x"}, {"state": "missing: with query, state is"}),
        (
            {"repository_id": REPO, "states": {}, "state": "fixed"},
            {"state": "only used with query"},
        ),
        ({"states": {}}, {"repository_id": "missing required property"}),
        (
            {"repository_id": REPO, "states": {"a1": "quarantine"}},
            {"states.a1": "Input should be 'active', 'quarantined', 'disabled' or 'fixed'"},
        ),
        (
            {"repository_id": REPO, "states": {"a b": "fixed"}},
            {"states": "not a flaky test id: 'a b'"},
        ),
        (
            {"repository_id": REPO, "states": {}, "reasons": "x"},
            {"reasons": "did you mean 'reason'?"},
        ),
    ],
)
def test_check_names_the_field_and_what_was_expected(
    provider: FlakyTestStatesProvider, news: dict[str, Any], expected: dict[str, str]
) -> None:
    found = failures(provider, news)
    assert set(found) == set(expected)
    for key, text in expected.items():
        assert text in found[key]


def test_check_lets_unknown_values_through(provider: FlakyTestStatesProvider) -> None:
    assert failures(provider, {"repository_id": WIRE_UNKNOWN, "states": WIRE_UNKNOWN}) == {}
    assert failures(provider, {"repository_id": REPO, "states": {"a1": WIRE_UNKNOWN}}) == {}


# -------------------------------------------------------------------------------- diff


def olds_of(states: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "repository_id": REPO,
        "states": states,
        "previous_states": dict.fromkeys(states, "active"),
        **extra,
    }


def test_diff_no_change(provider: FlakyTestStatesProvider, api: FakeFlakyAPI) -> None:
    result = provider.diff(
        "id", olds_of({"a": "fixed"}), {"repository_id": REPO, "states": {"a": "fixed"}}
    )
    assert (result.changes, result.replaces) == (False, [])
    assert api.requests == []


@pytest.mark.parametrize(
    "news",
    [
        {"repository_id": REPO, "states": {"a": "quarantined"}},
        {"repository_id": REPO, "states": {"a": "fixed", "b": "fixed"}},
        {"repository_id": REPO, "states": {}},
        {"repository_id": REPO, "states": {"a": "fixed"}, "reason": "JIRA-1"},
        {"repository_id": REPO, "states": {"a": WIRE_UNKNOWN}},
        {"repository_id": REPO, "query": "tag:x", "state": "fixed"},
    ],
)
def test_diff_changes(provider: FlakyTestStatesProvider, news: dict[str, Any]) -> None:
    result = provider.diff("id", olds_of({"a": "fixed"}), news)
    assert (result.changes, result.replaces) == (True, [])


@pytest.mark.parametrize("repo", ["github.com/acme/other", WIRE_UNKNOWN])
def test_diff_repository_change_replaces_deleting_first(
    provider: FlakyTestStatesProvider, repo: str
) -> None:
    result = provider.diff(
        "id", olds_of({"a": "fixed"}), {"repository_id": repo, "states": {"a": "fixed"}}
    )
    assert (result.changes, result.replaces, result.delete_before_replace) == (
        True,
        ["repository_id"],
        True,
    )


def test_diff_query_form_sees_refreshed_matches_and_drift(
    provider: FlakyTestStatesProvider,
) -> None:
    news = {"repository_id": REPO, "query": "tag:x", "state": "quarantined"}
    olds = olds_of({"a": "quarantined"}, query="tag:x", state="quarantined", pending_test_ids=[])
    assert provider.diff("id", olds, news).changes is False
    assert provider.diff("id", {**olds, "pending_test_ids": ["b"]}, news).changes is True
    assert provider.diff("id", {**olds, "states": {"a": "active"}}, news).changes is True


# ------------------------------------------------------------------- create and update


def test_create_sends_only_changes_and_records_previous(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    a, b = api.add(2)
    (c,) = api.add(1, state="disabled")
    result = provider.create(
        {"repository_id": REPO, "states": {a: "quarantined", b: "active", c: "quarantined"}}
    )
    assert api.patched() == [{a: "quarantined", c: "quarantined"}]
    assert len(api.calls("POST")) == 1  # one batched read
    assert result.id.startswith(f"{REPO}::")
    assert outs(result) == {
        "repository_id": REPO,
        "states": {a: "quarantined", b: "active", c: "quarantined"},
        "previous_states": {a: "active", b: "active", c: "disabled"},
        "test_ids": sorted([a, b, c]),
    }


def test_create_checks_tests_captured_as_already_in_their_state(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    """A capture taken after Pulumi's own write (the resource moved into the ledger, then
    destroyed alone, which put the states back) says ``a`` is already quarantined: the create
    reads ``a`` again, sends it and records its real state; ``b`` (captured active, to become
    quarantined) is not read."""
    a, b = api.add(2)
    late = {a: {"state": "quarantined"}, b: {"state": "active"}}
    declared = {"repository_id": REPO, "states": {a: "quarantined", b: "quarantined"}}
    result = provider.create({**declared, PRIORS_KEY: {"values": late, "existed": True}})
    assert api.patched() == [{a: "quarantined", b: "quarantined"}]
    assert len(api.calls("POST")) == 1  # the one test captured as already quarantined
    assert outs(result)["previous_states"] == {a: "active", b: "active"}
    next_operation()
    provider.delete(result.id, outs(result))
    assert api.states([a, b]) == {a: "active", b: "active"}


def test_capture_keeps_a_bare_state_per_test(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    """The capture holds one string per test (not ``{"state": ...}``: half the property values
    the engine marshals for a large set); values captured earlier are kept as they were, and
    the create restores from either form."""
    a, b = api.add(2)
    (c,) = api.add(1, state="disabled")
    declared = {"repository_id": REPO, "states": dict.fromkeys([a, b, c], "quarantined")}
    earlier = Captured({a: {"state": "fixed"}}, True)
    captured = PRIOR_SPEC.capture(declared, earlier)
    assert captured.values == {a: {"state": "fixed"}, b: "active", c: "disabled"}
    assert PRIOR_SPEC.overlap({**declared, "states": {c: "disabled"}}, captured) == [c]
    result = provider.create({**declared, PRIORS_KEY: {"values": captured.values}})
    assert outs(result)["previous_states"] == {a: "fixed", b: "active", c: "disabled"}
    adopted = PRIOR_SPEC.adopt(declared, captured)
    assert adopted is not None
    assert adopted[1]["previous_states"] == {a: "fixed", b: "active", c: "disabled"}
    next_operation()
    provider.delete(result.id, outs(result))
    assert api.states([a, b, c]) == {a: "fixed", b: "active", c: "disabled"}


def test_a_large_capture_is_stored_packed(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    """A capture of ``PACK_MIN`` tests or more travels as one string (``pack_values``): the
    create, a later check (which keeps the first values) and refresh read it as the map."""
    ids = api.add(PACK_MIN + 50)
    declared = {"repository_id": REPO, "states": dict.fromkeys(ids, "quarantined")}
    packed = pack_values(PRIOR_SPEC.capture(declared, None).values)
    stored: dict[str, Any] = {"values": packed, "existed": True}
    assert list(packed) == [PACKED]
    created = provider.create({**declared, PRIORS_KEY: stored})
    assert outs(created)["previous_states"] == pack_values(dict.fromkeys(ids, "active"))
    assert outs(created)[PRIORS_KEY]["values"] == {}  # each one is its previous state
    late = {"values": pack_values(dict.fromkeys(ids, "quarantined")), "existed": True}
    checked = provider.check({**declared, PRIORS_KEY: stored}, {**declared, PRIORS_KEY: late})
    assert decoded(checked.inputs[PRIORS_KEY]) == stored  # one JSON text (priors_input)
    assert inputs(provider.read(created.id, outs(created)))[PRIORS_KEY] == stored


def test_a_large_set_stores_previous_states_packed_and_no_test_ids(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    """From ``PACK_MIN`` tests on, ``previous_states`` is one packed string and ``test_ids`` is
    not stored (``stored_set``); every hook reads it back as the map, and
    ``documented_outputs`` gives the documented shape."""
    ids = api.add(PACK_MIN + 20)
    (fixed,) = api.add(1, state="fixed")
    before = {**dict.fromkeys(ids, "active"), fixed: "fixed"}
    declared: dict[str, Any] = {
        "repository_id": REPO,
        "states": dict.fromkeys([*ids, fixed], "quarantined"),
    }
    created = outs(provider.create(declared))
    assert created["previous_states"] == {
        PACKED: ";".join(f"{i}={before[i]}" for i in sorted(before))
    }
    assert "test_ids" not in created
    assert created["states"] == declared["states"]  # the one property users diff stays whole
    whole = documented_outputs(created)
    assert whole["previous_states"] == before and whole["test_ids"] == sorted(before)
    assert provider.diff("id", created, declared).changes is False

    # update: release one test, change another; the outputs stay packed
    api.requests.clear()
    news: dict[str, Any] = {**declared, "states": {**declared["states"], ids[0]: "disabled"}}
    del news["states"][ids[1]]
    next_operation()
    updated = outs(provider.update("id", created, news))
    assert api.patched() == [{ids[0]: "disabled", ids[1]: "active"}] and api.calls("POST") == []
    assert documented_outputs(updated)["previous_states"] == {
        i: s for i, s in before.items() if i != ids[1]
    }
    # refresh reads the managed tests (drift: one set back outside Pulumi)
    api.tests[ids[2]].state = "active"
    read = provider.read("id", updated)
    assert outs(read)["states"][ids[2]] == "active" and PACKED in outs(read)["previous_states"]
    assert "test_ids" not in outs(read)
    # destroy restores every test from the packed previous states
    next_operation()
    provider.delete("id", outs(read))
    assert api.states() == before


def test_a_large_set_stored_before_packing_is_read_as_before(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    """A state written by an older version (whole ``previous_states``, ``test_ids`` list) still
    diffs, updates, refreshes and restores; the next write stores it packed."""
    ids = api.add(PACK_MIN + 20)
    declared: dict[str, Any] = {"repository_id": REPO, "states": dict.fromkeys(ids, "quarantined")}
    old = documented_outputs(outs(provider.create(declared)))
    assert old["previous_states"] == dict.fromkeys(ids, "active") and old["test_ids"] == ids
    assert provider.diff("id", old, declared).changes is False
    news = {**declared, "states": {**declared["states"], ids[0]: "fixed"}}
    assert provider.diff("id", old, news).changes is True
    next_operation()
    updated = outs(provider.update("id", old, news))
    assert updated["previous_states"] == pack_values(dict.fromkeys(ids, "active"))
    assert outs(provider.read("id", old))["states"] == news["states"]  # as the update left it
    api.requests.clear()
    next_operation()
    provider.delete("id", old)
    assert api.states() == dict.fromkeys(ids, "active")
    assert [len(p) for p in api.patched()] == [len(ids)]


def test_create_of_500_tests_is_one_patch(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    ids = api.add(500)
    provider.create({"repository_id": REPO, "states": dict.fromkeys(ids, "quarantined")})
    assert [len(p) for p in api.patched()] == [500]
    assert len(api.calls("POST")) == 2  # 500 ids need two queries of at most 8,000 characters


def test_outputs_built_while_the_chunks_are_in_flight_are_the_outputs(
    serve: MakeClient, api: FakeFlakyAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A create or update sent in several chunks builds its outputs while the first ones are
    in flight (``_Outputs.build``); they are exactly what building them after the last answer
    gives (the same create and update again, with ``meanwhile`` off), notes and priors too."""
    from pulumi_datadog_testing.resources import _flaky, flaky_test_states

    built: list[int] = []
    real_build = flaky_test_states._Outputs.build

    def build(self: Any, managed: _flaky.Managed) -> None:
        built.append(len(managed.current))
        real_build(self, managed)

    monkeypatch.setattr(flaky_test_states._Outputs, "build", build)
    ids = api.add(PACK_MIN + 20)
    declared: dict[str, Any] = {
        "repository_id": REPO,
        "states": dict.fromkeys(ids, "quarantined"),
        "reason": "BUG-1",
        PRIORS_KEY: priors_input(dict.fromkeys(ids, "active"), True),
    }
    changed: dict[str, Any] = {**dict.fromkeys(ids[2:], "disabled"), ids[0]: {"state": "fixed"}}
    changed[ids[0]]["owner"] = "@a"
    news = {**declared, "states": changed}  # ids[1] released: 119 tests change, in 3 chunks

    def lifecycle() -> tuple[dict[str, Any], dict[str, Any]]:
        provider = FlakyTestStatesProvider()
        created = provider.create(declared)
        next_operation()
        updated = provider.update(created.id, outs(created), news)
        next_operation()
        provider.delete(created.id, outs(updated))
        assert api.states() == dict.fromkeys(ids, "active")
        return outs(created), outs(updated)

    with serving(serve, api, flaky_bulk_chunk_size=50):
        during = lifecycle()
        assert built == [len(ids), len(ids) - 1]  # both sent in three chunks
        real = _flaky.reconcile
        monkeypatch.setattr(
            _flaky, "reconcile", lambda *a, **k: real(*a, **{**k, "meanwhile": None})
        )
        after = lifecycle()
    assert built == [len(ids), len(ids) - 1]
    assert during == after
    assert during[1]["test_notes"] == {ids[0]: {"owner": "@a"}}


def test_hooks_of_a_large_set_give_free_memory_back(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pulumi_datadog_testing.resources import flaky_test_states

    released: list[str] = []
    monkeypatch.setattr(flaky_test_states, "RELEASE_FROM", 50)
    monkeypatch.setattr(flaky_test_states, "release_free_memory", lambda: released.append("x"))
    monkeypatch.setattr(flaky_test_states, "limit_malloc_arenas", lambda: True)
    ids = api.add(63)
    few = {"repository_id": REPO, "states": dict.fromkeys(ids[:3], "quarantined")}
    small = provider.create(few)
    provider.read(small.id, outs(small))
    assert released == []
    many = {"repository_id": REPO, "states": dict.fromkeys(ids[3:], "quarantined")}
    created = provider.create(many)
    assert released == ["x"]
    provider.update(
        created.id, outs(created), {**many, "states": dict.fromkeys(ids[3:], "disabled")}
    )
    provider.read(created.id, outs(created))
    assert len(released) == 3
    provider.delete(created.id, outs(created))
    assert len(released) == 4


def test_create_with_an_unknown_id_changes_nothing(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    (a,) = api.add(1)
    with pytest.raises(FlakyTestsNotFoundError, match="0123456789abcdef"):
        provider.create(
            {"repository_id": REPO, "states": {a: "fixed", "0123456789abcdef": "fixed"}}
        )
    assert api.patched() == []


def test_create_failure_rolls_back(provider: FlakyTestStatesProvider, api: FakeFlakyAPI) -> None:
    ids = api.add(5)
    api.patch_failures = {ids[2]: "locked"}
    with pytest.raises(
        FlakyUpdateError,
        match=rf"FlakyTestStates \(states\) of repository 'github.com/acme/shop': 1 of 5 flaky tests could not be updated: {ids[2]} \(locked\)",
    ):
        provider.create({"repository_id": REPO, "states": dict.fromkeys(ids, "fixed")})
    assert set(api.states().values()) == {"active"}


def test_update_changes_adds_and_releases(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    a, b, c = api.add(3)
    created = provider.create({"repository_id": REPO, "states": {a: "quarantined", b: "disabled"}})
    api.requests.clear()
    next_operation()
    result = provider.update(
        "id", outs(created), {"repository_id": REPO, "states": {b: "fixed", c: "quarantined"}}
    )
    assert len(api.calls("POST")) == 1  # only c is read
    assert api.patched() == [{a: "active", b: "fixed", c: "quarantined"}]
    assert outs(result)["previous_states"] == {b: "active", c: "active"}
    assert outs(result)["states"] == {b: "fixed", c: "quarantined"}


def test_update_of_reason_only_makes_no_call(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    (a,) = api.add(1)
    created = provider.create({"repository_id": REPO, "states": {a: "fixed"}})
    api.requests.clear()
    result = provider.update(
        "id", outs(created), {"repository_id": REPO, "states": {a: "fixed"}, "reason": "T-1"}
    )
    assert api.requests == []
    assert outs(result)["reason"] == "T-1"


def test_failed_update_leaves_server_as_recorded(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    ids = api.add(6)
    created = provider.create({"repository_id": REPO, "states": dict.fromkeys(ids, "quarantined")})
    api.patch_failures = {ids[4]: "nope"}
    with pytest.raises(FlakyUpdateError, match=f"{ids[4]} \\(nope\\)"):
        provider.update(
            "id", outs(created), {"repository_id": REPO, "states": dict.fromkeys(ids, "disabled")}
        )
    assert api.states() == outs(created)["states"]


def test_delete_restores_what_pulumi_changed(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    a, b = api.add(2)
    (c,) = api.add(1, state="fixed")
    created = provider.create(
        {"repository_id": REPO, "states": {a: "quarantined", b: "active", c: "disabled"}}
    )
    api.requests.clear()
    next_operation()
    provider.delete("id", outs(created))
    assert api.patched() == [{a: "active", c: "fixed"}]
    assert api.calls("POST") == []
    assert api.states() == {a: "active", b: "active", c: "fixed"}


# -------------------------------------------------------------------------------- read


def test_read_reports_drift_in_outputs_and_inputs(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    a, b = api.add(2)
    created = provider.create(
        {"repository_id": REPO, "states": {a: "quarantined", b: "quarantined"}, "reason": "r"}
    )
    api.tests[a].state = "active"  # changed outside Pulumi
    del api.tests[b]  # no longer a flaky test
    api.requests.clear()
    result = provider.read(created.id, outs(created))
    assert len(api.calls("POST")) == 1 and api.patched() == []
    assert outs(result)["states"] == {a: "active"}
    assert outs(result)["previous_states"] == {a: "active"}
    assert result.inputs == {"repository_id": REPO, "states": {a: "active"}, "reason": "r"}
    news = {"repository_id": REPO, "states": {a: "quarantined", b: "quarantined"}, "reason": "r"}
    assert provider.diff(created.id, outs(result), news).changes is True


def test_priors_output_keeps_only_what_differs_from_previous_states(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    """The ``__priors`` output holds the captured values ``previous_states`` does not already
    say (a test captured as ``fixed`` that the create found otherwise, a captured test no
    longer managed, a managed test never captured); refresh hands the capture back whole, as
    it was given, and stores it the same compact way again (gone tests included)."""
    a, b, c, d, e = api.add(5)
    api.tests[b].state = "disabled"
    priors = {
        "values": {a: "active", b: "disabled", c: "quarantined", e: {"state": "active"}},
        "existed": True,
    }
    declared = {"repository_id": REPO, "states": dict.fromkeys([a, b, c, d], "quarantined")}
    created = provider.create({**declared, PRIORS_KEY: priors})
    stored = outs(created)[PRIORS_KEY]
    assert outs(created)["previous_states"] == {
        a: "active",
        b: "disabled",
        c: "active",
        d: "active",
    }
    assert stored == {
        "values": {c: "quarantined", e: {"state": "active"}},
        "existed": True,
        "not_captured": [d],
    }
    del api.tests[a]  # gone: leaves the managed set, its captured value stays
    result = provider.read(created.id, outs(created))
    assert inputs(result)[PRIORS_KEY] == priors
    assert outs(result)["previous_states"] == {b: "disabled", c: "active", d: "active"}
    assert outs(result)[PRIORS_KEY] == {
        "values": {a: "active", c: "quarantined", e: {"state": "active"}},
        "existed": True,
        "not_captured": [d],
    }
    again = provider.read(created.id, outs(result))
    assert inputs(again)[PRIORS_KEY] == priors
    legacy = {**outs(created), PRIORS_KEY: priors}  # stored whole (before): read as it is
    assert inputs(provider.read(created.id, legacy))[PRIORS_KEY] == priors


def test_priors_output_of_a_json_text_input_is_a_json_text(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    """``__priors`` as the program passes it (one JSON text): the output is the text of what
    differs from ``previous_states``, and refresh hands back the very text given."""
    a, b, c = api.add(3)
    given = priors_input({a: "active", b: "quarantined"}, True)  # b: read again, active
    declared = {"repository_id": REPO, "states": dict.fromkeys([a, b, c], "quarantined")}
    created = provider.create({**declared, PRIORS_KEY: given})
    stored = outs(created)[PRIORS_KEY]
    assert isinstance(stored, str)
    assert outs(created)["previous_states"] == dict.fromkeys([a, b, c], "active")
    assert decoded(stored) == {"values": {b: "quarantined"}, "existed": True, "not_captured": [c]}
    assert inputs(provider.read(created.id, outs(created)))[PRIORS_KEY] == given


def test_read_adopts_listed_tests_in_their_current_state(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    a, b = api.add(2)
    api.tests[a].state = "quarantined"
    result = provider.read(f"{REPO}::{b},{a}", {})
    assert api.patched() == []
    current = {a: "quarantined", b: api.tests[b].state}
    assert result.inputs == {"repository_id": REPO, "states": current}
    assert outs(result)["previous_states"] == current  # a later release changes nothing
    assert provider.diff(result.id or "", outs(result), result.inputs).changes is False


@pytest.mark.parametrize("bad", ["x", f"{REPO}::", "::abc"])
def test_read_by_id_names_the_form(provider: FlakyTestStatesProvider, bad: str) -> None:
    with pytest.raises(Exception, match=r"<repository_id>::<test_id>\[,<test_id>...\]"):
        provider.read(bad, {})


def test_read_by_id_names_unknown_tests(provider: FlakyTestStatesProvider) -> None:
    with pytest.raises(Exception, match="0000000000000000 not among the flaky tests"):
        provider.read(f"{REPO}::0000000000000000", {})


# -------------------------------------------------------------------------- query form


def test_query_form_lifecycle(provider: FlakyTestStatesProvider, api: FakeFlakyAPI) -> None:
    team = api.add(3, tags=("team-a",))
    api.add(2, tags=("team-b",))
    news = {"repository_id": REPO, "query": "tag:team-a", "state": "quarantined"}
    created = provider.create(news)
    assert api.patched() == [dict.fromkeys(team, "quarantined")]
    assert len(api.calls("POST")) == 1  # the query's search also read the states
    assert outs(created)["pending_test_ids"] == []
    assert outs(created)["test_ids"] == sorted(team)
    assert outs(created)["states"] == dict.fromkeys(team, "quarantined")
    assert provider.diff(created.id, outs(created), news).changes is False

    (late,) = api.add(1, tags=("team-a",))  # a new test starts matching
    api.requests.clear()
    refreshed = provider.read(created.id, outs(created))
    assert len(api.calls("POST")) == 1 and api.patched() == []
    assert outs(refreshed)["pending_test_ids"] == [late]
    assert refreshed.inputs == news
    assert provider.diff(created.id, outs(refreshed), news).changes is True

    api.requests.clear()
    next_operation()
    updated = provider.update(created.id, outs(refreshed), news)
    assert len(api.calls("POST")) == 1  # no new query: reads only the new test
    assert api.patched() == [{late: "quarantined"}]
    assert outs(updated)["previous_states"][late] == "active"
    assert provider.diff(created.id, outs(updated), news).changes is False

    api.requests.clear()
    next_operation()
    provider.delete(created.id, outs(updated))
    assert api.patched() == [dict.fromkeys([*team, late], "active")]


def test_query_change_re_resolves_and_releases_old_matches(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    a_ids = api.add(2, tags=("team-a",))
    b_ids = api.add(2, tags=("team-b",))
    created = provider.create({"repository_id": REPO, "query": "tag:team-a", "state": "disabled"})
    api.requests.clear()
    next_operation()
    updated = provider.update(
        created.id,
        outs(created),
        {"repository_id": REPO, "query": "tag:team-b", "state": "disabled"},
    )
    assert api.patched() == [{**dict.fromkeys(a_ids, "active"), **dict.fromkeys(b_ids, "disabled")}]
    assert outs(updated)["test_ids"] == sorted(b_ids)


def test_query_matching_nothing_manages_nothing(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    api.add(2)
    created = provider.create({"repository_id": REPO, "query": "tag:none", "state": "disabled"})
    assert api.patched() == []
    assert outs(created)["test_ids"] == [] and outs(created)["pending_test_ids"] == []


def test_tests_that_stop_matching_stay_managed(
    provider: FlakyTestStatesProvider, api: FakeFlakyAPI
) -> None:
    ids = api.add(3, tags=("team-a",))
    news = {
        "repository_id": REPO,
        "query": "flaky_test_state:active tag:team-a",
        "state": "quarantined",
    }
    created = provider.create(news)
    assert outs(created)["test_ids"] == sorted(ids)
    refreshed = provider.read(created.id, outs(created))  # none of them is active any more
    assert outs(refreshed)["test_ids"] == sorted(ids)
    assert outs(refreshed)["pending_test_ids"] == []
    assert outs(refreshed)["states"] == dict.fromkeys(ids, "quarantined")
    assert provider.diff(created.id, outs(refreshed), news).changes is False
