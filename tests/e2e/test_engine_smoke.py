"""The real engine end to end: up creates, a no-change preview is clean, destroy removes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.support.engine import PulumiSandbox

pytestmark = pytest.mark.e2e
PROGRAM = Path(__file__).parent / "programs" / "smoke"


def test_cli_reports_pinned_version(pulumi_sandbox: PulumiSandbox) -> None:
    import importlib.metadata

    out = pulumi_sandbox.cli("version", cwd=pulumi_sandbox.root).stdout.strip()
    assert out == "v" + importlib.metadata.version("pulumi")


def test_up_preview_destroy(pulumi_sandbox: PulumiSandbox) -> None:
    stack = pulumi_sandbox.stack(PROGRAM, config={"engine-smoke:text": "hi"})

    up = stack.up(on_output=lambda _: None)
    assert up.summary.result == "succeeded"
    assert up.summary.resource_changes == {"create": 2}
    assert up.outputs["digest"].value == hashlib.sha256(b"hi").hexdigest()

    preview = stack.preview(expect_no_changes=True, on_output=lambda _: None)
    assert preview.change_summary == {"same": 2}

    stack.set_config("engine-smoke:text", __import__("pulumi").automation.ConfigValue("bye"))
    changed = stack.preview(on_output=lambda _: None)
    assert changed.change_summary.get("replace") == 1

    destroy = stack.destroy(on_output=lambda _: None)
    assert destroy.summary.result == "succeeded"
    assert destroy.summary.resource_changes == {"delete": 2}
    assert stack.export_stack().deployment.get("resources") in (None, [])
