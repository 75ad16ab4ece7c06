"""Secrets under faults: with the keys in ``DD_API_KEY``/``DD_APP_KEY`` (the way CI passes
them), the API and application keys never appear in the exported state, the files of the
backend and PULUMI_HOME, the engine's most verbose logs (``-v=9``), the error messages of a
failed update, the emulator's call log bodies or its request log — neither on a clean run,
nor on one that fails (5xx past the retry budget), nor when a key is wrong (403).

(With the keys as ``datadog:`` stack *secrets* the engine's own ``-v=9`` RPC tracing prints
the decrypted config it hands to the provider; that is the engine's behaviour, covered at
``-v=7`` by ``tests/e2e/test_credentials_not_in_state.py`` and documented in
docs/reliability.md: log at ``-v=9`` only with the keys in the environment.)
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.faults._harness import (
    REPOSITORY,
    SETTINGS_PATH,
    FaultStack,
    retry_config,
    seed_tests,
    spec,
    suite,
)
from tests.support.engine import PulumiSandbox
from tests.support.secrets import files_containing

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.emulator]

VERBOSE = {"log_verbosity": 9, "log_to_std_err": True, "debug": True}
WRONG_KEY = "0badc0ffee0badc0ffee0badc0ffee00"


def _program(test_id: str) -> list[dict[str, Any]]:
    return [
        spec("ServiceSettings", "settings", repository_id=REPOSITORY, service_name="checkout",
             env="prod", early_flake_detection_enabled=True),
        spec("FlakyTestState", "state", repository_id=REPOSITORY, test_id=test_id,
             state="quarantined", reason="FLAKY-7"),
        spec("FlakyTestPolicies", "policies", repository_id=REPOSITORY,
             attempt_to_fix={"retries": 2}),
        suite("suite", "Checkout", "abc-def-001", tags=["team:shop"]),
    ]  # fmt: skip


def _assert_nowhere(
    stack: FaultStack, emulator: Any, printed: str, secrets: tuple[str, ...]
) -> None:
    exported = json.dumps(stack.deployment())
    call_bodies = json.dumps([c.model_dump(mode="json") for c in emulator.calls()])
    places = {
        "the exported state": exported,
        "what the CLI printed": printed,
        "the emulator's call log": call_bodies,
        "the emulator's request log": emulator.logs(),
    }
    for where, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a key ({secret[:4]}...) appears in {where}"
    assert files_containing(stack.sandbox.backend_dir, secrets) == []
    assert files_containing(stack.sandbox.home, secrets) == []


def test_keys_stay_out_of_state_logs_errors_and_call_log(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    seeded = seed_tests(emulator, 2)
    secrets = (emulator.api_key, emulator.app_key)
    stack = FaultStack(
        pulumi_sandbox, emulator, keys_from_env=True,
        config=retry_config(max_retries=1, retry_timeout=5),
    )  # fmt: skip
    stack.declare(_program(seeded.ids[0]))

    # 1. A failing update: every settings PATCH answers 500 past the retry budget.
    emulator.set_faults({"kind": "error", "method": "PATCH", "path": SETTINGS_PATH,
                         "status": 500, "count": None})  # fmt: skip
    ok, failure = stack.try_up(**VERBOSE)
    assert not ok, "the update should fail while every settings PATCH answers 500"
    assert "500" in failure and "settings" in failure.lower(), failure
    assert "Configure" in failure  # the -v=9 engine log was captured
    emulator.clear_faults()

    # 2. A clean run at -v=9 converges.
    done = stack.up(**VERBOSE)
    assert done.summary.result == "succeeded"
    printed = "\n".join([failure, "".join(stack.output), done.stdout, done.stderr])
    assert len(emulator.calls()) > 0
    _assert_nowhere(stack, emulator, printed, secrets)

    # 3. A wrong key: 403, and the error names the problem but not the key.
    stack.stack.workspace.env_vars["DD_API_KEY"] = WRONG_KEY
    stack.declare([*_program(seeded.ids[0]), suite("other", "Search", "abc-def-002")])
    ok, denied = stack.try_up(**VERBOSE)
    assert not ok, "an update with a wrong API key should fail"
    assert "403" in denied, denied
    _assert_nowhere(stack, emulator, denied, (*secrets, WRONG_KEY))
