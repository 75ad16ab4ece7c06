"""``pulumi-datadog-testing policy-pack``: the ready pack materialised in the cache, and
``--init`` starter packs. (Through the real CLI: tests/e2e/test_policy_pack*.py.)"""

from __future__ import annotations

import ast
import os
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from pulumi_datadog_testing import __version__
from pulumi_datadog_testing.cli import main
from pulumi_datadog_testing.policy.pack import (
    CACHE_ENV,
    LAUNCHER,
    PackFolderError,
    materialise_ready_pack,
    ready_pack_files,
    starter_pack_files,
    write_starter_pack,
)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_prints_the_launcher_of_a_pack_written_to_the_cache(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["policy-pack"]) == 0
    launcher = Path(capsys.readouterr().out.strip())
    folder = launcher.parent
    assert launcher.name == LAUNCHER and os.access(launcher, os.X_OK)
    assert folder.parent == cache / "policy-pack" / __version__
    venv = sys.prefix if sys.prefix != sys.base_prefix else None
    for name, file in ready_pack_files(sys.executable, venv).items():
        assert (folder / name).read_text() == file.text
    # the launcher runs the pack with the Python that has the package (this one), quoted
    assert f"exec {sys.executable} -u -m pulumi.policy" in launcher.read_text()
    assert main(["policy-pack", "--folder"]) == 0
    assert Path(capsys.readouterr().out.strip()) == folder


def test_the_folder_names_this_virtualenv_for_an_official_language_host(cache: Path) -> None:
    project = yaml.safe_load((materialise_ready_pack() / "PulumiPolicy.yaml").read_text())
    if sys.prefix != sys.base_prefix:
        assert project["runtime"] == {"name": "python", "options": {"virtualenv": sys.prefix}}
    else:
        assert project["runtime"] == "python"
    assert project["version"] == __version__


def test_materialising_is_idempotent_and_repairs_a_damaged_pack(cache: Path) -> None:
    folder = materialise_ready_pack()
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    assert materialise_ready_pack() == folder
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before  # untouched
    (folder / "__main__.py").write_text("broken")
    (folder / LAUNCHER).chmod(0o644)
    materialise_ready_pack()
    expected = ready_pack_files(sys.executable, None)
    assert (folder / "__main__.py").read_text() == expected["__main__.py"].text
    assert os.access(folder / LAUNCHER, os.X_OK)


def test_each_python_gets_its_own_pack(cache: Path) -> None:
    mine = materialise_ready_pack()
    other = materialise_ready_pack(python="/opt/other venv/bin/python")
    assert mine != other and mine.parent == other.parent
    assert "exec '/opt/other venv/bin/python' -u" in (other / LAUNCHER).read_text()


def test_concurrent_calls_all_get_a_complete_pack(cache: Path) -> None:
    """Four processes materialising at once: every one prints the same path, the files are
    complete and no temporary file is left behind."""
    command = [sys.executable, "-m", "pulumi_datadog_testing.cli", "policy-pack"]
    env = {**os.environ, CACHE_ENV: str(cache)}
    processes = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0] * 4, outputs
    [launcher] = {out.strip() for out, _ in outputs}
    folder = Path(launcher).parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(ready_pack_files())


def test_concurrent_threads_never_see_a_partial_file(cache: Path) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                folder = materialise_ready_pack()
                assert (folder / LAUNCHER).read_text().startswith("#!/bin/sh\n")
        except (AssertionError, OSError) as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def test_an_unwritable_cache_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv(CACHE_ENV, str(blocker))
    assert main(["policy-pack"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"policy-pack: cannot write the policy pack to {blocker}/policy-pack/")
    assert CACHE_ENV in err and "Traceback" not in err


def test_init_writes_a_starter_pack_that_composes_the_library(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "acme guardrails"
    assert main(["policy-pack", "--init", str(target)]) == 0
    out = capsys.readouterr().out
    (command,) = [line for line in out.splitlines() if line.startswith("run it: ")]
    # the path has a space: the printed command must still paste into a shell as one argument
    assert shlex.split(command.removeprefix("run it: ")) == [
        "pulumi",
        "preview",
        "--policy-pack",
        str(target / LAUNCHER),
    ]
    files = sorted(p.name for p in target.iterdir())
    assert files == sorted(starter_pack_files("x"))
    main_py = (target / "__main__.py").read_text()
    ast.parse(main_py)
    assert 'name="acme-guardrails"' in main_py
    assert "all_policies()" in main_py and "initial_config=" in main_py
    assert os.access(target / LAUNCHER, os.X_OK)
    project = yaml.safe_load((target / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == "python"  # no machine-specific path in a file for a repo
    assert f"pulumi-datadog-testing=={__version__}" in (target / "requirements.txt").read_text()


def test_init_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "pack"
    target.mkdir()
    (target / "__main__.py").write_text("# mine\n")
    (target / "notes.txt").write_text("keep me\n")
    assert main(["policy-pack", "--init", str(target)]) == 1
    assert "already has __main__.py; pass --force" in capsys.readouterr().err
    assert (target / "__main__.py").read_text() == "# mine\n"
    assert sorted(p.name for p in target.iterdir()) == ["__main__.py", "notes.txt"]
    assert main(["policy-pack", "--init", str(target), "--force", "--name", "acme"]) == 0
    assert 'name="acme"' in (target / "__main__.py").read_text()
    assert (target / "notes.txt").read_text() == "keep me\n"


def test_init_rejects_a_name_the_engine_would_reject(tmp_path: Path) -> None:
    with pytest.raises(PackFolderError, match="pack name 'acme guard' is not valid"):
        write_starter_pack(tmp_path / "p", name="acme guard")
    assert not (tmp_path / "p").exists()


def test_name_and_force_need_init(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy-pack", "--force"]) == 2
    assert "only apply with --init" in capsys.readouterr().err


def test_the_starter_configs_are_valid_for_the_library() -> None:
    """Its initial_config and example config name real policies and keys (a typo would make
    the policy raise at run time)."""
    from pulumi_datadog_testing.policy import CONFIG_MODELS
    from pulumi_datadog_testing.policy._config import load_config
    from pulumi_datadog_testing.policy.pack import STARTER_EXAMPLE_CONFIG, STARTER_INITIAL_CONFIG

    for config in (STARTER_INITIAL_CONFIG, STARTER_EXAMPLE_CONFIG):
        for name, value in config.items():
            assert isinstance(value, dict)
            keys = {k: v for k, v in value.items() if k != "enforcementLevel"}
            load_config(CONFIG_MODELS[name], name, keys)
    assert all("enforcementLevel" not in v for v in STARTER_INITIAL_CONFIG.values())
