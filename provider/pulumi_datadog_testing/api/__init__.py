"""The typed API layer: every Datadog endpoint declared once, called through typed methods.

Layers, from the resources down::

    resources/*            decide what to change (diff, prior values, rollback)
      └── api.DatadogAPI   .test_optimization / .synthetics: one method per endpoint
            └── api.catalog  each endpoint as data: method, path, models, idempotency,
                             lost-answer recovery, permission, pagination, rate-limit group
      └── client.DatadogClient   HTTP: auth, retries, recovery, one-line errors

The emulator's routes and rate-limit groups and the tests' fakes read their paths from
``api.catalog`` too. Importing this package does not load the HTTP stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .operations import SyntheticsAPI, TestOptimizationAPI

if TYPE_CHECKING:
    from ..client import DatadogClient

__all__ = ["DatadogAPI", "SyntheticsAPI", "TestOptimizationAPI"]


class DatadogAPI:
    """Every API area over one client."""

    def __init__(self, client: DatadogClient) -> None:
        self.client = client
        self.test_optimization = TestOptimizationAPI(client)
        self.synthetics = SyntheticsAPI(client)
