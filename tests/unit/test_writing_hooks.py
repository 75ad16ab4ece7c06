"""The hooks that may write (create, update, delete) of every provider are counted while they
run — what coalesced flaky-test writes wait for — and no other hook is."""

from __future__ import annotations

import time
from typing import Any

from pulumi_datadog_testing.resources._base import DatadogResourceProvider
from pulumi_datadog_testing.resources._writing_hooks import writing_hooks
from pulumi_datadog_testing.resources.flaky_test_state import FlakyTestStateProvider


class Probe(DatadogResourceProvider):
    def create(self, props: Any) -> Any:
        return writing_hooks()

    def update(self, _id: Any, olds: Any, news: Any) -> Any:
        return writing_hooks()

    def delete(self, _id: Any, props: Any) -> Any:
        return writing_hooks()

    def check(self, olds: Any, news: Any) -> Any:
        return writing_hooks()


class SubProbe(Probe):
    def delete(self, _id: Any, props: Any) -> Any:
        return super().delete(_id, props)  # a hook calling another: counted once


def test_create_update_delete_are_counted_while_they_run_and_check_is_not() -> None:
    probe = Probe()
    assert (probe.create({}), probe.update("i", {}, {}), probe.delete("i", {})) == (1, 1, 1)
    assert probe.check({}, {}) == 0
    assert SubProbe().delete("i", {}) == 1
    assert writing_hooks() == 0


def test_the_resource_providers_hooks_are_counted() -> None:
    for name in ("create", "update", "delete"):
        assert getattr(getattr(FlakyTestStateProvider, name), "_counted", False), name


def test_the_pace_of_hooks_starting_is_followed() -> None:
    """How long a shared write waits for the next follows the engine's pace: the gap
    between hooks starting (a pause of over a second between operations counts as one)."""
    from pulumi_datadog_testing.resources import _writing_hooks

    probe = Probe()
    for _ in range(3):
        probe.delete("i", {})
        time.sleep(0.02)
    assert 0.0 < _writing_hooks.arrival_gap() <= 1.0
