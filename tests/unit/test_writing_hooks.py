"""The hooks that may write (create, update, delete) of every provider are counted while they
run — what coalesced flaky-test writes wait for — and no other hook is."""

from __future__ import annotations

import time
from typing import Any

from pulumi_datadog_testing.resources._base import DatadogResourceProvider
from pulumi_datadog_testing.resources._writing_hooks import counted, writing_hooks
from pulumi_datadog_testing.resources.flaky_test_state import FlakyTestStateProvider


class Probe:
    """Hooks counted as the package's providers' are (``DatadogResourceProvider`` counts the
    create/update/delete of its subclasses in this package)."""

    @counted
    def create(self, props: Any) -> Any:
        return writing_hooks()

    @counted
    def update(self, _id: Any, olds: Any, news: Any) -> Any:
        return writing_hooks()

    @counted
    def delete(self, _id: Any, props: Any) -> Any:
        return writing_hooks()

    def check(self, olds: Any, news: Any) -> Any:
        return writing_hooks()


class SubProbe(Probe):
    @counted
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


def test_a_provider_class_of_a_program_is_not_wrapped_and_still_pickles() -> None:
    """A ``DatadogResourceProvider`` subclass defined in a program's ``__main__`` is pickled
    by value with its methods (the SDK's ``serialize_provider``): counting wrappers would
    drag a lock into the pickle ("cannot pickle '_thread._local' object")."""
    from pulumi.dynamic.dynamic import serialize_provider

    def create(self: Any, props: Any) -> Any:
        return None

    program_class = type(
        "ProgramProvider", (DatadogResourceProvider,), {"create": create, "__module__": "__main__"}
    )
    assert not getattr(program_class.__dict__["create"], "_counted", False)
    assert serialize_provider(program_class())


def test_the_running_hook_is_the_outermost_counted_one_of_the_thread() -> None:
    from pulumi_datadog_testing.resources._writing_hooks import running_hook

    class Named:
        @counted
        def delete(self) -> Any:
            return running_hook(), self.create()

        @counted
        def create(self) -> Any:
            return running_hook()

    assert running_hook() is None
    assert Named().delete() == ("delete", "delete")
    assert Named().create() == "create"
    assert running_hook() is None
