"""``FlakyTestPolicies``: a repository's Flaky Tests Management policies, leaf by leaf.

Inputs mirror the API's policies object in snake_case (``attempt_to_fix.retries``;
``quarantined`` {``enabled``, ``auto_quarantine_rule``, ``branch_rule``,
``failure_rate_rule``}; ``disabled`` {``enabled``, ``auto_disable_rule``, ``branch_rule``,
``failure_rate_rule``}). Every leaf is optional: a leaf you do not set is not managed (never
sent, never reported as drift). Lists (``branches``...) are one leaf each.

- create gets the current policies (one call), records the managed leaves' values in
  ``previous_policies``, and sends one ``PATCH`` with only the leaves that differ.
- update sends only changed leaves; a leaf no longer declared goes back to its
  ``previous_policies`` value; a newly declared leaf is read first.
- delete sends the ``previous_policies`` values of the leaves Pulumi changed.
- refresh reads the policies; the managed leaves take the server's values.
- The id is the repository id; ``FlakyTestPolicies.get(name, repository_id)`` reads (and
  then manages) every leaf.
- check and diff make no API call; inputs identical to those check accepted before are not
  validated again (``as_checked``, ``_check.unchanged``), so a no-change preview loads no
  pydantic model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from ..errors import NotFoundError
from ..type_tokens import ResourceKind
from ._base import (
    DatadogResourceProvider,
    check_inputs,
    has_unknowns,
    refreshed,
    strip_provider,
    unchanged,
    write_or_undo,
)
from ._lazy import lazy_exports
from ._read_ahead import read_ahead
from .flaky_test_policies_resource import (  # the program side, re-exported here
    OUTPUTS,
    AttemptToFixArgs,
    AutoDisableRuleArgs,
    AutoQuarantineRuleArgs,
    BranchRuleArgs,
    DisabledArgs,
    FailureRateRuleArgs,
    FlakyTestPolicies,
    FlakyTestPoliciesArgs,
    QuarantinedArgs,
)
from .prior_values import (
    PRIORS_KEY,
    Captured,
    PriorSpec,
    captured_of,
    carry_priors,
    keep_captured,
    without_priors,
)

__all__ = [
    "OUTPUTS",
    "AttemptToFixArgs",
    "AutoDisableRuleArgs",
    "AutoQuarantineRuleArgs",
    "BranchRuleArgs",
    "DisabledArgs",
    "FailureRateRuleArgs",
    "FlakyTestPolicies",
    "FlakyTestPoliciesArgs",
    "FlakyTestPoliciesInputs",
    "FlakyTestPoliciesProvider",
    "QuarantinedArgs",
]

if TYPE_CHECKING:
    from ..models import FlakyTestsManagementPolicies
    from ._flaky_test_policies_inputs import FlakyTestPoliciesInputs

SECTIONS: Final = ("attempt_to_fix", "quarantined", "disabled")
FLOAT_LEAVES: Final = frozenset({"threshold"})
"""The leaves the input models hold as floats; every other number is an int."""

Leaf = tuple[str, ...]
Leaves = dict[Leaf, Any]

_MODELS: Final = f"{__package__}._flaky_test_policies_inputs"
"""Where the pydantic input models live (loaded on first use: see ``__getattr__``)."""
_MODEL_NAMES: Final = frozenset(
    {
        "AttemptToFixInput",
        "AutoDisableRuleInput",
        "AutoQuarantineRuleInput",
        "BranchRuleInput",
        "DisabledFailureRateRuleInput",
        "DisabledInput",
        "FlakyTestPoliciesInputs",
        "QuarantinedFailureRateRuleInput",
        "QuarantinedInput",
    }
)


__getattr__ = lazy_exports(__name__, _MODELS, _MODEL_NAMES)
"""The input models, importable from here as before, loaded only when used (``_lazy``)."""


# ---------------------------------------------------------------------------- leaves


def flatten(tree: Mapping[str, Any], prefix: Leaf = ()) -> Leaves:
    """``{"a": {"b": 1}}`` → ``{("a", "b"): 1}``; lists and ``None``-free scalars are leaves."""
    out: Leaves = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out.update(flatten(value, (*prefix, key)))
        elif value is not None:
            out[(*prefix, key)] = value
    return out


def unflatten(leaves: Mapping[Leaf, Any]) -> dict[str, Any]:
    """The inverse of ``flatten``."""
    tree: dict[str, Any] = {}
    for path, value in sorted(leaves.items()):
        node = tree
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = value
    return tree


def integral(value: Any) -> Any:
    """Whole floats as ints, recursively (the engine sends every number as a float)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: integral(v) for k, v in value.items()}
    if isinstance(value, list):
        return [integral(v) for v in value]
    return value


