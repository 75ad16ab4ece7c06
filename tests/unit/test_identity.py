"""The identity constants and id formats shared by resources, policies and the emulator."""

from __future__ import annotations

import importlib
import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pulumi_datadog_testing import errors
from pulumi_datadog_testing.errors import DatadogError, InvalidResourceIdError
from pulumi_datadog_testing.identity import (
    DEFAULT_ENV,
    flaky_test_state_id,
    parse_flaky_test_state_id,
    parse_service_settings_id,
    quote_query_value,
    service_settings_id,
    unquote_query_value,
)

id_part = st.text(min_size=1, max_size=12).filter(lambda s: "::" not in s and not s.endswith(":"))


@given(repository_id=id_part, service_name=id_part, env=id_part)
def test_service_settings_id_round_trips(repository_id: str, service_name: str, env: str) -> None:
    settings_id = service_settings_id(repository_id, service_name, env)
    assert parse_service_settings_id(settings_id) == (repository_id, service_name, env)


def test_service_settings_id_defaults_env() -> None:
    assert service_settings_id("r", "s", None) == f"r::s::{DEFAULT_ENV}" == "r::s::none"


@given(repository_id=id_part, test_id=st.text(alphabet="0123456789abcdef", min_size=1))
def test_flaky_test_state_id_round_trips(repository_id: str, test_id: str) -> None:
    state_id = flaky_test_state_id(repository_id, test_id)
    assert parse_flaky_test_state_id(state_id) == (repository_id, test_id)


@pytest.mark.parametrize("bad", ["", "r::s", "r::s::e::x", "::s::e", "r::::e"])
def test_bad_service_settings_ids_raise_one_error_type(bad: str) -> None:
    with pytest.raises(InvalidResourceIdError, match="repository_id::service_name::env"):
        parse_service_settings_id(bad)


@pytest.mark.parametrize("bad", ["", "abc", "::abc", "repo::"])
def test_bad_flaky_test_state_ids_raise_one_error_type(bad: str) -> None:
    with pytest.raises(InvalidResourceIdError, match="<repository_id>::<test_id>"):
        parse_flaky_test_state_id(bad)


def test_invalid_id_is_a_value_error_and_a_datadog_error() -> None:
    assert issubclass(InvalidResourceIdError, ValueError)
    assert issubclass(InvalidResourceIdError, DatadogError)


@given(st.text(max_size=30))
def test_query_quoting_round_trips(value: str) -> None:
    literal = quote_query_value(value)
    assert literal.startswith('"') and literal.endswith('"')
    assert unquote_query_value(literal) == value


def test_quoting_escapes_backslash_and_quote() -> None:
    assert quote_query_value('a"b\\c') == '"a\\"b\\\\c"'
    assert unquote_query_value("  bare ") == "bare"


def test_every_datadog_error_lives_in_errors_and_its_tree() -> None:
    """errors.py documents the complete tree: every subclass is defined there and named in
    its docstring."""
    for name in ("service_settings", "flaky_test_state", "flaky_test_states",
                 "flaky_test_policies", "synthetics_suite"):  # fmt: skip
        importlib.import_module(f"pulumi_datadog_testing.resources.{name}")

    def subclasses(cls: type) -> set[type]:
        found: set[type] = set(cls.__subclasses__())
        for sub in list(found):
            found |= subclasses(sub)
        return found

    for cls in subclasses(DatadogError):
        if cls.__module__.startswith("pulumi_datadog_testing"):
            assert cls.__module__ == errors.__name__, cls
            assert cls.__name__ in (errors.__doc__ or ""), cls
    assert inspect.getmodule(InvalidResourceIdError) is errors


def test_with_message_keeps_type_and_details_without_mutating() -> None:
    original = errors.ConflictError("old", method="PATCH", path="/p", status=409, retries=2)
    renamed = original.with_message("new")
    assert type(renamed) is errors.ConflictError
    assert (renamed.message, renamed.status, renamed.retries, renamed.path) == ("new", 409, 2, "/p")
    assert original.message == "old"
