"""flaky-test-quarantine-cap, flaky-state-justification, unique-flaky-tests,
unique-flaky-test-policies."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from pulumi_datadog_testing.policy import (
    PolicyConfigError,
    flaky_state_justification,
    flaky_test_quarantine_cap,
    unique_flaky_test_policies,
    unique_flaky_tests,
)
from pulumi_datadog_testing.type_tokens import (
    FLAKY_TEST_POLICIES,
    FLAKY_TEST_STATE,
    FLAKY_TEST_STATES,
)
from tests.policy.harness import (
    Reported,
    messages,
    resource_args,
    run_policy,
    stack_args,
    stack_resource,
    urn,
)

REPO = "github.com/acme/shop"
OTHER_REPO = "github.com/acme/payments"


def tid(n: int) -> str:
    """A Datadog-like flaky test id: 16 hex characters."""
    return f"{n:016x}"


def bulk(states: dict[str, str], repository_id: str = REPO, **extra: Any) -> dict[str, Any]:
    return {"repository_id": repository_id, "states": states, **extra}


def single(test: str, state: str, repository_id: str = REPO, **extra: Any) -> dict[str, Any]:
    return {"repository_id": repository_id, "test_id": test, "state": state, **extra}


def quarantined(first: int, count: int) -> dict[str, str]:
    return {tid(n): "quarantined" for n in range(first, first + count)}


# --- flaky-test-quarantine-cap -------------------------------------------------------------


def test_cap_at_the_limit_passes() -> None:
    resources = [
        stack_resource(FLAKY_TEST_STATES, "bulk", bulk(quarantined(0, 49))),
        stack_resource(FLAKY_TEST_STATE, "one", single(tid(100), "disabled")),
        stack_resource(FLAKY_TEST_STATE, "fixed", single(tid(101), "fixed")),
        stack_resource(
            FLAKY_TEST_STATES, "active", bulk({tid(n): "active" for n in range(200, 260)})
        ),
    ]
    assert run_policy(flaky_test_quarantine_cap(), stack_args(resources)) == []


def test_cap_exceeded_across_resources_is_reported_per_repository() -> None:
    resources = [
        stack_resource(FLAKY_TEST_STATES, "bulk", bulk(quarantined(0, 50))),
        stack_resource(FLAKY_TEST_STATE, "one", single(tid(100), "disabled")),
        stack_resource(FLAKY_TEST_STATES, "payments", bulk(quarantined(0, 50), OTHER_REPO)),
    ]
    reported = run_policy(flaky_test_quarantine_cap(), stack_args(resources))
    assert reported == [
        Reported(
            "repository 'github.com/acme/shop' would have 51 tests quarantined or disabled "
            "across the stack (FlakyTestStates 'bulk': 50, FlakyTestState 'one': 1), more than "
            "the 50 allowed by policy 'flaky-test-quarantine-cap' (config 'max_per_repository'); "
            "fix and re-activate some tests, or raise this repository's limit in config "
            "'repository_limits'",
            None,
        )
    ]


def test_cap_counts_a_test_declared_twice_once() -> None:
    resources = [
        stack_resource(FLAKY_TEST_STATES, "a-bulk", bulk(quarantined(0, 50))),
        stack_resource(FLAKY_TEST_STATE, "b-again", single(tid(7), "quarantined")),
        stack_resource(FLAKY_TEST_STATES, "c-again", bulk({tid(8): "disabled"})),
    ]
    assert run_policy(flaky_test_quarantine_cap(), stack_args(resources)) == []


def test_cap_counts_selector_declared_tests() -> None:
    selected = {
        "repository_id": REPO,
        "suite": "CheckoutTest",
        "name": "test_pay",
        "state": "quarantined",
    }
    resources = [
        stack_resource(FLAKY_TEST_STATES, "bulk", bulk(quarantined(0, 2))),
        stack_resource(FLAKY_TEST_STATE, "by-name", selected),
    ]
    reported = run_policy(
        flaky_test_quarantine_cap(), stack_args(resources, {"max_per_repository": 2})
    )
    assert messages(reported) == [
        (
            "repository 'github.com/acme/shop' would have 3 tests quarantined or disabled across "
            "the stack (FlakyTestStates 'bulk': 2, FlakyTestState 'by-name': 1), more than the 2 "
            "allowed by policy 'flaky-test-quarantine-cap' (config 'max_per_repository'); fix and "
            "re-activate some tests, or raise this repository's limit in config 'repository_limits'"
        )
    ]


def test_cap_config_per_repository_limit_and_counted_states() -> None:
    resources = [
        stack_resource(FLAKY_TEST_STATES, "shop", bulk(quarantined(0, 60))),
        stack_resource(
            FLAKY_TEST_STATES,
            "payments",
            bulk({tid(1): "disabled", tid(2): "disabled"}, OTHER_REPO),
        ),
    ]
    config = {
        "max_per_repository": 1,
        "counted_states": ["disabled"],
        "repository_limits": {REPO: 0},
    }
    reported = run_policy(flaky_test_quarantine_cap(), stack_args(resources, config))
    assert messages(reported) == [
        (
            "repository 'github.com/acme/payments' would have 2 tests disabled across the stack "
            "(FlakyTestStates 'payments': 2), more than the 1 allowed by policy "
            "'flaky-test-quarantine-cap' (config 'max_per_repository'); fix and re-activate some "
            "tests, or raise this repository's limit in config 'repository_limits'"
        )
    ]
    raised = {"repository_limits": {REPO: 80}}
    assert run_policy(flaky_test_quarantine_cap(), stack_args(resources, raised)) == []
    lowered = {"repository_limits": {REPO: 10}}
    assert messages(run_policy(flaky_test_quarantine_cap(), stack_args(resources, lowered))) == [
        (
            "repository 'github.com/acme/shop' would have 60 tests quarantined or disabled across "
            "the stack (FlakyTestStates 'shop': 60), more than the 10 allowed by policy "
            "'flaky-test-quarantine-cap' (config 'repository_limits.github.com/acme/shop'); fix and "
            "re-activate some tests, or raise this repository's limit in config 'repository_limits'"
        )
    ]


def test_cap_skips_values_unknown_during_preview() -> None:
    resources = [
        stack_resource(FLAKY_TEST_STATES, "unknown-map", bulk(UNKNOWN_OBJECT_VALUE)),  # type: ignore[arg-type]
        stack_resource(
            FLAKY_TEST_STATES, "unknown-repo", bulk(quarantined(0, 60), UNKNOWN_STRING_VALUE)
        ),
        stack_resource(
            FLAKY_TEST_STATES,
            "unknown-states",
            bulk({tid(n): UNKNOWN_STRING_VALUE for n in range(60)}),
        ),
        stack_resource(FLAKY_TEST_STATE, "unknown-id", single(UNKNOWN_STRING_VALUE, "quarantined")),
    ]
    assert (
        run_policy(flaky_test_quarantine_cap(), stack_args(resources, {"max_per_repository": 0}))
        == []
    )


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        (
            {"max_per_repository": -1},
            "'max_per_repository': Input should be greater than or equal to 0",
        ),
        ({"max_per_repository": 2.5}, "'max_per_repository': Input should be a valid integer"),
        (
            {"counted_states": []},
            "'counted_states': List should have at least 1 item after validation, not 0",
        ),
        (
            {"counted_states": ["flaky"]},
            "'counted_states.0': Input should be 'active', 'quarantined', 'disabled' or 'fixed'",
        ),
        ({"max_per_repo": 10}, "'max_per_repo': Extra inputs are not permitted"),
    ],
)
def test_cap_rejects_invalid_config(config: dict[str, Any], problem: str) -> None:
    with pytest.raises(PolicyConfigError) as caught:
        run_policy(flaky_test_quarantine_cap(), stack_args([], config))
    assert str(caught.value) == (
        f"policy 'flaky-test-quarantine-cap' has invalid config: {problem} "
        "(allowed keys: counted_states, max_per_repository, repository_limits)"
    )


# --- flaky-state-justification -------------------------------------------------------------

JUSTIFY = (
    "(policy 'flaky-state-justification' requires one for states disabled or fixed, config "
    "'states_requiring_reason')"
)


@pytest.mark.parametrize(
    "props",
    [
        single(tid(1), "disabled", reason="https://jira.acme.dev/browse/SHOP-42"),
        single(tid(1), "fixed", reason="fixed by #1234"),
        single(tid(1), "quarantined"),
        single(tid(1), "active", reason=""),
    ],
    ids=["disabled-with-reason", "fixed-with-reason", "quarantined", "active"],
)
def test_justification_single_compliant(props: dict[str, Any]) -> None:
    args = resource_args(FLAKY_TEST_STATE, "legacy-login", props)
    assert run_policy(flaky_state_justification(), args) == []


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_justification_single_without_reason_is_reported(reason: str | None) -> None:
    props = single(tid(1), "disabled")
    if reason is not None:
        props["reason"] = reason
    args = resource_args(FLAKY_TEST_STATE, "legacy-login", props)
    assert messages(run_policy(flaky_state_justification(), args)) == [
        (
            "FlakyTestState 'legacy-login' sets state='disabled' without a reason; set reason= to "
            f"why the test is disabled (e.g. a ticket link) in the resource args {JUSTIFY}"
        )
    ]


def test_justification_bulk_lists_the_tests_needing_a_reason() -> None:
    states = {tid(n): "disabled" for n in range(12)} | {tid(20): "fixed", tid(21): "quarantined"}
    args = resource_args(FLAKY_TEST_STATES, "legacy", bulk(states))
    listed = ", ".join(tid(n) for n in range(10))
    assert messages(run_policy(flaky_state_justification(), args)) == [
        (
            f"FlakyTestStates 'legacy' sets 13 test(s) to disabled or fixed ({listed} and 3 more) "
            "without a reason; set reason= in the resource args — one justification (e.g. a ticket "
            "link) covers the whole set — or a test's own reason in its states entry "
            f"{JUSTIFY}"
        )
    ]


def test_justification_bulk_with_reason_or_only_quarantined_passes() -> None:
    with_reason = bulk({tid(1): "disabled"}, reason="SHOP-42")
    assert (
        run_policy(flaky_state_justification(), resource_args(FLAKY_TEST_STATES, "a", with_reason))
        == []
    )
    only_quarantined = bulk(quarantined(0, 5))
    assert (
        run_policy(
            flaky_state_justification(), resource_args(FLAKY_TEST_STATES, "b", only_quarantined)
        )
        == []
    )


def test_justification_config_states_and_reason_pattern() -> None:
    config = {"states_requiring_reason": ["quarantined"], "reason_pattern": "[A-Z]+-[0-9]+"}
    ticket = single(tid(1), "quarantined", reason="see SHOP-42")
    assert (
        run_policy(
            flaky_state_justification(), resource_args(FLAKY_TEST_STATE, "a", ticket, config)
        )
        == []
    )
    vague = single(tid(1), "quarantined", reason="flaky, will look later")
    assert messages(
        run_policy(flaky_state_justification(), resource_args(FLAKY_TEST_STATE, "b", vague, config))
    ) == [
        (
            "FlakyTestState 'b' sets state='quarantined' with reason 'flaky, will look later', which "
            "has no match of the pattern '[A-Z]+-[0-9]+' (config 'reason_pattern'); set reason= to "
            "why the test is quarantined (e.g. a ticket link) in the resource args (policy "
            "'flaky-state-justification' requires one for states quarantined, config "
            "'states_requiring_reason')"
        )
    ]
    disabled = single(tid(1), "disabled")
    assert (
        run_policy(
            flaky_state_justification(), resource_args(FLAKY_TEST_STATE, "c", disabled, config)
        )
        == []
    )


@pytest.mark.parametrize(
    ("kind", "props"),
    [
        (FLAKY_TEST_STATE, single(tid(1), UNKNOWN_STRING_VALUE)),
        (FLAKY_TEST_STATE, single(tid(1), "disabled", reason=UNKNOWN_STRING_VALUE)),
        (FLAKY_TEST_STATES, bulk(UNKNOWN_OBJECT_VALUE)),  # type: ignore[arg-type]
        (FLAKY_TEST_STATES, bulk({tid(1): "disabled"}, reason=UNKNOWN_STRING_VALUE)),
        (FLAKY_TEST_STATES, bulk({tid(1): UNKNOWN_STRING_VALUE})),
    ],
    ids=["state", "reason", "states-map", "bulk-reason", "bulk-entry"],
)
def test_justification_skips_values_unknown_during_preview(
    kind: str, props: dict[str, Any]
) -> None:
    assert run_policy(flaky_state_justification(), resource_args(kind, "x", props)) == []


def test_justification_rejects_an_invalid_pattern() -> None:
    args = resource_args(
        FLAKY_TEST_STATE, "x", single(tid(1), "disabled"), {"reason_pattern": "(["}
    )
    with pytest.raises(PolicyConfigError) as caught:
        run_policy(flaky_state_justification(), args)
    assert str(caught.value) == (
        "policy 'flaky-state-justification' has invalid config: 'reason_pattern': Value error, "
        "not a valid regular expression: unterminated character set at position 1 "
        "(allowed keys: reason_pattern, states_requiring_reason)"
    )


# --- unique-flaky-tests --------------------------------------------------------------------


def test_unique_tests_disjoint_resources_pass() -> None:
    resources = [
        stack_resource(FLAKY_TEST_STATES, "a", bulk(quarantined(0, 5))),
        stack_resource(FLAKY_TEST_STATES, "b", bulk(quarantined(5, 5))),
        stack_resource(FLAKY_TEST_STATES, "c", bulk(quarantined(0, 5), OTHER_REPO)),
        stack_resource(FLAKY_TEST_STATE, "d", single(tid(99), "fixed")),
    ]
    assert run_policy(unique_flaky_tests(), stack_args(resources)) == []


def test_unique_tests_overlaps_are_reported_per_pair_of_resources() -> None:
    selector = {
        "repository_id": REPO,
        "module": "shop",
        "suite": "CartTest",
        "name": "test_add",
        "state": "quarantined",
    }
    resources = [
        stack_resource(FLAKY_TEST_STATES, "a-bulk", bulk(quarantined(0, 5))),
        stack_resource(FLAKY_TEST_STATES, "b-overlap", bulk(quarantined(3, 5))),
        stack_resource(FLAKY_TEST_STATE, "c-one", single(tid(4), "disabled")),
        stack_resource(FLAKY_TEST_STATE, "d-by-name", selector),
        stack_resource(FLAKY_TEST_STATE, "e-by-name-again", {**selector, "state": "active"}),
    ]
    fight = "the two would overwrite each other's state — manage each test in exactly one resource (policy 'unique-flaky-tests')"
    assert run_policy(unique_flaky_tests(), stack_args(resources)) == [
        Reported(
            "FlakyTestStates 'b-overlap' manages 2 test(s) of repository 'github.com/acme/shop' "
            f"that FlakyTestStates 'a-bulk' already manages ('0000000000000003', '0000000000000004'); {fight}",
            urn(FLAKY_TEST_STATES, "b-overlap"),
        ),
        Reported(
            "FlakyTestState 'c-one' manages 1 test(s) of repository 'github.com/acme/shop' that "
            f"FlakyTestStates 'a-bulk' already manages ('0000000000000004'); {fight}",
            urn(FLAKY_TEST_STATE, "c-one"),
        ),
        Reported(
            "FlakyTestState 'e-by-name-again' manages 1 test(s) of repository "
            "'github.com/acme/shop' that FlakyTestState 'd-by-name' already manages ([module "
            f"'shop', suite 'CartTest', name 'test_add']); {fight}",
            urn(FLAKY_TEST_STATE, "e-by-name-again"),
        ),
    ]


def test_unique_tests_skip_ids_unknown_during_preview() -> None:
    resources = [
        stack_resource(FLAKY_TEST_STATE, "a", single(UNKNOWN_STRING_VALUE, "quarantined")),
        stack_resource(FLAKY_TEST_STATE, "b", single(UNKNOWN_STRING_VALUE, "quarantined")),
        stack_resource(FLAKY_TEST_STATES, "c", bulk(UNKNOWN_OBJECT_VALUE)),  # type: ignore[arg-type]
        stack_resource(FLAKY_TEST_STATES, "d", bulk(UNKNOWN_OBJECT_VALUE)),  # type: ignore[arg-type]
    ]
    assert run_policy(unique_flaky_tests(), stack_args(resources)) == []


# --- unique-flaky-test-policies ------------------------------------------------------------


def policies(repository_id: str = REPO, **extra: Any) -> dict[str, Any]:
    return {"repository_id": repository_id, "attempt_to_fix": {"retries": 3}, **extra}


def test_unique_policies_one_per_repository_passes() -> None:
    resources = [
        stack_resource(FLAKY_TEST_POLICIES, "shop", policies()),
        stack_resource(FLAKY_TEST_POLICIES, "payments", policies(OTHER_REPO)),
        stack_resource(FLAKY_TEST_POLICIES, "later", policies(UNKNOWN_STRING_VALUE)),
    ]
    assert run_policy(unique_flaky_test_policies(), stack_args(resources)) == []


def test_unique_policies_second_resource_for_a_repository_is_reported() -> None:
    resources = [
        stack_resource(
            FLAKY_TEST_POLICIES, "shop-quarantine", policies(quarantined={"enabled": True})
        ),
        stack_resource(FLAKY_TEST_POLICIES, "shop-base", policies()),
    ]
    assert run_policy(unique_flaky_test_policies(), stack_args(resources)) == [
        Reported(
            "FlakyTestPolicies 'shop-quarantine' manages the flaky-test policies of repository "
            "'github.com/acme/shop', which FlakyTestPolicies 'shop-base' already manages; a "
            "repository has one set of policies — merge them into one resource "
            "(policy 'unique-flaky-test-policies')",
            urn(FLAKY_TEST_POLICIES, "shop-quarantine"),
        )
    ]
