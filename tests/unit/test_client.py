"""DatadogClient over httpx.MockTransport: headers, bodies, every retry path, bounds, logging."""

from __future__ import annotations

import gc
import json
import logging
import pickle
import re
import ssl
import weakref
from collections.abc import Callable
from typing import Any, Literal

import httpx
import pytest

from pulumi_datadog_testing.api import catalog
from pulumi_datadog_testing.client import DatadogClient, user_agent
from pulumi_datadog_testing.errors import (
    AmbiguousWriteError,
    BadRequestError,
    ConflictError,
    DatadogAPIError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from pulumi_datadog_testing.models import DeleteSuitesRequest, WireModel
from tests.support.clock import FakeClock
from tests.unit.conftest import API_KEY, APP_KEY, make_settings

SUITES = catalog.CREATE_SUITE.path
MakeClient = Callable[..., DatadogClient]


class SuiteAttributes(WireModel):
    name: str
    message: str | None = None


class SuiteData(WireModel):
    type: Literal["suites"] = "suites"
    id: str | None = None
    attributes: SuiteAttributes


class SuiteEnvelope(WireModel):
    data: SuiteData


CREATED = {"data": {"type": "suites", "id": "abc-def-ghi", "attributes": {"name": "s"}}}


class Script:
    """Answers requests in order from a list of responses/exceptions; the last one repeats."""

    def __init__(self, *steps: httpx.Response | Exception | int) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps[min(len(self.requests), len(self.steps)) - 1]
        if isinstance(step, int):
            step = httpx.Response(step, json={"errors": [f"status {step}"]})
        if isinstance(step, Exception):
            raise step
        return step

    @property
    def count(self) -> int:
        return len(self.requests)


def ok(body: Any = CREATED) -> httpx.Response:
    return httpx.Response(200, json=body)


def rate_limited(reset: str | None = None) -> httpx.Response:
    headers = (
        {"x-ratelimit-reset": reset, "x-ratelimit-name": "suites"} if reset is not None else {}
    )
    return httpx.Response(429, json={"errors": ["Too many requests"]}, headers=headers)


def create_body() -> SuiteEnvelope:
    return SuiteEnvelope(data=SuiteData(attributes=SuiteAttributes(name="s")))


# --- requests and responses -------------------------------------------------------------


def test_sends_auth_user_agent_and_typed_body(make_client: MakeClient) -> None:
    script = Script(ok())
    client = make_client(script)
    result = client.request("POST", SUITES, body=create_body(), response_model=SuiteEnvelope)
    assert result == SuiteEnvelope.model_validate(CREATED)
    request = script.requests[0]
    assert str(request.url) == f"https://api.datadoghq.eu{SUITES}"
    assert request.headers["DD-API-KEY"] == API_KEY
    assert request.headers["DD-APPLICATION-KEY"] == APP_KEY
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"] == user_agent()
    # None fields ("not managed") are not sent.
    assert json.loads(request.content) == {"data": {"type": "suites", "attributes": {"name": "s"}}}


def test_user_agent_names_package_version_python_and_httpx() -> None:
    assert re.fullmatch(
        r"pulumi-datadog-testing/\S+ \(python/\d+\.\d+\.\d+\S*; httpx/\S+\)", user_agent()
    )
    assert f"httpx/{httpx.__version__}" in user_agent()


def test_call_takes_method_path_and_model_from_the_catalog(make_client: MakeClient) -> None:
    suite = {"public_id": "abc-def-ghi", "name": "s", "tests": []}
    script = Script(ok({"data": {"id": "abc-def-ghi", "attributes": suite}}))
    found = make_client(script).call(
        catalog.GET_SUITE, path_params={"public_id": "abc-def-ghi"}, target="suite"
    )
    assert found.data.attributes.public_id == "abc-def-ghi"
    request = script.requests[0]
    assert (request.method, request.url.path) == ("GET", f"{SUITES}/abc-def-ghi")


def test_an_answer_is_freed_when_parsed_without_the_garbage_collector(
    make_client: MakeClient,
) -> None:
    """httpx keeps a response and its bound stream in a reference cycle; the client breaks
    it, so a large body (a 1,000-test search page) goes as soon as it is parsed instead of
    waiting, promoted by the parsing, for a full collection."""
    answers: list[weakref.ref[httpx.Response]] = []

    def answer(_request: httpx.Request) -> httpx.Response:
        response = ok()
        answers.append(weakref.ref(response))
        return response

    client = make_client(answer)
    gc.collect()
    gc.disable()
    try:
        created = client.call(catalog.CREATE_SUITE, body=create_body(), target="suite")
        assert created is not None
        assert len(answers) == 1 and answers[0]() is None
    finally:
        gc.enable()


def test_a_403_from_call_names_the_endpoints_permission(make_client: MakeClient) -> None:
    with pytest.raises(ForbiddenError, match="`synthetics_write` permission"):
        make_client(Script(403)).call(
            catalog.DELETE_SUITES, body=DeleteSuitesRequest.of(["abc-def-ghi"])
        )


def test_no_content_returns_none(make_client: MakeClient) -> None:
    script = Script(httpx.Response(204))
    assert (
        make_client(script).request("DELETE", "/api/v2/ci/test-optimization/settings/service")
        is None
    )


def test_query_params_and_api_url_path_prefix(make_client: MakeClient) -> None:
    script = Script(ok())
    client = make_client(script, api_url="https://proxy.example.com/datadog")
    client.request("GET", f"{SUITES}/search", params={"query": "tag:a b", "count": 50})
    url = script.requests[0].url
    assert url.path == f"/datadog{SUITES}/search"
    assert url.params["query"] == "tag:a b"
    assert url.params["count"] == "50"


def test_timeout_comes_from_settings(make_client: MakeClient) -> None:
    script = Script(ok())
    make_client(script, timeout_seconds=7.5).request("GET", f"{SUITES}/x")
    assert script.requests[0].extensions["timeout"] == {
        "connect": 7.5,
        "read": 7.5,
        "write": 7.5,
        "pool": 7.5,
    }


def test_path_for_quotes_ids() -> None:
    assert catalog.GET_SUITE.path_for(public_id="../x y") == f"{SUITES}/..%2Fx%20y"


def test_invalid_response_body_is_an_unexpected_response(make_client: MakeClient) -> None:
    script = Script(
        httpx.Response(200, json={"data": {"type": "other"}}, headers={"x-request-id": "r1"})
    )
    with pytest.raises(UnexpectedResponseError) as info:
        make_client(script).request("GET", f"{SUITES}/x", response_model=SuiteEnvelope)
    assert "not a valid SuiteEnvelope" in str(info.value)
    assert "data.type" in str(info.value)
    assert info.value.request_id == "r1"


# --- retries: rate limits -----------------------------------------------------------------


def test_429_waits_the_reset_header_then_succeeds(
    make_client: MakeClient, clock: FakeClock
) -> None:
    script = Script(rate_limited("3"), ok())
    result = make_client(script).request(
        "POST", SUITES, body=create_body(), response_model=SuiteEnvelope
    )
    assert result.data.id == "abc-def-ghi"
    assert script.count == 2
    assert len(clock.sleeps) == 1
    assert 3.0 <= clock.sleeps[0] <= 4.0  # reset + at most 1 s of jitter


def test_429_without_reset_header_backs_off_exponentially(
    make_client: MakeClient, clock: FakeClock
) -> None:
    script = Script(rate_limited(), rate_limited(), rate_limited(), ok())
    make_client(script).request("GET", f"{SUITES}/x")
    assert script.count == 4
    first, second, third = clock.sleeps
    assert 0.5 <= first <= 1.0
    assert 1.0 <= second <= 2.0
    assert 2.0 <= third <= 4.0


def test_429_is_retried_even_for_non_idempotent_writes(make_client: MakeClient) -> None:
    script = Script(rate_limited("1"), ok())
    make_client(script).request("POST", SUITES, body=create_body())
    assert script.count == 2


def test_429_reset_beyond_the_time_budget_stops_at_once(
    make_client: MakeClient, clock: FakeClock
) -> None:
    script = Script(rate_limited("120"))
    with pytest.raises(RateLimitedError) as info:
        make_client(script, retry_timeout_seconds=60).request("GET", f"{SUITES}/x")
    assert script.count == 1
    assert clock.sleeps == []
    assert "after 0 retries" in str(info.value)
    assert "resets in 120s" in str(info.value)


def test_429_until_attempts_run_out(make_client: MakeClient, clock: FakeClock) -> None:
    script = Script(rate_limited("2"))
    with pytest.raises(RateLimitedError) as info:
        make_client(script, max_retries=3).request(
            "PATCH", "/api/v2/test/flaky-test-management/tests", idempotent=True
        )
    assert script.count == 4
    assert len(clock.sleeps) == 3
    err = info.value
    assert err.retries == 3
    assert err.elapsed == pytest.approx(sum(clock.sleeps))
    assert f"still rate limited after 3 retries over {sum(clock.sleeps):.1f}s" in str(err)


# --- retries: server errors -----------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 501, 502, 503, 504, 505, 506, 507, 509, 510, 511, 512])
def test_5xx_retried_for_idempotent_requests(make_client: MakeClient, status: int) -> None:
    script = Script(status, ok())
    make_client(script).request("GET", f"{SUITES}/x")
    assert script.count == 2


def test_508_is_not_retried(make_client: MakeClient) -> None:
    script = Script(508)
    with pytest.raises(ServerError):
        make_client(script).request("GET", f"{SUITES}/x")
    assert script.count == 1


def test_408_is_retried_for_non_idempotent_writes(make_client: MakeClient) -> None:
    script = Script(408, ok())
    make_client(script).request("POST", SUITES, body=create_body())
    assert script.count == 2


def test_5xx_on_non_idempotent_write_is_ambiguous_without_recover(make_client: MakeClient) -> None:
    script = Script(502)
    with pytest.raises(AmbiguousWriteError) as info:
        make_client(script).request("POST", SUITES, body=create_body(), target='suite "s"')
    assert script.count == 1
    assert info.value.status == 502
    assert "not retried (that could create a duplicate)" in str(info.value)
    assert 'check suite "s" in Datadog' in str(info.value)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, ForbiddenError),
        (403, ForbiddenError),
        (404, NotFoundError),
        (409, ConflictError),
    ],
)
def test_client_errors_are_not_retried(
    make_client: MakeClient, status: int, cls: type[DatadogAPIError]
) -> None:
    script = Script(status)
    with pytest.raises(cls):
        make_client(script).request("GET", f"{SUITES}/x")
    assert script.count == 1


