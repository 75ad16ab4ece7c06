"""The flaky-test search query language: the subset of Datadog's log-search syntax the
Flaky Test Management API documents.

Grammar (precedence: ``NOT``/``-`` binds tightest, then ``AND`` — also implicit between
adjacent terms — then ``OR``)::

    query   := or_expr | ""                       # empty or "*" matches everything
    or_expr := and_expr ("OR" and_expr)*
    and_expr:= unary (["AND"] unary)*
    unary   := ("NOT" | "-") unary | "(" or_expr ")" | term
    term    := KEY ":" values | VALUE             # a bare VALUE is free text on the FQN
    values  := VALUE | "(" value_or (…same boolean grammar over VALUEs…) ")"

- Keys: ``flaky_test_state``, ``flaky_test_category``, ``@test.name``, ``@test.suite``,
  ``@test.module``, ``@test.service``, ``@git.repository.id_v2``, ``@git.branch``,
  ``@test.codeowners``, ``env``, ``fingerprint_fqn`` (the test id). Anything else is a
  ``QuerySyntaxError`` naming the supported keys.
- Values: ``"quoted strings"`` (literal; ``\\"`` and ``\\\\`` escapes) or bare words, where
  ``*`` matches any run of characters and ``?`` one character, and ``\\`` escapes the next
  character. ``key:*`` matches a test that has any value for the key. Key/value matching is
  case-sensitive; free text is a case-insensitive match on ``module.suite.name``.
- Multi-valued fields (services, envs, codeowners, branches) match when any element does.

``compile_query(text)`` parses once and returns a ``CompiledQuery`` whose ``matches(test)``
is a closure tree; value groups made only of exact values become one ``frozenset``
membership test, and a top-level ``fingerprint_fqn:(id1 OR id2 …)`` is exposed as
``candidate_ids`` so a search over many tests can look those ids up directly.

Cost is bounded before anything is evaluated: a query longer than ``MAX_QUERY_CHARS``,
nested deeper than ``MAX_QUERY_DEPTH`` (parentheses, ``NOT`` and ``-`` each add a level)
or with more than ``MAX_QUERY_TERMS`` terms (an all-exact value group counts as one) is a
``QueryLimitError`` naming the limit; wildcards match in linear time (``wildcard.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from .wildcard import ANY_CHAR, STAR, Wildcard

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_QUERY_DEPTH",
    "MAX_QUERY_TERMS",
    "SEARCH_KEYS",
    "CompiledQuery",
    "QueryLimitError",
    "QuerySyntaxError",
    "Searchable",
    "compile_query",
]

SEARCH_KEYS: Final = (
    "flaky_test_state",
    "flaky_test_category",
    "@test.name",
    "@test.suite",
    "@test.module",
    "@test.service",
    "@git.repository.id_v2",
    "@git.branch",
    "@test.codeowners",
    "env",
    "fingerprint_fqn",
)
"""The search keys the API documents, in its order."""

MAX_QUERY_CHARS: Final = 32_768
"""Longest query accepted (the provider's own queries stay under 8,000 characters)."""
MAX_QUERY_DEPTH: Final = 32
"""Deepest nesting of parentheses, ``NOT`` and ``-`` accepted."""
MAX_QUERY_TERMS: Final = 512
"""Most terms per query; a group of exact values (``key:(a OR b …)``) counts as one."""

FREE_TEXT: Final = "__fqn__"
"""The pseudo key a bare value (free text) is matched against."""


class Searchable(Protocol):
    """What a query is evaluated on: every search key's values, and the lower-cased FQN."""

    @property
    def search_values(self) -> Mapping[str, tuple[str, ...]]: ...


class QuerySyntaxError(ValueError):
    """A malformed query; the message names the problem and its character position."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"invalid search query at character {position + 1}: {message}")
        self.position = position


class QueryLimitError(QuerySyntaxError):
    """A query beyond one of the cost limits; the message names the limit."""

    def __init__(self, message: str, position: int = 0) -> None:
        ValueError.__init__(self, f"search query too complex: {message}")
        self.position = position


Predicate = Callable[[Mapping[str, tuple[str, ...]]], bool]

# ----------------------------------------------------------------------------- lexer


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "OR", "AND", "NOT", "-", "KEY", "WORD", "QUOTED", "END"
    text: str
    pos: int


_KEY_RE: Final = re.compile(r"[@A-Za-z_][A-Za-z0-9_.@-]*:")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "()":
            tokens.append(_Token(ch, ch, i))
            i += 1
            continue
        if ch == '"':
            value, end = _read_quoted(text, i)
            tokens.append(_Token("QUOTED", value, i))
            i = end
            continue
        after_key = bool(tokens) and tokens[-1].kind == "KEY"
        if after_key:  # a key's bare value: taken whole, colons and leading '-' included
            word, end = _read_word(text, i)
            tokens.append(_Token("WORD", word, i))
            i = end
            continue
        if ch == "-" and i + 1 < n and not text[i + 1].isspace():
            tokens.append(_Token("-", "-", i))
            i += 1
            continue
        key = _KEY_RE.match(text, i)
        if key:
            tokens.append(_Token("KEY", key.group()[:-1], i))
            i = key.end()
            if i >= n or text[i].isspace() or text[i] == ")":
                raise QuerySyntaxError(f"missing value after '{key.group()}'", i)
            continue
        word, end = _read_word(text, i)
        kind = word if word in ("OR", "AND", "NOT") else "WORD"
        tokens.append(_Token(kind, word, i))
        i = end
    tokens.append(_Token("END", "", n))
    return tokens


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise QuerySyntaxError("unterminated quoted value", start)


_WORD_RE: Final = re.compile(r'(?:\\.|\\\Z|[^\s()"\\])*', re.DOTALL)
"""A bare word: any run of characters but whitespace, parentheses and quotes, where a
backslash escapes the next character (a trailing backslash is kept as is)."""


def _read_word(text: str, start: int) -> tuple[str, int]:
    """A bare word, keeping ``\\`` escapes (resolved when the value pattern is built)."""
    match = _WORD_RE.match(text, start)
    assert match is not None  # the pattern matches the empty string
    return match.group(), match.end()


# --------------------------------------------------------------------------- values

_WILD_OR_ESCAPE: Final = re.compile(r"[*?\\]")


@dataclass(frozen=True, slots=True)
class _Value:
    """One value: exact text, or a wildcard pattern (matched in linear time)."""

    exact: str | None
    pattern: Wildcard | None = None

    @property
    def is_any(self) -> bool:
        return self.pattern is not None and self.pattern.matches_anything


def _bare_value(raw: str) -> _Value:
    if not _WILD_OR_ESCAPE.search(raw):  # the common case (e.g. a 1000-id group): exact
        return _Value(exact=raw)
    chars: list[str] = []
    wild = False
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            chars.append(raw[i + 1])  # escaped: literal, even "*" and "?"
            i += 2
            continue
        if ch == "*":
            chars.append(STAR)
            wild = True
        elif ch == "?":
            chars.append(ANY_CHAR)
            wild = True
        else:
            chars.append(ch)
        i += 1
    if not wild:
        return _Value(exact="".join(chars))
    return _Value(exact=None, pattern=Wildcard.parse(chars, raw))


# --------------------------------------------------------------------------- parser


@dataclass
class _Parser:
    tokens: list[_Token]
    index: int = 0
    candidate_ids: frozenset[str] | None = field(default=None)
    depth: int = 0
    terms: int = 0
    group_values: int = 0

    def nested(self, token: _Token) -> None:
        """Enter one more level of nesting at ``token``; refuse beyond the limit."""
        self.depth += 1
        if self.depth > MAX_QUERY_DEPTH:
            raise QueryLimitError(
                f"nested deeper than {MAX_QUERY_DEPTH} levels of parentheses, NOT and '-' "
                f"(at character {token.pos + 1})",
                token.pos,
            )

    def counted(self, token: _Token, weight: int = 1) -> None:
        self.terms += weight
        if self.terms > MAX_QUERY_TERMS:
            raise QueryLimitError(
                f"more than {MAX_QUERY_TERMS} terms (at character {token.pos + 1}); "
                "group exact values as key:(a OR b ...)",
                token.pos,
            )

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    # Boolean structure, shared by the query and by value groups: ``leaf`` parses one
    # operand (a term at the top level, a value inside ``key:( … )``).
    def or_expr(self, leaf: Callable[[], Predicate]) -> Predicate:
        branches = [self.and_expr(leaf)]
        while self.peek().kind == "OR":
            token = self.take()
            if self.peek().kind in ("OR", "AND", ")", "END"):
                raise QuerySyntaxError("'OR' must be followed by a term", token.pos)
            branches.append(self.and_expr(leaf))
        return _any(branches)

    def and_expr(self, leaf: Callable[[], Predicate]) -> Predicate:
        parts = [self.unary(leaf)]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                token = self.take()
                if self.peek().kind in ("OR", "AND", ")", "END"):
                    raise QuerySyntaxError("'AND' must be followed by a term", token.pos)
                parts.append(self.unary(leaf))
            elif kind in ("(", "NOT", "-", "KEY", "WORD", "QUOTED"):
                parts.append(self.unary(leaf))
            else:
                return _all(parts)

    def unary(self, leaf: Callable[[], Predicate]) -> Predicate:
        token = self.peek()
        if token.kind in ("NOT", "-"):
            self.take()
            if self.peek().kind in ("OR", "AND", ")", "END"):
                raise QuerySyntaxError(f"'{token.text}' must be followed by a term", token.pos)
            self.nested(token)
            inner = self.unary(leaf)
            self.depth -= 1
            return lambda values: not inner(values)
        if token.kind == "(":
            self.take()
            if self.peek().kind == ")":
                raise QuerySyntaxError("empty parentheses", token.pos)
            self.nested(token)
            inner = self.or_expr(leaf)
            self.expect_close(token)
            self.depth -= 1
            return inner
        return leaf()

    def expect_close(self, opening: _Token) -> None:
        token = self.take()
        if token.kind != ")":
            where = "end of query" if token.kind == "END" else f"'{token.text}'"
            raise QuerySyntaxError(f"unbalanced '(' (found {where} instead of ')')", opening.pos)

    # Leaves.
    def term(self) -> Predicate:
        token = self.take()
        if token.kind in ("KEY", "WORD", "QUOTED"):
            self.counted(token)
        if token.kind == "KEY":
            return self.keyed(token)
        if token.kind in ("WORD", "QUOTED"):
            if token.kind == "WORD" and token.text == "*":
                return _always
            return _free_text(token)
        if token.kind == ")":
            raise QuerySyntaxError("unbalanced ')'", token.pos)
        if token.kind == "END":
            raise QuerySyntaxError("unexpected end of query", token.pos)
        raise QuerySyntaxError(f"unexpected '{token.text}'", token.pos)

    def keyed(self, key_token: _Token) -> Predicate:
        key = key_token.text
        if key not in SEARCH_KEYS:
            raise QuerySyntaxError(
                f"unknown search key '{key}' (supported: {', '.join(SEARCH_KEYS)})",
                key_token.pos,
            )
        token = self.peek()
        if token.kind == "(":
            opening = self.take()
            if self.peek().kind == ")":
                raise QuerySyntaxError(f"empty value group for '{key}'", opening.pos)
            group_start, self.group_values = self.index, 0
            self.nested(opening)
            inner = self.or_expr(lambda: self.group_value(key))
            self.depth -= 1
            exact = _exact_alternatives(self.tokens[group_start : self.index])
            self.expect_close(opening)
            if exact is not None:
                return _membership(key, exact)  # one set lookup, whatever its size
            self.counted(opening, weight=self.group_values - 1)
            return inner
        return self.value_leaf(key)

    def group_value(self, key: str) -> Predicate:
        """One value inside ``key:( … )`` (counted once the group is known not exact)."""
        self.group_values += 1
        return self.value_leaf(key)

    def value_leaf(self, key: str) -> Predicate:
        token = self.take()
        if token.kind == "QUOTED":
            return _match(key, _Value(exact=token.text))
        if token.kind in ("WORD", "OR", "AND", "NOT"):  # bare words, even keyword-like
            return _match(key, _bare_value(token.text))
        if token.kind == "KEY":
            raise QuerySyntaxError(
                f"'{token.text}:' inside the value of '{key}' (quote values containing ':')",
                token.pos,
            )
        if token.kind == "END":
            raise QuerySyntaxError(f"missing value for '{key}'", token.pos)
        raise QuerySyntaxError(f"unexpected '{token.text}' in the value of '{key}'", token.pos)


def _exact_alternatives(tokens: Sequence[_Token]) -> frozenset[str] | None:
    """The values of a group that is only ``v1 OR v2 OR …`` of exact values, else None."""
    values: list[str] = []
    expect_value = True
    for token in tokens:
        if expect_value:
            if token.kind == "QUOTED":
                values.append(token.text)
            elif token.kind == "WORD":
                value = _bare_value(token.text)
                if value.exact is None:
                    return None
                values.append(value.exact)
            else:
                return None
        elif token.kind != "OR":
            return None
        expect_value = not expect_value
    return frozenset(values) if values and not expect_value else None


# ---------------------------------------------------------------------- predicates


def _always(values: Mapping[str, tuple[str, ...]]) -> bool:
    return True


def _any(branches: list[Predicate]) -> Predicate:
    if len(branches) == 1:
        return branches[0]
    return lambda values: any(branch(values) for branch in branches)


def _all(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    return lambda values: all(part(values) for part in parts)


def _match(key: str, value: _Value) -> Predicate:
    if value.exact is not None:
        exact = value.exact
        return lambda values: exact in values.get(key, ())
    if value.is_any:
        return lambda values: bool(values.get(key))
    pattern = value.pattern
    assert pattern is not None
    return lambda values: any(pattern.fullmatch(v) for v in values.get(key, ()))


def _membership(key: str, wanted: frozenset[str]) -> Predicate:
    return lambda values: not wanted.isdisjoint(values.get(key, ()))


def _free_text(token: _Token) -> Predicate:
    text = token.text.lower()
    if token.kind == "QUOTED":
        return lambda values: any(text in v for v in values.get(FREE_TEXT, ()))
    value = _bare_value(text)
    if value.exact is not None:
        exact = value.exact
        return lambda values: any(exact in v for v in values.get(FREE_TEXT, ()))
    pattern = value.pattern
    assert pattern is not None
    return lambda values: any(pattern.search(v) for v in values.get(FREE_TEXT, ()))


# ------------------------------------------------------------------------- public


@dataclass(frozen=True)
class CompiledQuery:
    """A parsed query: ``matches`` evaluates it; ``candidate_ids`` (when not ``None``) is a
    set of test ids every match must belong to (from a top-level ``fingerprint_fqn`` group)."""

    text: str
    predicate: Predicate
    candidate_ids: frozenset[str] | None

    def matches(self, test: Searchable) -> bool:
        return self.predicate(test.search_values)


def compile_query(text: str | None) -> CompiledQuery:
    """Parse ``text`` (``None``, empty or ``*`` match everything); raise ``QuerySyntaxError``."""
    source = (text or "").strip()
    if len(source) > MAX_QUERY_CHARS:
        raise QueryLimitError(
            f"{len(source):,} characters long; the limit is {MAX_QUERY_CHARS:,} "
            "(split the search into several queries)"
        )
    if source in ("", "*"):
        return CompiledQuery(text=source or "*", predicate=_always, candidate_ids=None)
    tokens = _tokenize(source)
    parser = _Parser(tokens)
    predicate = parser.or_expr(parser.term)
    trailing = parser.peek()
    if trailing.kind != "END":
        problem = "unbalanced ')'" if trailing.kind == ")" else f"unexpected '{trailing.text}'"
        raise QuerySyntaxError(problem, trailing.pos)
    return CompiledQuery(text=source, predicate=predicate, candidate_ids=_top_level_ids(tokens))


def _top_level_ids(tokens: Sequence[_Token]) -> frozenset[str] | None:
    """Ids of a ``fingerprint_fqn`` term that is a required conjunct of the whole query.

    Only when the query has no top-level OR and the term is not negated: then every
    matching test's id is in the set, so a search can start from those ids.
    """
    depth = 0
    found: frozenset[str] | None = None
    i = 0
    body = tokens[:-1]
    while i < len(body):
        token = body[i]
        if token.kind == "(":
            depth += 1
        elif token.kind == ")":
            depth -= 1
        elif depth == 0 and token.kind == "OR":
            return None
        elif depth == 0 and token.kind == "KEY" and token.text == "fingerprint_fqn":
            negated = i > 0 and body[i - 1].kind in ("NOT", "-")
            ids = _ids_after(body, i + 1)
            if ids is not None and not negated:
                found = ids if found is None else found & ids
        i += 1
    return found


def _ids_after(tokens: Sequence[_Token], start: int) -> frozenset[str] | None:
    if start >= len(tokens):
        return None
    first = tokens[start]
    if first.kind in ("WORD", "QUOTED"):
        return _exact_alternatives([first])
    if first.kind != "(":
        return None
    depth = 0
    for end in range(start, len(tokens)):
        if tokens[end].kind == "(":
            depth += 1
        elif tokens[end].kind == ")":
            depth -= 1
            if depth == 0:
                return _exact_alternatives(tokens[start + 1 : end])
    return None
