"""What every Datadog-path request goes through: key checks, rate-limit headers and real
429s, and the call log (which never holds keys)."""

from __future__ import annotations

import json

import httpx
import pytest

from pulumi_datadog_testing.emulator import EmulatorServer

from .conftest import FLAKY, SETTINGS, SUITES, flaky_search, settings_get, settings_patch

pytestmark = pytest.mark.emulator

RATE_LIMIT_HEADERS = (
    "x-ratelimit-limit",
    "x-ratelimit-period",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-name",
)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"DD-API-KEY": "wrong"},
        {"DD-APPLICATION-KEY": "wrong"},
        {"DD-API-KEY": "", "DD-APPLICATION-KEY": ""},
        "wrong api key",
        "wrong app key",
        "wrong bearer token",
        {"Authorization": "Bearer"},
        "token as basic auth",
    ],
)
def test_missing_or_wrong_keys_are_403(emulator: EmulatorServer, headers: object) -> None:
    good = emulator.headers()
    if headers == "wrong api key":
        headers = {**good, "DD-API-KEY": good["DD-API-KEY"] + "x"}
    elif headers == "wrong app key":
        headers = {**good, "DD-APPLICATION-KEY": good["DD-APPLICATION-KEY"] + "x"}
    elif headers == "wrong bearer token":
        headers = {"Authorization": f"Bearer {emulator.bearer_token}x"}
    elif headers == "token as basic auth":
        headers = {"Authorization": f"Basic {emulator.bearer_token}"}
    assert isinstance(headers, dict)
    for method, path, body in (
        ("PATCH", SETTINGS, settings_patch(code_coverage_enabled=True)),
        ("POST", FLAKY, flaky_search()),
        ("GET", f"{SUITES}/search", None),
    ):
        response = httpx.request(method, emulator.url + path, headers=headers, json=body)
        assert response.status_code == 403
        assert response.json() == {"errors": ["Forbidden"]}
        assert all(h in response.headers for h in RATE_LIMIT_HEADERS)
    # nothing was applied
    api = httpx.Client(base_url=emulator.url, headers=good)
    assert api.post(SETTINGS, json=settings_get()).status_code == 404


def test_the_configured_bearer_token_replaces_the_keys(emulator: EmulatorServer) -> None:
    bearer = {"Authorization": f"Bearer {emulator.bearer_token}"}
    with httpx.Client(base_url=emulator.url, headers=bearer) as api:
        assert api.patch(SETTINGS, json=settings_patch(code_coverage_enabled=True)).is_success
        assert api.post(SETTINGS, json=settings_get()).json()["data"]["attributes"][
            "code_coverage_enabled"
        ]
    assert emulator.bearer_token not in json.dumps([c.model_dump() for c in emulator.calls()])
    assert emulator.bearer_token not in emulator.logs()


@pytest.mark.parametrize(
    ("options", "authorization", "accepted"),
    [
        ({}, "Bearer anything", True),  # open emulator: any non-empty credential
        ({"api_key": "k" * 32}, "Bearer anything", False),  # keys set, no token configured
        ({"bearer_token": "t" * 32}, "Bearer " + "t" * 32, True),
        ({"bearer_token": "t" * 32}, "bearer " + "t" * 32, True),  # scheme is case-insensitive
        ({"bearer_token": "t" * 32}, "Bearer " + "t" * 31, False),
    ],
)
def test_bearer_token_rules(options: dict[str, str], authorization: str, accepted: bool) -> None:
    from pulumi_datadog_testing.emulator.state import EmulatorOptions, EmulatorState

    state = EmulatorState(EmulatorOptions(**options))  # type: ignore[arg-type]  # str fields
    try:
        assert state.authorized(None, None, authorization) is accepted
    finally:
        state.close()


