"""The ``pulumi-datadog-testing`` console script.

    pulumi-datadog-testing emulator [--host H] [--port N] [--api-key K] [--app-key K] [--db PATH] ...

runs the local Datadog API emulator (needs the ``[emulator]`` extra); ``--help`` on a
subcommand lists its options.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pulumi-datadog-testing",
        description="Tools of the pulumi-datadog-testing package.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    emulator = commands.add_parser(
        "emulator",
        help="run the local Datadog API emulator",
        description="A local Datadog API (Test Optimization settings, flaky tests, Synthetics "
        "suites) with an admin surface under /_emulator/.",
    )
    from .emulator.server import add_arguments, run

    add_arguments(emulator)
    args = parser.parse_args(argv)
    if args.command == "emulator":
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
        return run(args)
    parser.error(f"unknown command {args.command}")  # pragma: no cover - argparse rejects it
    return 2


if __name__ == "__main__":
    sys.exit(main())
