"""Unit tests of the flaky-test search query language (``emulator/query.py``).

No server: queries are compiled and evaluated against in-memory records built from seed
documents by the same ``search_values`` the emulator uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulumi_datadog_testing.emulator import query as query_module
from pulumi_datadog_testing.emulator.flaky_tests import FlakyRecord
from pulumi_datadog_testing.emulator.query import (
    SEARCH_KEYS,
    QuerySyntaxError,
    compile_query,
)
from pulumi_datadog_testing.identity import quote_query_value

REPO = "github.com/acme/shop"


def _doc(test_id: str, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": test_id,
        "repository_id": REPO,
        "module": "shop.checkout",
        "suite": "test_cart",
        "name": "test_apply_coupon",
        "flaky_state": "active",
        "flaky_category": "Timeout",
        "services": ["checkout", "web"],
        "envs": ["ci"],
        "codeowners": ["@acme/payments"],
        "first_flaked_branch": "feature/x",
        "last_flaked_branch": "main",
    }
    doc.update(fields)
    return doc


TESTS = {
    "a": FlakyRecord.of(_doc("00000000000000aa")),
    "b": FlakyRecord.of(
        _doc(
            "00000000000000bb",
            name="test_remove item",
            flaky_state="quarantined",
            flaky_category=None,
            services=["search"],
            envs=["ci", "staging"],
            codeowners=[],
        )
    ),
    "c": FlakyRecord.of(
        _doc(
            "00000000000000cc",
            module=None,
            suite="cart flow",
            name="renders the cart",
            flaky_state="disabled",
            flaky_category="Network",
            repository_id="github.com/acme/other",
            services=["web"],
            envs=["prod:eu"],
            codeowners=["@acme/web", "@acme/qa"],
            first_flaked_branch="release/2026.08",
            last_flaked_branch="release/2026.08",
        )
    ),
    "d": FlakyRecord.of(
        _doc("00000000000000dd", suite="test_payment", name="test_3ds_timeout", flaky_state="fixed")
    ),
}


def matching(query: str | None) -> set[str]:
    compiled = compile_query(query)
    return {name for name, record in TESTS.items() if compiled.matches(record)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # everything
        (None, {"a", "b", "c", "d"}),
        ("", {"a", "b", "c", "d"}),
        ("*", {"a", "b", "c", "d"}),
        ("   ", {"a", "b", "c", "d"}),
        # every documented key
        ("flaky_test_state:quarantined", {"b"}),
        ("flaky_test_category:Timeout", {"a", "d"}),
        ("@test.name:test_3ds_timeout", {"d"}),
        ("@test.suite:test_cart", {"a", "b"}),
        ("@test.module:shop.checkout", {"a", "b", "d"}),
        ("@test.service:web", {"a", "c", "d"}),
        ('@git.repository.id_v2:"github.com/acme/other"', {"c"}),
        ("@git.repository.id_v2:github.com/acme/shop", {"a", "b", "d"}),
        ("@git.branch:main", {"a", "b", "d"}),
        ("@git.branch:feature/x", {"a", "b", "d"}),
        ('@git.branch:"release/2026.08"', {"c"}),
        ("@test.codeowners:@acme/qa", {"c"}),
        ("env:staging", {"b"}),
        ('env:"prod:eu"', {"c"}),
        ("fingerprint_fqn:00000000000000cc", {"c"}),
        # matching is exact and case-sensitive for keys' values
        ("flaky_test_state:Quarantined", set()),
        ("@test.name:test_apply", set()),
        # quoted values with spaces and escapes
        ('@test.name:"test_remove item"', {"b"}),
        ('@test.suite:"cart flow"', {"c"}),
        ('@test.name:"renders \\"the\\" cart"', set()),
        # wildcards
        ("@test.name:test_*", {"a", "b", "d"}),
        ("@test.name:*cart", {"c"}),
        ("@test.name:test_?ds_timeout", {"d"}),
        ("@test.service:s*", {"b"}),
        ("@git.repository.id_v2:*other", {"c"}),
        ("@test.name:test_remove\\ item", {"b"}),
        # key:* means "has a value"
        ("flaky_test_category:*", {"a", "c", "d"}),
        ("@test.codeowners:*", {"a", "c", "d"}),
        ("@test.module:*", {"a", "b", "d"}),
        # boolean structure
        ("flaky_test_state:active @test.service:web", {"a"}),
        ("flaky_test_state:active AND @test.service:web", {"a"}),
        ("flaky_test_state:active OR flaky_test_state:fixed", {"a", "d"}),
        ("flaky_test_state:fixed OR flaky_test_state:active @test.service:web", {"a", "d"}),
        ("(flaky_test_state:fixed OR flaky_test_state:active) @test.service:checkout", {"a", "d"}),
        ("((env:ci))", {"a", "b", "d"}),
        ("-flaky_test_state:active", {"b", "c", "d"}),
        ("NOT flaky_test_state:active", {"b", "c", "d"}),
        ("NOT NOT flaky_test_state:active", {"a"}),
        ("-(flaky_test_state:active OR flaky_test_state:fixed)", {"b", "c"}),
        ("env:ci -@test.service:search", {"a", "d"}),
        ("env:ci AND NOT @test.service:search", {"a", "d"}),
        # value groups
        ("flaky_test_state:(active OR fixed)", {"a", "d"}),
        ("@test.service:(search OR checkout)", {"a", "b", "d"}),
        ('@test.name:("test_remove item" OR renders*)', {"b", "c"}),
        ("@test.service:(checkout AND web)", {"a", "d"}),
        ("@test.service:(web -checkout)", {"c"}),
        ("env:(ci AND NOT staging)", {"a", "d"}),
        ("fingerprint_fqn:(00000000000000aa OR 00000000000000cc OR ffffffffffffffff)", {"a", "c"}),
        ("-fingerprint_fqn:(00000000000000aa OR 00000000000000cc)", {"b", "d"}),
        ("fingerprint_fqn:(00000000000000aa OR 00000000000000bb) flaky_test_state:active", {"a"}),
        # keyword-like bare words inside a value group are values
        ("@test.name:(OR)", set()),
        # free text: case-insensitive substring of module.suite.name
        ("coupon", {"a"}),
        ("CART", {"a", "b", "c"}),
        ('"cart flow.renders"', {"c"}),
        ("test_*timeout", {"d"}),
        ("cart -coupon", {"b", "c"}),
        ("* flaky_test_state:fixed", {"d"}),
    ],
)
def test_query_selects(query: str | None, expected: set[str]) -> None:
    assert matching(query) == expected


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ("(flaky_test_state:active", 1, "unbalanced '('"),
        ("flaky_test_state:active)", 24, "unbalanced ')'"),
        ("flaky_test_state:(active OR fixed", 18, "unbalanced '('"),
        ("flaky_test_state:active OR", 25, "'OR' must be followed by a term"),
        ("OR flaky_test_state:active", 1, "unexpected 'OR'"),
        ("flaky_test_state:active AND", 25, "'AND' must be followed by a term"),
        ("NOT", 1, "'NOT' must be followed by a term"),
        ("env:ci NOT", 8, "'NOT' must be followed by a term"),
        ("flaky_test_state:", 18, "missing value after 'flaky_test_state:'"),
        ("flaky_test_state: active", 18, "missing value after"),
        ('@test.name:"unterminated', 12, "unterminated quoted value"),
        ("()", 1, "empty parentheses"),
        ("env:()", 5, "empty value group for 'env'"),
        ("state:active", 1, "unknown search key 'state'"),
        ("@test.service:(web OR env:ci)", 23, "'env:' inside the value of '@test.service'"),
    ],
)
def test_malformed_query_names_problem_and_position(
    query: str, position: int, fragment: str
) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        compile_query(query)
    message = str(info.value)
    assert fragment in message
    assert message.startswith(f"invalid search query at character {position}:")
    assert info.value.position == position - 1


def test_unknown_key_error_lists_the_supported_keys() -> None:
    with pytest.raises(QuerySyntaxError) as info:
        compile_query("@test.owner:me")
    assert all(key in str(info.value) for key in SEARCH_KEYS)


def test_top_level_fingerprint_group_exposes_candidate_ids() -> None:
    ids = [f"{i:016x}" for i in range(1000)]
    compiled = compile_query(f"fingerprint_fqn:({' OR '.join(ids)}) flaky_test_state:active")
    assert compiled.candidate_ids == frozenset(ids)
    record = FlakyRecord.of(_doc(ids[500]))
    assert compiled.matches(record)
    assert not compiled.matches(FlakyRecord.of(_doc("ffffffffffffffff")))


@pytest.mark.parametrize(
    "query",
    [
        "flaky_test_state:active",
        "fingerprint_fqn:(a OR b) OR env:ci",  # top-level OR: any test may match
        "-fingerprint_fqn:(a OR b)",  # negated
        "NOT fingerprint_fqn:a",
        "fingerprint_fqn:a*",  # wildcard: not an id list
    ],
)
def test_candidate_ids_only_when_every_match_must_be_in_the_set(query: str) -> None:
    assert compile_query(query).candidate_ids is None


def test_two_fingerprint_groups_intersect() -> None:
    compiled = compile_query("fingerprint_fqn:(a OR b OR c) fingerprint_fqn:(b OR c OR d)")
    assert compiled.candidate_ids == frozenset({"b", "c"})


_value = st.text(alphabet="abcdefghij_-./0123456789", min_size=1, max_size=12).filter(
    lambda v: not v.startswith("-")
)


@given(values=st.lists(_value, min_size=1, max_size=20), probe=_value)
def test_value_group_is_membership(values: list[str], probe: str) -> None:
    """``key:(v1 OR v2 ...)`` selects exactly the tests whose value is one of them."""
    query = compile_query(f"@test.service:({' OR '.join(values)})")
    record = FlakyRecord.of(_doc("00000000000000ee", services=[probe]))
    assert query.matches(record) == (probe in values)


@given(value=st.text(min_size=1, max_size=20).filter(lambda v: v.strip() == v and v))
def test_any_quoted_value_matches_itself_exactly(value: str) -> None:
    query = compile_query(f"@test.name:{quote_query_value(value)}")
    assert query.matches(FlakyRecord.of(_doc("00000000000000ee", name=value)))
    assert not query.matches(FlakyRecord.of(_doc("00000000000000ee", name=value + "x")))


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("fingerprint_fqn:a OR fingerprint_fqn:b", {"a", "b"}),  # an OR of id terms: bounded
        ("(fingerprint_fqn:a OR fingerprint_fqn:(b OR c)) env:ci", {"a", "b", "c"}),
        ('fingerprint_fqn:("a" OR b) -fingerprint_fqn:b', {"a", "b"}),  # NOT bounds nothing
    ],
)
def test_candidate_ids_follow_and_or_structure(query: str, ids: set[str]) -> None:
    assert compile_query(query).candidate_ids == ids


_GROUPS: dict[str, Callable[[list[str]], bool]] = {
    "(a OR b)": lambda s: "a" in s or "b" in s,
    "(a OR b*)": lambda s: "a" in s or any(v.startswith("b") for v in s),
    "(a AND b)": lambda s: "a" in s and "b" in s,
    "(a OR NOT b)": lambda s: "a" in s or "b" not in s,
    '("x y" OR b)': lambda s: "x y" in s or "b" in s,
    "(OR)": lambda s: "OR" in s,
}


@pytest.mark.parametrize("group", list(_GROUPS))
def test_exact_group_fast_path_matches_the_general_parse(group: str) -> None:
    """Exact groups skip the per-value closures; every form still matches as documented."""
    compiled = compile_query(f"@test.service:{group}")
    for services in (["a"], ["b"], ["bx"], ["a", "b"], ["x y"], ["OR"], ["c"]):
        record = FlakyRecord.of(_doc("00000000000000ee", services=services))
        assert compiled.matches(record) == _GROUPS[group](services), (group, services)


_IDS = " OR ".join(record.search_values["fingerprint_fqn"][0] for record in TESTS.values())
_DEEP = "(" * 31 + "fingerprint_fqn:(00000000000000aa OR 00000000000000bb)" + ")" * 31


@pytest.mark.parametrize(
    "query",
    [
        f"fingerprint_fqn:({_IDS})",
        f'@git.repository.id_v2:"{REPO}" fingerprint_fqn:({_IDS})',
        f"fingerprint_fqn:( {_IDS} ) flaky_test_state:(active OR fixed)",
        "fingerprint_fqn:(00000000000000aa OR 00000000000000bb)c",
        "fingerprint_fqn:(00000000000000aa OR 00000000000000bb):x",
        "@test.service:(web OR checkout) -env:(ci)",
        "fingerprint_fqn:(a-b OR .c OR 00000000000000cc)",
        # not plain: read token by token, as before
        "fingerprint_fqn:(00000000000000aa OR -00000000000000bb)",
        "fingerprint_fqn:(00000000000000a* OR 00000000000000bb)",
        'fingerprint_fqn:(00000000000000aa OR "00000000000000bb")',
        "fingerprint_fqn:(00000000000000aa OR AND)",
        "fingerprint_fqn:(00000000000000aa OR OR)",
        "fingerprint_fqn:(00000000000000aa AND 00000000000000bb)",
        "fingerprint_fqn:(a:b OR c)",
        # errors, which must not change
        _DEEP,
        "(" + _DEEP + ")",
        f"unknown_key:({_IDS})",
        "fingerprint_fqn:(00000000000000aa OR 00000000000000bb",
        "fingerprint_fqn:()",
        "fingerprint_fqn:(00000000000000aa OR )",
        " ".join(f"env:(e{i} OR f{i})" for i in range(600)),
    ],
)
def test_plain_value_groups_read_whole_compile_as_token_by_token(
    query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lexer reads ``key:(v1 OR v2 …)`` of plain words as one token: the same query,
    candidates and errors as reading it word by word (the provider's 390-id lookups)."""

    def outcome() -> tuple[Any, ...]:
        try:
            compiled = compile_query(query)
        except QuerySyntaxError as exc:
            return ("error", type(exc), str(exc), exc.position)
        found = {name for name, record in TESTS.items() if compiled.matches(record)}
        return ("ok", found, compiled.candidate_ids)

    fast = outcome()
    monkeypatch.setattr(query_module, "_plain_group", lambda _text, _start: None)
    assert fast == outcome()
