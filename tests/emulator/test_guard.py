"""What every request must pass first, over real HTTP: the body limit (413 before auth and
before anything is kept), a bounded call log, loopback-only ``Host``/``Origin``, JSON-only
admin writes, no CORS."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from pulumi_datadog_testing.emulator import EmulatorServer
from pulumi_datadog_testing.emulator.guard import DEFAULT_MAX_BODY_BYTES
from pulumi_datadog_testing.emulator.state import (
    CALL_LOG_BODY_BYTES,
    CALL_LOG_TOTAL_BYTES,
    CallLog,
)

from .conftest import SETTINGS, SUITES, error_text, suite_body

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(180)]

MIB = 1024 * 1024


def test_an_oversized_body_is_a_413_before_auth_and_is_not_kept(
    emulator: EmulatorServer, api: httpx.Client
) -> None:
    huge = suite_body(name="n" * (DEFAULT_MAX_BODY_BYTES + 10))
    response = api.post(SUITES, json=huge)
    assert response.status_code == 413, response.text[:300]
    assert f"limit of {DEFAULT_MAX_BODY_BYTES:,} bytes" in error_text(response)
    # Without keys: still a 413 (the size is checked before authentication).
    anonymous = httpx.post(f"{emulator.url}{SUITES}", json=huge, timeout=60)
    assert anonymous.status_code == 413
    calls = emulator.calls()
    assert [c.status for c in calls] == [413, 413]
    for call in calls:
        assert call.body is None and call.body_truncated
        assert call.body_bytes > DEFAULT_MAX_BODY_BYTES
    assert emulator.health().counts["call_body_bytes"] == 0
    # The connection is still usable, and nothing was created.
    assert api.get(f"{SUITES}/search").json()["data"]["attributes"]["total"] == 0


def test_a_chunked_body_is_cut_off_at_the_limit(api: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(DEFAULT_MAX_BODY_BYTES // MIB + 2):
            yield b"x" * MIB

    response = api.post(SUITES, content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "more than" in error_text(response)


def test_memory_stays_flat_under_oversized_and_unauthenticated_requests(
    emulator: EmulatorServer, api: httpx.Client
) -> None:
    """The call log holds no body of a refused or unauthenticated call, a bounded start of
    the others, and a bounded total."""
    url = f"{emulator.url}{SETTINGS}"
    with httpx.Client(timeout=60) as anonymous:
        for _ in range(20):
            assert (
                anonymous.patch(url, content=b"x" * (DEFAULT_MAX_BODY_BYTES + 1)).status_code == 413
            )
            assert anonymous.patch(url, content=b"y" * (3 * MIB)).status_code == 403
    assert emulator.health().counts == {**emulator.health().counts, "call_body_bytes": 0}
    for _ in range(3):  # authenticated, under the limit, not JSON: 400, start of body kept
        assert api.patch(SETTINGS, content=b"z" * (3 * MIB)).status_code == 400
    counts = emulator.health().counts
    assert counts["calls"] == 43
    assert counts["call_body_bytes"] == 3 * CALL_LOG_BODY_BYTES
    kept = emulator.calls(method="PATCH")[-1]
    assert kept.body_truncated and kept.body_bytes == 3 * MIB
    assert isinstance(kept.body, str) and len(kept.body) == CALL_LOG_BODY_BYTES


def test_the_call_log_bounds_count_and_total_bytes() -> None:
    log = CallLog(5, body_limit=100, total_bytes=250)
    for i in range(12):
        log.record(time=0.0, method="PATCH", path="/api/x", query_string="", body=b"b" * 1000,
                   status=200, fault=None, duration_ms=0.0)  # fmt: skip
        assert log.retained_bytes <= 250 and len(log) <= 5
    calls = log.list()
    assert [c.seq for c in calls] == [11, 12]  # two 100-byte bodies fit in 250 bytes
    assert all(c.body_bytes == 1000 and c.body_truncated for c in calls)
    assert CALL_LOG_BODY_BYTES * 4 <= CALL_LOG_TOTAL_BYTES  # several full bodies fit
    log.clear()
    assert log.retained_bytes == 0


@pytest.mark.parametrize("path", ["/_emulator/faults", SETTINGS])
def test_a_foreign_host_is_refused(emulator: EmulatorServer, path: str) -> None:
    body = {"faults": [{"kind": "error", "status": 500, "count": None}]}
    response = httpx.post(
        f"{emulator.url}{path}", json=body, headers={**emulator.headers(), "Host": "evil.example"}
    )
    assert response.status_code == 403
    assert "not a loopback name" in error_text(response)
    assert emulator.faults() == []


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "127.1.2.3", "[::1]", "app.localhost"])
def test_loopback_hosts_are_answered(emulator: EmulatorServer, host: str) -> None:
    response = httpx.get(f"{emulator.url}/_emulator/health", headers={"Host": f"{host}:1"})
    assert response.status_code == 200, response.text


def test_a_cross_origin_origin_is_refused(emulator: EmulatorServer) -> None:
    response = httpx.post(
        f"{emulator.url}/_emulator/reset",
        headers={"Origin": "http://evil.example", "Content-Type": "application/json"},
    )
    assert response.status_code == 403
    assert "cross-origin" in error_text(response)
    local = httpx.get(
        f"{emulator.url}/_emulator/health", headers={"Origin": "http://localhost:3000"}
    )
    assert local.status_code == 200


def test_admin_writes_need_json(emulator: EmulatorServer, api: httpx.Client) -> None:
    api.patch(SETTINGS, json={})  # one call in the log, to see that reset did not run
    simple = httpx.post(  # what a cross-site form / fetch without preflight can send
        f"{emulator.url}/_emulator/faults",
        content=b'{"faults": [{"kind": "drop", "count": null}]}',
        headers={"Content-Type": "text/plain"},
    )
    assert simple.status_code == 415
    assert "Content-Type: application/json" in error_text(simple)
    assert httpx.post(f"{emulator.url}/_emulator/reset").status_code == 415
    assert emulator.faults() == [] and len(emulator.calls()) == 1
    json_reset = httpx.post(
        f"{emulator.url}/_emulator/reset", headers={"Content-Type": "application/json"}
    )
    assert json_reset.status_code == 204
    assert emulator.calls() == []


def test_no_cors(emulator: EmulatorServer) -> None:
    preflight = httpx.options(
        f"{emulator.url}/_emulator/faults",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code >= 400
    answers = [preflight, httpx.get(f"{emulator.url}/_emulator/health")]
    for response in answers:
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]
