"""Flaky tests: search (query, sort, cursor pagination) and bulk state updates.

All tests are kept in memory (as their wire documents plus precomputed search values) and
mirrored to SQLite on every write (a state change: only the test's state and history, see
``store``). A search first narrows the candidates with an index of
the exact values of ``INDEXED_KEYS`` (repository, state; ids are the primary dictionary):
``@git.repository.id_v2:"r" flaky_test_state:quarantined`` or ``fingerprint_fqn:(id1 OR
id2 …)`` looks at the tests it names, not at all of them. The compiled query then decides
on those candidates, exactly as on a full scan (``query.Narrowing`` only prunes tests that
cannot match); a query the index cannot narrow walks the tests in sort order.

Pagination is keyset-based: the opaque cursor (base64 JSON) holds the sort key of the last
test returned plus a fingerprint of the query and sort, so pages stay consistent while
tests change state, and a cursor reused with another query is a clear 400.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from ..identity import FlakyState
from ..models import FlakySort, FlakyTestsSearchRequest, UpdateFlakyTestsRequest
from .api_errors import ApiError
from .query import FINGERPRINT, FREE_TEXT, CompiledQuery, QuerySyntaxError, compile_query
from .store import Store, compact_json

__all__ = [
    "DEFAULT_PAGE_LIMIT",
    "INDEXED_KEYS",
    "FlakyRecord",
    "FlakyTests",
    "HistoryEntry",
    "history_entry",
    "search_values",
]

DEFAULT_PAGE_LIMIT: Final = 10
MAX_PAGE_LIMIT: Final = 1000
SEARCH_TIME_LIMIT: Final = 10.0
"""Seconds one search may scan before it is refused as too expensive (a safety net behind
the query limits: with them, no query comes near it)."""
INDEXED_KEYS: Final = ("@git.repository.id_v2", "flaky_test_state")
"""Search keys with an exact-value index (besides ``fingerprint_fqn``, the id itself)."""
_SPARSE: Final = 4
"""Use the candidates when they are at most 1/_SPARSE of all tests; denser, a walk in sort
order reaches a page's worth of matches about as soon, without sorting them."""
_CHECK_EVERY: Final = 1024
_HISTORY = "history"
_STATE_KEY: Final = "flaky_test_state"
"""The one search key whose values depend on a test's state (see ``FlakyRecord.with_state``)."""
_INTERNAL: Final = frozenset({"id", "repository_id", _HISTORY})

SortKey = tuple[Any, ...]


