"""The native plugin (``pulumi-resource-datadog-testing``) through the real CLI and emulator:
detailed diffs in ``preview --diff``, ``pulumi import`` of every importable resource, refresh,
more than 4 calls in flight, and moving dynamic resources to the native type by alias."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from pulumi_datadog_testing.emulator import EmulatorServer
from pulumi_datadog_testing.resources.service_settings_resource import recorded_outputs
from pulumi_datadog_testing.type_tokens import native_type_token
from tests.e2e.service_settings_support import identity, out_of_band_patch
from tests.support.emulator import datadog_calls
from tests.support.engine import ROOT, PulumiSandbox, find_language_hosts, require

pytestmark = pytest.mark.e2e
PROGRAM = Path(__file__).parent / "programs" / "native"
REPO = "github.com/acme/native"
SETTINGS_PATH = "/api/v2/ci/test-optimization/settings/service"


def quiet(_: str) -> None:
    """``on_output`` that drops the engine's progress lines."""


def native_stack(sandbox: PulumiSandbox, emulator: EmulatorServer, name: str = "test") -> Any:
    """A stack of the native program pointed at ``emulator`` through ``datadog-testing:*``."""
    return native_stack_of(sandbox, emulator, PROGRAM, name)


def native_stack_of(
    sandbox: PulumiSandbox, emulator: EmulatorServer, program: Path, name: str = "test"
) -> Any:
    """A stack of ``program`` pointed at ``emulator`` through ``datadog-testing:*``."""
    return sandbox.stack(
        program,
        stack_name=name,
        config={"datadog-testing:apiUrl": emulator.url},
        secrets={
            "datadog-testing:apiKey": emulator.api_key,
            "datadog-testing:appKey": emulator.app_key,
        },
    )


def declare(stack: Any, *resources: dict[str, Any]) -> None:
    stack.set_config("native-e2e:resources", auto.ConfigValue(value=json.dumps(resources)))


def settings(name: str, service: str, **flags: bool) -> dict[str, Any]:
    props = {"repository_id": REPO, "service_name": service, **flags}
    return {"kind": "ServiceSettings", "name": name, "props": props}


def resources_of(stack: Any) -> dict[str, dict[str, Any]]:
    """Resources in state by name (type, id, inputs, outputs)."""
    found = stack.export_stack().deployment.get("resources") or []
    return {r["urn"].rsplit("::", 1)[-1]: r for r in found if "::datadog-testing:" in r["urn"]
            or "dynamic/datadog-testing" in r["urn"]}  # fmt: skip


def writes(emulator: EmulatorServer) -> list[tuple[str, str]]:
    """Calls that change something (the settings, policies and flaky-test POSTs are reads)."""
    return [c for c in datadog_calls(emulator) if c[0] in ("PATCH", "PUT", "DELETE")
            or (c[0] == "POST" and c[1].startswith("/api/v2/synthetics/suites")
                and not c[1].endswith("/search"))]  # fmt: skip


