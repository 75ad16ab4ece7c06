"""Configuration: sites, API URL rules, stack config vs environment precedence, key handling."""

from __future__ import annotations

import pickle

import pytest
from pulumi.dynamic import Config
from pydantic import SecretStr

from pulumi_datadog_testing.config import load_settings, validate_api_url
from pulumi_datadog_testing.errors import DatadogConfigError
from pulumi_datadog_testing.sites import SITES, api_url_for_site
from tests.unit.conftest import API_KEY, APP_KEY

KEYS = {"datadog:apiKey": API_KEY, "datadog:appKey": APP_KEY}

EXPECTED_SITES = {
    "datadoghq.com": "https://api.datadoghq.com",
    "us3.datadoghq.com": "https://api.us3.datadoghq.com",
    "us5.datadoghq.com": "https://api.us5.datadoghq.com",
    "datadoghq.eu": "https://api.datadoghq.eu",
    "ap1.datadoghq.com": "https://api.ap1.datadoghq.com",
    "ap2.datadoghq.com": "https://api.ap2.datadoghq.com",
    "ddog-gov.com": "https://api.ddog-gov.com",
    "us2.ddog-gov.com": "https://api.us2.ddog-gov.com",
}


@pytest.mark.parametrize(("site", "url"), sorted(EXPECTED_SITES.items()))
def test_every_seed_site_maps_to_its_api_host(site: str, url: str) -> None:
    assert api_url_for_site(site) == url
    assert api_url_for_site(f"app.{site}") == url
    assert api_url_for_site(f" https://APP.{site.upper()}/ ") == url


def test_site_table_covers_the_seeds() -> None:
    assert set(EXPECTED_SITES) <= set(SITES)


def test_unknown_site_lists_the_valid_ones() -> None:
    with pytest.raises(DatadogConfigError) as info:
        api_url_for_site("datadoghq.co", source="datadog-testing:site")
    message = str(info.value)
    assert "datadog-testing:site 'datadoghq.co' is not a Datadog site" in message
    for site in EXPECTED_SITES:
        assert site in message


def test_default_is_us1_when_nothing_says_otherwise() -> None:
    settings = load_settings(KEYS, env={})
    assert settings.api_url == "https://api.datadoghq.com"
    assert settings.sources["api_url"] == "default"


def test_site_from_stack_config() -> None:
    settings = load_settings({**KEYS, "datadog-testing:site": "app.datadoghq.eu"}, env={})
    assert settings.api_url == "https://api.datadoghq.eu"
    assert settings.sources["api_url"] == "datadog-testing:site"


def test_api_url_from_stack_config_drops_trailing_slash() -> None:
    settings = load_settings({**KEYS, "datadog:apiUrl": "https://api.datadoghq.eu/"}, env={})
    assert settings.api_url == "https://api.datadoghq.eu"


@pytest.mark.parametrize("env_name", ["DD_HOST", "DATADOG_HOST"])
def test_host_env_var(env_name: str) -> None:
    settings = load_settings(KEYS, env={env_name: "https://api.us5.datadoghq.com"})
    assert settings.api_url == "https://api.us5.datadoghq.com"
    assert settings.sources["api_url"] == env_name


def test_dd_site_env_var() -> None:
    settings = load_settings(KEYS, env={"DD_SITE": "ap1.datadoghq.com"})
    assert settings.api_url == "https://api.ap1.datadoghq.com"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DD_SITE": "datadoghq.eu"}, "https://api.us3.datadoghq.com"),
        ({"DD_HOST": "https://api.datadoghq.eu"}, "https://api.us3.datadoghq.com"),
        ({"DATADOG_HOST": "https://api.datadoghq.eu"}, "https://api.us3.datadoghq.com"),
    ],
)
def test_stack_site_beats_every_env_var(env: dict[str, str], expected: str) -> None:
    settings = load_settings({**KEYS, "datadog-testing:site": "us3.datadoghq.com"}, env=env)
    assert settings.api_url == expected


def test_stack_api_url_beats_env_site() -> None:
    config = {**KEYS, "datadog:apiUrl": "http://127.0.0.1:8125"}
    settings = load_settings(
        config, env={"DD_SITE": "datadoghq.eu", "DD_HOST": "https://api.datadoghq.eu"}
    )
    assert settings.api_url == "http://127.0.0.1:8125"


def test_dd_host_beats_datadog_host() -> None:
    env = {"DD_HOST": "https://api.datadoghq.eu", "DATADOG_HOST": "https://api.us3.datadoghq.com"}
    assert load_settings(KEYS, env=env).api_url == "https://api.datadoghq.eu"


