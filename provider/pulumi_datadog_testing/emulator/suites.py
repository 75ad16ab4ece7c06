"""Synthetics test suites: create, get, replace, JSON Patch, bulk delete and search.

A suite is stored as its attributes document (what ``GET`` returns under
``data.attributes``). Writable fields: ``type``, ``name``, ``message``, ``options``,
``tests``, ``tags``; the server sets ``public_id`` (``abc-123-xyz``), ``monitor_id``
(increasing integer), ``created_at``/``modified_at``/``created_by``/``modified_by``,
``org_id``, ``version`` (1 at create, +1 on every change) and ``version_uuid``.

JSON Patch (RFC 6902, via the ``jsonpatch`` library) applies to that document. It is
atomic: operations run one by one on a copy and the first failing one (including a
``test``) aborts the whole patch with a 400 naming its index, op and path; an operation that
touches a server-set field is refused; the result must validate as a suite. A patch of
only ``test`` operations changes nothing (no version bump).

Bulk delete of unknown ids: the client's ``DeletedSuitesResponse`` lists what *was*
deleted, so unknown ids are left out of ``data`` (the known ones are deleted); when none of
the ids exists the answer is the suite 404 (``{"errors": ["Synthetics test not found"]}``),
which terraform-provider-datadog (and our resource) treat as "already gone".

Search (``GET /search``): ``query`` terms are ANDed — free text (case-insensitive substring
of the name), ``tag:<glob>``, ``name:<glob>``, ``public_id:<glob>``, each negatable with a
leading ``-``; ``sort`` is ``<name|created_at|modified_at|public_id>,<asc|desc>`` (default
``name,asc``); ``start`` (0) and ``count`` (50, max 1000) page; ``facets_only=true`` returns
no suites but the tag facet counts and ``total``.
"""

from __future__ import annotations

import copy
import secrets
import shlex
import string
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any, Final

import jsonpatch
import jsonpointer
from pydantic import ValidationError

from ..models import WIRE_CONTEXT, JsonPatchOperation, SuiteRequest, SyntheticsSuite
from .api_errors import ApiError, describe_validation_error
from .store import Store
from .wildcard import Wildcard

__all__ = ["NOT_FOUND", "SuitesService"]

NOT_FOUND: Final = "Synthetics test not found"
"""The real API's 404 message for a suite."""

_TABLE = "suites"
_WRITABLE: Final = ("type", "name", "message", "options", "tests", "tags")
_READ_ONLY: Final = tuple(SyntheticsSuite.SERVER_FIELDS)
_ID_ALPHABET: Final = string.ascii_lowercase + string.digits
_FIRST_MONITOR_ID: Final = 140_000_001
_CREATOR: Final = {"name": "Datadog API emulator", "handle": "emulator@example.com"}
_SORT_FIELDS: Final = ("name", "created_at", "modified_at", "public_id")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _normalized(suite: SyntheticsSuite) -> dict[str, Any]:
    """The writable fields of a validated suite, with the API's empty defaults."""
    body = suite.desired().to_body()
    body.setdefault("message", "")
    body.setdefault("tags", [])
    return {k: body[k] for k in _WRITABLE if k in body}


