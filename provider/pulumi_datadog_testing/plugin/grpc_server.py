"""The gRPC server: the SDK's ``ProviderServicer`` with the errors users read cleaned up.

``pulumi.provider.experimental.server.main`` would do, except that grpc reports an exception
raised by a handler as ``Unexpected <class 'pulumi_datadog_testing.errors.ForbiddenError'>:
...``. This servicer ends a failed call with the error's own one-line message instead (key
names in their ``datadog-testing:`` form); anything that is not one of this package's errors
keeps its type name. The serving loop is the one of ``server.main``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
import grpc.aio
from pulumi.provider.experimental import provider as api
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import provider_pb2_grpc

from ..errors import DatadogError
from .provider_config import native_message

__all__ = ["CleanErrorsServicer", "serve"]

Handler = Callable[[Any, Any, Any], Awaitable[Any]]

_RPCS = ("CheckConfig", "DiffConfig", "Configure", "Check", "Diff", "Create", "Read", "Update",
         "Delete", "GetSchema")  # fmt: skip


def error_message(exc: BaseException) -> str:
    """What the engine prints for a failed call."""
    if isinstance(exc, (DatadogError, ValueError)):
        return native_message(str(exc)) or type(exc).__name__
    return f"{type(exc).__name__}: {native_message(str(exc))}"


def _clean(handler: Handler) -> Handler:
    async def call(self: Any, request: Any, context: Any) -> Any:
        try:
            return await handler(self, request, context)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure becomes the call's status
            await context.abort(grpc.StatusCode.UNKNOWN, error_message(exc))

    call.__name__ = handler.__name__
    return call


class CleanErrorsServicer(ProviderServicer):
    """``ProviderServicer`` whose failed calls carry the error's message only."""


for _name in _RPCS:
    setattr(CleanErrorsServicer, _name, _clean(getattr(ProviderServicer, _name)))


def serve(args: Sequence[str], version: str, provider: api.Provider) -> None:
    """Serve ``provider`` until the engine stops the process (as ``server.main`` does)."""
    parser = argparse.ArgumentParser(description="Pulumi provider plugin (gRPC server)")
    parser.add_argument("engine", help="Pulumi engine address")
    known, _ = parser.parse_known_args(list(args))

    async def run() -> None:
        server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
        servicer = CleanErrorsServicer(list(args), version, provider, engine_address=known.engine)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
        port = server.add_insecure_port(address="127.0.0.1:0")
        await server.start()
        sys.stdout.buffer.write(f"{port}\n".encode())
        sys.stdout.buffer.flush()
        await server.wait_for_termination()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
