"""An out-of-band edit racing an update: the suite is edited outside Pulumi while the
update's JSON Patch is on its way. The patch's ``test`` guards fail, the update fails with
"changed outside Pulumi — run `pulumi refresh`", and the server keeps the out-of-band value."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pulumi_datadog_testing.models import SuiteJsonPatchRequest
from tests.faults._harness import SUITES_PATH, Background, FaultStack, suite, wait_for
from tests.support.engine import PulumiSandbox

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.emulator]

JSON_PATCH = SUITES_PATH + "/[^/]+/jsonpatch"


def program(*tags: str) -> list[dict[str, Any]]:
    return [suite("suite", "Checkout", "abc-def-001", tags=list(tags), message="checkout down")]


def test_out_of_band_edit_racing_an_update(pulumi_sandbox: PulumiSandbox, emulator: Any) -> None:
    stack = FaultStack(pulumi_sandbox, emulator)
    stack.declare(program("team:shop", "env:staging"))
    stack.up()
    [public_id] = stack.resource_ids("SyntheticsSuite")

    # The update (env:staging -> env:prod) reaches the server, which holds it 3 s before
    # applying; meanwhile someone retags the suite in the Datadog UI.
    emulator.set_faults(
        {"kind": "latency", "method": "PATCH", "path": JSON_PATCH, "latency_ms": 3000}
    )
    stack.declare(program("team:shop", "env:prod"))
    run = Background(stack)
    wait_for("the update's JSON Patch to arrive", lambda: not emulator.faults())
    out_of_band = [{"op": "replace", "path": "/tags", "value": ["team:shop", "env:qa"]}]
    with httpx.Client(base_url=emulator.url, headers=emulator.headers()) as http:
        body = SuiteJsonPatchRequest.of(out_of_band).to_body()
        http.patch(f"{SUITES_PATH}/{public_id}/jsonpatch", json=body).raise_for_status()
    ok, text = run.join()

    assert not ok
    assert f"suite {public_id} changed outside Pulumi — run `pulumi refresh`" in text, text
    with httpx.Client(base_url=emulator.url, headers=emulator.headers()) as http:
        server = http.get(f"{SUITES_PATH}/{public_id}").json()["data"]["attributes"]
    assert sorted(server["tags"]) == ["env:qa", "team:shop"]  # the out-of-band value stays
    # State still holds what Pulumi last wrote: the only difference is the out-of-band edit.
    stale = stack.reconcile()
    assert len(stale.problems) == 1 and "tags: state" in stale.problems[0], stale.problems

    stack.refresh()
    stack.reconcile().assert_clean()
    stack.converge()
    result = stack.reconcile()
    result.assert_clean()
    [now] = result.server_suites
    assert sorted(now["tags"]) == ["env:prod", "team:shop"]
