"""A local Datadog API: Test Optimization service settings and policies, flaky tests and
Synthetics suites, persisted in SQLite, with fault injection and a call log.

- Start it: ``python -m pulumi_datadog_testing.emulator --port 8711 --api-key K --app-key K``
  (or ``pulumi-datadog-testing emulator ...``); see ``server.py`` for every option.
- From Python/tests: ``EmulatorServer`` runs it as a subprocess on a free loopback port and
  ``EmulatorAdmin`` drives its admin surface (``/_emulator/...``, bodies in
  ``admin_models``).
- In-process ASGI app: ``create_app(EmulatorOptions(...))``.

Serving needs the ``[emulator]`` extra (fastapi, uvicorn); this package's ``__init__``
imports neither, so ``EmulatorServer`` and the admin models are importable without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .harness import EmulatorAdmin, EmulatorError, EmulatorServer

if TYPE_CHECKING:
    from .app import create_app
    from .state import EmulatorOptions

__all__ = ["EmulatorAdmin", "EmulatorError", "EmulatorOptions", "EmulatorServer", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "EmulatorOptions":
        from .state import EmulatorOptions

        return EmulatorOptions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
