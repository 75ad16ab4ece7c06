"""Helpers of the flaky-test e2e tests: read and change the emulator's flaky tests the way a
person (or another tool) would — plain HTTP to the Datadog API paths, independent of the
provider code under test — and read resources out of an exported stack."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from pulumi import automation as auto

from pulumi_datadog_testing.api import catalog
from pulumi_datadog_testing.type_tokens import type_token

if TYPE_CHECKING:
    from pulumi_datadog_testing.emulator import EmulatorServer

PROGRAM = Path(__file__).parent / "programs" / "flaky"
PROJECT = "flaky-e2e"
TESTS_PATH = catalog.SEARCH_FLAKY_TESTS.path
POLICIES_PATH = catalog.GET_FLAKY_TESTS_POLICIES.path


def quiet(_: str) -> None:
    """``on_output`` that drops the engine's progress lines."""


def set_config(stack: Any, **values: Any) -> None:
    """Set ``flaky-e2e:<key>`` (JSON for non-strings); ``None`` removes the key."""
    for key, value in values.items():
        name = f"{PROJECT}:{key}"
        if value is None:
            stack.remove_config(name)
        else:
            text = value if isinstance(value, str) else json.dumps(value)
            stack.set_config(name, auto.ConfigValue(value=text))


def _http(emulator: EmulatorServer) -> httpx.Client:
    return httpx.Client(base_url=emulator.url, headers=emulator.headers(), timeout=60)


def server_search(emulator: EmulatorServer, query: str) -> dict[str, str]:
    """Test id → state of every test the search endpoint returns for ``query`` (all pages)."""
    found: dict[str, str] = {}
    cursor = None
    with _http(emulator) as http:
        for _ in range(1000):
            page: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            attributes = {"filter": {"query": query}, "page": page}
            body = {"data": {"type": "search_flaky_tests_request", "attributes": attributes}}
            answer = http.post(TESTS_PATH, json=body).raise_for_status().json()
            found.update({t["id"]: t["attributes"]["flaky_state"] for t in answer["data"]})
            cursor = answer["meta"]["pagination"]["next_page"]
            if not cursor:
                return found
    raise AssertionError(f"search {query!r} did not end after 1000 pages")


def server_states(
    emulator: EmulatorServer, repository_id: str, ids: Iterable[str]
) -> dict[str, str]:
    """Each test's state as the search endpoint reports it (ids it does not return: absent)."""
    wanted = sorted(set(ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 200):
        batch = " OR ".join(wanted[start : start + 200])
        query = f'@git.repository.id_v2:"{repository_id}" fingerprint_fqn:({batch})'
        found.update(server_search(emulator, query))
    return found


def set_states_outside_pulumi(emulator: EmulatorServer, states: Mapping[str, str]) -> None:
    """Change tests' states through the API, as someone using the Datadog UI would."""
    tests = [{"id": i, "new_state": s} for i, s in states.items()]
    body = {"data": {"type": "update_flaky_test_state_request", "attributes": {"tests": tests}}}
    with _http(emulator) as http:
        answer = http.patch(TESTS_PATH, json=body).raise_for_status().json()
    assert answer["data"]["attributes"]["has_errors"] is False


def server_policies(emulator: EmulatorServer, repository_id: str) -> dict[str, Any]:
    body = {
        "data": {
            "type": "test_optimization_get_flaky_tests_management_policies_request",
            "attributes": {"repository_id": repository_id},
        }
    }
    with _http(emulator) as http:
        attrs: dict[str, Any] = (
            http.post(POLICIES_PATH, json=body).raise_for_status().json()["data"]["attributes"]
        )
    attrs.pop("repository_id", None)
    return attrs


def patch_policies_outside_pulumi(
    emulator: EmulatorServer, repository_id: str, **changes: Any
) -> None:
    body = {
        "data": {
            "type": "test_optimization_update_flaky_tests_management_policies_request",
            "attributes": {"repository_id": repository_id, **changes},
        }
    }
    with _http(emulator) as http:
        http.patch(POLICIES_PATH, json=body).raise_for_status()


def stack_resources(stack: Any, kind: str) -> list[dict[str, Any]]:
    """The exported stack's resources of one of this package's kinds (inputs and outputs)."""
    resources = stack.export_stack().deployment.get("resources") or []
    return [r for r in resources if r.get("type") == type_token(kind)]


def recorded_test_ids(outputs: Mapping[str, Any]) -> list[str]:
    """The managed ids of a ``FlakyTestStates`` in state: ``test_ids``, or the keys of its
    ``previous_states`` — packed into ``{"__packed__": "<id>=<state>;..."}`` from 100 tests
    on, with no ``test_ids`` (docs/resources/flaky_tests.md)."""
    if "test_ids" in outputs:
        return list(outputs["test_ids"])
    packed: str = outputs["previous_states"]["__packed__"]
    return [item.split("=")[0] for item in packed.split(";")]


def flaky_calls(emulator: EmulatorServer) -> list[tuple[str, str]]:
    """(method, path) of the Datadog calls received since the last clear, and clear."""
    return [(c.method, c.path) for c in emulator.calls(clear=True)]


def patch_bodies(emulator: EmulatorServer, *, clear: bool = True) -> list[dict[str, str]]:
    """``{id: new_state}`` of every flaky-test PATCH received since the last clear."""
    calls = emulator.calls(clear=clear)
    return [
        {t["id"]: t["new_state"] for t in c.body["data"]["attributes"]["tests"]}
        for c in calls
        if c.method == "PATCH" and c.path == TESTS_PATH
    ]
