"""The prior values a ``ServiceSettings`` and a ``FlakyTestState`` record are stored once, as
their ``__priors`` output, and their documented outputs (``prior``, ``prior_existed``,
``previous_state``, ``fqn``, ``test_*``) are read from there; a state written before
2026-12-02, which stores those outputs as well, keeps working: a no-change preview and refresh
see no change and make no call, an update writes the current form, destroy restores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pulumi import automation as auto

from pulumi_datadog_testing.resources.prior_values import PRIORS_KEY, decoded
from pulumi_datadog_testing.type_tokens import type_token
from tests.e2e._flaky_support import server_states
from tests.e2e.service_settings_support import identity, out_of_band_patch, server_settings
from tests.support.emulator import emulator_stack
from tests.support.engine import PulumiSandbox
from tests.support.provider_imports import provider_imports

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer

pytestmark = pytest.mark.e2e
PROGRAM = Path(__file__).parent / "programs" / "recorded_priors"
REPO, SERVICE = "github.com/acme/recorded", "checkout"
NONE = identity(REPO, SERVICE)
SETTINGS_OUTPUTS = ("prior", "prior_existed")
TEST_OUTPUTS = ("previous_state", "fqn", "test_module", "test_suite", "test_name")
HEAVY = ("pydantic", "pydantic_core")


def quiet(_: str) -> None:
    """``on_output`` that drops the engine's progress lines."""


def configure(stack: auto.Stack, settings: dict[str, Any], test: dict[str, Any]) -> None:
    stack.set_config("recorded-priors-e2e:settings", auto.ConfigValue(json.dumps(settings)))
    stack.set_config("recorded-priors-e2e:test", auto.ConfigValue(json.dumps(test)))


def resource(deployment: auto.Deployment, kind: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = (deployment.deployment or {})["resources"]
    (found,) = [r for r in resources if r["type"] == type_token(kind)]
    return found


def exported(outputs: dict[str, auto.OutputValue]) -> dict[str, Any]:
    return {name: outputs[name].value for name in (*SETTINGS_OUTPUTS, *TEST_OUTPUTS)}


def no_change_preview(
    stack: auto.Stack, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, where: Path
) -> None:
    """A no-change preview: no change, no API call, no pydantic in the provider process."""
    emulator.clear_calls()
    where.mkdir()
    with provider_imports(monkeypatch, where) as loaded:
        assert stack.preview(expect_no_changes=True, on_output=quiet).change_summary == {"same": 4}
    assert emulator.calls() == []
    provider = loaded.importing("pulumi_datadog_testing.resources.service_settings")
    assert sorted(m for m in provider if m.partition(".")[0] in HEAVY) == []


def test_recorded_priors_and_a_state_written_before(
    pulumi_sandbox: PulumiSandbox,
    emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    out_of_band_patch(emulator, NONE, auto_test_retries_enabled=True)
    (flaky,) = emulator.add_flaky_tests(
        {"repository_id": REPO, "module": "shop", "suite": "CartTest", "name": "test_checkout"}
    ).tests
    before = server_settings(emulator, NONE)
    settings = {"repository_id": REPO, "service_name": SERVICE,
                "auto_test_retries_enabled": False, "code_coverage_enabled": True}  # fmt: skip
    test = {"repository_id": REPO, "test_id": flaky.id, "state": "quarantined", "reason": "T-1"}
    stack = emulator_stack(pulumi_sandbox, emulator, PROGRAM)
    configure(stack, settings, test)

    # --- up: the outputs read from the recorded prior values, stored once as __priors
    up = stack.up(on_output=quiet)
    expected = {
        "prior": {
            "auto_test_retries_enabled": {"value": True, "is_overridden": True},
            "code_coverage_enabled": {"value": False, "is_overridden": False},
        },
        "prior_existed": True,
        "previous_state": "active",
        "fqn": "shop.CartTest.test_checkout",
        "test_module": "shop",
        "test_suite": "CartTest",
        "test_name": "test_checkout",
    }
    assert exported(up.outputs) == expected
    state = stack.export_stack()
    for kind, names in (("ServiceSettings", SETTINGS_OUTPUTS), ("FlakyTestState", TEST_OUTPUTS)):
        outputs = resource(state, kind)["outputs"]
        assert not set(names) & set(outputs), kind
        assert decoded(outputs[PRIORS_KEY]) is not None, kind
    no_change_preview(stack, emulator, monkeypatch, tmp_path / "new")
    assert stack.up(on_output=quiet).outputs["prior"].value == expected["prior"]

    # --- the state as the version before 2026-12-02 wrote it: the outputs stored as well
    written_before = stack.export_stack()
    settings_state = resource(written_before, "ServiceSettings")
    settings_state["outputs"].update(
        {"prior": expected["prior"], "prior_existed": expected["prior_existed"]}
    )
    test_state = resource(written_before, "FlakyTestState")
    test_state["outputs"].update({name: expected[name] for name in TEST_OUTPUTS})
    stack.import_stack(written_before)
    no_change_preview(stack, emulator, monkeypatch, tmp_path / "before")
    assert stack.preview(expect_no_changes=True, refresh=True, on_output=quiet).change_summary == {
        "same": 4
    }
    assert exported(stack.up(on_output=quiet).outputs) == expected
    assert {c.method for c in emulator.calls(clear=True)} == {"POST"}  # the refresh's reads
    assert resource(stack.export_stack(), "ServiceSettings")["outputs"]["prior"]  # as it was

    # --- an update writes the current form; what is recorded stays
    configure(stack, {**settings, "code_coverage_enabled": False}, {**test, "state": "disabled"})
    assert exported(stack.up(on_output=quiet).outputs) == expected
    state = stack.export_stack()
    for kind, names in (("ServiceSettings", SETTINGS_OUTPUTS), ("FlakyTestState", TEST_OUTPUTS)):
        assert not set(names) & set(resource(state, kind)["outputs"]), kind
    assert server_states(emulator, REPO, [flaky.id]) == {flaky.id: "disabled"}

    # --- destroy restores what was there before the first up
    stack.destroy(on_output=quiet)
    assert server_settings(emulator, NONE) == before
    assert server_states(emulator, REPO, [flaky.id]) == {flaky.id: flaky.state}
