"""``pulumi-resource-datadog-testing``: the package's resources as a native Pulumi provider.

The dynamic resources (``pulumi_datadog_testing.ServiceSettings`` ...) need nothing but this
Python package, but only serve Python programs, cannot be imported with ``pulumi import``,
and show no per-property diff. This plugin serves the same five
resources as ``datadog-testing:index:<Resource>`` to programs in any language, over the same
resource logic (see ``provider``). The engine starts it from ``PATH`` (a console script of
this package), like any ``pulumi-resource-<name>`` plugin.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """Serve the provider over gRPC (the engine passes its address as the argument)."""
    # Imported here: `pulumi-resource-datadog-testing --help` stays fast.
    from .. import __version__
    from ..engine_watch import exit_when_engine_exits
    from .grpc_server import serve
    from .provider import DatadogTestingProvider

    exit_when_engine_exits()  # no write outlives a killed engine (see engine_watch)

    serve(sys.argv[1:], __version__, DatadogTestingProvider())
