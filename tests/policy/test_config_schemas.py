"""Every policy's config schema: well-formed, complete defaults, rejects bad config.

The engine fills each property's ``default`` into the config, merges a config file over it
and validates the result against ``{"type": "object", "properties": ..., "required": ...}``
(``pkg/resource/analyzer/config.go``). jsonschema stands in for the engine's validator here.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from pulumi_policy import EnforcementLevel, PolicyConfigSchema

from pulumi_datadog_testing.policy import (
    CONFIG_MODELS,
    POLICY_FACTORIES,
    PolicyConfigError,
    all_policies,
    default_config,
)
from pulumi_datadog_testing.policy._config import load_config
from tests.policy.harness import wire

POLICIES = {policy.name: policy for policy in all_policies()}


def engine_schema(schema: PolicyConfigSchema) -> dict[str, Any]:
    """The document the engine validates a policy's config against (its convertSchema)."""
    result: dict[str, Any] = {"type": "object"}
    if schema.properties:
        result["properties"] = schema.properties
    if schema.required:
        result["required"] = schema.required
    return result


def engine_validate(policy_name: str, config: dict[str, Any]) -> list[str]:
    """Errors the engine would report for ``config`` (merged over the schema defaults)."""
    schema = POLICIES[policy_name].config_schema
    assert schema is not None
    defaults = {key: prop["default"] for key, prop in schema.properties.items()}
    validator = jsonschema.Draft7Validator(engine_schema(schema))
    return sorted(error.message for error in validator.iter_errors({**defaults, **config}))


def test_every_policy_has_a_name_factory_model_and_schema() -> None:
    assert list(POLICIES) == list(POLICY_FACTORIES) == list(CONFIG_MODELS)
    for name, policy in POLICIES.items():
        assert policy.config_schema is not None, name
        expected = {
            key: {k: v for k, v in prop.items() if k != "title"}
            for key, prop in CONFIG_MODELS[name].model_json_schema().get("properties", {}).items()
        }
        assert policy.config_schema.properties == expected, name
        assert policy.config_schema.required is None, f"{name}: every key has a default"


@pytest.mark.parametrize("name", list(POLICIES))
def test_schema_is_valid_json_schema_with_a_default_for_every_key(name: str) -> None:
    schema = POLICIES[name].config_schema
    assert schema is not None
    jsonschema.Draft7Validator.check_schema(engine_schema(schema))
    for key, prop in schema.properties.items():
        assert "default" in prop, f"{name}.{key} has no default"
        assert "description" in prop, f"{name}.{key} has no description"
        assert "$ref" not in str(prop), f"{name}.{key} uses $ref"
    assert engine_validate(name, {}) == [], "the defaults satisfy the schema"


def test_default_config_is_what_the_engine_applies_without_a_config_file() -> None:
    expected: dict[str, dict[str, Any]] = {}
    for name, policy in POLICIES.items():
        assert policy.config_schema is not None and policy.enforcement_level is not None
        defaults = {key: prop["default"] for key, prop in policy.config_schema.properties.items()}
        expected[name] = {"enforcementLevel": policy.enforcement_level.value, **defaults}
    assert default_config() == expected
    assert default_config()["required-service-settings"] == {
        "enforcementLevel": "mandatory",
        "required": {
            "prod": {"early_flake_detection_enabled": True, "auto_test_retries_enabled": True}
        },
    }
    assert default_config()["flaky-test-quarantine-cap"]["max_per_repository"] == 50
    assert default_config()["suite-owner-tag"]["enforcementLevel"] == "advisory"


def test_default_enforcement_levels() -> None:
    levels = {name: policy.enforcement_level for name, policy in POLICIES.items()}
    assert levels == {
        "required-service-settings": EnforcementLevel.MANDATORY,
        "tia-requires-code-coverage": EnforcementLevel.MANDATORY,
        "unique-service-settings": EnforcementLevel.MANDATORY,
        "flaky-test-quarantine-cap": EnforcementLevel.MANDATORY,
        "flaky-state-justification": EnforcementLevel.MANDATORY,
        "flaky-quarantine-expiry": EnforcementLevel.MANDATORY,
        "unique-flaky-tests": EnforcementLevel.MANDATORY,
        "unique-flaky-test-policies": EnforcementLevel.MANDATORY,
        "suite-critical-test": EnforcementLevel.MANDATORY,
        "suite-alerting-threshold": EnforcementLevel.MANDATORY,
        "suite-owner-tag": EnforcementLevel.ADVISORY,
    }


