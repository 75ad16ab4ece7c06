"""Reconcile a stack's Pulumi state with what the emulator (the "server") really holds.

``reconcile(sandbox, emulator)`` exports the stack with the real CLI (``pulumi stack
export``), reads every resource of this package back through the emulator's *Datadog* API
(service settings get, flaky-test search, policies get, suite get and search — never the
admin surface, never the provider's own code) and compares each recorded output with the
server's value. It also lists every suite on the server against the suites in state, to find
the ones Pulumi made and lost track of (orphans) or made twice (duplicates).

Found problems are one line each, naming the resource and the difference::

    result = reconcile(sandbox, emulator)
    result.assert_clean()            # fails with every problem listed
    assert result.checked == {"SyntheticsSuite": 6, ...}   # proves it compared something

What counts as a problem:

- a pending operation left in state (an interrupted ``up`` that nobody repaired);
- a resource in state whose object is missing on the server;
- a recorded output that differs from the server's value (managed settings and policy
  leaves, flaky-test states, a suite's name/message/tags/tests/options/monitor_id);
- a suite on the server that is not in state (unless listed in ``unmanaged_suites``), two
  suites with the same name, or two resources in state claiming the same suite;
- with ``flaky_baseline``: a flaky test that no resource in state manages but whose state is
  no longer its baseline state (a write Pulumi does not know about).

``pr_comments_enabled`` is not compared: the current API ignores it at service level and the
resource never reports it as drift (see docs/resources/service_settings.md).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import httpx

from pulumi_datadog_testing.api import catalog
from pulumi_datadog_testing.models import (
    FlakyTestsManagementPoliciesGetRequest,
    FlakyTestsSearchRequest,
    ServiceSettingsGetRequest,
    ServiceSettingsIdentity,
)
from pulumi_datadog_testing.type_tokens import MODULE
from tests.support.engine import PulumiSandbox

__all__ = ["Reconciliation", "ServerReader", "export_deployment", "reconcile"]

SETTINGS_PATH = catalog.GET_SERVICE_SETTINGS.path
POLICIES_PATH = catalog.GET_FLAKY_TESTS_POLICIES.path
FLAKY_PATH = catalog.SEARCH_FLAKY_TESTS.path
SUITES_PATH = catalog.CREATE_SUITE.path

COMPARED_SETTINGS = (
    "auto_test_retries_enabled",
    "code_coverage_enabled",
    "early_flake_detection_enabled",
    "failed_test_replay_enabled",
    "test_impact_analysis_enabled",
)
"""Service settings compared with the server (``pr_comments_enabled`` is never drift)."""
POLICY_SECTIONS = ("attempt_to_fix", "quarantined", "disabled")
SUITE_FIELDS = ("name", "message", "tests", "options", "monitor_id")
_TYPE_PREFIX = f"pulumi-python:dynamic/{MODULE}:"
_SUITE_PAGE = 100
_MAX_PAGES = 1000


@dataclass
class Reconciliation:
    """The outcome: what was compared (per resource kind) and every problem found."""

    checked: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    server_suites: list[dict[str, Any]] = field(default_factory=list)
    """Every suite on the server (as search lists them)."""

    @property
    def clean(self) -> bool:
        return not self.problems

    def assert_clean(self) -> None:
        assert self.clean, "state and server disagree:\n  " + "\n  ".join(self.problems)


class ServerReader:
    """Reads objects back through the emulator's Datadog API (with its keys)."""

    def __init__(self, url: str, headers: Mapping[str, str]) -> None:
        self._http = httpx.Client(base_url=url, headers=dict(headers), timeout=30.0)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def settings(self, repository_id: str, service_name: str, env: str) -> dict[str, Any] | None:
        """A service's settings (``None``: the service has none)."""
        identity = ServiceSettingsIdentity(
            repository_id=repository_id, service_name=service_name, env=env
        )
        body = ServiceSettingsGetRequest.of(identity).to_body()
        found = self._json("POST", SETTINGS_PATH, json=body)
        return None if found is None else dict(found["data"]["attributes"])

    def policies(self, repository_id: str) -> dict[str, Any]:
        body = FlakyTestsManagementPoliciesGetRequest.of(repository_id).to_body()
        return dict(self._json("POST", POLICIES_PATH, json=body)["data"]["attributes"])

    def flaky_states(
        self, repository_id: str, test_ids: Iterable[str] | None = None
    ) -> dict[str, str]:
        """Test id → state (a test nobody acted on is ``active``), from the search endpoint;
        all tests of the repository when ``test_ids`` is ``None``."""
        ids = sorted(set(test_ids)) if test_ids is not None else None
        if ids == []:
            return {}
        query = f'@git.repository.id_v2:"{repository_id}"'
        if ids is not None:
            query += f" fingerprint_fqn:({' OR '.join(ids)})"
        states: dict[str, str] = {}
        cursor: str | None = None
        for _ in range(_MAX_PAGES):
            body = FlakyTestsSearchRequest.of(query, limit=1000, cursor=cursor).to_body()
            page = self._json("POST", FLAKY_PATH, json=body)
            for test in page["data"]:
                states[test["id"]] = test["attributes"].get("flaky_state") or "active"
            cursor = ((page.get("meta") or {}).get("pagination") or {}).get("next_page")
            if not cursor:
                return states
        raise AssertionError(f"flaky-test search of {repository_id!r} did not end")

    def suite(self, public_id: str) -> dict[str, Any] | None:
        found = self._json("GET", f"{SUITES_PATH}/{public_id}")
        return None if found is None else dict(found["data"]["attributes"])

    def all_suites(self) -> list[dict[str, Any]]:
        """Every suite on the server, following the search's pages."""
        suites: list[dict[str, Any]] = []
        for _ in range(_MAX_PAGES):
            page = self._json(
                "GET",
                f"{SUITES_PATH}/search",
                params={"sort": "name,asc", "start": len(suites), "count": _SUITE_PAGE},
            )["data"]["attributes"]
            suites.extend(page["suites"])
            if not page["suites"] or len(suites) >= page["total"]:
                return suites
        raise AssertionError("suite search did not end")


