"""The ``pulumi-datadog-testing`` console script: one entry, a subcommand per tool.

    pulumi-datadog-testing emulator [--host H] [--port N] [--api-key K] [--app-key K] [--db PATH] ...
    pulumi-datadog-testing policy-pack [--folder] [--init DIR [--name NAME] [--force]]
    pulumi-datadog-testing generate --repository R [--service S] [--env E] [--suites Q] [--out DIR]

``--help`` lists the subcommands; ``COMMAND --help`` lists a subcommand's options. Each
subcommand lives in its own module under ``commands/`` (see its docstring for the contract).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

__all__ = ["COMMANDS", "main"]

COMMANDS: tuple[str, ...] = ("emulator", "policy_pack", "generate", "repair")
"""Modules under ``pulumi_datadog_testing.commands``, in the order ``--help`` lists them."""


def _load(module: str) -> ModuleType:
    return importlib.import_module(f"{__package__}.commands.{module}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="pulumi-datadog-testing",
        description="Tools of the pulumi-datadog-testing package.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    handlers: dict[str, ModuleType] = {}
    for module_name in COMMANDS:
        module = _load(module_name)
        sub = commands.add_parser(
            module.NAME, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP)
        )
        module.add_arguments(sub)
        handlers[module.NAME] = module
    args = parser.parse_args(argv)
    result: int = handlers[args.command].run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
