"""Property tests of the suite JSON Patch generator, applied with the ``jsonpatch`` library.

Documents mix unicode, ``~`` and ``/`` (in values and in object keys, to exercise pointer
escaping), empty lists, duplicate tags and absent optional fields. Pairs are either two
unrelated suites or a suite and an edited copy of it (so tests and tags overlap).
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import jsonpointer
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_datadog_testing.suite_patch import describe_patch, make_patch

Doc = dict[str, Any]

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEXT = st.text(max_size=6) | st.sampled_from(["~", "/", "~0", "~1", "a/b~c", "ü ✓", ""])
TAG = st.sampled_from(["team:web", "env:prod", "a/b", "~x", "ü"]) | TEXT
PUBLIC_ID = st.sampled_from(["p1", "p2", "p3", "p4", "p/5", "p~6", "ü-7"]) | TEXT
CRITICALITY = st.sampled_from(["ignore", "critical"])
# Option keys with ``~``/``/`` make every options path depend on correct escaping.
OPTION_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "alerting_threshold": st.floats(min_value=0, max_value=1),
    "a/b": st.integers(-3, 3),
    "~x": TEXT,
}
# An unmanaged top-level key with special characters: compared as a whole value.
ODD_KEY = "x~/y"


def suite_tests() -> st.SearchStrategy[list[Doc]]:
    test = st.fixed_dictionaries(
        {"public_id": PUBLIC_ID}, optional={"alerting_criticality": CRITICALITY}
    )
    return st.lists(test, max_size=6, unique_by=lambda t: t["public_id"])


FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "name": TEXT,
    "message": TEXT | st.none(),
    "tags": st.lists(TAG, max_size=6) | st.none(),
    "tests": suite_tests() | st.none(),
    "options": st.fixed_dictionaries({}, optional=OPTION_VALUES) | st.none(),
    "type": st.just("suite"),
    ODD_KEY: st.lists(TEXT, max_size=2),
}
SUITES = st.fixed_dictionaries({}, optional=FIELDS)


@st.composite
def edited(draw: st.DrawFn, old: Doc) -> Doc:
    """A copy of ``old`` with each field kept, dropped, redrawn or edited in place."""
    new = copy.deepcopy(old)
    for key, fresh in FIELDS.items():
        action = draw(st.sampled_from(["keep", "keep", "drop", "fresh", "edit"]))
        if action == "drop":
            new.pop(key, None)
        elif action == "fresh" or (action == "edit" and new.get(key) is None):
            new[key] = draw(fresh)
        elif action == "edit" and key == "tags":
            kept = [t for t in new["tags"] if draw(st.booleans())]
            new["tags"] = draw(st.permutations(kept + draw(st.lists(TAG, max_size=3))))
        elif action == "edit" and key == "tests":
            kept = [t for t in new["tests"] if draw(st.booleans())]
            for t in kept:
                if draw(st.booleans()):
                    t["alerting_criticality"] = draw(CRITICALITY)
                elif draw(st.booleans()):
                    t.pop("alerting_criticality", None)
            ids = {t["public_id"] for t in old["tests"]}
            extra = [t for t in draw(suite_tests()) if t["public_id"] not in ids]
            new["tests"] = draw(st.permutations(kept + extra))
        elif action == "edit" and key == "options":
            for opt, values in OPTION_VALUES.items():
                choice = draw(st.sampled_from(["keep", "drop", "set"]))
                if choice == "drop":
                    new["options"].pop(opt, None)
                elif choice == "set":
                    new["options"][opt] = draw(values)
    return new


@st.composite
def suite_pairs(draw: st.DrawFn) -> tuple[Doc, Doc]:
    old = draw(SUITES)
    new = draw(SUITES) if draw(st.booleans()) else draw(edited(old))
    return old, new


def normalise(doc: Doc) -> Doc:
    """Tags as a sorted set, tests keyed by public_id; everything else (``null``) as is."""
    out = dict(doc)
    if out.get("tags") is not None:
        out["tags"] = sorted(set(out["tags"]))
    if out.get("tests") is not None:
        out["tests"] = {t["public_id"]: t for t in out["tests"]}
    return out


def both(old: Doc, new: Doc, key: str, kind: type) -> bool:
    """``key`` holds a ``kind`` (list/dict) on both sides, so it is diffed element-wise."""
    return isinstance(old.get(key), kind) and isinstance(new.get(key), kind)


def split(patch: list[Doc]) -> tuple[list[Doc], list[Doc]]:
    guards = [op for op in patch if op["op"] == "test"]
    return guards, patch[len(guards) :]


def parts(op: Doc) -> list[str]:
    return list(jsonpointer.JsonPointer(op["path"]).parts)


def differs(old: dict[str, Any], new: dict[str, Any], key: str) -> bool:
    return (key in old) != (key in new) or old.get(key) != new.get(key)


SENTINEL = {"changed outside pulumi": "\u2020"}


# ---------------------------------------------------------------------------- properties


@SETTINGS
@given(suite_pairs())
def test_patch_turns_old_into_new(pair: tuple[Doc, Doc]) -> None:
    old, new = pair
    before = copy.deepcopy((old, new))
    patch = make_patch(old, new)
    assert (old, new) == before, "make_patch must not mutate its inputs"
    result = jsonpatch.apply_patch(old, patch)
    assert normalise(result) == normalise(new)
    assert len(describe_patch(patch)) == len(patch)
    # The patch writes each tag once: a duplicate in the result was already in ``old``.
    old_tags = old.get("tags") or []
    for tag in set(result.get("tags") or []):
        assert result["tags"].count(tag) <= max(1, old_tags.count(tag))


@SETTINGS
@given(SUITES, st.randoms(use_true_random=False))
def test_identical_documents_up_to_set_and_key_order_give_no_ops(doc: Doc, rnd: Any) -> None:
    assert make_patch(doc, copy.deepcopy(doc)) == []
    shuffled = copy.deepcopy(doc)
    if shuffled.get("tags") is not None:
        shuffled["tags"] = shuffled["tags"] + shuffled["tags"][:2]
        rnd.shuffle(shuffled["tags"])
    if shuffled.get("tests") is not None:
        rnd.shuffle(shuffled["tests"])
    assert make_patch(doc, shuffled) == []


@SETTINGS
@given(suite_pairs())
def test_guards_come_first_hold_on_old_and_sit_on_touched_locations(
    pair: tuple[Doc, Doc],
) -> None:
    """Guards test old values, are not nested in one another, and each is on, above or
    inside the path of some op (never on an untouched field); no op needs two guards."""
    old, new = pair
    guards, ops = split(make_patch(old, new))
    assert all(op["op"] != "test" for op in ops)
    for guard in guards:
        assert jsonpointer.resolve_pointer(old, guard["path"]) == guard["value"]
    paths = [parts(g) for g in guards]
    for p in paths:
        for q in paths:
            assert p is q or p[: len(q)] != q, f"guard {p} is inside guard {q}"
    jsonpatch.apply_patch(old, guards)  # the guards alone pass on the recorded document
    op_paths = [[s for s in parts(op) if s != "-"] for op in ops]
    for g in paths:
        assert any(o[: len(g)] == g or g[: len(o)] == o for o in op_paths), g
    assert len(guards) <= len(ops)


@SETTINGS
@given(suite_pairs())
def test_patch_never_touches_unchanged_paths(pair: tuple[Doc, Doc]) -> None:
    """Each op is justified by a real difference, and there is exactly one op per difference."""
    old, new = pair
    _, ops = split(make_patch(old, new))
    old_tags, new_tags = set(old.get("tags") or []), set(new.get("tags") or [])
    old_tests = {t["public_id"]: t for t in old.get("tests") or []}
    new_tests = {t["public_id"]: t for t in new.get("tests") or []}
    for op in ops:
        path = parts(op)
        key = path[0]
        if len(path) == 1:
            assert differs(old, new, key)
        elif key == "options":
            assert differs(old["options"], new["options"], path[1])
        elif key == "tags" and path[1] == "-":
            assert op["op"] == "add" and op["value"] not in old_tags
        elif key == "tags":
            assert op["op"] == "remove" and old["tags"][int(path[1])] not in new_tags
        elif key == "tests" and path[1] == "-":
            assert op["op"] == "add" and op["value"]["public_id"] not in old_tests
        elif key == "tests" and len(path) == 2:
            assert op["op"] == "remove"
            assert old["tests"][int(path[1])]["public_id"] not in new_tests
        else:
            assert key == "tests" and len(path) == 3
            was = old["tests"][int(path[1])]
            assert differs(was, new_tests[was["public_id"]], path[2])

    expected = 0
    for key in old.keys() | new.keys():
        if key not in old or key not in new:
            expected += 1
        elif key == "tags" and both(old, new, key, list):
            expected += sum(t not in new_tags for t in old["tags"]) + len(new_tags - old_tags)
        elif key == "tests" and both(old, new, key, list):
            expected += len(old_tests.keys() ^ new_tests.keys())
            for pid in old_tests.keys() & new_tests.keys():
                a, b = old_tests[pid], new_tests[pid]
                expected += sum(differs(a, b, k) for k in a.keys() | b.keys())
        elif key == "options" and both(old, new, key, dict):
            expected += sum(
                differs(old[key], new[key], k) for k in old[key].keys() | new[key].keys()
            )
        else:
            expected += old[key] != new[key]
    assert len(ops) == expected


def _element_or_self(path: list[str]) -> str:
    """The pointer of the list element holding ``path`` (``/tests/2`` for
    ``/tests/2/public_id``), or ``path`` itself when it is not inside a list."""
    if len(path) >= 2 and path[0] in ("tags", "tests") and path[1].isdigit():
        return jsonpointer.JsonPointer.from_parts(path[:2]).path
    return jsonpointer.JsonPointer.from_parts(path).path


def _assert_fails_atomically(patch: list[Doc], server: Doc) -> None:
    snapshot = copy.deepcopy(server)
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        jsonpatch.JsonPatch(patch).apply(server, in_place=True)
    assert server == snapshot, "a failed patch must leave the document unchanged"


@SETTINGS
@given(suite_pairs())
def test_out_of_band_change_or_removal_at_any_guard_fails_atomically(
    pair: tuple[Doc, Doc],
) -> None:
    """Setting a guarded value, or deleting the guarded element (so later indices shift)
    or key, makes the whole patch fail before it changes anything."""
    old, new = pair
    patch = make_patch(old, new)
    guards, _ = split(patch)
    for guard in guards:
        server = copy.deepcopy(old)
        jsonpointer.set_pointer(server, guard["path"], copy.deepcopy(SENTINEL))
        _assert_fails_atomically(patch, server)
        server = jsonpatch.apply_patch(
            old, [{"op": "remove", "path": _element_or_self(parts(guard))}]
        )
        _assert_fails_atomically(patch, server)


@SETTINGS
@given(suite_pairs())
def test_out_of_band_change_at_any_touched_location_fails_atomically(
    pair: tuple[Doc, Doc],
) -> None:
    """Edit where each op acts (append to its list, set its key/element); only top-level
    ``add`` of a key absent in old is unguarded — RFC 6902 cannot test for absence."""
    old, new = pair
    patch = make_patch(old, new)
    _, ops = split(patch)
    for op in ops:
        path = parts(op)
        if op["op"] == "add" and len(path) == 1:
            assert path[0] not in old
            continue
        server = copy.deepcopy(old)
        if path[-1] == "-":
            jsonpointer.resolve_pointer(server, op["path"][:-2]).append(copy.deepcopy(SENTINEL))
        else:
            jsonpointer.set_pointer(server, op["path"], copy.deepcopy(SENTINEL))
        _assert_fails_atomically(patch, server)


@SETTINGS
@given(suite_pairs(), st.randoms(use_true_random=False))
def test_out_of_band_reorder_is_rejected_or_harmless(pair: tuple[Doc, Doc], rnd: Any) -> None:
    """After the server reorders tags/tests, the patch either fails whole or still gives
    exactly ``new`` — an index never hits the wrong element."""
    old, new = pair
    patch = make_patch(old, new)
    server = copy.deepcopy(old)
    for key in ("tags", "tests"):
        if server.get(key) is not None:
            rnd.shuffle(server[key])
    try:
        result = jsonpatch.JsonPatch(patch).apply(server, in_place=False)
    except jsonpatch.JsonPatchTestFailed:
        return
    assert normalise(result) == normalise(new)


@SETTINGS
@given(suite_pairs())
def test_out_of_band_edit_of_an_untouched_field_is_kept(pair: tuple[Doc, Doc]) -> None:
    """Guards are not wider than needed: a field no op touches may change on the server
    and the patch still applies, leaving that change alone."""
    old, new = pair
    patch = make_patch(old, new)
    touched = {parts(op)[0] for op in patch}
    for key in old.keys() - touched:
        server = {**copy.deepcopy(old), key: copy.deepcopy(SENTINEL)}
        result = jsonpatch.apply_patch(server, patch)
        assert result[key] == SENTINEL
        assert normalise({**result, key: new[key]}) == normalise(new)


@SETTINGS
@given(SUITES, st.data())
def test_duplicate_public_id_is_rejected_naming_it(doc: Doc, data: st.DataObject) -> None:
    tests = doc.get("tests") or [{"public_id": data.draw(PUBLIC_ID)}]
    dup = data.draw(st.sampled_from(tests))
    bad = {**doc, "tests": [*tests, {"public_id": dup["public_id"]}]}
    with pytest.raises(ValueError, match="duplicate public_id") as err:
        make_patch(doc, bad)
    assert repr(dup["public_id"]) in str(err.value)