def as_checked(tree: Mapping[str, Any]) -> dict[str, Any]:
    """What check makes of valid inputs without validating them: ``None`` values dropped at
    any depth (as ``exclude_none``), whole numbers as ints (``integral``: the engine sends
    floats) except ``FLOAT_LEAVES``, which the models hold as floats."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            out[key] = as_checked(value)
        elif key not in FLOAT_LEAVES:
            out[key] = integral(value)
        else:
            out[key] = float(value) if type(value) is int else value
    return out


def _section_leaves(props: Mapping[str, Any]) -> Leaves:
    return flatten({k: props[k] for k in SECTIONS if isinstance(props.get(k), Mapping)})


def _dotted(path: Leaf) -> str:
    return ".".join(path)


# -------------------------------------------------------------------------- provider


class FlakyTestPoliciesProvider(DatadogResourceProvider):
    """Dynamic provider of ``FlakyTestPolicies`` (see the module docstring)."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        props = {k: v for k, v in integral(strip_provider(news)).items() if v is not None}
        # olds: the inputs check accepted, every number a float as the engine sends it
        old, new = as_checked(_declared(olds)), as_checked(_declared(news))
        result = unchanged(old, new) or _validated(props)
        if PRIORS_KEY in props:
            result.inputs[PRIORS_KEY] = props[PRIORS_KEY]
            keep_captured(ResourceKind.FLAKY_TEST_POLICIES, olds, result.inputs)
        return result

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        news = strip_provider(news)
        if news.get("repository_id") != olds.get("repository_id"):
            return DiffResult(changes=True, replaces=["repository_id"], delete_before_replace=False)
        changed = any(has_unknowns(news.get(k)) for k in SECTIONS) or _section_leaves(
            news
        ) != _section_leaves(olds)
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = _parse(props)
        desired = inputs.leaves()
        # The values from before any write (captured in state first), not read again here:
        # after an interrupted run the server may hold this resource's own writes.
        given = captured_of(props)
        current = _capture_leaves(self, inputs, given, list(desired))
        if given is not None:
            current = self._recheck_in_place(inputs, desired, current)
        previous = {leaf: current[leaf] for leaf in desired if leaf in current}
        send = {k: v for k, v in desired.items() if current.get(k) != v}
        write_or_undo(
            lambda: self._patch(inputs.repository_id, send),
            lambda: self._patch(
                inputs.repository_id, {k: previous[k] for k in send if k in previous}
            ),
            what="the policies",
        )
        return CreateResult(
            inputs.repository_id,
            carry_priors(props, _outputs(inputs.repository_id, desired, previous)),
        )

    def _recheck_in_place(
        self, inputs: FlakyTestPoliciesInputs, desired: Leaves, current: Leaves
    ) -> Leaves:
        """Leaves captured as already holding the declared value are not sent, so the server
        still holds their value from before this create: read them again (one get, only when
        there are such leaves). A capture taken after Pulumi's own write said so wrongly (a
        resource moved between the ledger and a sibling, then deleted alone, which put the
        value back): the server's value is then the prior one."""
        settled = [
            leaf for leaf, value in desired.items() if leaf in current and current[leaf] == value
        ]
        if not settled:
            return current
        server = self._get(inputs.repository_id)
        checked = dict(current)
        for leaf in settled:
            if leaf not in server:
                del checked[leaf]
            elif server[leaf] != desired[leaf]:
                checked[leaf] = server[leaf]
        return checked

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = _parse(news)
        old = integral(_section_leaves(olds))
        previous: Leaves = integral(flatten(olds.get("previous_policies") or {}))
        desired = inputs.leaves()
        current = dict(old)
        added = [leaf for leaf in desired if leaf not in old]
        if added:
            server = _capture_leaves(self, inputs, captured_of(news), added)
            current.update({leaf: server[leaf] for leaf in added if leaf in server})
            previous.update({leaf: server[leaf] for leaf in added if leaf in server})
        send = {k: v for k, v in desired.items() if current.get(k) != v}
        send.update(_restores(old, previous, keep=desired))
        self._patch(inputs.repository_id, send)
        kept = {leaf: v for leaf, v in previous.items() if leaf in desired}
        return UpdateResult(carry_priors(news, _outputs(inputs.repository_id, desired, kept)))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        old = integral(_section_leaves(props))
        previous = integral(flatten(props.get("previous_policies") or {}))
        self._patch(str(props["repository_id"]), _restores(old, previous, keep={}))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            server = self._get(id_, ahead=True)
        except NotFoundError:
            return ReadResult("", {})
        managed = _section_leaves(props)
        # A get/import has no state yet (no previous_policies): adopt every leaf. A refresh of
        # a created resource that declares no leaf manages nothing, so it reads nothing.
        adopting = not managed and props.get("previous_policies") is None
        leaves = server if adopting else {k: server[k] for k in managed if k in server}
        previous = server if adopting else integral(flatten(props.get("previous_policies") or {}))
        outs = _outputs(id_, leaves, {k: v for k, v in previous.items() if k in leaves})
        inputs = {"repository_id": id_, **unflatten(leaves)}
        return refreshed(id_, props, carry_priors(props, outs), carry_priors(props, inputs))

    def _get(self, repository_id: str, *, ahead: bool = False) -> Leaves:
        """The repository's policies as leaves; ``ahead``: a refresh's read, which takes the
        answer of a get run ahead (``_read_ahead``) if there is one."""
        get = self.api.test_optimization.get_flaky_tests_policies

        def fetch(identity: tuple[str]) -> FlakyTestsManagementPolicies:  # any repository
            return get(identity[0], target=_target(identity[0]))

        key = (repository_id,)
        attrs = (
            read_ahead().take(ResourceKind.FLAKY_TEST_POLICIES, key, fetch) if ahead else fetch(key)
        )
        return flatten(attrs.model_dump(exclude_none=True, include=set(SECTIONS)))

    def _patch(self, repository_id: str, leaves: Leaves) -> None:
        """One PATCH carrying exactly ``leaves`` (none: no call)."""
        if not leaves:
            return
        read_ahead().forget(ResourceKind.FLAKY_TEST_POLICIES, (repository_id,))
        from ..models import FlakyTestsManagementPolicies

        attributes = FlakyTestsManagementPolicies.model_validate(
            {"repository_id": repository_id, **unflatten(integral(leaves))}
        )
        self.api.test_optimization.update_flaky_tests_policies(
            attributes, target=_target(repository_id)
        )