def export_deployment(sandbox: PulumiSandbox, stack: str = "test") -> dict[str, Any]:
    """``pulumi stack export`` of ``stack`` (run with the real CLI in the sandbox's program)."""
    exported = sandbox.cli("stack", "export", "--stack", stack, cwd=sandbox.root / "program")
    deployment: dict[str, Any] = json.loads(exported.stdout)["deployment"]
    return deployment


def reconcile(
    sandbox: PulumiSandbox,
    emulator: Any,
    *,
    stack: str = "test",
    unmanaged_suites: Iterable[str] = (),
    flaky_baseline: Mapping[str, Mapping[str, str]] | None = None,
) -> Reconciliation:
    """Compare the stack's state with the emulator (see the module docstring).

    ``unmanaged_suites``: public ids of suites a test made outside Pulumi on purpose.
    ``flaky_baseline``: repository → {test id: state} before any Pulumi run; tests no
    resource manages must still be in that state.
    """
    deployment = export_deployment(sandbox, stack)
    result = Reconciliation()
    for pending in deployment.get("pending_operations") or []:
        resource = pending.get("resource") or {}
        result.problems.append(
            f"pending {pending.get('type')} operation left in state on {resource.get('urn')}"
        )
    resources = [
        r
        for r in deployment.get("resources") or []
        if str(r.get("type", "")).startswith(_TYPE_PREFIX) and not r.get("delete")
    ]
    with ServerReader(emulator.url, emulator.headers()) as server:
        managed_tests: dict[str, set[str]] = defaultdict(set)
        suite_ids: Counter[str] = Counter()
        for resource in resources:
            kind = resource["type"].removeprefix(_TYPE_PREFIX)
            outputs = {
                k: v for k, v in (resource.get("outputs") or {}).items() if k != "__provider"
            }
            label = f"{kind} {resource['urn'].rsplit('::', 1)[-1]!r} (id {resource.get('id')!r})"
            compare = _COMPARERS.get(kind)
            if compare is None:
                continue
            result.checked[kind] += 1
            result.problems.extend(f"{label}: {p}" for p in compare(server, resource, outputs))
            if kind in ("FlakyTestState", "FlakyTestStates"):
                managed_tests[outputs.get("repository_id", "")].update(_managed_test_ids(outputs))
            if kind == "SyntheticsSuite":
                suite_ids[str(resource.get("id"))] += 1
        result.problems.extend(
            f"suite {public_id} is claimed by {n} resources in state"
            for public_id, n in suite_ids.items()
            if n > 1
        )
        result.server_suites = server.all_suites()
        result.problems.extend(
            _suite_orphans(result.server_suites, set(suite_ids), set(unmanaged_suites))
        )
        for repository_id, baseline in (flaky_baseline or {}).items():
            now = server.flaky_states(repository_id, baseline)
            for test_id, before in sorted(baseline.items()):
                if test_id in managed_tests[repository_id]:
                    continue
                if now.get(test_id) != before:
                    result.problems.append(
                        f"flaky test {test_id} of {repository_id!r} is managed by no resource in "
                        f"state but changed: {before!r} -> {now.get(test_id)!r}"
                    )
    return result


