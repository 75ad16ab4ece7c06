"""``python benchmarks/run.py``: run the benchmark matrix and write the results.

For each N in ``--sizes`` and each repeat, the mixed stack runs in every configuration
(ours, floor, floor+latency, the hand-written script sequential and with 4 threads — their
order alternates between repeats so drift in the machine's speed hits all of them alike),
then the bulk scenario at each size of ``--bulk``. Results go to
``benchmarks/results/<date>.json`` and ``.md`` (and ``.png`` with matplotlib).
Everything is bounded: each pulumi command by ``--command-timeout``, the whole run by
``--budget-minutes`` (no new run starts after it; what ran is reported).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .engine import BENCH_ROOT, REPO_ROOT, engine_bin, pulumi_version
from .report import markdown, plot, summarize
from .scenarios import CONFIGS, Config, RunResult, run_bulk, run_mixed
from .shape import Kind, kinds_of

__all__ = ["main", "parse_args"]

RESULTS = BENCH_ROOT / "results"


def _sizes(text: str) -> list[int]:
    sizes = [int(part) for part in text.split(",") if part.strip()]
    if not sizes or any(n < 1 or n > 2000 for n in sizes):
        raise argparse.ArgumentTypeError(f"expected sizes between 1 and 2000, got {text!r}")
    return sizes


def _bulk_sizes(text: str) -> list[int]:
    sizes = [int(part) for part in text.split(",") if part.strip()]
    if any(n < 0 or n > 100_000 for n in sizes):
        raise argparse.ArgumentTypeError(f"expected test counts 0..100000, got {text!r}")
    return [n for n in sizes if n]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/run.py",
        description="API calls and wall time of the real CLI against the emulator, "
        "side by side with the engine floor (a no-op dynamic provider).",
    )
    parser.add_argument(
        "--sizes", type=_sizes, default=[50, 100, 500], help="N values (default 50,100,500)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        choices=range(1, 21),
        metavar="1..20",
        help="runs per configuration and size (default 3)",
    )
    parser.add_argument(
        "--latency-ms", type=int, default=50, help="emulator latency per request (default 50)"
    )
    parser.add_argument(
        "--bulk",
        type=_bulk_sizes,
        default=[500, 5000, 20000],
        help="flaky tests in the bulk scenario, comma-separated (0: skip; default 500,5000,20000)",
    )
    parser.add_argument(
        "--mix",
        "--kinds",
        dest="kinds",
        type=kinds_of,
        default=kinds_of(None),
        help="the stack's kinds: 'side-by-side' (default: 1 suite, then half ServiceSettings, "
        "half FlakyTestState), 'all' (the five kinds in turn) or Kind[=count],...",
    )
    parser.add_argument(
        "--touch",
        type=Kind,
        default=Kind.SYNTHETICS_SUITE,
        help="kind whose first resource the one-field up changes (default SyntheticsSuite)",
    )
    parser.add_argument(
        "--configs",
        default=",".join(CONFIGS),
        help="configurations to run (default ours,floor,floor+latency,hand,hand4)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: N=10, 1 repeat, ours+floor+hand4, bulk 100",
    )
    parser.add_argument(
        "--command-timeout", type=float, default=900.0, help="seconds per pulumi command"
    )
    parser.add_argument(
        "--budget-minutes", type=float, default=120.0, help="no new run starts after this"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    parser.add_argument("--tag", default="", help="suffix of the result file names")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat, args.configs = [10], 1, "ours,floor,hand4"
        args.bulk = [100] if args.bulk else []
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown or "ours" not in configs:
        parser.error(
            f"--configs: expected 'ours' plus any of {', '.join(CONFIGS)}, got {args.configs!r}"
        )
    if args.touch not in args.kinds:
        parser.error(f"--touch {args.touch}: not in --mix {args.kinds}")
    args.configs = configs
    return args


def _machine(bin_dir: Path) -> dict[str, Any]:
    def sh(*command: str) -> str:
        try:
            return subprocess.run(
                command, capture_output=True, text=True, timeout=30, check=False
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    return {
        "nproc": os.cpu_count(),
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        ),
        "memory": sh("free", "-h"),
        "python": platform.python_version(),
        "pulumi": pulumi_version(bin_dir),
        "platform": platform.platform(),
        "git_commit": sh("git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"),
        "uptime": sh("uptime"),
    }


def _plan(args: argparse.Namespace) -> list[tuple[str, Config, int, int]]:
    """(scenario, config, N, repeat) in run order; configurations rotate per repeat."""
    plan: list[tuple[str, Config, int, int]] = []
    for repeat in range(args.repeat):
        order = (
            args.configs[repeat % len(args.configs) :] + args.configs[: repeat % len(args.configs)]
        )
        for n in args.sizes:
            plan += [("mixed", config, n, repeat) for config in order]
        for tests in args.bulk:
            plan += [
                ("bulk", config, tests, repeat) for config in order if config != "floor+latency"
            ]
    return plan


def _runner(
    args: argparse.Namespace, emulator: Any, bin_dir: Path, scratch: Path
) -> Callable[..., RunResult]:
    def run(scenario: str, config: Config, n: int, repeat: int) -> RunResult:
        common = {
            "emulator": emulator,
            "latency_ms": args.latency_ms,
            "bin_dir": bin_dir,
            "scratch": scratch,
        }
        if scenario == "bulk":
            return run_bulk(config, n, repeat, **common)
        return run_mixed(config, n, repeat, kinds=args.kinds, touch=args.touch, **common)

    return run


def _interruptible_children() -> None:
    """Give the commands the default SIGINT disposition when this process ignores it. A shell
    starts a background job with SIGINT ignored, and children inherit that: the engine stops
    each plugin with SIGINT and kills it 5 s later, so every command that runs the program
    (its "language runtime metadata" step starts and stops a language host) took 5 s longer
    when the benchmark ran in the background (2026-12-01, floor and ours alike). A Python
    handler is not inherited across exec, so the children get the default back."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    _interruptible_children()
    from pulumi_datadog_testing.emulator import EmulatorServer

    bin_dir = engine_bin()
    started = dt.datetime.now().astimezone()
    machine = _machine(bin_dir)
    print(
        f"machine: {machine['nproc']} cpus, python {machine['python']}, pulumi {machine['pulumi']}"
    )
    print(f"load: {machine['uptime']}")
    deadline = time.monotonic() + args.budget_minutes * 60
    runs: list[RunResult] = []
    plan = _plan(args)
    with tempfile.TemporaryDirectory(prefix="pdt-bench-") as scratch, EmulatorServer() as emulator:
        run = _runner(args, emulator, bin_dir, Path(scratch))
        for index, (scenario, config, n, repeat) in enumerate(plan, 1):
            if time.monotonic() > deadline:
                print(
                    f"budget of {args.budget_minutes} min used up: {len(plan) - index + 1} runs skipped"
                )
                break
            result = run(scenario, config, n, repeat)
            runs.append(result)
            phases = ", ".join(
                f"{p.phase} {p.wall_s:.1f}s"
                + (f"/{p.calls}c" if p.calls is not None else "")
                + ("" if p.ok else " FAILED")
                for p in result.phases
            )
            print(
                f"[{index}/{len(plan)}] {scenario} N={n} {config} #{repeat + 1}: {phases}",
                flush=True,
            )
    rows = summarize(runs, args.kinds, args.latency_ms)
    table = markdown(rows, args.latency_ms)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = started.strftime("%Y-%m-%d") + (f"-{args.tag}" if args.tag else "")
    settings = {k: v for k, v in vars(args).items() if k not in ("out",)}
    settings["kinds"] = str(args.kinds)
    payload = {
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine,
        "load_end": os.getloadavg(),
        "settings": {k: str(v) if isinstance(v, (Path, Kind)) else v for k, v in settings.items()},
        "rows": [row.to_json() for row in rows],
        "runs": [r.to_json() for r in runs],
    }
    (args.out / f"{stem}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    header = (
        f"# Benchmark {started:%Y-%m-%d %H:%M %Z}\n\n"
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), python {machine['python']}, "
        f"pulumi {machine['pulumi']}, commit {machine['git_commit']}. "
        f"Load before: `{machine['uptime']}`; after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}. "
        f"Repeats {args.repeat}; command: `{' '.join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])])}`.\n\n"
    )
    (args.out / f"{stem}.md").write_text(header + table)
    plotted = plot(rows, args.out / f"{stem}.png", args.latency_ms)
    print()
    print(table)
    print(
        f"results: {args.out / stem}.json, .md"
        + (", .png" if plotted else " (no plot: pip install -e '.[bench]')")
    )
    return 0 if all(r.ok for r in runs) else 1
