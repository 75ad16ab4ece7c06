"""tests/support/provider_imports.py sees every module a dynamic-provider process loads, however
it is imported, and says what ran when a check finds no provider process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.provider_imports import ProviderImports, provider_imports

STATES = "pulumi_datadog_testing.resources.flaky_test_states"

# What the provider of PriorValues does in a ledger's check before the owner's provider is
# unpickled (the order the engine's calls sometimes reach the provider process in): the owner's
# module loads through importlib.import_module, which raises no "import" audit event.
LEDGER_FIRST = f"""
import pickle
from pulumi_datadog_testing.resources.prior_values import spec_of
spec_of("FlakyTestStates")
import {STATES} as states
pickle.loads(pickle.dumps(states.FlakyTestStatesProvider()))
import csv
"""


def run(script: Path, body: str) -> None:
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(body)
    subprocess.run([sys.executable, str(script)], check=True, timeout=60)


def test_a_module_loaded_through_importlib_is_seen(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # argv[0] under pulumi/dynamic/ marks a provider process, as the provider's __main__.py
    provider = tmp_path / "site-packages" / "pulumi" / "dynamic" / "probe.py"
    other = tmp_path / "program" / "__main__.py"
    with provider_imports(monkeypatch, tmp_path) as loaded:
        run(provider, LEDGER_FIRST)
        run(other, "import fractions\n")
    modules = loaded.importing(STATES)
    assert {"pulumi_datadog_testing.resources.prior_values", "csv"} <= modules
    assert len(loaded.loaded) == 1  # the other process is no provider: nothing logged
    assert not any("fractions" in m for m in loaded.loaded.values())


def test_no_provider_process_says_what_ran(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with provider_imports(monkeypatch, tmp_path) as loaded:
        run(tmp_path / "program" / "__main__.py", "import fractions\n")
    with pytest.raises(AssertionError) as failed:
        loaded.importing(STATES)
    message = str(failed.value)
    assert f"0 dynamic-provider processes imported {STATES}, expected 1" in message
    assert "program/__main__.py" in message and "provider imports logged: 0" in message
    assert "exited" in message


def test_no_log_at_all_is_said(tmp_path: Path) -> None:
    seen = ProviderImports(log=tmp_path / "imports.log")
    seen.read()
    with pytest.raises(AssertionError, match="no process logged anything"):
        seen.importing(STATES)
