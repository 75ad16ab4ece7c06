"""One benchmark run: a fresh stack taken through its phases, timed, with the API calls seen.

``mixed``: create (``up``), no-change ``preview``, ``preview --refresh``, one-field ``up``,
``destroy`` of the N-resource mixed stack. ``bulk``: ``up`` and ``destroy`` of one
``FlakyTestStates`` changing ``count`` tests. Each run starts from a reset emulator (fixed
latency installed, flaky tests seeded in state ``active``) and a new workspace.

Configurations: ``ours`` (our resources, the emulator), ``floor`` (the no-op provider:
the engine alone), ``floor+latency`` (the no-op provider sleeping the per-resource minimum calls'
latency, 4 hooks at a time: the best an unbatched provider on the SDK's own server could do), ``hand``
and ``hand4`` (the hand-written ``datadog-api-client`` script of ``hand.py`` against the
emulator, sequential and 4 threads: no Pulumi at all).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from .engine import BENCH_ROOT, Timed, Workspace
from .minimums import Phase
from .noop import SIM_LATENCY_ENV
from .shape import BULK_REPOSITORY, REPOSITORY, Kind, Mix, fake_test_ids, tests_needed

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer
    from pulumi_datadog_testing.emulator.admin_models import RecordedCall

__all__ = ["CONFIGS", "Config", "PhaseResult", "RunResult", "endpoint", "run_bulk", "run_mixed"]

Config = Literal["ours", "floor", "floor+latency", "hand", "hand4"]
CONFIGS: Final[tuple[Config, ...]] = ("ours", "floor", "floor+latency", "hand", "hand4")
EMULATED: Final = ("ours", "hand", "hand4")
"""Configurations that talk to the emulator."""
HAND_THREADS: Final = {"hand": 1, "hand4": 4}
PROGRAM: Final = BENCH_ROOT / "programs" / "mixed"
UP: Final = ("up", "--yes", "--skip-preview")
DESTROY: Final = ("destroy", "--yes", "--skip-preview")
_SUMMARY = re.compile(
    r"^\s*[+~\-]?\s*(\d+) (created|updated|deleted|unchanged|replaced)\s*$", re.MULTILINE
)
_ID_SEGMENT = re.compile(r"/(?=[^/]*\d)[a-z0-9]{3}-[a-z0-9]{3}-[a-z0-9]{3}(?=/|$)")


@dataclass
class PhaseResult:
    """One phase of one run."""

    phase: str
    wall_s: float
    cpu_s: float
    ok: bool
    changes: dict[str, int]
    calls: int | None = None
    by_endpoint: dict[str, int] = field(default_factory=dict)
    api: ApiTiming | None = None
    error: str | None = None
    peak_rss_mb: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ApiTiming:
    """When the emulator was busy during a phase: first request to last answer
    (``span_s``), time with at least one request open (``busy_s``), the most requests
    open at once, and the mean request duration (latency included)."""

    span_s: float
    busy_s: float
    max_in_flight: int
    mean_ms: float

    @classmethod
    def of(cls, calls: Sequence[RecordedCall]) -> ApiTiming | None:
        if not calls:
            return None
        spans = sorted((c.time - c.duration_ms / 1000, c.time) for c in calls)
        events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
        open_now = most = 0
        busy = 0.0
        since = 0.0
        for at, step in events:
            if open_now == 0 and step == 1:
                since = at
            open_now += step
            most = max(most, open_now)
            if open_now == 0:
                busy += at - since
        return cls(
            span_s=round(spans[-1][1] - spans[0][0], 3),
            busy_s=round(busy, 3),
            max_in_flight=most,
            mean_ms=round(sum(c.duration_ms for c in calls) / len(calls), 1),
        )


@dataclass
class RunResult:
    """One run: a configuration at one size, taken through its phases."""

    scenario: str
    config: Config
    n: int
    repeat: int
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    phases: list[PhaseResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.phases)

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def endpoint(method: str, path: str) -> str:
    """``METHOD /path`` with object ids replaced by ``{id}`` (for grouping calls)."""
    return f"{method} {_ID_SEGMENT.sub('/{id}', path)}"


class _Session:
    """The workspace and emulator of one run, and the phase bookkeeping."""

    def __init__(
        self,
        workspace: Workspace,
        emulator: EmulatorServer | None,
        result: RunResult,
        hand_args: Sequence[str] = (),
    ) -> None:
        self.ws = workspace
        self.emulator = emulator
        self.result = result
        self.hand_args = list(hand_args)

    def phase(self, name: str, *args: str, expect: Mapping[str, int] | None = None) -> bool:
        """Run one phase; it fails when the command fails or its change summary lacks
        ``expect`` (e.g. ``{"updated": 1}``: the stack shape is not what was measured).
        A hand-written run runs the script's ``name`` phase instead of ``args``."""
        if self.hand_args:
            timed = self.ws.run_script("pdt_bench.hand", name, *self.hand_args)
            expect = None
        else:
            timed = self.ws.run(*args)
        calls = self.emulator.calls(clear=True) if self.emulator is not None else None
        by_endpoint = Counter(endpoint(c.method, c.path) for c in calls or ())
        changes = _changes(timed)
        error = None if timed.returncode == 0 else timed.tail()
        if error is None and expect and not _as_expected(changes, expect):
            error = f"expected changes {dict(expect)}, the command reported {changes}"
        self.result.phases.append(
            PhaseResult(
                phase=name,
                wall_s=round(timed.wall_s, 3),
                cpu_s=round(timed.cpu_s, 3),
                ok=error is None,
                changes=changes,
                calls=None if calls is None else len(calls),
                by_endpoint=dict(sorted(by_endpoint.items())),
                api=ApiTiming.of(calls or ()),
                error=error,
                peak_rss_mb=timed.peak_rss_mb,
            )
        )
        return error is None


