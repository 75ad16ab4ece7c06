"""The pack's real process, started through ``policy-pack/run`` as the engine starts it.

No Pulumi engine is involved: the test plays the engine's part over gRPC (GetAnalyzerInfo,
Configure, Analyze, AnalyzeStack), so it checks what the engine will receive — the pack's
name, its policies with their schemas and levels, and the diagnostics for real requests,
including that values unknown during preview produce no diagnostic at all.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

from pulumi_datadog_testing.policy import POLICY_FACTORIES, all_policies
from pulumi_datadog_testing.type_tokens import FLAKY_TEST_STATES, SERVICE_SETTINGS, SYNTHETICS_SUITE
from tests.policy.harness import urn

PACK = Path(__file__).resolve().parents[2] / "policy-pack"
START_TIMEOUT = 60.0


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(value)
    return struct


def _read_port(process: subprocess.Popen[bytes]) -> int:
    """The port the pack prints on its first stdout line (bounded wait)."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + START_TIMEOUT
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            break
        if selector.select(timeout=remaining):
            chunk = os.read(process.stdout.fileno(), 64)
            if not chunk:
                break
            line += chunk
    selector.close()
    if not line.strip().isdigit():
        process.kill()
        _, err = process.communicate(timeout=10)
        pytest.fail(f"the pack did not start: stdout={line!r} stderr={err.decode()[-2000:]}")
    return int(line)


@pytest.fixture(scope="module")
def pack() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    env = {**os.environ, "PULUMI_PYTHON_CMD": sys.executable}
    process = subprocess.Popen(
        [str(PACK / "run"), "127.0.0.1:1"],  # the engine address is unused by an analyzer
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=PACK.parent,
    )
    try:
        port = _read_port(process)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=START_TIMEOUT)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def configure(
    stub: analyzer_pb2_grpc.AnalyzerStub, config: Mapping[str, Mapping[str, Any]]
) -> None:
    """What the engine sends: every policy with its level and (default-filled) properties."""
    levels = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY}
    policy_config = {}
    for policy in all_policies():
        assert policy.enforcement_level is not None
        given = dict(config.get(policy.name, {}))
        level = given.pop("enforcementLevel", policy.enforcement_level.value)
        policy_config[policy.name] = analyzer_pb2.PolicyConfig(
            enforcementLevel=levels[level], properties=_struct(given)
        )
    stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=policy_config), timeout=30)


def analyze(
    stub: analyzer_pb2_grpc.AnalyzerStub, kind: str, name: str, props: Mapping[str, Any]
) -> list[analyzer_pb2.AnalyzeDiagnostic]:
    request = analyzer_pb2.AnalyzeRequest(
        type=kind, properties=_struct(props), urn=urn(kind, name), name=name
    )
    return list(stub.Analyze(request, timeout=30).diagnostics)


def test_pack_serves_the_library_policies_with_their_schemas(
    pack: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    info = pack.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == "datadog-testing-guardrails"
    assert info.supportsConfig
    assert [p.name for p in info.policies] == list(POLICY_FACTORIES)
    for served, policy in zip(info.policies, all_policies(), strict=True):
        assert policy.config_schema is not None and policy.enforcement_level is not None
        assert (
            json_format.MessageToDict(served.configSchema.properties)
            == policy.config_schema.properties
        )
        level = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY}
        assert served.enforcementLevel == level[policy.enforcement_level.value]


