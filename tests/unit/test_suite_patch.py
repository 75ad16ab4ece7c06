"""Examples with exact op lists for the Synthetics suite JSON Patch generator.

Every patch is also applied with the ``jsonpatch`` library to the old document, so each
example checks both the exact operations and that they really produce the new suite.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import jsonpointer
import pytest

from pulumi_datadog_testing.models import SuiteJsonPatchRequest
from pulumi_datadog_testing.suite_patch import describe_patch, json_pointer, make_patch

T1 = {"public_id": "abc-def-001", "alerting_criticality": "critical"}
T2 = {"public_id": "abc-def-002", "alerting_criticality": "ignore"}
T3 = {"public_id": "abc-def-003", "alerting_criticality": "critical"}
T4 = {"public_id": "abc-def-004", "alerting_criticality": "ignore"}


def suite(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "checkout",
        "message": "@team-web checkout suite failing",
        "tags": ["team:web", "env:prod"],
        "tests": [copy.deepcopy(T1), copy.deepcopy(T2), copy.deepcopy(T3)],
        "options": {"alerting_threshold": 0.5},
        "type": "suite",
    }
    doc.update(overrides)
    return doc


def patched(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """make_patch(old, new), checked to apply cleanly and to leave ``old`` untouched."""
    before = copy.deepcopy(old)
    patch = make_patch(old, new)
    assert jsonpatch.apply_patch(old, patch) == new
    assert old == before
    return patch


def test_one_tag_added_is_one_list_guard_and_one_append() -> None:
    old = suite()
    new = suite(tags=["team:web", "env:prod", "owner:ana"])
    assert patched(old, new) == [
        {"op": "test", "path": "/tags", "value": ["team:web", "env:prod"]},
        {"op": "add", "path": "/tags/-", "value": "owner:ana"},
    ]


def test_one_tag_removed_is_one_index_guard_and_one_remove() -> None:
    old = suite()
    new = suite(tags=["env:prod"])
    assert patched(old, new) == [
        {"op": "test", "path": "/tags/0", "value": "team:web"},
        {"op": "remove", "path": "/tags/0"},
    ]


def test_tags_added_and_removed_share_one_list_guard() -> None:
    old = suite(tags=["a", "b", "c"])
    new = suite(tags=["d", "b"])
    assert make_patch(old, new) == [
        {"op": "test", "path": "/tags", "value": ["a", "b", "c"]},
        {"op": "remove", "path": "/tags/2"},
        {"op": "remove", "path": "/tags/0"},
        {"op": "add", "path": "/tags/-", "value": "d"},
    ]
    assert jsonpatch.apply_patch(old, make_patch(old, new))["tags"] == ["b", "d"]


def test_tags_are_a_set_order_and_duplicates_give_no_ops() -> None:
    assert make_patch(suite(tags=["a", "b"]), suite(tags=["b", "a", "b"])) == []
    assert make_patch(suite(tags=["a", "a", "b"]), suite(tags=["b", "a"])) == []


def test_removed_tag_is_removed_at_every_index_it_occupies() -> None:
    old = suite(tags=["a", "x", "b", "x"])
    assert make_patch(old, suite(tags=["b", "a"])) == [
        {"op": "test", "path": "/tags/1", "value": "x"},
        {"op": "test", "path": "/tags/3", "value": "x"},
        {"op": "remove", "path": "/tags/3"},
        {"op": "remove", "path": "/tags/1"},
    ]


def test_duplicate_new_tags_are_appended_once() -> None:
    old = suite(tags=[])
    assert make_patch(old, suite(tags=["n", "n"])) == [
        {"op": "test", "path": "/tags", "value": []},
        {"op": "add", "path": "/tags/-", "value": "n"},
    ]
    absent = suite()
    del absent["tags"]
    assert make_patch(absent, suite(tags=["n", "n"])) == [
        {"op": "add", "path": "/tags", "value": ["n"]},
    ]


def test_name_changed() -> None:
    assert patched(suite(), suite(name="checkout v2")) == [
        {"op": "test", "path": "/name", "value": "checkout"},
        {"op": "replace", "path": "/name", "value": "checkout v2"},
    ]


def test_threshold_changed() -> None:
    new = suite(options={"alerting_threshold": 0.75})
    assert patched(suite(), new) == [
        {"op": "test", "path": "/options/alerting_threshold", "value": 0.5},
        {"op": "replace", "path": "/options/alerting_threshold", "value": 0.75},
    ]


def test_threshold_equal_as_json_number_is_unchanged() -> None:
    assert (
        make_patch(
            suite(options={"alerting_threshold": 1}), suite(options={"alerting_threshold": 1.0})
        )
        == []
    )


def test_criticality_changed_guards_the_whole_old_element() -> None:
    new = suite(tests=[T1, {"public_id": "abc-def-002", "alerting_criticality": "critical"}, T3])
    assert patched(suite(), new) == [
        {"op": "test", "path": "/tests/1", "value": T2},
        {"op": "replace", "path": "/tests/1/alerting_criticality", "value": "critical"},
    ]


def test_criticality_added_and_removed_inside_elements() -> None:
    old = suite(tests=[{"public_id": "p1"}, {"public_id": "p2", "alerting_criticality": "ignore"}])
    new = suite(
        tests=[{"public_id": "p2"}, {"public_id": "p1", "alerting_criticality": "critical"}]
    )
    assert make_patch(old, new) == [
        {"op": "test", "path": "/tests/0", "value": {"public_id": "p1"}},
        {
            "op": "test",
            "path": "/tests/1",
            "value": {"public_id": "p2", "alerting_criticality": "ignore"},
        },
        {"op": "add", "path": "/tests/0/alerting_criticality", "value": "critical"},
        {"op": "remove", "path": "/tests/1/alerting_criticality"},
    ]
    result = jsonpatch.apply_patch(old, make_patch(old, new))
    assert {t["public_id"]: t for t in result["tests"]} == {t["public_id"]: t for t in new["tests"]}


def test_test_added_guards_the_list_and_appends() -> None:
    new = suite(tests=[T1, T2, T3, T4])
    assert patched(suite(), new) == [
        {"op": "test", "path": "/tests", "value": [T1, T2, T3]},
        {"op": "add", "path": "/tests/-", "value": T4},
    ]


def test_two_tests_removed_in_descending_index_order() -> None:
    old = suite(tests=[T1, T2, T3, T4])
    new = suite(tests=[T2, T4])
    assert patched(old, new) == [
        {"op": "test", "path": "/tests/0/public_id", "value": "abc-def-001"},
        {"op": "test", "path": "/tests/2/public_id", "value": "abc-def-003"},
        {"op": "remove", "path": "/tests/2"},
        {"op": "remove", "path": "/tests/0"},
    ]


def test_reorder_only_yields_no_ops() -> None:
    assert make_patch(suite(), suite(tests=[T3, T1, T2], tags=["env:prod", "team:web"])) == []


def test_edit_remove_and_add_tests_together_keep_old_indices_valid() -> None:
    old = suite(tests=[T1, T2, T3])
    changed_t3 = {"public_id": "abc-def-003", "alerting_criticality": "ignore"}
    new = suite(tests=[T4, changed_t3])
    patch = make_patch(old, new)
    assert patch == [
        {"op": "test", "path": "/tests", "value": [T1, T2, T3]},
        {"op": "replace", "path": "/tests/2/alerting_criticality", "value": "ignore"},
        {"op": "remove", "path": "/tests/1"},
        {"op": "remove", "path": "/tests/0"},
        {"op": "add", "path": "/tests/-", "value": T4},
    ]
    assert jsonpatch.apply_patch(old, patch)["tests"] == [changed_t3, T4]


def test_options_absent_to_present_is_one_unguarded_add() -> None:
    old = suite()
    del old["options"]
    assert patched(old, suite()) == [
        {"op": "add", "path": "/options", "value": {"alerting_threshold": 0.5}},
    ]


def test_options_key_added_guards_the_options_object() -> None:
    assert patched(suite(options={}), suite()) == [
        {"op": "test", "path": "/options", "value": {}},
        {"op": "add", "path": "/options/alerting_threshold", "value": 0.5},
    ]


def test_null_collections_are_replaced_whole_under_a_guard() -> None:
    old = suite(tags=None, options=None, tests=[])
    new = suite(tags=["n", "n", "m"], tests=None)
    assert patched(old, {**new, "tags": ["n", "m"]}) == [
        {"op": "test", "path": "/options", "value": None},
        {"op": "test", "path": "/tags", "value": None},
        {"op": "test", "path": "/tests", "value": []},
        {"op": "replace", "path": "/options", "value": {"alerting_threshold": 0.5}},
        {"op": "replace", "path": "/tags", "value": ["n", "m"]},
        {"op": "replace", "path": "/tests", "value": None},
    ]
    assert make_patch(old, new) == make_patch(old, {**new, "tags": ["n", "m"]})
    assert make_patch(old, copy.deepcopy(old)) == []


def test_message_removed() -> None:
    new = suite()
    del new["message"]
    assert patched(suite(), new) == [
        {"op": "test", "path": "/message", "value": "@team-web checkout suite failing"},
        {"op": "remove", "path": "/message"},
    ]


def test_identical_documents_give_empty_patch() -> None:
    assert make_patch(suite(), suite()) == []
    assert make_patch({}, {}) == []


def test_everything_changed_at_once_has_all_guards_first() -> None:
    old = suite()
    new = {
        "name": "renamed",
        "tags": ["team:web", "new"],
        "tests": [T2, T4],
        "options": {"alerting_threshold": 1.0},
        "type": "suite",
    }
    patch = patched(old, new)
    kinds = [op["op"] for op in patch]
    first_change = next(i for i, k in enumerate(kinds) if k != "test")
    assert all(k != "test" for k in kinds[first_change:])
    assert {op["path"] for op in patch if op["op"] == "test"} == {
        "/message",
        "/name",
        "/options/alerting_threshold",
        "/tags",
        "/tests",
    }


# ------------------------------------------------------------ out-of-band edits fail loudly


@pytest.mark.parametrize(
    ("new", "out_of_band"),
    [
        (suite(name="renamed"), {"op": "replace", "path": "/name", "value": "edited in UI"}),
        (
            suite(tags=["team:web", "env:prod", "x"]),
            {"op": "add", "path": "/tags/-", "value": "ui"},
        ),
        (suite(tags=["env:prod"]), {"op": "remove", "path": "/tags/0"}),
        (suite(tests=[T1, T3]), {"op": "move", "from": "/tests/0", "path": "/tests/-"}),
        (
            suite(tests=[T1, T2, {**T3, "alerting_criticality": "ignore"}]),
            {"op": "replace", "path": "/tests/2/alerting_criticality", "value": "ignore"},
        ),
        (suite(tests=[T1, T2, T3, T4]), {"op": "remove", "path": "/tests/1"}),
        (
            suite(options={"alerting_threshold": 0.9}),
            {"op": "replace", "path": "/options/alerting_threshold", "value": 0.6},
        ),
    ],
    ids=[
        "rename",
        "tag-appended",
        "tag-removed",
        "tests-reordered",
        "same-edit",
        "test-removed",
        "threshold",
    ],
)
def test_out_of_band_edit_at_a_touched_location_fails_before_any_change(
    new: dict[str, Any], out_of_band: dict[str, Any]
) -> None:
    patch = make_patch(suite(), new)
    server = jsonpatch.apply_patch(suite(), [out_of_band])
    snapshot = copy.deepcopy(server)
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        jsonpatch.JsonPatch(patch).apply(server, in_place=True)
    assert server == snapshot


def test_out_of_band_edit_elsewhere_does_not_block_the_patch() -> None:
    patch = make_patch(suite(), suite(name="renamed"))
    server = jsonpatch.apply_patch(suite(), [{"op": "add", "path": "/tags/-", "value": "ui"}])
    assert jsonpatch.apply_patch(server, patch) == suite(
        name="renamed", tags=["team:web", "env:prod", "ui"]
    )


# ------------------------------------------------------------------------ escaping, errors


@pytest.mark.parametrize("key", ["a/b", "a~b", "~1", "/~0/", "", "ünï ✓"])
def test_keys_are_escaped_as_json_pointer_segments(key: str) -> None:
    assert json_pointer("options", key) == jsonpointer.JsonPointer.from_parts(["options", key]).path
    old = suite(options={key: 1})
    new = suite(options={key: 2})
    patch = patched(old, new)
    assert jsonpointer.JsonPointer(patch[-1]["path"]).parts == ["options", key]


def test_top_level_unknown_key_with_special_characters() -> None:
    assert patched({"x/~y": [1]}, {"x/~y": [2]}) == [
        {"op": "test", "path": "/x~1~0y", "value": [1]},
        {"op": "replace", "path": "/x~1~0y", "value": [2]},
    ]


def test_booleans_are_not_numbers() -> None:
    assert patched({"options": {"flag": 1}}, {"options": {"flag": True}}) == [
        {"op": "test", "path": "/options/flag", "value": 1},
        {"op": "replace", "path": "/options/flag", "value": True},
    ]


@pytest.mark.parametrize("side", ["old", "new"])
def test_duplicate_public_id_is_rejected_naming_the_id(side: str) -> None:
    bad = suite(tests=[T1, {"public_id": "abc-def-001", "alerting_criticality": "ignore"}])
    args = (bad, suite()) if side == "old" else (suite(), bad)
    with pytest.raises(ValueError, match=rf"{side}\.tests: duplicate public_id 'abc-def-001'"):
        make_patch(*args)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"tags": "a,b"}, r"new\.tags must be a list of strings or null, got 'a,b'"),
        ({"tags": [1]}, r"new\.tags must be a list of strings or null, got \[1\]"),
        (
            {"tests": {"public_id": "x"}},
            r"new\.tests must be a list of objects or null, got \{'public_id': 'x'\}",
        ),
        (
            {"tests": [{"alerting_criticality": "ignore"}]},
            r"new\.tests\[0\] must be an object with a string public_id",
        ),
        ({"options": 0.5}, r"new\.options must be an object or null, got 0\.5"),
    ],
)
def test_malformed_documents_get_a_specific_error(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        make_patch({}, doc)


def test_patch_does_not_alias_inputs() -> None:
    new = suite(tests=[T1, T2, T3, T4])
    patch = make_patch(suite(), new)
    patch[-1]["value"]["alerting_criticality"] = "changed"
    patch[0]["value"].clear()
    assert new["tests"][3] == T4 == {"public_id": "abc-def-004", "alerting_criticality": "ignore"}


# Values longer than 80 characters of JSON are cut to 79 plus an ellipsis.
LONG_VALUE_LINE = 'check /tests is still [{"alerting_criticality": "critical", "public_id": "abc-def-001"}, {"alerting_c…'


def test_describe_patch_one_line_per_op() -> None:
    old = suite()
    new = suite(name="v2", tags=["env:prod"], tests=[T1, T2, T3, T4])
    del new["message"]
    assert describe_patch(make_patch(old, new)) == [
        'check /message is still "@team-web checkout suite failing"',
        'check /name is still "checkout"',
        'check /tags/0 is still "team:web"',
        LONG_VALUE_LINE,
        "remove /message",
        'set /name = "v2"',
        "remove /tags/0",
        'append {"alerting_criticality": "ignore", "public_id": "abc-def-004"} to /tests',
    ]
    assert describe_patch([{"op": "add", "path": "/options", "value": {}}]) == ["add /options = {}"]
    assert describe_patch([{"op": "move", "from": "/a", "path": "/b"}]) == ["move /a to /b"]


def test_describe_patch_rejects_unknown_op() -> None:
    with pytest.raises(ValueError, match="unknown JSON Patch op 'frob' at '/x'"):
        describe_patch([{"op": "frob", "path": "/x"}])


def test_patch_round_trips_through_the_wire_request_model() -> None:
    old = suite(message=None)
    new = suite(message="now set", name="v2", tags=["x"], tests=[T2, T4])
    patch = make_patch(old, new)
    assert {"op": "test", "path": "/message", "value": None} in patch
    body = SuiteJsonPatchRequest.of(patch).to_body()
    assert body == {"data": {"type": "suites_json_patch", "attributes": {"json_patch": patch}}}
