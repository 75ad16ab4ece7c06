"""One program, several policy situations, selected by the ``case`` stack config value.

- ``compliant``: passes every default policy.
- ``mandatory``: a prod ServiceSettings without early flake detection (mandatory policy).
- ``advisory``: a suite without a ``team:`` owner tag (advisory policy).
"""

import pulumi

from pulumi_datadog_testing import ServiceSettings, SyntheticsSuite

case = pulumi.Config().require("case")
REPO = "github.com/acme/policy"

ServiceSettings(
    "checkout-prod",
    repository_id=REPO,
    service_name="checkout",
    env="prod",
    auto_test_retries_enabled=True,
    early_flake_detection_enabled=case != "mandatory",
)

SyntheticsSuite(
    "checkout",
    name="Checkout",
    tags=["env:prod"] if case == "advisory" else ["env:prod", "team:checkout"],
    tests=[{"public_id": "pol-chk-001", "alerting_criticality": "critical"}],
    options={"alerting_threshold": 0.5},
)