def search_values(doc: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Every search key's values for one test document."""
    branches = tuple(
        dict.fromkeys(
            b for b in (doc.get("first_flaked_branch"), doc.get("last_flaked_branch")) if b
        )
    )
    fqn = ".".join(p for p in (doc.get("module"), doc.get("suite"), doc.get("name")) if p)
    return {
        _STATE_KEY: (doc["flaky_state"],),
        "flaky_test_category": (doc["flaky_category"],) if doc.get("flaky_category") else (),
        "@test.name": (doc["name"],),
        "@test.suite": (doc["suite"],) if doc.get("suite") else (),
        "@test.module": (doc["module"],) if doc.get("module") else (),
        "@test.service": tuple(doc.get("services") or ()),
        "@git.repository.id_v2": (doc["repository_id"],),
        "@git.branch": branches,
        "@test.codeowners": tuple(doc.get("codeowners") or ()),
        "env": tuple(doc.get("envs") or ()),
        "fingerprint_fqn": (doc["id"],),
        FREE_TEXT: (fqn.lower(),),
    }


@dataclass(slots=True)
class FlakyRecord:
    """One test: its stored document, its search values and its encoded answer.

    Records are never changed in place: a write replaces the record. The answer is kept as a
    *template*, the JSON of ``wire()`` split around the state's value, which a state change
    does not touch: the record after a bulk ``PATCH`` answers searches without encoding its
    document again, and one built by ``upsert`` gets it from the encoding its SQLite row
    needs anyway (``stored``), so even the first search after seeding encodes nothing.
    """

    doc: dict[str, Any]
    search_values: dict[str, tuple[str, ...]]
    history_json: str | None = None
    """``compact_json`` of the document's history, when known (a bulk ``PATCH`` builds each
    changed test's from its previous one and the request's one new entry)."""
    encoded: dict[bool, bytes] = field(default_factory=dict)
    """Whole answers, for a record whose template could not be derived."""
    template: tuple[bytes, bytes] | None = None
    """(before, after) the state's JSON value in ``wire(False)``'s JSON; ``None``: not
    derived yet; ``_NO_TEMPLATE`` (empty): cannot be."""

    @classmethod
    def of(cls, doc: dict[str, Any]) -> FlakyRecord:
        return cls(doc=doc, search_values=search_values(doc))

    @classmethod
    def stored(cls, doc: dict[str, Any]) -> tuple[FlakyRecord, str]:
        """A new record and its document's JSON for the store, both from one encoding of the
        test's attributes (``id`` and ``repository_id`` first, ``history`` last in the
        stored text: the order seeded and added tests have)."""
        attributes = compact_json(_attributes(doc))
        head = [f'"id":{compact_json(doc["id"])}']
        if "repository_id" in doc:
            head.append(f'"repository_id":{compact_json(doc["repository_id"])}')
        items = [*head, attributes[1:-1]] if len(attributes) > 2 else head
        history = compact_json(doc[_HISTORY]) if _HISTORY in doc else "[]"
        if _HISTORY in doc:
            items.append(f'"{_HISTORY}":{history}')
        record = cls.of(doc)
        record.history_json = history
        record.template = _template(doc, attributes)
        return record, "{" + ",".join(items) + "}"

    def with_state(
        self, state: FlakyState, now_ms: int, entry: HistoryEntry | None = None
    ) -> FlakyRecord:
        """The record after a state change (``self`` when the state is already ``state``):
        a copy of the document with the new state and history entry, and the same search
        values but the state's (the only ones a state change moves) and the same answer
        template — what ``FlakyRecord.of`` would compute, without re-deriving every key
        (bulk updates of 1,000 tests). ``entry``: the history entry, shared by the tests of
        one request (``history_entry``; made here when not given)."""
        if self.doc.get("flaky_state") == state:
            return self
        entry = entry or history_entry(state, now_ms)
        doc = dict(self.doc)
        doc["flaky_state"] = state
        before = doc.get(_HISTORY, [])
        doc[_HISTORY] = [entry.value, *before]
        old_json = self.history_json if self.history_json is not None else compact_json(before)
        history = f"[{entry.text}]" if old_json == "[]" else f"[{entry.text},{old_json[1:]}"
        values = dict(self.search_values)
        values[_STATE_KEY] = (state,)
        return FlakyRecord(
            doc=doc, search_values=values, history_json=history, template=self.template
        )

    def wire(self, include_history: bool) -> dict[str, Any]:
        """The test as the search endpoint returns it."""
        attributes = _attributes(self.doc)
        if include_history:
            attributes[_HISTORY] = self.doc.get(_HISTORY, [])
        return {"id": self.doc["id"], "type": "flaky_test", "attributes": attributes}

    def wire_json(self, include_history: bool) -> bytes:
        """``wire()`` encoded as JSON: the template filled in, or (no template) encoded once
        per record and flavour."""
        if self.template is None:
            self.template = _template(self.doc, compact_json(_attributes(self.doc)))
        if self.template[0]:  # derived (``_NO_TEMPLATE`` is empty)
            before, after = self.template
            state = compact_json(self.doc["flaky_state"]).encode()
            if not include_history:
                return before + state + after
            history = compact_json(self.doc.get(_HISTORY, [])).encode()
            return before + state + after[:-2] + b',"' + _HISTORY.encode() + b'":' + history + b"}}"
        cached = self.encoded.get(include_history)
        if cached is None:
            cached = compact_json(self.wire(include_history)).encode()
            self.encoded[include_history] = cached
        return cached


_NO_TEMPLATE: Final[tuple[bytes, bytes]] = (b"", b"")


def _attributes(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A document's attributes in the search answer (without the history)."""
    return {k: v for k, v in doc.items() if k not in _INTERNAL}


def _template(doc: Mapping[str, Any], attributes: str) -> tuple[bytes, bytes]:
    """``wire(False)``'s JSON split around the state's value, given the JSON of the test's
    attributes; ``_NO_TEMPLATE`` unless the state's item occurs in it exactly once (a nested
    value could hold the same text: then the answer is encoded whole)."""
    state = doc.get("flaky_state")
    if not isinstance(state, str):
        return _NO_TEMPLATE
    item = f'"flaky_state":{compact_json(state)}'
    at = attributes.find(item)
    if at < 0 or attributes.find(item, at + 1) >= 0:
        return _NO_TEMPLATE
    cut = at + len('"flaky_state":')
    head = f'{{"id":{compact_json(doc["id"])},"type":"flaky_test","attributes":'
    end = cut + len(compact_json(state))
    return (head + attributes[:cut]).encode(), (attributes[end:] + "}").encode()


def _sort_key(name: str) -> Callable[[FlakyRecord], SortKey]:
    doc_key: dict[str, Callable[[dict[str, Any]], Any]] = {
        "fqn": lambda d: (d.get("module") or "", d.get("suite") or "", d["name"]),
        "first_flaked": lambda d: d.get("first_flaked_ts") or 0,
        "last_flaked": lambda d: d.get("last_flaked_ts") or 0,
        "failure_rate": lambda d: float((d.get("test_stats") or {}).get("failure_rate_pct") or 0),
        "pipelines_failed": lambda d: (d.get("pipeline_stats") or {}).get("failed_pipelines") or 0,
        "pipelines_duration_lost": lambda d: (
            (d.get("pipeline_stats") or {}).get("total_lost_time_ms") or 0
        ),
    }
    primary = doc_key[name]
    if name == "fqn":
        return lambda r: (*primary(r.doc), r.doc["id"])
    return lambda r: (primary(r.doc), r.doc["id"])


def _as_key(value: Any) -> SortKey:
    """A sort key read back from a cursor (JSON lists → tuples)."""
    return tuple(value)


class FlakyTests:
    """The flaky-test endpoints' behaviour; thread-safe."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.RLock()
        self._by_id: dict[str, FlakyRecord] = {}
        self._index: dict[str, dict[str, set[str]]] = {}
        self._orders: dict[str, tuple[list[SortKey], list[str]]] = {}
        self.reload()

    def reload(self) -> None:
        with self._lock:
            self._by_id = {}
            self._index = {key: {} for key in INDEXED_KEYS}
            for doc in self._store.flaky_tests():
                self._put(FlakyRecord.of(doc))
            self._orders.clear()

    def _put(self, record: FlakyRecord) -> None:
        """Store ``record`` (replacing the test's previous record) and keep the index in step."""
        test_id = record.doc["id"]
        old = self._by_id.get(test_id)
        for key, by_value in self._index.items():
            before = old.search_values[key] if old is not None else ()
            after = record.search_values[key]
            if before == after:
                continue
            for value in before:
                ids = by_value[value]
                ids.discard(test_id)
                if not ids:
                    del by_value[value]
            for value in after:
                by_value.setdefault(value, set()).add(test_id)
        self._by_id[test_id] = record

    def lookup(self, key: str, values: frozenset[str]) -> set[str] | frozenset[str] | None:
        """The ids of the tests with one of ``values`` for ``key`` (``None``: not indexed)."""
        if key == FINGERPRINT:
            return values  # ids themselves (unknown ones are skipped when looked up)
        by_value = self._index.get(key)
        if by_value is None:
            return None
        if len(values) == 1:
            return by_value.get(next(iter(values)), frozenset())
        return set().union(*(by_value.get(v, ()) for v in values))

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, test_id: str) -> dict[str, Any] | None:
        record = self._by_id.get(test_id)
        return None if record is None else record.doc

    # ------------------------------------------------------------------------ write
    def upsert(self, docs: Iterable[dict[str, Any]]) -> tuple[int, int]:
        """Create or replace tests; return (created, updated)."""
        docs = list(docs)
        with self._lock:
            created = sum(1 for d in docs if d["id"] not in self._by_id)
            stored = [FlakyRecord.stored(doc) for doc in docs]
            self._store.put_flaky_tests(docs, [text for _, text in stored])
            for record, _ in stored:
                self._put(record)
            self._orders.clear()  # new tests or new sort values
        return created, len(docs) - created

    def bulk_update(
        self,
        request: UpdateFlakyTestsRequest,
        *,
        max_tests: int,
        injected_failures: Callable[[list[str]], Mapping[str, str]],
    ) -> dict[str, Any]:
        """Apply each test's new state; per-test results, never a 404 for unknown ids."""
        tests = request.data.attributes.tests
        if len(tests) > max_tests:
            raise ApiError.bad_request(
                f"data.attributes.tests: at most {max_tests} tests per request "
                f"(got {len(tests)}); split the update into several requests"
            )
        failures = injected_failures([t.id for t in tests])
        now_ms = int(time.time() * 1000)
        results: list[dict[str, Any]] = []
        changed: dict[str, FlakyRecord] = {}
        entries: dict[FlakyState, HistoryEntry] = {}
        with self._lock:
            by_id = self._by_id
            for test in tests:
                test_id = test.id
                if test_id in failures:
                    results.append({"id": test_id, "success": False, "error": failures[test_id]})
                    continue
                record = changed.get(test_id) or by_id.get(test_id)
                if record is None:
                    results.append(
                        {
                            "id": test_id,
                            "success": False,
                            "error": f"flaky test {test_id} not found",
                        }
                    )
                    continue
                entry = entries.get(test.new_state)
                if entry is None:
                    entry = entries[test.new_state] = history_entry(test.new_state, now_ms)
                updated = record.with_state(test.new_state, now_ms, entry)
                if updated is not record:
                    changed[test_id] = updated
                results.append({"id": test_id, "success": True})
            if changed:
                self._store.put_flaky_states(
                    (i, r.doc["flaky_state"], r.history_json or compact_json(r.doc[_HISTORY]))
                    for i, r in changed.items()
                )
                for record in changed.values():
                    self._put(record)
        return {
            "data": {
                "id": str(uuid.uuid4()),
                "type": "update_flaky_test_state_response",
                "attributes": {
                    "has_errors": any(not r["success"] for r in results),
                    "results": results,
                },
            }
        }

    # ----------------------------------------------------------------------- search
    def search(self, request: FlakyTestsSearchRequest) -> bytes:
        """One page of results, encoded as the JSON answer."""
        attributes = request.data.attributes if request.data else None
        flt = attributes.filter if attributes else None
        page = attributes.page if attributes else None
        sort: FlakySort = (attributes.sort if attributes else None) or "fqn"
        query_text = (flt.query if flt else None) or "*"
        include_history = bool(
            (flt.include_history if flt else None)
            or (attributes.include_history if attributes else None)
        )
        limit = (page.limit if page else None) or DEFAULT_PAGE_LIMIT
        try:
            query = compile_query(query_text)
        except QuerySyntaxError as exc:
            raise ApiError.bad_request(
                f"data.attributes.filter.query: {exc}", json_api=True
            ) from None
        fingerprint = hashlib.sha256(f"{query.text}\x00{sort}".encode()).hexdigest()[:16]
        after = _decode_cursor(page.cursor, fingerprint) if page and page.cursor else None

        descending = sort.startswith("-")
        name = sort.lstrip("-")
        with self._lock:
            candidates = query.candidates(self.lookup)
            if candidates is not None and len(candidates) * _SPARSE <= len(self._by_id):
                selected, more = self._page_of_candidates(
                    query, candidates, name, descending=descending, after=after, limit=limit
                )
            else:
                selected, more = self._page_in_order(
                    query, name, descending=descending, after=after, limit=limit
                )
            data = b",".join(r.wire_json(include_history) for r in selected)
        next_page = None
        if more and selected:
            next_page = _encode_cursor(_sort_key(name)(selected[-1]), fingerprint)
        meta = json.dumps({"pagination": {"next_page": next_page}}, separators=(",", ":"))
        return b'{"data":[' + data + b'],"meta":' + meta.encode() + b"}"

    def _page_in_order(
        self,
        query: CompiledQuery,
        name: str,
        *,
        descending: bool,
        after: SortKey | None,
        limit: int,
    ) -> tuple[list[FlakyRecord], bool]:
        """Walk the cached order of all tests from the cursor, keeping matches, until one
        more than ``limit`` is found (so a page costs O(limit) on selective-free queries)."""
        keys, ids = self._order(name)
        position = _cursor_position(keys, after, descending=descending)
        walk: Iterable[int] = (
            range(position - 1, -1, -1) if descending else range(position, len(ids))
        )
        selected: list[FlakyRecord] = []
        by_id, predicate = self._by_id, query.predicate
        deadline = time.monotonic() + SEARCH_TIME_LIMIT
        for scanned, index in enumerate(walk, 1):
            if scanned % _CHECK_EVERY == 0 and time.monotonic() > deadline:
                raise ApiError.bad_request(
                    f"data.attributes.filter.query: search took longer than "
                    f"{SEARCH_TIME_LIMIT:g}s; narrow the query",
                    json_api=True,
                )
            record = by_id[ids[index]]
            if predicate(record.search_values):
                if len(selected) == limit:
                    return selected, True
                selected.append(record)
        return selected, False

    def _page_of_candidates(
        self,
        query: CompiledQuery,
        candidates: Iterable[str],
        name: str,
        *,
        descending: bool,
        after: SortKey | None,
        limit: int,
    ) -> tuple[list[FlakyRecord], bool]:
        """A query the index narrowed to a few ids: look them up, filter, sort, cut the page."""
        key = _sort_key(name)
        pool = (r for i in candidates if (r := self._by_id.get(i)) is not None)
        matches = sorted((r for r in pool if query.predicate(r.search_values)), key=key)
        position = _cursor_position([key(r) for r in matches], after, descending=descending)
        if descending:
            return matches[max(0, position - limit) : position][::-1], position - limit > 0
        return matches[position : position + limit], position + limit < len(matches)

    def _order(self, name: str) -> tuple[list[SortKey], list[str]]:
        """All tests' sort keys and ids in ascending order of ``name`` (cached until a test
        is added or replaced; state changes don't move a test in any order)."""
        cached = self._orders.get(name)
        if cached is None:
            key = _sort_key(name)
            records = sorted(self._by_id.values(), key=key)
            cached = ([key(r) for r in records], [r.doc["id"] for r in records])
            self._orders[name] = cached
        return cached


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """The history entry a manual state change adds (``value``) and its ``compact_json``
    (``text``): one per state and request, shared by every test it changes (documents are
    never changed in place)."""

    value: dict[str, Any]
    text: str


def history_entry(state: FlakyState, now_ms: int) -> HistoryEntry:
    value = {
        "status": state,
        "commit_sha": "",
        "timestamp": now_ms,
        "policy_id": "ftm_policy.manual",
    }
    return HistoryEntry(value, compact_json(value))


def _cursor_position(keys: Sequence[SortKey], after: SortKey | None, *, descending: bool) -> int:
    """Where a page starts in ascending ``keys``, given the last key of the previous page:
    the first index past it (ascending) or the end, exclusive, before it (descending)."""
    if descending:
        return bisect.bisect_left(keys, after) if after is not None else len(keys)
    return bisect.bisect_right(keys, after) if after is not None else 0


def _encode_cursor(key: SortKey, fingerprint: str) -> str:
    raw = json.dumps({"k": list(key), "f": fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str, fingerprint: str) -> SortKey:
    problem = "data.attributes.page.cursor: not a cursor returned by this search"
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        key, owner = payload["k"], payload["f"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise ApiError.bad_request(problem, json_api=True) from None
    if owner != fingerprint or not isinstance(key, list):
        raise ApiError.bad_request(
            f"{problem} (it belongs to a different query or sort)", json_api=True
        )
    return _as_key(key)
