"""Docs that restate code must not drift from it."""

from __future__ import annotations

import os
import re
from pathlib import Path

from pulumi_datadog_testing.emulator import admin_models

ROOT = Path(__file__).resolve().parents[2]


def test_emulator_doc_carries_the_admin_reference_verbatim() -> None:
    reference = admin_models.__doc__.split("Endpoints\n---------\n", 1)[1].rstrip()
    assert reference in (ROOT / "docs" / "emulator.md").read_text()


def _markdown_files() -> list[Path]:
    """The project's Markdown files (the venv, git and demo folders are not descended into)."""
    skip = {".venv", ".git", "node_modules", ".demo", ".pytest_cache"}
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in skip]
        found += [Path(folder, f) for f in files if f.endswith(".md")]
    return found


def test_relative_links_in_the_docs_resolve() -> None:
    """Every relative link of every Markdown file points at a file or folder that exists."""
    link = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
    broken = []
    files = _markdown_files()
    assert any(p.name == "README.md" and p.parent == ROOT for p in files)
    for doc in files:
        for target in link.findall(doc.read_text()):
            if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_the_fault_table_names_every_fault_scenario_file() -> None:
    table = (ROOT / "docs" / "reliability.md").read_text()
    scenarios = sorted(p.name for p in (ROOT / "tests" / "faults").glob("test_*.py"))
    missing = [
        name
        for name in scenarios
        if f"`{name}`" not in table and name != "test_client_regressions.py"
    ]
    assert scenarios and missing == []


def test_every_doc_code_block_runs_or_is_marked() -> None:
    """Each fenced block of the user docs is run by tests/e2e/test_doc_snippets.py or carries
    a ``<!-- doc-test: output|fragment|script -->`` marker (see tests/support/doc_blocks.py)."""
    from tests.support.doc_blocks import doc_blocks

    blocks = doc_blocks()
    assert len(blocks) > 20
    unmarked = [
        f"{b.id} ({b.info or 'no language'}) {b.marker or ''}"
        for b in blocks
        if b.kind == "unmarked"
    ]
    assert unmarked == [], "mark these blocks (README, Development: doc snippets)"
