"""required-service-settings, tia-requires-code-coverage, unique-service-settings."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

from pulumi_datadog_testing.policy import (
    PolicyConfigError,
    required_service_settings,
    tia_requires_code_coverage,
    unique_service_settings,
)
from pulumi_datadog_testing.type_tokens import SERVICE_SETTINGS
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


def settings(**props: Any) -> dict[str, Any]:
    return {"repository_id": REPO, "service_name": "checkout", **props}


# --- required-service-settings -------------------------------------------------------------

REQUIRED_FIX = (
    "(required by policy 'required-service-settings' config 'required.prod'); set it in the "
    "resource args or change the policy config"
)


def test_required_settings_compliant_prod_passes() -> None:
    props = settings(env="prod", early_flake_detection_enabled=True, auto_test_retries_enabled=True)
    args = resource_args(SERVICE_SETTINGS, "checkout-prod", props)
    assert run_policy(required_service_settings(), args) == []


def test_required_settings_wrong_and_unmanaged_values_are_both_reported() -> None:
    props = settings(env="prod", early_flake_detection_enabled=False)
    args = resource_args(SERVICE_SETTINGS, "checkout-prod", props)
    assert messages(run_policy(required_service_settings(), args)) == [
        (
            "ServiceSettings 'checkout-prod' (env 'prod') sets early_flake_detection_enabled=False "
            f"but must set early_flake_detection_enabled=True {REQUIRED_FIX}"
        ),
        (
            "ServiceSettings 'checkout-prod' (env 'prod') leaves auto_test_retries_enabled "
            "unmanaged, so Datadog keeps whatever value it has, but must set "
            f"auto_test_retries_enabled=True {REQUIRED_FIX}"
        ),
    ]


@pytest.mark.parametrize("env", ["staging", None])
def test_required_settings_ignore_envs_without_requirements(env: str | None) -> None:
    props = settings(early_flake_detection_enabled=False)
    if env is not None:
        props["env"] = env
    args = resource_args(SERVICE_SETTINGS, "checkout", props)
    assert run_policy(required_service_settings(), args) == []


def test_required_settings_env_defaults_to_none_and_config_can_target_it() -> None:
    config = {"required": {"none": {"pr_comments_enabled": False}}}
    args = resource_args(SERVICE_SETTINGS, "checkout", settings(pr_comments_enabled=True), config)
    assert messages(run_policy(required_service_settings(), args)) == [
        (
            "ServiceSettings 'checkout' (env 'none') sets pr_comments_enabled=True but must set "
            "pr_comments_enabled=False (required by policy 'required-service-settings' config "
            "'required.none'); set it in the resource args or change the policy config"
        )
    ]


def test_required_settings_config_replaces_the_default_map() -> None:
    config = {"required": {"staging": {"code_coverage_enabled": True}}}
    prod = resource_args(SERVICE_SETTINGS, "checkout-prod", settings(env="prod"), config)
    assert run_policy(required_service_settings(), prod) == []
    staging = resource_args(SERVICE_SETTINGS, "checkout-staging", settings(env="staging"), config)
    assert messages(run_policy(required_service_settings(), staging)) == [
        (
            "ServiceSettings 'checkout-staging' (env 'staging') leaves code_coverage_enabled "
            "unmanaged, so Datadog keeps whatever value it has, but must set "
            "code_coverage_enabled=True (required by policy 'required-service-settings' config "
            "'required.staging'); set it in the resource args or change the policy config"
        )
    ]


def test_required_settings_skip_unknown_values_during_preview() -> None:
    unknown_value = settings(
        env="prod",
        early_flake_detection_enabled=UNKNOWN_BOOLEAN_VALUE,
        auto_test_retries_enabled=True,
    )
    args = resource_args(SERVICE_SETTINGS, "checkout-prod", unknown_value)
    assert run_policy(required_service_settings(), args) == []
    unknown_env = settings(env=UNKNOWN_STRING_VALUE)
    args = resource_args(SERVICE_SETTINGS, "checkout-prod", unknown_env)
    assert run_policy(required_service_settings(), args) == []


def test_required_settings_select_by_type_token_not_by_property_names() -> None:
    props = settings(env="prod", early_flake_detection_enabled=False)
    for other in ("pulumi-python:dynamic:Resource", "datadog:index/monitor:Monitor"):
        assert run_policy(required_service_settings(), resource_args(other, "x", props)) == []


def test_required_settings_reject_an_unknown_setting_in_config() -> None:
    config = {"required": {"prod": {"early_flake_detection": True}}}
    args = resource_args(SERVICE_SETTINGS, "checkout-prod", settings(env="prod"), config)
    with pytest.raises(PolicyConfigError) as caught:
        run_policy(required_service_settings(), args)
    assert str(caught.value) == (
        "policy 'required-service-settings' has invalid config: "
        "key 'early_flake_detection' of 'required.prod': Input should be "
        "'auto_test_retries_enabled', 'code_coverage_enabled', 'early_flake_detection_enabled', "
        "'failed_test_replay_enabled', 'pr_comments_enabled' or 'test_impact_analysis_enabled' "
        "(allowed keys: required)"
    )


# --- tia-requires-code-coverage ------------------------------------------------------------


def test_tia_with_code_coverage_passes() -> None:
    props = settings(test_impact_analysis_enabled=True, code_coverage_enabled=True)
    args = resource_args(SERVICE_SETTINGS, "checkout", props)
    assert run_policy(tia_requires_code_coverage(), args) == []


@pytest.mark.parametrize(
    ("coverage", "found"),
    [
        (False, "sets code_coverage_enabled=False"),
        (None, "leaves code_coverage_enabled unmanaged"),
    ],
)
def test_tia_without_code_coverage_is_reported(coverage: bool | None, found: str) -> None:
    props = settings(env="prod", test_impact_analysis_enabled=True)
    if coverage is not None:
        props["code_coverage_enabled"] = coverage
    args = resource_args(SERVICE_SETTINGS, "checkout-prod", props)
    assert messages(run_policy(tia_requires_code_coverage(), args)) == [
        (
            f"ServiceSettings 'checkout-prod' (env 'prod') sets test_impact_analysis_enabled=True "
            f"but {found}; Test Impact Analysis needs code coverage: set code_coverage_enabled=True "
            "on the same resource, or add 'prod' to config 'exempt_envs' of policy "
            "'tia-requires-code-coverage'"
        )
    ]


@pytest.mark.parametrize(
    "props",
    [
        settings(test_impact_analysis_enabled=False, code_coverage_enabled=False),
        settings(code_coverage_enabled=False),
        settings(test_impact_analysis_enabled=UNKNOWN_BOOLEAN_VALUE),
        settings(test_impact_analysis_enabled=True, code_coverage_enabled=UNKNOWN_BOOLEAN_VALUE),
    ],
    ids=["tia-off", "tia-unmanaged", "tia-unknown", "coverage-unknown"],
)
def test_tia_not_on_or_unknown_passes(props: dict[str, Any]) -> None:
    args = resource_args(SERVICE_SETTINGS, "checkout", props)
    assert run_policy(tia_requires_code_coverage(), args) == []


def test_tia_exempt_env_from_config_passes() -> None:
    props = settings(env="dev", test_impact_analysis_enabled=True)
    exempt = resource_args(SERVICE_SETTINGS, "checkout-dev", props, {"exempt_envs": ["dev"]})
    assert run_policy(tia_requires_code_coverage(), exempt) == []
    not_exempt = resource_args(SERVICE_SETTINGS, "checkout-dev", props, {"exempt_envs": ["qa"]})
    assert len(run_policy(tia_requires_code_coverage(), not_exempt)) == 1


# --- unique-service-settings ---------------------------------------------------------------


def test_unique_settings_distinct_identities_pass() -> None:
    resources = [
        stack_resource(SERVICE_SETTINGS, "checkout-prod", settings(env="prod")),
        stack_resource(SERVICE_SETTINGS, "checkout-staging", settings(env="staging")),
        stack_resource(
            SERVICE_SETTINGS, "cart-prod", {**settings(env="prod"), "service_name": "cart"}
        ),
        stack_resource(SERVICE_SETTINGS, "checkout", settings()),
    ]
    assert run_policy(unique_service_settings(), stack_args(resources)) == []


def test_unique_settings_duplicates_are_reported_on_each_extra_resource_in_name_order() -> None:
    resources = [
        stack_resource(SERVICE_SETTINGS, "z-checkout", settings()),
        stack_resource(SERVICE_SETTINGS, "b-checkout", settings(env="none")),
        stack_resource(
            SERVICE_SETTINGS, "a-checkout", settings(early_flake_detection_enabled=True)
        ),
    ]
    reported = run_policy(unique_service_settings(), stack_args(resources))
    fix = (
        "(repository_id 'github.com/acme/shop', service_name 'checkout', env 'none' (the "
        "default)); the two would overwrite each other's values on every update — merge them "
        "into one resource or change repository_id/service_name/env "
        "(policy 'unique-service-settings')"
    )
    assert reported == [
        Reported(
            f"ServiceSettings 'b-checkout' manages the same service settings as ServiceSettings "
            f"'a-checkout' {fix}",
            urn(SERVICE_SETTINGS, "b-checkout"),
        ),
        Reported(
            f"ServiceSettings 'z-checkout' manages the same service settings as ServiceSettings "
            f"'a-checkout' {fix}",
            urn(SERVICE_SETTINGS, "z-checkout"),
        ),
    ]


def test_unique_settings_skip_identities_unknown_during_preview() -> None:
    resources = [
        stack_resource(SERVICE_SETTINGS, "a", settings(env="prod")),
        stack_resource(SERVICE_SETTINGS, "b", settings(env=UNKNOWN_STRING_VALUE)),
        stack_resource(
            SERVICE_SETTINGS, "c", {**settings(env="prod"), "repository_id": UNKNOWN_STRING_VALUE}
        ),
    ]
    assert run_policy(unique_service_settings(), stack_args(resources)) == []


def test_unique_settings_ignore_other_resource_types() -> None:
    resources = [
        stack_resource(SERVICE_SETTINGS, "a", settings()),
        stack_resource("pulumi-python:dynamic:Resource", "b", settings()),
    ]
    assert run_policy(unique_service_settings(), stack_args(resources)) == []


def test_unique_settings_have_no_config_keys() -> None:
    args = stack_args([], {"case_insensitive": True})
    with pytest.raises(
        PolicyConfigError, match="'case_insensitive': Extra inputs are not permitted"
    ):
        run_policy(unique_service_settings(), args)


def test_required_settings_apply_to_the_native_plugins_resources_too() -> None:
    from pulumi_datadog_testing.type_tokens import native_type_token

    token = native_type_token("ServiceSettings")
    props = settings(env="prod", early_flake_detection_enabled=True, auto_test_retries_enabled=True)
    assert run_policy(required_service_settings(), resource_args(token, "native", props)) == []
    props = settings(
        env="prod", early_flake_detection_enabled=False, auto_test_retries_enabled=True
    )
    reported = messages(run_policy(required_service_settings(), resource_args(token, "n", props)))
    assert len(reported) == 1 and "sets early_flake_detection_enabled=False" in reported[0]
