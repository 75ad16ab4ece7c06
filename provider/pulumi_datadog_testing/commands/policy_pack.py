"""``pulumi-datadog-testing policy-pack``: the ready pack's path, or a starter pack of your own.

pulumi preview --policy-pack "$(pulumi-datadog-testing policy-pack)"
pulumi-datadog-testing policy-pack --init guardrails/   # a pack to tune in your repository
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

NAME = "policy-pack"
HELP = "print the ready policy pack's path for --policy-pack, or --init a pack of your own"
DESCRIPTION = (
    "Without options: write the ready pack (datadog-testing-guardrails, every policy of "
    "pulumi_datadog_testing.policy) into the user cache if needed and print the path to pass "
    "to `pulumi preview/up --policy-pack`: its launcher, which runs the pack with this Python. "
    "With --init DIR: write a starter pack composing the library into DIR."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--folder",
        action="store_true",
        help=(
            "print the pack's folder instead of its launcher (for an official Pulumi install "
            "whose Python language host starts folder packs, e.g. on Windows)"
        ),
    )
    parser.add_argument(
        "--init",
        metavar="DIR",
        type=Path,
        help="write a starter pack (PulumiPolicy.yaml, __main__.py, run, example config) to DIR",
    )
    parser.add_argument("--name", help="the starter pack's name (default: from DIR's name)")
    parser.add_argument(
        "--force", action="store_true", help="with --init: overwrite the starter pack's files"
    )


def run(args: argparse.Namespace) -> int:
    from ..policy.pack import LAUNCHER, PackFolderError, materialise_ready_pack, write_starter_pack

    if args.init is None and (args.name or args.force):
        print("policy-pack: --name and --force only apply with --init DIR", file=sys.stderr)
        return 2
    try:
        if args.init is None:
            folder = materialise_ready_pack()
            print(folder if args.folder else folder / LAUNCHER)
            return 0
        written = write_starter_pack(args.init, args.name, args.force)
    except PackFolderError as exc:
        print(f"policy-pack: {exc}", file=sys.stderr)
        return 1
    # absolute: the engine starts an executable pack from the program's directory
    launcher = next(path for path in written if path.name == LAUNCHER).resolve()
    print(f"wrote a starter pack to {args.init}: {', '.join(path.name for path in written)}")
    # quoted, so the line can be pasted into a shell even when the path has spaces
    print(f"run it: pulumi preview --policy-pack {shlex.quote(str(launcher))}")
    return 0