# --- retries: transport errors ----------------------------------------------------------------


def test_connect_error_is_retried_even_for_non_idempotent_writes(make_client: MakeClient) -> None:
    script = Script(httpx.ConnectError("connection refused"), ok())
    make_client(script).request("POST", SUITES, body=create_body())
    assert script.count == 2


def test_read_timeout_is_retried_for_idempotent_requests(make_client: MakeClient) -> None:
    script = Script(httpx.ReadTimeout("timed out"), httpx.RemoteProtocolError("dropped"), ok())
    result = make_client(script).request("GET", f"{SUITES}/x", response_model=SuiteEnvelope)
    assert result.data.attributes.name == "s"
    assert script.count == 3


def test_patch_marked_idempotent_is_retried_after_read_timeout(make_client: MakeClient) -> None:
    script = Script(httpx.ReadTimeout("timed out"), ok({}))
    make_client(script).request(
        "PATCH", "/api/v2/ci/test-optimization/settings/service", idempotent=True
    )
    assert script.count == 2


def test_read_timeout_on_non_idempotent_write_is_not_retried(
    make_client: MakeClient, clock: FakeClock
) -> None:
    script = Script(httpx.ReadTimeout("timed out"), ok())
    with pytest.raises(AmbiguousWriteError) as info:
        make_client(script).request("POST", SUITES, body=create_body())
    assert script.count == 1
    assert clock.sleeps == []
    assert info.value.status is None
    assert isinstance(info.value, TransportError)
    assert "ReadTimeout: timed out after the request was sent" in str(info.value)


