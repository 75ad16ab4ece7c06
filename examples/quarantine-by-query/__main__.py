"""Quarantine every flaky test of a repository that a Flaky Tests search query matches.

The query is resolved when the stack is created (and whenever the query or the state
changes). `pulumi refresh` (or `pulumi up --refresh`) runs it again and records the tests
that started matching since in the resource's `pending_test_ids`; they are then a pending
update, which the next `pulumi up` applies. Tests keep the state they were given even after they stop matching
(this query filters on `flaky_test_state:active`, which a quarantined test no longer is);
`pulumi destroy` puts every test back in the state it had before.
"""

import pulumi

from pulumi_datadog_testing import FlakyTestStates

config = pulumi.Config()

quarantine = FlakyTestStates(
    "quarantine-by-query",
    repository_id=config.require("repository"),
    query=config.require("query"),
    state=config.require("state"),
    reason=config.require("reason"),
)

pulumi.export("managed_test_ids", quarantine.test_ids)
pulumi.export("managed_count", quarantine.test_ids.apply(len))
