"""The benchmarked stack's shape: which resources, with which inputs, for a given N.

One definition serves the real program (our resources against the emulator) and the
engine floor (the no-op provider): both declare exactly the resources ``specs()`` returns,
with the same names and property dictionaries, so the engine does the same work.

Which kinds, in which shares, is a ``Mix`` (``--mix``): ``Kind=count`` entries first (a fixed
number of resources of that kind), then the other entries in turn for the rest of the N. The
default, ``side-by-side``, is the stack the hand-written script is compared on: 1 suite, then
half service settings and half single flaky-test states; ``all`` cycles through the five kinds.
Flaky-test resources use seeded test ids: each ``FlakyTestState`` one test, each
``FlakyTestStates`` ``TESTS_PER_SET`` tests, all distinct. The "touch" variant changes exactly
one field of the first resource of one kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

__all__ = [
    "BULK_REPOSITORY",
    "MIXES",
    "REPOSITORY",
    "TESTS_PER_SET",
    "Kind",
    "Mix",
    "Spec",
    "bulk_spec",
    "fake_test_ids",
    "kinds_of",
    "specs",
    "tests_needed",
]

REPOSITORY: Final = "github.com/bench/shop"
"""Repository of the mixed stack's services and flaky tests."""
BULK_REPOSITORY: Final = "github.com/bench/monorepo"
"""Repository of the bulk scenario's flaky tests."""
TESTS_PER_SET: Final = 3
"""Tests managed by each ``FlakyTestStates`` of the mixed stack."""


class Kind(StrEnum):
    """The five resource kinds (the last segment of each type token)."""

    SERVICE_SETTINGS = "ServiceSettings"
    FLAKY_TEST_STATE = "FlakyTestState"
    FLAKY_TEST_STATES = "FlakyTestStates"
    FLAKY_TEST_POLICIES = "FlakyTestPolicies"
    SYNTHETICS_SUITE = "SyntheticsSuite"


@dataclass(frozen=True)
class Spec:
    """One resource to declare: its kind, Pulumi name and input properties."""

    kind: Kind
    name: str
    props: dict[str, Any]


@dataclass(frozen=True)
class Mix:
    """The kinds of a stack: ``fixed`` resources first, then ``cycle`` in turn."""

    fixed: tuple[tuple[Kind, int], ...] = ()
    cycle: tuple[Kind, ...] = tuple(Kind)

    def kinds(self, count: int) -> list[Kind]:
        """The kind of each of ``count`` resources."""
        head = [kind for kind, times in self.fixed for _ in range(times)][:count]
        rest = count - len(head)
        if rest and not self.cycle:
            raise ValueError(f"mix {self}: only {len(head)} resources, {count} asked")
        return head + [self.cycle[i % len(self.cycle)] for i in range(rest)]

    def __contains__(self, kind: object) -> bool:
        return kind in self.cycle or any(kind == k for k, _ in self.fixed)

    def __str__(self) -> str:
        return ",".join([*(f"{k}={n}" for k, n in self.fixed), *map(str, self.cycle)])


MIXES: Final = {
    "side-by-side": Mix(
        fixed=((Kind.SYNTHETICS_SUITE, 1),),
        cycle=(Kind.SERVICE_SETTINGS, Kind.FLAKY_TEST_STATE),
    ),
    "all": Mix(),
}
"""Named mixes: ``side-by-side`` (the default; compared with the hand-written script) and
``all`` (the five kinds in equal shares)."""


def kinds_of(text: str | None) -> Mix:
    """A mix from its name or ``Kind[=count],...`` (``None``/empty: ``side-by-side``)."""
    if not text:
        return MIXES["side-by-side"]
    if text in MIXES:
        return MIXES[text]
    fixed: list[tuple[Kind, int]] = []
    cycle: list[Kind] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, _, times = part.partition("=")
        if times:
            fixed.append((Kind(name), int(times)))
        else:
            cycle.append(Kind(name))
    return Mix(tuple(fixed), tuple(cycle))


def tests_needed(count: int, mix: Mix) -> int:
    """How many distinct flaky tests ``specs(count, mix, ...)`` uses."""
    per_kind = {Kind.FLAKY_TEST_STATE: 1, Kind.FLAKY_TEST_STATES: TESTS_PER_SET}
    return sum(per_kind.get(kind, 0) for kind in mix.kinds(count))


def fake_test_ids(count: int, salt: int = 0) -> list[str]:
    """``count`` ids shaped like real flaky-test ids (16 hex digits) for the no-op floor."""
    return [f"{salt:04x}{i:012x}" for i in range(count)]


