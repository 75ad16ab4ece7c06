"""Policies over flaky-test management: FlakyTestState, FlakyTestStates, FlakyTestPolicies."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pydantic import Field, field_validator

from ..identity import FlakyState
from ..type_tokens import ResourceKind
from ._base import (
    Advisory,
    StackResource,
    Violation,
    join_or,
    listing,
    py,
    resource_policy,
    stack_policy,
)
from ._config import PolicyConfig
from ._props import UNKNOWN, Unknown
from ._resources import (
    FlakyTestPoliciesView,
    FlakyTestStatesView,
    FlakyTestStateView,
    ResourceRef,
    TestKey,
)

__all__ = [
    "FLAKY_QUARANTINE_EXPIRY",
    "FLAKY_STATE_JUSTIFICATION",
    "FLAKY_TEST_QUARANTINE_CAP",
    "UNIQUE_FLAKY_TESTS",
    "UNIQUE_FLAKY_TEST_POLICIES",
    "FlakyQuarantineExpiryConfig",
    "FlakyStateJustificationConfig",
    "FlakyTestQuarantineCapConfig",
    "UniqueFlakyTestPoliciesConfig",
    "UniqueFlakyTestsConfig",
    "flaky_quarantine_expiry",
    "flaky_state_justification",
    "flaky_test_quarantine_cap",
    "unique_flaky_test_policies",
    "unique_flaky_tests",
]

FLAKY_TEST_QUARANTINE_CAP = "flaky-test-quarantine-cap"
FLAKY_STATE_JUSTIFICATION = "flaky-state-justification"
FLAKY_QUARANTINE_EXPIRY = "flaky-quarantine-expiry"
UNIQUE_FLAKY_TESTS = "unique-flaky-tests"
UNIQUE_FLAKY_TEST_POLICIES = "unique-flaky-test-policies"

_FLAKY_KINDS = frozenset({ResourceKind.FLAKY_TEST_STATE, ResourceKind.FLAKY_TEST_STATES})


def _declared_tests(
    resources: Sequence[StackResource],
) -> Iterator[tuple[ResourceRef, TestKey, str | Unknown]]:
    """(resource, test, state) for every test a FlakyTestState/FlakyTestStates declares,
    skipping what is not known yet during preview."""
    for resource in resources:
        if resource.ref.kind is ResourceKind.FLAKY_TEST_STATE:
            single = FlakyTestStateView.of(resource.ref, resource.props)
            if isinstance(single.key, TestKey):
                yield resource.ref, single.key, single.state or ""
        elif resource.ref.kind is ResourceKind.FLAKY_TEST_STATES:
            bulk = FlakyTestStatesView.of(resource.ref, resource.props)
            for key, state in bulk.keyed_states():
                yield resource.ref, key, state


# --- flaky-test-quarantine-cap -------------------------------------------------------------


class FlakyTestQuarantineCapConfig(PolicyConfig):
    max_per_repository: int = Field(
        default=50,
        ge=0,
        description="most tests per repository that may be in one of 'counted_states'.",
    )
    counted_states: list[FlakyState] = Field(
        default=["quarantined", "disabled"],
        min_length=1,
        description="the states that count against the cap.",
    )
    repository_limits: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default={},
        description="repository_id -> its own cap, instead of 'max_per_repository'.",
    )


def _check_cap(
    resources: Sequence[StackResource], config: FlakyTestQuarantineCapConfig
) -> Iterator[Violation]:
    counted = set(config.counted_states)
    # repository -> test -> the first resource declaring it in a counted state
    tests: dict[str, dict[TestKey, ResourceRef]] = defaultdict(dict)
    for ref, key, state in _declared_tests(resources):
        if state in counted:
            tests[key.repository_id].setdefault(key, ref)
    for repository_id in sorted(tests):
        owners = tests[repository_id]
        limit = config.repository_limits.get(repository_id, config.max_per_repository)
        if len(owners) <= limit:
            continue
        per_resource: dict[ResourceRef, int] = defaultdict(int)
        for ref in owners.values():
            per_resource[ref] += 1
        breakdown = ", ".join(f"{ref}: {count}" for ref, count in per_resource.items())
        limit_key = (
            f"repository_limits.{repository_id}"
            if repository_id in config.repository_limits
            else "max_per_repository"
        )
        yield Violation(
            f"repository '{repository_id}' would have {len(owners)} tests "
            f"{join_or(config.counted_states)} across the stack ({breakdown}), more than the "
            f"{limit} allowed by policy '{FLAKY_TEST_QUARANTINE_CAP}' (config '{limit_key}'); "
            "fix and re-activate some tests, or raise this repository's limit in config "
            "'repository_limits'"
        )


def flaky_test_quarantine_cap(
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> StackValidationPolicy:
    """Cap the tests quarantined or disabled per repository across the whole stack."""
    return stack_policy(
        name=FLAKY_TEST_QUARANTINE_CAP,
        description=(
            "A repository may have at most a configured number of tests quarantined or "
            "disabled across all FlakyTestState/FlakyTestStates resources of the stack."
        ),
        kinds=_FLAKY_KINDS,
        config=FlakyTestQuarantineCapConfig,
        check=_check_cap,
        enforcement_level=enforcement_level,
        remediation_steps="Re-activate fixed tests, or raise the limit in the policy config.",
    )


# --- flaky-state-justification -------------------------------------------------------------


class FlakyStateJustificationConfig(PolicyConfig):
    states_requiring_reason: list[FlakyState] = Field(
        default=["disabled", "fixed"],
        description="states that may only be set with a non-empty 'reason'.",
    )
    reason_pattern: str = Field(
        default="",
        description=(
            "a regular expression the reason must contain a match of (e.g. a ticket key "
            "'[A-Z]+-[0-9]+'); empty: any non-blank text."
        ),
    )

    @field_validator("reason_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value


def _reason_problem(reason: str | None, config: FlakyStateJustificationConfig) -> str | None:
    """Why ``reason`` does not justify the state, or ``None`` if it does."""
    if reason is None or not reason.strip():
        return "without a reason"
    if config.reason_pattern and not re.search(config.reason_pattern, reason):
        return (
            f"with reason {py(reason)}, which has no match of the pattern "
            f"{py(config.reason_pattern)} (config 'reason_pattern')"
        )
    return None


def _check_justification(
    ref: ResourceRef, props: Mapping[str, Any], config: FlakyStateJustificationConfig
) -> Iterator[str]:
    needs = set(config.states_requiring_reason)
    hint = (
        f"(policy '{FLAKY_STATE_JUSTIFICATION}' requires one for states "
        f"{join_or(config.states_requiring_reason)}, config 'states_requiring_reason')"
    )
    if ref.kind is ResourceKind.FLAKY_TEST_STATE:
        single = FlakyTestStateView.of(ref, props)
        if single.state not in needs or single.reason is UNKNOWN:
            return
        problem = _reason_problem(single.reason, config)
        if problem:
            yield (
                f"{ref} sets state={py(single.state)} {problem}; set reason= to why the test "
                f"is {single.state} (e.g. a ticket link) in the resource args {hint}"
            )
        return
    bulk = FlakyTestStatesView.of(ref, props)
    if bulk.states is UNKNOWN:
        return
    flagged = sorted(test_id for test_id, state in bulk.states.items() if state in needs)
    # a test's own reason (object value) justifies it; the others share the resource's
    reasons = {test_id: bulk.note(test_id, "reason") for test_id in flagged}
    if any(reason is UNKNOWN for reason in reasons.values()):
        return
    problems: dict[str, list[str]] = defaultdict(list)
    for test_id in flagged:
        reason = reasons[test_id]
        problem = _reason_problem(None if isinstance(reason, Unknown) else reason, config)
        if problem:
            problems[problem].append(test_id)
    for problem, test_ids in problems.items():
        states = sorted({str(bulk.states[test_id]) for test_id in test_ids})
        yield (
            f"{ref} sets {len(test_ids)} test(s) to {join_or(states)} ({listing(test_ids)}) "
            f"{problem}; set reason= in the resource args — one justification (e.g. a ticket "
            f"link) covers the whole set — or a test's own reason in its states entry {hint}"
        )


def flaky_state_justification(
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    """``disabled``/``fixed`` states only with a non-empty ``reason`` (configurable states)."""
    return resource_policy(
        name=FLAKY_STATE_JUSTIFICATION,
        description=(
            "Flaky tests may only be put in the configured states (default disabled, fixed) "
            "with a justification in 'reason'."
        ),
        kinds=_FLAKY_KINDS,
        config=FlakyStateJustificationConfig,
        check=_check_justification,
        enforcement_level=enforcement_level,
        remediation_steps="Add reason= (e.g. a ticket link) to the resource args.",
    )


# --- flaky-quarantine-expiry ---------------------------------------------------------------


class FlakyQuarantineExpiryConfig(PolicyConfig):
    warn_days: int = Field(
        default=7,
        ge=0,
        description=(
            "warn (advisory) when a quarantine expires within this many days; 0: only on "
            "its last day."
        ),
    )
    require_expires: bool = Field(
        default=False,
        description="every test in one of 'checked_states' must have an 'expires' date.",
    )
    checked_states: list[FlakyState] = Field(
        default=["quarantined", "disabled"],
        min_length=1,
        description="the states whose 'expires' is checked.",
    )


today: Callable[[], date] = lambda: datetime.now(UTC).date()
"""The current date (UTC) the expiry is judged against; tests replace it."""


@dataclass(frozen=True)
class _Quarantine:
    """One test (or the tests of a query) in a checked state, with its notes."""

    label: str
    state: str
    expires: str | Unknown | None
    owner: str | Unknown | None


def _quarantines(
    ref: ResourceRef, props: Mapping[str, Any], checked: set[str]
) -> Iterator[_Quarantine]:
    if ref.kind is ResourceKind.FLAKY_TEST_STATE:
        single = FlakyTestStateView.of(ref, props)
        if isinstance(single.state, str) and single.state in checked:
            label = str(single.key) if isinstance(single.key, TestKey) else "its test"
            yield _Quarantine(label, single.state, single.expires, single.owner)
        return
    bulk = FlakyTestStatesView.of(ref, props)
    if bulk.query is not None:
        if isinstance(bulk.state, str) and bulk.state in checked:
            label = f"the tests matching query {py(bulk.query)}"
            yield _Quarantine(label, bulk.state, bulk.expires, bulk.owner)
        return
    if bulk.states is UNKNOWN:
        return
    for test_id, state in sorted(bulk.states.items()):
        if isinstance(state, str) and state in checked:
            yield _Quarantine(
                f"'{test_id}'", state, bulk.note(test_id, "expires"), bulk.note(test_id, "owner")
            )


def _owned(item: _Quarantine) -> str:
    return f", owner {item.owner}" if isinstance(item.owner, str) and item.owner else ""


def _check_expiry(
    ref: ResourceRef, props: Mapping[str, Any], config: FlakyQuarantineExpiryConfig
) -> Iterator[str]:
    now = today()
    expired: list[str] = []
    soon: list[str] = []
    missing: list[str] = []
    invalid: list[str] = []
    for item in _quarantines(ref, props, set(config.checked_states)):
        if item.expires is UNKNOWN:
            continue
        if item.expires is None:
            if config.require_expires:
                missing.append(f"{item.label} ({item.state}{_owned(item)})")
            continue
        try:
            ends = date.fromisoformat(str(item.expires))
        except ValueError:
            invalid.append(f"{item.label} (expires={py(item.expires)})")
            continue
        left = (ends - now).days
        if left < 0:
            expired.append(
                f"{item.label} ({item.state}, expired {item.expires}, {-left} day(s) ago"
                f"{_owned(item)})"
            )
        elif left <= config.warn_days:
            when = "today is its last day" if left == 0 else f"{left} day(s) left"
            soon.append(f"{item.label} ({item.state} until {item.expires}, {when}{_owned(item)})")
    policy = f"policy '{FLAKY_QUARANTINE_EXPIRY}'"
    if expired:
        yield (
            f"{ref} keeps {len(expired)} test(s) quarantined or disabled past their expiry: "
            f"{listing(expired)}; fix the test(s) and set them 'active', or review the "
            f"quarantine and move expires= to a later date ({policy})"
        )
    if invalid:
        yield f"{ref} has expires= that is not an ISO date (YYYY-MM-DD): {listing(invalid)}"
    if missing:
        yield (
            f"{ref} quarantines or disables {len(missing)} test(s) without expires=: "
            f"{listing(missing)}; set expires='YYYY-MM-DD' (the last day the quarantine may "
            f"last) ({policy} config 'require_expires')"
        )
    if soon:
        yield Advisory(
            f"{ref}: the quarantine of {len(soon)} test(s) expires within "
            f"{config.warn_days} day(s): {listing(soon)}; after that day preview fails — fix "
            f"the test(s) or review and move expires= ({policy} config 'warn_days')"
        )


def flaky_quarantine_expiry(
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> ResourceValidationPolicy:
    """Quarantines that lapse: fail past ``expires``, warn ``warn_days`` before it."""
    return resource_policy(
        name=FLAKY_QUARANTINE_EXPIRY,
        description=(
            "A flaky test may stay quarantined or disabled only until its 'expires' date; "
            "preview warns the configured number of days before (and can require a date)."
        ),
        kinds=_FLAKY_KINDS,
        config=FlakyQuarantineExpiryConfig,
        check=_check_expiry,
        enforcement_level=enforcement_level,
        remediation_steps=(
            "Fix the test and set it active, or review the quarantine and move 'expires' later."
        ),
    )


# --- unique-flaky-tests --------------------------------------------------------------------


class UniqueFlakyTestsConfig(PolicyConfig):
    """No options: two resources managing the same test always fight over its state."""


def _check_unique_tests(
    resources: Sequence[StackResource], config: UniqueFlakyTestsConfig
) -> Iterator[Violation]:
    first: dict[TestKey, ResourceRef] = {}
    # (repository, first owner, duplicate) -> the tests they share
    shared: dict[tuple[str, ResourceRef, ResourceRef], list[TestKey]] = defaultdict(list)
    for ref, key, _state in _declared_tests(resources):
        owner = first.setdefault(key, ref)
        if owner is not ref:
            shared[(key.repository_id, owner, ref)].append(key)
    for (repository_id, owner, duplicate), keys in shared.items():
        labels = [str(key) for key in sorted(keys)]
        yield Violation(
            f"{duplicate} manages {len(keys)} test(s) of repository '{repository_id}' that "
            f"{owner} already manages ({listing(labels)}); the two would overwrite each "
            "other's state — manage each test in exactly one resource "
            f"(policy '{UNIQUE_FLAKY_TESTS}')",
            duplicate.urn,
        )


def unique_flaky_tests(
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> StackValidationPolicy:
    """Each test (by id, or by selector) is managed by at most one flaky-test resource."""
    return stack_policy(
        name=UNIQUE_FLAKY_TESTS,
        description=(
            "A flaky test must be managed by only one FlakyTestState/FlakyTestStates resource "
            "in the stack."
        ),
        kinds=_FLAKY_KINDS,
        config=UniqueFlakyTestsConfig,
        check=_check_unique_tests,
        enforcement_level=enforcement_level,
        remediation_steps="Remove the test from all but one flaky-test resource.",
    )


# --- unique-flaky-test-policies ------------------------------------------------------------


class UniqueFlakyTestPoliciesConfig(PolicyConfig):
    """No options: a repository has exactly one set of flaky-test management policies."""


def _check_unique_policies(
    resources: Sequence[StackResource], config: UniqueFlakyTestPoliciesConfig
) -> Iterator[Violation]:
    first: dict[str, ResourceRef] = {}
    for resource in resources:
        view = FlakyTestPoliciesView.of(resource.ref, resource.props)
        if not isinstance(view.repository_id, str):
            continue
        owner = first.setdefault(view.repository_id, view.ref)
        if owner is not view.ref:
            yield Violation(
                f"{view.ref} manages the flaky-test policies of repository "
                f"'{view.repository_id}', which {owner} already manages; a repository has one "
                "set of policies — merge them into one resource "
                f"(policy '{UNIQUE_FLAKY_TEST_POLICIES}')",
                view.ref.urn,
            )


def unique_flaky_test_policies(
    enforcement_level: EnforcementLevel = EnforcementLevel.MANDATORY,
) -> StackValidationPolicy:
    """One FlakyTestPolicies resource per repository."""
    return stack_policy(
        name=UNIQUE_FLAKY_TEST_POLICIES,
        description=(
            "A repository's flaky-test management policies must be declared by only one "
            "FlakyTestPolicies resource in the stack."
        ),
        kinds={ResourceKind.FLAKY_TEST_POLICIES},
        config=UniqueFlakyTestPoliciesConfig,
        check=_check_unique_policies,
        enforcement_level=enforcement_level,
        remediation_steps="Merge the duplicate FlakyTestPolicies resources into one.",
    )
