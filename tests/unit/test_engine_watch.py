"""A provider process ends when the engine reading its stdout is gone (``engine_watch``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pulumi_datadog_testing.engine_watch import (
    ENGINE_GONE_EXIT_CODE,
    exit_when_engine_exits,
    is_dynamic_provider_process,
)

# A stand-in plugin: starts the watch, says so on its stdout (the pipe the "engine" reads),
# then stays busy the way a provider waiting on a held request does.
PLUGIN = """
import sys, time
from pulumi_datadog_testing.engine_watch import exit_when_engine_exits
print("watching" if exit_when_engine_exits() else "not watching", flush=True)
time.sleep(60)
sys.exit(0)
"""


@contextmanager
def watching_plugin() -> Iterator[subprocess.Popen[bytes]]:
    """The stand-in plugin, its stdout a pipe this test reads (the engine's end), once it
    said it watches; killed afterwards if still running."""
    plugin = subprocess.Popen(
        [sys.executable, "-c", PLUGIN], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    try:
        assert plugin.stdout is not None
        assert plugin.stdout.readline().strip() == b"watching"
        yield plugin
    finally:
        if plugin.poll() is None:
            plugin.kill()
        plugin.wait()


def test_a_plugin_exits_once_its_engine_stops_reading() -> None:
    with watching_plugin() as plugin:
        assert plugin.stdout is not None
        plugin.stdout.close()  # what the engine's death does to the pipe
        assert plugin.wait(timeout=30) == ENGINE_GONE_EXIT_CODE


def test_a_plugin_keeps_running_while_its_engine_reads() -> None:
    with watching_plugin() as plugin, pytest.raises(subprocess.TimeoutExpired):
        plugin.wait(timeout=1)


def test_no_watch_unless_stdout_is_a_pipe(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with out.open("wb") as sink:
        subprocess.run(
            [sys.executable, "-c", PLUGIN.replace("time.sleep(60)", "")],
            stdout=sink,
            check=True,
            timeout=60,
        )
    assert out.read_text().strip() == "not watching"
    with out.open("wb") as sink:
        assert exit_when_engine_exits(sink.fileno()) is False


def test_only_the_dynamic_provider_process_counts_as_one() -> None:
    assert is_dynamic_provider_process() is False  # pytest's process