def _as_expected(changes: Mapping[str, int], expect: Mapping[str, int]) -> bool:
    """``updated`` exactly; ``created``/``unchanged``/``deleted`` at least as many (the
    resources may register siblings of their own, e.g. ``PriorValues``)."""
    return all(
        changes.get(k, 0) == v if k == "updated" else changes.get(k, 0) >= v
        for k, v in expect.items()
    )


def _changes(timed: Timed) -> dict[str, int]:
    """The ``Resources:`` summary of a pulumi command's output (e.g. ``{"created": 10}``)."""
    return {kind: int(count) for count, kind in _SUMMARY.findall(timed.output)}


def _prepare(
    config: Config,
    emulator: EmulatorServer | None,
    latency_ms: int,
    repository: str,
    tests: int,
    root: Path,
) -> tuple[list[str], dict[str, str]]:
    """Reset and seed the emulator (``ours``, ``hand*``) or make look-alike ids (floors);
    returns the test ids and the extra environment of the pulumi commands."""
    if config not in EMULATED:
        extra = {SIM_LATENCY_ENV: str(latency_ms)} if config == "floor+latency" else {}
        return fake_test_ids(tests), extra
    assert emulator is not None
    emulator.reset()
    emulator.set_faults({"kind": "latency", "latency_ms": latency_ms, "count": None})
    ids: list[str] = []
    if tests:
        seeded = emulator.seed_flaky_tests(repository, tests, state="active", with_history=False)
        ids = [t.id for t in seeded.tests]
    emulator.clear_calls()
    return ids, {**emulator.env(), "DD_SITE": ""}


def _start(
    scenario: str,
    config: Config,
    n: int,
    repeat: int,
    emulator: EmulatorServer | None,
    latency_ms: int,
    repository: str,
    tests: int,
    stack_config: dict[str, str],
    bin_dir: Path,
    scratch: Path,
) -> _Session:
    root = Path(tempfile.mkdtemp(prefix=f"{scenario}-{config.replace('+', '-')}-{n}-", dir=scratch))
    uses_emulator = emulator if config in EMULATED else None
    ids, extra = _prepare(config, uses_emulator, latency_ms, repository, tests, root)
    ids_file = root / "test-ids.json"
    ids_file.write_text(json.dumps(ids))
    ws = Workspace(bin_dir, root, PROGRAM, extra_env=extra)
    result = RunResult(scenario, config, n, repeat, _load())
    if config in HAND_THREADS:
        hand_args = [
            f"--count={n}",
            f"--mode={stack_config['bench:mode']}",
            f"--mix={stack_config.get('bench:kinds', '')}",
            f"--ids-file={ids_file}",
            f"--state={root / 'hand-state.json'}",
            f"--threads={HAND_THREADS[config]}",
        ]
        return _Session(ws, uses_emulator, result, hand_args)
    ws.init(
        {
            "bench:count": str(n),
            "bench:provider": "datadog" if config == "ours" else "noop",
            "bench:testIdsFile": str(ids_file),
            **stack_config,
        }
    )
    return _Session(ws, uses_emulator, result)


def run_mixed(
    config: Config,
    n: int,
    repeat: int,
    *,
    emulator: EmulatorServer | None,
    latency_ms: int,
    kinds: Mix,
    touch: Kind,
    bin_dir: Path,
    scratch: Path,
) -> RunResult:
    """Create, preview, preview --refresh, one-field up and destroy an N-resource stack."""
    session = _start(
        "mixed",
        config,
        n,
        repeat,
        emulator,
        latency_ms,
        REPOSITORY,
        tests_needed(n, kinds),
        {"bench:mode": "mixed", "bench:kinds": str(kinds)},
        bin_dir,
        scratch,
    )
    everything = n + 1  # and the stack resource
    steps: list[tuple[Phase, tuple[str, ...], dict[str, int]]] = [
        ("create", UP, {"created": everything}),
        ("preview", ("preview", "--expect-no-changes"), {"unchanged": everything}),
        ("refresh", ("preview", "--refresh", "--expect-no-changes"), {"unchanged": everything}),
        ("update", UP, {"updated": 1}),
        ("destroy", DESTROY, {"deleted": everything}),
    ]
    for name, args, expect in steps:
        if name == "update" and session.hand_args:
            session.hand_args.append(f"--touch={touch}")
        elif name == "update":
            session.ws.configure({"bench:touch": str(touch)})
        if not session.phase(name, *args, expect=expect) and name != "destroy":
            session.phase("destroy", *DESTROY)
            break
    return _finish(session)


def run_bulk(
    config: Config,
    tests: int,
    repeat: int,
    *,
    emulator: EmulatorServer | None,
    latency_ms: int,
    bin_dir: Path,
    scratch: Path,
) -> RunResult:
    """``up`` then ``destroy`` of one FlakyTestStates changing ``tests`` tests."""
    session = _start(
        "bulk",
        config,
        tests,
        repeat,
        emulator,
        latency_ms,
        BULK_REPOSITORY,
        tests,
        {"bench:mode": "bulk"},
        bin_dir,
        scratch,
    )
    if session.phase("create", *UP, expect={"created": 2}):
        session.phase("destroy", *DESTROY, expect={"deleted": 2})
    return _finish(session)


def _finish(session: _Session) -> RunResult:
    session.result.load_after = _load()
    return session.result


def _load() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return (round(one, 2), round(five, 2), round(fifteen, 2))