def test_url_and_site_disagreeing_at_one_level_is_an_error() -> None:
    config = {
        **KEYS,
        "datadog:apiUrl": "https://api.datadoghq.eu",
        "datadog-testing:site": "us3.datadoghq.com",
    }
    with pytest.raises(DatadogConfigError, match="point at different Datadog hosts; set only one"):
        load_settings(config, env={})
    with pytest.raises(DatadogConfigError, match="DD_HOST .* and DD_SITE"):
        load_settings(KEYS, env={"DD_HOST": "https://api.datadoghq.eu", "DD_SITE": "datadoghq.com"})


def test_url_and_site_agreeing_is_fine() -> None:
    env = {"DD_HOST": "https://api.datadoghq.eu/", "DD_SITE": "datadoghq.eu"}
    assert load_settings(KEYS, env=env).api_url == "https://api.datadoghq.eu"


@pytest.mark.parametrize(
    ("config_key", "env_names", "value"),
    [
        ("datadog:apiKey", ("DD_API_KEY", "DATADOG_API_KEY"), "api_key"),
        ("datadog:appKey", ("DD_APP_KEY", "DATADOG_APP_KEY"), "app_key"),
    ],
)
def test_key_precedence_stack_config_then_each_env_var(
    config_key: str, env_names: tuple[str, str], value: str
) -> None:
    other = {k: v for k, v in KEYS.items() if k != config_key}
    first, second = env_names
    env = {first: "from-first-env", second: "from-second-env"}

    from_config = load_settings({**other, config_key: "from-config"}, env=env)
    assert getattr(from_config, value).get_secret_value() == "from-config"
    assert from_config.sources[value] == config_key

    from_first = load_settings(other, env=env)
    assert getattr(from_first, value).get_secret_value() == "from-first-env"
    assert from_first.sources[value] == first

    from_second = load_settings(other, env={second: "from-second-env"})
    assert getattr(from_second, value).get_secret_value() == "from-second-env"
    assert from_second.sources[value] == second


def test_blank_values_count_as_missing() -> None:
    settings = load_settings(
        {"datadog:apiKey": "  ", "datadog:appKey": APP_KEY}, env={"DD_API_KEY": API_KEY}
    )
    assert _secret(settings.api_key) == API_KEY


def test_missing_keys_is_one_error_naming_config_keys_and_env_vars() -> None:
    with pytest.raises(DatadogConfigError) as info:
        load_settings({}, env={})
    message = str(info.value)
    for name in (
        "datadog:apiKey",
        "datadog:appKey",
        "DD_API_KEY",
        "DATADOG_API_KEY",
        "DD_APP_KEY",
        "DATADOG_APP_KEY",
    ):
        assert name in message
    assert message.startswith("Datadog credentials are missing")
    assert "\n" not in message


def test_missing_app_key_only_names_the_app_key() -> None:
    with pytest.raises(DatadogConfigError) as info:
        load_settings({"datadog:apiKey": API_KEY}, env={})
    assert "datadog:appKey" in str(info.value)
    assert "datadog:apiKey" not in str(info.value).split("e.g.")[0]
    assert API_KEY not in str(info.value)


def test_all_problems_reported_together_without_secrets() -> None:
    config = {
        "datadog:apiKey": API_KEY,
        "datadog-testing:site": "nowhere.example",
        "datadog-testing:maxRetries": "many",
        "datadog-testing:timeoutSeconds": "0",
    }
    with pytest.raises(DatadogConfigError) as info:
        load_settings(config, env={})
    message = str(info.value)
    assert "datadog:appKey" in message
    assert "'nowhere.example' is not a Datadog site" in message
    assert "datadog-testing:maxRetries: expected a whole number >= 0, got 'many'" in message
    assert "datadog-testing:timeoutSeconds" in message
    assert API_KEY not in message


def test_own_keys_parse_from_pulumi_config_strings() -> None:
    config = {
        **KEYS,
        "datadog-testing:maxRetries": "5",
        "datadog-testing:retryTimeoutSeconds": "12.5",
        "datadog-testing:timeoutSeconds": "3",
        "datadog-testing:flakyBulkChunkSize": "250",
    }
    settings = load_settings(config, env={})
    assert (settings.max_retries, settings.retry_timeout_seconds) == (5, 12.5)
    assert (settings.timeout_seconds, settings.flaky_bulk_chunk_size) == (3.0, 250)


def test_pulumi_datadog_retry_keys_are_honoured_as_fallbacks() -> None:
    legacy = {
        **KEYS,
        "datadog:httpClientRetryMaxRetries": "7",
        "datadog:httpClientRetryTimeout": "90",
    }
    settings = load_settings(legacy, env={})
    assert (settings.max_retries, settings.retry_timeout_seconds) == (7, 90.0)
    assert settings.sources["max_retries"] == "datadog:httpClientRetryMaxRetries"
    own = load_settings({**legacy, "datadog-testing:maxRetries": "2"}, env={})
    assert own.max_retries == 2


