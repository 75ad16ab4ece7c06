"""The demo behind ``scripts/quickstart`` (README command a).

Starts the local Datadog API emulator with seeded data, runs the real ``pulumi up --yes`` of
the root project (``examples/quickstart``) with the policy pack, then ``pulumi preview --diff
--expect-no-changes``, prints a short summary from the stack and the emulator's call log, and
stops the emulator. Everything lives in ``.demo/`` (state, PULUMI_HOME, emulator database),
recreated on each run so the demo always starts from the same place.

Run it through ``scripts/quickstart`` (which sets up the venv and the engine first).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from pulumi_datadog_testing.emulator import EmulatorServer

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / ".demo"
STACK = "quickstart"
REPOSITORY = "github.com/acme/shop"
PASSPHRASE = "quickstart"  # Pulumi.quickstart.yaml's salt is for this passphrase (demo only)
POLICY_PACK = ROOT / "policy-pack" / "run"

# The services and environments the demo's CI runs (and the program configures): the seeded
# flaky tests report them, as Datadog would, so `pulumi-datadog-testing generate` finds them.
SERVICES = ["checkout", "search"]
ENVS = ["staging", "prod"]

# Flaky tests the program quarantines by name (examples/quickstart/__main__.py): the emulator
# seeds them, among generated ones, the way Datadog would know them from CI runs.
NAMED_TESTS = [
    {
        "module": "shop.checkout",
        "service": "checkout",
        "envs": ENVS,
        "suite": "test_cart",
        "name": "test_apply_coupon",
        "state": "active",
    },
    {
        "module": "shop.checkout",
        "service": "checkout",
        "envs": ENVS,
        "suite": "test_cart",
        "name": "test_remove_last_item",
        "state": "active",
    },
    {
        "module": "shop.checkout",
        "service": "checkout",
        "envs": ENVS,
        "suite": "test_payment",
        "name": "test_3ds_timeout",
        "state": "active",
    },
    {
        "module": "shop.search",
        "service": "search",
        "envs": ENVS,
        "suite": "test_ranking",
        "name": "test_boost_recent",
        "state": "active",
    },
]


def step(number: int, total: int, text: str) -> None:
    line = f"== {number}/{total} {text}"
    print("\n" + (f"\033[1m{line}\033[0m" if sys.stdout.isatty() else line), flush=True)


def pulumi(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real pulumi CLI in the project root, streaming its output."""
    cmd = ["pulumi", *args, "--non-interactive", "--stack", STACK]
    if args[0] in ("up", "preview"):
        cmd.append("--suppress-progress")
    print("$ " + " ".join(a if " " not in a else repr(a) for a in cmd), flush=True)
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    print(proc.stdout.rstrip(), flush=True)
    if check and proc.returncode != 0:
        raise SystemExit(
            f"quickstart: `pulumi {args[0]}` failed (exit {proc.returncode}); see above"
        )
    return proc


def summarize_calls(calls: list[object]) -> str:
    counts = collections.Counter(f"{c.method} {c.path}" for c in calls)  # type: ignore[attr-defined]
    width = max((len(k) for k in counts), default=0)
    return "\n".join(f"    {n:4d}  {k:<{width}}" for k, n in sorted(counts.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the emulator running at the end")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEMO,
        help="where state, PULUMI_HOME and the emulator database go (default .demo/)",
    )
    args = parser.parse_args()
    demo = args.workdir.resolve()

    shutil.rmtree(demo, ignore_errors=True)
    (demo / "state").mkdir(parents=True)
    total = 5
    started = time.monotonic()

    step(1, total, "Start the local Datadog API emulator")
    server = EmulatorServer(db=demo / "emulator.db", log_file=demo / "emulator.log")
    server.start()
    try:
        seeded = server.seed_flaky_tests(
            REPOSITORY, count=250, seed=7, tests=NAMED_TESTS, services=SERVICES, envs=ENVS
        )
        print(f"    {server.url}  (log: {demo / 'emulator.log'})")
        print(f"    seeded {seeded.created} flaky tests for {REPOSITORY}")

        env = {
            **os.environ,
            "PULUMI_HOME": str(demo / "pulumi-home"),
            "PULUMI_BACKEND_URL": f"file://{demo / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            # Credentials and API URL the way CI pipelines pass them (pulumi-datadog's env
            # fallbacks); `datadog:apiKey`/`datadog:appKey`/`datadog:apiUrl` work as well.
            **server.env(),
        }
        pulumi("stack", "init", env=env)
        server.clear_calls()

        step(2, total, "pulumi up --yes, with the policy pack")
        pulumi("up", "--yes", "--policy-pack", str(POLICY_PACK), env=env)
        up_calls = server.calls()
        server.clear_calls()

        step(3, total, "pulumi preview --diff: nothing may change")
        pulumi(
            "preview", "--diff", "--expect-no-changes", "--policy-pack", str(POLICY_PACK), env=env
        )
        preview_calls = server.calls()

        step(4, total, "Summary")
        exported = pulumi_export(env)
        resources = [r for r in exported if r["type"].startswith("pulumi-python:dynamic/")]
        by_type = collections.Counter(r["type"].rsplit(":", 1)[-1] for r in resources)
        priors = by_type.pop("PriorValues", 0)
        print("    created: " + ", ".join(f"{n} {t}" for t, n in sorted(by_type.items())))
        print(f"    + {priors} PriorValues (what destroy puts back, saved before any write)")
        print(f"    API calls made by `pulumi up`: {len(up_calls)}")
        print(summarize_calls(up_calls))
        print(f"    API calls made by the no-change `pulumi preview`: {len(preview_calls)}")
        print(f"    done in {time.monotonic() - started:.0f}s; state in {demo / 'state'}")
    finally:
        if args.keep:
            env_file = demo / "emulator.env"
            env_file.write_text("".join(f"export {k}={v}\n" for k, v in server.env().items()))
            env_file.chmod(0o600)
            pid = server.detach()  # otherwise stopped when this script exits
            step(5, total, f"Emulator left running at {server.url} (stop it: kill {pid})")
            print(f"    point your own program at it: source {env_file}")
        else:
            step(5, total, "Stop the emulator")
            server.stop()
    return 0


def pulumi_export(env: dict[str, str]) -> list[dict[str, object]]:
    proc = subprocess.run(
        ["pulumi", "stack", "export", "--stack", STACK],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        check=True,
    )
    return json.loads(proc.stdout)["deployment"].get("resources") or []


if __name__ == "__main__":
    sys.exit(main())
