"""flaky-quarantine-expiry: fail past ``expires``, warn ``warn_days`` before, optionally
require a date; per test in the map form. (Levels as the engine sees them: the pack process
test in test_pack_process.py; through the real CLI: tests/e2e.)"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from pulumi_datadog_testing.policy import (
    PolicyConfigError,
    flaky_quarantine_expiry,
    flaky_state_justification,
    flaky_test_quarantine_cap,
    unique_flaky_tests,
)
from pulumi_datadog_testing.policy import flaky_tests as module
from pulumi_datadog_testing.policy._levels import advisory_reporter
from pulumi_datadog_testing.type_tokens import FLAKY_TEST_STATE, FLAKY_TEST_STATES
from tests.policy.harness import messages, resource_args, run_policy, stack_args, stack_resource

REPO = "github.com/acme/shop"
TODAY = date(2026, 12, 1)
A, B, C = "00000000000000aa", "00000000000000bb", "00000000000000cc"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "today", lambda: TODAY)


def single(state: str, **notes: Any) -> dict[str, Any]:
    return {"repository_id": REPO, "test_id": A, "state": state, **notes}


def check(kind: str, props: dict[str, Any], config: dict[str, Any] | None = None) -> list[str]:
    return messages(run_policy(flaky_quarantine_expiry(), resource_args(kind, "q", props, config)))


def test_an_expired_quarantine_fails() -> None:
    props = single("quarantined", expires="2026-11-30", owner="@acme/cart")
    assert check(FLAKY_TEST_STATE, props) == [
        (
            f"FlakyTestState 'q' keeps 1 test(s) quarantined or disabled past their expiry: '{A}' "
            "(quarantined, expired 2026-11-30, 1 day(s) ago, owner @acme/cart); fix the test(s) and "
            "set them 'active', or review the quarantine and move expires= to a later date "
            "(policy 'flaky-quarantine-expiry')"
        )
    ]


@pytest.mark.parametrize(
    ("expires", "warned"),
    [("2026-12-01", "today is its last day"), ("2026-12-08", "7 day(s) left")],
)
def test_a_quarantine_about_to_expire_warns(expires: str, warned: str) -> None:
    [message] = check(FLAKY_TEST_STATE, single("disabled", expires=expires))
    assert isinstance(message, str)
    assert message == (
        f"FlakyTestState 'q': the quarantine of 1 test(s) expires within 7 day(s): '{A}' "
        f"(disabled until {expires}, {warned}); after that day preview fails — fix the test(s) "
        "or review and move expires= (policy 'flaky-quarantine-expiry' config 'warn_days')"
    )


def test_warnings_go_to_the_advisory_reporter_even_when_mandatory() -> None:
    """The check yields warnings as ``Advisory``; the policy hands them to the reporter the
    library attaches to a mandatory policy's report_violation."""
    mandatory: list[str] = []
    advisory: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        mandatory.append(message)

    report.advisory = lambda message, urn=None: advisory.append(message)  # type: ignore[attr-defined]
    props = {
        "repository_id": REPO,
        "states": {
            A: {"state": "quarantined", "expires": "2026-12-03"},
            B: {"state": "quarantined", "expires": "2026-01-01"},
        },
    }
    flaky_quarantine_expiry().validate(resource_args(FLAKY_TEST_STATES, "q", props), report)
    assert [m.split(":")[0] for m in mandatory] == [
        "FlakyTestStates 'q' keeps 1 test(s) quarantined or disabled past their expiry"
    ]
    assert len(advisory) == 1 and "expires within 7 day(s)" in advisory[0]
    assert advisory_reporter(report) is report.advisory  # type: ignore[attr-defined]
    # a reporter without .advisory (a policy configured advisory) is used as it is
    assert advisory_reporter(print) is print


def test_far_expiry_active_or_unset_passes() -> None:
    assert check(FLAKY_TEST_STATE, single("quarantined", expires="2026-12-09")) == []
    assert check(FLAKY_TEST_STATE, single("active", expires="2020-01-01")) == []
    assert check(FLAKY_TEST_STATE, single("fixed", expires="2020-01-01")) == []
    assert check(FLAKY_TEST_STATE, single("quarantined")) == []


