"""How configuration reaches a dynamic provider (resources._base), and the shared check helpers."""

from __future__ import annotations

import base64
from typing import Any, Literal

import dill
import pytest
from pulumi.dynamic import CheckFailure, Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from pulumi_datadog_testing.errors import DatadogConfigError
from pulumi_datadog_testing.resources._base import (
    PROVIDER_KEY,
    WIRE_UNKNOWN,
    DatadogResourceProvider,
    check_inputs,
    configure_process,
    has_unknowns,
    is_unknown,
    shared_client,
    shared_settings,
    strip_provider,
)
from tests.unit.conftest import API_KEY, APP_KEY

STACK_CONFIG = {
    "datadog:apiKey": API_KEY,
    "datadog:appKey": APP_KEY,
    "datadog:apiUrl": "http://127.0.0.1:18125",
    "datadog-testing:maxRetries": "1",
    "aws:region": "eu-west-1",
    "demo:owner": "team-ci",
}


class SuiteProvider(DatadogResourceProvider):
    """A provider as resource modules write them: plain data on self only."""

    def __init__(self, kind: str = "suite") -> None:
        super().__init__()
        self.kind = kind


class LeakyProvider(DatadogResourceProvider):
    """A provider that wrongly keeps the client on self."""

    def __init__(self) -> None:
        super().__init__()
        self.http = shared_client()


def configure(provider: DatadogResourceProvider, raw: dict[str, Any]) -> None:
    """What pulumi/dynamic/__main__.py does with the engine's Configure request."""
    provider.configure(ConfigureRequest(config=Config(raw_config=raw, project_name="demo")))


def pickled_bytes(provider: DatadogResourceProvider) -> bytes:
    """The bytes the SDK stores in state as ``__provider`` (base64 of a dill pickle)."""
    return base64.b64decode(serialize_provider(provider))


# --- configuration --------------------------------------------------------------------------


def test_configure_makes_settings_and_one_pooled_client_for_the_process() -> None:
    provider = SuiteProvider()
    configure(provider, STACK_CONFIG)
    assert provider.settings.api_url == "http://127.0.0.1:18125"
    assert provider.settings.max_retries == 1
    assert _secret(provider.settings.app_key) == APP_KEY
    client = provider.client
    assert client is SuiteProvider("other").client is shared_client()
    assert "client" not in vars(provider) and "settings" not in vars(provider)


def test_configure_again_with_the_same_config_keeps_the_client() -> None:
    first, second = SuiteProvider(), SuiteProvider("b")
    configure(first, STACK_CONFIG)
    client = first.client
    configure(second, STACK_CONFIG)
    assert second.client is client


def test_configure_with_other_config_replaces_the_client() -> None:
    provider = SuiteProvider()
    configure(provider, STACK_CONFIG)
    old = provider.client
    configure(provider, {**STACK_CONFIG, "datadog:apiUrl": "http://127.0.0.1:18126"})
    assert provider.client is not old
    assert provider.client.api_url == "http://127.0.0.1:18126"
    assert old._http.is_closed


def test_without_configure_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATADOG_API_KEY", API_KEY)
    monkeypatch.setenv("DD_APP_KEY", APP_KEY)
    monkeypatch.setenv("DD_SITE", "us3.datadoghq.com")
    assert SuiteProvider().client.api_url == "https://api.us3.datadoghq.com"
    assert shared_settings().sources["api_key"] == "DATADOG_API_KEY"


def test_configure_falls_back_to_env_per_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DD_APP_KEY", "app-from-env")
    monkeypatch.setenv("DD_SITE", "datadoghq.eu")
    configure(SuiteProvider(), {"datadog:apiKey": API_KEY})
    settings = shared_settings()
    assert _secret(settings.app_key) == "app-from-env"
    assert settings.api_url == "https://api.datadoghq.eu"


def test_bad_config_does_not_break_configure_but_the_first_api_use() -> None:
    provider = SuiteProvider()
    configure(provider, {"datadog-testing:site": "datadoghq.com"})  # no keys anywhere
    with pytest.raises(DatadogConfigError, match="Datadog credentials are missing") as info:
        _ = provider.client
    assert "datadog:apiKey" in str(info.value) and "DD_APP_KEY" in str(info.value)
    with pytest.raises(DatadogConfigError):
        _ = provider.settings


def test_configure_process_accepts_a_plain_mapping() -> None:
    configure_process({"datadog:apiKey": API_KEY, "datadog:appKey": APP_KEY}, env={})
    assert shared_settings().api_url == "https://api.datadoghq.com"


# --- nothing secret in state -----------------------------------------------------------------


def test_pickled_provider_contains_no_key_bytes_after_configure_and_use() -> None:
    provider = SuiteProvider()
    configure(provider, STACK_CONFIG)
    _ = provider.client  # the client exists in the process while the provider is pickled
    data = pickled_bytes(provider)
    for secret in (API_KEY, APP_KEY):
        assert secret.encode() not in data
        assert base64.b64encode(secret.encode()) not in data
    assert b"127.0.0.1" not in data  # no configuration at all, not even the URL
    restored = dill.loads(data)
    assert type(restored) is SuiteProvider
    assert restored.kind == "suite"
    assert restored.client is provider.client  # an unpickled provider uses the process client


