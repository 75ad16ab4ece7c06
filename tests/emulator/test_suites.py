"""Synthetics suites over real HTTP: create, get, PUT, JSON Patch (atomic, validated),
bulk delete and search."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from pulumi_datadog_testing.models import (
    DeletedSuitesResponse,
    SuitesSearchResponse,
    SyntheticsSuiteResponse,
)

from .conftest import SUITES, envelope, error_text, suite_body

pytestmark = pytest.mark.emulator

NOT_FOUND = {"errors": ["Synthetics test not found"]}


def suite(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    SyntheticsSuiteResponse.model_validate(response.json())
    data = response.json()["data"]
    assert data["type"] == "suites"
    assert data["id"] == data["attributes"]["public_id"]
    return dict(data["attributes"])


def create(api: httpx.Client, **attributes: Any) -> dict[str, Any]:
    return suite(api.post(SUITES, json=suite_body(**attributes)))


def patch(api: httpx.Client, public_id: str, *ops: dict[str, Any]) -> httpx.Response:
    body = envelope("suites_json_patch", {"json_patch": list(ops)})
    return api.patch(f"{SUITES}/{public_id}/jsonpatch", json=body)


def test_create_answers_200_with_server_fields(api: httpx.Client) -> None:
    created = create(api)
    assert re.fullmatch(r"[a-z0-9]{3}-[a-z0-9]{3}-[a-z0-9]{3}", created["public_id"])
    assert isinstance(created["monitor_id"], int)
    assert created["version"] == 1
    assert re.fullmatch(r"[0-9a-f-]{36}", created["version_uuid"])
    assert created["created_at"] == created["modified_at"]
    for field in ("created_by", "modified_by", "org_id"):
        assert created[field]
    assert created["name"] == "Checkout suite"
    assert created["type"] == "suite"
    assert created["tags"] == ["team:web", "env:prod"]
    assert created["tests"] == [{"public_id": "abc-def-ghi", "alerting_criticality": "critical"}]
    assert created["options"] == {"alerting_threshold": 0.5}

    other = create(api, name="Second")
    assert other["public_id"] != created["public_id"]
    assert other["monitor_id"] > created["monitor_id"]
    assert suite(api.get(f"{SUITES}/{created['public_id']}")) == created


def test_minimal_suite_gets_empty_defaults(api: httpx.Client) -> None:
    minimal = {"type": "suite", "name": "bare", "options": {}, "tests": []}
    created = suite(api.post(SUITES, json=envelope("suites", minimal)))
    assert created["options"] == {}
    assert created["tests"] == []
    assert created["tags"] == []
    assert created["message"] == ""


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (suite_body(options={"alerting_threshold": 1.5}), "options.alerting_threshold"),
        (suite_body(options={"alerting_threshold": -0.1}), "options.alerting_threshold"),
        (suite_body(name=""), "data.attributes.name"),
        (suite_body(type="api"), "data.attributes.type"),
        (
            suite_body(tests=[{"public_id": "x", "alerting_criticality": "high"}]),
            "alerting_criticality",
        ),
        (suite_body(tests=[{"alerting_criticality": "ignore"}]), "tests[0].public_id"),
        (
            {"data": {"type": "suite", "attributes": suite_body()["data"]["attributes"]}},
            "data.type",
        ),
        ({"data": {"attributes": suite_body()["data"]["attributes"]}}, "data.type"),
    ],
)
def test_invalid_suite_is_a_400_naming_the_field(
    api: httpx.Client, body: dict[str, Any], fragment: str
) -> None:
    response = api.post(SUITES, json=body)
    assert response.status_code == 400
    assert fragment in error_text(response)


@pytest.mark.parametrize("missing", ["name", "options", "tests", "type"])
def test_missing_required_suite_field_is_a_400(api: httpx.Client, missing: str) -> None:
    body = suite_body()
    del body["data"]["attributes"][missing]
    response = api.post(SUITES, json=body)
    assert response.status_code == 400
    assert missing in error_text(response)


def test_unknown_suite_is_the_real_404(api: httpx.Client) -> None:
    for response in (
        api.get(f"{SUITES}/zzz-zzz-zzz"),
        api.put(f"{SUITES}/zzz-zzz-zzz", json=suite_body()),
        patch(api, "zzz-zzz-zzz", {"op": "replace", "path": "/name", "value": "x"}),
    ):
        assert response.status_code == 404
        assert response.json() == NOT_FOUND


def test_put_replaces_the_suite_and_bumps_version(api: httpx.Client) -> None:
    created = create(api)
    edited = suite(
        api.put(
            f"{SUITES}/{created['public_id']}",
            json=suite_body(name="Renamed", tags=["team:web"], options={}),
        )
    )
    assert edited["version"] == 2
    assert edited["version_uuid"] != created["version_uuid"]
    for kept in ("public_id", "monitor_id", "created_at", "created_by", "org_id"):
        assert edited[kept] == created[kept]
    assert edited["name"] == "Renamed"
    assert edited["tags"] == ["team:web"]
    assert edited["options"] == {}
    bad = api.put(
        f"{SUITES}/{created['public_id']}", json=suite_body(options={"alerting_threshold": 2})
    )
    assert bad.status_code == 400
    assert suite(api.get(f"{SUITES}/{created['public_id']}")) == edited


def test_json_patch_applies_every_rfc6902_op(api: httpx.Client) -> None:
    created = create(api)
    public_id = created["public_id"]
    patched = suite(
        patch(
            api,
            public_id,
            {"op": "test", "path": "/name", "value": "Checkout suite"},
            {"op": "replace", "path": "/name", "value": "Checkout (patched)"},
            {
                "op": "add",
                "path": "/tests/-",
                "value": {"public_id": "jkl-mno-pqr", "alerting_criticality": "ignore"},
            },
            {"op": "remove", "path": "/tags/1"},
            {"op": "copy", "from": "/tags/0", "path": "/tags/-"},
            {"op": "move", "from": "/tests/0", "path": "/tests/-"},
            {"op": "replace", "path": "/options/alerting_threshold", "value": 1},
        )
    )
    assert patched["name"] == "Checkout (patched)"
    assert patched["tags"] == ["team:web", "team:web"]
    assert [t["public_id"] for t in patched["tests"]] == ["jkl-mno-pqr", "abc-def-ghi"]
    assert patched["options"] == {"alerting_threshold": 1}
    assert patched["version"] == 2
    assert patched["monitor_id"] == created["monitor_id"]
    assert suite(api.get(f"{SUITES}/{public_id}")) == patched


@pytest.mark.parametrize(
    ("ops", "fragment"),
    [
        (
            [
                {"op": "replace", "path": "/name", "value": "changed first"},
                {"op": "test", "path": "/message", "value": "someone else's message"},
            ],
            "json_patch[1] (test /message)",
        ),
        (
            [
                {"op": "replace", "path": "/name", "value": "changed first"},
                {"op": "remove", "path": "/tags/7"},
            ],
            "json_patch[1] (remove /tags/7)",
        ),
        (
            [{"op": "replace", "path": "/nope/deeper", "value": 1}],
            "json_patch[0] (replace /nope/deeper)",
        ),
        (
            [{"op": "replace", "path": "/options/alerting_threshold", "value": 1.5}],
            "alerting_threshold",
        ),
        ([{"op": "remove", "path": "/name"}], "name"),
        (
            [{"op": "replace", "path": "/public_id", "value": "aaa-bbb-ccc"}],
            "public_id is set by the server",
        ),
        (
            [{"op": "replace", "path": "/tests/0/alerting_criticality", "value": "high"}],
            "alerting_criticality",
        ),
    ],
)
def test_failing_json_patch_changes_nothing_and_names_the_op(
    api: httpx.Client, ops: list[dict[str, Any]], fragment: str
) -> None:
    created = create(api)
    response = patch(api, created["public_id"], *ops)
    assert response.status_code == 400
    assert fragment in error_text(response)
    assert suite(api.get(f"{SUITES}/{created['public_id']}")) == created


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            envelope("suites_json_patch", {"json_patch": [{"op": "increment", "path": "/name"}]}),
            "op",
        ),
        (envelope("suites_json_patch", {"json_patch": [{"op": "add", "path": "/name"}]}), "value"),
        (envelope("suites_json_patch", {"json_patch": [{"op": "move", "path": "/name"}]}), "from"),
        (
            envelope(
                "suites_json_patch", {"json_patch": [{"op": "add", "path": "name", "value": 1}]}
            ),
            "JSON Pointer",
        ),
        (envelope("suites", {"json_patch": []}), "data.type"),
    ],
)
def test_malformed_json_patch_body_is_a_400(
    api: httpx.Client, body: dict[str, Any], fragment: str
) -> None:
    created = create(api)
    response = api.patch(f"{SUITES}/{created['public_id']}/jsonpatch", json=body)
    assert response.status_code == 400
    assert fragment in error_text(response)


def test_only_test_ops_do_not_bump_version(api: httpx.Client) -> None:
    created = create(api)
    same = suite(patch(api, created["public_id"], {"op": "test", "path": "/version", "value": 1}))
    assert same == created


def _bulk_delete(api: httpx.Client, ids: list[str]) -> httpx.Response:
    return api.post(
        f"{SUITES}/bulk-delete", json=envelope("delete_suites_request", {"public_ids": ids})
    )


def test_bulk_delete_returns_deleted_entries_and_skips_unknown_ids(api: httpx.Client) -> None:
    first, second = create(api, name="one"), create(api, name="two")
    response = _bulk_delete(api, [first["public_id"], "zzz-zzz-zzz"])
    assert response.status_code == 200
    deleted = DeletedSuitesResponse.model_validate(response.json()).data
    assert [(d.id, d.type, d.attributes.public_id) for d in deleted] == [
        (first["public_id"], "suites", first["public_id"])
    ]
    assert deleted[0].attributes.deleted_at
    assert api.get(f"{SUITES}/{first['public_id']}").status_code == 404
    assert api.get(f"{SUITES}/{second['public_id']}").status_code == 200

    none_known = _bulk_delete(api, [first["public_id"]])
    assert none_known.status_code == 404
    assert none_known.json() == NOT_FOUND


@pytest.mark.parametrize(
    ("attributes", "fragment"),
    [
        ({"public_ids": []}, "data.attributes.public_ids"),
        ({}, "data.attributes.public_ids"),
        ({"public_ids": "abc-def-ghi"}, "data.attributes.public_ids"),
    ],
)
def test_invalid_bulk_delete_is_a_400(
    api: httpx.Client, attributes: dict[str, Any], fragment: str
) -> None:
    response = api.post(f"{SUITES}/bulk-delete", json=envelope("delete_suites_request", attributes))
    assert response.status_code == 400
    assert fragment in error_text(response)


def _search(api: httpx.Client, **params: Any) -> dict[str, Any]:
    response = api.get(f"{SUITES}/search", params=params)
    assert response.status_code == 200, response.text
    SuitesSearchResponse.model_validate(response.json())
    data = response.json()["data"]
    assert data["type"] == "suites_search"
    return dict(data["attributes"])


def test_search_by_text_and_tags_with_sort_and_paging(api: httpx.Client) -> None:
    create(api, name="Checkout web", tags=["team:web", "env:prod"])
    create(api, name="Checkout mobile", tags=["team:mobile", "env:prod"])
    create(api, name="Search", tags=["team:web", "env:staging"])

    everything = _search(api)
    assert everything["total"] == 3
    assert [s["name"] for s in everything["suites"]] == [
        "Checkout mobile",
        "Checkout web",
        "Search",
    ]
    assert [s["name"] for s in _search(api, sort="name,desc")["suites"]] == [
        "Search",
        "Checkout web",
        "Checkout mobile",
    ]
    assert [s["name"] for s in _search(api, query="checkout")["suites"]] == [
        "Checkout mobile",
        "Checkout web",
    ]
    assert [s["name"] for s in _search(api, query="tag:team:web")["suites"]] == [
        "Checkout web",
        "Search",
    ]
    assert [
        s["name"] for s in _search(api, query="checkout tag:env:prod -tag:team:mobile")["suites"]
    ] == ["Checkout web"]
    assert [s["name"] for s in _search(api, query="tag:env:*", start=1, count=1)["suites"]] == [
        "Checkout web"
    ]
    paged = _search(api, start=2, count=5)
    assert paged["total"] == 3 and [s["name"] for s in paged["suites"]] == ["Search"]
    facets = _search(api, facets_only="true")
    assert facets["suites"] == [] and facets["total"] == 3
    tag_values = {v["name"]: v["count"] for v in facets["facets"][0]["values"]}
    assert tag_values["team:web"] == 2 and tag_values["env:prod"] == 2
    first = everything["suites"][0]
    for field in ("public_id", "monitor_id", "tags", "tests", "options"):
        assert field in first


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"sort": "color,asc"}, "sort"),
        ({"sort": "name,up"}, "sort"),
        ({"count": "0"}, "count"),
        ({"start": "-1"}, "start"),
        ({"count": "many"}, "count"),
        ({"facets_only": "maybe"}, "facets_only"),
    ],
)
def test_invalid_search_params_are_400s(
    api: httpx.Client, params: dict[str, str], fragment: str
) -> None:
    response = api.get(f"{SUITES}/search", params=params)
    assert response.status_code == 400
    assert fragment in error_text(response)
