"""Configuration checked when the provider is configured (what `pulumi preview` reports, with
no API call), ``datadog:validate``, and the bearer token as an alternative to the two keys."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.config import load_settings, validation_enabled
from pulumi_datadog_testing.errors import (
    DatadogConfigError,
    ForbiddenError,
    MissingCredentialsError,
)
from pulumi_datadog_testing.resources._base import config_failures, configure_process
from pulumi_datadog_testing.resources.service_settings import ServiceSettingsProvider
from tests.unit.conftest import API_KEY, APP_KEY

KEYS = {"datadog:apiKey": API_KEY, "datadog:appKey": APP_KEY}
TOKEN = "ddpat_0f1e2d3c4b5a69788796a5b4c3d2e1f0"
SETTINGS = {"repository_id": "github.com/acme/shop", "service_name": "checkout"}


def problems_after_configure(config: dict[str, Any]) -> list[str]:
    configure_process(config, env={})
    return [failure.reason for failure in config_failures()]


# ------------------------------------------------------------------ checked at configure


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({**KEYS, "datadog-testing:site": "datadoghq.co"}, "is not a Datadog site"),
        ({**KEYS, "datadog:apiUrl": "http://api.datadoghq.eu"}, "non-loopback host"),
        ({**KEYS, "datadog:apiUrl": "https://api.datadoghq.eu:99999"}, "invalid port"),
        ({**KEYS, "datadog:apiUrl": "ftp://api.datadoghq.eu"}, "must start with https://"),
        ({**KEYS, "datadog:apiUrl": "http//bad url"}, "is not a URL"),
        ({"datadog:apiKey": API_KEY}, "Datadog credentials are missing"),
        ({}, "Datadog credentials are missing"),
        ({**KEYS, "datadog:validate": "maybe"}, "datadog:validate: expected true or false"),
    ],
    ids=["site", "http", "port", "scheme", "malformed", "app-key", "no-keys", "validate"],
)
def test_configure_reports_local_mistakes_as_one_line(
    config: dict[str, Any], expected: str
) -> None:
    (problem,) = problems_after_configure(config)
    assert expected in problem and "\n" not in problem
    assert API_KEY not in problem


def test_every_check_fails_with_the_configuration_problem() -> None:
    configure_process({**KEYS, "datadog-testing:site": "datadoghq.co"}, env={})
    result = ServiceSettingsProvider().check({}, {**SETTINGS, "__provider": "p"})
    assert [(f.property, "is not a Datadog site" in f.reason) for f in result.failures] == [
        ("", True)
    ]


def test_valid_configuration_reports_nothing() -> None:
    assert problems_after_configure({**KEYS, "datadog:apiUrl": "http://127.0.0.1:18125"}) == []
    assert ServiceSettingsProvider().check({}, {**SETTINGS, "__provider": "p"}).failures == []


def test_check_without_configure_reports_no_configuration_problem() -> None:
    # Direct calls (tests, older engines): settings come from the environment at first use.
    assert ServiceSettingsProvider().check({}, dict(SETTINGS)).failures == []


def test_validate_false_defers_only_missing_credentials() -> None:
    assert problems_after_configure({"datadog:validate": "false"}) == []
    with pytest.raises(MissingCredentialsError):
        ServiceSettingsProvider().settings  # noqa: B018 - the first API use still needs them
    (problem,) = problems_after_configure(
        {"datadog:validate": "false", "datadog-testing:site": "datadoghq.co"}
    )
    assert "is not a Datadog site" in problem


def test_validate_false_accepts_booleans_and_strings() -> None:
    assert validation_enabled({"datadog:validate": False}) is False
    assert validation_enabled({"datadog:validate": " False "}) is False
    assert validation_enabled({"datadog:validate": "true"}) is True
    assert validation_enabled({}) is True
    assert validation_enabled(None) is True


def test_missing_credentials_alone_is_its_own_error() -> None:
    with pytest.raises(MissingCredentialsError):
        load_settings({}, env={})
    with pytest.raises(DatadogConfigError) as info:
        load_settings({"datadog-testing:site": "nowhere"}, env={})
    assert not isinstance(info.value, MissingCredentialsError)
    assert "credentials are missing" in str(info.value) and "nowhere" in str(info.value)


# ------------------------------------------------------------------------- bearer token


def test_bearer_token_replaces_both_keys() -> None:
    settings = load_settings({"datadog:bearerToken": TOKEN}, env={})
    assert settings.api_key is None and settings.app_key is None
    assert settings.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}
    assert settings.sources["bearer_token"] == "datadog:bearerToken"
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)


def test_bearer_token_from_the_environment() -> None:
    settings = load_settings({}, env={"DD_BEARER_TOKEN": TOKEN})
    assert settings.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}
    assert settings.sources["bearer_token"] == "DD_BEARER_TOKEN"


def test_with_a_token_the_keys_are_not_sent() -> None:
    settings = load_settings({**KEYS, "datadog:bearerToken": TOKEN}, env={})
    assert settings.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}


def test_without_a_token_the_keys_are_sent() -> None:
    settings = load_settings(KEYS, env={})
    assert settings.auth_headers() == {"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": APP_KEY}


def test_missing_credentials_message_names_the_token_too() -> None:
    with pytest.raises(MissingCredentialsError) as info:
        load_settings({}, env={})
    assert "datadog:bearerToken" in str(info.value) and "DD_BEARER_TOKEN" in str(info.value)


def test_the_client_sends_the_token_and_redacts_it_everywhere() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(403, json={"errors": [f"token {TOKEN} is not valid"]})

    settings = load_settings({"datadog:bearerToken": TOKEN}, env={})
    client = DatadogClient(settings, transport=httpx.MockTransport(handler))
    with pytest.raises(ForbiddenError) as info:
        client.request("GET", "/api/v2/synthetics/suites/search", target="suites")
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert "DD-API-KEY" not in seen[0].headers
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    assert "token *** is not valid" in str(info.value)
