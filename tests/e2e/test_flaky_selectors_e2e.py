"""``FlakyTestState``\\ s chosen by module/suite/name through the real CLI (plain ``pulumi
preview``, ``pulumi up`` with its preview, ``pulumi preview --refresh``, ``pulumi destroy``),
counted in the emulator's call log: the selectors of every resource — those in the stack's
ledger and those whose input is an ``Output`` (each with its own ``PriorValues``) — are
resolved by a search or two, not one per resource; each resource gets exactly its own test
(names with quotes, spaces and backslashes, the same name in two suites); a selector that
matches nothing fails only its own resource."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e._flaky_support import (
    PROGRAM,
    TESTS_PATH,
    server_states,
    set_config,
    stack_resources,
)
from tests.support.emulator import emulator_stack
from tests.support.engine import PulumiSandbox

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer

pytestmark = pytest.mark.e2e

REPO = "github.com/acme/selected"
NAMES = [
    'test "quoted" name',
    "test with spaces",
    "test\\back\\slash",
    "test_(parens) OR not",
    *(f"test_{n:02d}" for n in range(16)),
]
"""20 names, each in suite ``CartTest`` of module ``shop``; the first four also in
``OrderTest`` (the selectors name the suite) — plus 4 tests nobody selects."""


def _seed(emulator: EmulatorServer) -> dict[tuple[str, str], str]:
    specs = [
        {"repository_id": REPO, "module": "shop", "suite": suite, "name": name}
        for name in NAMES
        for suite in ("CartTest", *(("OrderTest",) if name in NAMES[:4] else ()))
    ]
    specs += [
        {"repository_id": REPO, "module": "other", "suite": "Misc", "name": f"test_x{n}"}
        for n in range(4)
    ]
    seeded = emulator.add_flaky_tests(*specs)
    return {(t.suite, t.name): t.id for t in seeded.tests}


def _selected(names: list[str], *, wired_every: int = 2) -> list[dict[str, Any]]:
    return [
        {
            "module": "shop",
            "suite": "CartTest",
            "name": name,
            "state": "quarantined",
            **({"wired": True} if n % wired_every == 1 else {}),
        }
        for n, name in enumerate(names)
    ]


def test_selectors_resolved_together_through_the_cli(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    ids = _seed(emulator)
    chosen = [ids[("CartTest", name)] for name in NAMES]
    others = sorted(set(ids.values()) - set(chosen))
    stack = emulator_stack(pulumi_sandbox, emulator, PROGRAM, config={"flaky-e2e:repository": REPO})
    set_config(stack, selected=_selected(NAMES))
    work_dir = pulumi_sandbox.root / "program"

    def cli(*args: str, check: bool = True) -> str:
        done = pulumi_sandbox.cli(
            *args, "--stack", "test", "--suppress-progress", cwd=work_dir, check=check
        )
        return done.stdout + done.stderr

    def searches() -> int:
        calls = emulator.calls(clear=True)
        assert {c.path for c in calls} <= {TESTS_PATH}, calls
        return sum(c.method == "POST" for c in calls)

    emulator.clear_calls()
    cli("preview")
    assert searches() == 0  # creates are planned without a call

    cli("up", "--yes")  # with its preview
    assert searches() <= 3  # 20 selectors (10 of them wired): not one search each
    assert server_states(emulator, REPO, chosen) == dict.fromkeys(chosen, "quarantined")
    assert set(server_states(emulator, REPO, others).values()) == {"active"}

    outputs = {r["urn"].rsplit("::", 1)[1]: r["outputs"] for r in _resources(stack)}
    for n, name in enumerate(NAMES):
        assert outputs[f"selected-{n}"]["test_id"] == ids[("CartTest", name)], name

    emulator.clear_calls()  # the reads above
    cli("preview", "--expect-no-changes")
    assert searches() == 0
    cli("preview", "--refresh", "--expect-no-changes")
    cli("destroy", "--yes")
    assert server_states(emulator, REPO, chosen) == dict.fromkeys(chosen, "active")

    # A selector that matches nothing fails its own resource; the others are created (the
    # engine starts no new step after an error unless told to go on).
    set_config(stack, selected=[*_selected(NAMES[4:9]), *_selected(["test_missing"])])
    emulator.clear_calls()
    out = cli("up", "--yes", "--skip-preview", "--continue-on-error", check=False)
    failed = set(re.findall(r"FlakyTestState \((selected-\d+)\):\n\s+error: (.*)", out))
    assert len(failed) == 1, out
    [(resource, error)] = failed
    assert resource == "selected-5"
    assert "name='test_missing'" in error and "no flaky test of repository" in error
    assert searches() <= 3
    created = [ids[("CartTest", name)] for name in NAMES[4:9]]
    assert server_states(emulator, REPO, created) == dict.fromkeys(created, "quarantined")
    assert {r["urn"].rsplit("::", 1)[1] for r in _resources(stack)} >= {
        f"selected-{n}" for n in range(5)
    }
    cli("destroy", "--yes")
    assert set(server_states(emulator, REPO, list(ids.values())).values()) == {"active"}


def _resources(stack: Any) -> list[dict[str, Any]]:
    return stack_resources(stack, "FlakyTestState")