def test_pack_reports_a_resource_violation_as_the_engine_shows_it(
    pack: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    configure(pack, {})
    props = {
        "repository_id": "github.com/acme/shop",
        "service_name": "checkout",
        "env": "prod",
        "early_flake_detection_enabled": True,
        "auto_test_retries_enabled": False,
    }
    [diagnostic] = analyze(pack, SERVICE_SETTINGS, "checkout-prod", props)
    assert diagnostic.policyName == "required-service-settings"
    assert diagnostic.policyPackName == "datadog-testing-guardrails"
    assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY
    assert diagnostic.message == (
        "Test Optimization service settings of the configured environments must manage the "
        "required settings with the required values.\n"
        "ServiceSettings 'checkout-prod' (env 'prod') sets auto_test_retries_enabled=False but "
        "must set auto_test_retries_enabled=True (required by policy 'required-service-settings' "
        "config 'required.prod'); set it in the resource args or change the policy config"
    )


def test_pack_unknown_values_produce_no_diagnostic(pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    configure(pack, {})
    props = {
        "repository_id": "github.com/acme/shop",
        "service_name": "checkout",
        "env": UNKNOWN_STRING_VALUE,
        "early_flake_detection_enabled": UNKNOWN_BOOLEAN_VALUE,
    }
    assert analyze(pack, SERVICE_SETTINGS, "checkout-prod", props) == []


def test_pack_config_changes_level_and_outcome(pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    suite = {
        "name": "Checkout",
        "tags": ["owner:payments"],
        "tests": [{"public_id": "abc-def-ghi", "alerting_criticality": "critical"}],
        "options": {"alerting_threshold": 0.3},
    }
    configure(pack, {})
    diagnostics = analyze(pack, SYNTHETICS_SUITE, "checkout", suite)
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [
        ("suite-alerting-threshold", analyzer_pb2.MANDATORY),
        ("suite-owner-tag", analyzer_pb2.ADVISORY),
    ]
    configure(
        pack,
        {
            "suite-alerting-threshold": {"min_threshold": 0.25},
            "suite-owner-tag": {"enforcementLevel": "mandatory", "owner_tag_prefixes": ["owner:"]},
        },
    )
    assert analyze(pack, SYNTHETICS_SUITE, "checkout", suite) == []


def test_pack_runs_stack_policies(pack: analyzer_pb2_grpc.AnalyzerStub) -> None:
    configure(pack, {"flaky-test-quarantine-cap": {"max_per_repository": 1}})
    resources = [
        analyzer_pb2.AnalyzerResource(
            type=FLAKY_TEST_STATES,
            name=name,
            urn=urn(FLAKY_TEST_STATES, name),
            properties=_struct(
                {"repository_id": "github.com/acme/shop", "states": states, "reason": "SHOP-1"}
            ),
        )
        for name, states in [
            ("a", {"0000000000000001": "quarantined"}),
            ("b", {"0000000000000002": "disabled"}),
        ]
    ]
    response = pack.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=resources), timeout=30)
    assert [(d.policyName, d.urn, d.message.splitlines()[-1]) for d in response.diagnostics] == [
        (
            "flaky-test-quarantine-cap",
            "",
            (
                "repository 'github.com/acme/shop' would have 2 tests quarantined or disabled across the "
                "stack (FlakyTestStates 'a': 1, FlakyTestStates 'b': 1), more than the 1 allowed by policy "
                "'flaky-test-quarantine-cap' (config 'max_per_repository'); fix and re-activate some tests, "
                "or raise this repository's limit in config 'repository_limits'"
            ),
        ),
    ]


def test_expiry_fails_past_the_date_and_warns_before_it_at_advisory_level(
    pack: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    """One mandatory policy, two levels on the wire: the engine fails preview on the expired
    quarantine and only warns about the one expiring soon."""
    today = datetime.now(UTC).date()
    soon, past = (today + timedelta(days=3)).isoformat(), (today - timedelta(days=2)).isoformat()
    props = {
        "repository_id": "github.com/acme/shop",
        "reason": "SHOP-1",
        "states": {
            "00000000000000aa": {"state": "quarantined", "expires": soon},
            "00000000000000bb": {"state": "disabled", "expires": past, "owner": "@acme/cart"},
        },
    }
    configure(pack, {})
    diagnostics = analyze(pack, FLAKY_TEST_STATES, "legacy", props)
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [
        ("flaky-quarantine-expiry", analyzer_pb2.MANDATORY),
        ("flaky-quarantine-expiry", analyzer_pb2.ADVISORY),
    ]
    assert "'00000000000000bb' (disabled, expired" in diagnostics[0].message
    assert "'00000000000000aa' (quarantined until" in diagnostics[1].message
    # configured advisory, both are warnings
    configure(pack, {"flaky-quarantine-expiry": {"enforcementLevel": "advisory"}})
    diagnostics = analyze(pack, FLAKY_TEST_STATES, "legacy", props)
    assert [d.enforcementLevel for d in diagnostics] == [analyzer_pb2.ADVISORY] * 2
