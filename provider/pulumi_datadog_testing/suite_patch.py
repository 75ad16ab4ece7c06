"""Minimal, guarded RFC 6902 JSON Patch from one Synthetics suite document to another.

Pure functions, no I/O: :func:`make_patch` turns the suite Pulumi last recorded (``old``) and
the desired suite (``new``) into the smallest patch for ``api.catalog.PATCH_SUITE``;
:func:`describe_patch` renders it one
line per operation for logs and error messages.

A suite document is ``{"name", "message", "tags": [str], "tests": [{"public_id",
"alerting_criticality"}], "options": {"alerting_threshold"}, "type"}``; every field may be
absent. An absent field and an empty/``null`` one are different values (``tags`` absent
vs ``[]`` vs ``null``; ``message`` absent vs ``None``): drop fields you do not manage
before diffing. ``old`` must hold each touched location exactly as the server has it
(guards compare it verbatim), so build it from what was last read, not from inputs.

What changes
  * Only changed paths. A top-level field or an ``options`` key (``options`` is diffed key
    by key) gets ``replace``, or ``add`` when absent in ``old``, or ``remove`` when absent
    in ``new``. Any other top-level field is compared as a whole value.
  * ``tags`` is a set: order and duplicates are not significant. A tag gone from ``new``
    is removed at every index it occupies (``remove /tags/<i>``); a new tag is appended
    (``add /tags/-``) in order of first appearance in ``new``.
  * ``tests`` is keyed by ``public_id``; its order is **not significant**, so a reorder
    alone yields no operations, and added tests are appended at the end. A test gone from
    ``new`` → ``remove /tests/<i>``; a new test → ``add /tests/-``; a changed field of a
    kept test (``alerting_criticality``) → ``replace|add|remove /tests/<i>/<field>``.
    A duplicate ``public_id`` in either document raises :class:`ValueError` naming it.
  * A ``null`` ``tags``/``tests``/``options`` on either side is compared as a whole value
    (guarded ``replace``): there are no elements to edit one by one.

Ordering
  All guards come first, so a failing guard rejects the (atomic) patch before anything
  changes. Then fields in sorted key order; within a list: in-place edits, then ``remove``
  ops by descending index, then appends. Every index therefore means the same element in
  the guards, in the ops, and in ``old`` — no index shifts under a later operation.

Guard policy (``test`` ops)
  One guard per touched location, at the smallest path that makes the op safe, testing
  the value that path has in ``old``:
  * ``replace``/``remove`` of a field or ``options`` key → ``test`` that path.
  * ``add`` of a key absent in ``old`` → ``test`` its parent object (``/options``, the
    test element). A *top-level* key absent in ``old`` is added unguarded: RFC 6902
    cannot test for absence, and testing the whole document would also pin server-owned
    fields.
  * append to a list → ``test`` the whole list (``test /tags`` = old tags, then
    ``add /tags/-``), so a concurrent edit of that list cannot produce duplicates.
  * ``remove /tags/<i>`` → ``test /tags/<i>`` (the tag being removed).
  * ``remove /tests/<i>`` → ``test /tests/<i>/public_id`` (identity is all it relies on).
  * edit inside ``/tests/<i>`` → ``test /tests/<i>`` = the old element (identity and the
    old value in one guard).
  * A guard whose path is inside an already-guarded path is dropped (the outer guard
    implies it), so each location is tested once.

JSON Pointer segments are escaped (``~`` → ``~0``, ``/`` → ``~1``) wherever built.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["describe_patch", "json_pointer", "make_patch"]

TAGS: Final = "tags"
TESTS: Final = "tests"
OPTIONS: Final = "options"
PUBLIC_ID: Final = "public_id"

Segments = tuple[str, ...]


def json_pointer(*segments: str | int) -> str:
    """Build a JSON Pointer from raw segments, escaping ``~`` and ``/`` (RFC 6901)."""
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in segments)


# ----------------------------------------------------------------------------- planning


@dataclass
class _Plan:
    """Guards (path → old value, in insertion order) and operations, built side by side."""

    guards: dict[Segments, Any] = field(default_factory=dict)
    ops: list[dict[str, Any]] = field(default_factory=list)

    def guard(self, path: Segments, old_value: Any) -> None:
        self.guards.setdefault(path, _plain(old_value))

    def op(self, op: str, path: Segments, *value: Any) -> None:
        entry: dict[str, Any] = {"op": op, "path": json_pointer(*path)}
        if value:
            entry["value"] = _plain(value[0])
        self.ops.append(entry)

    def patch(self) -> list[dict[str, Any]]:
        kept = [p for p in self.guards if not any(_inside(p, q) for q in self.guards if q != p)]
        tests = [{"op": "test", "path": json_pointer(*p), "value": self.guards[p]} for p in kept]
        return tests + self.ops


def _inside(path: Segments, outer: Segments) -> bool:
    return len(outer) < len(path) and path[: len(outer)] == outer


def make_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the minimal guarded RFC 6902 patch that turns suite ``old`` into ``new``.

    Identical documents (up to tag order/duplicates and test order) give ``[]``. See the
    module docstring for the exact rules. Raises :class:`ValueError` for a duplicate
    ``public_id`` and :class:`TypeError` for a malformed ``tags``/``tests``/``options``.
    """
    for label, doc in (("old", old), ("new", new)):
        _validate(label, doc)
    plan = _Plan()
    for key in sorted(old.keys() | new.keys()):
        path = (key,)
        if key not in new:
            plan.guard(path, old[key])
            plan.op("remove", path)
        elif key not in old:
            plan.op("add", path, _as_sent(key, new[key]))
        elif key == TAGS and _is_list(old[key]) and _is_list(new[key]):
            _diff_tags(plan, old[key], new[key])
        elif key == TESTS and _is_list(old[key]) and _is_list(new[key]):
            _diff_tests(plan, old[key], new[key])
        elif key == OPTIONS and isinstance(old[key], Mapping) and isinstance(new[key], Mapping):
            _diff_object(plan, path, old[key], new[key])
        elif not _json_equal(old[key], new[key]):
            plan.guard(path, old[key])
            plan.op("replace", path, _as_sent(key, new[key]))
    return plan.patch()


