"""Shared pieces of the fault scenarios: the one program, its resource lists, a stack wrapper.

Every scenario runs ``programs/fleet`` (resources declared from stack config
``faults:resources``) with the real CLI against the session emulator, then reconciles state
with the server (``tests.support.reconcile``).
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pulumi import automation as auto

from pulumi_datadog_testing.api import catalog
from tests.support.emulator import emulator_stack
from tests.support.engine import VENV_BIN, PulumiSandbox
from tests.support.reconcile import Reconciliation, export_deployment, reconcile

PROGRAM = Path(__file__).parent / "programs" / "fleet"
RESOURCES_KEY = "faults:resources"
REPOSITORY = "github.com/acme/shop"
OTHER_REPOSITORY = "github.com/acme/tools"
SUITES_PATH = catalog.CREATE_SUITE.path
SETTINGS_PATH = catalog.GET_SERVICE_SETTINGS.path
FLAKY_PATH = catalog.SEARCH_FLAKY_TESTS.path
POLICIES_PATH = catalog.GET_FLAKY_TESTS_POLICIES.path

Spec = dict[str, Any]


def spec(kind: str, resource_name: str, /, **args: Any) -> Spec:
    """One entry of ``faults:resources``."""
    return {"type": kind, "name": resource_name, "args": args}


def suite(resource_name: str, title: str, *tests: str, **extra: Any) -> Spec:
    """A SyntheticsSuite entry with critical tests ``tests``."""
    return spec(
        "SyntheticsSuite",
        resource_name,
        name=title,
        tests=[{"public_id": t, "alerting_criticality": "critical"} for t in tests],
        **extra,
    )


@dataclass
class Seeded:
    """Flaky tests seeded in the emulator: ids in seed order and their starting states."""

    repository_id: str
    tests: list[dict[str, Any]]

    @property
    def ids(self) -> list[str]:
        return [t["id"] for t in self.tests]

    @property
    def baseline(self) -> dict[str, dict[str, str]]:
        return {self.repository_id: {t["id"]: t["state"] for t in self.tests}}


def seed_tests(emulator: Any, count: int, repository_id: str = REPOSITORY) -> Seeded:
    """``count`` active flaky tests (deterministic) in ``repository_id``."""
    seeded = emulator.seed_flaky_tests(repository_id, count, seed=11, state="active")
    return Seeded(repository_id, [t.model_dump() for t in seeded.tests])


def fleet(seeded: Seeded) -> list[Spec]:
    """30 resources of every kind (needs 24 seeded tests): 12 service settings, 8 single
    flaky-test states (6 by id, 2 by module/suite/name), 2 bulk state sets, 2 policy sets,
    6 suites (some names and tags with JSON-Pointer characters ``~`` and ``/``)."""
    tests = seeded.tests
    resources: list[Spec] = []
    for index, service in enumerate(("cart", "search", "pay", "auth", "ship", "web")):
        for env in ("staging", "prod"):
            resources.append(
                spec(
                    "ServiceSettings",
                    f"settings-{service}-{env}",
                    repository_id=seeded.repository_id,
                    service_name=service,
                    env=env,
                    early_flake_detection_enabled=True,
                    auto_test_retries_enabled=env == "prod",
                    code_coverage_enabled=index % 2 == 0,
                )
            )
    for index, test in enumerate(tests[:6]):
        resources.append(
            spec(
                "FlakyTestState",
                f"state-{index}",
                repository_id=seeded.repository_id,
                test_id=test["id"],
                state=("quarantined", "disabled", "fixed")[index % 3],
                reason="FLAKY-1",
            )
        )
    for index, test in enumerate(tests[6:8]):
        selector = {k: test[k] for k in ("module", "suite", "name") if test.get(k)}
        resources.append(
            spec(
                "FlakyTestState",
                f"by-name-{index}",
                repository_id=seeded.repository_id,
                state="quarantined",
                **selector,
            )
        )
    for index, chunk in enumerate((tests[8:16], tests[16:24])):
        resources.append(
            spec(
                "FlakyTestStates",
                f"bulk-{index}",
                repository_id=seeded.repository_id,
                states={t["id"]: "quarantined" for t in chunk},
            )
        )
    for repository in (seeded.repository_id, OTHER_REPOSITORY):
        resources.append(
            spec(
                "FlakyTestPolicies",
                f"policies-{repository.rsplit('/', 1)[-1]}",
                repository_id=repository,
                attempt_to_fix={"retries": 3},
                quarantined={"enabled": True, "auto_quarantine_rule": {"enabled": True}},
            )
        )
    for index in range(6):
        resources.append(
            suite(
                f"suite-{index}",
                f"Journey {index} ~1 a/b",
                f"abc-def-{index:03d}",
                f"abc-def-{index + 100:03d}",
                tags=[f"team:shop/{index}", "tilde:~0~1"],
                options={"alerting_threshold": 0.5},
            )
        )
    assert len(resources) == 30
    return resources


@dataclass
class FaultStack:
    """The fleet program's stack on the session emulator, with quiet CLI helpers."""

    sandbox: PulumiSandbox
    emulator: Any
    config: dict[str, str] = field(default_factory=dict)
    keys_from_env: bool = False
    """Pass the keys as ``DD_API_KEY``/``DD_APP_KEY`` instead of ``datadog:`` stack secrets."""
    output: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.keys_from_env:
            self.sandbox.extra_env.update(
                {"DD_API_KEY": self.emulator.api_key, "DD_APP_KEY": self.emulator.app_key}
            )
            self.stack = self.sandbox.stack(
                PROGRAM, config={"datadog:apiUrl": self.emulator.url, **self.config}
            )
        else:
            self.stack = emulator_stack(self.sandbox, self.emulator, PROGRAM, config=self.config)

    def declare(self, resources: Sequence[Spec]) -> None:
        self.stack.set_config(RESOURCES_KEY, auto.ConfigValue(json.dumps(list(resources))))

    def set(self, key: str, value: str) -> None:
        self.stack.set_config(key, auto.ConfigValue(value))

    def up(self, **options: Any) -> Any:
        """``pulumi up``; raises ``auto.CommandError`` when it fails."""
        self.output.clear()
        return self.stack.up(on_output=self.output.append, **options)

    def try_up(self, **options: Any) -> tuple[bool, str]:
        """``pulumi up`` that may fail: (succeeded, everything the CLI printed)."""
        try:
            self.up(**options)
        except auto.CommandError as exc:
            return False, str(exc)
        return True, "".join(self.output)

    def converge(self, attempts: int = 2) -> str:
        """``pulumi up`` until it succeeds (bounded); then a no-change preview must pass.

        Returns the printed output of the failed attempts (for assertions)."""
        failures: list[str] = []
        for _ in range(attempts):
            ok, text = self.try_up()
            if ok:
                self.assert_no_changes()
                return "\n".join(failures)
            failures.append(text)
        raise AssertionError(f"pulumi up did not converge in {attempts} runs:\n" + failures[-1])

    def assert_no_changes(self) -> None:
        preview = self.stack.preview(expect_no_changes=True, on_output=lambda _: None)
        assert set(preview.change_summary) == {"same"}, preview.change_summary

    def refresh(self) -> Any:
        return self.stack.refresh(on_output=lambda _: None)

    def deployment(self) -> dict[str, Any]:
        return export_deployment(self.sandbox)

    def resource_ids(self, kind: str) -> list[str]:
        return [
            str(r["id"])
            for r in self.deployment().get("resources") or []
            if str(r.get("type", "")).endswith(f":{kind}")
        ]

    def reconcile(self, **options: Any) -> Reconciliation:
        return reconcile(self.sandbox, self.emulator, **options)


