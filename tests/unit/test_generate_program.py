"""``generate``: resource names, literals and the emitted program, checked by running the
program under Pulumi's mock runtime (what it declares is what the snapshot holds)."""

from __future__ import annotations

import ast
import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from pulumi_datadog_testing import type_tokens
from pulumi_datadog_testing.generate import (
    AdoptedSuite,
    FoundRepository,
    FoundServiceSettings,
    FoundTest,
    NameBook,
    OrgSnapshot,
    format_source,
    formatting,
    render_program,
    slug,
)
from pulumi_datadog_testing.generate.naming import repository_labels
from pulumi_datadog_testing.generate.program import adopted_reason, literal

pytestmark = pytest.mark.usefixtures("event_loop_of_its_own")

REPO = "github.com/acme/shop"
POLICIES = {
    "attempt_to_fix": {"retries": 3},
    "quarantined": {
        "enabled": True,
        "failure_rate_rule": {"enabled": True, "branches": ["main"], "min_runs": 10,
                              "threshold": 0.5},
    },
}  # fmt: skip


def settings(service: str, env: str, **overridden: bool) -> FoundServiceSettings:
    return FoundServiceSettings(
        repository_id=REPO, service_name=service, env=env, overridden=overridden
    )


def repository(**changes: Any) -> FoundRepository:
    fields: dict[str, Any] = {
        "repository_id": REPO,
        "tests_read": 40,
        "services": ["checkout", "search"],
        "envs": ["none", "prod"],
        "settings": [
            settings("checkout", "prod", early_flake_detection_enabled=True),
            settings("checkout", "none", code_coverage_enabled=False),
            settings("Search API", "prod", auto_test_retries_enabled=True),
        ],
        "inherited_only": [],
        "policies": POLICIES,
        "tests": [
            FoundTest(
                id="0000000000000001", name='shop.cart.test_"quoted"\nname', state="disabled"
            ),
            FoundTest(id="0000000000000002", name="shop.cart.test_a", state="quarantined"),
            FoundTest(id="0000000000000003", name="shop.cart.test_b", state="quarantined"),
            FoundTest(id="0000000000000004", name="shop.cart.test_c", state="fixed"),
        ],
        **changes,
    }
    return FoundRepository(**fields)


SUITES = [
    AdoptedSuite(public_id="abc-def-001", name="Checkout journeys", message="page @oncall",
                 tags=["team:shop", "env:prod"],
                 tests=[{"public_id": "t-1", "alerting_criticality": "critical"},
                        {"public_id": "t-2"}],
                 options={"alerting_threshold": 0.6}),
    AdoptedSuite(public_id="abc-def-002", name="Checkout journeys!", message=None, tags=None,
                 tests=[], options=None),
]  # fmt: skip


def snapshot(**changes: Any) -> OrgSnapshot:
    fields: dict[str, Any] = {
        "api_url": "http://127.0.0.1:1",
        "repositories": [repository()],
        "suites": SUITES,
        **changes,
    }
    return OrgSnapshot(**fields)


# ------------------------------------------------------------------------------ names


def test_slug_keeps_letters_digits_and_single_dashes() -> None:
    assert slug("Checkout journeys (EU) — prod!") == "checkout-journeys-eu-prod"
    assert slug("---") == "x" and slug("", fallback="repo") == "repo"
    assert len(slug("a" * 500)) == 60


def test_name_book_deduplicates_in_claim_order() -> None:
    book = NameBook()
    assert [book.claim("suite", n) for n in ("A b", "a-b", "A_B")] == [
        "suite-a-b",
        "suite-a-b-2",
        "suite-a-b-3",
    ]


def test_repository_labels_use_more_of_the_path_only_on_a_clash() -> None:
    assert repository_labels(["github.com/acme/shop", "github.com/acme/web"]) == {
        "github.com/acme/shop": "shop",
        "github.com/acme/web": "web",
    }
    assert repository_labels(["github.com/acme/shop", "gitlab.com/other/shop"]) == {
        "github.com/acme/shop": "acme-shop",
        "gitlab.com/other/shop": "other-shop",
    }


# ---------------------------------------------------------------------------- literals


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, 2.5, None, True], "b": {"c": 'quote " and \\ backslash', "d": "ünï\u2028"}},
        [{"public_id": "x" * 80, "alerting_criticality": "critical"}],
        {},
        [],
    ],
)
def test_literal_round_trips(value: Any) -> None:
    assert ast.literal_eval(literal(value)) == value


def test_short_containers_stay_on_one_line() -> None:
    assert literal({"retries": 3}) == '{"retries": 3}'
    assert "\n" in literal({"k": "v" * 80})


# ----------------------------------------------------------------------------- program


