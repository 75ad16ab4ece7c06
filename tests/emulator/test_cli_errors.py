"""The emulator's command line refuses to start with one line saying what to do and a
nonzero exit: port in use, a bad ``--db`` path, a corrupt, foreign or locked database."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulumi_datadog_testing.emulator.server import DEFAULT_PORT
from pulumi_datadog_testing.emulator.store import Store

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(120)]

MODULE = [sys.executable, "-m", "pulumi_datadog_testing.emulator"]
CONSOLE = shutil.which("pulumi-datadog-testing", path=str(Path(sys.executable).parent))


def start(*args: str, console: bool = False) -> subprocess.CompletedProcess[str]:
    """Run the CLI expecting it to refuse to start (a start would hit the timeout)."""
    command = [CONSOLE, "emulator"] if console and CONSOLE else MODULE
    return subprocess.run(
        [*command, "--quiet", *args], capture_output=True, text=True, timeout=60, check=False
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    [line] = lines
    assert line.startswith("emulator: error: ")
    for needle in needles:
        assert needle in line, line
    return line


@pytest.fixture
def listener() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


@pytest.mark.parametrize("console", [False, True], ids=["python -m", "console script"])
def test_port_in_use(listener: int, console: bool) -> None:
    line = assert_one_line_error(
        start("--port", str(listener), console=console), f"port {listener}", "already in use"
    )
    assert "--port" in line


def test_database_in_a_missing_folder(tmp_path: Path) -> None:
    line = assert_one_line_error(start("--port", "0", "--db", str(tmp_path / "no" / "x.db")))
    assert "cannot be created or written" in line and "--db" in line


def test_database_path_is_a_folder(tmp_path: Path) -> None:
    assert_one_line_error(start("--port", "0", "--db", str(tmp_path)), "--db")


def test_not_an_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("just some text, not a database\n" * 50)
    line = assert_one_line_error(start("--port", "0", "--db", str(db)), "not an SQLite database")
    assert "move it aside" in line
    assert db.read_text().startswith("just some text")  # left as it was


def test_corrupt_database(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite"
    store = Store(str(db))
    store.put_flaky_tests(
        {"id": f"t{i}", "repository_id": "r", "name": "x" * 200} for i in range(300)
    )
    store.close()
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    data[3 * 4096 : 3 * 4096 + 3000] = b"\xff" * 3000  # damage a b-tree page
    db.write_bytes(bytes(data))
    assert_one_line_error(start("--port", "0", "--db", str(db)), "corrupt", "--db")


def test_database_locked_by_another_process(tmp_path: Path) -> None:
    db = tmp_path / "state.sqlite"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE held (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert_one_line_error(start("--port", "0", "--db", str(db)), "locked", "--db")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_non_loopback_host_is_refused_with_the_way_out() -> None:
    result = start("--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 2
    assert_one_line_error(result, "--allow-non-loopback")


def test_default_port_is_no_datadog_agent_port() -> None:
    """8125 DogStatsD, 8126 APM, 5000-5012 Agent endpoints, 6062/6162 process agent,
    4317/4318 OTLP, 8080/8000/8443 common web and cluster-agent ports, 10516-10518 logs."""
    taken = {8125, 8126, *range(5000, 5013), 6062, 6162, 4317, 4318, 8080, 8000, 8443}
    taken |= {10516, 10517, 10518, 17123, 17124, 5005, 9162}
    assert DEFAULT_PORT not in taken
    help_text = subprocess.run(
        [*MODULE, "--help"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert f"default {DEFAULT_PORT}" in help_text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--port", "99999"), "argument --port: expected a port 0-65535"),
        (("--port", "-1"), "argument --port: expected a port 0-65535"),
        (("--rate-limit", "-1"), "argument --rate-limit: expected a whole number >= 1"),
        (("--rate-limit", "0"), "argument --rate-limit: expected a whole number >= 1"),
        (("--rate-limit-period", "0"), "argument --rate-limit-period: expected a whole number"),
        (("--bulk-max", "0"), "expected a whole number >= 1"),
    ],
)
def test_out_of_range_numbers_are_usage_errors(args: tuple[str, ...], needle: str) -> None:
    # --port 99999 used to end in an OverflowError traceback from bind(), --rate-limit -1 in a
    # pydantic traceback, and --rate-limit 0 silently meant the default budget.
    result = start(*args)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr, result.stderr
    assert needle in result.stderr.strip().splitlines()[-1], result.stderr