def test_dropped_response_on_write_with_recover_adopts_the_created_object(
    make_client: MakeClient,
) -> None:
    script = Script(httpx.RemoteProtocolError("Server disconnected without sending a response."))
    found = SuiteEnvelope.model_validate(CREATED)
    lookups: list[str] = []

    def recover() -> SuiteEnvelope | None:
        lookups.append("searched")
        return found

    result = make_client(script).request(
        "POST", SUITES, body=create_body(), response_model=SuiteEnvelope, recover=recover
    )
    assert result is found
    assert script.count == 1
    assert lookups == ["searched"]


def test_recover_finding_nothing_retries_the_write(make_client: MakeClient) -> None:
    script = Script(httpx.ReadTimeout("timed out"), 500, ok())
    calls: list[int] = []

    def recover() -> SuiteEnvelope | None:
        calls.append(script.count)
        return None

    result = make_client(script).request(
        "POST", SUITES, body=create_body(), response_model=SuiteEnvelope, recover=recover
    )
    assert result.data.id == "abc-def-ghi"
    assert script.count == 3
    assert calls == [1, 2]


def test_recover_failing_is_ambiguous(make_client: MakeClient) -> None:
    script = Script(httpx.ReadTimeout("timed out"))

    def recover() -> SuiteEnvelope | None:
        raise ForbiddenError("GET search -> 403", method="GET", path=f"{SUITES}/search", status=403)

    with pytest.raises(AmbiguousWriteError) as info:
        make_client(script).request(
            "POST", SUITES, body=create_body(), response_model=SuiteEnvelope, recover=recover
        )
    assert "looking up whether the object was written failed too (GET search -> 403)" in str(
        info.value
    )
    assert isinstance(info.value.__cause__, ForbiddenError)


