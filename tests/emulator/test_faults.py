"""Fault injection over real HTTP: latency, 429 bursts, 5xx (rate or next N), dropped
connections after the change was applied, hangs past the client timeout, scoping by method
and path regex, bounded counts, and the admin endpoints that manage faults."""

from __future__ import annotations

import httpx
import pytest

from pulumi_datadog_testing.emulator import EmulatorError, EmulatorServer

from .conftest import (
    FLAKY,
    SETTINGS,
    SUITES,
    flaky_search,
    settings_get,
    settings_patch,
    suite_body,
)

pytestmark = pytest.mark.emulator


def coverage(api: httpx.Client) -> object:
    response = api.post(SETTINGS, json=settings_get())
    if response.status_code == 404:
        return None
    return response.json()["data"]["attributes"]["code_coverage_enabled"]


def test_fixed_and_random_latency(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.set_faults(
        {"kind": "latency", "latency_ms": 150, "count": 1},
        {
            "kind": "latency",
            "latency_ms": 50,
            "latency_jitter_ms": 100,
            "method": "GET",
            "count": 1,
        },
    )
    assert api.post(FLAKY, json=flaky_search()).status_code == 200
    assert api.get(f"{SUITES}/search").status_code == 200
    assert api.get(f"{SUITES}/search").status_code == 200
    first, second, third = emulator.calls()
    # The drawn delay is recorded exactly; wall-clock durations are only measurements (timer
    # granularity lets a 150 ms sleep end at 149.9 ms), so they are not asserted on.
    assert first.fault == "latency" and first.injected_latency_ms == 150
    assert second.fault == "latency" and 50 <= second.injected_latency_ms <= 150
    assert third.fault is None and third.injected_latency_ms == 0
    assert emulator.faults() == []


def test_429_burst_with_reset_header_is_not_applied(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    emulator.set_faults(
        {"kind": "rate_limit", "method": "PATCH", "path": SETTINGS, "count": 3, "reset_seconds": 7}
    )
    body = settings_patch(code_coverage_enabled=True)
    burst = [api.patch(SETTINGS, json=body) for _ in range(3)]
    for response in burst:
        assert response.status_code == 429
        assert response.headers["x-ratelimit-reset"] == "7"
        assert response.headers["x-ratelimit-remaining"] == "0"
        assert response.json()["errors"]
    assert coverage(api) is None
    assert api.patch(SETTINGS, json=body).status_code == 200
    assert coverage(api) is True


def test_5xx_for_the_next_n_calls(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.set_faults({"kind": "error", "status": 503, "count": 2, "message": "try later"})
    statuses = [api.get(f"{SUITES}/search").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert [c.fault for c in emulator.calls()] == ["error", "error", None]


def test_5xx_at_a_rate_is_reproducible_with_a_seed(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    outcomes = []
    for _ in range(2):
        emulator.set_faults({"kind": "error", "rate": 0.5, "count": None}, seed=42)
        outcomes.append([api.get(f"{SUITES}/search").status_code for _ in range(30)])
    assert outcomes[0] == outcomes[1]
    assert set(outcomes[0]) == {200, 500}
    assert emulator.faults()[0].fired == outcomes[1].count(500)
    emulator.clear_faults()
    assert emulator.faults() == []
    assert api.get(f"{SUITES}/search").status_code == 200


def test_error_after_apply(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.set_faults({"kind": "error", "status": 502, "apply": True, "method": "PATCH"})
    response = api.patch(SETTINGS, json=settings_patch(code_coverage_enabled=True))
    assert response.status_code == 502
    assert coverage(api) is True


def test_drop_after_apply_is_a_transport_error(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.set_faults({"kind": "drop", "method": "PATCH", "path": SETTINGS})
    with pytest.raises(httpx.TransportError):
        api.patch(SETTINGS, json=settings_patch(code_coverage_enabled=True))
    assert coverage(api) is True  # applied before the connection was dropped
    (dropped, read) = emulator.calls()
    assert dropped.status is None and dropped.fault == "drop"
    assert read.status == 200


def test_drop_without_apply(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.set_faults({"kind": "drop", "apply": False, "method": "PATCH"})
    with pytest.raises(httpx.TransportError):
        api.patch(SETTINGS, json=settings_patch(code_coverage_enabled=True))
    assert coverage(api) is None


def test_hang_past_the_client_timeout_after_apply(emulator: EmulatorServer) -> None:
    emulator.set_faults({"kind": "hang", "method": "POST", "path": SUITES, "hang_seconds": 20})
    short = httpx.Client(base_url=emulator.url, headers=emulator.headers(), timeout=0.5)
    with short, pytest.raises(httpx.ReadTimeout):
        short.post(SUITES, json=suite_body(name="hung"))
    with httpx.Client(base_url=emulator.url, headers=emulator.headers(), timeout=30) as api:
        found = api.get(f"{SUITES}/search", params={"query": "hung"}).json()["data"]["attributes"]
    assert found["total"] == 1  # the suite was created although no answer came


def test_scoping_by_method_and_path_regex(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.set_faults(
        {"kind": "error", "status": 500, "method": "GET", "path": f"{SUITES}/[^/]+", "count": 10}
    )
    assert api.get(f"{SUITES}/zzz-zzz-zzz").status_code == 500
    assert api.get(f"{SUITES}/search").status_code == 500  # also matches [^/]+
    assert api.post(SUITES + "/bulk-delete", json={}).status_code == 400  # POST: not matched
    assert api.post(FLAKY, json=flaky_search()).status_code == 200  # other path
    emulator.set_faults({"kind": "error", "path": SUITES, "count": 10})  # full match only
    assert api.get(f"{SUITES}/search").status_code == 200
    (fault,) = emulator.faults()
    assert fault.fired == 0 and fault.remaining == 10


def test_faults_admin_endpoints(emulator: EmulatorServer) -> None:
    installed = emulator.set_faults(
        {"kind": "error", "count": 2}, {"kind": "latency", "latency_ms": 10, "count": None}
    )
    assert [(f.kind, f.remaining) for f in installed] == [("error", 2), ("latency", None)]
    added = emulator.set_faults({"kind": "drop", "method": "delete"}, replace=False)
    assert [f.kind for f in added] == ["error", "latency", "drop"]
    assert added[2].method == "DELETE"
    assert len({f.id for f in added}) == 3
    emulator.clear_faults()
    assert emulator.faults() == []


@pytest.mark.parametrize(
    ("fault", "fragment"),
    [
        ({"kind": "explode"}, "kind"),
        ({"kind": "latency"}, "latency_ms"),
        ({"kind": "error", "path": "(unclosed"}, "not a valid regular expression"),
        ({"kind": "error", "rate": 1.5}, "rate"),
        ({"kind": "error", "test_ids": ["x"]}, "test_ids only applies"),
        ({"kind": "error", "status": 200}, "status"),
    ],
)
def test_invalid_fault_is_rejected_with_the_field(
    emulator: EmulatorServer, fault: dict[str, object], fragment: str
) -> None:
    response = httpx.post(f"{emulator.url}/_emulator/faults", json={"faults": [fault]})
    assert response.status_code == 400
    assert fragment in response.text
    with pytest.raises((EmulatorError, ValueError)):
        emulator.set_faults(fault)
    assert emulator.faults() == []
