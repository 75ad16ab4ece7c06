"""The linear-time wildcard matcher agrees with the reference glob semantics (``fnmatch``,
without character classes) on random patterns and texts."""

from __future__ import annotations

import fnmatch
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_datadog_testing.emulator.wildcard import Wildcard

PATTERNS = st.text(alphabet="ab*?", max_size=12)
TEXTS = st.text(alphabet="abc", max_size=12)


@settings(max_examples=400, deadline=None)
@given(PATTERNS, TEXTS)
def test_fullmatch_is_fnmatch(pattern: str, text: str) -> None:
    assert Wildcard.glob(pattern).fullmatch(text) == fnmatch.fnmatchcase(text, pattern)


@settings(max_examples=400, deadline=None)
@given(PATTERNS, TEXTS)
def test_search_finds_the_pattern_anywhere(pattern: str, text: str) -> None:
    regex = "".join({"*": ".*", "?": "."}.get(c, re.escape(c)) for c in pattern)
    assert Wildcard.glob(pattern).search(text) == (re.search(regex, text, re.DOTALL) is not None)


def test_hostile_patterns_are_cheap() -> None:
    """Patterns that take a backtracking regex minutes: answered at once (the pytest
    timeout is the bound)."""
    name = "a" * 40
    assert not Wildcard.glob("*a" * 14 + "x").fullmatch(name)
    assert not Wildcard.glob("*a" * 14 + "x").search(name * 100)
    assert Wildcard.glob("*" * 20_000).fullmatch(name)
    assert not Wildcard.glob("?*" * 5_000 + "x").fullmatch(name * 100)
    assert Wildcard.glob("*").matches_anything
    assert len(Wildcard.glob("a***b").segments) == 2
