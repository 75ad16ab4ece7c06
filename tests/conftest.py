"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.engine import PulumiSandbox, find_engine_bin, require


@pytest.fixture(scope="session")
def engine_bin() -> Path:
    """The cached Pulumi engine; fails under CI=true when it is not installed."""
    found = find_engine_bin()
    require(found is not None, "the Pulumi engine", "run scripts/setup (or scripts/install-pulumi)")
    assert found is not None
    return found


@pytest.fixture
def pulumi_sandbox(engine_bin: Path, tmp_path: Path) -> Iterator[PulumiSandbox]:
    """An isolated PULUMI_HOME and file:// backend for one test."""
    yield PulumiSandbox(engine_bin=engine_bin, root=tmp_path)


from tests.support.emulator import emulator, emulator_server  # noqa: F401  (fixtures)
