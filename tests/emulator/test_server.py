"""The emulator as a process: persistence across restarts, the two start commands, clean
shutdown on SIGTERM/Ctrl-C, and EmulatorServer's start-up failures."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pulumi_datadog_testing.emulator import EmulatorError, EmulatorServer

from .conftest import (
    FLAKY,
    POLICIES,
    REPO,
    SETTINGS,
    SUITES,
    envelope,
    flaky_search,
    flaky_update,
    settings_get,
    settings_patch,
    suite_body,
)

pytestmark = pytest.mark.emulator

CONSOLE_SCRIPT = Path(sys.executable).parent / "pulumi-datadog-testing"


def test_restart_and_a_new_process_on_the_same_db_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with EmulatorServer(db=db) as emulator:
        api = httpx.Client(base_url=emulator.url, headers=emulator.headers())
        api.patch(SETTINGS, json=settings_patch(code_coverage_enabled=True))
        api.patch(
            POLICIES,
            json=envelope(
                "test_optimization_update_flaky_tests_management_policies_request",
                {"repository_id": REPO, "attempt_to_fix": {"retries": 7}},
            ),
        )
        ids = [t.id for t in emulator.seed_flaky_tests(REPO, 25, seed=2).tests]
        api.patch(FLAKY, json=flaky_update({ids[0]: "disabled"}))
        suite = api.post(SUITES, json=suite_body()).json()["data"]["attributes"]
        emulator.set_org_defaults(early_flake_detection_enabled=True, pr_comments_mode="current")
        emulator.set_faults({"kind": "error", "count": None})
        port = emulator.port

        emulator.restart()
        api = httpx.Client(base_url=emulator.url, headers=emulator.headers())
        assert emulator.port == port
        assert emulator.faults() == []  # faults and the call log live in memory only
        assert emulator.calls() == []
        _assert_state(api, emulator, ids, suite)

    with EmulatorServer(db=db) as fresh:  # another process, other keys, same file
        api = httpx.Client(base_url=fresh.url, headers=fresh.headers())
        _assert_state(api, fresh, ids, suite)
        newer = api.post(SUITES, json=suite_body(name="newer")).json()["data"]["attributes"]
        assert newer["monitor_id"] > suite["monitor_id"]  # the id counter persisted too


def _assert_state(
    api: httpx.Client, emulator: EmulatorServer, ids: list[str], suite: dict[str, object]
) -> None:
    settings = api.post(SETTINGS, json=settings_get()).json()["data"]["attributes"]
    assert settings["code_coverage_enabled"] is True
    assert settings["early_flake_detection_enabled"] is True  # org default kept
    assert emulator.org_defaults().pr_comments_mode == "current"
    policies = api.post(
        POLICIES,
        json=envelope(
            "test_optimization_get_flaky_tests_management_policies_request",
            {"repository_id": REPO},
        ),
    ).json()["data"]["attributes"]
    assert policies["attempt_to_fix"] == {"retries": 7}
    found = api.post(FLAKY, json=flaky_search(limit=100)).json()["data"]
    assert sorted(t["id"] for t in found) == sorted(ids)
    assert {t["id"]: t["attributes"]["flaky_state"] for t in found}[ids[0]] == "disabled"
    assert api.get(f"{SUITES}/{suite['public_id']}").json()["data"]["attributes"] == suite


def _wait_for_port(port_file: Path, proc: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"exited early: {proc.stdout.read() if proc.stdout else ''!r}")
        if port_file.exists() and port_file.read_text():
            port = int(port_file.read_text())
            try:
                httpx.get(f"http://127.0.0.1:{port}/_emulator/health").raise_for_status()
                return port
            except httpx.HTTPError:
                pass
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the emulator did not start")


@pytest.mark.parametrize(
    ("command", "stop"),
    [
        ([sys.executable, "-m", "pulumi_datadog_testing.emulator"], signal.SIGTERM),
        ([str(CONSOLE_SCRIPT), "emulator"], signal.SIGINT),
    ],
    ids=["python-m+SIGTERM", "console-script+Ctrl-C"],
)
def test_start_commands_serve_and_stop_cleanly(
    tmp_path: Path, command: list[str], stop: signal.Signals
) -> None:
    port_file = tmp_path / "port"
    db = tmp_path / "cli.db"
    proc = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", "0", "--api-key", "K1", "--app-key", "K2",
         "--db", str(db), "--bulk-max", "2", "--pr-comments-mode", "current",
         "--port-file", str(port_file)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        port = _wait_for_port(port_file, proc)
        api = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"DD-API-KEY": "K1", "DD-APPLICATION-KEY": "K2"},
        )
        patched = api.patch(SETTINGS, json=settings_patch(pr_comments_enabled=True))
        assert patched.status_code == 200
        assert patched.json()["data"]["attributes"]["pr_comments_enabled"] is False  # current
        too_many = api.patch(FLAKY, json=flaky_update(dict.fromkeys(["a", "b", "c"], "fixed")))
        assert too_many.status_code == 400 and "at most 2 tests" in too_many.text
        wrong = httpx.get(
            f"http://127.0.0.1:{port}{SUITES}/search",
            headers={"DD-API-KEY": "K2", "DD-APPLICATION-KEY": "K1"},
        )
        assert wrong.status_code == 403
        proc.send_signal(stop)
        output, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    log = output.decode()
    assert f"PATCH {SETTINGS} -> 200" in log
    assert f"PATCH {FLAKY} -> 400" in log
    assert "emulator stopped" in log
    assert "K1" not in log and "K2" not in log
    assert db.exists()


def test_console_script_help_lists_the_options() -> None:
    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "emulator", "--help"],
        check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0
    for option in (
        "--host",
        "--port",
        "--api-key",
        "--app-key",
        "--db",
        "--pr-comments-mode",
        "--bulk-max",
    ):
        assert option in result.stdout


def test_non_loopback_host_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pulumi_datadog_testing.emulator", "--host", "0.0.0.0"],
        check=False, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0" in result.stderr


def test_start_failure_reports_the_process_output(tmp_path: Path) -> None:
    server = EmulatorServer(db=tmp_path / "missing-dir" / "state.db")
    with pytest.raises(EmulatorError) as info:
        server.start()
    assert "exited during start-up" in str(info.value)
    assert "unable to open database file" in str(info.value)
    assert not server.running
    server.close()


def test_start_timeout_terminates_the_child(tmp_path: Path) -> None:
    server = EmulatorServer(startup_timeout=0.05)
    with pytest.raises(EmulatorError, match="did not become healthy within 0.05s"):
        server.start()
    assert not server.running
    server.close()


def test_env_and_stop_are_idempotent(tmp_path: Path) -> None:
    server = EmulatorServer(api_key="api-k", app_key="app-k", db=tmp_path / "x.db").start()
    try:
        assert server.env() == {"DD_HOST": server.url, "DD_API_KEY": "api-k", "DD_APP_KEY": "app-k"}
        assert server.url.startswith("http://127.0.0.1:")
    finally:
        server.stop()
        server.stop()
    assert not server.running
    assert (tmp_path / "x.db").exists()  # a caller-given db file is never deleted
    server.close()
    assert (tmp_path / "x.db").exists()


def test_provider_and_harness_imports_need_no_server_dependencies() -> None:
    code = (
        "import sys, pulumi_datadog_testing, pulumi_datadog_testing.emulator as e;"
        "e.EmulatorServer; import pulumi_datadog_testing.emulator.admin_models;"
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'starlette') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_detach_leaves_the_emulator_running(tmp_path: Path) -> None:
    server = EmulatorServer(db=tmp_path / "kept.db", log_file=tmp_path / "kept.log").start()
    url = server.url
    pid = server.detach()
    server.close()  # no longer stops it, and spares its files
    try:
        assert httpx.get(f"{url}/_emulator/health").status_code == 200
        assert (tmp_path / "kept.log").exists()
    finally:
        os.kill(pid, signal.SIGTERM)
        with contextlib.suppress(ChildProcessError):  # already reaped by subprocess
            os.waitpid(pid, 0)
    with pytest.raises(EmulatorError, match="not running"):
        server.detach()
