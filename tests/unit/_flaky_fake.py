"""A small in-memory Flaky Test Management API for unit tests over ``httpx.MockTransport``.

It answers the flaky-tests search (the query shapes the provider sends: repository scope,
``fingerprint_fqn:(a OR b)``, ``@test.module/suite/name:"..."``, selectors OR'd —
``((@test.name:"a") OR (...))``, evaluated by the emulator's query parser — and ``tag:x``
for the query form), paginates with a small configurable page size, applies bulk PATCHes with optional
per-test failures, and serves the policies get/PATCH. Every request is recorded.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import httpx

from pulumi_datadog_testing.api import catalog
from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.emulator.query import compile_query
from pulumi_datadog_testing.identity import FlakyState, unquote_query_value
from pulumi_datadog_testing.resources import _flaky_batch

TESTS_PATH = catalog.SEARCH_FLAKY_TESTS.path
POLICIES_PATH = catalog.GET_FLAKY_TESTS_POLICIES.path
REPO = "github.com/acme/shop"


@dataclass
class FakeTest:
    id: str
    name: str
    suite: str = "Suite"
    module: str | None = "mod"
    state: str = "active"
    repository_id: str = REPO
    tags: tuple[str, ...] = ()


@dataclass
class Recorded:
    method: str
    path: str
    body: Any


@dataclass
class FakeFlakyAPI:
    tests: dict[str, FakeTest] = field(default_factory=dict)
    page_size: int = 1000
    patch_failures: dict[str, str] = field(default_factory=dict)
    """test id → error for every PATCH that includes it."""
    patch_failures_once: dict[str, str] = field(default_factory=dict)
    """test id → error for the first PATCH that includes it only."""
    patch_status: list[int] = field(default_factory=list)
    """HTTP statuses to answer the next PATCHes with (consumed in order)."""
    policies: dict[str, Any] = field(default_factory=dict)
    policies_applied_then_503: int = 0
    """How many more policies PATCHes are applied, then answered 503."""
    requests: list[Recorded] = field(default_factory=list)

    def add(
        self, count: int, *, prefix: str = "", state: str = "active", **extra: Any
    ) -> list[str]:
        ids = []
        for n in range(count):
            test_id = f"{prefix}{len(self.tests):016x}"[-16:]
            self.tests[test_id] = FakeTest(
                test_id, name=f"test_{len(self.tests)}", state=state, **extra
            )
            ids.append(test_id)
        return ids

    def states(self, ids: list[str] | None = None) -> dict[str, FlakyState]:
        return {
            i: cast(FlakyState, self.tests[i].state)
            for i in (ids if ids is not None else self.tests)
        }

    def calls(self, method: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if method is None or r.method == method]

    def patched(self) -> list[dict[str, str]]:
        """The ``{id: new_state}`` of every flaky-test PATCH, in order."""
        return [
            {t["id"]: t["new_state"] for t in r.body["data"]["attributes"]["tests"]}
            for r in self.requests
            if r.method == "PATCH" and r.path == TESTS_PATH
        ]

    # ------------------------------------------------------------------ handler
    def __call__(self, request: httpx.Request) -> httpx.Response:
        body: dict[str, Any] = json.loads(request.content) if request.content else {}
        self.requests.append(Recorded(request.method, request.url.path, body))
        if request.url.path == TESTS_PATH and request.method == "POST":
            return self._search(body)
        if request.url.path == TESTS_PATH and request.method == "PATCH":
            return self._patch(body)
        if request.url.path == POLICIES_PATH:
            return self._policies(request.method, body)
        return httpx.Response(404, json={"errors": ["not found"]})

    def _search(self, body: dict[str, Any]) -> httpx.Response:
        attrs = body["data"]["attributes"]
        query = attrs["filter"]["query"]
        page = attrs.get("page") or {}
        matches = sorted((t for t in self.tests.values() if _matches(query, t)), key=lambda t: t.id)
        start = int(page.get("cursor") or 0)
        size = min(self.page_size, page.get("limit") or 10)
        selected = matches[start : start + size]
        more = start + size < len(matches)
        data = [
            {
                "id": t.id,
                "type": "flaky_test",
                "attributes": {
                    "module": t.module,
                    "suite": t.suite,
                    "name": t.name,
                    "flaky_state": t.state,
                },
            }
            for t in selected
        ]
        next_page = str(start + size) if more else None
        return httpx.Response(
            200, json={"data": data, "meta": {"pagination": {"next_page": next_page}}}
        )

    def _patch(self, body: dict[str, Any]) -> httpx.Response:
        if self.patch_status:
            status = self.patch_status.pop(0)
            if status != 200:
                return httpx.Response(status, json={"errors": [f"status {status}"]})
        results = []
        for change in body["data"]["attributes"]["tests"]:
            test_id = change["id"]
            error = self.patch_failures.get(test_id) or self.patch_failures_once.pop(test_id, None)
            if error is None and test_id not in self.tests:
                error = "test not found"
            if error is None:
                self.tests[test_id].state = change["new_state"]
                results.append({"id": test_id, "success": True})
            else:
                results.append({"id": test_id, "success": False, "error": error})
        data = {
            "id": "r1",
            "type": "update_flaky_test_state_response",
            "attributes": {
                "has_errors": any(not r["success"] for r in results),
                "results": results,
            },
        }
        return httpx.Response(200, json={"data": data})

    def _policies(self, method: str, body: dict[str, Any]) -> httpx.Response:
        attrs = body["data"]["attributes"]
        repo = attrs["repository_id"]
        if method == "PATCH":
            _merge(self.policies, {k: v for k, v in attrs.items() if k != "repository_id"})
            if self.policies_applied_then_503:
                self.policies_applied_then_503 -= 1
                return httpx.Response(503, json={"errors": ["Service Unavailable"]})
        data = {
            "id": repo,
            "type": "test_optimization_flaky_tests_management_policies",
            "attributes": {"repository_id": repo, **copy.deepcopy(self.policies)},
        }
        return httpx.Response(200, json={"data": data})


def _merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


_TERM = re.compile(
    r'(@[\w.]+|fingerprint_fqn|flaky_test_state|tag):(\((?:[^()]*)\)|"(?:[^"\\]|\\.)*"|\S+)'
)


@dataclass(frozen=True)
class Searchable:
    """A fake test as the emulator's query language evaluates it."""

    test: FakeTest

    @property
    def search_values(self) -> dict[str, tuple[str, ...]]:
        test = self.test
        return {
            "@git.repository.id_v2": (test.repository_id,),
            "@test.module": (test.module,) if test.module else (),
            "@test.suite": (test.suite,) if test.suite else (),
            "@test.name": (test.name,),
            "fingerprint_fqn": (test.id,),
            "flaky_test_state": (test.state,),
        }


def _matches(query: str, test: FakeTest) -> bool:
    if " OR (" in query:  # selectors OR'd: the emulator's parser (the whole grammar)
        return compile_query(query).matches(Searchable(test))
    for key, raw in _TERM.findall(query):
        values = [unquote_query_value(v) for v in raw.strip("()").split(" OR ")]
        have = {
            "@git.repository.id_v2": test.repository_id,
            "@test.module": test.module,
            "@test.suite": test.suite,
            "@test.name": test.name,
            "fingerprint_fqn": test.id,
            "flaky_test_state": test.state,
        }
        if key == "tag":
            if not set(values) & set(test.tags):
                return False
        elif have.get(key) not in values:
            return False
    return True


@contextmanager
def serving(
    serve: Callable[..., DatadogClient], api: FakeFlakyAPI, **settings: Any
) -> Iterator[DatadogClient]:
    """Make every provider in this process use a client answered by ``api``."""
    yield serve(api, **settings)


def next_operation() -> None:
    """Between two operations of a unit test: a real ``pulumi`` operation runs in a provider
    process of its own, which knows no test another resource took over in the previous one
    (``_flaky_batch.claim``)."""
    _flaky_batch.forget_claims()