def test_require_expires_and_warn_days_are_configurable() -> None:
    config = {"require_expires": True, "warn_days": 30, "checked_states": ["quarantined"]}
    [missing] = check(FLAKY_TEST_STATE, single("quarantined", owner="@acme/cart"), config)
    assert missing == (
        f"FlakyTestState 'q' quarantines or disables 1 test(s) without expires=: '{A}' "
        "(quarantined, owner @acme/cart); set expires='YYYY-MM-DD' (the last day the quarantine "
        "may last) (policy 'flaky-quarantine-expiry' config 'require_expires')"
    )
    [soon] = check(FLAKY_TEST_STATE, single("quarantined", expires="2026-12-20"), config)
    assert "within 30 day(s)" in soon and "19 day(s) left" in soon
    assert check(FLAKY_TEST_STATE, single("disabled", expires="2020-01-01"), config) == []


def test_the_map_form_checks_each_tests_own_expiry_else_the_resources() -> None:
    props = {
        "repository_id": REPO,
        "expires": "2027-06-30",
        "owner": "@acme/payments",
        "states": {
            A: {"state": "quarantined", "expires": "2026-10-01", "owner": "@acme/cart"},
            B: "disabled",  # the resource's expires: far away
            C: {"state": "active", "expires": "2020-01-01"},
        },
    }
    [expired] = check(FLAKY_TEST_STATES, props)
    assert f"'{A}' (quarantined, expired 2026-10-01, 61 day(s) ago, owner @acme/cart)" in expired
    assert B not in expired and C not in expired
    props["expires"] = "2026-11-01"
    [expired] = check(FLAKY_TEST_STATES, props)
    assert "keeps 2 test(s)" in expired
    assert f"'{B}' (disabled, expired 2026-11-01, 30 day(s) ago, owner @acme/payments)" in expired


def test_the_query_form_is_checked_as_one_set() -> None:
    props = {"repository_id": REPO, "query": "@test.service:cart", "state": "quarantined"}
    assert check(FLAKY_TEST_STATES, {**props, "expires": "2026-12-31"}) == []
    [expired] = check(FLAKY_TEST_STATES, {**props, "expires": "2026-06-01"})
    assert (
        "the tests matching query '@test.service:cart' (quarantined, expired 2026-06-01" in expired
    )
    [missing] = check(FLAKY_TEST_STATES, props, {"require_expires": True})
    assert "without expires=: the tests matching query" in missing


def test_values_unknown_during_preview_are_not_judged() -> None:
    assert check(FLAKY_TEST_STATE, single("quarantined", expires=UNKNOWN_STRING_VALUE)) == []
    assert check(FLAKY_TEST_STATE, single(UNKNOWN_STRING_VALUE, expires="2020-01-01")) == []
    props = {
        "repository_id": REPO,
        "states": {A: {"state": "quarantined", "expires": UNKNOWN_STRING_VALUE}},
    }
    assert check(FLAKY_TEST_STATES, props, {"require_expires": True}) == []


def test_a_bad_date_is_reported_not_crashed_on() -> None:
    [message] = check(FLAKY_TEST_STATE, single("quarantined", expires="31/12/2026"))
    assert message == (
        f"FlakyTestState 'q' has expires= that is not an ISO date (YYYY-MM-DD): '{A}' "
        "(expires='31/12/2026')"
    )


def test_a_typo_in_the_config_is_an_error() -> None:
    with pytest.raises(PolicyConfigError, match="'warn_day': Extra inputs are not permitted"):
        check(FLAKY_TEST_STATE, single("quarantined"), {"warn_day": 3})


# --- object values in the map form, as the other flaky policies see them ------------------


def test_object_values_count_for_the_cap_and_uniqueness_and_carry_their_reason() -> None:
    states = {
        A: {"state": "quarantined", "expires": "2027-01-01"},
        B: {"state": "disabled", "reason": "SHOP-7"},
    }
    resources = [
        stack_resource(FLAKY_TEST_STATES, "a", {"repository_id": REPO, "states": states}),
        stack_resource(FLAKY_TEST_STATE, "b", single("quarantined")),
    ]
    capped = run_policy(
        flaky_test_quarantine_cap(), stack_args(resources, {"max_per_repository": 1})
    )
    assert "would have 2 tests quarantined or disabled" in messages(capped)[0]
    [duplicate] = messages(run_policy(unique_flaky_tests(), stack_args(resources)))
    assert f"FlakyTestState 'b' manages 1 test(s) of repository '{REPO}'" in duplicate
    # B's own reason justifies it; without it, the resource has none
    justification = flaky_state_justification()
    props = {"repository_id": REPO, "states": states}
    assert run_policy(justification, resource_args(FLAKY_TEST_STATES, "a", props)) == []
    states[B] = {"state": "disabled"}
    [missing] = messages(run_policy(justification, resource_args(FLAKY_TEST_STATES, "a", props)))
    assert f"sets 1 test(s) to disabled ({B}) without a reason" in missing