# ------------------------------------------------------------------------ comparisons


def _settings(
    server: ServerReader, resource: Mapping[str, Any], outs: Mapping[str, Any]
) -> Iterator[str]:
    found = server.settings(outs["repository_id"], outs["service_name"], outs.get("env", "none"))
    if found is None:
        yield "the service has no settings on the server"
        return
    for name in COMPARED_SETTINGS:
        if name in outs and outs[name] != found.get(name):
            yield f"{name}: state {outs[name]!r}, server {found.get(name)!r}"


def _flaky_state(
    server: ServerReader, resource: Mapping[str, Any], outs: Mapping[str, Any]
) -> Iterator[str]:
    test_id = outs["test_id"]
    found = server.flaky_states(outs["repository_id"], [test_id])
    if test_id not in found:
        yield f"test {test_id} not found on the server"
    elif found[test_id] != outs["state"]:
        yield f"test {test_id}: state {outs['state']!r}, server {found[test_id]!r}"


def _flaky_states(
    server: ServerReader, resource: Mapping[str, Any], outs: Mapping[str, Any]
) -> Iterator[str]:
    recorded: Mapping[str, str] = outs.get("states") or {}
    found = server.flaky_states(outs["repository_id"], recorded)
    for test_id, state in sorted(recorded.items()):
        if found.get(test_id) != state:
            yield f"test {test_id}: state {state!r}, server {found.get(test_id)!r}"


def _policies(
    server: ServerReader, resource: Mapping[str, Any], outs: Mapping[str, Any]
) -> Iterator[str]:
    found = _leaves(
        {k: v for k, v in server.policies(outs["repository_id"]).items() if k in POLICY_SECTIONS}
    )
    recorded = _leaves({k: outs[k] for k in POLICY_SECTIONS if isinstance(outs.get(k), Mapping)})
    for path, value in sorted(recorded.items()):
        if found.get(path) != value:
            yield f"{'.'.join(path)}: state {value!r}, server {found.get(path)!r}"


def _suite(
    server: ServerReader, resource: Mapping[str, Any], outs: Mapping[str, Any]
) -> Iterator[str]:
    found = server.suite(str(resource["id"]))
    if found is None:
        yield "the suite does not exist on the server"
        return
    for name in SUITE_FIELDS:
        if outs.get(name) != found.get(name):
            yield f"{name}: state {outs.get(name)!r}, server {found.get(name)!r}"
    if sorted(outs.get("tags") or []) != sorted(found.get("tags") or []):
        yield f"tags: state {outs.get('tags')!r}, server {found.get('tags')!r}"


_COMPARERS = {
    "ServiceSettings": _settings,
    "FlakyTestState": _flaky_state,
    "FlakyTestStates": _flaky_states,
    "FlakyTestPolicies": _policies,
    "SyntheticsSuite": _suite,
}


def _suite_orphans(
    server_suites: list[dict[str, Any]], in_state: set[str], unmanaged: set[str]
) -> Iterator[str]:
    names = Counter(s.get("name") for s in server_suites)
    for suite in server_suites:
        public_id = suite.get("public_id")
        if public_id not in in_state and public_id not in unmanaged:
            yield f"suite {public_id} ({suite.get('name')!r}) is on the server but not in state"
    for name, count in sorted(names.items(), key=lambda item: str(item[0])):
        if count > 1:
            yield f"{count} suites named {name!r} on the server (duplicates)"


def _managed_test_ids(outs: Mapping[str, Any]) -> set[str]:
    if outs.get("test_id"):
        return {str(outs["test_id"])}
    previous = outs.get("previous_states") or outs.get("states") or {}
    packed = previous.get("__packed__") if len(previous) == 1 else None
    if isinstance(packed, str):  # 100 tests or more: "<id>=<state>;..." (docs/resources)
        return {item.partition("=")[0] for item in packed.split(";") if item}
    return {str(i) for i in previous}


def _leaves(tree: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    out: dict[tuple[str, ...], Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            out.update(_leaves(value, (*prefix, key)))
        elif value is not None:
            out[(*prefix, key)] = value
    return out


def program_dir(sandbox: PulumiSandbox) -> Path:
    """Where the sandbox copied the program (the CLI's working directory)."""
    return sandbox.root / "program"
