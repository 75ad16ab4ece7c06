"""The policy pack as a user gets it: a Pulumi project OUTSIDE the repository whose Python has
only the built wheel installed (no checkout, no editable install, no PULUMI_PYTHON_CMD into
the project venv), driven through the real CLI against the emulator.

- the ready pack printed by `pulumi-datadog-testing policy-pack` fails preview on a mandatory
  violation, also with a config file that only tunes thresholds;
- an expired quarantine fails preview;
- a starter pack written by `--init` enforces mandatory violations, including the policy its
  own initial_config tunes without naming a level.

The wheel is built from a copy of the sources and installed into a fresh venv once per test
session (``installed`` fixture).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pulumi import automation as auto

from tests.support.emulator import emulator_stack
from tests.support.engine import ROOT, VENV_BIN, PulumiSandbox

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer

pytestmark = pytest.mark.e2e

REPO = "github.com/acme/installed"
INSTALL_TIMEOUT = 600

PROGRAM = '''"""A user's program: pulumi-datadog-testing from the installed wheel."""

import pulumi

import pulumi_datadog_testing
from pulumi_datadog_testing import FlakyTestStates, ServiceSettings

config = pulumi.Config()
case = config.require("case")
pulumi.export("package_file", pulumi_datadog_testing.__file__)
if case == "settings":  # required-service-settings: prod without early flake detection
    ServiceSettings(
        "checkout-prod",
        repository_id="github.com/acme/installed",
        service_name="checkout",
        env="prod",
        auto_test_retries_enabled=True,
        early_flake_detection_enabled=False,
    )
if case == "expired":  # flaky-quarantine-expiry: the quarantine lapsed
    FlakyTestStates(
        "cart",
        repository_id="github.com/acme/installed",
        reason="CART-1",
        states={
            config.require("test"): {
                "state": "quarantined",
                "expires": "2026-01-31",
                "owner": "@acme/cart",
            }
        },
    )
'''


@dataclass(frozen=True)
class Installed:
    """A fresh venv with only the wheel (and its dependencies) installed."""

    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self, engine_bin: Path, cache: Path) -> dict[str, str]:
        """PATH with this venv first and the repository's venv removed."""
        rest = [
            p for p in os.environ.get("PATH", "").split(os.pathsep) if p and Path(p) != VENV_BIN
        ]
        return {
            "PATH": os.pathsep.join([str(self.bin), str(engine_bin), *rest]),
            "PULUMI_PYTHON_CMD": str(self.bin / "python"),
            "PULUMI_DATADOG_TESTING_CACHE_DIR": str(cache),
        }

    def command(self, *args: str, env: dict[str, str]) -> str:
        done = subprocess.run(
            [str(self.bin / "pulumi-datadog-testing"), *args],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def _run(*command: str | Path, cwd: Path | None = None) -> None:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}{done.stderr[-3000:]}"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """Build the wheel from a copy of the sources (the checkout is never written), install it
    into a fresh venv: once per session."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    shutil.copytree(ROOT / "provider", source / "provider", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    dist = work / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source)
    [wheel] = dist.glob("pulumi_datadog_testing-*.whl")
    venv = work / "venv"
    _run(sys.executable, "-m", "venv", venv)
    _run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel)
    yield Installed(venv)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The user's Pulumi project, in a temporary directory outside the repository."""
    folder = tmp_path / "user-project"
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text("name: installed-guardrails\nruntime: python\n")
    (folder / "__main__.py").write_text(PROGRAM)
    assert ROOT not in folder.parents
    return folder


def _failed_preview(stack: Any, pack: str, configs: list[str] | None = None) -> str:
    with pytest.raises(auto.CommandError) as failed:
        stack.preview(policy_packs=[pack], policy_pack_configs=configs or [], on_output=print)
    text = str(failed.value)
    assert "unhandled exception" not in text  # a policy failed the preview, not the program
    return text


def test_the_installed_ready_pack_and_a_starter_pack_enforce_mandatory_policies(
    installed: Installed,
    engine_bin: Path,
    project: Path,
    tmp_path: Path,
    emulator: EmulatorServer,
) -> None:
    env = installed.env(engine_bin, tmp_path / "cache")
    sandbox = PulumiSandbox(engine_bin=engine_bin, root=tmp_path / "sandbox", extra_env=env)
    test_id = emulator.seed_flaky_tests(REPO, 2, seed=3).tests[0].id

    ready = installed.command("policy-pack", env=env).strip()
    assert Path(ready).is_relative_to(tmp_path / "cache") and os.access(ready, os.X_OK)
    assert f"exec {installed.bin / 'python'} " in Path(ready).read_text()

    # the program runs with the installed package, not the checkout
    stack = emulator_stack(sandbox, emulator, project, config={"installed-guardrails:case": "none"})
    up = stack.up(policy_packs=[ready], on_output=print)
    assert up.outputs["package_file"].value.startswith(str(installed.venv))

    # ready pack: a mandatory violation fails preview, also with threshold-only config
    stack.set_config("installed-guardrails:case", auto.ConfigValue(value="settings"))
    assert "[mandatory]  required-service-settings" in _failed_preview(stack, ready)
    config = tmp_path / "thresholds.json"
    config.write_text(
        json.dumps(
            {
                "required-service-settings": {
                    "required": {"prod": {"early_flake_detection_enabled": True}}
                },
                "flaky-quarantine-expiry": {"warn_days": 30},
            }
        )
    )
    text = _failed_preview(stack, ready, [str(config)])
    assert "[mandatory]  required-service-settings" in text
    assert "[advisory]  required-service-settings" not in text

    # an expired quarantine fails preview
    stack.set_config("installed-guardrails:case", auto.ConfigValue(value="expired"))
    stack.set_config("installed-guardrails:test", auto.ConfigValue(value=test_id))
    text = _failed_preview(stack, ready, [str(config)])
    assert "[mandatory]  flaky-quarantine-expiry" in text
    assert f"'{test_id}' (quarantined, expired 2026-01-31" in text

    # a starter pack of the team's own: its initial_config tunes flaky-quarantine-expiry's
    # warn_days only, so the policy stays mandatory
    starter = tmp_path / "acme-guardrails"
    out = installed.command("policy-pack", "--init", str(starter), env=env)
    assert f"--policy-pack {starter / 'run'}" in out
    assert '"flaky-quarantine-expiry": {' in (starter / "__main__.py").read_text()
    text = _failed_preview(stack, str(starter / "run"))
    assert "[mandatory]  flaky-quarantine-expiry" in text
    assert "acme-guardrails" in text
    stack.set_config("installed-guardrails:case", auto.ConfigValue(value="settings"))
    assert "[mandatory]  required-service-settings" in _failed_preview(stack, str(starter / "run"))
