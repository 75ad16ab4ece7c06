"""``pulumi-datadog-testing generate``: write a Pulumi program that adopts what an org has.

Reads (never writes) the service settings, flaky-test policies, non-active flaky tests and
Synthetics suites of the given repositories, and emits a program whose ``pulumi up`` changes
nothing in Datadog (see ``pulumi_datadog_testing.generate``). Credentials and API URL come
from the environment exactly as the provider reads them (``DD_API_KEY``/``DD_APP_KEY`` or
``DD_BEARER_TOKEN``; ``DD_HOST`` or ``DD_SITE``; see ``config.py``). Progress and the
summary go to stderr; without ``--out`` the program goes to stdout.
"""

from __future__ import annotations

import argparse
import ast
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import Settings
    from ..generate import OrgSnapshot

NAME = "generate"
HELP = "write a Pulumi program that adopts an org's existing settings, flaky tests and suites"
DESCRIPTION = (
    "Read (never write) the Test Optimization service settings, flaky-test policies, "
    "non-active flaky tests and Synthetics suites of the given repositories and write a "
    "Pulumi program whose `pulumi up` adopts them without changing anything in Datadog. "
    "Credentials and API URL come from DD_API_KEY / DD_APP_KEY (or DD_BEARER_TOKEN) and "
    "DD_HOST or DD_SITE, as the provider reads them."
)
PROGRAM = "__main__.py"
PROJECT_FILE = "Pulumi.yaml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--repository",
        action="append",
        required=True,
        metavar="R",
        help="repository id as CI reports it, e.g. github.com/acme/shop (repeatable)",
    )
    parser.add_argument(
        "--service",
        action="append",
        default=[],
        metavar="S",
        help="service whose settings to read (repeatable; default: every service the "
        "repository's flaky tests report)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="E",
        help="environment whose settings to read (repeatable; default: every env the "
        "repository's flaky tests report, plus the default env `none`)",
    )
    suites = parser.add_mutually_exclusive_group()
    suites.add_argument(
        "--suites",
        metavar="QUERY",
        help="which Synthetics suites to adopt: a suites search query, e.g. 'tag:team:shop' "
        "(default: every suite the search returns)",
    )
    suites.add_argument("--no-suites", action="store_true", help="do not adopt any suite")
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help=f"write DIR/{PROGRAM} (and DIR/{PROJECT_FILE} if absent) instead of printing "
        "the program",
    )
    parser.add_argument("--force", action="store_true", help=f"overwrite an existing DIR/{PROGRAM}")


def run(args: argparse.Namespace) -> int:
    from ..errors import DatadogConfigError, DatadogError

    repositories = [r.strip() for r in args.repository]
    blank = [name for name in ("repository", "service", "env") if "" in _stripped(args, name)]
    if blank:
        return _fail(f"--{blank[0]} must not be empty", status=2)
    if args.suites is not None and not args.suites.strip():
        return _fail("--suites needs a query; use --no-suites to adopt no suite", status=2)
    target = args.out / PROGRAM if args.out is not None else None
    if target is not None and target.exists() and not args.force:
        return _fail(f"{target} exists; pass --force to overwrite it", status=1)
    try:
        from ..config import load_settings

        settings = load_settings(None)
    except DatadogConfigError as exc:
        return _fail(f"{exc} (generate reads the environment, like the provider)", status=2)
    try:
        snapshot = _read(settings, repositories, args)
    except DatadogError as exc:
        return _fail(str(exc), status=1)
    return _write(snapshot, args, target)


def _stripped(args: argparse.Namespace, name: str) -> list[str]:
    return [value.strip() for value in getattr(args, name)]


def _read(settings: Settings, repositories: Sequence[str], args: argparse.Namespace) -> OrgSnapshot:
    from ..client import DatadogClient
    from ..generate import read_org

    _say(f"reading from {settings.api_url} (read-only)")
    with DatadogClient(settings) as client:
        return read_org(
            client,
            repositories,
            services=_stripped(args, "service"),
            envs=_stripped(args, "env"),
            suites_query=args.suites.strip() if args.suites else None,
            read_suites=not args.no_suites,
            progress=_say,
        )


def _write(snapshot: OrgSnapshot, args: argparse.Namespace, target: Path | None) -> int:
    from ..generate import format_source, render_program

    command = "pulumi-datadog-testing generate " + shlex.join(_replayable(args))
    source = render_program(snapshot, command=command)
    ast.parse(source)  # the renderer's contract: always valid Python
    source, not_formatted = format_source(source)
    if not_formatted:
        _say(f"note: the program is valid but not formatted: {not_formatted}")
    if target is None:
        sys.stdout.write(source)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        partial.write_text(source, encoding="utf-8")
        partial.replace(target)  # never a half-written program
        project = target.parent / PROJECT_FILE
        if not project.exists():
            project.write_text(_project_yaml(target.parent), encoding="utf-8")
            _say(f"wrote {project}")
        _say(f"wrote {target}")
    _say(_summary(snapshot))
    return 0


def _replayable(args: argparse.Namespace) -> list[str]:
    """The options that decide the program's content (not where it is written)."""
    words: list[str] = []
    for flag, values in (("--repository", args.repository), ("--service", args.service),
                         ("--env", args.env)):  # fmt: skip
        for value in values:
            words += [flag, value.strip()]
    if args.no_suites:
        words.append("--no-suites")
    elif args.suites:
        words += ["--suites", args.suites.strip()]
    return words


def _project_yaml(directory: Path) -> str:
    from ..generate import slug

    name = slug(directory.resolve().name, fallback="datadog-testing")
    return (
        f"name: {name}\n"
        "description: Datadog CI-quality settings adopted with `pulumi-datadog-testing generate`.\n"
        "runtime: python\n"
    )


def _summary(snapshot: OrgSnapshot) -> str:
    lines = ["summary:"]
    for repo in snapshot.repositories:
        states = {s: sum(1 for t in repo.tests if t.state == s) for s in ("quarantined",
                                                                           "disabled", "fixed")}  # fmt: skip
        tests = ", ".join(f"{n} {s}" for s, n in states.items() if n) or "none"
        lines.append(
            f"  {repo.repository_id}: {len(repo.settings)} ServiceSettings, "
            f"{1 if repo.policies else 0} FlakyTestPolicies, "
            f"{sum(1 for n in states.values() if n)} FlakyTestStates "
            f"({len(repo.tests)} of {repo.tests_read} flaky tests not active: {tests})"
        )
        if repo.inherited_only:
            lines.append(
                f"    left out (settings exist but override nothing): "
                f"{', '.join(repo.inherited_only)}"
            )
    if snapshot.suites is None:
        lines.append("  suites: not read (--no-suites)")
    else:
        lines.append(f"  {len(snapshot.suites)} SyntheticsSuite (adopted by public_id)")
    lines.append("next: `pulumi up` adopts them without changing Datadog; see the README section "
                 '"Adopt what you already have"')  # fmt: skip
    return "\n".join(lines)


def _say(line: str) -> None:
    print(f"generate: {line}", file=sys.stderr, flush=True)


def _fail(message: str, *, status: int) -> int:
    print(f"pulumi-datadog-testing generate: error: {message}", file=sys.stderr)
    return status