class SuitesService:
    """The suite endpoints' behaviour over the store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def create(self, request: SuiteRequest) -> dict[str, Any]:
        now = _now()
        with self._store.transaction():
            public_id = self._new_public_id()
            doc = {
                **_normalized(request.data.attributes),
                "public_id": public_id,
                "monitor_id": self._store.next_counter("monitor_id", _FIRST_MONITOR_ID),
                "created_at": now,
                "modified_at": now,
                "created_by": _CREATOR,
                "modified_by": _CREATOR,
                "org_id": 1,
                "version": 1,
                "version_uuid": str(uuid.uuid4()),
            }
            self._store.put(_TABLE, public_id, doc)
        return _response(doc)

    def get(self, public_id: str) -> dict[str, Any]:
        return _response(self._load(public_id))

    def replace(self, public_id: str, request: SuiteRequest) -> dict[str, Any]:
        with self._store.transaction():
            doc = self._load(public_id)
            kept = {k: doc[k] for k in _READ_ONLY if k in doc}
            doc = {**_normalized(request.data.attributes), **kept}
            self._save_change(doc)
        return _response(doc)

    def patch(self, public_id: str, operations: list[JsonPatchOperation]) -> dict[str, Any]:
        with self._store.transaction():
            original = self._load(public_id)
            doc = copy.deepcopy(original)
            for index, operation in enumerate(operations):
                doc = _apply_one(doc, index, operation)
            try:
                suite = SyntheticsSuite.model_validate(doc, strict=True, context=WIRE_CONTEXT)
            except ValidationError as exc:
                problems = describe_validation_error(exc)
                raise ApiError.bad_request(
                    *(f"the patched suite is invalid: {p}" for p in problems)
                ) from None
            if any(op.op != "test" for op in operations):
                doc = {**_normalized(suite), **{k: doc[k] for k in _READ_ONLY if k in doc}}
                self._save_change(doc)
        return _response(doc)

    def bulk_delete(self, public_ids: list[str]) -> dict[str, Any]:
        deleted = self._store.delete(_TABLE, dict.fromkeys(public_ids))
        if not deleted:
            raise ApiError.not_found(NOT_FOUND)
        now = _now()
        return {
            "data": [
                {"type": "suites", "id": pid, "attributes": {"public_id": pid, "deleted_at": now}}
                for pid in deleted
            ]
        }

    def search(
        self, *, query: str | None, sort: str | None, start: int, count: int, facets_only: bool
    ) -> dict[str, Any]:
        field, descending = _parse_sort(sort)
        matcher = _compile_search(query or "")
        suites = [s for s in self._store.all(_TABLE) if matcher(s)]
        suites.sort(
            key=lambda s: (str(s.get(field, "")).lower(), s["public_id"]), reverse=descending
        )
        tag_counts = Counter(tag for s in suites for tag in s.get("tags", []))
        facets = [
            {
                "name": "tag",
                "values": [{"name": t, "count": n} for t, n in sorted(tag_counts.items())],
            }
        ]
        page = [] if facets_only else suites[start : start + count]
        return {
            "data": {
                "type": "suites_search",
                "id": str(uuid.uuid4()),
                "attributes": {"suites": page, "total": len(suites), "facets": facets},
            }
        }

    # ------------------------------------------------------------------- internals
    def _load(self, public_id: str) -> dict[str, Any]:
        doc = self._store.get(_TABLE, public_id)
        if doc is None:
            raise ApiError.not_found(NOT_FOUND)
        return doc

    def _new_public_id(self) -> str:
        while True:
            candidate = "-".join(
                "".join(secrets.choice(_ID_ALPHABET) for _ in range(3)) for _ in range(3)
            )
            if self._store.get(_TABLE, candidate) is None:
                return candidate

    def _save_change(self, doc: dict[str, Any]) -> None:
        doc["version"] = int(doc.get("version", 0)) + 1
        doc["version_uuid"] = str(uuid.uuid4())
        doc["modified_at"] = _now()
        doc["modified_by"] = _CREATOR
        self._store.put(_TABLE, doc["public_id"], doc)


def _response(doc: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"type": "suites", "id": doc["public_id"], "attributes": doc}}


def _apply_one(doc: dict[str, Any], index: int, operation: JsonPatchOperation) -> dict[str, Any]:
    op = operation.model_dump(by_alias=True)
    where = f"json_patch[{index}] ({operation.op} {operation.path})"
    targets = [] if operation.op == "test" else [operation.path]
    if operation.op == "move" and operation.from_ is not None:
        targets.append(operation.from_)
    for pointer in targets:
        if pointer == "":
            raise ApiError.bad_request(f"{where}: cannot change the whole suite (use PUT)")
        if _root_field(pointer) in _READ_ONLY:
            raise ApiError.bad_request(f"{where}: {_root_field(pointer)} is set by the server")
    try:
        result = jsonpatch.JsonPatch([op]).apply(doc, in_place=True)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise ApiError.bad_request(f"{where}: test failed: {exc}") from None
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        raise ApiError.bad_request(f"{where}: {exc}") from None
    if not isinstance(result, dict):
        raise ApiError.bad_request(f"{where}: the suite must stay a JSON object")
    return result


def _root_field(pointer: str) -> str:
    parts = pointer.split("/")
    return parts[1].replace("~1", "/").replace("~0", "~") if len(parts) > 1 else ""


def _parse_sort(sort: str | None) -> tuple[str, bool]:
    text = sort or "name,asc"
    field, _, order = text.partition(",")
    order = order or "asc"
    if field not in _SORT_FIELDS or order not in ("asc", "desc"):
        raise ApiError.bad_request(
            f"sort: expected '<field>,asc' or '<field>,desc' with field one of "
            f"{', '.join(_SORT_FIELDS)}, got {text!r}"
        )
    return field, order == "desc"


MAX_SEARCH_QUERY: Final = 4096
"""Longest suite search query accepted."""


def _compile_search(query: str) -> Any:
    """Free text (case-insensitive, on the name), ``tag:<tag>`` (exact, ``*`` wildcards),
    ``name:<glob>`` and ``public_id:<id>``; terms are ANDed, ``-`` negates a term.
    Globs (``*``, ``?``) match in linear time; the query is at most ``MAX_SEARCH_QUERY``
    characters."""
    if len(query) > MAX_SEARCH_QUERY:
        raise ApiError.bad_request(
            f"query: {len(query):,} characters long; the limit is {MAX_SEARCH_QUERY:,}"
        )
    try:
        terms = shlex.split(query)
    except ValueError as exc:
        raise ApiError.bad_request(f"query: {exc}") from None
    checks = []
    for term in terms:
        negate = term.startswith("-") and len(term) > 1
        body = term[1:] if negate else term
        key, sep, value = body.partition(":")
        if sep and key == "tag":
            check = _tag_check(value)
        elif sep and key == "name":
            check = _glob_check("name", value.lower(), lower=True)
        elif sep and key == "public_id":
            check = _glob_check("public_id", value, lower=False)
        else:
            text = body.lower()
            check = _text_check(text)
        checks.append((negate, check))
    return lambda suite: all(check(suite) != negate for negate, check in checks)


def _tag_check(pattern: str) -> Any:
    glob = Wildcard.glob(pattern)
    return lambda suite: any(glob.fullmatch(t) for t in suite.get("tags", []))


def _glob_check(field: str, pattern: str, *, lower: bool) -> Any:
    glob = Wildcard.glob(pattern)

    def check(suite: dict[str, Any]) -> bool:
        value = str(suite.get(field, ""))
        return glob.fullmatch(value.lower() if lower else value)

    return check


def _text_check(text: str) -> Any:
    return lambda suite: text in str(suite.get("name", "")).lower()