def test_factories_take_an_enforcement_level() -> None:
    for name, factory in POLICY_FACTORIES.items():
        assert factory(EnforcementLevel.DISABLED).enforcement_level is EnforcementLevel.DISABLED, (
            name
        )


INVALID = [
    ("required-service-settings", {"required": {"prod": {"early_flake": True}}}),
    ("required-service-settings", {"required": {"prod": {"code_coverage_enabled": "yes"}}}),
    ("tia-requires-code-coverage", {"exempt_envs": "dev"}),
    ("flaky-test-quarantine-cap", {"max_per_repository": -1}),
    ("flaky-test-quarantine-cap", {"max_per_repository": 2.5}),
    ("flaky-test-quarantine-cap", {"counted_states": ["flaky"]}),
    ("flaky-test-quarantine-cap", {"counted_states": []}),
    ("flaky-test-quarantine-cap", {"repository_limits": {"github.com/acme/shop": -5}}),
    ("flaky-state-justification", {"states_requiring_reason": ["broken"]}),
    ("flaky-state-justification", {"reason_pattern": 42}),
    ("suite-critical-test", {"min_critical_tests": 0}),
    ("suite-alerting-threshold", {"min_threshold": -0.1}),
    ("suite-alerting-threshold", {"max_threshold": 1.5}),
    ("suite-alerting-threshold", {"require_threshold": "no"}),
    ("suite-owner-tag", {"owner_tag_prefixes": []}),
    ("suite-owner-tag", {"owner_tag_prefixes": "team:"}),
]


@pytest.mark.parametrize(("name", "config"), INVALID)
def test_invalid_config_is_rejected_by_the_schema_and_by_the_policy(
    name: str, config: dict[str, Any]
) -> None:
    assert engine_validate(name, config) != []
    with pytest.raises(PolicyConfigError, match=f"^policy '{name}' has invalid config: "):
        load_config(CONFIG_MODELS[name], name, wire(config))


def test_engine_schema_errors_name_the_key_and_the_rule() -> None:
    assert engine_validate("flaky-test-quarantine-cap", {"max_per_repository": -1}) == [
        "-1 is less than the minimum of 0"
    ]
    assert engine_validate("suite-owner-tag", {"owner_tag_prefixes": []}) == [
        "[] should be non-empty"
    ]


def test_unknown_keys_pass_the_engine_but_the_policy_rejects_them() -> None:
    # The engine validates only declared properties, so a typo would silently be ignored.
    assert engine_validate("flaky-test-quarantine-cap", {"max_per_repo": 10}) == []
    with pytest.raises(PolicyConfigError) as caught:
        load_config(
            CONFIG_MODELS["flaky-test-quarantine-cap"],
            "flaky-test-quarantine-cap",
            {"max_per_repo": 10},
        )
    assert str(caught.value) == (
        "policy 'flaky-test-quarantine-cap' has invalid config: 'max_per_repo': Extra inputs "
        "are not permitted (allowed keys: counted_states, max_per_repository, repository_limits)"
    )


def test_whole_numbers_arriving_as_floats_are_accepted() -> None:
    # Config reaches the policy through a protobuf Struct: 50 arrives as 50.0.
    raw = wire({"max_per_repository": 50, "repository_limits": {"github.com/acme/shop": 7}})
    assert raw["max_per_repository"] == 50.0 and isinstance(raw["max_per_repository"], float)
    parsed = load_config(
        CONFIG_MODELS["flaky-test-quarantine-cap"], "flaky-test-quarantine-cap", raw
    )
    assert parsed.model_dump() == {
        "max_per_repository": 50,
        "counted_states": ["quarantined", "disabled"],
        "repository_limits": {"github.com/acme/shop": 7},
    }