def _as_sent(key: str, value: Any) -> Any:
    """A whole top-level value as ``add``/``replace`` writes it: tags without duplicates."""
    return _unique(value) if key == TAGS and _is_list(value) else value


def _diff_object(
    plan: _Plan,
    path: Segments,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    guard: Segments | None = None,
    guard_value: Any = None,
) -> None:
    """Per-key diff of a nested object; ``guard`` overrides the per-key guard placement."""
    for key in sorted(old.keys() | new.keys()):
        sub = (*path, key)
        if key in old and key in new and _json_equal(old[key], new[key]):
            continue
        if guard is not None:
            plan.guard(guard, guard_value)
        elif key in old:
            plan.guard(sub, old[key])
        else:
            plan.guard(path, old)
        if key not in new:
            plan.op("remove", sub)
        elif key not in old:
            plan.op("add", sub, new[key])
        else:
            plan.op("replace", sub, new[key])


def _diff_tags(plan: _Plan, old: Sequence[str], new: Sequence[str]) -> None:
    wanted = set(new)
    have = set(old)
    gone = [i for i, tag in enumerate(old) if tag not in wanted]
    added = [tag for tag in _unique(new) if tag not in have]
    for i in gone:
        plan.guard((TAGS, str(i)), old[i])
    _remove_then_append(plan, TAGS, old, gone, added)


