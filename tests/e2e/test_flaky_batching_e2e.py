"""Many single ``FlakyTestState`` resources through the real CLI (plain ``pulumi preview``,
``pulumi up`` with its preview, ``pulumi preview --refresh``, ``pulumi destroy``), counted
in the emulator's call log: the provider process reads them with one or two searches
instead of one per resource, writes them in shared PATCHes, and a no-change preview still
makes no call."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e._flaky_support import PROGRAM, TESTS_PATH, server_states, set_config
from tests.support.emulator import emulator_stack
from tests.support.engine import PulumiSandbox

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer

pytestmark = pytest.mark.e2e

REPO = "github.com/acme/many-singles"
N = 24


def test_many_single_states_batched_through_the_cli(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    ids = [t.id for t in emulator.seed_flaky_tests(REPO, N, seed=9, state="active").tests]
    stack = emulator_stack(pulumi_sandbox, emulator, PROGRAM, config={"flaky-e2e:repository": REPO})
    set_config(stack, singles=dict.fromkeys(ids, "quarantined"))
    work_dir = pulumi_sandbox.root / "program"

    def cli(*args: str) -> str:
        done = pulumi_sandbox.cli(*args, "--stack", "test", "--suppress-progress", cwd=work_dir)
        return done.stdout

    def counted() -> tuple[int, list[dict[str, str]]]:
        calls = emulator.calls(clear=True)
        assert {c.path for c in calls} <= {TESTS_PATH}, calls
        patches = [
            {t["id"]: t["new_state"] for t in c.body["data"]["attributes"]["tests"]}
            for c in calls
            if c.method == "PATCH"
        ]
        return sum(c.method == "POST" for c in calls), patches

    emulator.set_faults({"kind": "latency", "method": "PATCH", "latency_ms": 50, "count": None})
    emulator.clear_calls()
    cli("preview")
    assert counted() == (0, [])  # creates are planned without a call

    cli("up", "--yes")  # with its preview
    searches, patches = counted()
    assert searches <= 2  # not one per resource
    assert sorted(i for body in patches for i in body) == sorted(ids)  # each test once
    assert len(patches) < N
    assert server_states(emulator, REPO, ids) == dict.fromkeys(ids, "quarantined")
    emulator.clear_calls()

    cli("preview", "--expect-no-changes")
    assert counted() == (0, [])
    cli("preview", "--refresh", "--expect-no-changes")
    assert counted()[0] <= 2  # the repository's tests in one page, not N searches

    out = cli("destroy", "--yes")
    assert "deleted" in out
    searches, patches = counted()
    assert sorted(i for body in patches for i in body) == sorted(ids)
    assert all(set(body.values()) == {"active"} for body in patches)
    assert searches == 0 and len(patches) < N
    assert server_states(emulator, REPO, ids) == dict.fromkeys(ids, "active")
