"""Looking for credentials where they must never be."""

from __future__ import annotations

from pathlib import Path


def files_containing(root: Path, secrets: tuple[str, ...]) -> list[str]:
    """Every file under ``root`` holding one of ``secrets`` (named by its first 4 characters)."""
    hits = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path} holds {s[:4]}..." for s in secrets if s.encode() in data]
    return hits
