"""Configuration mistakes fail `pulumi preview` with their one-line message and no API call;
``datadog:validate: false`` lets a preview run without credentials; a bearer token
(``datadog:bearerToken`` or ``DD_BEARER_TOKEN``) replaces the two keys. Real CLI, emulator."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.engine import PulumiSandbox
from tests.support.secrets import files_containing

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer

pytestmark = [pytest.mark.e2e, pytest.mark.emulator]

PROGRAM = Path(__file__).parent / "programs" / "one_setting"


def pulumi(sandbox: PulumiSandbox, stack: str, *args: str) -> subprocess.CompletedProcess[str]:
    return sandbox.cli(*args, "--stack", stack, cwd=sandbox.root / "program", check=False)


def keys(emulator: EmulatorServer) -> dict[str, str]:
    return {"datadog:apiKey": emulator.api_key, "datadog:appKey": emulator.app_key}


@pytest.mark.parametrize(
    ("config", "use_keys", "message"),
    [
        (
            {"datadog-testing:site": "datadoghq.co"},
            True,
            "datadog-testing:site 'datadoghq.co' is not a Datadog site",
        ),
        (
            {"datadog:apiUrl": "http://10.0.0.5:8080"},
            True,
            "uses http:// with a non-loopback host; use https://",
        ),
        (
            {"datadog:apiUrl": "{url}/api/v2"},
            True,
            "must be the API root without /api",
        ),
        ({"datadog:apiUrl": "{url}"}, False, "Datadog credentials are missing: set an API key"),
    ],
    ids=["unknown-site", "http-non-loopback", "malformed-url", "missing-keys"],
)
def test_config_mistakes_fail_preview_with_no_api_call(
    pulumi_sandbox: PulumiSandbox,
    emulator: EmulatorServer,
    config: dict[str, str],
    use_keys: bool,
    message: str,
) -> None:
    config = {k: v.format(url=emulator.url) for k, v in config.items()}
    pulumi_sandbox.stack(PROGRAM, config=config, secrets=keys(emulator) if use_keys else {})
    emulator.clear_calls()
    preview = pulumi(pulumi_sandbox, "test", "preview")
    assert preview.returncode != 0
    lines = [line for line in preview.stdout.splitlines() if message in line]
    assert lines, preview.stdout + preview.stderr
    assert "has a problem: " in lines[0]
    assert "Traceback" not in preview.stdout + preview.stderr
    assert emulator.calls() == []


def test_validate_false_previews_without_credentials(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    config = {"datadog:apiUrl": emulator.url, "datadog:validate": "false"}
    pulumi_sandbox.stack(PROGRAM, config=config)
    emulator.clear_calls()
    preview = pulumi(pulumi_sandbox, "test", "preview")
    assert preview.returncode == 0, preview.stdout + preview.stderr
    assert "3 to create" in preview.stdout  # the stack, the settings, their PriorValues
    # The first API call still needs them: `up` fails with the same one-line message.
    up = pulumi(pulumi_sandbox, "test", "up", "--yes")
    assert up.returncode != 0
    assert "Datadog credentials are missing" in up.stdout
    assert emulator.calls() == []


def _state_and_files(sandbox: PulumiSandbox, stack: str) -> str:
    exported = pulumi(sandbox, stack, "stack", "export")
    assert exported.returncode == 0
    return exported.stdout


def test_bearer_token_from_stack_config(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    pulumi_sandbox.stack(
        PROGRAM,
        config={"datadog:apiUrl": emulator.url},
        secrets={"datadog:bearerToken": emulator.bearer_token},
    )
    emulator.clear_calls()
    up = pulumi(pulumi_sandbox, "test", "up", "--yes")
    assert up.returncode == 0, up.stdout + up.stderr
    assert [c.status for c in emulator.calls()] == [404, 200]  # get (no settings yet), PATCH
    assert emulator.bearer_token not in _state_and_files(pulumi_sandbox, "test")
    assert files_containing(pulumi_sandbox.backend_dir, (emulator.bearer_token,)) == []
    assert emulator.bearer_token not in up.stdout + up.stderr

    emulator.clear_calls()
    again = pulumi(pulumi_sandbox, "test", "preview", "--expect-no-changes")
    assert again.returncode == 0 and emulator.calls() == []


def test_bearer_token_from_the_environment_and_a_wrong_one(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    pulumi_sandbox.stack(PROGRAM, config={"datadog:apiUrl": emulator.url})
    wrong = "ddpat_" + "0" * 32
    pulumi_sandbox.extra_env["DD_BEARER_TOKEN"] = wrong
    refused = pulumi(pulumi_sandbox, "test", "up", "--yes")
    assert refused.returncode != 0
    assert "403" in refused.stdout and wrong not in refused.stdout + refused.stderr

    pulumi_sandbox.extra_env["DD_BEARER_TOKEN"] = emulator.bearer_token
    up = pulumi(pulumi_sandbox, "test", "up", "--yes")
    assert up.returncode == 0, up.stdout + up.stderr
    outputs: dict[str, Any] = json.loads(
        pulumi(pulumi_sandbox, "test", "stack", "output", "--json").stdout
    )
    assert outputs["settings_id"] == "github.com/acme/shop::checkout::prod"
