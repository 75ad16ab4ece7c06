"""Malformed programs fail at ``pulumi preview`` with a message naming the field — and send
nothing to Datadog; valid-but-tricky values (JSON-Pointer characters ``~`` and ``/``) work.

Every case is one resource declared by the fleet program from stack config. The engine stops
a preview at the first resource whose ``check`` fails (it reports every failure *of that
resource*, then bails — verified on the pinned engine), so one case per preview would cost
~40 previews. Instead, cases of the same resource type that touch different top-level
properties are merged into one resource (``groups()``): its check reports each case's
failure separately, and every case is still asserted on its own (one pytest item each,
matching its property path and reason). Constructor errors (a ``TypeError`` for an unknown
or missing keyword argument) are reported by the program with ``pulumi.log.error`` and all
go in one preview. After every preview the emulator's call log must be empty.
"""

from __future__ import annotations

import builtins
import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from tests.faults._harness import REPOSITORY, FaultStack, Seeded, spec
from tests.support.engine import PulumiSandbox

pytestmark = [pytest.mark.faults, pytest.mark.e2e, pytest.mark.emulator]

TEST_ID = "4eb1887a8adb1847"
BASES: dict[str, dict[str, Any]] = {
    "ServiceSettings": {
        "repository_id": REPOSITORY, "service_name": "checkout", "env": "prod",
        "early_flake_detection_enabled": True,
    },
    "FlakyTestState": {"repository_id": REPOSITORY, "test_id": TEST_ID, "state": "quarantined"},
    "FlakyTestStates": {"repository_id": REPOSITORY, "states": {TEST_ID: "quarantined"}},
    "FlakyTestPolicies": {"repository_id": REPOSITORY, "attempt_to_fix": {"retries": 3}},
    "SyntheticsSuite": {
        "name": "Checkout",
        "tests": [{"public_id": "abc-def-001", "alerting_criticality": "critical"}],
    },
}  # fmt: skip
STATES = r"'active', 'quarantined', 'disabled' or 'fixed'"


@dataclass(frozen=True)
class Case:
    """One malformed program: the resource type's valid base args with ``set`` applied and
    ``drop`` removed. ``field``: the property path the check failure must name (``None``:
    the constructor rejects it, and the message must match ``expect``). ``present`` /
    ``absent``: properties the failure needs kept / left unset (no case merged with it may
    drop / set them)."""

    id: str
    kind: str
    field: str | None
    expect: str
    set: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    drop: tuple[str, ...] = ()
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()

    def args(self) -> dict[str, Any]:
        return _merged(BASES[self.kind], [self])

    @property
    def changed(self) -> builtins.set[Path]:
        return _paths(self.set) | {(key,) for key in self.drop}

    def conflicts(self, other: Case) -> bool:
        return (
            _overlap(self.changed, other.changed)
            or _overlap({(k,) for k in self.present}, {(k,) for k in other.drop})
            or _overlap({(k,) for k in self.absent}, _paths(other.set))
        )


Path = tuple[str, ...]
NESTED = frozenset({"attempt_to_fix", "quarantined", "disabled", "options"})
"""Object-valued properties whose leaves different cases may set in one merged resource."""


