"""A brownfield org in the emulator: what a team set up by hand before adopting Pulumi.

Two repositories with service settings overridden in several services and envs (one service
whose settings override nothing, and a repository default that services inherit), edited
flaky-test policies, a few quarantined/disabled/fixed tests among many active ones, and two
Synthetics suites. ``server_state`` reads everything back through the API (a suite's
``version`` and ``modified_at`` included, so any write shows) to compare before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from pulumi_datadog_testing.emulator import EmulatorServer

SETTINGS = "/api/v2/ci/test-optimization/settings/service"
POLICIES = "/api/v2/ci/test-optimization/settings/policies"
FLAKY = "/api/v2/test/flaky-test-management/tests"
SUITES = "/api/v2/synthetics/suites"

SHOP, WEB = "github.com/acme/shop", "github.com/acme/web"
SERVICES = {SHOP: ["checkout", "search", "payments"], WEB: ["web"]}
ENVS = {SHOP: ["ci", "staging"], WEB: ["prod"]}
OVERRIDES: dict[tuple[str, str, str], dict[str, bool]] = {
    (SHOP, "checkout", "staging"): {
        "early_flake_detection_enabled": True,
        "auto_test_retries_enabled": True,
    },
    (SHOP, "checkout", "ci"): {"code_coverage_enabled": False},
    (SHOP, "search", "none"): {"test_impact_analysis_enabled": True},
    (WEB, "web", "prod"): {"failed_test_replay_enabled": True, "auto_test_retries_enabled": False},
}
INHERITING = (SHOP, "payments", "staging")
"""A service whose settings exist but override nothing (all inherited)."""
NOT_ACTIVE = [
    (SHOP, "shop.cart", "test_cart", "test_apply_coupon", "checkout", "quarantined"),
    (SHOP, "shop.cart", "test_cart", "test_remove_last_item", "checkout", "quarantined"),
    (SHOP, "shop.search", "test_rank", "test_boost_recent", "search", "quarantined"),
    (SHOP, "shop.pay", "test_3ds", "test_3ds_timeout", "payments", "disabled"),
    (SHOP, "shop.pay", "test_3ds", "test_3ds_retry", "payments", "disabled"),
    (WEB, "web.home", "test_home", "test_banner", "web", "quarantined"),
    (WEB, "web.home", "test_home", "test_footer", "web", "fixed"),
]
ACTIVE_PER_REPOSITORY = {SHOP: 120, WEB: 30}


@dataclass(frozen=True)
class Brownfield:
    suite_ids: list[str]
    test_ids: dict[str, list[str]]
    """Every seeded test id per repository."""


def _client(emulator: EmulatorServer) -> httpx.Client:
    return httpx.Client(base_url=emulator.url, headers=emulator.headers(), timeout=30)


def _envelope(type_: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"type": type_, "attributes": attributes}}


def _identity(key: tuple[str, str, str]) -> dict[str, str]:
    return {"repository_id": key[0], "service_name": key[1], "env": key[2]}


def seed_brownfield(emulator: EmulatorServer) -> Brownfield:
    """Set the brownfield org up through the API and the admin surface; clears the call log."""
    emulator.update_config(repository_defaults={SHOP: {"code_coverage_enabled": True}})
    test_ids: dict[str, list[str]] = {}
    for repo, count in ACTIVE_PER_REPOSITORY.items():
        explicit = [
            {"module": m, "suite": s, "name": n, "service": svc, "state": state,
             "envs": ENVS[repo]}
            for r, m, s, n, svc, state in NOT_ACTIVE
            if r == repo
        ]  # fmt: skip
        seeded = emulator.seed_flaky_tests(
            repo, count=count, seed=3, state="active", services=SERVICES[repo],
            envs=ENVS[repo], tests=explicit,
        )  # fmt: skip
        test_ids[repo] = [t.id for t in seeded.tests]
    with _client(emulator) as api:
        update = "test_optimization_update_service_settings_request"
        for key, values in OVERRIDES.items():
            api.patch(SETTINGS, json=_envelope(update, {**_identity(key), **values}))
        api.patch(SETTINGS, json=_envelope(update, {**_identity(INHERITING),
                                                    "code_coverage_enabled": False}))  # fmt: skip
        api.patch(SETTINGS, json=_envelope(update, {**_identity(INHERITING),
                                                    "code_coverage_enabled_inherit": True}))  # fmt: skip
        policies = {
            "repository_id": SHOP,
            "attempt_to_fix": {"retries": 5},
            "quarantined": {"auto_quarantine_rule": {"enabled": True, "window_seconds": 7200}},
            "disabled": {"enabled": True},
        }
        api.patch(
            POLICIES,
            json=_envelope(
                "test_optimization_update_flaky_tests_management_policies_request", policies
            ),
        ).raise_for_status()
        suite_ids = []
        for suite in (
            {"name": "Checkout journeys", "message": "Checkout is failing @slack-checkout",
             "tags": ["team:checkout", "env:prod"], "options": {"alerting_threshold": 0.6},
             "tests": [{"public_id": "chk-add-001", "alerting_criticality": "critical"},
                       {"public_id": "chk-pay-002", "alerting_criticality": "ignore"}]},
            {"name": "Search smoke", "options": {}, "tests": [{"public_id": "src-smk-001"}],
             "tags": ["team:search"]},
        ):  # fmt: skip
            created = api.post(SUITES, json=_envelope("suites", {"type": "suite", **suite}))
            created.raise_for_status()
            suite_ids.append(created.json()["data"]["attributes"]["public_id"])
    emulator.clear_calls()
    return Brownfield(suite_ids=suite_ids, test_ids=test_ids)


def server_state(emulator: EmulatorServer, brownfield: Brownfield) -> dict[str, Any]:
    """Everything the brownfield org holds, read through the API; clears the call log."""
    state: dict[str, Any] = {"settings": {}, "policies": {}, "tests": {}, "suites": {}}
    with _client(emulator) as api:
        get = "test_optimization_get_service_settings_request"
        for repo, services in SERVICES.items():
            for service in services:
                for env in [*ENVS[repo], "none"]:
                    ident = {"repository_id": repo, "service_name": service, "env": env}
                    answer = api.post(SETTINGS, json=_envelope(get, ident))
                    state["settings"][f"{repo}::{service}::{env}"] = (
                        answer.json()["data"]["attributes"] if answer.status_code == 200 else None
                    )
            answer = api.post(
                POLICIES,
                json=_envelope(
                    "test_optimization_get_flaky_tests_management_policies_request",
                    {"repository_id": repo},
                ),
            )
            state["policies"][repo] = answer.json()["data"]["attributes"]
            search = {"filter": {"query": f'@git.repository.id_v2:"{repo}"'},
                      "page": {"limit": 1000}}  # fmt: skip
            found = api.post(FLAKY, json=_envelope("search_flaky_tests_request", search)).json()
            state["tests"][repo] = {t["id"]: t["attributes"] for t in found["data"]}
        for public_id in brownfield.suite_ids:
            answer = api.get(f"{SUITES}/{public_id}")
            state["suites"][public_id] = answer.json()["data"]["attributes"]
    emulator.clear_calls()
    return state


WRITES = {"PATCH", "PUT", "DELETE"}
READ_POSTS = {SETTINGS, POLICIES, FLAKY}
"""Endpoints where ``POST`` is a read (get or search)."""


def writes(emulator: EmulatorServer) -> list[tuple[str, str]]:
    """(method, path) of every call in the log that could have changed something."""
    return [
        (c.method, c.path)
        for c in emulator.calls()
        if c.method in WRITES or (c.method == "POST" and c.path not in READ_POSTS)
    ]
