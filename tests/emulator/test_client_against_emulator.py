"""The same DatadogClient, over real HTTP on loopback, against the local emulator.

Forbidden with wrong keys, a 404 that names the object, a 429 whose ``X-RateLimit-Reset`` is
honoured (the fake clock records the wait instead of sleeping), 5xx retried, and a create
whose response is dropped after the server applied it: detected and adopted, no duplicate.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pulumi_datadog_testing.api import catalog
from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.config import load_settings
from pulumi_datadog_testing.emulator import EmulatorServer
from pulumi_datadog_testing.errors import AmbiguousWriteError, ForbiddenError, NotFoundError
from pulumi_datadog_testing.models import (
    ServiceSettingsIdentity,
    ServiceSettingsResponse,
    ServiceSettingsUpdate,
    ServiceSettingsUpdateRequest,
    SuiteRequest,
    SuitesSearchResponse,
    SyntheticsSuite,
    SyntheticsSuiteResponse,
)
from pulumi_datadog_testing.retry import RetryPolicy
from tests.support.clock import FakeClock

pytestmark = pytest.mark.emulator

SUITES = catalog.CREATE_SUITE.path
SETTINGS = catalog.GET_SERVICE_SETTINGS.path
MakeClient = Callable[..., DatadogClient]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(emulator: EmulatorServer, clock: FakeClock) -> Iterator[MakeClient]:
    """``make_client(**stack_config)``: a client configured the pulumi-datadog way."""
    clients: list[DatadogClient] = []

    def build(**config: str) -> DatadogClient:
        settings = load_settings(
            {
                "datadog:apiUrl": emulator.url,
                "datadog:apiKey": emulator.api_key,
                "datadog:appKey": emulator.app_key,
                "datadog-testing:timeoutSeconds": "10",
                **config,
            },
            env={},
        )
        policy = RetryPolicy(
            max_retries=settings.max_retries,
            timeout=settings.retry_timeout_seconds,
            rng=random.Random(3),
        )
        client = DatadogClient(settings, clock=clock, policy=policy)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


def create_suite(client: DatadogClient, name: str, **kw: Any) -> SyntheticsSuiteResponse:
    body = SuiteRequest.of(SyntheticsSuite(name=name, tags=["team:ci"]))
    return client.request("POST", SUITES, body=body, response_model=SyntheticsSuiteResponse, **kw)


def update_settings(client: DatadogClient) -> ServiceSettingsResponse:
    identity = ServiceSettingsIdentity(repository_id="github.com/acme/shop", service_name="web")
    update = ServiceSettingsUpdate(**identity.model_dump(), early_flake_detection_enabled=True)
    return client.request(
        "PATCH",
        SETTINGS,
        body=ServiceSettingsUpdateRequest.of(update),
        response_model=ServiceSettingsResponse,
        idempotent=True,
    )


def test_round_trip_with_the_right_keys(make_client: MakeClient, emulator: EmulatorServer) -> None:
    client = make_client()
    created = create_suite(client, "checkout")
    public_id = created.data.attributes.public_id
    assert public_id
    fetched = client.request(
        "GET",
        catalog.GET_SUITE.path_for(public_id=public_id),
        response_model=SyntheticsSuiteResponse,
    )
    assert fetched.data.attributes.name == "checkout"
    assert update_settings(client).data.attributes.early_flake_detection_enabled is True
    assert [(c.method, c.status) for c in emulator.calls()] == [
        ("POST", 200),
        ("GET", 200),
        ("PATCH", 200),
    ]


def test_wrong_keys_are_forbidden_with_the_permission_named(
    make_client: MakeClient, emulator: EmulatorServer
) -> None:
    wrong = "0" * 32
    client = make_client(**{"datadog:appKey": wrong})
    with pytest.raises(ForbiddenError) as info:
        update_settings(client)
    message = str(info.value)
    assert message.startswith(f"PATCH {SETTINGS} -> 403 Forbidden")
    assert "`test_optimization_settings_write` permission" in message
    assert emulator.url in message
    for secret in (wrong, emulator.api_key):
        assert secret not in message and secret not in repr(info.value)
    assert len(emulator.calls()) == 1  # a 403 is not retried


def test_missing_suite_is_a_404_naming_it(make_client: MakeClient) -> None:
    with pytest.raises(NotFoundError) as info:
        make_client().request(
            "GET",
            catalog.GET_SUITE.path_for(public_id="zzz-zzz-zzz"),
            response_model=SyntheticsSuiteResponse,
            target='synthetics suite "zzz-zzz-zzz"',
        )
    assert info.value.status == 404
    assert info.value.errors  # the emulator's errors[] text is carried
    assert 'synthetics suite "zzz-zzz-zzz" does not exist' in str(info.value)


def test_429_waits_the_emulators_reset_header(
    make_client: MakeClient, emulator: EmulatorServer, clock: FakeClock
) -> None:
    emulator.set_faults(
        {"kind": "rate_limit", "method": "PATCH", "path": SETTINGS, "reset_seconds": 4, "count": 2}
    )
    assert update_settings(make_client()).data.attributes.early_flake_detection_enabled is True
    assert [c.status for c in emulator.calls()] == [429, 429, 200]
    assert len(clock.sleeps) == 2
    assert all(4.0 <= wait <= 5.0 for wait in clock.sleeps)  # the reset, paced before sending


def test_5xx_on_an_idempotent_call_is_retried(
    make_client: MakeClient, emulator: EmulatorServer
) -> None:
    emulator.set_faults({"kind": "error", "method": "PATCH", "status": 503, "count": 1})
    update_settings(make_client())
    assert [c.status for c in emulator.calls()] == [503, 200]


def test_dropped_create_is_ambiguous_without_recover(
    make_client: MakeClient, emulator: EmulatorServer
) -> None:
    emulator.set_faults({"kind": "drop", "method": "POST", "path": SUITES, "count": 1})
    with pytest.raises(AmbiguousWriteError):
        create_suite(make_client(), "nightly")
    assert [c.method for c in emulator.calls()] == ["POST"]  # not blindly repeated


def test_dropped_create_is_detected_and_adopted(
    make_client: MakeClient, emulator: EmulatorServer
) -> None:
    client = make_client()
    emulator.set_faults({"kind": "drop", "method": "POST", "path": SUITES, "count": 1})

    def find_nightly() -> SyntheticsSuiteResponse | None:
        found = client.request(
            "GET",
            f"{SUITES}/search",
            params={"query": 'name:"nightly"'},
            response_model=SuitesSearchResponse,
        )
        suites = found.data.attributes.suites
        if not suites:
            return None
        return client.request(
            "GET",
            catalog.GET_SUITE.path_for(public_id=str(suites[0].public_id)),
            response_model=SyntheticsSuiteResponse,
        )

    adopted = create_suite(client, "nightly", recover=find_nightly)
    assert adopted.data.attributes.name == "nightly"
    methods = [(c.method, c.path.split("?")[0]) for c in emulator.calls()]
    assert methods.count(("POST", SUITES)) == 1  # one create, no duplicate
    assert ("GET", f"{SUITES}/search") in methods
