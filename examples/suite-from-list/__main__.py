"""A Synthetics suite built from a list of test public ids.

The ids come from the stack config list ``suite-from-list:testIds`` or, when it is not set,
from ``DEFAULT_TEST_IDS`` below. Every test is critical except those listed in
``suite-from-list:ignoredTestIds``. Adding or removing an id changes only that test on the
next ``pulumi up`` (one guarded JSON Patch operation per test).
"""

import pulumi

from pulumi_datadog_testing import SyntheticsSuite

DEFAULT_TEST_IDS = ["abc-def-001", "abc-def-002", "abc-def-003"]

config = pulumi.Config()
test_ids: list[str] = config.get_object("testIds") or DEFAULT_TEST_IDS
ignored: set[str] = set(config.get_object("ignoredTestIds") or [])
threshold = config.get_float("alertingThreshold")

suite = SyntheticsSuite(
    "checkout",
    name=config.get("suiteName") or "Checkout journeys",
    message="Checkout journeys are failing; see the runbook. @team-checkout",
    tags=["team:checkout", "managed-by:pulumi"],
    tests=[
        {
            "public_id": test_id,
            "alerting_criticality": "ignore" if test_id in ignored else "critical",
        }
        for test_id in test_ids
    ],
    options={"alerting_threshold": 0.5 if threshold is None else threshold},
)

pulumi.export("suite_public_id", suite.public_id)
pulumi.export("suite_monitor_id", suite.monitor_id)
pulumi.export("test_count", suite.tests.apply(len))
