"""Pulumi resource names for generated resources: derived from the object, stable, unique.

A name is a lowercase slug of what identifies the object (``shop-checkout-prod``), so the
same org gives the same names on every run, and a reviewer recognises the object from its
name. Two objects that slug alike get ``-2``, ``-3``... in the order they are claimed
(callers claim in a sorted order, so the suffixes are stable too).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

__all__ = ["MAX_SLUG", "NameBook", "repository_labels", "slug"]

MAX_SLUG: Final = 60
"""Longest slug kept from one part (a suite's name can be a sentence)."""

_NOT_NAME = re.compile(r"[^a-z0-9]+")


def slug(text: str, *, fallback: str = "x") -> str:
    """``text`` as lowercase letters, digits and single dashes (``fallback`` when empty)."""
    cleaned = _NOT_NAME.sub("-", text.lower()).strip("-")
    return cleaned[:MAX_SLUG].rstrip("-") or fallback


def repository_labels(repository_ids: Iterable[str]) -> dict[str, str]:
    """A short label per repository: its last path segment (``github.com/acme/shop`` →
    ``shop``), with more segments where two repositories would share it."""
    ids = sorted(set(repository_ids))
    parts = {repo: [p for p in repo.strip("/").split("/") if p] or [repo] for repo in ids}
    labels: dict[str, str] = {}
    for repo in ids:
        for depth in range(1, len(parts[repo]) + 1):
            label = slug("-".join(parts[repo][-depth:]), fallback="repo")
            clashes = [
                other
                for other in ids
                if other != repo and slug("-".join(parts[other][-depth:]), fallback="repo") == label
            ]
            if not clashes:
                break
        labels[repo] = label
    return labels


class NameBook:
    """Hands out unique resource names: the first claim of a base gets it as is."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def claim(self, *parts: str) -> str:
        """A unique name from the slugged, dash-joined ``parts``."""
        base = "-".join(slug(part) for part in parts if part) or "resource"
        name, n = base, 1
        while name in self._taken:
            n += 1
            name = f"{base}-{n}"
        self._taken.add(name)
        return name
