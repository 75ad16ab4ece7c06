"""Two stacks declaring the same service settings and flaky test.

Nothing on the Datadog side says which stack wrote a value, so the overlap is made visible
where it can be seen: the second stack's prior values already hold the declared values, set
explicitly. Its ``up`` and later previews warn, naming each object. With the same declared
values, destroying them (in the order of creation) ends with the values from before both:
the second stack never wrote them, so it does not put anything back (docs/reliability.md,
"Two stacks").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.faults._harness import REPOSITORY, FaultStack, seed_tests, spec
from tests.support.engine import PulumiSandbox
from tests.support.reconcile import ServerReader

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.emulator]

OVERLAP = "If another stack manages the same object, keep one owning stack"


def server_view(emulator: Any, test_id: str) -> dict[str, Any]:
    with ServerReader(emulator.url, emulator.headers()) as server:
        settings = server.settings(REPOSITORY, "shared", "none") or {}
        overridden = bool(settings.get("code_coverage_enabled_is_overridden"))
        return {
            "code_coverage": settings.get("code_coverage_enabled") if overridden else "inherited",
            "flaky": server.flaky_states(REPOSITORY, [test_id]),
        }


def test_the_second_stack_warns_and_destroying_both_restores(
    pulumi_sandbox: PulumiSandbox, emulator: Any, tmp_path: Path
) -> None:
    seeded = seed_tests(emulator, 2)
    test_id = seeded.ids[0]
    resources = [
        spec("ServiceSettings", "settings", repository_id=REPOSITORY, service_name="shared",
             code_coverage_enabled=True),
        spec("FlakyTestState", "quarantine", repository_id=REPOSITORY, test_id=test_id,
             state="quarantined"),
    ]  # fmt: skip
    first = FaultStack(pulumi_sandbox, emulator)
    second = FaultStack(PulumiSandbox(pulumi_sandbox.engine_bin, tmp_path / "second"), emulator)
    for stack in (first, second):
        stack.declare(resources)
    before = server_view(emulator, test_id)
    assert before["code_coverage"] == "inherited" and before["flaky"] == {test_id: "active"}

    first.up()
    assert OVERLAP not in "".join(first.output)
    second.up()
    printed = "".join(second.output)
    assert OVERLAP in printed, printed
    assert f"service settings {REPOSITORY}::shared::none: code_coverage_enabled" in printed
    assert f"flaky test state of repository {REPOSITORY}: {test_id}" in printed
    preview: list[str] = []
    second.stack.preview(expect_no_changes=True, on_output=preview.append)
    assert OVERLAP in "".join(preview)  # every later preview says it too, without an API call

    # The order: destroy the first stack, then the second. The first puts back the
    # values from before both; the second finds its values were already in place when it
    # started (it wrote nothing) and leaves them.
    first.stack.destroy(on_output=lambda _: None)
    assert server_view(emulator, test_id) == before
    second.stack.destroy(on_output=lambda _: None)
    assert server_view(emulator, test_id) == before
