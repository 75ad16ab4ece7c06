"""Bulk flaky-test state writes (``emulator/flaky_tests.py``, ``store.py``): the fast path
(a record derived from its predecessor, only state and history written to SQLite) answers
and stores exactly what re-deriving every test from its document did — per-test results,
documents (key order included), search values — and a reloaded store reads the same
documents back, from a database with or without the state overlay. In-process."""

from __future__ import annotations

import copy
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_datadog_testing.emulator.admin_models import SeedFlakyTestsRequest
from pulumi_datadog_testing.emulator.flaky_tests import FlakyRecord, FlakyTests, search_values
from pulumi_datadog_testing.emulator.seed import generate
from pulumi_datadog_testing.emulator.store import Store
from pulumi_datadog_testing.identity import FlakyState
from pulumi_datadog_testing.models import UpdateFlakyTestsRequest

pytestmark = pytest.mark.emulator

REPO = "github.com/acme/writes"
STATES: tuple[FlakyState, ...] = ("active", "quarantined", "disabled", "fixed")
DOCS = generate(SeedFlakyTestsRequest(repository_id=REPO, count=12, seed=5))
IDS = [d["id"] for d in DOCS]
UNKNOWN = "ffffffffffffffff"
NOW_MS = 1_790_000_000_000


def _request(changes: list[tuple[str, FlakyState]]) -> UpdateFlakyTestsRequest:
    """A request with ``changes`` in order, repeated ids included (``of`` takes a dict)."""
    tests = [{"id": i, "new_state": s} for i, s in changes]
    return UpdateFlakyTestsRequest.model_validate({"data": {"attributes": {"tests": tests}}})


def _reference(
    docs: dict[str, dict[str, Any]], changes: list[tuple[str, FlakyState]], failing: set[str]
) -> list[dict[str, Any]]:
    """What a bulk update answers and does, written plainly: each test in request order,
    a failure or an unknown id reported, otherwise the document copied with its new state
    and (when the state changes) a new history entry first."""
    results: list[dict[str, Any]] = []
    for test_id, state in changes:
        if test_id in failing:
            results.append({"id": test_id, "success": False, "error": "injected failure"})
        elif test_id not in docs:
            error = f"flaky test {test_id} not found"
            results.append({"id": test_id, "success": False, "error": error})
        else:
            doc = dict(docs[test_id])
            if doc["flaky_state"] != state:
                doc["flaky_state"] = state
                entry = {
                    "status": state,
                    "commit_sha": "",
                    "timestamp": NOW_MS,
                    "policy_id": "ftm_policy.manual",
                }
                doc["history"] = [entry, *doc.get("history", [])]
            docs[test_id] = doc
            results.append({"id": test_id, "success": True})
    return results


def _items(doc: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """A document's items in order (dict equality ignores order; the wire JSON does not)."""
    assert doc is not None
    return list(doc.items())


change = st.tuples(st.sampled_from([*IDS[:6], UNKNOWN]), st.sampled_from(STATES))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    requests=st.lists(st.lists(change, min_size=1, max_size=8), min_size=1, max_size=4),
    failing=st.sets(st.sampled_from(IDS[:6]), max_size=2),
)
def test_bulk_updates_answer_and_store_what_rederiving_each_test_did(
    monkeypatch: pytest.MonkeyPatch,
    requests: list[list[tuple[str, FlakyState]]],
    failing: set[str],
) -> None:
    monkeypatch.setattr(time, "time", lambda: NOW_MS / 1000)
    store = Store()  # in memory: a second FlakyTests over it reads what a restart would
    try:
        flaky = FlakyTests(store)
        flaky.upsert(copy.deepcopy(DOCS))
        expected = {d["id"]: copy.deepcopy(d) for d in DOCS}
        for changes in requests:
            answer = flaky.bulk_update(
                _request(changes),
                max_tests=1000,
                injected_failures=lambda ids: {i: "injected failure" for i in ids if i in failing},
            )
            results = _reference(expected, changes, failing)
            attributes = answer["data"]["attributes"]
            assert attributes["results"] == results
            assert attributes["has_errors"] == any(not r["success"] for r in results)
        for test_id, doc in expected.items():
            assert _items(flaky.get(test_id)) == _items(doc)
            record = flaky._by_id[test_id]
            assert record.search_values == search_values(doc)
        reloaded = FlakyTests(store)  # what a restart reads back
        for test_id, doc in expected.items():
            assert _items(reloaded.get(test_id)) == _items(doc)
        for state in STATES:
            live = flaky.lookup("flaky_test_state", frozenset({state}))
            assert live == reloaded.lookup("flaky_test_state", frozenset({state}))
            assert live == {i for i, d in expected.items() if d["flaky_state"] == state}
    finally:
        store.close()