class Recorder(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        self.resources.append(args)
        return f"{args.name}-id", dict(args.inputs)

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    mocks = Recorder()
    pulumi.runtime.set_mocks(mocks, preview=False)
    yield mocks


def declared(recorder: Recorder) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (r.typ.rsplit(":", 1)[-1], r.name): {
            k: v for k, v in r.inputs.items() if not k.startswith("__") and v is not None
        }
        for r in recorder.resources
        if r.typ in type_tokens.TYPE_TOKENS
    }


def test_program_declares_exactly_the_snapshot(recorder: Recorder, tmp_path: Path) -> None:
    program = tmp_path / "__main__.py"
    program.write_text(render_program(snapshot(), command="generate --repository x"))

    @pulumi.runtime.test
    def run_program() -> None:  # waits until every resource is registered
        runpy.run_path(str(program), run_name="__main__")

    run_program()
    got = declared(recorder)
    identity = {"repository_id": REPO, "service_name": "checkout"}
    assert got[("ServiceSettings", "shop-checkout-prod")] == {
        **identity, "env": "prod", "early_flake_detection_enabled": True,
    }  # fmt: skip
    assert got[("ServiceSettings", "shop-checkout")] == {
        **identity, "env": "none", "code_coverage_enabled": False,
    }  # fmt: skip
    assert got[("ServiceSettings", "shop-search-api-prod")]["service_name"] == "Search API"
    assert got[("FlakyTestPolicies", "shop-flaky-test-policies")] == {
        "repository_id": REPO,
        **POLICIES,
    }
    assert got[("FlakyTestStates", "shop-quarantined-tests")]["states"] == {
        "0000000000000002": "quarantined",
        "0000000000000003": "quarantined",
    }
    assert got[("FlakyTestStates", "shop-disabled-tests")]["states"] == {
        "0000000000000001": "disabled"
    }
    assert got[("FlakyTestStates", "shop-fixed-tests")]["states"] == {"0000000000000004": "fixed"}
    assert got[("FlakyTestStates", "shop-fixed-tests")]["reason"] == adopted_reason("fixed")
    assert got[("SyntheticsSuite", "suite-checkout-journeys")] == {
        "public_id": "abc-def-001",
        "name": "Checkout journeys",
        "message": "page @oncall",
        "tags": ["env:prod", "team:shop"],
        "tests": SUITES[0].tests,
        "options": {"alerting_threshold": 0.6},
    }
    assert got[("SyntheticsSuite", "suite-checkout-journeys-2")] == {
        "public_id": "abc-def-002",
        "name": "Checkout journeys!",
        "tests": [],
    }
    ours = [r for r in recorder.resources if r.typ in type_tokens.TYPE_TOKENS]
    assert len(got) == len(ours) == 9  # every name is unique


def test_each_test_name_is_a_one_line_comment_beside_its_id() -> None:
    source = render_program(snapshot(), command="generate")
    line = next(x for x in source.splitlines() if "0000000000000001" in x)
    assert line.endswith('# shop.cart.test_"quoted" name')
    assert '"0000000000000002": "quarantined",  # shop.cart.test_a' in source


def test_program_is_deterministic_and_imports_only_what_it_uses() -> None:
    only_policies = snapshot(repositories=[repository(settings=[], tests=[])], suites=None)
    first = render_program(only_policies, command="generate")
    assert first == render_program(only_policies, command="generate")
    assert "from pulumi_datadog_testing import FlakyTestPolicies\n" in first
    ast.parse(first)


def test_command_with_quotes_cannot_break_the_docstring() -> None:
    source = render_program(snapshot(), command='generate --suites \'name:"x"""\' \\')
    ast.parse(source)


def test_repository_id_with_newlines_and_quotes_stays_in_its_comments() -> None:
    # The id is whatever the API reports; it used to go raw into the "# <repo>: ..." block
    # comments, so a newline in it made the program invalid (generate crashed on its guard).
    hostile = 'gh.com/a"""\nimport os\nos.system("echo PWNED")\n"""'
    tests = [FoundTest(id="0000000000000001", name="t", state="quarantined")]
    repo = repository(repository_id=hostile, settings=[], tests=tests)
    source = render_program(snapshot(repositories=[repo], suites=None), command="generate")
    tree = ast.parse(source)
    assert "import os" not in [line.strip() for line in source.splitlines()]
    assert any(isinstance(n, ast.Constant) and n.value == hostile for n in ast.walk(tree))


def test_ruff_formatting_is_stable_or_reported_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    source = render_program(snapshot(), command="generate")
    formatted, problem = format_source(source)
    if formatting.ruff_command() is not None:
        assert problem is None
        assert format_source(formatted) == (formatted, None)
    monkeypatch.setattr(formatting, "ruff_command", lambda: None)
    unformatted, problem = format_source(source)
    assert unformatted == source and problem is not None and "ruff" in problem