def _diff_tests(
    plan: _Plan, old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> None:
    new_by_id = {t[PUBLIC_ID]: t for t in new}
    old_ids = {t[PUBLIC_ID] for t in old}
    gone: list[int] = []
    for i, test in enumerate(old):
        target = new_by_id.get(test[PUBLIC_ID])
        if target is None:
            gone.append(i)
            plan.guard((TESTS, str(i), PUBLIC_ID), test[PUBLIC_ID])
        else:
            elem = (TESTS, str(i))
            _diff_object(plan, elem, test, target, guard=elem, guard_value=test)
    added = [t for t in new if t[PUBLIC_ID] not in old_ids]
    _remove_then_append(plan, TESTS, old, gone, added)


def _remove_then_append(
    plan: _Plan, key: str, old: Sequence[Any], gone: list[int], added: Sequence[Any]
) -> None:
    """Remove ``gone`` indices (descending, so lower ones stay valid), then append
    ``added`` under a guard on the whole old list."""
    if added:
        plan.guard((key,), old)
    for i in reversed(gone):
        plan.op("remove", (key, str(i)))
    for item in added:
        plan.op("add", (key, "-"), item)


# --------------------------------------------------------------------------- validation


def _validate(label: str, doc: Any) -> None:
    if not isinstance(doc, Mapping):
        raise TypeError(f"{label} suite must be a JSON object, got {type(doc).__name__}")
    if doc.get(TAGS) is not None:
        tags = doc[TAGS]
        if not _is_list(tags) or not all(isinstance(t, str) for t in tags):
            raise TypeError(f"{label}.tags must be a list of strings or null, got {tags!r}")
    if doc.get(OPTIONS) is not None and not isinstance(doc[OPTIONS], Mapping):
        raise TypeError(f"{label}.options must be an object or null, got {doc[OPTIONS]!r}")
    if doc.get(TESTS) is not None:
        tests = doc[TESTS]
        if not _is_list(tests):
            raise TypeError(f"{label}.tests must be a list of objects or null, got {tests!r}")
        seen: set[str] = set()
        for i, test in enumerate(tests):
            if not isinstance(test, Mapping) or not isinstance(test.get(PUBLIC_ID), str):
                raise TypeError(
                    f"{label}.tests[{i}] must be an object with a string public_id, got {test!r}"
                )
            pid = test[PUBLIC_ID]
            if pid in seen:
                raise ValueError(
                    f"{label}.tests: duplicate public_id {pid!r}; each test may appear once"
                )
            seen.add(pid)


def _unique(tags: Sequence[str]) -> list[str]:
    """Tags without duplicates, in order of first appearance."""
    return list(dict.fromkeys(tags))


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


# --------------------------------------------------------------------------- JSON values


def _plain(value: Any) -> Any:
    """A deep copy as plain JSON containers (dict/list), so the patch aliases no input."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if _is_list(value):
        return [_plain(v) for v in value]
    return value


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality: numbers by value (``1 == 1.0``) but booleans never equal numbers."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    if _is_list(a) and _is_list(b):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and bool(a == b)


# ----------------------------------------------------------------------------- describe


def _show(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_patch(patch: Iterable[Mapping[str, Any]]) -> list[str]:
    """One human-readable line per operation, e.g. ``append "team:a" to /tags``."""
    lines: list[str] = []
    for op in patch:
        kind, path = op.get("op"), op.get("path", "")
        value = _show(op.get("value"))
        if kind == "test":
            lines.append(f"check {path} is still {value}")
        elif kind == "add" and str(path).endswith("/-"):
            lines.append(f"append {value} to {str(path)[:-2]}")
        elif kind == "add":
            lines.append(f"add {path} = {value}")
        elif kind == "replace":
            lines.append(f"set {path} = {value}")
        elif kind == "remove":
            lines.append(f"remove {path}")
        elif kind in ("move", "copy"):
            lines.append(f"{kind} {op.get('from')} to {path}")
        else:
            raise ValueError(f"unknown JSON Patch op {kind!r} at {path!r}")
    return lines
