"""``services`` ServiceSettings and two FlakyTestPolicies declared with plain values (they
join the stack's ledger), plus one ServiceSettings whose ``env`` is a secret Output and whose
service name comes from another resource's output (``Output.concat``): it cannot join the
ledger and reads for itself.

Config (namespace ``read-ahead-e2e``): ``repository``, ``services`` (count).
"""

import pulumi

from pulumi_datadog_testing import FlakyTestPolicies, ServiceSettings

config = pulumi.Config()
repository = config.require("repository")
services = [
    ServiceSettings(
        f"svc-{i:02d}",
        repository_id=repository,
        service_name=f"svc-{i:02d}",
        env="ci",
        early_flake_detection_enabled=True,
        auto_test_retries_enabled=i % 2 == 0,
    )
    for i in range(config.require_int("services"))
]
policies = [
    FlakyTestPolicies(
        f"policies-{i}",
        repository_id=f"{repository}-{i}",
        attempt_to_fix={"retries": 3 + i},
    )
    for i in range(2)
]
wired = ServiceSettings(
    "wired",
    repository_id=repository,
    service_name=pulumi.Output.concat(
        "wired-", policies[0].id.apply(lambda r: r.rsplit("-", 1)[1])
    ),
    env=pulumi.Output.secret("ci"),
    code_coverage_enabled=True,
)
pulumi.export("wired", wired.id)