def test_pulumi_datadog_retry_disabled_means_no_retries_unless_ours_says_so() -> None:
    disabled = {**KEYS, "datadog:httpClientRetryEnabled": "false"}
    assert load_settings(disabled, env={}).max_retries == 0
    assert load_settings({**disabled, "datadog-testing:maxRetries": "4"}, env={}).max_retries == 4
    assert (
        load_settings({**KEYS, "datadog:httpClientRetryEnabled": "true"}, env={}).max_retries == 3
    )
    with pytest.raises(DatadogConfigError, match="httpClientRetryEnabled: expected true or false"):
        load_settings({**KEYS, "datadog:httpClientRetryEnabled": "sometimes"}, env={})


def test_defaults_for_own_keys() -> None:
    settings = load_settings(KEYS, env={})
    assert settings.max_retries == 3
    assert settings.retry_timeout_seconds == 60.0
    assert settings.timeout_seconds == 30.0
    assert settings.flaky_bulk_chunk_size == 1000


def test_reads_pulumi_dynamic_config_with_namespaced_keys() -> None:
    # What ConfigureRequest.config really is: namespaced keys of every namespace, decrypted.
    raw = {
        **KEYS,
        "datadog-testing:site": "us5.datadoghq.com",
        "aws:region": "eu-west-1",
        "myproj:x": "1",
    }
    settings = load_settings(Config(raw_config=raw, project_name="myproj"), env={})
    assert settings.api_url == "https://api.us5.datadoghq.com"
    assert _secret(settings.app_key) == APP_KEY


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8125",
        "http://127.9.9.9:1",
        "http://localhost:8125/",
        "http://[::1]:8125",
        "https://api.datadoghq.eu",
        "https://proxy.example.com/datadog",
    ],
)
def test_accepted_api_urls(url: str) -> None:
    assert validate_api_url(url) == url.rstrip("/")


def test_bare_host_means_https() -> None:
    assert validate_api_url("api.datadoghq.eu") == "https://api.datadoghq.eu"
    assert validate_api_url("http.example.com") == "https://http.example.com"
    assert validate_api_url("  https://api.datadoghq.eu/  ") == "https://api.datadoghq.eu"
    assert validate_api_url("http://[::1]:8711") == "http://[::1]:8711"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://api.datadoghq.eu", "http:// with a non-loopback host"),
        ("http://10.0.0.5:8125", "http:// with a non-loopback host"),
        ("ftp://api.datadoghq.eu", "must start with https://"),
        ("https://api.datadoghq.eu/api/", "without /api"),
        ("https://api.datadoghq.eu/api/v2", "without /api"),
        ("https://api.datadoghq.eu/?x=1", "query string"),
        ("https://api.datadoghq.eu:99999", "invalid port"),
        # Malformed URLs used to pass as bare host names ("https://not a url").
        ("not a url", "contains whitespace"),
        ("http//bad url", "contains whitespace"),
        ("api.datadoghq\t.eu", "contains whitespace"),
        ("http//api.datadoghq.eu", "write the scheme as https://"),
        ("https:/api.datadoghq.eu", "write the scheme as https://"),
        ("https://api_datadoghq!.eu", "invalid host name"),
        ("https://-bad.example", "invalid host name"),
    ],
)
def test_rejected_api_urls(url: str, reason: str) -> None:
    with pytest.raises(DatadogConfigError, match=reason) as info:
        validate_api_url(url)
    assert str(info.value).startswith("datadog:apiUrl ")


def test_url_with_credentials_is_rejected_without_echoing_them() -> None:
    with pytest.raises(DatadogConfigError, match="must not contain credentials") as info:
        load_settings(
            {**KEYS, "datadog:apiUrl": f"https://user:{API_KEY}@api.datadoghq.eu"}, env={}
        )
    assert API_KEY not in str(info.value)


def test_settings_never_render_keys() -> None:
    settings = load_settings(KEYS, env={})
    for text in (repr(settings), str(settings), f"{settings}", repr(settings.model_dump())):
        assert API_KEY not in text
        assert APP_KEY not in text


def test_settings_refuse_to_be_pickled() -> None:
    settings = load_settings(KEYS, env={})
    with pytest.raises(TypeError, match="must not be pickled"):
        pickle.dumps(settings)


def test_settings_are_frozen() -> None:
    settings = load_settings(KEYS, env={})
    with pytest.raises(ValueError, match="frozen"):
        setattr(settings, "max_retries", 9)  # noqa: B010 - bypass the type checker on purpose
    assert settings.max_retries == 3


def _secret(value: SecretStr | None) -> str:
    assert value is not None, "no credential resolved"
    return value.get_secret_value()
