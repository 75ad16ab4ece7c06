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
membership test. Beside the closures the parser builds a ``Narrowing``: what the query's
exact ``key:value`` terms say about which tests can match, as unions and intersections of
"tests with one of these values for this key" (negations, wildcards and free text say
nothing). A search resolves it against an index to look at a few candidates instead of
every test, then runs ``matches`` on those — the narrowing only ever prunes tests that
cannot match, so results are the same with or without it.

Cost is bounded before anything is evaluated: a query longer than ``MAX_QUERY_CHARS``,
nested deeper than ``MAX_QUERY_DEPTH`` (parentheses, ``NOT`` and ``-`` each add a level)
or with more than ``MAX_QUERY_TERMS`` terms (an all-exact value group counts as one) is a
``QueryLimitError`` naming the limit; wildcards match in linear time (``wildcard.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Final, NamedTuple, Protocol

from .wildcard import ANY_CHAR, STAR, Wildcard

__all__ = [
    "FINGERPRINT",
    "MAX_QUERY_CHARS",
    "MAX_QUERY_DEPTH",
    "MAX_QUERY_TERMS",
    "SEARCH_KEYS",
    "CompiledQuery",
    "IndexLookup",
    "Narrowing",
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
FINGERPRINT: Final = "fingerprint_fqn"
"""The key whose value is the test id."""


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

IndexLookup = Callable[[str, frozenset[str]], AbstractSet[str] | None]
"""An index: the ids of the tests having any of ``values`` for ``key`` (a set the caller
only reads), or ``None`` when ``key`` is not indexed."""


class Narrowing(Protocol):
    """Which tests a query can match, in terms of exact key values (see the module
    docstring). ``candidates`` is a superset of the matching tests' ids, or ``None`` when
    the index cannot bound them (then every test is a candidate)."""

    def candidates(self, lookup: IndexLookup) -> AbstractSet[str] | None: ...


@dataclass(frozen=True, slots=True)
class _KeyIn:
    """Tests having one of ``values`` for ``key``."""

    key: str
    values: frozenset[str]

    def candidates(self, lookup: IndexLookup) -> AbstractSet[str] | None:
        return lookup(self.key, self.values)


@dataclass(frozen=True, slots=True)
class _AllOf:
    """Tests every part admits (parts the index cannot bound are left out)."""

    parts: tuple[Narrowing, ...]

    def candidates(self, lookup: IndexLookup) -> AbstractSet[str] | None:
        known = [c for part in self.parts if (c := part.candidates(lookup)) is not None]
        if not known:
            return None
        known.sort(key=len)
        out = known[0]
        for other in known[1:]:
            if not out:
                break
            out = out & other
        return out


@dataclass(frozen=True, slots=True)
class _AnyOf:
    """Tests any part admits (unbounded as soon as one part is)."""

    parts: tuple[Narrowing, ...]

    def candidates(self, lookup: IndexLookup) -> AbstractSet[str] | None:
        out: set[str] = set()
        for part in self.parts:
            found = part.candidates(lookup)
            if found is None:
                return None
            out |= found
        return out


def _all_of(parts: Sequence[Narrowing | None]) -> Narrowing | None:
    known = tuple(p for p in parts if p is not None)
    return None if not known else known[0] if len(known) == 1 else _AllOf(known)


def _any_of(parts: Sequence[Narrowing | None]) -> Narrowing | None:
    if any(p is None for p in parts):
        return None
    known = tuple(p for p in parts if p is not None)
    return known[0] if len(known) == 1 else _AnyOf(known)


class _Expr(NamedTuple):
    """A parsed (sub)query: its predicate and what it says about candidates."""

    predicate: Predicate
    narrowing: Narrowing | None


# ----------------------------------------------------------------------------- lexer


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", "OR", "AND", "NOT", "-", "KEY", "WORD", "QUOTED", "VALUES", "END"
    text: str
    pos: int
    values: frozenset[str] = frozenset()
    """``VALUES``: the words of a group ``(v1 OR v2 …)`` right after a key (``_plain_group``)."""


_KEY_RE: Final = re.compile(r"[@A-Za-z_][A-Za-z0-9_.@-]*:")
_PLAIN_GROUP_RE: Final = re.compile(
    r"\(\s*([A-Za-z0-9_.][A-Za-z0-9_.-]*(?:\s+OR\s+[A-Za-z0-9_.][A-Za-z0-9_.-]*)*)\s*\)"
)
"""A key's value group of plain words joined by ``OR`` (``fingerprint_fqn:(id1 OR id2 …)``,
the provider's id lookups): no quotes, wildcards, escapes, colons or leading ``-``."""
_KEYWORDS: Final = frozenset({"OR", "AND", "NOT"})


def _plain_group(text: str, start: int) -> tuple[frozenset[str], int] | None:
    """The values of a plain group at ``start`` and where it ends, else ``None``: one token
    for what the parser's exact-group path (``_Parser.exact_group``) would read from ~800
    tokens, with the same values, so a 390-id lookup is not tokenized word by word."""
    match = _PLAIN_GROUP_RE.match(text, start)
    if match is None:
        return None
    words = match.group(1).split()[::2]  # value, "OR", value, …
    if _KEYWORDS.intersection(words):
        return None
    return frozenset(words), match.end()


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
            if text[i] == "(" and (group := _plain_group(text, i)) is not None:
                tokens.append(_Token("VALUES", "(", i, group[0]))
                i = group[1]
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
    def or_expr(self, leaf: Callable[[], _Expr]) -> _Expr:
        branches = [self.and_expr(leaf)]
        while self.peek().kind == "OR":
            token = self.take()
            if self.peek().kind in ("OR", "AND", ")", "END"):
                raise QuerySyntaxError("'OR' must be followed by a term", token.pos)
            branches.append(self.and_expr(leaf))
        return _Expr(
            _any([b.predicate for b in branches]), _any_of([b.narrowing for b in branches])
        )

    def and_expr(self, leaf: Callable[[], _Expr]) -> _Expr:
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
                return _Expr(
                    _all([p.predicate for p in parts]), _all_of([p.narrowing for p in parts])
                )

    def unary(self, leaf: Callable[[], _Expr]) -> _Expr:
        token = self.peek()
        if token.kind in ("NOT", "-"):
            self.take()
            if self.peek().kind in ("OR", "AND", ")", "END"):
                raise QuerySyntaxError(f"'{token.text}' must be followed by a term", token.pos)
            self.nested(token)
            negated = self.unary(leaf).predicate
            self.depth -= 1
            return _Expr(lambda values: not negated(values), None)  # no bound on candidates
        if token.kind == "(":
            self.take()
            if self.peek().kind == ")":
                raise QuerySyntaxError("empty parentheses", token.pos)
            self.nested(token)
            group = self.or_expr(leaf)
            self.expect_close(token)
            self.depth -= 1
            return group
        return leaf()

    def expect_close(self, opening: _Token) -> None:
        token = self.take()
        if token.kind != ")":
            where = "end of query" if token.kind == "END" else f"'{token.text}'"
            raise QuerySyntaxError(f"unbalanced '(' (found {where} instead of ')')", opening.pos)

    # Leaves.
    def term(self) -> _Expr:
        token = self.take()
        if token.kind in ("KEY", "WORD", "QUOTED"):
            self.counted(token)
        if token.kind == "KEY":
            return self.keyed(token)
        if token.kind in ("WORD", "QUOTED"):
            if token.kind == "WORD" and token.text == "*":
                return _Expr(_always, None)
            return _Expr(_free_text(token), None)
        if token.kind == ")":
            raise QuerySyntaxError("unbalanced ')'", token.pos)
        if token.kind == "END":
            raise QuerySyntaxError("unexpected end of query", token.pos)
        raise QuerySyntaxError(f"unexpected '{token.text}'", token.pos)

    def keyed(self, key_token: _Token) -> _Expr:
        key = key_token.text
        if key not in SEARCH_KEYS:
            raise QuerySyntaxError(
                f"unknown search key '{key}' (supported: {', '.join(SEARCH_KEYS)})",
                key_token.pos,
            )
        token = self.peek()
        if token.kind == "VALUES":  # a plain group, read whole by the lexer
            self.take()
            self.nested(token)
            self.depth -= 1
            return _Expr(_membership(key, token.values), _KeyIn(key, token.values))
        if token.kind == "(":
            opening = self.take()
            if self.peek().kind == ")":
                raise QuerySyntaxError(f"empty value group for '{key}'", opening.pos)
            self.nested(opening)
            if (exact := self.exact_group()) is not None:  # one set lookup, whatever its size
                self.depth -= 1
                self.expect_close(opening)
                return _Expr(_membership(key, exact), _KeyIn(key, exact))
            self.group_values = 0
            inner = self.or_expr(lambda: self.group_value(key))
            self.depth -= 1
            self.expect_close(opening)
            self.counted(opening, weight=self.group_values - 1)
            return inner
        return self.value_leaf(key)

    def exact_group(self) -> frozenset[str] | None:
        """A group of only ``v1 OR v2 OR …`` exact values, taken up to (not including) its
        ``)``; else ``None`` with nothing taken. The fast path for long id lists: the same
        result as the general parse, without a closure per value."""
        end = self.index
        while self.tokens[end].kind in ("WORD", "QUOTED", "OR"):
            end += 1
        if self.tokens[end].kind != ")":
            return None
        exact = _exact_alternatives(self.tokens[self.index : end])
        if exact is not None:
            self.index = end
        return exact

    def group_value(self, key: str) -> _Expr:
        """One value inside ``key:( … )`` (counted once the group is known not exact)."""
        self.group_values += 1
        return self.value_leaf(key)

    def value_leaf(self, key: str) -> _Expr:
        token = self.take()
        if token.kind in ("QUOTED", "WORD", "OR", "AND", "NOT"):  # bare words, even keyword-like
            value = _Value(exact=token.text) if token.kind == "QUOTED" else _bare_value(token.text)
            exact = None if value.exact is None else _KeyIn(key, frozenset({value.exact}))
            return _Expr(_match(key, value), exact)
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
    """A parsed query: ``matches`` evaluates it; ``narrowing`` (``None``: the query says
    nothing about candidates) bounds which tests can match, resolved against an index."""

    text: str
    predicate: Predicate
    narrowing: Narrowing | None = None

    def matches(self, test: Searchable) -> bool:
        return self.predicate(test.search_values)

    def candidates(self, lookup: IndexLookup) -> AbstractSet[str] | None:
        """Ids every matching test is among (``None``: any test may match)."""
        return None if self.narrowing is None else self.narrowing.candidates(lookup)

    @property
    def candidate_ids(self) -> AbstractSet[str] | None:
        """The ids every match must have, from the query's ``fingerprint_fqn`` terms alone
        (``None`` when they do not bound the matches)."""
        return self.candidates(_ids_only)


def _ids_only(key: str, values: frozenset[str]) -> AbstractSet[str] | None:
    return values if key == FINGERPRINT else None


def compile_query(text: str | None) -> CompiledQuery:
    """Parse ``text`` (``None``, empty or ``*`` match everything); raise ``QuerySyntaxError``."""
    source = (text or "").strip()
    if len(source) > MAX_QUERY_CHARS:
        raise QueryLimitError(
            f"{len(source):,} characters long; the limit is {MAX_QUERY_CHARS:,} "
            "(split the search into several queries)"
        )
    if source in ("", "*"):
        return CompiledQuery(text=source or "*", predicate=_always)
    tokens = _tokenize(source)
    parser = _Parser(tokens)
    expr = parser.or_expr(parser.term)
    trailing = parser.peek()
    if trailing.kind != "END":
        problem = "unbalanced ')'" if trailing.kind == ")" else f"unexpected '{trailing.text}'"
        raise QuerySyntaxError(problem, trailing.pos)
    return CompiledQuery(text=source, predicate=expr.predicate, narrowing=expr.narrowing)
