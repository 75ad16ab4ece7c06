"""The endpoint catalog against the official client, and its uses."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest
from datadog_api_client import ApiClient, Configuration
from datadog_api_client.v2.api import synthetics_api, test_optimization_api
from pydantic import BaseModel

from pulumi_datadog_testing.api import SyntheticsAPI, TestOptimizationAPI, catalog
from pulumi_datadog_testing.emulator.ratelimit import limit_name

PROVIDER = Path(__file__).resolve().parents[2] / "provider" / "pulumi_datadog_testing"


def _official_endpoints() -> dict[str, tuple[str, str]]:
    """operation id → (method, path) of every operation of the official client's two APIs."""
    client = ApiClient(Configuration())
    found: dict[str, tuple[str, str]] = {}
    official = (test_optimization_api.TestOptimizationApi, synthetics_api.SyntheticsApi)
    for api in (area(client) for area in official):
        for endpoint in vars(api).values():
            settings = getattr(endpoint, "settings", None)
            if settings:
                found[settings["operation_id"]] = (
                    settings["http_method"],
                    settings["endpoint_path"],
                )
    return found


@pytest.mark.parametrize("endpoint", catalog.ENDPOINTS, ids=lambda e: e.name)
def test_every_endpoint_is_an_official_operation(endpoint: catalog.Endpoint[Any]) -> None:
    assert (endpoint.method, endpoint.path) in set(_official_endpoints().values())


def test_each_operation_has_one_method_named_after_it() -> None:
    methods = {
        name
        for area in (TestOptimizationAPI, SyntheticsAPI)
        for name, _ in inspect.getmembers(area, inspect.isfunction)
        if not name.startswith("_")
    }
    assert methods == {endpoint.name for endpoint in catalog.ENDPOINTS}


def test_lost_answers_of_non_idempotent_calls_are_recovered_by_lookup() -> None:
    for endpoint in catalog.ENDPOINTS:
        expected = catalog.Recovery.RETRY if endpoint.idempotent else catalog.Recovery.LOOKUP
        assert endpoint.recovery is expected, endpoint.name
    with pytest.raises(ValueError, match="recovered by lookup"):
        catalog.Endpoint(
            name="x", method="POST", path="/x", request=None, response=BaseModel,
            permission="p", rate_limit="r", idempotent=False, recovery=catalog.Recovery.RETRY,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("GET", "/api/v2/synthetics/suites/search?query=x", "search_suites"),
        ("GET", "/api/v2/synthetics/suites/abc-def-ghi", "get_suite"),
        ("PATCH", "/api/v2/synthetics/suites/abc-def-ghi/jsonpatch", "patch_suite"),
        ("PATCH", "/api/v2/test/flaky-test-management/tests", "update_flaky_test_states"),
        ("POST", "/api/v2/test/flaky-test-management/tests", "search_flaky_tests"),
    ],
)
def test_endpoint_for_a_concrete_call(method: str, path: str, name: str) -> None:
    found = catalog.endpoint_for(method, path)
    assert found is not None and found.name == name


def test_paths_fill_placeholders_url_quoted() -> None:
    assert catalog.PATCH_SUITE.path_for(public_id="a/../b") == (
        "/api/v2/synthetics/suites/a%2F..%2Fb/jsonpatch"
    )
    assert catalog.endpoint_for("GET", "/api/v2/synthetics/suites/a/b") is None


def test_emulator_rate_limit_groups_come_from_the_catalog() -> None:
    for endpoint in catalog.ENDPOINTS:
        assert limit_name(endpoint.path_for(public_id="abc-def-ghi")) == endpoint.rate_limit
    assert limit_name("/api/v2/unknown") == "default"


def _code_strings(source: str) -> list[str]:
    """The string constants of a module's code (docstrings left out)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in docstrings
    ]  # fmt: skip


def test_endpoint_paths_are_written_only_in_the_catalog() -> None:
    """Routes, rate-limit groups, errors and resources all take their paths from it."""
    holders = sorted(
        str(path.relative_to(PROVIDER))
        for path in PROVIDER.rglob("*.py")
        if any("/api/v2/" in text for text in _code_strings(path.read_text()))
    )
    assert holders == ["api/catalog.py"]
