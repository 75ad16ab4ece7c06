"""``pulumi-datadog-testing emulator``: run the local Datadog API emulator."""

from __future__ import annotations

import argparse
import sys

NAME = "emulator"
HELP = "run the local Datadog API emulator"
DESCRIPTION = (
    "A local Datadog API (Test Optimization settings, flaky tests, Synthetics suites) with an "
    "admin surface under /_emulator/."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..emulator.server import add_arguments as emulator_arguments

    emulator_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        print(
            "pulumi-datadog-testing emulator needs the emulator extra: "
            "pip install 'pulumi-datadog-testing[emulator]'",
            file=sys.stderr,
        )
        return 2
    from ..emulator.server import run as run_emulator

    return run_emulator(args)
