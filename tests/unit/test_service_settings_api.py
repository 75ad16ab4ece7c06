"""ServiceSettings provider hooks against a fake settings API on httpx.MockTransport.

Asserts the exact calls of create/update/delete/read, that destroy puts every managed
setting back the way it was (re-inherit vs old value), and how API errors surface.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pulumi_datadog_testing.api import catalog
from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.errors import DatadogAPIError, ForbiddenError
from pulumi_datadog_testing.identity import service_settings_id
from pulumi_datadog_testing.models import (
    INHERITABLE_SETTINGS,
    SERVICE_SETTING_NAMES,
    WIRE_CONTEXT,
    ServiceSettingsGetRequest,
    ServiceSettingsUpdateRequest,
)
from pulumi_datadog_testing.resources.service_settings import (
    ServiceSettingsProvider,
    documented_outputs,
    recorded_outputs,
)

PROVIDER = "<pickled provider>"
SETTINGS_PATH = catalog.GET_SERVICE_SETTINGS.path
REPO, SERVICE = "github.com/acme/shop", "checkout"
IDENTITY = {"repository_id": REPO, "service_name": SERVICE, "env": "prod"}
SETTINGS_ID = f"{REPO}::{SERVICE}::prod"
UPDATE_TYPE = "test_optimization_update_service_settings_request"


@dataclass
class FakeSettingsAPI:
    """The settings endpoints in memory: a service stores only its overrides; the rest is
    inherited from ``defaults``. ``seeds_shape``: answers without ``*_is_overridden``;
    ``pr_comments_applied=False``: the current API, which ignores ``pr_comments_enabled``."""

    overrides: dict[str, dict[str, bool]] = field(default_factory=dict)
    defaults: dict[str, bool] = field(
        default_factory=lambda: dict.fromkeys(SERVICE_SETTING_NAMES, False)
    )
    seeds_shape: bool = False
    pr_comments_applied: bool = True
    fail_with: int | None = None
    applied_then_503: int = 0
    """How many more PATCHes are applied, then answered 503 (an answer lost after the write)."""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.calls.append((request.method, body))
        assert request.url.path == SETTINGS_PATH
        if self.fail_with is not None:
            return httpx.Response(self.fail_with, json={"errors": ["Forbidden"]})
        if request.method == "POST":
            ident = ServiceSettingsGetRequest.model_validate(body, context=WIRE_CONTEXT)
            key = service_settings_id(**ident.data.attributes.model_dump())
            if key not in self.overrides:
                return httpx.Response(404, json={"errors": ["Service settings not found"]})
            return httpx.Response(200, json=self.answer(key))
        assert request.method == "PATCH"
        attrs = ServiceSettingsUpdateRequest.model_validate(
            body, context=WIRE_CONTEXT
        ).data.attributes
        key = service_settings_id(attrs.repository_id, attrs.service_name, attrs.env)
        stored = self.overrides.setdefault(key, {})
        for name in SERVICE_SETTING_NAMES:
            if getattr(attrs, f"{name}_inherit", None):
                stored.pop(name, None)
            elif (value := getattr(attrs, name)) is not None and (
                name != "pr_comments_enabled" or self.pr_comments_applied
            ):
                stored[name] = value
        if self.applied_then_503:
            self.applied_then_503 -= 1
            return httpx.Response(503, json={"errors": ["Service Unavailable"]})
        return httpx.Response(200, json=self.answer(key))

    def answer(self, key: str) -> dict[str, Any]:
        repository_id, service_name, env = key.split("::")
        stored = self.overrides[key]
        attributes: dict[str, Any] = {
            "repository_id": repository_id, "service_name": service_name, "env": env,
            **{name: stored.get(name, self.defaults[name]) for name in SERVICE_SETTING_NAMES},
        }  # fmt: skip
        if not self.seeds_shape:
            for name in INHERITABLE_SETTINGS:
                attributes[f"{name}_is_overridden"] = name in stored
        return {
            "data": {
                "id": key,
                "type": "test_optimization_service_settings",
                "attributes": attributes,
            }
        }

    def set(self, **values: bool) -> None:
        """Out-of-band overrides of the ``prod`` service."""
        self.overrides.setdefault(SETTINGS_ID, {}).update(values)

    def sent(self) -> list[tuple[str, dict[str, Any]]]:
        """(method, attributes) of each call so far, and forget them."""
        calls = [(method, body["data"]["attributes"]) for method, body in self.calls]
        self.calls.clear()
        return calls


@pytest.fixture
def api() -> FakeSettingsAPI:
    return FakeSettingsAPI()


@pytest.fixture
def provider(api: FakeSettingsAPI, serve: Callable[..., DatadogClient]) -> ServiceSettingsProvider:
    serve(api)
    return ServiceSettingsProvider()


def inputs(**settings: bool) -> dict[str, Any]:
    return {**IDENTITY, **settings, "__provider": PROVIDER}


def create(provider: ServiceSettingsProvider, **declared: bool) -> dict[str, Any]:
    result = provider.create(inputs(**declared))
    assert result.id == SETTINGS_ID
    assert result.outs is not None
    return {**result.outs, "__provider": PROVIDER}


def update(
    provider: ServiceSettingsProvider, olds: dict[str, Any], **declared: bool
) -> dict[str, Any]:
    result = provider.update(SETTINGS_ID, olds, inputs(**declared))
    assert result.outs is not None
    return {**result.outs, "__provider": PROVIDER}


# ----------------------------------------------------------------------------- create


def test_create_of_new_settings_is_one_get_and_one_patch_of_the_declared_fields(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    outs = create(provider, early_flake_detection_enabled=True, auto_test_retries_enabled=False)
    assert api.sent() == [
        ("POST", IDENTITY),
        ("PATCH", {**IDENTITY, "auto_test_retries_enabled": False, "early_flake_detection_enabled": True}),
    ]  # fmt: skip
    assert recorded_outputs(outs)["prior_existed"] is False
    assert recorded_outputs(outs)["prior"] == {
        "auto_test_retries_enabled": {"is_overridden": False},
        "early_flake_detection_enabled": {"is_overridden": False},
    }
    assert {k: outs[k] for k in ("early_flake_detection_enabled", "auto_test_retries_enabled")} == {
        "early_flake_detection_enabled": True,
        "auto_test_retries_enabled": False,
    }
    assert "code_coverage_enabled" not in outs


def test_create_over_existing_settings_records_values_and_overrides(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    api.set(code_coverage_enabled=True)
    api.defaults["early_flake_detection_enabled"] = True
    outs = create(provider, code_coverage_enabled=False, early_flake_detection_enabled=False)
    assert recorded_outputs(outs)["prior_existed"] is True
    assert recorded_outputs(outs)["prior"] == {
        "code_coverage_enabled": {"value": True, "is_overridden": True},
        "early_flake_detection_enabled": {"value": True, "is_overridden": False},
    }


def test_create_over_settings_already_overridden_as_declared_writes_nothing(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    """Adopting settings that are already right (what `generate` emits) is read-only."""
    api.set(code_coverage_enabled=True, early_flake_detection_enabled=False)
    api.calls.clear()
    outs = create(provider, code_coverage_enabled=True, early_flake_detection_enabled=False)
    assert api.sent() == [("POST", IDENTITY)]
    assert recorded_outputs(outs)["prior"] == {
        "code_coverage_enabled": {"value": True, "is_overridden": True},
        "early_flake_detection_enabled": {"value": False, "is_overridden": True},
    }
    provider.delete(SETTINGS_ID, outs)  # released unchanged: nothing to put back
    assert api.sent() == []
    changed = update(
        provider, outs, code_coverage_enabled=False, early_flake_detection_enabled=False
    )
    api.sent()
    provider.delete(SETTINGS_ID, changed)  # only what Pulumi changed goes back
    assert api.sent() == [("PATCH", {**IDENTITY, "code_coverage_enabled": True})]


def test_create_overrides_an_inherited_value_even_when_equal(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    api.set(code_coverage_enabled=True)
    api.calls.clear()
    create(provider, code_coverage_enabled=True, early_flake_detection_enabled=False)
    assert api.sent() == [
        ("POST", IDENTITY),
        ("PATCH", {**IDENTITY, "early_flake_detection_enabled": False}),
    ]


def test_create_with_nothing_declared_still_records_existence_but_sends_no_patch(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    outs = create(provider)
    assert api.sent() == [("POST", IDENTITY)]
    assert (
        recorded_outputs(outs)["prior"] == {} and recorded_outputs(outs)["prior_existed"] is False
    )


def test_create_error_names_the_settings_and_leaves_nothing_changed(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    api.fail_with = 403
    with pytest.raises(ForbiddenError) as raised:
        provider.create(inputs(code_coverage_enabled=True))
    message = str(raised.value)
    assert message.startswith(f"service settings {SETTINGS_ID!r}: POST {SETTINGS_PATH} -> 403")
    assert "test_optimization_read" in message and "\n" not in message
    assert api.overrides == {}


def test_a_conflict_names_the_settings_once(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    api.fail_with = 409
    with pytest.raises(DatadogAPIError) as raised:
        provider.create(inputs(code_coverage_enabled=True))
    assert raised.value.status == 409
    assert str(raised.value).count(repr(SETTINGS_ID)) == 1, str(raised.value)


def test_create_whose_patch_may_have_been_applied_puts_the_settings_back(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    api.set(code_coverage_enabled=True)
    api.applied_then_503 = 4  # the first attempt and its 3 retries
    with pytest.raises(DatadogAPIError) as raised:
        provider.create(inputs(code_coverage_enabled=False, early_flake_detection_enabled=True))
    assert raised.value.status == 503
    assert str(raised.value).endswith("; the settings were put back as they were")
    cause = raised.value.__cause__
    assert isinstance(cause, DatadogAPIError) and "put back" not in str(cause)  # not mutated
    sent = api.sent()
    assert [method for method, _ in sent] == ["POST", *["PATCH"] * 5]
    assert sent[-1] == (
        "PATCH", {**IDENTITY, "code_coverage_enabled": True, "early_flake_detection_enabled_inherit": True}
    )  # fmt: skip
    # As before the create: a retried create records the true prior values.
    assert api.overrides[SETTINGS_ID] == {"code_coverage_enabled": True}


def test_create_refused_with_a_4xx_sends_no_undo(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = api.__call__

    def refuse_patch(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            api.calls.append((request.method, json.loads(request.content)))
            return httpx.Response(400, json={"errors": ["bad attribute"]})
        return real(request)

    monkeypatch.setattr(FakeSettingsAPI, "__call__", lambda _self, request: refuse_patch(request))
    with pytest.raises(DatadogAPIError) as raised:
        provider.create(inputs(code_coverage_enabled=True))
    assert raised.value.status == 400 and "put back" not in str(raised.value)
    assert [method for method, _ in api.sent()] == ["POST", "PATCH"]


# ----------------------------------------------------------------------------- delete


def test_delete_reinherits_inherited_and_restores_overridden_in_one_patch(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    api.set(auto_test_retries_enabled=True)
    outs = create(provider, auto_test_retries_enabled=False, early_flake_detection_enabled=True)
    api.sent()
    provider.delete(SETTINGS_ID, outs)
    assert api.sent() == [
        ("PATCH", {**IDENTITY, "auto_test_retries_enabled": True, "early_flake_detection_enabled_inherit": True})
    ]  # fmt: skip
    assert api.overrides[SETTINGS_ID] == {"auto_test_retries_enabled": True}


def test_delete_of_settings_that_did_not_exist_reinherits_and_does_not_delete(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    outs = create(provider, test_impact_analysis_enabled=True)
    api.set(failed_test_replay_enabled=True)  # someone else's change to an unmanaged setting
    api.sent()
    provider.delete(SETTINGS_ID, outs)
    assert api.sent() == [("PATCH", {**IDENTITY, "test_impact_analysis_enabled_inherit": True})]
    assert api.overrides[SETTINGS_ID] == {"failed_test_replay_enabled": True}


def test_delete_with_seeds_shaped_answers_sets_the_old_values(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    api.seeds_shape = True
    api.set(code_coverage_enabled=False)
    outs = create(provider, code_coverage_enabled=True, pr_comments_enabled=True)
    api.sent()
    provider.delete(SETTINGS_ID, outs)
    assert api.sent() == [
        ("PATCH", {**IDENTITY, "code_coverage_enabled": False, "pr_comments_enabled": False})
    ]


def test_delete_with_nothing_managed_makes_no_call(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    outs = create(provider)
    api.sent()
    provider.delete(SETTINGS_ID, outs)
    assert api.sent() == []


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=st.dictionaries(st.sampled_from(SERVICE_SETTING_NAMES), st.booleans()),
    declared=st.dictionaries(st.sampled_from(SERVICE_SETTING_NAMES), st.booleans(), min_size=1),
    seeds_shape=st.booleans(),
)
def test_create_then_delete_puts_back_what_was_there(
    serve: Callable[..., DatadogClient],
    before: dict[str, bool],
    declared: dict[str, bool],
    seeds_shape: bool,
) -> None:
    """Effective values always come back; with inheritance info the inheritable overrides do
    too (``pr_comments_enabled`` cannot be re-inherited: its old value is set instead)."""
    api = FakeSettingsAPI(seeds_shape=seeds_shape)
    api.set(**before)
    effective_before = api.answer(SETTINGS_ID)["data"]["attributes"]
    serve(api)  # a new client per example
    provider = ServiceSettingsProvider()
    provider.delete(SETTINGS_ID, create(provider, **declared))
    assert api.answer(SETTINGS_ID)["data"]["attributes"] == effective_before
    if not seeds_shape:
        after = api.overrides[SETTINGS_ID]
        assert {k: v for k, v in after.items() if k in INHERITABLE_SETTINGS} == {
            k: v for k, v in before.items() if k in INHERITABLE_SETTINGS
        }


# ----------------------------------------------------------------------------- update


def test_update_patches_only_the_changed_setting(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    outs = create(provider, early_flake_detection_enabled=True, code_coverage_enabled=True)
    api.sent()
    new = update(provider, outs, early_flake_detection_enabled=False, code_coverage_enabled=True)
    assert api.sent() == [("PATCH", {**IDENTITY, "early_flake_detection_enabled": False})]
    assert recorded_outputs(new)["prior"] == recorded_outputs(outs)["prior"]
    assert new["early_flake_detection_enabled"] is False


def test_update_of_a_newly_managed_setting_records_its_prior_value_first(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    outs = create(provider, early_flake_detection_enabled=True)
    api.set(code_coverage_enabled=True)
    api.sent()
    new = update(provider, outs, early_flake_detection_enabled=True, code_coverage_enabled=False)
    assert api.sent() == [
        ("POST", IDENTITY),
        ("PATCH", {**IDENTITY, "code_coverage_enabled": False}),
    ]
    assert recorded_outputs(new)["prior"]["code_coverage_enabled"] == {
        "value": True,
        "is_overridden": True,
    }
    assert (
        recorded_outputs(new)["prior"]["early_flake_detection_enabled"]
        == recorded_outputs(outs)["prior"]["early_flake_detection_enabled"]
    )


def test_update_that_releases_a_setting_restores_it(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    api.set(failed_test_replay_enabled=True)
    outs = create(provider, failed_test_replay_enabled=False, early_flake_detection_enabled=True)
    api.sent()
    new = update(provider, outs, failed_test_replay_enabled=False)
    assert api.sent() == [("PATCH", {**IDENTITY, "early_flake_detection_enabled_inherit": True})]
    assert "early_flake_detection_enabled" not in new
    assert list(recorded_outputs(new)["prior"]) == ["failed_test_replay_enabled"]
    assert api.overrides[SETTINGS_ID] == {"failed_test_replay_enabled": False}


def test_update_sets_and_restores_in_the_same_patch(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    api.set(code_coverage_enabled=True)
    outs = create(provider, code_coverage_enabled=False, auto_test_retries_enabled=True)
    api.sent()
    update(provider, outs, auto_test_retries_enabled=False)
    assert api.sent() == [
        ("PATCH", {**IDENTITY, "auto_test_retries_enabled": False, "code_coverage_enabled": True})
    ]


def test_update_after_refresh_reapplies_the_drifted_setting(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    outs = create(provider, early_flake_detection_enabled=True, code_coverage_enabled=True)
    api.set(early_flake_detection_enabled=False)
    refreshed = provider.read(SETTINGS_ID, outs)
    assert refreshed.outs is not None
    api.sent()
    update(provider, {**refreshed.outs, "__provider": PROVIDER},
           early_flake_detection_enabled=True, code_coverage_enabled=True)  # fmt: skip
    assert api.sent() == [("PATCH", {**IDENTITY, "early_flake_detection_enabled": True})]


# ------------------------------------------------------------------------------- read


def test_refresh_reports_server_values_of_managed_settings_only(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    outs = create(provider, early_flake_detection_enabled=True)
    api.set(early_flake_detection_enabled=False, code_coverage_enabled=True)
    api.sent()
    result = provider.read(SETTINGS_ID, outs)
    assert api.sent() == [("POST", IDENTITY)]
    assert result.id == SETTINGS_ID
    assert result.outs is not None and result.inputs is not None
    assert result.outs["early_flake_detection_enabled"] is False
    assert "code_coverage_enabled" not in result.outs
    assert recorded_outputs(result.outs)["prior"] == recorded_outputs(outs)["prior"]
    assert result.inputs == {
        **IDENTITY,
        "early_flake_detection_enabled": False,
        "__priors": outs["__priors"],  # handed back: what the resource recorded
    }


def test_refresh_never_reports_pr_comments_as_drift(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    api.pr_comments_applied = False  # the current API
    outs = create(provider, pr_comments_enabled=True)
    result = provider.read(SETTINGS_ID, outs)
    assert result.outs is not None
    assert api.answer(SETTINGS_ID)["data"]["attributes"]["pr_comments_enabled"] is False
    assert result.outs["pr_comments_enabled"] is True


def test_refresh_of_a_resource_managing_nothing_reads_only_the_identity(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    api.set(code_coverage_enabled=True)
    outs = create(provider)
    result = provider.read(SETTINGS_ID, outs)
    assert result.outs is not None
    assert documented_outputs(result.outs) == {**IDENTITY, "prior": {}, "prior_existed": True}
    assert result.inputs is None  # nothing changed: the engine keeps the inputs it has


def test_refresh_of_deleted_settings_reports_the_resource_gone(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    outs = create(provider, early_flake_detection_enabled=True)
    api.overrides.clear()
    assert provider.read(SETTINGS_ID, outs).id == ""


def test_read_by_id_reports_the_declared_settings(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    api.set(code_coverage_enabled=True)
    result = provider.read(SETTINGS_ID, inputs(code_coverage_enabled=False))
    assert api.sent() == [("POST", IDENTITY)]
    assert result.id == SETTINGS_ID and result.outs is not None
    assert result.outs["code_coverage_enabled"] is True
    assert "early_flake_detection_enabled" not in result.outs
    assert recorded_outputs(result.outs)["prior"] == {
        "code_coverage_enabled": {"value": True, "is_overridden": True}
    }


def test_read_by_id_alone_reports_all_six_settings(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    api.set(code_coverage_enabled=True)
    result = provider.read(SETTINGS_ID, {"__provider": PROVIDER})
    assert result.outs is not None
    assert {k: result.outs[k] for k in ("repository_id", "service_name", "env")} == IDENTITY
    assert {name: result.outs[name] for name in SERVICE_SETTING_NAMES} == {
        **dict.fromkeys(SERVICE_SETTING_NAMES, False),
        "code_coverage_enabled": True,
    }


def test_read_by_id_that_contradicts_the_declared_identity_fails(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    with pytest.raises(ValueError, match="does not match the declared"):
        provider.read(f"{REPO}::{SERVICE}::staging", inputs())
    assert api.sent() == []


def test_read_by_id_of_missing_settings_says_to_create_them(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    with pytest.raises(ValueError, match="remove `id=` to create and manage them"):
        provider.read(SETTINGS_ID, {"__provider": PROVIDER})


def test_read_by_id_with_a_malformed_id_names_the_form(provider: ServiceSettingsProvider) -> None:
    with pytest.raises(ValueError, match="repository_id::service_name::env"):
        provider.read("checkout", {"__provider": PROVIDER})


def test_read_by_id_rejects_misspelt_declared_settings(provider: ServiceSettingsProvider) -> None:
    with pytest.raises(ValueError, match="did you mean 'code_coverage_enabled'"):
        provider.read(SETTINGS_ID, inputs(code_coverage=True))


def test_refresh_returns_inputs_only_when_datadog_differs_from_the_state(
    provider: ServiceSettingsProvider, api: FakeSettingsAPI
) -> None:
    """No drift: no inputs (engine v3.259 keeps the state's own; nothing to marshal again).
    Drift: the server's values become the inputs too, so the next preview shows it."""
    outs = create(provider, code_coverage_enabled=True)
    same = provider.read(SETTINGS_ID, outs)
    assert same.outs == {k: v for k, v in outs.items() if k != "__provider"}
    assert same.inputs is None
    api.set(code_coverage_enabled=False)
    drifted = provider.read(SETTINGS_ID, outs)
    assert drifted.outs is not None and drifted.outs["code_coverage_enabled"] is False
    assert drifted.inputs == {
        **IDENTITY,
        "code_coverage_enabled": False,
        "__priors": outs["__priors"],
    }
