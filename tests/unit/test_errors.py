"""Error mapping and rendering: both errors[] shapes, every status family, hints, redaction."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pulumi_datadog_testing.errors import (
    BadRequestError,
    ConflictError,
    DatadogAPIError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    Redactor,
    ServerError,
    error_from_response,
    extract_errors,
    extract_request_id,
    required_permission,
)
from tests.unit.conftest import API_KEY, APP_KEY

SETTINGS_PATH = "/api/v2/ci/test-optimization/settings/service"
FLAKY_PATH = "/api/v2/test/flaky-test-management/tests"
SUITES_PATH = "/api/v2/synthetics/suites"


def response(
    status: int, body: Any = None, headers: dict[str, str] | None = None, **kw: Any
) -> httpx.Response:
    if body is not None and not isinstance(body, (str, bytes)):
        kw["json"] = body
    elif body is not None:
        kw["content"] = body
    return httpx.Response(status, headers=headers, **kw)


def render(
    resp: httpx.Response, method: str = "PATCH", path: str = SETTINGS_PATH, **kw: Any
) -> DatadogAPIError:
    kw.setdefault("api_url", "https://api.datadoghq.eu")
    kw.setdefault("redact", Redactor([API_KEY, APP_KEY]))
    return error_from_response(resp, method=method, path=path, **kw)


def test_plain_string_errors_shape() -> None:
    assert extract_errors(response(404, {"errors": ["Synthetics test not found"]})) == [
        "Synthetics test not found"
    ]


def test_json_api_error_objects_shape() -> None:
    body = {
        "errors": [
            {
                "status": "400",
                "title": "Bad Request",
                "detail": "limit must be greater than 1 and less than 1000",
            },
            {
                "title": "Invalid",
                "detail": "bad value",
                "source": {"pointer": "/data/attributes/env"},
            },
            {"title": "Only a title"},
        ]
    }
    resp = response(400, body, headers={"content-type": "application/vnd.api+json"})
    assert extract_errors(resp) == [
        "Bad Request: limit must be greater than 1 and less than 1000",
        "Invalid: bad value (at /data/attributes/env)",
        "Only a title",
    ]


def test_non_json_and_empty_bodies() -> None:
    assert extract_errors(response(502, "<html>\n  upstream   down</html>")) == [
        "<html> upstream down</html>"
    ]
    assert extract_errors(response(500)) == []
    assert extract_errors(response(500, {"message": "boom"})) == ['{"message": "boom"}']


def test_long_error_text_is_shortened_to_one_line() -> None:
    text = extract_errors(response(400, {"errors": ["x" * 1000 + "\nsecond line"]}))[0]
    assert len(text) <= 400
    assert "\n" not in text


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("PATCH", SETTINGS_PATH, "test_optimization_settings_write"),
        ("POST", SETTINGS_PATH, "test_optimization_read"),
        (
            "PATCH",
            "/api/v2/ci/test-optimization/settings/policies",
            "test_optimization_settings_write",
        ),
        ("POST", "/api/v2/ci/test-optimization/settings/policies", "test_optimization_read"),
        ("POST", FLAKY_PATH, "test_optimization_read"),
        ("PATCH", FLAKY_PATH, "test_optimization_write"),
        ("POST", SUITES_PATH, "synthetics_write"),
        ("GET", f"{SUITES_PATH}/abc-def-ghi", "synthetics_read"),
        ("PATCH", f"{SUITES_PATH}/abc-def-ghi/jsonpatch", "synthetics_write"),
        ("POST", f"{SUITES_PATH}/bulk-delete", "synthetics_write"),
        ("GET", f"{SUITES_PATH}/search?query=x", "synthetics_read"),
    ],
)
def test_required_permission_per_endpoint(method: str, path: str, permission: str) -> None:
    assert required_permission(method, path) == permission


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/validate"),
        ("DELETE", SETTINGS_PATH),  # served by the emulator, never called by the provider
        ("PUT", f"{SUITES_PATH}/abc-def-ghi"),
    ],
)
def test_calls_the_provider_never_makes_have_no_permission(method: str, path: str) -> None:
    assert required_permission(method, path) is None


def test_403_with_a_bearer_token_points_at_the_token_not_the_keys() -> None:
    # With DD_BEARER_TOKEN the keys are not sent; the hint used to name only the keys.
    request = httpx.Request(
        "PATCH", "https://api.datadoghq.eu" + SETTINGS_PATH, headers={"Authorization": "Bearer t"}
    )
    message = str(render(httpx.Response(403, json={"errors": ["Forbidden"]}, request=request)))
    assert "check that the bearer token is valid for https://api.datadoghq.eu" in message
    assert "datadog:bearerToken or DD_BEARER_TOKEN" in message and "DD_API_KEY" not in message
    assert "token's user and scopes include the `test_optimization_settings_write`" in message


def test_403_names_the_permission_the_endpoint_needs() -> None:
    err = render(response(403, {"errors": ["Forbidden"]}, headers={"x-request-id": "req-123"}))
    assert isinstance(err, ForbiddenError)
    message = str(err)
    assert message.startswith(f"PATCH {SETTINGS_PATH} -> 403 Forbidden")
    assert "`test_optimization_settings_write` permission" in message
    assert "https://api.datadoghq.eu" in message
    assert "datadog:apiKey" in message and "DD_API_KEY" in message
    assert message.endswith("[request id req-123]")
    assert (err.status, err.errors, err.request_id) == (403, ("Forbidden",), "req-123")
    assert (err.method, err.path) == ("PATCH", SETTINGS_PATH)
    assert "\n" not in message


def test_401_is_forbidden_too() -> None:
    err = render(response(401, {"errors": ["Unauthorized"]}), method="PATCH", path=FLAKY_PATH)
    assert isinstance(err, ForbiddenError)
    assert "`test_optimization_write`" in str(err)


def test_404_names_the_object() -> None:
    err = render(
        response(404, {"errors": ["Synthetics test not found"]}),
        method="GET",
        path=f"{SUITES_PATH}/abc-def-ghi",
        target='synthetics suite "abc-def-ghi"',
    )
    assert isinstance(err, NotFoundError)
    assert str(err) == (
        f"GET {SUITES_PATH}/abc-def-ghi -> 404 Synthetics test not found — synthetics suite "
        '"abc-def-ghi" does not exist (deleted outside Pulumi? run `pulumi refresh`)'
    )


def test_404_without_target_names_the_path() -> None:
    err = render(
        response(404, {"errors": ["Not found"]}), method="GET", path=f"{SUITES_PATH}/x?y=1"
    )
    assert f"the object at {SUITES_PATH}/x does not exist" in str(err)


def test_429_says_after_how_many_retries_and_how_long() -> None:
    headers = {"x-ratelimit-reset": "7", "x-ratelimit-name": "flaky_tests_update"}
    err = render(
        response(429, {"errors": ["Too many requests"]}, headers=headers),
        path=FLAKY_PATH,
        retries=3,
        elapsed=21.0,
    )
    assert isinstance(err, RateLimitedError)
    message = str(err)
    assert "still rate limited after 3 retries over 21.0s" in message
    assert "limit flaky_tests_update, resets in 7s" in message
    assert "datadog-testing:retryTimeoutSeconds" in message
    assert (err.retries, err.elapsed) == (3, 21.0)


def test_400_both_shapes_render_the_server_text() -> None:
    string_shape = render(response(400, {"errors": ["env must not be empty"]}), method="POST")
    assert isinstance(string_shape, BadRequestError)
    assert f"POST {SETTINGS_PATH} -> 400 env must not be empty — Datadog rejected" in str(
        string_shape
    )
    object_shape = render(
        response(
            400, {"errors": [{"status": "400", "title": "Bad Request", "detail": "limit too big"}]}
        ),
        method="POST",
        path=FLAKY_PATH,
    )
    assert "-> 400 Bad Request: limit too big" in str(object_shape)


@pytest.mark.parametrize(
    ("status", "cls"), [(409, ConflictError), (412, ConflictError), (422, BadRequestError)]
)
def test_conflict_and_unprocessable(status: int, cls: type[DatadogAPIError]) -> None:
    err = render(
        response(status, {"errors": ["test operation failed"]}), path=f"{SUITES_PATH}/a/jsonpatch"
    )
    assert type(err) is cls
    assert "test operation failed" in str(err)


@pytest.mark.parametrize("status", [408, 500, 502, 503, 512])
def test_server_errors_after_retries(status: int) -> None:
    err = render(response(status, {"errors": ["Internal"]}), retries=2, elapsed=3.0)
    assert isinstance(err, ServerError)
    assert "Datadog kept failing after 2 retries over 3.0s" in str(err)


def test_other_status_is_the_base_type() -> None:
    err = render(response(418, "teapot"))
    assert type(err) is DatadogAPIError
    assert "418" in str(err)


def test_multiple_errors_joined_on_one_line() -> None:
    err = render(response(400, {"errors": ["first", "second"]}))
    assert "-> 400 first; second —" in str(err)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-dd-request-id": "a"}, "a"),
        ({"dd-request-id": "b"}, "b"),
        ({"x-request-id": "c"}, "c"),
        ({"X-Request-Id": "d"}, "d"),
        ({}, None),
    ],
)
def test_request_id_headers(headers: dict[str, str], expected: str | None) -> None:
    assert extract_request_id(httpx.Headers(headers)) == expected


def test_credentials_echoed_by_the_server_are_redacted() -> None:
    body = {"errors": [f"invalid key {API_KEY}", {"title": "bad app key", "detail": APP_KEY}]}
    err = render(response(403, body))
    rendered = " ".join([str(err), repr(err), json.dumps(err.errors)])
    assert API_KEY not in rendered
    assert APP_KEY not in rendered
    assert "invalid key ***" in str(err)


def test_redactor_replaces_longest_secret_first() -> None:
    redact = Redactor(["abcd1234", "abcd1234-ef56", ""])
    assert redact("x abcd1234-ef56 y abcd1234") == "x *** y ***"
    assert "abcd" not in repr(redact)


@pytest.mark.parametrize("key", ["y", "t", "e", "flaky", "1234567"])
def test_redactor_ignores_values_too_short_to_be_keys(key: str) -> None:
    text = "PATCH /api/v2/test/flaky-test-management/tests failed: 403 Forbidden (retry 1/3)"
    assert Redactor([key])(text) == text


def test_redactor_replaces_whole_tokens_only() -> None:
    key = "5f2a9c0e"
    redact = Redactor([key])
    assert redact(f"key={key}; DD-API-KEY: {key}, '{key}'") == "key=***; DD-API-KEY: ***, '***'"
    ordinary = f"sha {key}77 and x{key} and {key}abc"
    assert redact(ordinary) == ordinary


def test_redactor_replaces_key_length_secrets_even_when_glued() -> None:
    # A 32-character key glued to other text (URL-encoded "Bearer%20<key>", "x<key>1") used to
    # pass through: whole-token matching is only for values short enough to be ordinary text.
    key = "0123456789abcdef0123456789abcdef"
    redact = Redactor([key, "5f2a9c0e"])
    assert redact(f"Bearer%20{key} x{key}1 {key}") == "Bearer%20*** x***1 ***"
    assert redact("sha x5f2a9c0e77") == "sha x5f2a9c0e77"


def test_redactor_secret_with_symbol_edges_matches_anywhere() -> None:
    token = "-tok.en/with+symbols="
    assert Redactor([token])(f"Bearer{token}x") == "Bearer***x"
