"""``check`` of inputs that did not change skips validation (``_check.unchanged``) — and gives
exactly what validating them gives.

Why that is sound, per resource kind: check is idempotent on its own output (validating the
checked inputs again changes nothing), and what the fast path normalizes (ServiceSettings'
default ``env``, a suite's tag set, ``None`` values, a policy's whole numbers as ints) check
normalizes the same way. Anything else — a changed or unknown value, a value of another
type, a configuration problem — is validated as before. Properties are built as the
dynamic-provider server hands them over (``tests.support.preview.as_sent``: numbers as
floats, unknowns as ``pulumi.output.Unknown``).
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pulumi.dynamic import CheckResult

from pulumi_datadog_testing.resources import (
    _check,
    _flaky,
    _flaky_test_policies_inputs,
    flaky_test_policies,
    flaky_test_state,
    flaky_test_states,
    service_settings,
    synthetics_suite,
)
from pulumi_datadog_testing.resources._base import WIRE_UNKNOWN, configure_process, identical
from pulumi_datadog_testing.resources.flaky_test_policies import FlakyTestPoliciesProvider
from pulumi_datadog_testing.resources.flaky_test_state import FlakyTestStateProvider
from pulumi_datadog_testing.resources.flaky_test_states import FlakyTestStatesProvider
from pulumi_datadog_testing.resources.prior_values import (
    PACK_MIN,
    PRIORS_KEY,
    captured_of,
    keep_captured,
    priors_input,
)
from pulumi_datadog_testing.resources.service_settings import ServiceSettingsProvider
from pulumi_datadog_testing.resources.synthetics_suite import SyntheticsSuiteProvider
from pulumi_datadog_testing.type_tokens import ResourceKind
from tests.support.preview import U, as_sent

PROVIDER = {"__provider": "<pickled provider>"}
REPO = "github.com/acme/shop"
TEST_ID = "4eb1887a8adb1847"

Provider = (
    ServiceSettingsProvider
    | FlakyTestStateProvider
    | SyntheticsSuiteProvider
    | FlakyTestPoliciesProvider
    | FlakyTestStatesProvider
)

SETTINGS_PRIORS = priors_input(
    {"code_coverage_enabled": {"value": False, "is_overridden": False}}, True
)
STATE_PRIORS = priors_input({TEST_ID: {"state": "active", "module": "shop"}}, True)
MANY_IDS = [f"{n:016x}" for n in range(PACK_MIN + 20)]
STATES_PRIORS = priors_input(dict.fromkeys(MANY_IDS, "active"), True)  # packed: a large set
POLICIES_PRIORS = priors_input(
    {"attempt_to_fix.retries": {"value": 20}, "quarantined.enabled": {}}, True
)

CASES: list[tuple[str, Callable[[], Provider], dict[str, Any]]] = [
    (
        "settings-default-env",
        ServiceSettingsProvider,
        {"repository_id": REPO, "service_name": "checkout", "code_coverage_enabled": False},
    ),
    (
        "settings-every-flag",
        ServiceSettingsProvider,
        {
            "repository_id": REPO,
            "service_name": "checkout",
            "env": "ci",
            "early_flake_detection_enabled": True,
            "auto_test_retries_enabled": False,
            "code_coverage_enabled": True,
            "test_impact_analysis_enabled": False,
            "failed_test_replay_enabled": True,
            "pr_comments_enabled": True,
        },
    ),
    (
        "settings-priors",
        ServiceSettingsProvider,
        {
            "repository_id": REPO,
            "service_name": "checkout",
            "code_coverage_enabled": True,
            PRIORS_KEY: SETTINGS_PRIORS,
        },
    ),
    (
        "state-by-id",
        FlakyTestStateProvider,
        {"repository_id": REPO, "test_id": TEST_ID, "state": "quarantined", "reason": "BUG-1"},
    ),
    (
        "state-by-selector",
        FlakyTestStateProvider,
        {
            "repository_id": REPO,
            "module": "shop",
            "suite": "CartTest",
            "name": "test_checkout",
            "state": "disabled",
            "expires": "2026-12-31",
            "owner": "@acme/payments",
        },
    ),
    (
        "state-priors",
        FlakyTestStateProvider,
        {"repository_id": REPO, "test_id": TEST_ID, "state": "fixed", PRIORS_KEY: STATE_PRIORS},
    ),
    (
        "suite-full",
        SyntheticsSuiteProvider,
        {
            "name": "Checkout",
            "tests": [
                {"public_id": "abc-def-001", "alerting_criticality": "critical"},
                {"public_id": "abc-def-002"},
            ],
            "tags": ["team:shop", "env:ci", "team:shop"],
            "message": "checkout is down",
            "options": {"alerting_threshold": 0.5},
        },
    ),
    ("suite-minimal", SyntheticsSuiteProvider, {"name": "x", "tests": []}),
    (
        "policies-every-section",
        FlakyTestPoliciesProvider,
        {
            "repository_id": REPO,
            "attempt_to_fix": {"retries": 3},  # sent as 3.0, checked as 3
            "quarantined": {
                "enabled": True,
                "auto_quarantine_rule": {"enabled": False, "window_seconds": 2592000},
                "branch_rule": {"branches": ["main"], "excluded_branches": []},
                "failure_rate_rule": {"min_runs": 10, "threshold": 1},  # checked as 1.0
            },
            "disabled": {
                "enabled": False,
                "auto_disable_rule": {"status": "quarantined", "window_seconds": 3600},
                "failure_rate_rule": {"min_runs": 0, "threshold": 0.5, "status": "active"},
            },
        },
    ),
    (
        "policies-none-values",
        FlakyTestPoliciesProvider,
        {
            "repository_id": REPO,
            "attempt_to_fix": {"retries": None},
            "quarantined": {"enabled": True, "branch_rule": None, "failure_rate_rule": {}},
            "disabled": None,
        },
    ),
    (
        "policies-priors",
        FlakyTestPoliciesProvider,
        {
            "repository_id": REPO,
            "attempt_to_fix": {"retries": 5},
            "quarantined": {"enabled": False, "failure_rate_rule": {"threshold": 0}},
            PRIORS_KEY: POLICIES_PRIORS,
        },
    ),
    (
        "states-map",
        FlakyTestStatesProvider,
        {
            "repository_id": REPO,
            "states": {
                TEST_ID: "quarantined",
                "9f0c2b7d11aa0e35": {"state": "disabled", "expires": "2026-12-31"},
                "a-b_c": {"state": "active", "owner": "@acme/payments", "reason": "BUG-2"},
            },
            "reason": "BUG-1",
            "owner": "@acme/shop",
        },
    ),
    (
        "states-query",
        FlakyTestStatesProvider,
        {
            "repository_id": REPO,
            "query": "@test.service:checkout flaky_test_state:active",
            "state": "quarantined",
            "expires": "2026-12-31",
        },
    ),
    (
        "states-priors",
        FlakyTestStatesProvider,
        {
            "repository_id": REPO,
            "states": dict.fromkeys(MANY_IDS, "disabled"),
            "reason": "BUG-3",
            PRIORS_KEY: STATES_PRIORS,
        },
    ),
    (
        "suite-adopted",
        SyntheticsSuiteProvider,
        {"name": "Adopted", "tests": [{"public_id": "abc-def-003"}], "public_id": "ado-pte-d01"},
    ),
]
IDS = [case[0] for case in CASES]


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Records each validation (``check_inputs``) the providers make."""
    seen: list[str] = []
    for module in (service_settings, synthetics_suite, _flaky, flaky_test_policies):
        real = module.check_inputs

        def spy(model: Any, *args: Any, _real: Any = real, **kwargs: Any) -> Any:
            seen.append(model.__name__)
            return _real(model, *args, **kwargs)

        monkeypatch.setattr(module, "check_inputs", spy)
    yield seen


