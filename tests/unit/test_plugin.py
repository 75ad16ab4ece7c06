"""The native plugin's translation layer: schema, detailed diff, values, config, adapter."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from pulumi.output import Unknown
from pulumi.provider.experimental import provider as api
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime import rpc

from pulumi_datadog_testing import __version__
from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.plugin.catalog import RESOURCES, entry_for
from pulumi_datadog_testing.plugin.detailed_diff import detailed_diff, property_path
from pulumi_datadog_testing.plugin.provider import DatadogTestingProvider
from pulumi_datadog_testing.plugin.provider_config import config_problems, settings_config
from pulumi_datadog_testing.plugin.schema import package_schema
from pulumi_datadog_testing.plugin.values import from_wire, to_wire
from pulumi_datadog_testing.resources.prior_values import PACK_MIN
from pulumi_datadog_testing.type_tokens import ResourceKind, kind_of, native_type_token
from tests.unit._flaky_fake import REPO, FakeFlakyAPI, next_operation

K = api.PropertyDiffKind


def kinds(diff: dict[str, api.PropertyDiff]) -> dict[str, api.PropertyDiffKind]:
    return {path: d.kind for path, d in diff.items()}


# ---------------------------------------------------------------------------- schema


def test_schema_serves_every_resource_with_its_models_input_properties() -> None:
    schema = package_schema()
    assert schema["version"] == __version__
    assert schema["language"]["python"]["respectSchemaVersion"] is True
    assert set(schema["resources"]) == {native_type_token(kind) for kind in ResourceKind}
    for entry in RESOURCES:
        resource = schema["resources"][entry.token]
        assert set(resource["inputProperties"]) == set(entry.inputs.model_fields)
        assert set(resource["inputProperties"]) <= set(resource["properties"])
        assert resource["description"]


def test_schema_nested_shapes_resolve_and_outputs_are_typed() -> None:
    schema = package_schema()
    text = json.dumps(schema)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/types/')[1:]}:
        assert ref in schema["types"], ref
    suite = schema["resources"][native_type_token("SyntheticsSuite")]
    assert suite["inputProperties"]["tests"]["items"] == {
        "$ref": "#/types/datadog-testing:index:SuiteTest"
    }
    assert schema["types"]["datadog-testing:index:SuiteTest"]["required"] == ["public_id"]
    assert suite["properties"]["monitor_id"]["type"] == "integer"
    states = schema["resources"][native_type_token("FlakyTestStates")]["inputProperties"]
    assert states["states"]["additionalProperties"] == {  # a state, or one with notes
        "oneOf": [{"type": "string"}, {"$ref": "#/types/datadog-testing:index:FlakyTestEntry"}]
    }
    assert "`quarantined`" in states["states"]["description"]


def test_schema_credentials_are_secret() -> None:
    config = package_schema()["config"]["variables"]
    assert all(config[k]["secret"] is True for k in ("apiKey", "appKey", "bearerToken"))
    assert not config["apiUrl"].get("secret")


def test_native_tokens_have_the_same_kinds_for_policies() -> None:
    assert kind_of("datadog-testing:index:ServiceSettings") is ResourceKind.SERVICE_SETTINGS
    with pytest.raises(ValueError, match="this plugin serves"):
        entry_for("datadog-testing:index:Nope")


# ---------------------------------------------------------------------- detailed diff


def test_paths_use_pulumi_syntax() -> None:
    assert property_path(["a", "b", 0, "c"]) == "a.b[0].c"
    assert property_path(["states", "4eb1 x"]) == 'states["4eb1 x"]'


def test_nested_maps_and_keyed_lists() -> None:
    olds = {"quarantined": {"rule": {"window": 1.0, "on": True}},
            "tests": [{"public_id": "a", "c": "x"}, {"public_id": "b"}],
            "states": {"t1": "active"}}  # fmt: skip
    news = {"quarantined": {"rule": {"window": 2, "on": True}},
            "tests": [{"public_id": "b"}, {"public_id": "a", "c": "y"}, {"public_id": "n"}],
            "states": {"t1": "quarantined", "t2": "disabled"}}  # fmt: skip
    assert kinds(detailed_diff(olds, news, ["quarantined", "tests", "states"])) == {
        "quarantined.rule.window": K.UPDATE,
        "tests[1].c": K.UPDATE,
        "tests[2]": K.ADD,
        "states.t1": K.UPDATE,
        "states.t2": K.ADD,
    }


def test_removed_keyed_element_and_replace_kinds_and_unknowns() -> None:
    olds = {"repository_id": "r1", "tests": [{"public_id": "a"}, {"public_id": "b"}], "x": 1}
    news = {"repository_id": "r2", "tests": [{"public_id": "a"}], "x": Unknown()}
    assert kinds(detailed_diff(olds, news, ["repository_id", "tests", "x"], ["repository_id"])) == {
        "repository_id": K.UPDATE_REPLACE,
        "tests[1]": K.DELETE,
        "x": K.UPDATE,
    }
    # An equal value that still forces a replace is reported as one.
    assert kinds(detailed_diff({"a": 1}, {"a": 1}, ["a"], ["a"])) == {"a": K.UPDATE_REPLACE}


# ------------------------------------------------------------------------- values


def test_values_round_trip_like_the_dynamic_host() -> None:
    wire = to_wire({"b": True, "n": 3, "s": "x", "l": [1, {"k": None}], "gone": None})
    assert "gone" not in wire
    unknown = to_wire({"u": Unknown()})["u"]
    assert unknown == PropertyValue(rpc.UNKNOWN)  # what the engine sends for "unknown"
    plain = from_wire({**wire, "u": unknown})
    assert plain["b"] is True and plain["n"] == 3.0 and plain["l"] == [1.0, {}]
    assert isinstance(plain["u"], Unknown)


# ------------------------------------------------------------------------- config


def test_config_maps_native_keys_and_whole_numbers() -> None:
    config = settings_config({"apiKey": "k", "maxRetries": 3.0, "site": "datadoghq.eu"})
    assert config == {"datadog:apiKey": "k", "datadog-testing:maxRetries": 3,
                      "datadog-testing:site": "datadoghq.eu"}  # fmt: skip


def test_config_problems_name_native_keys_but_not_missing_credentials() -> None:
    assert config_problems({}, {}) == []
    problems = dict(config_problems({"apiUrl": "http://example.com", "apikey": "x"}, {}))
    assert "did you mean 'apiKey'" in problems["apikey"]
    assert "datadog-testing:apiUrl" in problems["apiUrl"]
    assert "datadog:apiUrl" not in problems["apiUrl"]


# ------------------------------------------------------------------------ adapter


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_check_config_marks_credentials_secret_and_reports_bad_values() -> None:
    provider = DatadogTestingProvider(env={})
    news = {"apiKey": PropertyValue("k"), "bearerToken": PropertyValue("t"),
            "apiUrl": PropertyValue("ftp://x")}  # fmt: skip
    response = run(provider.check_config(api.CheckRequest("urn", {}, news, b"")))
    assert response.inputs["apiKey"].is_secret and response.inputs["bearerToken"].is_secret
    assert not response.inputs["apiUrl"].is_secret
    assert [f.property for f in response.failures] == ["apiUrl"]


def test_check_and_diff_go_through_the_resource_logic() -> None:
    provider = DatadogTestingProvider(env={})
    urn = "urn:pulumi:s::p::datadog-testing:index:ServiceSettings::s"
    bad = {"repository_id": PropertyValue("r"), "service_nme": PropertyValue("x")}
    failures = run(provider.check(api.CheckRequest(urn, {}, bad, b""))).failures
    assert any("did you mean 'service_name'" in f.reason for f in failures)

    olds = {"repository_id": PropertyValue("r"), "service_name": PropertyValue("s"),
            "env": PropertyValue("none"), "code_coverage_enabled": PropertyValue(True)}  # fmt: skip
    news = {**olds, "code_coverage_enabled": PropertyValue(False)}
    diff = run(provider.diff(api.DiffRequest(urn, "r::s::none", olds, news, [])))
    assert diff.changes is True and diff.diffs == ["code_coverage_enabled"]
    assert kinds(diff.detailed_diff) == {"code_coverage_enabled": K.UPDATE}

    renamed = {**olds, "service_name": PropertyValue("t")}
    diff = run(provider.diff(api.DiffRequest(urn, "r::s::none", olds, renamed, [])))
    assert diff.replaces == ["service_name"]
    assert kinds(diff.detailed_diff) == {"service_name": K.UPDATE_REPLACE}

    same = run(provider.diff(api.DiffRequest(urn, "r::s::none", olds, olds, [])))
    assert same.changes is False and same.detailed_diff == {}


def test_failed_calls_carry_the_errors_own_message_with_native_key_names() -> None:
    from pulumi_datadog_testing.errors import DatadogConfigError
    from pulumi_datadog_testing.plugin.grpc_server import error_message

    message = error_message(DatadogConfigError("set datadog:apiKey or DD_API_KEY"))
    assert message == "set datadog-testing:apiKey or DD_API_KEY"
    assert error_message(KeyError("x")) == "KeyError: 'x'"


def test_flaky_test_states_outputs_are_whole_in_native_state(
    serve: Callable[..., DatadogClient],
) -> None:
    """The dynamic resource stores a large set's ``previous_states`` packed (``stored_set``);
    the native provider answers in the schema's shape — the whole map and ``test_ids`` — and
    restores from that shape on delete."""
    fake = FakeFlakyAPI()
    ids = fake.add(PACK_MIN + 5)
    serve(fake)
    provider = DatadogTestingProvider(env={})
    urn = "urn:pulumi:s::p::datadog-testing:index:FlakyTestStates::bulk"
    props = to_wire({"repository_id": REPO, "states": dict.fromkeys(ids, "disabled")})
    created = run(provider.create(api.CreateRequest(urn, props, 60, False)))
    outputs = from_wire(created.properties)
    assert outputs["previous_states"] == dict.fromkeys(ids, "active")
    assert outputs["test_ids"] == sorted(ids)
    assert set(fake.states().values()) == {"disabled"}
    next_operation()
    run(provider.delete(api.DeleteRequest(urn, created.resource_id, created.properties, 60)))
    assert fake.states() == dict.fromkeys(ids, "active")
