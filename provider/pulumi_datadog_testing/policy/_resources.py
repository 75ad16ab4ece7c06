"""Typed, read-only views of this package's resources as policies see them.

Each view is built from a resource's plain properties (see ``_props.plain``); any field may be
``UNKNOWN`` during preview. Views read only the documented property names of each resource
type (the type itself was already decided by its type token).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ..identity import DEFAULT_ENV
from ..models import SERVICE_SETTING_NAMES
from ..type_tokens import ResourceKind
from ._props import UNKNOWN, Unknown

NOTE_KEYS: Final = ("expires", "owner", "reason")
"""What a flaky-test state may carry besides the state (kept in Pulumi state only)."""

__all__ = [
    "NOTE_KEYS",
    "FlakyTestPoliciesView",
    "FlakyTestStateView",
    "FlakyTestStatesView",
    "ResourceRef",
    "ServiceSettingsView",
    "SyntheticsSuiteView",
    "TestKey",
]

Text = str | Unknown | None
"""A string property: its value, ``UNKNOWN`` during preview, or ``None`` when absent."""


@dataclass(frozen=True)
class ResourceRef:
    """Which resource a message is about: ``ServiceSettings 'checkout-prod'``."""

    kind: ResourceKind
    name: str
    urn: str

    def __str__(self) -> str:
        return f"{self.kind} '{self.name}'"


def _text(props: Mapping[str, Any], key: str) -> Text:
    value = props.get(key)
    if value is None:
        return None
    if isinstance(value, Unknown):
        return value
    return str(value)


@dataclass(frozen=True)
class ServiceSettingsView:
    ref: ResourceRef
    repository_id: Text
    service_name: Text
    env: str | Unknown
    flags: Mapping[str, bool | Unknown | None]

    @classmethod
    def of(cls, ref: ResourceRef, props: Mapping[str, Any]) -> ServiceSettingsView:
        env = _text(props, "env")
        return cls(
            ref=ref,
            repository_id=_text(props, "repository_id"),
            service_name=_text(props, "service_name"),
            env=DEFAULT_ENV if env is None else env,
            flags={flag: props.get(flag) for flag in SERVICE_SETTING_NAMES},
        )


@dataclass(frozen=True, order=True)
class TestKey:
    """One test of a repository: by id, or by the selector that will resolve to it."""

    repository_id: str
    test_id: str | None = None
    module: str | None = None
    suite: str | None = None
    name: str | None = None

    def __str__(self) -> str:
        if self.test_id is not None:
            return f"'{self.test_id}'"
        parts = [f"{field} '{value}'" for field, value in self._selector() if value is not None]
        return "[" + ", ".join(parts) + "]"

    def _selector(self) -> Iterator[tuple[str, str | None]]:
        yield from (("module", self.module), ("suite", self.suite), ("name", self.name))


@dataclass(frozen=True)
class FlakyTestStateView:
    ref: ResourceRef
    repository_id: Text
    key: TestKey | Unknown | None
    """The test it manages; ``UNKNOWN`` if its id or selector is not known yet."""
    state: Text
    reason: Text
    expires: Text = None
    owner: Text = None

    @classmethod
    def of(cls, ref: ResourceRef, props: Mapping[str, Any]) -> FlakyTestStateView:
        repository_id = _text(props, "repository_id")
        return cls(
            ref=ref,
            repository_id=repository_id,
            key=_single_test_key(repository_id, props),
            state=_text(props, "state"),
            reason=_text(props, "reason"),
            expires=_text(props, "expires"),
            owner=_text(props, "owner"),
        )


def _single_test_key(repository_id: Text, props: Mapping[str, Any]) -> TestKey | Unknown | None:
    if repository_id is None:
        return None
    test_id = _text(props, "test_id")
    selector = {field: _text(props, field) for field in ("module", "suite", "name")}
    if repository_id is UNKNOWN or test_id is UNKNOWN:
        return UNKNOWN
    if test_id:
        return TestKey(repository_id, test_id=test_id)
    if any(value is UNKNOWN for value in selector.values()):
        return UNKNOWN
    if not any(selector.values()):
        return None
    return TestKey(repository_id, **{k: v for k, v in selector.items() if v})  # type: ignore[arg-type]


@dataclass(frozen=True)
class FlakyTestStatesView:
    ref: ResourceRef
    repository_id: Text
    states: Mapping[str, str | Unknown] | Unknown
    """test id → state; ``UNKNOWN`` when the whole map is not known yet. A value given as an
    object (``{"state": ..., "expires": ...}``) contributes its ``state`` here."""
    reason: Text
    notes: Mapping[str, Mapping[str, Text]] = field(default_factory=dict)
    """test id → its own ``expires``/``owner``/``reason`` (object values only)."""
    expires: Text = None
    owner: Text = None
    query: Text = None
    state: Text = None
    """Query form: the state every matching test gets."""

    @classmethod
    def of(cls, ref: ResourceRef, props: Mapping[str, Any]) -> FlakyTestStatesView:
        raw = props.get("states")
        states: Mapping[str, str | Unknown] | Unknown
        notes: dict[str, Mapping[str, Text]] = {}
        if raw is UNKNOWN:
            states = UNKNOWN
        elif isinstance(raw, Mapping):
            states = {}
            for key, value in raw.items():
                if isinstance(value, Mapping):
                    state = _text(value, "state")
                    states[str(key)] = "" if state is None else state
                    notes[str(key)] = {k: _text(value, k) for k in NOTE_KEYS}
                else:
                    states[str(key)] = value if value is UNKNOWN else str(value)
        else:
            states = {}
        return cls(
            ref=ref,
            repository_id=_text(props, "repository_id"),
            states=states,
            reason=_text(props, "reason"),
            notes=notes,
            expires=_text(props, "expires"),
            owner=_text(props, "owner"),
            query=_text(props, "query"),
            state=_text(props, "state"),
        )

    def note(self, test_id: str, key: str) -> Text:
        """A test's own ``expires``/``owner``/``reason``, else the resource's."""
        own = self.notes.get(test_id, {}).get(key)
        return own if own is not None else getattr(self, key)

    def keyed_states(self) -> Iterator[tuple[TestKey, str | Unknown]]:
        """(test, state) for every entry, when the repository and the map are known."""
        if not isinstance(self.repository_id, str) or self.states is UNKNOWN:
            return
        for test_id, state in self.states.items():
            yield TestKey(self.repository_id, test_id=test_id), state


@dataclass(frozen=True)
class FlakyTestPoliciesView:
    ref: ResourceRef
    repository_id: Text

    @classmethod
    def of(cls, ref: ResourceRef, props: Mapping[str, Any]) -> FlakyTestPoliciesView:
        return cls(ref=ref, repository_id=_text(props, "repository_id"))


@dataclass(frozen=True)
class SyntheticsSuiteView:
    ref: ResourceRef
    tags: list[Any] | Unknown
    tests: list[Any] | Unknown
    alerting_threshold: Any
    """A number, ``UNKNOWN``, ``None`` when unset, or whatever else the program passed."""

    @classmethod
    def of(cls, ref: ResourceRef, props: Mapping[str, Any]) -> SyntheticsSuiteView:
        options = props.get("options")
        threshold: Any = None
        if options is UNKNOWN:
            threshold = UNKNOWN
        elif isinstance(options, Mapping):
            threshold = options.get("alerting_threshold")
        return cls(
            ref=ref,
            tags=_list(props.get("tags")),
            tests=_list(props.get("tests")),
            alerting_threshold=threshold,
        )


def _list(value: Any) -> list[Any] | Unknown:
    if isinstance(value, Unknown):
        return value
    return [*value] if isinstance(value, list) else []
