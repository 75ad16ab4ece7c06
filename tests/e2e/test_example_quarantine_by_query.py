"""examples/quarantine-by-query end to end against the emulator seeded with 2,000 tests:
quarantine what the query matches, pick up tests that match later through refresh, destroy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e._flaky_support import (
    TESTS_PATH,
    quiet,
    recorded_test_ids,
    server_search,
    server_states,
    stack_resources,
)
from tests.support.emulator import emulator_stack
from tests.support.engine import ROOT, PulumiSandbox

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "examples" / "quarantine-by-query"
REPO = "github.com/acme/shop"
QUERY = f'@git.repository.id_v2:"{REPO}" flaky_test_state:active @test.codeowners:"@acme/payments"'


def test_example_runs_as_documented(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    assert Path(EXAMPLE / "README.md").is_file()
    seeded = emulator.seed_flaky_tests(REPO, 2000, seed=41)
    original = {t.id: t.state for t in seeded.tests}
    matching = server_search(emulator, QUERY)
    assert 50 < len(matching) < 2000  # the default query picks out a real subset
    stack = emulator_stack(
        pulumi_sandbox, emulator, EXAMPLE, config={"quarantine-by-query:repository": REPO}
    )

    # --- up: every matching test is quarantined, in one search and one PATCH
    emulator.clear_calls()
    up = stack.up(on_output=quiet)
    assert up.outputs["managed_test_ids"].value == sorted(matching)
    assert [c.method for c in emulator.calls(clear=True)] == ["POST", "PATCH"]
    assert set(server_states(emulator, REPO, matching).values()) == {"quarantined"}
    assert server_search(emulator, QUERY) == {}  # nothing active and owned by payments left

    # --- new flaky tests appear; a preview (no refresh) neither sees them nor calls the API
    new = emulator.add_flaky_tests(
        *(
            {
                "repository_id": REPO,
                "suite": "PaymentsTest",
                "name": f"test_new_{n}",
                "codeowners": ["@acme/payments"],
            }
            for n in range(3)
        ),
        {
            "repository_id": REPO,
            "suite": "WebTest",
            "name": "test_other",
            "codeowners": ["@acme/web"],
        },
    )
    new_payments = sorted(t.id for t in new.tests if t.suite == "PaymentsTest")
    emulator.clear_calls()
    assert stack.preview(expect_no_changes=True, on_output=quiet).change_summary == {"same": 3}
    assert emulator.calls() == []

    # --- refresh re-runs the query: the new matches are pending, then applied by up
    refresh = pulumi_sandbox.cli(
        "refresh", "--diff", "--yes", "--stack", "test", cwd=pulumi_sandbox.root / "program"
    )
    assert "pending_test_ids: [" in refresh.stdout  # as the README says, --diff lists them
    for test_id in new_payments:
        assert f'"{test_id}"' in refresh.stdout
    (resource,) = stack_resources(stack, "FlakyTestStates")
    assert resource["outputs"]["pending_test_ids"] == new_payments
    assert not set(new_payments) & set(recorded_test_ids(resource["outputs"]))
    preview = stack.preview(on_output=quiet)
    assert preview.change_summary == {"same": 2, "update": 1}
    emulator.clear_calls()
    up = stack.up(on_output=quiet)
    assert [c.method for c in emulator.calls()] == ["POST", "PATCH"]
    (patch,) = [
        c for c in emulator.calls(clear=True) if c.method == "PATCH" and c.path == TESTS_PATH
    ]
    assert sorted(t["id"] for t in patch.body["data"]["attributes"]["tests"]) == new_payments
    assert up.outputs["managed_test_ids"].value == sorted([*matching, *new_payments])
    assert stack.preview(expect_no_changes=True, on_output=quiet).change_summary == {"same": 3}

    # --- destroy: every test goes back to the state it had before
    stack.destroy(on_output=quiet)
    restored = server_states(emulator, REPO, [*matching, *new_payments])
    assert restored == {
        **{i: original[i] for i in matching},
        **dict.fromkeys(new_payments, "active"),
    }