def test_the_byte_check_would_catch_a_key_kept_on_the_instance() -> None:
    provider = SuiteProvider(kind=API_KEY)  # a (wrong) provider keeping a key as plain data
    assert API_KEY.encode() in pickled_bytes(provider)


def test_serialized_provider_is_not_forced_secret() -> None:
    assert SuiteProvider.serialize_as_secret_always is False


def test_a_provider_holding_the_client_refuses_to_be_pickled() -> None:
    configure_process(STACK_CONFIG)
    with pytest.raises(TypeError, match="LeakyProvider.http holds a DatadogClient"):
        serialize_provider(LeakyProvider())


# --- check helpers ------------------------------------------------------------------------------


class SuiteTest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    public_id: str
    alerting_criticality: Literal["ignore", "critical"] = "critical"


class SuiteOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alerting_threshold: float | None = Field(None, ge=0, le=1)


class SuiteArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    message: str | None = None
    tags: list[str] = []
    tests: list[SuiteTest] = []
    options: SuiteOptions | None = None


def failures(result_failures: list[CheckFailure]) -> dict[str, str]:
    return {f.property: f.reason for f in result_failures}


def test_check_inputs_valid_returns_model_and_clean_inputs() -> None:
    news = {
        PROVIDER_KEY: "pickled",
        "name": "s",
        "tests": [{"public_id": "abc-def-ghi"}],
        "public_id": None,
    }
    model, result = check_inputs(SuiteArgs, news, ignore={"public_id"})
    assert model is not None and model.tests[0].alerting_criticality == "critical"
    assert result.failures == []
    assert result.inputs == {
        "name": "s",
        "tags": [],
        "tests": [{"public_id": "abc-def-ghi", "alerting_criticality": "critical"}],
    }


def test_check_failures_name_the_property_path_and_suggest_names() -> None:
    news = {
        "name": "s",
        "mesage": "typo",
        "tests": [
            {"public_id": "a", "alerting_criticallity": "ignore"},
            {"alerting_criticality": "loud"},
        ],
        "options": {"alerting_threshold": 2},
        "colour": "blue",
    }
    model, result = check_inputs(SuiteArgs, news)
    assert model is None
    assert failures(result.failures) == {
        "mesage": "unknown property 'mesage'; did you mean 'message'?",
        "tests[0].alerting_criticallity": (
            "unknown property 'alerting_criticallity'; did you mean 'alerting_criticality'?"
        ),
        "tests[1].public_id": "missing required property",
        "tests[1].alerting_criticality": "Input should be 'ignore' or 'critical' (got 'loud')",
        "options.alerting_threshold": "Input should be less than or equal to 1 (got 2)",
        "colour": (
            "unknown property 'colour'; valid properties: message, name, options, tags, tests"
        ),
    }
    assert result.inputs["name"] == "s"  # invalid inputs are returned as given


def test_unknown_values_during_preview_are_not_failures() -> None:
    news = {"name": WIRE_UNKNOWN, "tests": [{"public_id": WIRE_UNKNOWN}], "options": WIRE_UNKNOWN}
    model, result = check_inputs(SuiteArgs, news)
    assert model is None
    assert result.failures == []
    assert result.inputs == news


def test_known_failures_are_still_reported_next_to_unknowns() -> None:
    model, result = check_inputs(
        SuiteArgs, {"name": WIRE_UNKNOWN, "options": {"alerting_threshold": -1}}
    )
    assert model is None
    assert list(failures(result.failures)) == ["options.alerting_threshold"]


def test_small_helpers() -> None:
    assert strip_provider({PROVIDER_KEY: "x", "a": 1}) == {"a": 1}
    assert is_unknown(WIRE_UNKNOWN) and not is_unknown("04da6b54") and not is_unknown(None)
    assert has_unknowns({"a": [1, {"b": WIRE_UNKNOWN}]})
    assert not has_unknowns({"a": [1, {"b": "known"}]})


def test_given_inputs_merges_args_and_keywords_and_leaves_out_none() -> None:
    from dataclasses import dataclass

    from pulumi_datadog_testing.resources._base import given_inputs

    @dataclass
    class Args:
        a: int | None = None
        b: int | None = None
        c: int | None = None

    assert given_inputs(Args(a=1, b=2), {"a": None, "b": 5}) == {"a": 1, "b": 5}
    assert given_inputs({"a": 1, "typo": 3, "c": None}, {"a": None, "b": None}) == {
        "a": 1,
        "typo": 3,
    }
    assert given_inputs(None, {"a": 7, "b": False, "c": None}) == {"a": 7, "b": False}
    with pytest.raises(TypeError, match="args must be an Args object or a mapping, got int"):
        given_inputs(3, {})


def _secret(value: SecretStr | None) -> str:
    assert value is not None, "no credential resolved"
    return value.get_secret_value()