def test_detailed_diff_import_and_refresh(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    seeded = emulator.seed_flaky_tests(REPO, 2)
    test_id, other_test = seeded.tests[0].id, seeded.tests[1]
    suite: dict[str, Any] = {"kind": "SyntheticsSuite", "name": "suite",
             "props": {"name": "Checkout", "tags": ["team:shop"],
                       "tests": [{"public_id": "abc-def-ghi", "alerting_criticality": "critical"}]}}  # fmt: skip
    flaky = {"kind": "FlakyTestState", "name": "flaky",
             "props": {"repository_id": REPO, "test_id": test_id, "state": "quarantined"}}  # fmt: skip
    policies: dict[str, Any] = {"kind": "FlakyTestPolicies", "name": "policies",
                "props": {"repository_id": REPO, "attempt_to_fix": {"retries": 3}}}  # fmt: skip
    stack = native_stack(pulumi_sandbox, emulator)
    declare(stack, settings("s", "checkout", early_flake_detection_enabled=True), suite, flaky,
            policies)  # fmt: skip
    up = stack.up(on_output=quiet)
    assert up.summary.resource_changes == {"create": 5}  # the stack and four resources
    ids = {name: out.value for name, out in up.outputs.items()}
    assert ids["s"] == f"{REPO}::checkout::none"
    assert ids["flaky"] == f"{REPO}::{test_id}"
    assert ids["policies"] == REPO

    # A no-change preview makes no API call at all.
    emulator.clear_calls()
    assert stack.preview(on_output=quiet).change_summary == {"same": 5}
    assert datadog_calls(emulator) == []

    # `preview --diff` shows the provider's detailed diff, nested paths included.
    suite["props"]["tests"] = [{"public_id": "abc-def-ghi", "alerting_criticality": "ignore"},
                               {"public_id": "xyz-uvw-rst"}]  # fmt: skip
    policies["props"]["attempt_to_fix"] = {"retries": 5}
    declare(stack, settings("s", "checkout", early_flake_detection_enabled=False), suite, flaky,
            policies)  # fmt: skip
    shown = pulumi_sandbox.cli("preview", "--diff", "--stack", "test", cwd=stack.workspace.work_dir)
    assert "~ early_flake_detection_enabled: true => false" in shown.stdout
    assert '~ alerting_criticality: "critical" => "ignore"' in shown.stdout
    assert 'public_id: "xyz-uvw-rst"' in shown.stdout
    assert "~ retries: 3 => 5" in shown.stdout
    assert stack.up(on_output=quiet).summary.resource_changes == {"update": 3, "same": 2}

    # Drift made outside Pulumi: refresh records it (reads only), the next up puts it back.
    out_of_band_patch(emulator, identity(REPO, "checkout"), early_flake_detection_enabled=True)
    emulator.clear_calls()
    assert stack.refresh(on_output=quiet).summary.resource_changes == {"update": 1, "same": 4}
    assert writes(emulator) == []
    assert resources_of(stack)["s"]["outputs"]["early_flake_detection_enabled"] is True
    assert stack.up(on_output=quiet).summary.resource_changes == {"update": 1, "same": 4}

    # pulumi import adopts each existing object into another stack, with inputs to diff against.
    other = native_stack(pulumi_sandbox, emulator, "adopter")
    declare(other)
    other.up(on_output=quiet)
    work_dir = other.workspace.work_dir
    emulator.clear_calls()
    token = native_type_token
    pulumi_sandbox.cli("import", token("ServiceSettings"), "s", ids["s"], "--yes",
                       "--generate-code=false", "--stack", "adopter", cwd=work_dir)  # fmt: skip
    bulk = Path(work_dir) / "import.json"  # the rest in one bulk `pulumi import --file`
    bulk.write_text(json.dumps({"resources": [
        {"type": token("SyntheticsSuite"), "name": "suite", "id": ids["suite"]},
        {"type": token("FlakyTestState"), "name": "flaky", "id": ids["flaky"]},
        {"type": token("FlakyTestPolicies"), "name": "policies", "id": ids["policies"]},
        {"type": token("FlakyTestStates"), "name": "set", "id": f"{REPO}::{other_test.id}"},
    ]}))  # fmt: skip
    pulumi_sandbox.cli("import", "--file", str(bulk), "--yes", "--generate-code=false",
                       "--stack", "adopter", cwd=work_dir)  # fmt: skip
    assert writes(emulator) == [], "import must only read"
    adopted = resources_of(other)
    assert adopted["s"]["inputs"]["early_flake_detection_enabled"] is False
    imported_tests = {t["public_id"]: t for t in adopted["suite"]["inputs"]["tests"]}
    assert set(imported_tests) == {"abc-def-ghi", "xyz-uvw-rst"}
    assert imported_tests["abc-def-ghi"]["alerting_criticality"] == "ignore"
    assert adopted["flaky"]["inputs"]["state"] == "quarantined"
    assert adopted["policies"]["inputs"]["attempt_to_fix"] == {"retries": 5}
    assert adopted["set"]["inputs"]["states"] == {other_test.id: other_test.state}
    # The program that declares what was imported has nothing to change.
    declare(other, settings("s", "checkout", **{
        k: v for k, v in adopted["s"]["inputs"].items() if k.endswith("_enabled")}),
        {"kind": "SyntheticsSuite", "name": "suite", "props": adopted["suite"]["inputs"]},
        {"kind": "FlakyTestState", "name": "flaky", "props": adopted["flaky"]["inputs"]},
        {"kind": "FlakyTestPolicies", "name": "policies", "props": adopted["policies"]["inputs"]},
        {"kind": "FlakyTestStates", "name": "set", "props": adopted["set"]["inputs"]},
    )  # fmt: skip
    assert other.preview(on_output=quiet).change_summary == {"same": 6}


def test_more_than_four_calls_in_flight(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    count = 8
    stack = native_stack(pulumi_sandbox, emulator)
    declare(
        stack, *(settings(f"s{i}", f"svc{i}", code_coverage_enabled=True) for i in range(count))
    )
    emulator.set_faults({"kind": "latency", "method": "PATCH", "path": SETTINGS_PATH,
                         "latency_ms": 1500, "count": None})  # fmt: skip
    up = stack.up(parallel=32, on_output=quiet)
    assert up.summary.resource_changes == {"create": count + 1}
    patches = [c for c in emulator.calls() if c.method == "PATCH"]
    assert len(patches) == count and all(c.fault == "latency" for c in patches)
    # Each call was being served over [end - duration, end]: count the ones that overlap.
    spans = [(c.time - c.duration_ms / 1000, c.time) for c in patches]
    most = max(sum(1 for s, e in spans if s <= start < e) for start, _ in spans)
    assert most > 4, f"at most {most} PATCHes were in flight at once"


def test_alias_moves_dynamic_resources_without_an_api_write(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    stack = native_stack(pulumi_sandbox, emulator)
    # The dynamic resources read datadog:* config; both namespaces point at the emulator.
    stack.set_config("datadog:apiUrl", auto.ConfigValue(value=emulator.url))
    stack.set_config("datadog:apiKey", auto.ConfigValue(value=emulator.api_key, secret=True))
    stack.set_config("datadog:appKey", auto.ConfigValue(value=emulator.app_key, secret=True))
    dynamic = settings("s", "checkout", early_flake_detection_enabled=True)
    declare(stack, {**dynamic, "front": "dynamic"})
    stack.up(on_output=quiet)
    before = resources_of(stack)["s"]

    declare(stack, {**dynamic, "from_dynamic": True})
    emulator.clear_calls()
    preview = stack.preview(on_output=quiet)
    assert preview.change_summary.get("same") == 2  # the stack and the moved resource
    up = stack.up(on_output=quiet)
    assert writes(emulator) == [], "moving to the native type must not write to Datadog"
    after = resources_of(stack)["s"]
    assert after["type"] == native_type_token("ServiceSettings")
    # prior stays in the hidden __priors output (as the dynamic resource stored it) until the
    # native provider writes the outputs: at the next refresh (below) or update
    assert (
        recorded_outputs(after["outputs"])["prior"] == recorded_outputs(before["outputs"])["prior"]
    )
    assert "__provider" not in after["inputs"]
    assert up.summary.result == "succeeded"
    # The pickled dynamic provider leaves the outputs at the next refresh (a read).
    stack.refresh(on_output=quiet)
    assert writes(emulator) == []
    refreshed = resources_of(stack)["s"]["outputs"]
    assert "__provider" not in refreshed
    assert refreshed["prior"] == recorded_outputs(before["outputs"])["prior"]

    # Destroy through the native plugin puts back what the dynamic create recorded.
    emulator.clear_calls()
    stack.destroy(on_output=quiet)
    assert [c for c in datadog_calls(emulator) if c[0] == "PATCH"] == [("PATCH", SETTINGS_PATH)]


def test_explicit_providers_manage_two_orgs_with_keys_kept_secret(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    with EmulatorServer() as other_org:
        stack = native_stack(pulumi_sandbox, emulator)
        orgs = {"b": {"api_url": other_org.url, "api_key": other_org.api_key,
                      "app_key": other_org.app_key}}  # fmt: skip
        stack.set_config("native-e2e:orgs", auto.ConfigValue(value=json.dumps(orgs)))
        declare(stack, settings("a", "checkout", code_coverage_enabled=True),
                {**settings("b", "checkout", code_coverage_enabled=True), "org": "b"})  # fmt: skip
        up = stack.up(on_output=quiet)
        assert up.summary.resource_changes == {"create": 4}  # stack, org-b provider, a, b
        patched = [c for c in datadog_calls(emulator) if c[0] == "PATCH"]
        assert patched == [("PATCH", SETTINGS_PATH)]  # "a" only: "b" went to the other org
        assert [c for c in datadog_calls(other_org) if c[0] == "PATCH"] == [
            ("PATCH", SETTINGS_PATH)
        ]
        work_dir = stack.workspace.work_dir
        state = pulumi_sandbox.cli("stack", "export", "--stack", "test", cwd=work_dir).stdout
        assert "ciphertext" in state
        for key in (emulator.api_key, emulator.app_key, other_org.api_key, other_org.app_key):
            assert key not in state, "a credential is in state in plain text"
        # A refused call fails with the error's own message, naming the native keys.
        orgs["b"]["api_key"] = "not-the-key"
        stack.set_config("native-e2e:orgs", auto.ConfigValue(value=json.dumps(orgs)))
        declare(stack, settings("a", "checkout", code_coverage_enabled=True),
                {**settings("b2", "cart", code_coverage_enabled=True), "org": "b"})  # fmt: skip
        with pytest.raises(auto.CommandError) as failed:
            stack.up(on_output=quiet)
        assert "403 Forbidden" in str(failed.value)
        assert "datadog-testing:apiKey" in str(failed.value)
        assert "Unexpected <class" not in str(failed.value)
        # The right key again: the provider is updated in place (nothing replaced).
        orgs["b"]["api_key"] = other_org.api_key
        stack.set_config("native-e2e:orgs", auto.ConfigValue(value=json.dumps(orgs)))
        assert stack.up(on_output=quiet).summary.resource_changes.get("replace") is None
        stack.destroy(on_output=quiet)


def test_yaml_example_up_diff_and_import(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    require(
        find_language_hosts() is not None,
        "the YAML language host",
        "scripts/install-pulumi --language-hosts (scripts/test does)",
    )
    stack = pulumi_sandbox.stack(
        ROOT / "examples" / "native-yaml",
        stack_name="dev",
        config={"datadog-testing:apiUrl": emulator.url},
        secrets={
            "datadog-testing:apiKey": emulator.api_key,
            "datadog-testing:appKey": emulator.app_key,
        },
    )
    up = stack.up(on_output=quiet)
    assert up.summary.resource_changes == {"create": 4}
    assert up.outputs["settingsId"].value == "github.com/acme/shop::checkout::prod"
    assert up.outputs["monitorId"].value
    assert stack.preview(on_output=quiet).change_summary == {"same": 4}

    # The YAML host also writes the declaration of an imported resource.
    work_dir = stack.workspace.work_dir
    other = pulumi_sandbox.stack(ROOT / "examples" / "native-yaml", stack_name="adopter")
    other.set_config("datadog-testing:apiUrl", auto.ConfigValue(value=emulator.url))
    other.set_config("datadog-testing:apiKey", auto.ConfigValue(emulator.api_key, secret=True))
    other.set_config("datadog-testing:appKey", auto.ConfigValue(emulator.app_key, secret=True))
    suite_id = up.outputs["suiteId"].value
    imported = pulumi_sandbox.cli("import", native_type_token("SyntheticsSuite"), "adopted",
                                  suite_id, "--yes", "--stack", "adopter", cwd=work_dir)  # fmt: skip
    assert "type: datadog-testing:SyntheticsSuite" in imported.stdout  # index module elided
    assert "public_id: abc-123-xyz" in imported.stdout


def test_typescript_example_up_and_import(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    require(
        find_language_hosts() is not None and shutil.which("npm") is not None,
        "the Node.js language host and npm",
        "scripts/install-pulumi --language-hosts (scripts/test does) and Node.js with npm",
    )
    built = subprocess.run([str(ROOT / "scripts" / "build-ts-sdk")], capture_output=True,
                           text=True, check=True, timeout=900)  # fmt: skip
    tarball = built.stdout.strip().splitlines()[-1]
    seeded = emulator.seed_flaky_tests(REPO, 1)
    stack = native_stack_of(pulumi_sandbox, emulator, ROOT / "examples" / "native-typescript")
    work_dir = Path(stack.workspace.work_dir)
    for args in (["install"], ["install", tarball]):
        subprocess.run(["npm", *args, "--no-audit", "--no-fund", "--loglevel=error"],
                       cwd=work_dir, check=True, capture_output=True, timeout=900)  # fmt: skip
    stack.set_config("repository", auto.ConfigValue(value=REPO))
    stack.set_config("flakyTestId", auto.ConfigValue(value=seeded.tests[0].id))
    up = stack.up(on_output=quiet)
    assert up.summary.resource_changes == {"create": 4}
    assert up.outputs["settingsId"].value == f"{REPO}::checkout::prod"
    assert up.outputs["quarantinedPreviously"].value == seeded.tests[0].state
    assert stack.preview(on_output=quiet).change_summary == {"same": 4}

    # Import the suite into a second stack of the same program: its declaration then matches.
    other = native_stack_of(pulumi_sandbox, emulator, ROOT / "examples" / "native-typescript",
                            "adopter")  # fmt: skip
    pulumi_sandbox.cli("import", native_type_token("SyntheticsSuite"), "checkout",
                       up.outputs["suiteId"].value, "--yes", "--generate-code=false",
                       "--stack", "adopter", cwd=work_dir)  # fmt: skip
    preview = other.preview(on_output=quiet).change_summary
    assert preview.get("same") == 2 and preview.get("create") == 1  # stack, suite; settings new


def test_rate_limit_pacing_holds_at_the_engines_concurrency(
    pulumi_sandbox: PulumiSandbox, emulator: EmulatorServer
) -> None:
    count = 10
    stack = native_stack(pulumi_sandbox, emulator)
    declare(
        stack, *(settings(f"s{i}", f"paced{i}", code_coverage_enabled=True) for i in range(count))
    )
    emulator.update_config(rate_limit={"limit": 8, "period_seconds": 2})
    try:
        up = stack.up(parallel=32, on_output=quiet)
    finally:
        emulator.update_config(rate_limit={"limit": 1_000_000, "period_seconds": 60})
    assert up.summary.resource_changes == {"create": count + 1}
    statuses = [c.status for c in emulator.calls()]
    assert len(statuses) == 2 * count  # one get and one PATCH each: paced, not retried
    assert statuses.count(429) == 0
