"""A pack's ``initial_config`` never downgrades a policy: what the engine receives.

The analyzer built by ``pulumi_policy.PolicyPack`` is constructed here directly (constructing
``PolicyPack`` would start its gRPC server) and asked for ``GetAnalyzerInfo``, the message the
engine reads each policy's level and the pack's initial config from. The end-to-end proof
through the real CLI is in tests/e2e/test_policy_pack.py.
"""

from __future__ import annotations

from typing import Any

from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy import policy as sdk

from pulumi_datadog_testing.policy import (
    FLAKY_TEST_QUARANTINE_CAP,
    SUITE_OWNER_TAG,
    flaky_test_quarantine_cap,
    suite_owner_tag,
)
from pulumi_datadog_testing.policy._levels import keep_declared_levels, keeps_declared_levels


def analyzer_info(initial_config: dict[str, Any]) -> Any:
    servicer = sdk._PolicyAnalyzerServicer(  # what PolicyPack(...) builds and serves
        "acme-guardrails",
        "0.0.1",
        [flaky_test_quarantine_cap(), suite_owner_tag()],
        EnforcementLevel.ADVISORY,
        initial_config,
    )
    return servicer.GetAnalyzerInfo(None, None)


def test_importing_the_library_applies_the_fix_once() -> None:
    assert keeps_declared_levels()
    patched = sdk._PolicyAnalyzerServicer.GetAnalyzerInfo
    keep_declared_levels()
    assert sdk._PolicyAnalyzerServicer.GetAnalyzerInfo is patched


def test_threshold_only_initial_config_keeps_the_declared_level() -> None:
    info = analyzer_info(
        {
            FLAKY_TEST_QUARANTINE_CAP: {"max_per_repository": 1},
            SUITE_OWNER_TAG: {"owner_tag_prefixes": ["owner:"]},
        }
    )
    cap = info.initialConfig[FLAKY_TEST_QUARANTINE_CAP]
    assert cap.enforcementLevel == analyzer_pb2.MANDATORY
    assert dict(cap.properties) == {"max_per_repository": 1.0}
    assert info.initialConfig[SUITE_OWNER_TAG].enforcementLevel == analyzer_pb2.ADVISORY


def test_an_explicit_level_in_initial_config_is_kept() -> None:
    info = analyzer_info(
        {
            FLAKY_TEST_QUARANTINE_CAP: {"enforcementLevel": EnforcementLevel.ADVISORY},
            SUITE_OWNER_TAG: EnforcementLevel.MANDATORY,
        }
    )
    assert info.initialConfig[FLAKY_TEST_QUARANTINE_CAP].enforcementLevel == analyzer_pb2.ADVISORY
    assert info.initialConfig[SUITE_OWNER_TAG].enforcementLevel == analyzer_pb2.MANDATORY


def test_an_all_entry_without_level_is_dropped_not_sent_as_advisory() -> None:
    info = analyzer_info({"all": {}, FLAKY_TEST_QUARANTINE_CAP: {}})
    assert "all" not in info.initialConfig
    assert info.initialConfig[FLAKY_TEST_QUARANTINE_CAP].enforcementLevel == analyzer_pb2.MANDATORY
    info = analyzer_info({"all": EnforcementLevel.DISABLED})
    assert info.initialConfig["all"].enforcementLevel == analyzer_pb2.DISABLED


def test_the_policies_themselves_are_reported_at_their_levels() -> None:
    info = analyzer_info({FLAKY_TEST_QUARANTINE_CAP: {"max_per_repository": 1}})
    assert [(p.name, p.enforcementLevel) for p in info.policies] == [
        (FLAKY_TEST_QUARANTINE_CAP, analyzer_pb2.MANDATORY),
        (SUITE_OWNER_TAG, analyzer_pb2.ADVISORY),
    ]