def test_a_state_change_writes_the_overlay_and_a_whole_document_replaces_it(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "overlay.sqlite")
    store = Store(db)
    flaky = FlakyTests(store)
    flaky.upsert(copy.deepcopy(DOCS))
    target = IDS[0]
    new_state: FlakyState = "disabled" if DOCS[0]["flaky_state"] != "disabled" else "fixed"
    flaky.bulk_update(
        _request([(target, new_state)]), max_tests=1000, injected_failures=lambda _ids: {}
    )
    stored = store.get("flaky_tests", target)
    assert stored is not None and stored["flaky_state"] == DOCS[0]["flaky_state"]  # untouched
    (overlay_state,) = store._db.execute(
        "SELECT flaky_state FROM flaky_test_states WHERE id = ?", (target,)
    ).fetchone()
    assert overlay_state == new_state
    replaced = {**copy.deepcopy(DOCS[0]), "flaky_state": "active", "history": []}
    flaky.upsert([replaced])
    store.close()
    reopened = Store(db)
    try:
        assert _items(FlakyTests(reopened).get(target)) == _items(replaced)
        (left,) = reopened._db.execute("SELECT COUNT(*) FROM flaky_test_states").fetchone()
        assert left == 0
    finally:
        reopened.close()


def test_a_database_from_before_the_state_overlay_reads_as_before(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    raw = sqlite3.connect(db)
    raw.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE flaky_tests (id TEXT PRIMARY KEY, repository_id TEXT NOT NULL, "
        "doc TEXT NOT NULL);"
    )
    old = {**copy.deepcopy(DOCS[1]), "flaky_state": "quarantined"}
    raw.execute(
        "INSERT INTO flaky_tests VALUES (?, ?, ?)", (old["id"], REPO, json.dumps(old))
    )  # the old writer's spacing: any JSON text reads back
    raw.commit()
    raw.close()
    store = Store(str(db))
    try:
        flaky = FlakyTests(store)
        assert _items(flaky.get(old["id"])) == _items(old)
        flaky.bulk_update(
            _request([(old["id"], "active")]), max_tests=1000, injected_failures=lambda _ids: {}
        )
        assert (FlakyTests(store).get(old["id"]) or {})["flaky_state"] == "active"
    finally:
        store.close()


def _reference_answer(record: FlakyRecord, include_history: bool) -> bytes:
    """A search answer's test, encoded whole (what every answer was before templates)."""
    return json.dumps(record.wire(include_history), separators=(",", ":")).encode()


@pytest.mark.parametrize(
    "doc",
    [
        *copy.deepcopy(DOCS[:4]),
        # keys in another order, no history, a nested value holding the state's own text
        {"name": "t", "id": "00000000000000a1", "flaky_state": "active", "repository_id": REPO},
        {
            "id": "00000000000000a2",
            "repository_id": REPO,
            "name": "t",
            "flaky_state": "quarantined",
            "test_run_metadata": {"flaky_state": "quarantined", "note": '"flaky_state":"x"'},
            "history": [],
        },
        {"id": "00000000000000a3", "repository_id": REPO, "name": "t", "flaky_state": "fixed"},
    ],
)
def test_answers_from_templates_are_the_whole_encoding_byte_for_byte(doc: dict[str, Any]) -> None:
    record, text = FlakyRecord.stored(copy.deepcopy(doc))
    assert json.loads(text) == doc  # the stored row reads back as the document
    chain = [record, FlakyRecord.of(copy.deepcopy(doc))]  # template from upsert / lazily
    for state in ("disabled", "fixed", "active", "active"):
        chain.append(chain[-2].with_state(state, NOW_MS))
        chain.append(chain[-2].with_state(state, NOW_MS))
    for item in chain:
        for include_history in (False, True):
            assert item.wire_json(include_history) == _reference_answer(item, include_history)


def test_a_state_seen_twice_in_the_attributes_is_encoded_whole() -> None:
    doc = {
        "id": "00000000000000b1",
        "repository_id": REPO,
        "name": "t",
        "flaky_state": "active",
        "test_run_metadata": {"flaky_state": "active"},
    }
    record, _ = FlakyRecord.stored(doc)
    assert record.template == (b"", b"")
    assert record.wire_json(False) == _reference_answer(record, False)