def test_connect_errors_until_attempts_run_out(make_client: MakeClient, clock: FakeClock) -> None:
    script = Script(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(TransportError) as info:
        make_client(script, max_retries=2).request("GET", f"{SUITES}/x")
    assert script.count == 3
    assert len(clock.sleeps) == 2
    message = str(info.value)
    assert message.startswith(f"GET {SUITES}/x -> no answer from https://api.datadoghq.eu")
    assert "ConnectError: [Errno 111] Connection refused" in message
    assert "after 2 retries" in message
    assert info.value.status is None


def test_unretryable_transport_error_raises_at_once(make_client: MakeClient) -> None:
    script = Script(httpx.UnsupportedProtocol("bad scheme"))
    with pytest.raises(TransportError):
        make_client(script).request("GET", f"{SUITES}/x")
    assert script.count == 1


# --- bounds ---------------------------------------------------------------------------------------


def test_attempts_are_bounded(make_client: MakeClient, clock: FakeClock) -> None:
    script = Script(503)
    with pytest.raises(ServerError) as info:
        make_client(script, max_retries=2).request("GET", f"{SUITES}/x")
    assert script.count == 3
    assert len(clock.sleeps) == 2
    assert "after 2 retries" in str(info.value)


def test_total_time_is_bounded(make_client: MakeClient, clock: FakeClock) -> None:
    script = Script(500)
    with pytest.raises(ServerError) as info:
        make_client(script, max_retries=50, retry_timeout_seconds=10).request("GET", f"{SUITES}/x")
    assert sum(clock.sleeps) <= 10
    assert 2 < script.count < 51
    assert info.value.retries == script.count - 1


def test_slow_attempts_count_against_the_time_budget(
    make_client: MakeClient, clock: FakeClock
) -> None:
    script = Script(500)

    def slow(request: httpx.Request) -> httpx.Response:
        clock.advance(6.0)  # each attempt itself takes 6 s
        return script(request)

    with pytest.raises(ServerError) as info:
        make_client(slow, max_retries=50, retry_timeout_seconds=10).request("GET", f"{SUITES}/x")
    # Attempt 1 ends at 6 s, retry 1 starts before 7 s and ends after 12 s: no third attempt.
    assert script.count == 2
    assert info.value.elapsed > 10


def test_zero_retries_disables_retrying(make_client: MakeClient, clock: FakeClock) -> None:
    script = Script(503, ok())
    with pytest.raises(ServerError):
        make_client(script, max_retries=0).request("GET", f"{SUITES}/x")
    assert script.count == 1
    assert clock.sleeps == []


# --- secrets --------------------------------------------------------------------------------------


def test_logs_never_contain_keys_or_headers(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    echo = httpx.Response(403, json={"errors": [f"key {API_KEY} / {APP_KEY} is not allowed"]})
    script = Script(
        rate_limited("1"), httpx.ReadTimeout(f"timed out talking with key {API_KEY}"), echo
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ForbiddenError) as info:
        make_client(script).request("GET", f"{SUITES}/x")
    logged = caplog.text
    assert "retrying GET /api/v2/synthetics/suites/x" in logged
    assert "-> 429" in logged
    for secret in (API_KEY, APP_KEY):
        assert secret not in logged
        assert secret not in str(info.value)
        assert secret not in repr(info.value)
    assert "DD-API-KEY" not in logged and "DD-APPLICATION-KEY" not in logged


def test_client_repr_hides_keys_and_refuses_pickling(make_client: MakeClient) -> None:
    client = make_client(Script(ok()))
    assert API_KEY not in repr(client) and APP_KEY not in repr(client)
    with pytest.raises(TypeError, match="must not be pickled"):
        pickle.dumps(client)


def test_wire_models_are_sent_as_their_to_body(make_client: MakeClient) -> None:
    from pulumi_datadog_testing.models import SuiteJsonPatchRequest

    script = Script(ok())
    ops: list[dict[str, Any]] = [
        {"op": "replace", "path": "/message", "value": None},
        {"op": "remove", "path": "/tags/0"},
    ]
    patch = SuiteJsonPatchRequest.of(ops)
    make_client(script).request("PATCH", f"{SUITES}/abc/jsonpatch", body=patch)
    assert json.loads(script.requests[0].content) == patch.to_body()
    ops = json.loads(script.requests[0].content)["data"]["attributes"]["json_patch"]
    assert ops[0] == {"op": "replace", "path": "/message", "value": None}


@pytest.mark.parametrize(
    ("api_url", "verified"),
    [
        ("https://api.datadoghq.com", True),
        ("HTTPS://api.datadoghq.eu", True),
        ("https://proxy.example.com/datadog", True),
        ("http://127.0.0.1:8126", False),
        ("HTTP://localhost:8126", False),
    ],
)
def test_tls_certificates_are_verified_for_every_https_api(api_url: str, verified: bool) -> None:
    """An https API is always verified; a plain-http one (the local emulator) gets no TLS
    context at all: loading the CA bundle cost every provider process 0.1-0.25 s of CPU.
    (httpx keeps the context on its connection pool.)"""
    client = DatadogClient(make_settings(api_url=api_url))
    try:
        context = client._http._transport._pool._ssl_context  # type: ignore[attr-defined]
        assert context.verify_mode == (ssl.CERT_REQUIRED if verified else ssl.CERT_NONE)
        assert context.check_hostname is verified
    finally:
        client.close()
