"""The real engine: configure() gets the decrypted datadog: secrets; state and logs never do.

Runs a program whose dynamic resource derives from ``DatadogResourceProvider`` with the keys
set as stack secrets, with verbose engine logging, then greps everything persisted (the
backend's state, history and backups; ``pulumi stack export``; the decoded ``__provider``
pickles), everything under PULUMI_HOME, and everything the engine printed, for the keys.

Note: the engine itself records the stack config as the inputs of the default
``pulumi:providers:pulumi-python`` provider (it hands dynamic providers all config); secrets
are stored there as ciphertext, which is why only ``--show-secrets`` would reveal them. And at
``-v=9`` the engine's own RPC tracing prints the Configure payload, secrets included (the
dynamic-provider server does not accept secrets); so this test logs at ``-v=7``, the most
verbose level at which the engine itself keeps secrets out of its logs.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.engine import PulumiSandbox
from tests.support.secrets import files_containing

pytestmark = pytest.mark.e2e
PROGRAM = Path(__file__).parent / "programs" / "credentials"

# Key-shaped values unique to this test, so a hit cannot come from anywhere else.
API_KEY = "5eed0a1b2c3d4e5f60718293a4b5c6d7"
APP_KEY = "a99f0e1d2c3b4a5968778695a4b3c2d1e0f01234"


def _provider_pickles(deployment: dict[str, Any]) -> list[bytes]:
    found = []
    for resource in deployment.get("resources") or []:
        for props in (resource.get("inputs") or {}, resource.get("outputs") or {}):
            value = props.get("__provider")
            if isinstance(value, str):
                found.append(base64.b64decode(value))
    return found


def test_keys_reach_the_provider_but_not_state_or_logs(pulumi_sandbox: PulumiSandbox) -> None:
    stack = pulumi_sandbox.stack(
        PROGRAM,
        config={"datadog:apiUrl": "http://127.0.0.1:9", "datadog-testing:maxRetries": "2"},
        secrets={"datadog:apiKey": API_KEY, "datadog:appKey": APP_KEY},
    )
    printed: list[str] = []
    up = stack.up(on_output=printed.append, log_verbosity=7, log_to_std_err=True, debug=True)
    assert up.summary.result == "succeeded"
    outputs = {name: value.value for name, value in up.outputs.items()}
    assert outputs == {
        "api_url": "http://127.0.0.1:9",
        "api_key_source": "datadog:apiKey",
        "app_key_source": "datadog:appKey",
        "max_retries": 2,
        "api_key_length": len(API_KEY),
    }

    secrets = (API_KEY, APP_KEY)
    exported = pulumi_sandbox.cli(
        "stack", "export", "--stack", "test", cwd=pulumi_sandbox.root / "program"
    )
    deployment = json.loads(exported.stdout)["deployment"]
    pickles = _provider_pickles(deployment)
    assert pickles, "the state should hold the pickled provider"
    engine_output = "\n".join([*printed, up.stdout, up.stderr])
    assert "Configure" in engine_output  # the verbose engine log was captured
    for secret in secrets:
        assert secret not in exported.stdout
        assert all(secret.encode() not in blob for blob in pickles)
        assert secret not in engine_output
    assert files_containing(pulumi_sandbox.backend_dir, secrets) == []
    assert files_containing(pulumi_sandbox.home, secrets) == []

    preview = stack.preview(expect_no_changes=True, on_output=printed.append)
    assert preview.change_summary == {"same": 2}
    assert stack.destroy(on_output=lambda _: None).summary.result == "succeeded"
