"""Turn runs into the result table: medians and spreads, ratios to the floor, call checks.

``summarize()`` builds one ``Row`` per (scenario, N, phase); ``markdown()`` renders them,
``plot()`` draws wall time against N (needs matplotlib: the ``bench`` extra).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from .minimums import PHASES, bulk_minimum, hand_bulk_minimum, hand_minimum, phase_minimum
from .scenarios import RunResult
from .shape import BULK_REPOSITORY, Mix, fake_test_ids

__all__ = ["Row", "Spread", "markdown", "plot", "summarize"]


@dataclass(frozen=True)
class Spread:
    """Median and range of a few measurements (seconds)."""

    median: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread | None:
        if not values:
            return None
        return cls(statistics.median(values), min(values), max(values), len(values))

    def text(self) -> str:
        if self.count == 1:
            return f"{self.median:.2f}"
        return f"{self.median:.2f} ({self.low:.2f}–{self.high:.2f})"


@dataclass
class Row:
    """One phase at one size: times of each configuration, calls against the minimum."""

    scenario: str
    n: int
    phase: str
    ours: Spread | None
    floor: Spread | None
    floor_latency: Spread | None
    ours_cpu: Spread | None
    floor_cpu: Spread | None
    calls: list[int]
    min_calls: int
    latency_bound_s: float
    by_endpoint: dict[str, int] = field(default_factory=dict)
    min_by_method: dict[str, int] = field(default_factory=dict)
    api_busy: Spread | None = None
    max_in_flight: int | None = None
    failures: list[str] = field(default_factory=list)
    hand: Spread | None = None
    """The hand-written script, sequential."""
    hand4: Spread | None = None
    """The hand-written script, 4 threads."""
    hand_calls: list[int] = field(default_factory=list)
    """Calls the hand-written script made (emulator call log)."""
    hand_min: int = 0
    """The batched hand minimum (``minimums.hand_minimum``)."""
    provider_rss: Spread | None = None
    """Peak RSS (MB) of the dynamic-provider process of ``ours``."""
    floor_rss: Spread | None = None
    """Peak RSS (MB) of the dynamic-provider process of the floor."""

    @property
    def calls_vs_hand(self) -> float | None:
        """Our calls over the batched hand minimum (``None`` when both are 0)."""
        if not self.calls or not self.hand_min:
            return None
        return max(self.calls) / self.hand_min

    @property
    def ratio(self) -> float | None:
        return self.ours.median / self.floor.median if self.ours and self.floor else None

    @property
    def ratio_latency(self) -> float | None:
        if self.ours and self.floor_latency:
            return self.ours.median / self.floor_latency.median
        return None

    @property
    def above_minimum(self) -> bool:
        if self.min_by_method:
            return any(
                self.by_endpoint_method().get(m, 0) > n for m, n in self.min_by_method.items()
            ) or max(self.calls, default=0) > sum(self.min_by_method.values())
        return max(self.calls, default=0) > self.min_calls

    def by_endpoint_method(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for key, count in self.by_endpoint.items():
            method = key.split(" ", 1)[0]
            out[method] = out.get(method, 0) + count
        return out

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            ratio=self.ratio, ratio_latency=self.ratio_latency, above_minimum=self.above_minimum
        )
        return out


def _bulk_phase(phase: str) -> Literal["create", "destroy"]:
    return "create" if phase == "create" else "destroy"


def documented_searches(tests: int) -> int:
    """Searches the flaky-test resources need to read ``tests`` ids (their query cap)."""
    from pulumi_datadog_testing.resources._flaky import id_queries

    return len(id_queries(BULK_REPOSITORY, fake_test_ids(tests)))


def _phase_runs(runs: Iterable[RunResult], config: str, phase: str) -> list[Any]:
    return [p for r in runs if r.config == config for p in r.phases if p.phase == phase and p.ok]


def _rss(runs: Iterable[RunResult], config: str, phase: str) -> Spread | None:
    return Spread.of(
        [
            p.peak_rss_mb["provider"]
            for p in _phase_runs(runs, config, phase)
            if p.peak_rss_mb.get("provider")
        ]
    )


def summarize(runs: Sequence[RunResult], kinds: Mix, latency_ms: int) -> list[Row]:
    """One row per (scenario, N, phase) present in ``runs``."""
    rows: list[Row] = []
    keys = sorted({(r.scenario, r.n) for r in runs}, key=lambda k: (k[0] != "mixed", k[1]))
    for scenario, n in keys:
        group = [r for r in runs if r.scenario == scenario and r.n == n]
        phases = PHASES if scenario == "mixed" else ("create", "destroy")
        for phase in phases:
            ours = _phase_runs(group, "ours", phase)
            if scenario == "mixed":
                stack = kinds.kinds(n)
                minimum = phase_minimum(stack, phase)
                hand_min = hand_minimum(stack, phase)
                min_total, bound, by_method = (
                    minimum.calls,
                    minimum.added_seconds(latency_ms / 1000),
                    {},
                )
            else:
                by_method = bulk_minimum(n, _bulk_phase(phase), documented_searches(n))
                hand_min = sum(hand_bulk_minimum(n, _bulk_phase(phase)).values())
                min_total, bound = (
                    sum(by_method.values()),
                    sum(by_method.values()) * latency_ms / 1000,
                )
            last = ours[-1].by_endpoint if ours else {}
            rows.append(
                Row(
                    scenario=scenario,
                    n=n,
                    phase=phase,
                    ours=Spread.of([p.wall_s for p in ours]),
                    floor=Spread.of([p.wall_s for p in _phase_runs(group, "floor", phase)]),
                    floor_latency=Spread.of(
                        [p.wall_s for p in _phase_runs(group, "floor+latency", phase)]
                    ),
                    ours_cpu=Spread.of([p.cpu_s for p in ours]),
                    floor_cpu=Spread.of([p.cpu_s for p in _phase_runs(group, "floor", phase)]),
                    calls=[p.calls for p in ours if p.calls is not None],
                    min_calls=min_total,
                    latency_bound_s=round(bound, 3),
                    by_endpoint=dict(last),
                    min_by_method=by_method,
                    api_busy=Spread.of([p.api.busy_s for p in ours if p.api]),
                    max_in_flight=max((p.api.max_in_flight for p in ours if p.api), default=None),
                    failures=[
                        f"{r.config} #{r.repeat}: {p.error}"
                        for r in group
                        for p in r.phases
                        if p.phase == phase and not p.ok
                    ],
                    hand=Spread.of([p.wall_s for p in _phase_runs(group, "hand", phase)]),
                    hand4=Spread.of([p.wall_s for p in _phase_runs(group, "hand4", phase)]),
                    hand_calls=sorted(
                        {
                            p.calls
                            for config in ("hand", "hand4")
                            for p in _phase_runs(group, config, phase)
                            if p.calls is not None
                        }
                    ),
                    hand_min=hand_min,
                    provider_rss=_rss(group, "ours", phase),
                    floor_rss=_rss(group, "floor", phase),
                )
            )
    return rows


def _cell(spread: Spread | None) -> str:
    return spread.text() if spread else "–"


def _ratio(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "–"


def _median(spread: Spread | None, digits: int = 2) -> str:
    return f"{spread.median:.{digits}f}" if spread else "–"


def _hand_calls(row: Row) -> str:
    measured = "/".join(map(str, row.hand_calls)) if row.hand_calls else "–"
    flag = " ⚠" if row.hand_calls and row.hand_calls != [row.hand_min] else ""
    return f"{measured} ({row.hand_min}){flag}"


def _calls(row: Row) -> str:
    if not row.calls:
        return "–"
    low, high = min(row.calls), max(row.calls)
    text = str(low) if low == high else f"{low}–{high}"
    return f"**{text}** ⚠" if row.above_minimum else text


def markdown(rows: Sequence[Row], latency_ms: int) -> str:
    """The result tables (mixed stack, then bulk) as Markdown."""
    lines = [
        (
            f"Wall seconds, median (min–max) over the repeats; emulator latency {latency_ms} ms "
            "per request. *floor*: the same stack on a no-op dynamic provider (engine only); "
            "*floor+lat*: the no-op provider sleeping the minimum calls' latency. "
            "⚠ = more API calls than the minimum."
        ),
        "",
        (
            "| N | phase | ours s | floor s | ours/floor | floor+lat s | ours/(floor+lat) "
            "| hand s, 1 / 4 threads | CPU s ours / floor | calls | per-resource min "
            "| hand calls (batched min) | ours/hand calls |"
        ),
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in (r for r in rows if r.scenario == "mixed"):
        cpu = f"{_cell(row.ours_cpu).split(' ')[0]} / {_cell(row.floor_cpu).split(' ')[0]}"
        lines.append(
            f"| {row.n} | {row.phase} | {_cell(row.ours)} | {_cell(row.floor)} | "
            f"{_ratio(row.ratio)} | {_cell(row.floor_latency)} | {_ratio(row.ratio_latency)} | "
            f"{_median(row.hand)} / {_median(row.hand4)} | "
            f"{cpu} | {_calls(row)} | {row.min_calls} | {_hand_calls(row)} | "
            f"{_ratio(row.calls_vs_hand)} |"
        )
    bulk = [r for r in rows if r.scenario == "bulk"]
    if bulk:
        lines += [
            "",
            "Bulk: one FlakyTestStates changing N flaky tests (create) and restoring them (destroy).",
            "",
            (
                "| tests | phase | ours s | floor s | ours/floor | hand s, 1 / 4 threads "
                "| provider RSS MB ours / floor | calls by endpoint | documented minimum "
                "(page-limit ideal) | hand calls (batched min) |"
            ),
            "|---:|---|---:|---:|---:|---:|---:|---|---|---:|",
        ]
        for row in bulk:
            endpoints = ", ".join(f"{k}: {v}" for k, v in row.by_endpoint.items()) or "–"
            ideal = bulk_minimum(row.n, _bulk_phase(row.phase))
            minimum = ", ".join(
                f"{m}: {c}" + (f" ({ideal[m]})" if ideal[m] != c else "")
                for m, c in sorted(row.min_by_method.items())
            )
            flag = " ⚠" if row.above_minimum else ""
            rss = f"{_median(row.provider_rss, 0)} / {_median(row.floor_rss, 0)}"
            lines.append(
                f"| {row.n} | {row.phase} | {_cell(row.ours)} | {_cell(row.floor)} | "
                f"{_ratio(row.ratio)} | {_median(row.hand)} / {_median(row.hand4)} | {rss} | "
                f"{endpoints}{flag} | {minimum} | {_hand_calls(row)} |"
            )
    lines += _scaling(rows)
    failures = [f for row in rows for f in row.failures]
    if failures:
        lines += ["", "Failed phases:", ""] + [f"- {f.splitlines()[0]}" for f in failures]
    return "\n".join(lines) + "\n"


def _scaling(rows: Sequence[Row]) -> list[str]:
    """Marginal cost per added resource between consecutive sizes (ms per resource) and
    the API activity of ``ours``: linear growth shows as a constant marginal cost."""
    mixed = [r for r in rows if r.scenario == "mixed"]
    sizes = sorted({r.n for r in mixed})
    if len(sizes) < 2:
        return []
    by_key = {(r.n, r.phase): r for r in mixed}
    lines = [
        "",
        "Marginal cost per added resource, ms (median wall time difference / N difference):",
        "",
        "| phase | "
        + " | ".join(f"{a}→{b} ours / floor" for a, b in itertools.pairwise(sizes))
        + " |",
        "|---|" + "---:|" * (len(sizes) - 1),
    ]
    for phase in PHASES:
        cells = []
        for a, b in itertools.pairwise(sizes):
            low, high = by_key.get((a, phase)), by_key.get((b, phase))
            parts = []
            for attr in ("ours", "floor"):
                x = getattr(low, attr) if low else None
                y = getattr(high, attr) if high else None
                parts.append(f"{1000 * (y.median - x.median) / (b - a):.0f}" if x and y else "–")
            cells.append(" / ".join(parts))
        lines.append(f"| {phase} | " + " | ".join(cells) + " |")
    lines += [
        "",
        (
            "API activity of *ours* (emulator call log): time with a request open, most requests "
            "open at once (at most the engine's --parallel: default 4 × CPUs)."
        ),
        "",
        "| N | phase | calls | API busy s | max in flight |",
        "|---:|---|---:|---:|---:|",
    ]
    for row in mixed:
        if row.api_busy:
            lines.append(
                f"| {row.n} | {row.phase} | {_calls(row)} | {row.api_busy.text()} | "
                f"{row.max_in_flight} |"
            )
    return lines


def plot(rows: Sequence[Row], path: Path, latency_ms: int) -> bool:
    """Wall time against N per phase (PNG at ``path``); ``False`` without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    mixed = [r for r in rows if r.scenario == "mixed"]
    fig, axes = plt.subplots(1, len(PHASES), figsize=(4 * len(PHASES), 3.6), sharex=True)
    for ax, phase in zip(axes, PHASES, strict=True):
        sel = sorted((r for r in mixed if r.phase == phase), key=lambda r: r.n)
        for label, attr, style in (
            ("ours", "ours", "o-"),
            ("floor", "floor", "s--"),
            ("floor+latency", "floor_latency", "^:"),
        ):
            pts = [(r.n, getattr(r, attr)) for r in sel if getattr(r, attr)]
            if pts:
                xs = [n for n, _ in pts]
                ys = [s.median for _, s in pts]
                err = [[s.median - s.low for _, s in pts], [s.high - s.median for _, s in pts]]
                ax.errorbar(xs, ys, yerr=err, fmt=style, capsize=3, label=label)
        ax.set_title(phase)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("resources (N)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("wall seconds")
    axes[0].legend(fontsize="small")
    fig.suptitle(f"pulumi-datadog-testing: wall time vs N (emulator latency {latency_ms} ms)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True
