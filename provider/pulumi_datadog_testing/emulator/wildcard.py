"""Wildcard values (``*`` any run of characters, ``?`` one character) matched in linear time.

Translating a wildcard to a ``.*`` regex lets one hostile value backtrack for minutes
(``*a*a*a*a*a*a*a*a*a*ax`` against ``"a" * 40``), and the emulator answers on one event
loop. Here a pattern is split at its stars into literal segments (``?`` inside a segment
matches any one character); the first segment must start the text, the last must end it,
and the ones in between are found left to right, each at its leftmost position — greedy
leftmost matching is exact for this language, so there is never a second try. Runs of stars
collapse to one, so 20,000 stars cost what one does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["ANY_CHAR", "STAR", "Wildcard"]

STAR: Final = "<*>"
"""Marker for a ``*`` in a parsed pattern (a literal character is always one character)."""
ANY_CHAR: Final = "<?>"
"""Marker for a ``?`` in a parsed pattern."""


@dataclass(frozen=True, slots=True)
class _Segment:
    """A literal run between stars; ``finder`` is set when it contains ``?``."""

    text: str
    finder: re.Pattern[str] | None

    @classmethod
    def of(cls, chars: list[str]) -> _Segment:
        if ANY_CHAR not in chars:
            return cls("".join(chars), None)
        regex = "".join("." if c == ANY_CHAR else re.escape(c) for c in chars)
        # No quantifiers: a search costs at most len(text) * len(segment) steps.
        return cls(
            "".join("?" if c == ANY_CHAR else c for c in chars), re.compile(regex, re.DOTALL)
        )

    def __len__(self) -> int:
        return len(self.text)

    def at(self, text: str, position: int) -> bool:
        """Whether the segment matches ``text`` exactly at ``position``."""
        if self.finder is None:
            return text.startswith(self.text, position)
        return self.finder.match(text, position) is not None

    def find(self, text: str, start: int, end: int) -> int:
        """The leftmost position >= ``start`` where the segment fits before ``end``; -1 if none."""
        if self.finder is None:
            return text.find(self.text, start, end)
        found = self.finder.search(text, start, end)
        return -1 if found is None else found.start()


@dataclass(frozen=True, slots=True)
class Wildcard:
    """A compiled wildcard pattern; ``fullmatch`` and ``search`` run in linear time."""

    source: str
    segments: tuple[_Segment, ...]  # one: no star; else head, middle..., tail

    @classmethod
    def parse(cls, chars: list[str], source: str) -> Wildcard:
        """From a value already split into characters, with ``STAR`` for ``*`` and
        ``ANY_CHAR`` for ``?`` (escapes resolved by the caller: an escaped star is ``"*"``)."""
        segments: list[_Segment] = []
        current: list[str] = []
        for ch in chars:
            if ch == STAR:
                segments.append(_Segment.of(current))
                current = []
            else:
                current.append(ch)
        segments.append(_Segment.of(current))
        if len(segments) > 2:  # drop the empty middles of a run of stars
            segments = [segments[0], *(s for s in segments[1:-1] if len(s)), segments[-1]]
        return cls(source, tuple(segments))

    @classmethod
    def glob(cls, pattern: str) -> Wildcard:
        """A plain glob (``*`` and ``?``, no escapes)."""
        marks = {"*": STAR, "?": ANY_CHAR}
        return cls.parse([marks.get(c, c) for c in pattern], pattern)

    @property
    def matches_anything(self) -> bool:
        return len(self.segments) == 2 and not len(self.segments[0]) and not len(self.segments[1])

    def fullmatch(self, text: str) -> bool:
        segments = self.segments
        head = segments[0]
        if len(segments) == 1:
            return len(text) == len(head) and head.at(text, 0)
        tail = segments[-1]
        end = len(text) - len(tail)
        if end < len(head) or not head.at(text, 0) or not tail.at(text, end):
            return False
        position = len(head)
        for segment in segments[1:-1]:
            found = segment.find(text, position, end)
            if found < 0:
                return False
            position = found + len(segment)
        return True

    def search(self, text: str) -> bool:
        """Whether the pattern matches somewhere inside ``text`` (free text)."""
        position = 0
        for segment in self.segments:
            found = segment.find(text, position, len(text))
            if found < 0:
                return False
            position = found + len(segment)
        return True
