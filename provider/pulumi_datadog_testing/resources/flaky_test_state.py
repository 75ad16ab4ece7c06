"""``FlakyTestState``: the state of one flaky test, chosen by id or by module/suite/name.

- ``test_id=...``: the test's id (the ``id`` of the flaky tests search).
- ``module``/``suite``/``name`` (any of them, exact, case-sensitive match): resolved through
  the search endpoint within ``repository_id`` at create, and again when the selector
  changes. It must match exactly one test: zero or several matches are an error that lists
  the candidates' fully qualified names. The resolved id is the ``test_id`` output.

Semantics: create records the test's current state (``previous_state``) and changes it only
if it differs; update changes the state; delete puts the test back in ``previous_state`` if
Pulumi changed it; refresh reads the state (drift becomes a pending change). Changing
``test_id``, ``repository_id``, or a selector that no longer matches the managed test
replaces the resource (the old test is released). ``reason`` (a free-text justification),
``owner`` (free text, e.g. ``@acme/payments``) and ``expires`` (an ISO date, ``YYYY-MM-DD``:
the last day the quarantine is meant to last, checked by the ``flaky-quarantine-expiry``
policy) are kept in Pulumi state only: never sent, and changing them makes no API call. The id is ``<repository_id>::<test_id>``;
``FlakyTestState.get(name, id)`` reads an existing test without changing it.
"""

from __future__ import annotations

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

from ..errors import FlakyTestSelectorError, FlakyTestsNotFoundError
from ..identity import flaky_test_state_id, parse_flaky_test_state_id
from ..type_tokens import ResourceKind
from . import _flaky, _flaky_batch, _flaky_select
from ._base import has_unknowns, refreshed, unchanged
from ._flaky_select import selector_of
from ._flaky_values import NOTE_KEYS, SELECTOR
from ._lazy import lazy_exports
from .flaky_test_state_resource import (  # the program side, re-exported here
    OUTPUTS,
    FlakyTestState,
    FlakyTestStateArgs,
    documented_outputs,
    overlap,
    recorded_outputs,
    recorded_priors,
)
from .prior_values import (
    PRIORS_KEY,
    Captured,
    PriorSpec,
    captured_of,
    carry_priors,
)

__all__ = [
    "FlakyTestState",
    "FlakyTestStateArgs",
    "FlakyTestStateInputs",
    "documented_outputs",
    "recorded_outputs",
]

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..models import FlakyTest
    from ._flaky_test_state_inputs import FlakyTestStateInputs

MAX_CANDIDATES_SHOWN: Final = 20
_MODELS: Final = f"{__package__}._flaky_test_state_inputs"
"""Where the input model lives (loaded on first use: see ``__getattr__``)."""


__getattr__ = lazy_exports(__name__, _MODELS, ("FlakyTestStateInputs",))
"""The input models, importable from here as before, loaded only when used (``_lazy``)."""


def _form_failures(props: Mapping[str, Any]) -> list[CheckFailure]:
    has_selector = any(props.get(k) is not None for k in SELECTOR)
    if props.get("test_id") is not None and has_selector:
        return [
            CheckFailure(
                "test_id",
                "set either test_id or a selector (module/suite/name), not both",
            )
        ]
    if props.get("test_id") is None and not has_selector:
        return [
            CheckFailure(
                "test_id",
                "missing: set test_id, or select the test by module/suite/name (exact match)",
            )
        ]
    return []