def validated(monkeypatch: pytest.MonkeyPatch, check: Callable[[], CheckResult]) -> CheckResult:
    """``check()`` with the fast path off: what validating the inputs gives."""
    with monkeypatch.context() as patched:
        for module in (
            service_settings,
            synthetics_suite,
            flaky_test_state,
            flaky_test_states,
            flaky_test_policies,
        ):
            patched.setattr(module, "unchanged", lambda *_args: None)
        return check()


def checked(provider: Provider, props: dict[str, Any]) -> dict[str, Any]:
    """The inputs check accepts for a new resource (what the engine then keeps in state)."""
    result = provider.check({}, as_sent({**props, **PROVIDER}))
    assert result.failures == []
    return dict(result.inputs)


@pytest.mark.parametrize(("name", "make", "props"), CASES, ids=IDS)
def test_check_is_idempotent_on_its_own_output(
    name: str, make: Callable[[], Provider], props: dict[str, Any]
) -> None:
    first = checked(make(), props)
    assert checked(make(), first) == first


@pytest.mark.parametrize(("name", "make", "props"), CASES, ids=IDS)
def test_unchanged_inputs_are_not_validated_again_and_check_the_same(
    name: str,
    make: Callable[[], Provider],
    props: dict[str, Any],
    validations: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    olds = as_sent({**checked(make(), props), **PROVIDER})
    news = as_sent({**props, **PROVIDER})
    validations.clear()

    fast = make().check(olds, news)
    assert validations == []
    full = validated(monkeypatch, lambda: make().check(olds, news))
    assert validations != []  # the reference really validated
    assert outcome(fast) == outcome(full)
    assert identical(fast.inputs, full.inputs)  # types too: retries 3, not the 3.0 sent
    assert fast.failures == []


def _changed(props: dict[str, Any]) -> dict[str, Any]:
    if "quarantined" in props:  # a policy leaf
        section = props["quarantined"]
        return {**props, "quarantined": {**section, "enabled": not section.get("enabled")}}
    if "states" in props:  # one test's state
        states = dict(props["states"])
        states[TEST_ID if TEST_ID in states else next(iter(states))] = "fixed"
        return {**props, "states": states}
    key = next(k for k in ("service_name", "state", "name") if k in props)
    if key == "state":
        return {**props, key: "active" if props[key] != "active" else "disabled"}
    return {**props, key: f"{props[key]} v2"}


def _unknown(props: dict[str, Any]) -> dict[str, Any]:
    if "attempt_to_fix" in props:  # a policy leaf
        return {**props, "attempt_to_fix": {"retries": U}}
    key = next(k for k in ("service_name", "reason", "state", "message", "name") if k in props)
    return {**props, key: U}


def _wire_unknown(props: dict[str, Any]) -> dict[str, Any]:
    if "quarantined" in props:  # a policy section
        return {**props, "quarantined": WIRE_UNKNOWN}
    key = next(k for k in ("service_name", "state", "name", "states") if k in props)
    return {**props, key: WIRE_UNKNOWN}


def _retyped(props: dict[str, Any]) -> dict[str, Any]:
    """A flag as a number, equal in Python (strict check refuses it); kinds without a flag
    get a property they do not have."""
    if "code_coverage_enabled" in props:
        return {**props, "code_coverage_enabled": float(props["code_coverage_enabled"])}
    if "quarantined" in props:  # a policy flag
        return {**props, "quarantined": {**props["quarantined"], "enabled": 1.0}}
    return {**props, "extra_property": 1.0}


def outcome(result: CheckResult) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    return dict(result.inputs), [(f.property, f.reason) for f in result.failures]


@pytest.mark.parametrize("change", [_changed, _unknown, _wire_unknown, _retyped])
@pytest.mark.parametrize(("name", "make", "props"), CASES, ids=IDS)
def test_changed_or_unknown_inputs_are_validated_as_before(
    name: str,
    make: Callable[[], Provider],
    props: dict[str, Any],
    change: Callable[[dict[str, Any]], dict[str, Any]],
    validations: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    olds = as_sent({**checked(make(), props), **PROVIDER})
    news = as_sent({**change(props), **PROVIDER})
    validations.clear()

    result = make().check(olds, news)
    assert validations != []
    full = validated(monkeypatch, lambda: make().check(olds, news))
    assert outcome(result) == outcome(full)


def test_a_retyped_flag_still_fails_check() -> None:
    props = {"repository_id": REPO, "service_name": "checkout", "code_coverage_enabled": True}
    olds = as_sent({**checked(ServiceSettingsProvider(), props), **PROVIDER})
    news = as_sent({**props, "code_coverage_enabled": 1.0, **PROVIDER})
    result = ServiceSettingsProvider().check(olds, news)
    assert [f.property for f in result.failures] == ["code_coverage_enabled"]


def test_a_misspelt_property_still_gets_its_hint() -> None:
    props = {"repository_id": REPO, "test_id": TEST_ID, "state": "quarantined"}
    olds = as_sent({**checked(FlakyTestStateProvider(), props), **PROVIDER})
    news = as_sent({**props, "reasn": "BUG-1", **PROVIDER})
    result = FlakyTestStateProvider().check(olds, news)
    assert [(f.property, f.reason) for f in result.failures] == [
        ("reasn", "unknown property 'reasn'; did you mean 'reason'?")
    ]


POLICY_CASES = [case for case in CASES if case[1] is FlakyTestPoliciesProvider]


@pytest.mark.parametrize(("name", "make", "props"), POLICY_CASES, ids=[c[0] for c in POLICY_CASES])
def test_policy_numbers_check_the_same_as_sent_or_as_declared(
    name: str,
    make: Callable[[], Provider],
    props: dict[str, Any],
    validations: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whole numbers reach check as floats from the engine (``retries: 3.0``) or as ints from
    a direct caller: either way the fast path gives what validating gives, ints for int
    leaves and floats for ``threshold``."""
    olds = as_sent({**checked(make(), props), **PROVIDER})
    for news in (as_sent({**props, **PROVIDER}), {**props, **PROVIDER}):
        validations.clear()
        fast = make().check(olds, news)
        assert validations == []
        full = validated(monkeypatch, functools.partial(make().check, olds, news))
        assert identical(fast.inputs, full.inputs), (fast.inputs, full.inputs)
    assert identical(checked(make(), props), fast.inputs)


def test_policy_leaves_checked_as_ints_and_floats() -> None:
    props = POLICY_CASES[0][2]
    result = FlakyTestPoliciesProvider().check(
        as_sent({**checked(FlakyTestPoliciesProvider(), props), **PROVIDER}),
        as_sent({**props, **PROVIDER}),
    )
    assert type(result.inputs["attempt_to_fix"]["retries"]) is int
    assert type(result.inputs["quarantined"]["failure_rate_rule"]["min_runs"]) is int
    assert type(result.inputs["quarantined"]["failure_rate_rule"]["threshold"]) is float


def test_a_retyped_or_misspelt_policy_leaf_still_fails_check() -> None:
    props = {"repository_id": REPO, "attempt_to_fix": {"retries": 3}, "quarantined": {}}
    olds = as_sent({**checked(FlakyTestPoliciesProvider(), props), **PROVIDER})
    news = as_sent(
        {**props, "attempt_to_fix": {"retrys": 3}, "quarantined": {"enabled": 1.0}, **PROVIDER}
    )
    result = FlakyTestPoliciesProvider().check(olds, news)
    assert sorted((f.property, f.reason) for f in result.failures) == [
        ("attempt_to_fix.retrys", "unknown property 'retrys'; did you mean 'retries'?"),
        ("quarantined.enabled", "Input should be a valid boolean (got 1)"),
    ]


def _types_in(annotation: Any) -> set[Any]:
    """``annotation`` and every type argument inside it (``Annotated[float, ...] | None``)."""
    return {annotation}.union(*(_types_in(arg) for arg in typing.get_args(annotation)))


def test_the_policy_float_leaves_are_the_models_float_fields() -> None:
    """``FLOAT_LEAVES`` (which numbers the fast path keeps as floats) follows the models;
    every model of ``_flaky_test_policies_inputs`` is importable from the provider module."""
    module = _flaky_test_policies_inputs
    floats = {
        name
        for model in (getattr(module, n) for n in module.__all__)
        for name, field in model.model_fields.items()
        if float in _types_in(field.annotation)
    }
    assert floats == flaky_test_policies.FLOAT_LEAVES
    assert set(module.__all__) == flaky_test_policies._MODEL_NAMES
    for name in module.__all__:
        assert getattr(flaky_test_policies, name) is getattr(module, name)


@pytest.mark.parametrize(("name", "make", "props"), CASES, ids=IDS)
def test_a_configuration_problem_is_reported_on_unchanged_inputs(
    name: str, make: Callable[[], Provider], props: dict[str, Any], validations: list[str]
) -> None:
    olds = as_sent({**checked(make(), props), **PROVIDER})
    configure_process({"datadog:apiUrl": "http://datadog.example.com"}, {})
    validations.clear()

    result = make().check(olds, as_sent({**props, **PROVIDER}))
    assert validations != []
    [failure] = result.failures
    assert failure.property == ""
    assert "http:// with a non-loopback host" in failure.reason


def test_identical_compares_types_all_the_way_down() -> None:
    assert identical({"a": [1.0, {"b": "x"}]}, {"a": [1.0, {"b": "x"}]})
    assert not identical({"a": True}, {"a": 1.0})
    assert not identical({"a": [True]}, {"a": [1]})
    assert not identical({"a": ["x"]}, {"a": ("x",)})
    assert not identical({"a": 1.0}, {"a": 1.0, "b": None})
    assert _check.unchanged({"a": "x"}, {"a": "x"}) is not None
    assert _check.unchanged({}, {}) is None  # nothing accepted before: a new resource


@pytest.mark.parametrize(
    "values",
    [
        {"code_coverage_enabled": {"value": False, "is_overridden": False}},
        {TEST_ID: {"state": "active", "module": "shop", "suite": "CartTest", "name": "t"}},
        {f"{i:016x}": "quarantined" if i % 2 else "active" for i in range(PACK_MIN + 5)},
        {},
    ],
    ids=["settings", "single-test", "packed-set", "nothing-found"],
)
@pytest.mark.parametrize("existed", [True, False, None])
def test_the_same_captured_priors_are_kept_as_their_text(
    values: dict[str, Any], existed: bool | None
) -> None:
    """``keep_captured`` keeps ``__priors`` identical to the state's without decoding it:
    what decoding and encoding it again gives (``priors_input`` text is a fixed point)."""
    text = priors_input(values, existed)
    captured = captured_of({PRIORS_KEY: text})
    assert captured is not None
    assert priors_input(captured.values, captured.existed) == text
    checked = {"repository_id": REPO, PRIORS_KEY: text}
    keep_captured(ResourceKind.FLAKY_TEST_STATE, {**checked}, checked)
    assert checked[PRIORS_KEY] is text


def test_a_none_inside_a_tests_object_is_validated_and_dropped() -> None:
    """FlakyTestStates: check drops a ``None`` note inside a test's object, so such inputs are
    not the checked ones in state; they are validated (the fast path compares exactly)."""
    props = {"repository_id": REPO, "states": {TEST_ID: {"state": "disabled", "owner": "@a"}}}
    olds = as_sent({**checked(FlakyTestStatesProvider(), props), **PROVIDER})
    news = as_sent(
        {**props, "states": {TEST_ID: {"state": "disabled", "owner": "@a", "reason": None}}}
    )
    assert FlakyTestStatesProvider().unchanged(olds, news) is None
    result = FlakyTestStatesProvider().check(olds, {**news, **PROVIDER})
    assert result.failures == []
    assert result.inputs == {k: v for k, v in olds.items() if k != "__provider"}
