"""``pulumi-datadog-testing generate`` in-process against the emulator: what it reads (and
that it never writes), the options, the files it writes and refuses to overwrite, errors."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

from pulumi_datadog_testing import cli
from pulumi_datadog_testing.emulator import EmulatorServer
from tests.support.brownfield import (
    FLAKY,
    SETTINGS,
    SHOP,
    SUITES,
    WEB,
    Brownfield,
    seed_brownfield,
    writes,
)

pytestmark = pytest.mark.emulator


@pytest.fixture
def brownfield(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Brownfield:
    for name in ("DD_SITE", "DATADOG_HOST", "DATADOG_API_KEY", "DATADOG_APP_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    return seed_brownfield(emulator)


def generate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(["generate", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_prints_the_program_reading_only_with_bounded_calls(
    brownfield: Brownfield, emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = generate(capsys, "--repository", SHOP, "--repository", WEB)
    assert status == 0, err
    ast.parse(out)
    calls = Counter((c.method, c.path) for c in emulator.calls())
    assert writes(emulator) == []
    # one search page per repository, services x (envs + none) gets, one policies get each,
    # one suites search page and one GET per suite
    assert calls[("POST", FLAKY)] == 2
    assert calls[("POST", SETTINGS)] == 3 * 3 + 1 * 2
    assert calls[("GET", f"{SUITES}/search")] == 1
    assert sum(n for (m, p), n in calls.items() if m == "GET" and p != f"{SUITES}/search") == 2
    assert "github.com/acme/shop: 125 flaky tests read, 5 not active" in err
    assert (
        "left out (settings exist but override nothing): github.com/acme/shop::payments::staging"
        in err
    )
    assert "2 SyntheticsSuite" in err
    assert (
        'service_name="checkout",\n    env="staging",\n    auto_test_retries_enabled=True,' in out
    )
    # the repository default (code coverage on) is inherited, so never declared
    assert out.count("code_coverage_enabled") == 1
    for public_id in brownfield.suite_ids:
        assert f'public_id="{public_id}"' in out


def test_explicit_services_envs_and_suite_query(
    brownfield: Brownfield, emulator: EmulatorServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = generate(
        capsys, "--repository", SHOP, "--service", "checkout", "--env", "ci",
        "--suites", "tag:team:search",
    )  # fmt: skip
    assert status == 0
    assert [c.path for c in emulator.calls()].count(SETTINGS) == 1
    assert out.count("ServiceSettings(") == 1 and 'env="ci"' in out
    assert out.count("SyntheticsSuite(") == 1 and "Search smoke" in out

    status, out, _ = generate(capsys, "--repository", SHOP, "--no-suites")
    assert status == 0 and "SyntheticsSuite" not in out


def test_out_writes_program_and_project_and_never_overwrites_without_force(
    brownfield: Brownfield, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "adopted"
    status, out, err = generate(capsys, "--repository", WEB, "--no-suites", "--out", str(target))
    assert status == 0 and out == ""
    program = (target / "__main__.py").read_text()
    assert "FlakyTestStates(" in program
    assert (target / "Pulumi.yaml").read_text().startswith("name: adopted\n")

    (target / "Pulumi.yaml").write_text("name: mine\nruntime: python\n")
    (target / "__main__.py").write_text("# my edits\n")
    status, _, err = generate(capsys, "--repository", WEB, "--out", str(target))
    assert status == 1 and "__main__.py exists; pass --force" in err
    assert (target / "__main__.py").read_text() == "# my edits\n"

    status, _, _ = generate(capsys, "--repository", WEB, "--out", str(target), "--force")
    assert status == 0
    assert (target / "__main__.py").read_text() != "# my edits\n"
    assert (target / "Pulumi.yaml").read_text() == "name: mine\nruntime: python\n"


def test_a_repository_with_nothing_found_is_a_clear_error(
    brownfield: Brownfield, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status, out, err = generate(
        capsys, "--repository", "github.com/acme/typo", "--out", str(tmp_path / "p")
    )
    assert status == 1 and out == ""
    assert "repository 'github.com/acme/typo': the flaky-test search found no tests" in err
    assert not (tmp_path / "p").exists()

    status, _, err = generate(capsys, "--repository", "github.com/acme/typo", "--service", "x")
    assert status == 1
    assert "no flaky tests and no service settings found for services x in envs none" in err


def test_missing_credentials_and_bad_options(
    brownfield: Brownfield, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    status, _, err = generate(capsys, "--repository", " ")
    assert status == 2 and "--repository must not be empty" in err
    status, _, err = generate(capsys, "--repository", SHOP, "--suites", "")
    assert status == 2 and "--no-suites" in err
    monkeypatch.delenv("DD_API_KEY")
    status, _, err = generate(capsys, "--repository", SHOP)
    assert status == 2 and "Datadog credentials are missing" in err and "DD_API_KEY" in err