class FlakyTestStateProvider(_flaky.FlakyProvider):
    """Dynamic provider of ``FlakyTestState`` (see the module docstring)."""

    OUTPUTS = OUTPUTS
    KIND = ResourceKind.FLAKY_TEST_STATE

    form_failures = staticmethod(_form_failures)

    def inputs_model(self) -> type[BaseModel]:
        from ._flaky_test_state_inputs import FlakyTestStateInputs

        return FlakyTestStateInputs

    def unchanged(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> CheckResult | None:
        # check's output is its input without None values (strings are kept as given)
        return unchanged(olds, {k: v for k, v in news.items() if v is not None})

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate; a new test id or selector is noted (no API call) so that the create's
        search reads it together with the other tests this process is about to create."""
        result = super().check(olds, news)
        if not result.failures and not has_unknowns(result.inputs):
            _announce(result.inputs, olds)
        return result

    def diff_tests(self, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if news.get("test_id") is not None:
            if news["test_id"] != olds.get("test_id"):
                return DiffResult(changes=True, replaces=["test_id"], delete_before_replace=False)
        else:
            selector = {k: news.get(k) for k in SELECTOR}
            if has_unknowns(selector):
                return DiffResult(changes=True, replaces=_changed(olds, news, SELECTOR))
            recorded = recorded_outputs(olds)
            resolved = {k: recorded.get(f"test_{k}") for k in SELECTOR}
            if any(v is not None and v != resolved[k] for k, v in selector.items()):
                # The managed test does not match the new selector: it names another test.
                return DiffResult(changes=True, replaces=_changed(olds, news, SELECTOR))
        # Notes (expires/owner/reason) change state only: an update that sends nothing.
        changed = _changed(olds, news, ("state", *NOTE_KEYS, *SELECTOR))
        return DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = _parse(props)
        captured = captured_of(props)
        if captured is not None and len(captured.values) == 1:
            [(test_id, value)] = captured.values.items()
            test = _flaky.captured_test(test_id, value)
        else:
            test = self._resolve(inputs)
        managed = _flaky.reconcile(
            self.api.test_optimization,
            inputs.repository_id,
            _flaky.Managed(),
            {test.id: inputs.state},
            target=_target(inputs),
            known={test.id: test},
            captured=captured.values if captured else None,
        )
        return CreateResult(
            flaky_test_state_id(inputs.repository_id, test.id), _outputs(inputs, test, managed)
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = _parse(news)
        old = _managed(olds)
        old_id = str(olds["test_id"])
        selector_changed = inputs.test_id is None and any(
            olds.get(k) != getattr(inputs, k) for k in SELECTOR
        )
        if selector_changed:
            test = self._resolve(inputs)
            if test.id != old_id:
                raise FlakyTestSelectorError(
                    f"{_target(inputs)}: the selector now matches test {test.id} "
                    f"({_flaky.fqn(test)}), not the managed test {old_id}; "
                    "run `pulumi refresh`, then `pulumi up` to replace the resource",
                    [_flaky.fqn(test)],
                )
        else:
            test = _recorded_test(olds)
        managed = _flaky.reconcile(
            self.api.test_optimization,
            inputs.repository_id,
            old,
            {old_id: inputs.state},
            target=_target(inputs),
        )
        return UpdateResult(_outputs(inputs, test, managed))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        target = (
            f"FlakyTestState {props.get('test_id')!r} of repository {props.get('repository_id')!r}"
        )
        _flaky.reconcile(
            self.api.test_optimization,
            str(props.get("repository_id")),
            _managed(props),
            {},
            target=target,
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        repository_id, test_id = parse_flaky_test_state_id(id_)
        target = f"FlakyTestState {test_id!r} of repository {repository_id!r}"
        found = _flaky.read_tests(
            self.api.test_optimization, repository_id, [test_id], target=target
        )
        if test_id not in found:
            return ReadResult("", {})  # gone: no longer a flaky test of the repository
        test = found[test_id]
        current = _flaky.state_of(test)
        adopting = props.get("state") is None
        from ._flaky_test_state_inputs import FlakyTestStateInputs

        inputs = FlakyTestStateInputs.model_validate(
            {
                **{k: props[k] for k in (*SELECTOR, *NOTE_KEYS) if props.get(k) is not None},
                "repository_id": repository_id,
                "test_id": None if any(props.get(k) for k in SELECTOR) else test_id,
                "state": current,
            }
        )
        recorded = recorded_outputs(props).get("previous_state")
        previous = current if adopting else str(recorded or current)
        managed = _flaky.Managed({test_id: previous}, {test_id: current})  # type: ignore[dict-item]
        legacy = _legacy(props)
        outputs = _outputs(inputs, test, managed, legacy=legacy)
        return refreshed(
            id_,
            props,
            carry_priors(props, outputs) if legacy else outputs,
            carry_priors(props, inputs.model_dump(exclude_none=True)),
        )

    def _resolve(self, inputs: FlakyTestStateInputs) -> FlakyTest:
        """The test named by ``test_id`` or the selector (exactly one match)."""
        target = _target(inputs)
        if inputs.test_id is not None:
            found = _flaky.read_tests(
                self.api.test_optimization, inputs.repository_id, [inputs.test_id], target=target
            )
            if inputs.test_id not in found:
                raise FlakyTestsNotFoundError(
                    f"{target}: test id {inputs.test_id} not found among the flaky tests of "
                    f"repository {inputs.repository_id!r}; check test_id and repository_id — "
                    "nothing was changed",
                    [inputs.test_id],
                )
            return found[inputs.test_id]
        selector = inputs.selector()
        matches = _flaky.select_tests(
            self.api.test_optimization, inputs.repository_id, selector_of(selector), target=target
        )
        if len(matches) == 1:
            return matches[0]
        described = ", ".join(f"{k}={v!r}" for k, v in selector.items())
        if not matches:
            raise FlakyTestSelectorError(
                f"{target}: no flaky test of repository {inputs.repository_id!r} has {described} "
                "(exact, case-sensitive match); check the spelling and repository_id, or set "
                "test_id — nothing was changed",
                [],
            )
        names = sorted(f"{_flaky.fqn(t)} ({t.id})" for t in matches)
        shown = ", ".join(names[:MAX_CANDIDATES_SHOWN])
        more = (
            f" and {len(names) - MAX_CANDIDATES_SHOWN} more"
            if len(names) > MAX_CANDIDATES_SHOWN
            else ""
        )
        raise FlakyTestSelectorError(
            f"{target}: {len(matches)} flaky tests of repository {inputs.repository_id!r} have "
            f"{described}: {shown}{more}; add module/suite/name to select one, or set test_id — "
            "nothing was changed",
            names,
        )


def _capture(declared: Mapping[str, Any], known: Captured | None) -> Captured:
    """The managed test's state (and module/suite/name) before any write: kept from ``known``
    when the test is already there, else read (resolving the selector)."""
    inputs = _parse(declared)
    if known is not None and inputs.test_id is not None and inputs.test_id in known.values:
        return Captured({inputs.test_id: known.values[inputs.test_id]}, True)
    try:
        test = FlakyTestStateProvider()._resolve(inputs)
    except (FlakyTestsNotFoundError, FlakyTestSelectorError):
        # Nothing to capture; the resource's own create finds the same and reports it on the
        # FlakyTestState the user declared (not on its PriorValues), before any write.
        return Captured({}, False)
    if known is not None and test.id in known.values:
        return Captured({test.id: known.values[test.id]}, True)
    return Captured({test.id: _flaky.captured_value(test, details=True)}, True)


def _announce(declared: Mapping[str, Any], olds: Mapping[str, Any] | None = None) -> None:
    """Note the test ``declared`` names — its id, or its selector — unless ``olds`` named
    it already: the next search of the repository reads it with the others."""
    olds = olds or {}
    repository_id, test_id = declared.get("repository_id"), declared.get("test_id")
    if not isinstance(repository_id, str):
        return
    same_repository = repository_id == olds.get("repository_id")
    parts = {k: declared.get(k) for k in SELECTOR}
    if any(isinstance(v, str) for v in parts.values()):
        if not same_repository or any(parts[k] != olds.get(k) for k in SELECTOR):
            selector = selector_of({k: v for k, v in parts.items() if isinstance(v, str)})
            _flaky_select.note(repository_id, [selector])
    elif isinstance(test_id, str) and (not same_repository or test_id != olds.get("test_id")):
        _flaky_batch.note(repository_id, [test_id])


def _adopt(declared: Mapping[str, Any], captured: Captured) -> tuple[str, dict[str, Any]] | None:
    inputs = _parse(declared)
    if len(captured.values) != 1:
        return None
    [(test_id, value)] = captured.values.items()
    test = _flaky.captured_test(test_id, value)
    managed = _flaky.Managed({test_id: _flaky.state_of(test)}, {test_id: inputs.state})
    return flaky_test_state_id(inputs.repository_id, test_id), _outputs(inputs, test, managed)


PRIOR_SPEC: Final = PriorSpec(
    identity=lambda d: [d.get("repository_id")],
    scope=lambda d: [d.get(k) for k in ("test_id", *SELECTOR)],
    capture=_capture,
    overlap=overlap,
    adopt=_adopt,
    provider=FlakyTestStateProvider,
    announce=_announce,
    delete_before_replace=True,
)
"""How ``PriorValues`` captures a ``FlakyTestState``'s prior state (see ``prior_values``)."""


def _changed(olds: Mapping[str, Any], news: Mapping[str, Any], keys: tuple[str, ...]) -> list[str]:
    return [k for k in keys if news.get(k) != olds.get(k)]


def _parse(props: Mapping[str, Any]) -> FlakyTestStateInputs:
    from ._flaky_test_state_inputs import FlakyTestStateInputs

    raw = _flaky.declared(props, OUTPUTS)
    if any(raw.get(k) is not None for k in SELECTOR):
        raw.pop("test_id", None)  # the selector form's test_id is an output
    return FlakyTestStateInputs.model_validate(raw)


def _managed(outs: Mapping[str, Any]) -> _flaky.Managed:
    test_id = str(outs.get("test_id"))
    previous = recorded_outputs(outs).get("previous_state")
    return _flaky.Managed(
        {test_id: previous} if previous else {},
        {test_id: outs["state"]} if outs.get("state") else {},
    )


def _recorded_test(outs: Mapping[str, Any]) -> FlakyTest:
    """The managed test as recorded in the outputs (no API call)."""
    from ..models import FlakyTest

    recorded = recorded_outputs(outs)
    return FlakyTest.model_validate(
        {
            "id": outs["test_id"],
            "attributes": {k: recorded.get(f"test_{k}") for k in SELECTOR},
        }
    )


def _legacy(outs: Mapping[str, Any]) -> bool:
    """Whether a resource's outputs store ``previous_state`` & co. themselves (written before
    2026-12-02, by ``get`` or by an import): a refresh keeps them so."""
    return "previous_state" in outs or PRIORS_KEY not in outs


def _target(inputs: FlakyTestStateInputs) -> str:
    which = (
        f"test {inputs.test_id}"
        if inputs.test_id is not None
        else "test " + ", ".join(f"{k}={v!r}" for k, v in inputs.selector().items())
    )
    return f"FlakyTestState ({which}) of repository {inputs.repository_id!r}"


def _outputs(
    inputs: FlakyTestStateInputs,
    test: FlakyTest,
    managed: _flaky.Managed,
    *,
    legacy: bool = False,
) -> dict[str, Any]:
    """The inputs, the test and its state, and what it was before recorded once as
    ``__priors`` (``recorded_priors``; ``legacy``: as ``previous_state`` & co., see
    ``_legacy``)."""
    outs: dict[str, Any] = {
        **inputs.model_dump(exclude_none=True),
        "test_id": test.id,
        "state": managed.current[test.id],
    }
    parts = {key: getattr(test.attributes, key) for key in SELECTOR}
    if not legacy:
        outs[PRIORS_KEY] = recorded_priors(test.id, managed.previous[test.id], parts)
        return outs
    outs["previous_state"] = managed.previous[test.id]
    outs["fqn"] = _flaky.fqn(test)
    outs.update({f"test_{key}": value for key, value in parts.items() if value is not None})
    return outs
