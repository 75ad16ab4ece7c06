"""Fixtures for unit tests of the Datadog client layer: no network, no real sleeps."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.config import Settings
from pulumi_datadog_testing.resources._base import reset_process, use_client
from pulumi_datadog_testing.retry import RetryPolicy
from tests.support.clock import FakeClock

# Shaped like real keys (32 and 40 hex characters) so redaction is tested on realistic values.
API_KEY = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
APP_KEY = "f0e1d2c3b4a5968778695a4b3c2d1e0f01234567"

DATADOG_ENV_VARS = (
    "DD_API_KEY",
    "DATADOG_API_KEY",
    "DD_APP_KEY",
    "DATADOG_APP_KEY",
    "DD_HOST",
    "DATADOG_HOST",
    "DD_SITE",
    "DD_BEARER_TOKEN",
)

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def event_loop_of_its_own() -> Iterator[asyncio.AbstractEventLoop]:
    """A new event loop set as the thread's current one: ``pulumi.runtime.test`` and the
    SDK's mocks use the current loop, and an ``asyncio.run`` in an earlier test (in any
    module) leaves the main thread with none — the test would then fail for its order."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture(autouse=True)
def clean_datadog_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start with no Datadog variables from the machine running them."""
    for name in DATADOG_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def fresh_process() -> Iterator[None]:
    """Each test starts and ends with no process-level settings or client."""
    reset_process()
    yield
    reset_process()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "api_key": API_KEY,
        "app_key": APP_KEY,
        "api_url": "https://api.datadoghq.eu",
        "max_retries": 3,
        "retry_timeout_seconds": 60.0,
        "timeout_seconds": 5.0,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_client(clock: FakeClock) -> Iterator[Callable[..., DatadogClient]]:
    """``make_client(handler, **settings_overrides)``: a client over ``httpx.MockTransport``."""
    clients: list[DatadogClient] = []

    def build(handler: Handler, **overrides: Any) -> DatadogClient:
        settings = make_settings(**overrides)
        policy = RetryPolicy(
            max_retries=settings.max_retries,
            timeout=settings.retry_timeout_seconds,
            rng=random.Random(7),
        )
        client = DatadogClient(
            settings, transport=httpx.MockTransport(handler), clock=clock, policy=policy
        )
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def serve(make_client: Callable[..., DatadogClient]) -> Callable[..., DatadogClient]:
    """``serve(handler, **settings_overrides)``: every provider in this process calls the
    API through a client answered by ``handler`` — the one way unit tests put a fake HTTP
    layer under the resources (``_base.use_client``)."""

    def build(handler: Handler, **overrides: Any) -> DatadogClient:
        client = make_client(handler, **overrides)
        use_client(client)
        return client

    return build
