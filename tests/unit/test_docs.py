"""Docs that restate code must not drift from it."""

from __future__ import annotations

from pathlib import Path

import pulumi_datadog_testing.emulator.admin_models as admin_models

ROOT = Path(__file__).resolve().parents[2]


def test_emulator_doc_carries_the_admin_reference_verbatim() -> None:
    reference = admin_models.__doc__.split("Endpoints\n---------\n", 1)[1].rstrip()
    assert reference in (ROOT / "docs" / "emulator.md").read_text()

