"""Helpers for the ServiceSettings e2e tests: talk to the emulator's settings API directly
(out-of-band changes, checks), read its call log, and read the engine's events."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import httpx
from pulumi import automation as auto

from pulumi_datadog_testing.api import catalog
from pulumi_datadog_testing.emulator import EmulatorServer
from pulumi_datadog_testing.models import (
    ServiceSettingsGetRequest,
    ServiceSettingsIdentity,
    ServiceSettingsUpdate,
    ServiceSettingsUpdateRequest,
)
from pulumi_datadog_testing.type_tokens import SERVICE_SETTINGS

Call = tuple[str, dict[str, Any]]

SETTINGS_PATH = catalog.GET_SERVICE_SETTINGS.path


def identity(repository_id: str, service_name: str, env: str = "none") -> dict[str, str]:
    return {"repository_id": repository_id, "service_name": service_name, "env": env}


def out_of_band_patch(emulator: EmulatorServer, ident: dict[str, str], **values: bool) -> None:
    """Change settings through the API, as someone outside Pulumi would."""
    update = ServiceSettingsUpdate.model_validate({**ident, **values})
    body = ServiceSettingsUpdateRequest.of(update).to_body()
    response = httpx.patch(emulator.url + SETTINGS_PATH, json=body, headers=emulator.headers())
    response.raise_for_status()


def server_settings(emulator: EmulatorServer, ident: dict[str, str]) -> dict[str, Any]:
    """The service's settings as the API reports them (values and ``*_is_overridden``)."""
    body = ServiceSettingsGetRequest.of(ServiceSettingsIdentity(**ident)).to_body()
    response = httpx.post(emulator.url + SETTINGS_PATH, json=body, headers=emulator.headers())
    response.raise_for_status()
    attributes: dict[str, Any] = response.json()["data"]["attributes"]
    return attributes


def take_calls(emulator: EmulatorServer) -> list[Call]:
    """(method, body attributes) of the settings calls received since the last take."""
    calls = emulator.calls(clear=True)
    assert all(call.path == SETTINGS_PATH for call in calls), [c.path for c in calls]
    return [(call.method, call.body["data"]["attributes"]) for call in calls]


def set_json(stack: auto.Stack, key: str, value: Any) -> None:
    stack.set_config(key, auto.ConfigValue(json.dumps(value)))


def quiet(_line: str) -> None:
    """``on_output`` sink: keeps engine output out of the test log."""


def changed_keys(events: Iterable[auto.EngineEvent], part: str = "inputs") -> dict[str, set[str]]:
    """Per ServiceSettings name: the keys whose ``part`` (``inputs``/``outputs``) differ between
    the old and new state of its step — what ``pulumi preview --diff`` renders."""
    changed: dict[str, set[str]] = {}
    for event in events:
        step = event.resource_pre_event or event.res_outputs_event
        if step is None or step.metadata.type != SERVICE_SETTINGS:
            continue
        meta = step.metadata
        old = getattr(meta.old, part, None) or {}
        new = getattr(meta.new, part, None) or {}
        keys = {
            k for k in old.keys() | new.keys() if k != "__provider" and old.get(k) != new.get(k)
        }
        name = meta.urn.rsplit("::", 1)[-1]
        changed.setdefault(name, set()).update(keys)
    return changed


def diagnostics(events: Iterable[auto.EngineEvent], severity: str) -> list[str]:
    return [
        event.diagnostic_event.message
        for event in events
        if event.diagnostic_event is not None and event.diagnostic_event.severity == severity
    ]