def _restores(old: Leaves, previous: Leaves, *, keep: Mapping[Leaf, Any]) -> Leaves:
    """Previous values of leaves that stop being managed and that Pulumi changed."""
    return {
        leaf: previous[leaf]
        for leaf in old
        if leaf not in keep and leaf in previous and previous[leaf] != old[leaf]
    }


def _declared(props: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs without ``__provider``, outputs and ``__priors``."""
    return {k: v for k, v in strip_provider(props).items() if k not in OUTPUTS and k != PRIORS_KEY}


def _validated(props: Mapping[str, Any]) -> CheckResult:
    from ._flaky_test_policies_inputs import FlakyTestPoliciesInputs

    _, result = check_inputs(FlakyTestPoliciesInputs, without_priors(props), ignore=OUTPUTS)
    return result


def _parse(props: Mapping[str, Any]) -> FlakyTestPoliciesInputs:
    from ._flaky_test_policies_inputs import FlakyTestPoliciesInputs

    raw = {
        k: v
        for k, v in integral(strip_provider(props)).items()
        if k not in OUTPUTS and k != PRIORS_KEY and v is not None
    }
    return FlakyTestPoliciesInputs.model_validate(raw)


def _capture_leaves(
    provider: FlakyTestPoliciesProvider,
    inputs: FlakyTestPoliciesInputs,
    known: Captured | None,
    leaves: list[Leaf],
) -> Leaves:
    """Prior values of ``leaves`` (absent: the server had none): captured ones as they are,
    the others read now (one get, only if any is missing)."""
    captured = known.values if known is not None else {}
    out: Leaves = {}
    missing = [leaf for leaf in leaves if _dotted(leaf) not in captured]
    server = provider._get(inputs.repository_id) if missing else {}
    for leaf in leaves:
        entry = captured.get(_dotted(leaf))
        if isinstance(entry, Mapping):
            if "value" in entry:
                out[leaf] = integral(entry["value"])
        elif leaf in server:
            out[leaf] = server[leaf]
    return out


def _capture(declared: Mapping[str, Any], known: Captured | None) -> Captured:
    inputs = _parse(declared)
    leaves = list(inputs.leaves())
    values = _capture_leaves(FlakyTestPoliciesProvider(), inputs, known, leaves)
    return Captured(
        {_dotted(leaf): ({"value": values[leaf]} if leaf in values else {}) for leaf in leaves},
        True,
    )


def _adopt(declared: Mapping[str, Any], captured: Captured) -> tuple[str, dict[str, Any]] | None:
    inputs = _parse(declared)
    desired = inputs.leaves()
    entries = {leaf: captured.values.get(_dotted(leaf)) for leaf in desired}
    if not all(isinstance(entry, Mapping) for entry in entries.values()):
        return None
    previous = {
        leaf: integral(entry["value"])
        for leaf, entry in entries.items()
        if isinstance(entry, Mapping) and "value" in entry
    }
    return inputs.repository_id, _outputs(inputs.repository_id, desired, previous)


PRIOR_SPEC: Final = PriorSpec(
    identity=lambda d: [d.get("repository_id")],
    scope=lambda d: sorted(_dotted(leaf) for leaf in _section_leaves(d)),
    capture=_capture,
    overlap=lambda _d, _c: [],  # policies always have values: nothing tells another stack's
    adopt=_adopt,
    provider=FlakyTestPoliciesProvider,
)
"""How ``PriorValues`` captures a ``FlakyTestPolicies``' prior leaves (see ``prior_values``)."""


def _target(repository_id: str) -> str:
    return f"flaky-test policies of repository {repository_id!r}"


def _outputs(repository_id: str, leaves: Leaves, previous: Leaves) -> dict[str, Any]:
    return {
        "repository_id": repository_id,
        **unflatten(leaves),
        "previous_policies": unflatten(previous),
    }