def specs(count: int, mix: Mix, test_ids: Sequence[str], touch: Kind | None = None) -> list[Spec]:
    """The ``count`` resources of the mixed stack; ``touch`` changes one field of the first
    resource of that kind (``ValueError`` when the mix has none)."""
    kinds = mix.kinds(count)
    needed = tests_needed(count, mix)
    if len(test_ids) < needed:
        raise ValueError(
            f"test_ids: {count} resources need {needed} flaky tests, got {len(test_ids)}"
        )
    out: list[Spec] = []
    next_test = 0
    touched = False
    for i, kind in enumerate(kinds):
        change = touch == kind and not touched
        touched = touched or change
        width = TESTS_PER_SET if kind == Kind.FLAKY_TEST_STATES else 1
        ids = list(test_ids[next_test : next_test + width]) if kind in _FLAKY else []
        next_test += len(ids)
        out.append(Spec(kind, f"{_SLUG[kind]}-{i:04d}", _PROPS[kind](i, ids, change)))
    if touch is not None and not touched:
        raise ValueError(f"touch: the mix of {count} resources has no {touch}")
    return out


def bulk_spec(test_ids: Sequence[str], state: str = "quarantined") -> Spec:
    """One ``FlakyTestStates`` setting every test of ``test_ids`` to ``state``."""
    return Spec(
        Kind.FLAKY_TEST_STATES,
        "bulk-states",
        {
            "repository_id": BULK_REPOSITORY,
            "states": {test_id: state for test_id in test_ids},
            "reason": "BENCH-500: bulk quarantine",
        },
    )


def _service_settings(i: int, _ids: list[str], touch: bool) -> dict[str, Any]:
    return {
        "repository_id": REPOSITORY,
        "service_name": f"svc-{i:04d}",
        "env": "ci",
        "auto_test_retries_enabled": True,
        "early_flake_detection_enabled": not touch,
        "code_coverage_enabled": True,
    }


def _flaky_test_state(_i: int, ids: list[str], touch: bool) -> dict[str, Any]:
    return {
        "repository_id": REPOSITORY,
        "test_id": ids[0],
        "state": "disabled" if touch else "quarantined",
        "reason": "BENCH-1: flaky on CI",
    }


def _flaky_test_states(_i: int, ids: list[str], touch: bool) -> dict[str, Any]:
    states = dict.fromkeys(ids, "quarantined")
    if touch:
        states[ids[0]] = "disabled"
    return {"repository_id": REPOSITORY, "states": states, "reason": "BENCH-2: flaky on CI"}


def _flaky_test_policies(i: int, _ids: list[str], touch: bool) -> dict[str, Any]:
    return {
        "repository_id": f"github.com/bench/policies-{i:04d}",
        "attempt_to_fix": {"retries": 4 if touch else 3},
        "quarantined": {
            "enabled": True,
            "auto_quarantine_rule": {"enabled": True, "window_seconds": 3600},
        },
    }


def _synthetics_suite(i: int, _ids: list[str], touch: bool) -> dict[str, Any]:
    return {
        "name": f"bench-suite-{i:04d}",
        "message": "Checkout suite failed (edited)" if touch else "Checkout suite failed",
        "tags": ["team:bench", "env:ci"],
        "tests": [
            {
                "public_id": f"bch-{i // 1000:03d}-{i % 1000:03d}",
                "alerting_criticality": "critical",
            },
            {"public_id": "bch-000-xyz", "alerting_criticality": "ignore"},
        ],
        "options": {"alerting_threshold": 0.5},
    }


_FLAKY: Final = (Kind.FLAKY_TEST_STATE, Kind.FLAKY_TEST_STATES)
_SLUG: Final = {
    Kind.SERVICE_SETTINGS: "settings",
    Kind.FLAKY_TEST_STATE: "test",
    Kind.FLAKY_TEST_STATES: "tests",
    Kind.FLAKY_TEST_POLICIES: "policies",
    Kind.SYNTHETICS_SUITE: "suite",
}
_PROPS: Final = {
    Kind.SERVICE_SETTINGS: _service_settings,
    Kind.FLAKY_TEST_STATE: _flaky_test_state,
    Kind.FLAKY_TEST_STATES: _flaky_test_states,
    Kind.FLAKY_TEST_POLICIES: _flaky_test_policies,
    Kind.SYNTHETICS_SUITE: _synthetics_suite,
}