def calls_to(emulator: Any, method: str, path: str) -> list[Any]:
    """Calls the emulator received for ``method`` on exactly ``path``."""
    return [c for c in emulator.calls() if c.method == method and c.path == path]


def retry_config(
    *,
    max_retries: int | None = None,
    retry_timeout: float | None = None,
    timeout: float | None = None,
) -> dict[str, str]:
    """``datadog-testing:`` retry/timeout settings as stack config."""
    values: Mapping[str, float | int | None] = {
        "datadog-testing:maxRetries": max_retries,
        "datadog-testing:retryTimeoutSeconds": retry_timeout,
        "datadog-testing:timeoutSeconds": timeout,
    }
    return {k: str(v) for k, v in values.items() if v is not None}


def names(specs: Iterable[Spec]) -> list[str]:
    return [s["name"] for s in specs]


T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 90.0) -> T:
    """Poll ``probe`` (every 0.1 s) until it returns something truthy; bounded in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


class Background:
    """Runs ``FaultStack.try_up`` in a thread (the CLI is a subprocess; the thread waits)."""

    def __init__(self, stack: FaultStack, **options: Any) -> None:
        self.result: tuple[bool, str] | None = None
        self._thread = threading.Thread(target=self._run, args=(stack, options), daemon=True)
        self._thread.start()

    def _run(self, stack: FaultStack, options: dict[str, Any]) -> None:
        self.result = stack.try_up(**options)

    def join(self, timeout: float = 300.0) -> tuple[bool, str]:
        self._thread.join(timeout)
        assert self.result is not None, f"pulumi up did not finish within {timeout:.0f}s"
        return self.result


def run_repair(stack: FaultStack) -> str:
    """``pulumi-datadog-testing repair --yes`` on the stack, as a user runs it; its output."""
    result = subprocess.run(
        [str(VENV_BIN / "pulumi-datadog-testing"), "repair", "--yes", "--stack", "test",
         "--cwd", str(stack.sandbox.root / "program")],
        env={**os.environ, **stack.sandbox.env()}, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
