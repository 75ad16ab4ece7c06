"""How Datadog objects are named: the one home of every identity constant and id format.
Plain Python (no pydantic): a program imports it to declare resources.

Resources, wire models, policies and the emulator all import these, so an id written by one
is always parsed the same way by another:

- service settings: ``repository_id::service_name::env`` (``env`` defaults to ``none``);
- a flaky test managed by ``FlakyTestState``: ``repository_id::test_id``;
- the four flaky-test states and the six settings of a service;
- a string literal in a Datadog search query (``"..."`` with ``\\`` and ``"`` escaped).

A malformed id raises ``InvalidResourceIdError`` (see ``errors``), naming the expected form.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

from .errors import InvalidResourceIdError

__all__ = [
    "DEFAULT_ENV",
    "FLAKY_STATES",
    "ID_SEPARATOR",
    "INHERITABLE_SETTINGS",
    "SERVICE_SETTING_NAMES",
    "FlakyState",
    "ServiceSettingName",
    "flaky_test_state_id",
    "parse_flaky_test_state_id",
    "parse_service_settings_id",
    "quote_query_value",
    "service_settings_id",
    "unquote_query_value",
]

DEFAULT_ENV: Final = "none"
"""The ``env`` of service settings declared without one (the API's default)."""

ID_SEPARATOR: Final = "::"
"""Separates the parts of a composite id; no id part may contain it."""

FlakyState = Literal["active", "quarantined", "disabled", "fixed"]
"""The states of a flaky test (Flaky Test Management)."""

FLAKY_STATES: Final[tuple[FlakyState, ...]] = get_args(FlakyState)
"""Every ``FlakyState``, in the API's order."""

ServiceSettingName = Literal[
    "auto_test_retries_enabled",
    "code_coverage_enabled",
    "early_flake_detection_enabled",
    "failed_test_replay_enabled",
    "pr_comments_enabled",
    "test_impact_analysis_enabled",
]
"""The name of one of a service's Test Optimization feature flags."""

SERVICE_SETTING_NAMES: Final[tuple[ServiceSettingName, ...]] = get_args(ServiceSettingName)
"""The six Test Optimization feature flags of a service, in API order."""

INHERITABLE_SETTINGS: Final = tuple(n for n in SERVICE_SETTING_NAMES if n != "pr_comments_enabled")
"""Settings that can be re-inherited (``<name>_inherit``) and report ``<name>_is_overridden``."""


def service_settings_id(repository_id: str, service_name: str, env: str | None) -> str:
    """The id of a service's settings: ``repository_id::service_name::env`` (``None`` → ``none``)."""
    return ID_SEPARATOR.join((repository_id, service_name, env or DEFAULT_ENV))


def parse_service_settings_id(settings_id: str) -> tuple[str, str, str]:
    """Split ``repository_id::service_name::env``; ``InvalidResourceIdError`` naming the form."""
    parts = settings_id.split(ID_SEPARATOR)
    if len(parts) != 3 or not all(parts):
        raise InvalidResourceIdError(
            f"ServiceSettings id {settings_id!r} is not of the form "
            "'repository_id::service_name::env' (e.g. 'github.com/acme/shop::checkout::prod')"
        )
    return parts[0], parts[1], parts[2]


def flaky_test_state_id(repository_id: str, test_id: str) -> str:
    """The id of a ``FlakyTestState``: ``repository_id::test_id``."""
    return f"{repository_id}{ID_SEPARATOR}{test_id}"


def parse_flaky_test_state_id(state_id: str) -> tuple[str, str]:
    """Split ``repository_id::test_id`` (the last ``::`` separates them)."""
    repository_id, sep, test_id = state_id.rpartition(ID_SEPARATOR)
    if not sep or not repository_id or not test_id:
        raise InvalidResourceIdError(
            f"FlakyTestState id {state_id!r} is not '<repository_id>::<test_id>' "
            "(e.g. 'github.com/acme/shop::4eb1887a8adb1847')"
        )
    return repository_id, test_id


def quote_query_value(value: str) -> str:
    """A search-query string literal: ``"..."`` with ``\\`` and ``"`` escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unquote_query_value(literal: str) -> str:
    """The inverse of ``quote_query_value``; a bare (unquoted) word is returned stripped."""
    literal = literal.strip()
    if len(literal) >= 2 and literal.startswith('"') and literal.endswith('"'):
        out: list[str] = []
        chars = iter(literal[1:-1])
        for ch in chars:
            out.append(next(chars, "\\") if ch == "\\" else ch)
        return "".join(out)
    return literal
