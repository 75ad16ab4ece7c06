"""The fenced code blocks of the user-facing docs, and how the doc-snippet test treats each.

Docs: ``README.md``, ``docs/**/*.md``, ``examples/*/README.md``, ``policy-pack/README.md``.
Convention (README, Development): a block is run as written unless it is marked. The marker
is an HTML comment on the line right before the opening fence::

    <!-- doc-test: output -->       what a command prints (not run)
    <!-- doc-test: fragment -->     an excerpt, or a command a test cannot run as written
                                    (say why after the word: ``fragment — runs the suite``)
    <!-- doc-test: script -->       Python run with ``python`` (not a Pulumi program)

Unmarked ```` ```python ```` blocks are Pulumi programs (``pulumi preview`` then ``pulumi
up`` against the seeded emulator); unmarked ```` ```bash ```` blocks run with ``bash``. Any
other unmarked block (no language, ``text``, ``json``, ``yaml`` …) is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["ROOT", "Block", "Kind", "doc_blocks", "doc_files"]

ROOT = Path(__file__).resolve().parents[2]

Kind = Literal["program", "script", "bash", "output", "fragment", "unmarked"]

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*doc-test:\s*(?P<kind>[a-z]+)\b(?P<why>[^>]*)-->\s*$")
_MARKED: dict[str, Kind] = {"output": "output", "fragment": "fragment", "script": "script"}
_BY_LANGUAGE: dict[str, Kind] = {"python": "program", "bash": "bash", "sh": "bash"}


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its info string, its text and how it is treated."""

    path: Path
    line: int
    info: str
    text: str
    kind: Kind
    marker: str | None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def doc_files() -> list[Path]:
    """The documents whose blocks are tested."""
    found = [ROOT / "README.md", ROOT / "policy-pack" / "README.md"]
    found += sorted((ROOT / "docs").rglob("*.md"))
    found += sorted((ROOT / "examples").glob("*/README.md"))
    return [p for p in found if p.is_file()]


def doc_blocks(paths: list[Path] | None = None) -> list[Block]:
    """Every fenced block of ``paths`` (default: ``doc_files()``), in document order."""
    blocks: list[Block] = []
    for path in paths or doc_files():
        lines = path.read_text().splitlines()
        index = 0
        while index < len(lines):
            opening = _FENCE.match(lines[index])
            if not opening:
                index += 1
                continue
            fence, info = opening["fence"], opening["info"].strip()
            end = index + 1
            while end < len(lines) and not lines[end].strip().startswith(fence):
                end += 1
            previous = next((ln for ln in reversed(lines[:index]) if ln.strip()), "")
            marker = _MARKER.match(previous)
            kind = _kind(info, marker["kind"] if marker else None)
            body = [ln[len(opening["indent"]) :] for ln in lines[index + 1 : end]]
            blocks.append(
                Block(path, index + 1, info, "\n".join(body) + "\n", kind, marker and marker[0])
            )
            index = end + 1
    return blocks


def _kind(info: str, marked: str | None) -> Kind:
    if marked is not None:
        return _MARKED.get(marked, "unmarked")
    language = info.split()[0].lower() if info else ""
    return _BY_LANGUAGE.get(language, "unmarked")
