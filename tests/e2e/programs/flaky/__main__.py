"""The flaky-test resources, driven by stack config (JSON values) so one program serves
every step of the e2e tests:

- ``flaky-e2e:repository``: the repository id (required)
- ``flaky-e2e:states``: ``{test_id: state}`` → ``FlakyTestStates("bulk")``
- ``flaky-e2e:query`` + ``flaky-e2e:queryState`` → ``FlakyTestStates("by-query")``
- ``flaky-e2e:single``: FlakyTestState args (``test_id`` or ``module``/``suite``/``name``,
  ``state``, ``reason``) → ``FlakyTestState("single")``
- ``flaky-e2e:singles``: ``{test_id: state}`` → one ``FlakyTestState("single-<n>")`` per test
- ``flaky-e2e:selected``: a list of FlakyTestState args chosen by ``module``/``suite``/``name``
  → one ``FlakyTestState("selected-<n>")`` each; with ``"wired": true`` its ``name`` comes
  through an ``Output`` (``apply``), which gives the resource its own ``PriorValues``
- ``flaky-e2e:policies``: FlakyTestPolicies args without ``repository_id`` →
  ``FlakyTestPolicies("policies")``
- ``flaky-e2e:reason``, ``flaky-e2e:expires``, ``flaky-e2e:owner``: notes of the bulk resource
  (``states`` values may be objects with a test's own ``state``/``expires``/``owner``/``reason``)
"""

import pulumi

from pulumi_datadog_testing import (
    FlakyTestPolicies,
    FlakyTestPoliciesArgs,
    FlakyTestState,
    FlakyTestStates,
    FlakyTestStatesArgs,
)

config = pulumi.Config()
repository = config.require("repository")

states = config.get_object("states")
if states is not None:
    bulk = FlakyTestStates(
        "bulk",
        FlakyTestStatesArgs(
            repository_id=repository,
            states=states,
            reason=config.get("reason"),
            expires=config.get("expires"),
            owner=config.get("owner"),
        ),
    )
    pulumi.export("bulk_states", bulk.states)
    pulumi.export("bulk_previous", bulk.previous_states)
    pulumi.export("bulk_test_ids", bulk.test_ids)

query = config.get("query")
if query is not None:
    by_query = FlakyTestStates(
        "by-query", repository_id=repository, query=query, state=config.require("queryState")
    )
    pulumi.export("query_test_ids", by_query.test_ids)
    pulumi.export("query_pending", by_query.pending_test_ids)

single = config.get_object("single")
if single is not None:
    one = FlakyTestState("single", repository_id=repository, **single)
    pulumi.export("single_test_id", one.test_id)
    pulumi.export("single_fqn", one.fqn)
    pulumi.export("single_state", one.state)
    pulumi.export("single_previous", one.previous_state)

singles = config.get_object("singles")
for n, (test_id, state) in enumerate(sorted((singles or {}).items())):
    FlakyTestState(f"single-{n}", repository_id=repository, test_id=test_id, state=state)

for n, args in enumerate(config.get_object("selected") or []):
    selected = dict(args)
    if selected.pop("wired", False):
        selected["name"] = pulumi.Output.from_input(selected["name"]).apply(str)
    FlakyTestState(f"selected-{n}", repository_id=repository, **selected)

policies = config.get_object("policies")
if policies is not None:
    managed = FlakyTestPolicies(
        "policies", FlakyTestPoliciesArgs(repository_id=repository), **policies
    )
    pulumi.export("policies_previous", managed.previous_policies)
    pulumi.export("policies_attempt_to_fix", managed.attempt_to_fix)
