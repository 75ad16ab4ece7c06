"""Locate the project's Pulumi engine and build isolated, offline Pulumi sandboxes for tests.

Under ``CI=true`` a missing engine is a test *failure* (never a skip): a skipped e2e suite is
a silent hole. Locally, tests that need the engine skip with the command to run instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(os.environ.get("PDT_VENV", ROOT / ".venv")) / "bin"
PASSPHRASE = "pulumi-datadog-testing-tests"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, what: str, fix: str) -> None:
    """Fail under CI, skip locally, when a real part (engine, emulator) is missing."""
    if condition:
        return
    message = f"{what} is missing: {fix}"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def find_engine_bin() -> Path | None:
    """The directory holding pulumi + the Python plugins, or None if not installed."""
    explicit = os.environ.get("PDT_ENGINE_BIN")
    if explicit:
        path = Path(explicit)
        return path if (path / "pulumi").exists() else None
    script = ROOT / "scripts" / "install-pulumi"
    if subprocess.run([str(script), "--check"], capture_output=True, check=False).returncode != 0:
        return None
    out = subprocess.run([str(script), "--print-dir"], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def find_language_hosts() -> Path | None:
    """The directory holding the Node.js and YAML language hosts, or None if not built
    (``scripts/install-pulumi --language-hosts``)."""
    script = ROOT / "scripts" / "install-pulumi"
    out = subprocess.run(
        [str(script), "--language-hosts-dir"], capture_output=True, text=True, check=True
    )
    path = Path(out.stdout.strip())
    found = all((path / f"pulumi-language-{lang}").exists() for lang in ("nodejs", "yaml"))
    return path if found else None


@dataclass
class PulumiSandbox:
    """An isolated PULUMI_HOME + file:// backend + offline env for one test."""

    engine_bin: Path
    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def home(self) -> Path:
        return self.root / "pulumi-home"

    @property
    def backend_dir(self) -> Path:
        return self.root / "state"

    def env(self) -> dict[str, str]:
        self.home.mkdir(parents=True, exist_ok=True)
        self.backend_dir.mkdir(parents=True, exist_ok=True)
        hosts = find_language_hosts()
        path = os.pathsep.join(
            [str(VENV_BIN), str(self.engine_bin), os.environ.get("PATH", "")]
            + ([str(hosts)] if hosts else [])
        )
        env = {
            "PATH": path,
            "PULUMI_HOME": str(self.home),
            "PULUMI_BACKEND_URL": f"file://{self.backend_dir}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_PYTHON_CMD": str(VENV_BIN / "python"),
        }
        env.update(self.extra_env)
        return env

    def command(self) -> Any:
        from pulumi import automation as auto

        return auto.PulumiCommand(root=str(self.engine_bin.parent), skip_version_check=False)

    def stack(
        self,
        program_dir: Path,
        stack_name: str = "test",
        config: dict[str, Any] | None = None,
        secrets: dict[str, str] | None = None,
    ) -> Any:
        """Create or select a stack for the local program in ``program_dir`` (copied into the
        sandbox so tests never write into the repository)."""
        from pulumi import automation as auto

        work_dir = self.root / "program"
        if not work_dir.exists():
            shutil.copytree(program_dir, work_dir)
        os.environ.update({k: v for k, v in self.env().items() if k == "PULUMI_CONFIG_PASSPHRASE"})
        ws = auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            pulumi_home=str(self.home),
            env_vars=self.env(),
            pulumi_command=self.command(),
        )
        stack = auto.create_or_select_stack(stack_name, work_dir=str(work_dir), opts=ws)
        for key, value in (config or {}).items():
            stack.set_config(key, auto.ConfigValue(value=str(value)))
        for key, value in (secrets or {}).items():
            stack.set_config(key, auto.ConfigValue(value=value, secret=True))
        return stack

    def cli(self, *args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the real ``pulumi`` binary directly with the sandbox env."""
        env = {**os.environ, **self.env()}
        return subprocess.run(
            [str(self.engine_bin / "pulumi"), *args, "--non-interactive"],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=check,
            timeout=600,
        )
