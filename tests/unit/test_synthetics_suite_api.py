"""SyntheticsSuite provider against a fake suites API on httpx.MockTransport.

Covers the calls each hook sends, create recovery after a lost answer (adopt / resend /
refuse), guard-failure mapping, a lost PATCH answer, read of a deleted suite, delete of
a suite already gone, and adoption of an existing suite with ``public_id=``.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jsonpatch
import pytest

from pulumi_datadog_testing.api import catalog
from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.errors import (
    BadRequestError,
    DatadogError,
    NotFoundError,
    SuiteAdoptionError,
    SuiteChangedError,
)
from pulumi_datadog_testing.resources import synthetics_suite as mod
from pulumi_datadog_testing.resources.synthetics_suite import (
    SyntheticsSuiteProvider,
)
from tests.unit.test_synthetics_suite_check import PROVIDER, TESTS

SUITES = catalog.CREATE_SUITE.path
INPUTS: dict[str, Any] = {
    "name": "Checkout ~/ suite",
    "message": "checkout is down",
    "tags": ["a~b/c", "team:shop"],
    "tests": TESTS,
    "options": {"alerting_threshold": 0.5},
}
NOT_FOUND = {"errors": ["Synthetics test not found"]}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class FakeSuitesAPI:
    """The suite endpoints, in memory. ``lose_answer[method] = n``: the next n calls with that
    method are applied (when ``apply``) and then answered by a read timeout."""

    suites: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    lose_answer: dict[str, int] = field(default_factory=dict)
    apply_lost: bool = True
    lost_status: int | None = None  # answer this status instead of timing out
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, name: str, created_at: str | None = None, **fields: Any) -> str:
        public_id = f"sui-te0-{next(self.ids):03d}"
        self.suites[public_id] = {
            "type": "suite", "name": name, "message": "", "tags": [], "tests": [],
            "options": {}, **fields, "public_id": public_id, "monitor_id": 140000000 + len(self.suites),
            "created_at": created_at or _now(),
        }  # fmt: skip
        return public_id

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        path = request.url.path
        self.calls.append((request.method, path, body))
        lost = self.lose_answer.get(request.method, 0) > 0
        if lost:
            self.lose_answer[request.method] -= 1
            if not self.apply_lost:
                raise httpx.ReadTimeout("timed out", request=request)
        response = self._route(request, path, body)
        if lost and self.lost_status is not None:
            return httpx.Response(self.lost_status, json={"errors": ["Internal Server Error"]})
        if lost:
            raise httpx.ReadTimeout("timed out", request=request)
        return response

    def _route(self, request: httpx.Request, path: str, body: Any) -> httpx.Response:
        method = request.method
        if (method, path) == ("POST", SUITES):
            public_id = self.add(
                **{k: v for k, v in body["data"]["attributes"].items() if k != "type"}
            )
            return self._suite(public_id)
        if (method, path) == ("GET", f"{SUITES}/search"):
            text = request.url.params["query"].strip('"').lower()
            found = [s for s in self.suites.values() if text in s["name"].lower()]
            start, count = int(request.url.params["start"]), int(request.url.params["count"])
            attributes = {"suites": found[start : start + count], "total": len(found)}
            return httpx.Response(
                200, json={"data": {"type": "suites_search", "attributes": attributes}}
            )
        if (method, path) == ("POST", f"{SUITES}/bulk-delete"):
            gone = [p for p in body["data"]["attributes"]["public_ids"] if self.suites.pop(p, None)]
            if not gone:
                return httpx.Response(404, json=NOT_FOUND)
            data = [{"type": "suites", "id": p, "attributes": {"public_id": p}} for p in gone]
            return httpx.Response(200, json={"data": data})
        public_id = path.removeprefix(SUITES + "/").removesuffix("/jsonpatch")
        if public_id not in self.suites:
            return httpx.Response(404, json=NOT_FOUND)
        if method == "GET":
            return self._suite(public_id)
        assert method == "PATCH" and path.endswith("/jsonpatch"), (method, path)
        patch = body["data"]["attributes"]["json_patch"]
        try:
            patched = jsonpatch.JsonPatch(patch).apply(copy.deepcopy(self.suites[public_id]))
        except jsonpatch.JsonPatchException:
            return httpx.Response(400, json={"errors": ["Bad Request"]})  # the seed's 400 text
        if not patched["name"]:
            # worded to look like a failed test op: the read-back, not the text, decides
            text = "name: must not be empty (schema test failed)"
            return httpx.Response(400, json={"errors": [text]})
        self.suites[public_id] = patched
        return self._suite(public_id)

    def _suite(self, public_id: str) -> httpx.Response:
        doc = self.suites[public_id]
        return httpx.Response(
            200, json={"data": {"type": "suites", "id": public_id, "attributes": doc}}
        )

    def paths(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p, _ in self.calls]


@pytest.fixture
def api() -> FakeSuitesAPI:
    return FakeSuitesAPI()


@pytest.fixture
def provider(api: FakeSuitesAPI, serve: Callable[..., DatadogClient]) -> SyntheticsSuiteProvider:
    serve(api)
    return SyntheticsSuiteProvider()


@pytest.fixture
def settle_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    sleeps: list[float] = []
    monkeypatch.setattr(mod, "_sleep", sleeps.append)
    return sleeps


def create(provider: SyntheticsSuiteProvider, **changes: Any) -> tuple[str, dict[str, Any]]:
    result = provider.create({**INPUTS, **changes, "__provider": PROVIDER})
    assert result.outs is not None
    return result.id, result.outs


# ---------------------------------------------------------------------------- create


def test_create_posts_the_inputs_and_returns_datadog_values(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = create(provider)
    assert api.calls == [
        (
            "POST",
            SUITES,
            {"data": {"type": "suites", "attributes": {"type": "suite", **INPUTS}}},
        )
    ]
    assert public_id == "sui-te0-001"
    assert outs == {
        **INPUTS,
        "public_id": public_id,
        "monitor_id": 140000000,
        "managed_paths": [
            "name", "message", "tags", "tests", "options",
            *(f"tests/{t['public_id']}/alerting_criticality" for t in TESTS),
            "options/alerting_threshold",
        ],
    }  # fmt: skip


def test_create_omits_unmanaged_fields(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    result = provider.create({"name": "n", "tests": [{"public_id": "abc-def-001"}]})
    assert result.outs is not None and result.outs["message"] == ""  # Datadog's default
    sent = api.calls[0][2]["data"]["attributes"]
    assert sent == {
        "type": "suite",
        "name": "n",
        "tests": [{"public_id": "abc-def-001"}],
        "options": {},
    }


def test_lost_create_answer_adopts_the_suite_it_made(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI, settle_sleeps: list[float]
) -> None:
    api.add(INPUTS["name"], tags=["other"])  # same name, different content: not ours
    api.add("Checkout ~/ suite (copy)", **{k: v for k, v in INPUTS.items() if k != "name"})
    api.lose_answer["POST"] = 1
    public_id, outs = create(provider)
    assert len(api.suites) == 3  # exactly one created
    assert public_id == "sui-te0-003" and outs["public_id"] == public_id
    assert outs["tags"] == INPUTS["tags"]
    assert api.paths() == [
        ("POST", SUITES),
        ("GET", f"{SUITES}/search"),
        ("GET", f"{SUITES}/{public_id}"),
    ]
    assert settle_sleeps == []


def test_create_answered_by_a_5xx_after_applying_is_adopted(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    api.lose_answer["POST"] = 1
    api.lost_status = 503
    public_id, outs = create(provider)
    assert list(api.suites) == [public_id] and outs["name"] == INPUTS["name"]
    assert [m for m, _ in api.paths()] == ["POST", "GET", "GET"]


def test_lost_create_that_did_not_happen_is_sent_again(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI, settle_sleeps: list[float]
) -> None:
    api.lose_answer["POST"] = 1
    api.apply_lost = False
    public_id, _ = create(provider)
    assert list(api.suites) == [public_id]
    searches = [c for c in api.paths() if c[1].endswith("/search")]
    assert len(searches) == mod.SEARCH_SETTLE_ATTEMPTS  # search may lag: asked a few times
    assert settle_sleeps == [mod.SEARCH_SETTLE_SECONDS] * (mod.SEARCH_SETTLE_ATTEMPTS - 1)
    assert [c for c in api.paths() if c[0] == "POST"] == [("POST", SUITES)] * 2


def test_old_identical_suite_is_not_adopted(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI, settle_sleeps: list[float]
) -> None:
    long_ago = (datetime.now(UTC) - mod.RECENT_WINDOW - timedelta(minutes=1)).isoformat()
    old_one = api.add(**{**INPUTS, "created_at": long_ago})
    api.lose_answer["POST"] = 1
    api.apply_lost = False
    public_id, _ = create(provider)
    assert public_id != old_one and set(api.suites) == {old_one, public_id}


def test_lost_create_with_two_identical_candidates_is_refused(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    other = api.add(**INPUTS)
    api.lose_answer["POST"] = 1
    with pytest.raises(SuiteAdoptionError) as info:
        create(provider)
    message = str(info.value)
    assert "the answer was lost and 2 identical suites were created just now" in message
    assert other in message and "sui-te0-002" in message


def test_lost_create_search_paginates(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog, "SEARCH_SUITES", replace(catalog.SEARCH_SUITES, page_size=2))
    for n in range(5):
        api.add(f"{INPUTS['name']} {n}")
    api.lose_answer["POST"] = 1
    public_id, _ = create(provider)
    assert public_id == "sui-te0-006" and len(api.suites) == 6
    starts = [c for c in api.calls if c[1].endswith("/search")]
    assert len(starts) == 3


# ------------------------------------------------------------------------------ read


def test_read_returns_datadog_values(provider: SyntheticsSuiteProvider, api: FakeSuitesAPI) -> None:
    public_id, outs = create(provider)
    api.suites[public_id]["tags"].append("added:outside")
    result = provider.read(public_id, {**outs, "__provider": PROVIDER})
    assert result.id == public_id
    assert result.outs == {**outs, "tags": [*INPUTS["tags"], "added:outside"]}


def test_refresh_reports_drift_as_inputs_in_the_declared_shape(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    result = provider.create(
        {"name": "n", "tags": ["b", "a"], "tests": [{"public_id": "abc-def-001"}]}
    )
    public_id, outs = result.id, result.outs
    assert outs is not None and outs["managed_paths"] == ["name", "tags", "tests"]
    on_server = api.suites[public_id]
    on_server["tags"].append("added:outside")
    on_server["message"] = "not managed"
    on_server["tests"].append({"public_id": "xyz-out-001", "alerting_criticality": "ignore"})
    read = provider.read(public_id, {**outs, "__provider": PROVIDER})
    # Undeclared message and criticality stay out; the test added outside is reported whole.
    assert read.inputs == {
        "name": "n",
        "tags": ["a", "added:outside", "b"],
        "tests": [
            {"public_id": "abc-def-001"},
            {"public_id": "xyz-out-001", "alerting_criticality": "ignore"},
        ],
    }
    assert read.outs is not None and read.outs["managed_paths"] == outs["managed_paths"]


def test_refresh_keeps_declared_option_and_criticality_keys(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = create(provider)
    api.suites[public_id]["options"]["alerting_threshold"] = 0.9
    api.suites[public_id]["tests"][0]["alerting_criticality"] = "ignore"
    read = provider.read(public_id, {**outs, "__provider": PROVIDER})
    assert read.inputs is not None
    assert read.inputs["options"] == {"alerting_threshold": 0.9}
    assert read.inputs["tests"][0] == {**TESTS[0], "alerting_criticality": "ignore"}
    assert read.inputs["message"] == INPUTS["message"]


def test_read_by_get_reports_no_inputs(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, _ = create(provider)
    assert provider.read(public_id, {"__provider": PROVIDER}).inputs is None


def test_read_of_deleted_suite_reports_it_gone(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    result = provider.read("sui-gon-e00", {"__provider": PROVIDER})
    assert (result.id, result.outs) == ("", {})
    assert api.paths() == [("GET", f"{SUITES}/sui-gon-e00")]


# ---------------------------------------------------------------------------- update


def update(
    provider: SyntheticsSuiteProvider, public_id: str, outs: dict[str, Any], **changes: Any
) -> dict[str, Any]:
    news = {**INPUTS, **changes, "__provider": PROVIDER}
    result = provider.update(public_id, {**outs, "__provider": PROVIDER}, news)
    assert result.outs is not None
    return result.outs


def test_update_sends_only_the_guarded_change(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = create(provider)
    api.calls.clear()
    new = update(provider, public_id, outs, tags=[*INPUTS["tags"], "tier:1"])
    assert api.calls == [
        (
            "PATCH",
            f"{SUITES}/{public_id}/jsonpatch",
            {
                "data": {
                    "type": "suites_json_patch",
                    "attributes": {
                        "json_patch": [
                            {"op": "test", "path": "/tags", "value": INPUTS["tags"]},
                            {"op": "add", "path": "/tags/-", "value": "tier:1"},
                        ]
                    },
                }
            },
        )
    ]
    assert new["tags"] == [*INPUTS["tags"], "tier:1"]


def test_update_without_change_sends_nothing(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = create(provider)
    api.calls.clear()
    assert update(provider, public_id, outs, tags=list(reversed(INPUTS["tags"]))) == outs
    assert api.calls == []


def test_out_of_band_edit_fails_the_update_and_changes_nothing(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = create(provider)
    api.suites[public_id]["tags"] = ["team:other"]  # edited in Datadog
    before = copy.deepcopy(api.suites[public_id])
    with pytest.raises(SuiteChangedError) as info:
        update(provider, public_id, outs, tags=["team:shop"], name="Renamed")
    assert str(info.value) == f"suite {public_id} changed outside Pulumi — run `pulumi refresh`"
    assert api.suites[public_id] == before
    assert api.paths()[-2:] == [
        ("PATCH", f"{SUITES}/{public_id}/jsonpatch"),
        ("GET", f"{SUITES}/{public_id}"),
    ]


def test_edit_outside_pulumi_stays_caught_after_an_unrelated_update(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = create(provider)
    api.suites[public_id]["tags"] = ["team:other"]  # edited in Datadog
    renamed = update(provider, public_id, outs, name="Renamed")  # does not touch tags: fine
    assert renamed == {**outs, "name": "Renamed"}  # tags as last refreshed, not absorbed
    assert api.suites[public_id]["name"] == "Renamed"
    with pytest.raises(SuiteChangedError):
        update(provider, public_id, renamed, name="Renamed", tags=["team:shop"])
    assert api.suites[public_id]["tags"] == ["team:other"]


def test_guard_failure_is_also_recognised_from_the_error_text(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    public_id, outs = create(provider)
    api.suites[public_id]["name"] = "changed outside"
    real_route = api._route

    def emulator_wording(request: httpx.Request, path: str, body: Any) -> httpx.Response:
        if request.method == "GET":  # the read-back fails: only the text is left to go by
            return httpx.Response(403, json={"errors": ["Forbidden"]})
        response = real_route(request, path, body)
        if response.status_code == 400:
            text = "json_patch[0] (test /name): test failed: 'changed outside' != 'Checkout'"
            return httpx.Response(400, json={"errors": [text]})
        return response

    monkeypatch.setattr(api, "_route", emulator_wording)
    with pytest.raises(SuiteChangedError, match="changed outside Pulumi"):
        update(provider, public_id, outs, name="Renamed")


def test_other_bad_requests_keep_their_own_text(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = create(provider)
    with pytest.raises(BadRequestError, match="name: must not be empty") as info:
        update(provider, public_id, outs, name="")
    assert not isinstance(info.value, SuiteChangedError)
    assert api.suites[public_id]["name"] == INPUTS["name"]


def test_update_of_deleted_suite_says_so(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = create(provider)
    del api.suites[public_id]
    with pytest.raises(NotFoundError, match=r"deleted outside Pulumi\? run `pulumi refresh`"):
        update(provider, public_id, outs, name="Renamed")


def test_lost_patch_answer_that_was_applied_is_adopted(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = create(provider)
    api.lose_answer["PATCH"] = 1
    new = update(provider, public_id, outs, tags=["team:shop"])
    assert new["tags"] == ["team:shop"] == api.suites[public_id]["tags"]
    assert [m for m, _ in api.paths()] == ["POST", "PATCH", "GET"]


def test_lost_patch_answer_that_was_not_applied_is_sent_again(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = create(provider)
    api.lose_answer["PATCH"] = 1
    api.apply_lost = False
    new = update(provider, public_id, outs, tags=["team:shop"])
    assert new["tags"] == ["team:shop"]
    assert [m for m, _ in api.paths()] == ["POST", "PATCH", "GET", "PATCH"]


def test_lost_patch_answer_on_a_suite_changed_meanwhile_fails_cleanly(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = create(provider)
    api.lose_answer["PATCH"] = 1
    api.apply_lost = False
    api.suites[public_id]["tags"] = ["someone:else"]
    with pytest.raises(SuiteChangedError, match=f"^suite {public_id} changed outside Pulumi"):
        update(provider, public_id, outs, tags=["team:shop"])
    assert api.suites[public_id]["tags"] == ["someone:else"]
    assert [m for m, _ in api.paths()] == ["POST", "PATCH", "GET"]  # not sent again


# ---------------------------------------------------------------------------- delete


def test_delete_uses_bulk_delete(provider: SyntheticsSuiteProvider, api: FakeSuitesAPI) -> None:
    public_id, outs = create(provider)
    provider.delete(public_id, {**outs, "__provider": PROVIDER})
    assert api.suites == {}
    assert api.calls[-1] == (
        "POST",
        f"{SUITES}/bulk-delete",
        {"data": {"type": "delete_suites_request", "attributes": {"public_ids": [public_id]}}},
    )


def test_delete_of_a_suite_already_gone_succeeds(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    provider.delete("sui-gon-e00", {"__provider": PROVIDER})
    assert api.paths() == [("POST", f"{SUITES}/bulk-delete")]


# -------------------------------------------------------------------------- adoption


def adopt(provider: SyntheticsSuiteProvider, api: FakeSuitesAPI) -> tuple[str, dict[str, Any]]:
    public_id = api.add(**INPUTS)
    api.calls.clear()
    result = provider.create({**INPUTS, "public_id": public_id, "__provider": PROVIDER})
    assert result.outs is not None
    return public_id, result.outs


def test_adopting_an_identical_suite_reads_it_and_writes_nothing(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = adopt(provider, api)
    assert api.paths() == [("GET", f"{SUITES}/{public_id}")]
    assert outs["public_id"] == public_id
    assert outs["adopted"] == {k: INPUTS[k] for k in ("name", "message", "tags", "tests")} | {
        "options": INPUTS["options"]
    }
    # a no-change update and the diff keep the adoption record; delete writes nothing
    api.calls.clear()
    news = {**INPUTS, "public_id": public_id, "__provider": PROVIDER}
    assert not provider.diff(public_id, outs, news).changes
    assert provider.update(public_id, outs, news).outs == outs
    provider.delete(public_id, {**outs, "__provider": PROVIDER})
    assert api.calls == []
    assert public_id in api.suites


def test_adopting_with_other_values_patches_only_those(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id = api.add(**INPUTS)
    api.calls.clear()
    props = {**INPUTS, "message": "paged", "public_id": public_id, "__provider": PROVIDER}
    outs = provider.create(props).outs
    assert outs is not None
    assert [m for m, _ in api.paths()] == ["GET", "PATCH"]
    assert api.suites[public_id]["message"] == "paged"
    assert outs["message"] == "paged" and outs["adopted"]["message"] == INPUTS["message"]


def test_destroying_an_adopted_suite_puts_it_back_instead_of_deleting_it(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = adopt(provider, api)
    before = copy.deepcopy(api.suites[public_id])
    news = {**INPUTS, "public_id": public_id, "tags": ["team:new"], "__provider": PROVIDER}
    outs = provider.update(public_id, outs, news).outs or {}
    assert api.suites[public_id]["tags"] == ["team:new"]
    api.calls.clear()
    provider.delete(public_id, {**outs, "__provider": PROVIDER})
    assert [m for m, _ in api.paths()] == ["PATCH"]
    assert api.suites[public_id] == before


def test_adopting_a_suite_that_does_not_exist_is_a_clear_error(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    with pytest.raises(DatadogError, match=r"sui-nop-e00 does not exist.*remove `public_id`"):
        provider.create({**INPUTS, "public_id": "sui-nop-e00", "__provider": PROVIDER})
    assert api.paths() == [("GET", f"{SUITES}/sui-nop-e00")]


def test_another_public_id_replaces_and_dropping_it_keeps_the_suite_managed(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = adopt(provider, api)
    other = provider.diff(public_id, outs, {**INPUTS, "public_id": "sui-oth-er0"})
    assert other.replaces == ["public_id"] and "public_id" not in (other.stables or [])
    dropped = provider.diff(public_id, outs, dict(INPUTS))
    assert not dropped.changes and dropped.replaces == []
    assert provider.check({}, {**INPUTS, "public_id": ""}).failures


def test_refresh_of_an_adopted_suite_keeps_the_adoption_record(
    provider: SyntheticsSuiteProvider, api: FakeSuitesAPI
) -> None:
    public_id, outs = adopt(provider, api)
    api.suites[public_id]["message"] = "edited outside"
    result = provider.read(public_id, {**outs, "__provider": PROVIDER})
    assert result.outs is not None and result.inputs is not None
    assert result.outs["adopted"] == outs["adopted"]
    assert result.outs["message"] == "edited outside"
    assert result.inputs["public_id"] == public_id  # still declares which suite it is
    assert result.inputs["message"] == "edited outside"  # drift shows in the next preview
