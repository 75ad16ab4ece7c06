"""ServiceSettings without the API: check, diff, ids, and the record/restore rules."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_datadog_testing.identity import parse_service_settings_id
from pulumi_datadog_testing.models import ServiceSettingsAttributes as WireSettings
from pulumi_datadog_testing.resources._base import WIRE_UNKNOWN
from pulumi_datadog_testing.resources.service_settings import (
    PriorValue,
    ServiceSettingsProvider,
    record_prior,
    restore_attributes,
)

PROVIDER = "<pickled provider>"
IDENTITY = {"repository_id": "github.com/acme/shop", "service_name": "checkout"}
OUTPUTS: dict[str, Any] = {
    **IDENTITY,
    "env": "prod",
    "early_flake_detection_enabled": True,
    "auto_test_retries_enabled": False,
    "prior": {
        "early_flake_detection_enabled": {"value": False, "is_overridden": False},
        "auto_test_retries_enabled": {"value": True, "is_overridden": True},
    },
    "prior_existed": True,
    "__provider": PROVIDER,
}


def check(**news: Any) -> tuple[dict[str, Any], dict[str, str]]:
    result = ServiceSettingsProvider().check({}, {**news, "__provider": PROVIDER})
    return result.inputs, {f.property: f.reason for f in result.failures}


def diff(**changes: Any) -> tuple[bool | None, list[str]]:
    news = {k: v for k, v in OUTPUTS.items() if k not in ("prior", "prior_existed")}
    news.update(changes)
    news = {k: v for k, v in news.items() if v is not None}
    result = ServiceSettingsProvider().diff("id", dict(OUTPUTS), news)
    return result.changes, list(result.replaces or [])


# ------------------------------------------------------------------------------ check


def test_check_fills_the_default_env_and_keeps_only_declared_settings() -> None:
    inputs, failures = check(**IDENTITY, code_coverage_enabled=False)
    assert failures == {}
    assert inputs == {**IDENTITY, "env": "none", "code_coverage_enabled": False}


def test_check_treats_none_as_unset() -> None:
    inputs, failures = check(**IDENTITY, env="prod", early_flake_detection_enabled=None)
    assert failures == {}
    assert "early_flake_detection_enabled" not in inputs


@pytest.mark.parametrize("field", ["repository_id", "service_name", "env"])
def test_check_rejects_empty_identity_parts(field: str) -> None:
    _inputs, failures = check(**{**IDENTITY, "env": "prod", field: ""})
    assert list(failures) == [field]
    assert "at least 1 character" in failures[field]


def test_check_rejects_the_id_separator_inside_a_part() -> None:
    _inputs, failures = check(**{**IDENTITY, "service_name": "a::b"})
    assert failures == {"service_name": "Value error, must not contain '::' (it separates the "
                        "parts of the id) (got 'a::b')"}  # fmt: skip


def test_check_names_a_missing_identity_field() -> None:
    _inputs, failures = check(repository_id="github.com/acme/shop")
    assert failures == {"service_name": "missing required property"}


@pytest.mark.parametrize("value", ["true", 1, "yes", [True]])
def test_check_rejects_non_booleans_without_coercion(value: Any) -> None:
    _inputs, failures = check(**IDENTITY, test_impact_analysis_enabled=value)
    assert list(failures) == ["test_impact_analysis_enabled"]
    assert "valid boolean" in failures["test_impact_analysis_enabled"]


def test_check_suggests_the_closest_name_for_a_misspelt_property() -> None:
    _inputs, failures = check(**IDENTITY, early_flake_detection=True)
    assert failures == {
        "early_flake_detection": "unknown property 'early_flake_detection'; "
        "did you mean 'early_flake_detection_enabled'?"
    }


def test_check_rejects_output_names_as_inputs() -> None:
    _inputs, failures = check(**IDENTITY, prior_existed=True)
    assert list(failures) == ["prior_existed"]


def test_check_reports_every_problem_at_once() -> None:
    _inputs, failures = check(repository_id="", service_name="s", code_coverage="x", env=3)
    assert set(failures) == {"repository_id", "code_coverage", "env"}


def test_check_accepts_unknown_values_during_preview() -> None:
    inputs, failures = check(repository_id=WIRE_UNKNOWN, service_name="checkout", env=WIRE_UNKNOWN)
    assert failures == {}
    assert inputs == {
        "repository_id": WIRE_UNKNOWN,
        "service_name": "checkout",
        "env": WIRE_UNKNOWN,
    }


def test_check_still_reports_known_problems_next_to_unknown_values() -> None:
    _inputs, failures = check(
        repository_id=WIRE_UNKNOWN, service_name="", code_coverage_enabled=WIRE_UNKNOWN
    )
    assert list(failures) == ["service_name"]


# ------------------------------------------------------------------------------- diff


def test_diff_of_identical_inputs_is_no_change() -> None:
    assert diff() == (False, [])


def test_diff_ignores_outputs_that_are_not_inputs() -> None:
    olds = {**OUTPUTS, "prior": {}, "prior_existed": False}
    news = {k: v for k, v in OUTPUTS.items() if k not in ("prior", "prior_existed")}
    assert ServiceSettingsProvider().diff("id", olds, news).changes is False


def test_diff_of_one_flipped_setting_is_a_change_not_a_replace() -> None:
    assert diff(early_flake_detection_enabled=False) == (True, [])


def test_diff_counts_a_setting_that_becomes_managed_or_unmanaged() -> None:
    assert diff(code_coverage_enabled=True) == (True, [])
    assert diff(auto_test_retries_enabled=None) == (True, [])


def test_diff_does_not_see_settings_that_stay_unmanaged() -> None:
    olds = {**IDENTITY, "env": "none", "prior": {}, "__provider": PROVIDER}
    news = {**IDENTITY, "__provider": PROVIDER}
    assert ServiceSettingsProvider().diff("id", olds, news).changes is False


@pytest.mark.parametrize("field", ["repository_id", "service_name", "env"])
def test_diff_replaces_on_an_identity_change(field: str) -> None:
    changes, replaces = diff(**{field: "other"})
    assert (changes, replaces) == (True, [field])


def test_diff_replaces_create_the_new_settings_before_restoring_the_old() -> None:
    result = ServiceSettingsProvider().diff("id", dict(OUTPUTS), {**OUTPUTS, "env": "staging"})
    assert result.delete_before_replace is False


def test_diff_treats_a_missing_env_as_none() -> None:
    olds = {**IDENTITY, "env": "none", "prior": {}}
    assert ServiceSettingsProvider().diff("id", olds, dict(IDENTITY)).changes is False


def test_diff_with_unknown_identity_is_a_replace() -> None:
    assert diff(service_name=WIRE_UNKNOWN) == (True, ["service_name"])


def test_diff_with_an_unknown_setting_is_a_change() -> None:
    assert diff(early_flake_detection_enabled=WIRE_UNKNOWN) == (True, [])


def test_diff_reports_a_declared_pr_comments_change() -> None:
    olds = {**OUTPUTS, "pr_comments_enabled": True}
    news = {**OUTPUTS, "pr_comments_enabled": False}
    assert ServiceSettingsProvider().diff("id", olds, news).changes is True


# ---------------------------------------------------------------------------------- ids


def test_parse_service_settings_id() -> None:
    assert parse_service_settings_id("github.com/acme/shop::checkout::prod") == (
        "github.com/acme/shop",
        "checkout",
        "prod",
    )


@pytest.mark.parametrize("bad", ["", "a::b", "a::b::c::d", "a::::c", "github.com/acme/shop"])
def test_parse_settings_id_names_the_expected_form(bad: str) -> None:
    with pytest.raises(ValueError, match="repository_id::service_name::env"):
        parse_service_settings_id(bad)


# -------------------------------------------------------------------- record / restore


def test_record_prior_of_missing_settings_is_inherited_and_unknown() -> None:
    prior = record_prior(None, ["code_coverage_enabled", "pr_comments_enabled"])
    assert prior == {
        "code_coverage_enabled": PriorValue(value=None, is_overridden=False),
        "pr_comments_enabled": PriorValue(value=None, is_overridden=None),
    }


def test_record_prior_keeps_value_and_override_flag() -> None:
    current = WireSettings(
        code_coverage_enabled=True,
        code_coverage_enabled_is_overridden=True,
        early_flake_detection_enabled=False,
        early_flake_detection_enabled_is_overridden=False,
        pr_comments_enabled=True,
    )
    prior = record_prior(
        current, ["code_coverage_enabled", "early_flake_detection_enabled", "pr_comments_enabled"]
    )
    assert prior == {
        "code_coverage_enabled": PriorValue(value=True, is_overridden=True),
        "early_flake_detection_enabled": PriorValue(value=False, is_overridden=False),
        "pr_comments_enabled": PriorValue(value=True, is_overridden=None),
    }


def test_restore_reinherits_inherited_and_resets_overridden_values() -> None:
    attributes = restore_attributes(
        {
            "code_coverage_enabled": PriorValue(value=True, is_overridden=True),
            "early_flake_detection_enabled": PriorValue(value=True, is_overridden=False),
            "auto_test_retries_enabled": PriorValue(value=False, is_overridden=True),
        }
    )
    assert attributes == {
        "code_coverage_enabled": True,
        "early_flake_detection_enabled_inherit": True,
        "auto_test_retries_enabled": False,
    }


def test_restore_without_inheritance_info_sets_the_old_value() -> None:
    """Seeds-shaped answers carry no ``*_is_overridden``: the old value is all we know."""
    attributes = restore_attributes(
        {"failed_test_replay_enabled": PriorValue(value=False, is_overridden=None)}
    )
    assert attributes == {"failed_test_replay_enabled": False}


def test_restore_of_settings_that_did_not_exist_reinherits() -> None:
    attributes = restore_attributes(
        record_prior(None, ["test_impact_analysis_enabled", "pr_comments_enabled"])
    )
    assert attributes == {"test_impact_analysis_enabled_inherit": True}


def test_restore_of_pr_comments_sets_its_old_value() -> None:
    attributes = restore_attributes({"pr_comments_enabled": PriorValue(value=False)})
    assert attributes == {"pr_comments_enabled": False}


def test_restore_of_nothing_is_empty() -> None:
    assert restore_attributes({}) == {}