def _paths(values: Mapping[str, Any], prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for key, value in values.items():
        nested = isinstance(value, Mapping) and value and (prefix or key in NESTED)
        out |= _paths(value, (*prefix, key)) if nested else {(*prefix, key)}
    return out


def _overlap(a: set[Path], b: set[Path]) -> bool:
    return any(x[: len(y)] == y or y[: len(x)] == x for x in a for y in b)


def _deep_update(target: dict[str, Any], values: Mapping[str, Any], top: bool = True) -> None:
    for key, value in values.items():
        current = target.get(key)
        if (
            isinstance(value, Mapping)
            and isinstance(current, Mapping)
            and (key in NESTED or not top)
        ):
            merged = dict(current)
            _deep_update(merged, value, top=False)
            target[key] = merged
        else:
            target[key] = value


def _merged(base: Mapping[str, Any], cases: list[Case]) -> dict[str, Any]:
    args = json.loads(json.dumps(base))
    for case in cases:
        for key in case.drop:
            args.pop(key, None)
        _deep_update(args, case.set)
    return args


CASES = [
    # ServiceSettings: types, empty strings, the id separator, unknown/missing properties.
    Case("settings-env-empty", "ServiceSettings", "env", "at least 1 character", {"env": ""}),
    Case("settings-service-empty", "ServiceSettings", "service_name", "at least 1 character",
         {"service_name": ""}),
    Case("settings-bool-as-string", "ServiceSettings", "code_coverage_enabled",
         r"valid boolean \(got 'yes'\)", {"code_coverage_enabled": "yes"}),
    Case("settings-bool-as-number", "ServiceSettings", "auto_test_retries_enabled",
         "valid boolean", {"auto_test_retries_enabled": 1}),
    Case("settings-id-separator", "ServiceSettings", "repository_id", "must not contain '::'",
         {"repository_id": "github.com/acme::shop"}),
    Case("settings-unknown-property", "ServiceSettings", "early_flake_detection",
         "unknown property 'early_flake_detection'; did you mean 'early_flake_detection_enabled'",
         {"early_flake_detection": True}),
    Case("settings-missing-service", "ServiceSettings", "service_name",
         "missing required property", drop=("service_name",)),
    Case("settings-env-not-string", "ServiceSettings", "env", "valid string", {"env": ["prod"]}),
    # FlakyTestState: enums, ids with JSON-Pointer characters, id + selector, missing parts.
    Case("state-unknown-enum", "FlakyTestState", "state", STATES, {"state": "muted"}),
    Case("state-enum-case", "FlakyTestState", "state", STATES, {"state": "Quarantined"}),
    Case("state-id-pointer-chars", "FlakyTestState", "test_id", "not a flaky test id",
         {"test_id": "abc/def~1"}),
    Case("state-id-empty", "FlakyTestState", "test_id", "at least 1 character", {"test_id": ""}),
    Case("state-id-and-selector", "FlakyTestState", "test_id",
         "either test_id or a selector", {"name": "test_checkout"}, present=("test_id",)),
    Case("state-no-id-no-selector", "FlakyTestState", "test_id",
         "missing: set test_id, or select the test", drop=("test_id",),
         absent=("module", "suite", "name")),
    Case("state-reason-not-string", "FlakyTestState", "reason", "valid string", {"reason": 123}),
    Case("state-repository-empty", "FlakyTestState", "repository_id", "at least 1 character",
         {"repository_id": ""}),
    Case("state-missing-state", "FlakyTestState", "state", "missing required property",
         drop=("state",)),
    # FlakyTestStates: per-test enums and ids, the two forms mixed.
    Case("states-unknown-enum", "FlakyTestStates", f"states['{TEST_ID}']", STATES,
         {"states": {TEST_ID: "snoozed"}}),
    Case("states-id-pointer-chars", "FlakyTestStates", "states", "not a flaky test id",
         {"states": {"tests/~1abc": "quarantined"}}),
    Case("states-and-query", "FlakyTestStates", "query", "not both",
         {"query": "flaky_test_state:active"}, present=("states",), absent=("state",)),
    Case("states-query-without-state", "FlakyTestStates", "state", "missing: with query",
         {"query": "flaky_test_state:active"}, drop=("states",), absent=("state",)),
    Case("states-state-without-query", "FlakyTestStates", "state", "only used with query",
         {"state": "disabled"}, present=("states",), absent=("query",)),
    Case("states-reason-not-string", "FlakyTestStates", "reason", "valid string",
         {"reason": ["JIRA-1"]}),
    # FlakyTestPolicies: nested unknown names, out-of-range numbers, enums, types.
    Case("policies-unknown-nested", "FlakyTestPolicies", "quarantined.enabeld",
         "unknown property 'enabeld'; did you mean 'enabled'", {"quarantined": {"enabeld": True}}),
    Case("policies-threshold-above-1", "FlakyTestPolicies", "disabled.failure_rate_rule.threshold",
         "less than or equal to 1", {"disabled": {"failure_rate_rule": {"threshold": 1.5}}}),
    Case("policies-retries-not-int", "FlakyTestPolicies", "attempt_to_fix.retries",
         "valid integer", {"attempt_to_fix": {"retries": "three"}}),
    Case("policies-window-zero", "FlakyTestPolicies",
         "quarantined.auto_quarantine_rule.window_seconds", "greater than 0",
         {"quarantined": {"auto_quarantine_rule": {"window_seconds": 0}}}),
    Case("policies-bad-status-enum", "FlakyTestPolicies", "disabled.auto_disable_rule.status",
         "'active' or 'quarantined'", {"disabled": {"auto_disable_rule": {"status": "paused"}}}),
    Case("policies-repository-empty", "FlakyTestPolicies", "repository_id",
         "at least 1 character", {"repository_id": ""}),
    # SyntheticsSuite: thresholds, enums, duplicates, blank/oversized strings, shapes.
    Case("suite-threshold-above-1", "SyntheticsSuite", "options.alerting_threshold",
         "between 0 and 1", {"options": {"alerting_threshold": 1.5}}),
    Case("suite-threshold-negative", "SyntheticsSuite", "options.alerting_threshold",
         "between 0 and 1", {"options": {"alerting_threshold": -0.1}}),
    Case("suite-unknown-option", "SyntheticsSuite", "options.alerting_treshold",
         "did you mean 'alerting_threshold'", {"options": {"alerting_treshold": 0.5}}),
    Case("suite-bad-criticality", "SyntheticsSuite", "tests[0].alerting_criticality",
         "'ignore' or 'critical'",
         {"tests": [{"public_id": "abc-def-001", "alerting_criticality": "high"}]}),
    Case("suite-duplicate-test", "SyntheticsSuite", "tests",
         "duplicate public_id 'abc-def-001' at tests\\[0\\] and tests\\[1\\]",
         {"tests": [{"public_id": "abc-def-001"}, {"public_id": "abc-def-001"}]}),
    Case("suite-unknown-test-property", "SyntheticsSuite", "tests[0].criticality",
         "did you mean 'alerting_criticality'",
         {"tests": [{"public_id": "abc-def-001", "criticality": "critical"}]}),
    Case("suite-name-blank", "SyntheticsSuite", "name", "must not be blank", {"name": "   "}),
    Case("suite-name-empty", "SyntheticsSuite", "name", "at least 1 character", {"name": ""}),
    Case("suite-tags-not-list", "SyntheticsSuite", "tags", "valid list", {"tags": "team:shop"}),
    Case("suite-tag-empty", "SyntheticsSuite", "tags[0]", "at least 1 character", {"tags": [""]}),
    Case("suite-tag-oversized", "SyntheticsSuite", "tags[0]", "at most 200 characters",
         {"tags": ["team:" + "x" * 200]}),
    Case("suite-message-not-string", "SyntheticsSuite", "message", "valid string",
         {"message": ["down"]}),
    Case("suite-unknown-keyword", "SyntheticsSuite", "tagz",
         "unknown property 'tagz'; did you mean 'tags'", {"tagz": ["team:shop"]}),
    Case("suite-missing-tests", "SyntheticsSuite", "tests", "missing required property",
         drop=("tests",)),
    Case("states-unknown-keyword", "FlakyTestStates", "test_states",
         "unknown property 'test_states'; did you mean 'states'",
         {"test_states": {TEST_ID: "fixed"}}),
]  # fmt: skip


@dataclass
class Group:
    """Cases previewed together: one merged resource of one type, or constructor errors
    (which preview alongside a valid control resource of every type)."""

    name: str
    cases: list[Case]

    def resources(self) -> list[dict[str, Any]]:
        if (
            not self.cases or self.cases[0].field is None
        ):  # the controls, with constructor cases if any
            controls = [declared(k, f"control-{k.lower()}", dict(a)) for k, a in BASES.items()]
            return [*controls, *(spec(c.kind, c.id, **c.args()) for c in self.cases)]
        kind = self.cases[0].kind
        return [declared(kind, self.name, _merged(BASES[kind], self.cases))]


def declared(kind: str, name: str, args: dict[str, Any]) -> dict[str, Any]:
    """A resource entry; ServiceSettings get their args as one mapping (a documented form
    for args from stack config), so unknown names reach ``check`` and its hint."""
    entry = spec(kind, name, **args)
    if kind == "ServiceSettings":
        entry["mapping"] = True
    return entry


def groups() -> list[Group]:
    """Constructor cases in one group; check cases merged per type while they do not
    conflict (first fit, in table order)."""
    constructor = Group("constructor", [c for c in CASES if c.field is None])
    merged: list[Group] = []
    for case in (c for c in CASES if c.field is not None):
        home = next(
            (
                g
                for g in merged
                if g.cases[0].kind == case.kind
                and not any(case.conflicts(o) or o.conflicts(case) for o in g.cases)
            ),
            None,
        )
        if home is None:
            home = Group(f"bad-{case.kind.lower()}-{len(merged)}", [])
            merged.append(home)
        home.cases.append(case)
    return [constructor, *merged]


def expected_line(group: Group, case: Case) -> re.Pattern[str]:
    if case.field is None:
        return re.compile(rf"error: resource '{re.escape(case.id)}': .*{case.expect}")
    return re.compile(
        rf"resource '{re.escape(group.name)}': property {re.escape(case.field)} value .* "
        rf"has a problem: .*{case.expect}"
    )


@dataclass
class PreviewRun:
    """What one preview of a group printed, and the calls the emulator got meanwhile."""

    exit_code: int
    output: str
    calls: list[Any]


class BadInputRuns:
    """Runs each group's preview once (lazily), shared by the per-case tests."""

    def __init__(self, sandbox: PulumiSandbox, emulator: Any) -> None:
        self.stack = FaultStack(sandbox, emulator)
        self.emulator = emulator
        self.runs: dict[str, PreviewRun] = {}
        self.by_case = {c.id: g for g in groups() for c in g.cases}

    def run(self, group: Group) -> PreviewRun:
        return self.preview(group.name, group.resources())

    def preview(self, name: str, resources: list[dict[str, Any]]) -> PreviewRun:
        if name not in self.runs:
            self.emulator.clear_faults()
            self.emulator.clear_calls()
            done = self.stack.sandbox.cli(
                "preview", "--stack", "test", "--suppress-progress", "--diff",
                "--config", f"faults:resources={json.dumps(resources)}",
                cwd=self.stack.sandbox.root / "program", check=False,
            )  # fmt: skip
            self.runs[name] = PreviewRun(
                done.returncode, done.stdout + done.stderr, self.emulator.calls()
            )
        return self.runs[name]


@pytest.fixture(scope="module")
def bad_input_runs(
    engine_bin: Any, emulator_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BadInputRuns]:
    emulator_server.reset()
    sandbox = PulumiSandbox(engine_bin=engine_bin, root=tmp_path_factory.mktemp("bad-inputs"))
    yield BadInputRuns(sandbox, emulator_server)


def test_the_table_is_big_and_every_case_is_really_malformed() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
    for case in CASES:  # a case changes its base, so the base alone is not what fails
        assert case.args() != BASES[case.kind], case.id


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_fails_preview_naming_the_field_without_any_call(
    bad_input_runs: BadInputRuns, case: Case
) -> None:
    group = bad_input_runs.by_case[case.id]
    run = bad_input_runs.run(group)
    assert run.exit_code != 0, run.output
    assert run.calls == [], f"preview of {group.name} called the API: {run.calls}"
    pattern = expected_line(group, case)
    assert pattern.search(run.output), (
        f"{case.id}: no line matching {pattern.pattern!r} in:\n{run.output}"
    )
    # The package never crashes: no traceback frame of it (the constructor group's program
    # ends with its own RuntimeError, as a program with a TypeError would).
    assert not re.search(r'File "[^"]*pulumi_datadog_testing', run.output), run.output
    if case.field is not None:
        assert "Traceback" not in run.output, run.output


def test_the_valid_bases_preview_cleanly_beside_the_constructor_errors(
    bad_input_runs: BadInputRuns,
) -> None:
    """The control: the bases every case starts from pass check (they preview as creates in
    the constructor group's run), so each failure above comes from the case's own change."""
    group = next(g for g in groups() if g.name == "constructor")
    run = bad_input_runs.run(group)
    assert run.calls == []
    assert "resource 'control-" not in run.output, run.output
    for kind in BASES:
        urn = f"urn:pulumi:test::faults::pulumi-python:dynamic/datadog-testing:{kind}::control-"
        assert f"[urn={urn}{kind.lower()}]" in run.output, (kind, run.output)


TRICKY_REPOSITORY = "gitlab.com/acme/sub~group/shop~1"
TRICKY_TESTS = [
    {"module": "pkg/sub~1", "suite": "Suite/~0", "name": "test a/b ~1 ~0", "state": "active"},
    {"module": "pkg/sub~1", "suite": "Suite/~0", "name": "test c/~d", "state": "active"},
]


def tricky_program(seeded: Seeded, tags: list[str]) -> list[dict[str, Any]]:
    """Values with ``~`` and ``/`` (JSON Pointer's escape and separator) in every string a
    resource takes: names, ids, tags, selectors, branches, reasons."""
    first = seeded.tests[0]
    return [
        spec("SyntheticsSuite", "tricky-suite", name="Suite ~1 a/b ~0 /~/", tags=tags,
             message="see ~1/runbooks/~0", tests=[{"public_id": "abc-~1-/01"}],
             options={"alerting_threshold": 1}),
        spec("ServiceSettings", "tricky-settings", repository_id=TRICKY_REPOSITORY,
             service_name="svc/a~1b", env="pre~0prod/1", code_coverage_enabled=True),
        spec("FlakyTestState", "tricky-selector", repository_id=TRICKY_REPOSITORY,
             module=first["module"], suite=first["suite"], name=first["name"],
             state="disabled", reason="JIRA-1 ~1/ see /a~0b"),
        spec("FlakyTestStates", "tricky-bulk", repository_id=TRICKY_REPOSITORY,
             states={seeded.ids[1]: "quarantined"}, reason="~/~1"),
        spec("FlakyTestPolicies", "tricky-policies", repository_id=TRICKY_REPOSITORY,
             quarantined={"branch_rule": {"enabled": True, "branches": ["release/~1.x", "a~0/b"]}}),
    ]  # fmt: skip


def test_valid_but_tricky_values_work_end_to_end(
    pulumi_sandbox: PulumiSandbox, emulator: Any
) -> None:
    added = emulator.add_flaky_tests(
        *({**t, "repository_id": TRICKY_REPOSITORY} for t in TRICKY_TESTS)
    )
    seeded = Seeded(TRICKY_REPOSITORY, [t.model_dump() for t in added.tests])
    stack = FaultStack(pulumi_sandbox, emulator)
    tags = ["path:/a/b", "tilde:~1", "both:~0/~1", "end~"]
    stack.declare(tricky_program(seeded, tags))
    stack.up()
    stack.reconcile(flaky_baseline=seeded.baseline).assert_clean()
    suite = emulator_suite(emulator, stack.resource_ids("SyntheticsSuite")[0])
    assert sorted(suite["tags"]) == sorted(tags)
    assert suite["name"] == "Suite ~1 a/b ~0 /~/"

    # A guarded JSON Patch whose test ops carry those values: one tag out, one in.
    stack.declare(tricky_program(seeded, ["path:/a/b", "tilde:~1", "both:~0/~1", "new/~0~1"]))
    stack.up()
    stack.assert_no_changes()
    result = stack.reconcile(flaky_baseline=seeded.baseline)
    result.assert_clean()
    assert sum(result.checked.values()) == 5
    suite = emulator_suite(emulator, stack.resource_ids("SyntheticsSuite")[0])
    assert sorted(suite["tags"]) == sorted(["path:/a/b", "tilde:~1", "both:~0/~1", "new/~0~1"])


def emulator_suite(emulator: Any, public_id: str) -> dict[str, Any]:
    from tests.support.reconcile import ServerReader

    with ServerReader(emulator.url, emulator.headers()) as server:
        found = server.suite(public_id)
    assert found is not None
    return found
