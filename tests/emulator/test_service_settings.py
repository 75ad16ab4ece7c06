"""Service settings over real HTTP: partial PATCH, get, delete, inheritance, PR comments
modes, and validation errors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from pulumi_datadog_testing.emulator import EmulatorServer
from pulumi_datadog_testing.models import INHERITABLE_SETTINGS, ServiceSettingsResponse

from .conftest import REPO, SETTINGS, error_text, settings_delete, settings_get, settings_patch

pytestmark = pytest.mark.emulator

ALL_OFF = {
    "auto_test_retries_enabled": False,
    "code_coverage_enabled": False,
    "early_flake_detection_enabled": False,
    "failed_test_replay_enabled": False,
    "pr_comments_enabled": False,
    "test_impact_analysis_enabled": False,
}


def attributes(response: httpx.Response) -> dict[str, object]:
    assert response.status_code == 200, response.text
    ServiceSettingsResponse.model_validate(response.json())
    data = response.json()["data"]
    assert data["type"] == "test_optimization_service_settings"
    return dict(data["attributes"])


def test_seed_example_patch_creates_and_answers_full_settings(api: httpx.Client) -> None:
    body = settings_patch(
        env="prod",
        auto_test_retries_enabled=False,
        code_coverage_enabled=False,
        early_flake_detection_enabled=False,
        failed_test_replay_enabled=False,
        pr_comments_enabled=True,
        test_impact_analysis_enabled=False,
    )
    response = api.patch(SETTINGS, json=body)
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"]["id"] == f"{REPO}::checkout::prod"
    assert attributes(response) == {
        "repository_id": REPO,
        "service_name": "checkout",
        "env": "prod",
        **ALL_OFF,
        "pr_comments_enabled": True,
        **{f"{name}_is_overridden": True for name in INHERITABLE_SETTINGS},
    }


def test_partial_patch_changes_only_given_fields(api: httpx.Client) -> None:
    api.patch(SETTINGS, json=settings_patch(code_coverage_enabled=True))
    second = attributes(api.patch(SETTINGS, json=settings_patch(auto_test_retries_enabled=True)))
    assert second["code_coverage_enabled"] is True
    assert second["auto_test_retries_enabled"] is True
    assert second["early_flake_detection_enabled"] is False
    assert second["early_flake_detection_enabled_is_overridden"] is False
    assert second["env"] == "none"
    got = attributes(api.post(SETTINGS, json=settings_get()))
    assert got == second


def test_get_unknown_service_is_404_and_delete_is_204(api: httpx.Client) -> None:
    missing = api.post(SETTINGS, json=settings_get(service_name="never-seen"))
    assert missing.status_code == 404
    assert "never-seen" in error_text(missing)

    api.patch(SETTINGS, json=settings_patch(env="ci", code_coverage_enabled=True))
    deleted = api.request("DELETE", SETTINGS, json=settings_delete(env="ci"))
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert api.post(SETTINGS, json=settings_get(env="ci")).status_code == 404
    again = api.request("DELETE", SETTINGS, json=settings_delete(env="ci"))
    assert again.status_code == 404


def test_env_defaults_to_none_in_every_operation(api: httpx.Client) -> None:
    api.patch(SETTINGS, json=settings_patch(code_coverage_enabled=True))
    got = api.post(SETTINGS, json=settings_get(env="none"))
    assert got.json()["data"]["id"] == f"{REPO}::checkout::none"
    assert api.request("DELETE", SETTINGS, json=settings_delete()).status_code == 204


def test_org_defaults_are_inherited_and_inherit_flag_restores_them(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    emulator.set_org_defaults(early_flake_detection_enabled=True, code_coverage_enabled=True)
    fresh = attributes(api.patch(SETTINGS, json=settings_patch(auto_test_retries_enabled=True)))
    assert fresh["early_flake_detection_enabled"] is True
    assert fresh["early_flake_detection_enabled_is_overridden"] is False

    overridden = attributes(
        api.patch(SETTINGS, json=settings_patch(early_flake_detection_enabled=False))
    )
    assert overridden["early_flake_detection_enabled"] is False
    assert overridden["early_flake_detection_enabled_is_overridden"] is True

    # The org default changes: overridden values stay, inherited values follow.
    emulator.set_org_defaults(early_flake_detection_enabled=True, code_coverage_enabled=False)
    after = attributes(api.post(SETTINGS, json=settings_get()))
    assert after["early_flake_detection_enabled"] is False
    assert after["code_coverage_enabled"] is False

    reinherited = attributes(
        api.patch(SETTINGS, json=settings_patch(early_flake_detection_enabled_inherit=True))
    )
    assert reinherited["early_flake_detection_enabled"] is True
    assert reinherited["early_flake_detection_enabled_is_overridden"] is False
    assert reinherited["auto_test_retries_enabled_is_overridden"] is True


def test_value_and_inherit_together_is_a_400(api: httpx.Client) -> None:
    response = api.patch(
        SETTINGS,
        json=settings_patch(code_coverage_enabled=True, code_coverage_enabled_inherit=True),
    )
    assert response.status_code == 400
    assert "code_coverage_enabled_inherit" in error_text(response)


def test_pr_comments_seeds_mode_applies_the_value(api: httpx.Client) -> None:
    response = api.patch(SETTINGS, json=settings_patch(pr_comments_enabled=True))
    assert attributes(response)["pr_comments_enabled"] is True


def test_pr_comments_current_mode_ignores_it_but_returns_it(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    emulator.set_org_defaults(pr_comments_enabled=True, pr_comments_mode="current")
    ignored = attributes(
        api.patch(
            SETTINGS, json=settings_patch(pr_comments_enabled=False, code_coverage_enabled=True)
        )
    )
    assert ignored["pr_comments_enabled"] is True  # the org value, not the request's
    assert ignored["code_coverage_enabled"] is True
    assert "pr_comments_enabled_is_overridden" not in ignored
    assert emulator.org_defaults().pr_comments_mode == "current"


@pytest.mark.parametrize("field", ["repository_id", "service_name", "env"])
def test_empty_identity_field_is_a_400_naming_it(api: httpx.Client, field: str) -> None:
    for method, body in (
        ("PATCH", settings_patch(**{field: ""})),
        ("POST", settings_get(**{field: ""})),
        ("DELETE", settings_delete(**{field: ""})),
    ):
        response = api.request(method, SETTINGS, json=body)
        assert response.status_code == 400, (method, response.text)
        assert f"data.attributes.{field}" in error_text(response)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            {
                "data": {
                    "type": "wrong_type",
                    "attributes": {"repository_id": "r", "service_name": "s"},
                }
            },
            "data.type",
        ),
        ({"data": {"attributes": {"repository_id": "r", "service_name": "s"}}}, "data.type"),
        (settings_patch(repository_id=None), "data.attributes.repository_id"),
        (
            {"data": {"type": "test_optimization_update_service_settings_request"}},
            "data.attributes",
        ),
        (settings_patch(code_coverage_enabled="yes"), "data.attributes.code_coverage_enabled"),
        (settings_patch(unknown_flag=True), "data.attributes.unknown_flag"),
        ({}, "data"),
    ],
)
def test_invalid_patch_body_is_a_400_naming_the_field(
    api: httpx.Client, body: dict[str, object], fragment: str
) -> None:
    response = api.patch(SETTINGS, json=body)
    assert response.status_code == 400
    assert fragment in error_text(response)


def test_non_json_body_is_a_400(api: httpx.Client) -> None:
    response = api.patch(
        SETTINGS, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"]


def test_concurrent_patches_are_all_applied(emulator: EmulatorServer) -> None:
    def patch_many(worker: int) -> list[int]:
        with httpx.Client(base_url=emulator.url, headers=emulator.headers()) as client:
            return [
                client.patch(
                    SETTINGS,
                    json=settings_patch(
                        service_name=f"svc-{worker}-{n}", code_coverage_enabled=n % 2 == 0
                    ),
                ).status_code
                for n in range(20)
            ]

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = [s for batch in pool.map(patch_many, range(6)) for s in batch]
    assert statuses == [200] * 120
    assert emulator.health().counts["service_settings"] == 120
    with httpx.Client(base_url=emulator.url, headers=emulator.headers()) as client:
        for worker, n in ((0, 0), (3, 7), (5, 19)):
            got = client.post(SETTINGS, json=settings_get(service_name=f"svc-{worker}-{n}"))
            assert got.json()["data"]["attributes"]["code_coverage_enabled"] is (n % 2 == 0)