def test_admin_paths_need_no_keys_and_get_no_rate_limit_headers(emulator: EmulatorServer) -> None:
    response = httpx.get(f"{emulator.url}/_emulator/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert not any(h in response.headers for h in RATE_LIMIT_HEADERS)


def test_every_datadog_answer_carries_rate_limit_headers(api: httpx.Client) -> None:
    answers = [
        api.patch(SETTINGS, json=settings_patch(code_coverage_enabled=True)),  # 200
        api.post(SETTINGS, json=settings_get(service_name="nope")),  # 404
        api.post(FLAKY, json=flaky_search(limit=0)),  # 400
        api.get(f"{SUITES}/zzz-zzz-zzz"),  # 404
        api.get("/api/v2/unknown/endpoint"),  # 404 on an unknown route
    ]
    for response in answers:
        for header in RATE_LIMIT_HEADERS:
            assert header in response.headers, (response.request.url, header)
    names = {r.headers["x-ratelimit-name"] for r in answers}
    assert {"test_optimization_settings", "flaky_test_management", "synthetics_suites"} <= names
    for _ in range(3):  # a pair within one window (the window may end between the two)
        first, second = (api.post(FLAKY, json=flaky_search()) for _ in range(2))
        if int(second.headers["x-ratelimit-reset"]) <= int(first.headers["x-ratelimit-reset"]):
            break
    assert (
        int(second.headers["x-ratelimit-remaining"])
        == int(first.headers["x-ratelimit-remaining"]) - 1
    )
    assert 1 <= int(first.headers["x-ratelimit-reset"]) <= int(first.headers["x-ratelimit-period"])


def test_configured_budget_gives_real_429s_per_rate_limit_name(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    emulator.update_config(rate_limit={"limit": 3, "period_seconds": 3600})
    statuses = [api.post(FLAKY, json=flaky_search()).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    limited = api.post(FLAKY, json=flaky_search())
    assert limited.status_code == 429
    assert limited.json() == {"errors": ["Too many requests"]}
    assert limited.headers["x-ratelimit-limit"] == "3"
    assert limited.headers["x-ratelimit-period"] == "3600"
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert limited.headers["x-ratelimit-name"] == "flaky_test_management"
    assert 1 <= int(limited.headers["x-ratelimit-reset"]) <= 3600
    # another endpoint family has its own budget
    assert api.patch(SETTINGS, json=settings_patch(code_coverage_enabled=True)).status_code == 200
    # the limited call was not applied, and is in the call log as a 429
    assert [c.status for c in emulator.calls(path=FLAKY)] == [200, 200, 200, 429]


def test_call_log_records_datadog_calls_without_keys(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    body = settings_patch(code_coverage_enabled=True)
    api.patch(SETTINGS, json=body)
    api.get(f"{SUITES}/search", params={"query": "tag:team:web", "api_key": emulator.api_key})
    httpx.get(f"{emulator.url}/_emulator/health")  # admin calls are not recorded
    calls = emulator.calls()
    assert [(c.method, c.path, c.status) for c in calls] == [
        ("PATCH", SETTINGS, 200),
        ("GET", f"{SUITES}/search", 200),
    ]
    assert calls[0].body == body
    assert calls[0].query == {}
    assert calls[1].query == {"query": "tag:team:web", "api_key": "***"}
    assert calls[1].body is None
    assert calls[0].seq < calls[1].seq and calls[0].time <= calls[1].time
    assert all(c.duration_ms >= 0 and c.fault is None for c in calls)

    recorded = json.dumps([c.model_dump() for c in calls])
    for secret in (emulator.api_key, emulator.app_key):
        assert secret not in recorded
        assert secret not in emulator.logs()

    assert [c.method for c in emulator.calls(method="get")] == ["GET"]
    assert emulator.calls(path=SETTINGS)[0].method == "PATCH"
    assert len(emulator.calls(clear=True)) == 2
    assert emulator.calls() == []
    api.get(f"{SUITES}/search")
    emulator.clear_calls()
    assert emulator.calls() == []


def test_one_log_line_per_request(api: httpx.Client, emulator: EmulatorServer) -> None:
    api.patch(SETTINGS, json=settings_patch(code_coverage_enabled=True))
    api.get(f"{SUITES}/zzz-zzz-zzz")
    lines = emulator.logs().splitlines()
    assert any(f"PATCH {SETTINGS} -> 200" in line and "ms" in line for line in lines)
    assert any(f"GET {SUITES}/zzz-zzz-zzz -> 404" in line for line in lines)


def test_the_command_line_takes_a_bearer_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from pulumi_datadog_testing.emulator.server import BEARER_TOKEN_ENV, build_parser

    assert build_parser().parse_args(["--bearer-token", "t" * 32]).bearer_token == "t" * 32
    monkeypatch.setenv(BEARER_TOKEN_ENV, "from-env-token")
    assert build_parser().parse_args([]).bearer_token == "from-env-token"
