"""``FlakyTestStates``: the states of many flaky tests of one repository, applied in bulk.

Two ways to say which tests:

- ``states={test_id: state, ...}`` — explicit. ``pulumi preview`` lists the per-test changes
  (a map input diffs per key).
- ``query=... , state=...`` — every test of the repository matching a flaky-tests search
  query gets ``state``. The query is resolved (one paginated search) at create and whenever
  ``query`` or ``state`` changes. ``pulumi refresh`` re-runs the query and records the
  tests that newly match in ``pending_test_ids``: they are then a pending change that the
  next ``pulumi up`` applies (diff only looks at recorded outputs, so a preview makes no
  API call). Tests that stop matching keep their state and stay managed until
  ``query`` changes or the resource is destroyed (so a query on ``flaky_test_state:active``
  does not flap once its tests are quarantined).

Semantics (both forms; the API work is in ``_flaky``):

- create reads every test (batched search), records its state in ``previous_states``, and
  sends only the tests whose state changes, in as few ``PATCH`` calls as
  ``datadog-testing:flakyBulkChunkSize`` (default 1,000 tests per call) allows.
- update sends only the changed tests; tests removed from the set go back to their
  ``previous_states`` entry; tests added are read first.
- delete sets each test Pulumi changed back to its ``previous_states`` entry.
- refresh reads the managed tests' states (drift shows as ``states`` changes) and, for the
  query form, re-runs the query.
- All or nothing: if any test fails, the tests already changed are set back and the error
  names every failed test and Datadog's error.
- ``reason`` is a free-text justification, ``owner`` free text (e.g. ``@acme/payments``) and
  ``expires`` an ISO date (``YYYY-MM-DD``) after which the ``flaky-quarantine-expiry`` policy
  fails preview; all three are kept in Pulumi state only (never sent; changing them makes no
  API call). In the map form a test may carry its own: ``states={id: {"state":
  "quarantined", "expires": "2026-12-31", "owner": "@acme/payments", "reason": "..."}}``
  (see ``_flaky_notes``); the resource-level ones apply to tests without their own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from ..errors import InvalidResourceIdError
from ..heap import limit_malloc_arenas, release_free_memory
from ..identity import FlakyState
from ..type_tokens import ResourceKind
from . import _flaky
from ._base import has_unknowns, unchanged
from ._flaky_values import NOTE_KEYS, FlakyTestEntryArgs, notes_map, plain_states
from ._lazy import lazy_exports
from .flaky_test_states_resource import (  # the program side, re-exported here
    OUTPUTS,
    FlakyTestStates,
    FlakyTestStatesArgs,
    documented_outputs,
    overlap,
    stored_set,
)
from .prior_values import (
    PRIORS_KEY,
    Captured,
    PriorSpec,
    captured_of,
    carry_priors,
    decoded,
    encoded,
    pack_values,
    unpack_values,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..models import FlakyTest
    from ._flaky_test_states_inputs import FlakyTestStatesInputs

__all__ = [
    "FlakyTestEntryArgs",
    "FlakyTestStates",
    "FlakyTestStatesArgs",
    "FlakyTestStatesInputs",
    "documented_outputs",
]


_MODELS: Final = f"{__package__}._flaky_test_states_inputs"
"""Where the input model lives (loaded on first use: see ``__getattr__``)."""


__getattr__ = lazy_exports(__name__, _MODELS, ("FlakyTestStatesInputs",))
"""The input model, importable from here as before, loaded only when used (``_lazy``)."""


def form_failures(props: Mapping[str, Any]) -> list[CheckFailure]:
    """``states`` xor ``query`` + ``state``."""
    has = {k: props.get(k) is not None for k in ("states", "query", "state")}
    if has["states"] and has["query"]:
        return [
            CheckFailure("query", "set either states ({test_id: state}) or query + state, not both")
        ]
    if not has["states"] and not has["query"]:
        return [
            CheckFailure(
                "states",
                "missing: set states ({test_id: state}) or query (a flaky tests search query) "
                "+ state",
            )
        ]
    if has["query"] and not has["state"]:
        return [
            CheckFailure(
                "state", "missing: with query, state is the state every matching test gets"
            )
        ]
    if has["states"] and has["state"]:
        return [
            CheckFailure(
                "state", "only used with query; with states, give each test its state in the map"
            )
        ]
    return []


class FlakyTestStatesProvider(_flaky.FlakyProvider):
    """Dynamic provider of ``FlakyTestStates`` (see the module docstring)."""

    OUTPUTS = OUTPUTS
    KIND = ResourceKind.FLAKY_TEST_STATES

    form_failures = staticmethod(form_failures)

    def inputs_model(self) -> type[BaseModel]:
        from ._flaky_test_states_inputs import FlakyTestStatesInputs

        return FlakyTestStatesInputs

    def unchanged(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> CheckResult | None:
        # check's output is its input without None values (top level; a None inside a
        # test's object is dropped too, so such inputs differ from olds and are validated)
        return unchanged(olds, {k: v for k, v in news.items() if v is not None})

    def diff_tests(self, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Notes (expires/owner/reason) change state only: an update that sends nothing.
        changed = any(news.get(k) != olds.get(k) for k in ("query", "state", *NOTE_KEYS))
        if news.get("states") is not None:
            new = news["states"]
            changed = (
                changed
                or has_unknowns(new)
                or plain_states(new) != _flaky.states_map(olds.get("states"))
                or notes_map(new) != (olds.get("test_notes") or {})
            )
        elif olds.get("query") is not None and news.get("query") is not None:
            managed = set(_flaky.states_map(olds.get("previous_states")))
            pending = set(olds.get("pending_test_ids") or ()) - managed
            drifted = any(
                s != news.get("state") for s in _flaky.states_map(olds.get("states")).values()
            )
            changed = changed or bool(pending) or drifted
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = _parse(props)
        _tune_if_large(len(inputs.states or ()))
        captured = captured_of(props)
        desired, known = self._desired(inputs, None, captured)
        outputs = _Outputs(props, inputs)
        managed = _flaky.reconcile(
            self.api.test_optimization,
            inputs.repository_id,
            _flaky.Managed(),
            desired,
            target=_target(inputs),
            known=known,
            captured=captured.values if captured else None,
            meanwhile=outputs.build,
        )
        del captured, desired, known
        _release_if_large(len(managed.previous))
        return CreateResult(f"{inputs.repository_id}::{uuid.uuid4().hex[:16]}", outputs.of(managed))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = _parse(news)
        old = _flaky.managed_of(olds, "previous_states", "states")
        _tune_if_large(len(old.previous) + len(inputs.states or ()))
        captured = captured_of(news)
        desired, known = self._desired(inputs, olds, captured)
        outputs = _Outputs(news, inputs)
        managed = _flaky.reconcile(
            self.api.test_optimization,
            inputs.repository_id,
            old,
            desired,
            target=_target(inputs),
            known=known,
            captured=captured.values if captured else None,
            meanwhile=outputs.build,
        )
        del captured, desired, known
        _release_if_large(len(managed.previous) + len(old.previous))
        return UpdateResult(outputs.of(managed))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        old = _flaky.managed_of(props, "previous_states", "states")
        _release_if_large(len(old.previous))  # what reading the properties left behind
        target = f"FlakyTestStates of repository {props.get('repository_id')!r}"
        _flaky.reconcile(
            self.api.test_optimization, str(props.get("repository_id")), old, {}, target=target
        )

    def _adopt(self, id_: str) -> ReadResult:
        """``pulumi import`` / ``FlakyTestStates.get`` with ``<repository_id>::<id>[,<id>...]``:
        the listed tests, each in its current state (what a later release puts back)."""
        repository_id, sep, listed = id_.rpartition("::")
        test_ids = sorted({t.strip() for t in listed.split(",") if t.strip()})
        if not sep or not repository_id or not test_ids:
            raise InvalidResourceIdError(
                f"FlakyTestStates id {id_!r}: to adopt tests, give "
                "'<repository_id>::<test_id>[,<test_id>...]' (e.g. "
                "'github.com/acme/shop::4eb1887a8adb1847,9f0c2b7d11aa0e35')"
            )
        target = f"FlakyTestStates {id_!r}"
        found = _flaky.read_tests(
            self.api.test_optimization, repository_id, test_ids, target=target
        )
        if missing := [t for t in test_ids if t not in found]:
            raise InvalidResourceIdError(
                f"{target}: {', '.join(missing)} not among the flaky tests of repository "
                f"{repository_id!r}; check the ids (the `id` of the flaky tests search)"
            )
        current = {t: _flaky.state_of(found[t]) for t in test_ids}
        from ._flaky_test_states_inputs import FlakyTestStatesInputs

        inputs = FlakyTestStatesInputs.model_validate(
            {"repository_id": repository_id, "states": current}
        )
        outs = _outputs(inputs, _flaky.Managed(previous=dict(current), current=dict(current)))
        return ReadResult(id_, outs, inputs.model_dump(mode="json", exclude_none=True))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if not props.get("repository_id"):
            return self._adopt(id_)
        props = _full_priors(props)
        inputs = _parse(props)
        old = _flaky.managed_of(props, "previous_states", "states")
        _tune_if_large(len(old.previous))
        target = _target(inputs)
        api = self.api.test_optimization
        found: dict[str, FlakyState] = {}  # states only: no model per test (large sets)
        matched: set[str] = set()
        if inputs.query is not None:
            hits = _flaky.search_states(api, _scoped(inputs), target=target)
            matched = set(hits)
            found = {i: s for i, s in hits.items() if i in old.previous}
        rest = [i for i in old.previous if i not in found]
        if rest:
            found.update(_flaky.read_states(api, inputs.repository_id, rest, target=target))
        _release_if_large(len(found) + len(matched))
        # A test the search no longer returns cannot be restored: it leaves the managed set.
        managed = _flaky.Managed(
            previous={i: s for i, s in old.previous.items() if i in found},
            current={i: found[i] for i in old.previous if i in found},
        )
        outs = _outputs(inputs, managed, sorted(matched - managed.previous.keys()))
        if kept := {i: n for i, n in (props.get("test_notes") or {}).items() if i in found}:
            outs["test_notes"] = kept
        refreshed = inputs.model_dump(mode="json", exclude_none=True)
        if inputs.states is not None:
            # the read states; a test with notes of its own keeps them (object form)
            notes = props.get("test_notes") or {}
            refreshed["states"] = {
                test_id: {**notes[test_id], "state": state} if test_id in notes else state
                for test_id, state in managed.current.items()
            }
        return ReadResult(id_, _stored_priors(props, outs), carry_priors(props, refreshed))

    def _desired(
        self,
        inputs: FlakyTestStatesInputs,
        olds: Mapping[str, Any] | None,
        captured: Captured | None = None,
    ) -> tuple[dict[str, FlakyState], dict[str, FlakyTest]]:
        """(test id → state wanted, tests already read by the query's search)."""
        if inputs.states is not None:
            return inputs.desired_states(), {}
        assert inputs.query is not None and inputs.state is not None
        same_query = olds is not None and olds.get("query") == inputs.query
        if same_query and olds is not None and olds.get("state") == inputs.state:
            # Add what refresh found (what preview showed as a change): no search here.
            matched = sorted(olds.get("pending_test_ids") or ())
            known: dict[str, FlakyTest] = {}
        elif captured is not None and olds is None:
            # Create: the tests the query matched when their states were captured (no second
            # search; after an interrupted run a query such as ``flaky_test_state:active`` no
            # longer matches the tests Pulumi already changed).
            matched, known = sorted(captured.values), {}
        else:
            hits = _flaky.search(
                self.api.test_optimization, _scoped(inputs), target=_target(inputs)
            )
            matched = sorted({t.id for t in hits})
            known = {t.id: t for t in hits}
        keep = _flaky.states_map(olds.get("previous_states")) if same_query and olds else {}
        ids = dict.fromkeys([*keep, *matched])
        return {i: inputs.state for i in ids}, known


def _capture(declared: Mapping[str, Any], known: Captured | None) -> Captured:
    """The state of every declared test (query form: every test the query matches) before
    any write; tests already in ``known`` keep their captured state, the others are read."""
    inputs = _parse(declared)
    _tune_if_large(len(inputs.states or ()))
    api = FlakyTestStatesProvider().api.test_optimization
    kept = dict(known.values) if known is not None else {}
    if inputs.states is not None:
        wanted = list(inputs.states)
        missing = [i for i in wanted if i not in kept]
        found = _flaky.read_states(api, inputs.repository_id, missing, target=_target(inputs))
    else:
        found = _flaky.search_states(api, _scoped(inputs), target=_target(inputs))
        wanted = sorted(found)
    # A bare state per test (``_flaky.captured_state``): the lightest value in state.
    values = {i: kept[i] if i in kept else found[i] for i in wanted if i in kept or i in found}
    del found
    _release_if_large(len(values))
    return Captured(values, True)


def _scope(declared: Mapping[str, Any]) -> Any:
    states = declared.get("states")
    return sorted(states) if isinstance(states, Mapping) else [declared.get("query")]


def _adopt(declared: Mapping[str, Any], captured: Captured) -> tuple[str, dict[str, Any]] | None:
    inputs = _parse(declared)
    prior = {i: _flaky.captured_state(v) for i, v in captured.values.items()}
    if inputs.states is not None:
        desired: dict[str, FlakyState] = inputs.desired_states()
    else:
        assert inputs.state is not None
        desired = dict.fromkeys(prior, inputs.state)
    if any(i not in prior for i in desired):
        return None
    managed = _flaky.Managed({i: prior[i] for i in desired}, desired)
    return f"{inputs.repository_id}::{uuid.uuid4().hex[:16]}", _outputs(inputs, managed)


PRIOR_SPEC: Final = PriorSpec(
    identity=lambda d: [d.get("repository_id")],
    scope=_scope,
    capture=_capture,
    overlap=overlap,
    adopt=_adopt,
    provider=FlakyTestStatesProvider,
    delete_before_replace=True,
)
"""How ``PriorValues`` captures a ``FlakyTestStates``' prior states (see ``prior_values``)."""


def _parse(props: Mapping[str, Any]) -> FlakyTestStatesInputs:
    raw = _flaky.declared(props, OUTPUTS)
    if raw.get("query") is not None:
        raw.pop("states", None)  # the query form's states are an output
    from ._flaky_test_states_inputs import FlakyTestStatesInputs

    return FlakyTestStatesInputs.model_validate(raw)


RELEASE_FROM: Final = 1000
"""Tests from which a hook tunes the provider process's heap (``heap``; once) and gives the
heap's free memory back: after reading the properties (delete) or before the SDK serializes
the outputs (create, update, read, and the capture's), the process's peak for a large set. A
20,000-test ``up`` peaked ~11 MB and its ``destroy`` ~5 MB lower (2026-12-01). The tuning comes
first thing in a hook (and in the capture), before its searches and PATCHes run on
threads of their own: an arena a thread made before the cap stays. Smaller sets are left
alone."""


def _tune_if_large(tests: int) -> None:
    if tests >= RELEASE_FROM:
        limit_malloc_arenas()


def _release_if_large(tests: int) -> None:
    if tests >= RELEASE_FROM:
        limit_malloc_arenas()
        release_free_memory()


NOT_CAPTURED: Final = "not_captured"
"""In the ``__priors`` *output*: the managed tests the capture has no value for. Its presence
says the output holds only the captured values that differ from ``previous_states``."""


class _Outputs:
    """The outputs of a create or update, built from the set ``reconcile`` will return
    while its first ``PATCH`` calls are in flight (``build``: a 20,000-test set's outputs
    took ~40-100 ms after the last answer), else after it returned (``of``)."""

    def __init__(self, props: Mapping[str, Any], inputs: FlakyTestStatesInputs) -> None:
        self._props, self._inputs = props, inputs
        self._built: tuple[_flaky.Managed, dict[str, Any]] | None = None

    def build(self, managed: _flaky.Managed) -> None:
        self._built = (managed, _stored_priors(self._props, _outputs(self._inputs, managed)))

    def of(self, managed: _flaky.Managed) -> dict[str, Any]:
        """The outputs for ``managed`` (the set ``reconcile`` returned)."""
        if self._built is not None and self._built[0] is managed:
            return self._built[1]
        return _stored_priors(self._props, _outputs(self._inputs, managed))


def _stored_priors(props: Mapping[str, Any], outs: dict[str, Any]) -> dict[str, Any]:
    """``outs`` with the ``__priors`` input of ``props``, kept (for refresh to hand back) as
    the captured values that differ from ``outs["previous_states"]``: a managed test's prior
    state is what was captured, so storing the capture whole would put the same 20,000 values
    into state, and through every gRPC call, twice. ``_full_priors`` reverses it."""
    raw = decoded(props.get(PRIORS_KEY))
    if raw is None or not isinstance(raw.get("values"), Mapping):
        return carry_priors(props, outs)
    if raw["values"] == outs["previous_states"]:  # the same (packed) text: nothing differs
        differ: dict[str, Any] = {}
        not_captured: list[str] = []
    else:
        values = unpack_values(raw["values"])
        previous = _flaky.states_map(outs["previous_states"])
        differ = {k: v for k, v in values.items() if previous.get(k) != v}
        not_captured = sorted(k for k in previous if k not in values)
    stored = {
        **{k: v for k, v in raw.items() if k != NOT_CAPTURED},
        "values": pack_values(differ),
        NOT_CAPTURED: not_captured,
    }
    # in the input's form: the JSON text (``encoded``), or the mapping of a state from before
    outs[PRIORS_KEY] = encoded(stored) if isinstance(props.get(PRIORS_KEY), str) else stored
    return outs


def _full_priors(props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` (outputs) with their ``__priors`` whole again (``_stored_priors`` reversed;
    outputs stored whole, as before, are returned as they are)."""
    raw = decoded(props.get(PRIORS_KEY))
    if raw is None or NOT_CAPTURED not in raw:
        return dict(props)
    skipped = set(raw.get(NOT_CAPTURED) or ())
    previous = _flaky.states_map(props.get("previous_states"))
    values = {k: v for k, v in previous.items() if k not in skipped}
    values.update(unpack_values(raw.get("values") or {}))
    whole = {k: v for k, v in raw.items() if k != NOT_CAPTURED}
    restored = {**whole, "values": pack_values(values)}
    is_text = isinstance(props.get(PRIORS_KEY), str)  # stored as it came (_stored_priors)
    return {**props, PRIORS_KEY: encoded(restored) if is_text else restored}


def _scoped(inputs: FlakyTestStatesInputs) -> str:
    return f"{_flaky.repository_clause(inputs.repository_id)} ({inputs.query})"


def _target(inputs: FlakyTestStatesInputs) -> str:
    what = f"query {inputs.query!r}" if inputs.query is not None else "states"
    return f"FlakyTestStates ({what}) of repository {inputs.repository_id!r}"


def _outputs(
    inputs: FlakyTestStatesInputs, managed: _flaky.Managed, pending: list[str] | None = None
) -> dict[str, Any]:
    outs: dict[str, Any] = {
        "repository_id": inputs.repository_id,
        "states": dict(sorted(managed.current.items())),
        **stored_set(managed.previous),
    }
    for key in ("query", "state", *NOTE_KEYS):
        value = getattr(inputs, key)
        if value is not None:
            outs[key] = value
    if inputs.states is not None and (notes := notes_map(inputs.states)):
        outs["test_notes"] = notes
    if inputs.query is not None:
        outs["pending_test_ids"] = pending or []
    return outs
