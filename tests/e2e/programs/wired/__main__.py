"""Every resource of the package wired from another resource's outputs, the way programs are
written: ``apply``, ``Output.concat``, ``Output.secret``, list items and a whole ``states``
map that are Outputs. In a first preview every such input is unknown.

Config (``wired-e2e:``): ``repository``, ``testIds`` (JSON list of two flaky test ids),
``baseName`` (the first suite's name; changing it makes the wired inputs unknown again).
"""

import pulumi

from pulumi_datadog_testing import (
    FlakyTestPolicies,
    FlakyTestState,
    FlakyTestStates,
    ServiceSettings,
    SyntheticsSuite,
)

config = pulumi.Config()
repository = config.require("repository")
first_id, second_id = config.require_object("testIds")

base = SyntheticsSuite(
    "base",
    name=config.require("baseName"),
    tests=[{"public_id": "abc-def-001", "alerting_criticality": "critical"}],
    tags=["team:shop"],
)

# Suite: name via Output.concat, a test's public_id and a tag from the base suite's outputs,
# the message a secret.
wired = SyntheticsSuite(
    "wired",
    name=pulumi.Output.concat(base.name, " (wired to ", base.public_id, ")"),
    tests=[
        {"public_id": base.tests.apply(lambda tests: tests[0]["public_id"])},
        {"public_id": base.public_id.apply(lambda _public_id: "abc-def-002")},
    ],
    tags=[base.public_id.apply(lambda public_id: f"parent:{public_id}")],
    message=pulumi.Output.secret("checkout is down"),
    options={"alerting_threshold": base.options.apply(lambda _options: 0.5)},
)

# Policies: the identity (repository_id) from an apply.
policies = FlakyTestPolicies(
    "policies",
    repository_id=base.public_id.apply(lambda _public_id: repository),
    attempt_to_fix={"retries": wired.public_id.apply(lambda _public_id: 3)},
)

# Settings: identity fields from other resources' outputs.
settings = ServiceSettings(
    "settings",
    repository_id=policies.repository_id,
    service_name=base.public_id.apply(lambda _public_id: "checkout"),
    env=wired.public_id.apply(lambda _public_id: "prod"),
    code_coverage_enabled=True,
)

# One flaky test: test_id from an apply, reason a secret.
single = FlakyTestState(
    "single",
    repository_id=policies.repository_id,
    test_id=settings.service_name.apply(lambda _name: first_id),
    state="quarantined",
    reason=pulumi.Output.secret("flaky since the checkout rewrite"),
)

# Many flaky tests: the whole states map is one Output.
bulk = FlakyTestStates(
    "bulk",
    repository_id=single.repository_id,
    states=wired.public_id.apply(lambda _public_id: {second_id: "disabled"}),
    reason=pulumi.Output.concat("tracked in ", base.public_id),
)

pulumi.export("base_id", base.public_id)
pulumi.export("wired_id", wired.public_id)
pulumi.export("wired_name", wired.name)
pulumi.export("settings_id", settings.id)
pulumi.export("single_state", single.state)
pulumi.export("bulk_states", bulk.states)
