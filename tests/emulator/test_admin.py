"""The admin surface (``/_emulator/...``): seeding, explicit tests, health, reset, org
defaults, config, and admin-body validation."""

from __future__ import annotations

import httpx
import pytest

from pulumi_datadog_testing.emulator import EmulatorError, EmulatorServer
from pulumi_datadog_testing.emulator.seed import test_id as fqn_test_id
from pulumi_datadog_testing.identity import FLAKY_STATES
from pulumi_datadog_testing.models import FlakyTestAttributes

from .conftest import FLAKY, REPO, SETTINGS, SUITES, flaky_search, settings_patch, suite_body

pytestmark = pytest.mark.emulator


def test_seeding_is_deterministic_and_ids_derive_from_repository_and_fqn(
    emulator: EmulatorServer,
) -> None:
    first = emulator.seed_flaky_tests(REPO, 40, seed=5)
    assert first.created == 40 and first.updated == 0
    assert first.repository_ids == [REPO]
    again = emulator.seed_flaky_tests(REPO, 40, seed=5)
    assert again.created == 0 and again.updated == 40
    assert again.tests == first.tests
    for test in first.tests:
        assert test.id == fqn_test_id(REPO, test.module, test.suite, test.name)
        assert len(test.id) == 16 and int(test.id, 16) >= 0
    other_seed = emulator.seed_flaky_tests(REPO, 40, seed=6)
    assert {t.id for t in other_seed.tests} != {t.id for t in first.tests}
    other_repo = emulator.seed_flaky_tests("github.com/acme/other", 40, seed=5)
    assert not {t.id for t in other_repo.tests} & {t.id for t in first.tests}


def test_seeded_tests_look_real(emulator: EmulatorServer, api: httpx.Client) -> None:
    seeded = emulator.seed_flaky_tests(REPO, 300, seed=11)
    assert {t.state for t in seeded.tests} == set(FLAKY_STATES)
    page = api.post(FLAKY, json=flaky_search(limit=300, include_history=True)).json()["data"]
    assert len(page) == 300
    attributes = [FlakyTestAttributes.model_validate(t["attributes"]) for t in page]
    assert len({a.name for a in attributes}) > 250
    assert len({a.suite for a in attributes}) > 20
    assert len({s for a in attributes for s in a.services or []}) >= 2
    assert {e for a in attributes for e in a.envs or []} == {"ci", "staging"}
    assert len({c for a in attributes for c in a.codeowners or []}) >= 3
    assert len({a.flaky_category for a in attributes}) >= 5
    for a in attributes:
        assert a.first_flaked_ts is not None and a.last_flaked_ts is not None
        assert a.first_flaked_ts <= a.last_flaked_ts
        assert a.test_stats and 0 < (a.test_stats.failure_rate_pct or 0) <= 100
        assert a.pipeline_stats and a.pipeline_stats.failed_pipelines is not None
        assert a.impact_score is not None and 0 <= a.impact_score <= 1
        assert a.history and a.history[-1].status == "new"
        assert a.first_flaked_sha and len(a.first_flaked_sha) == 40


def test_seed_options_and_explicit_tests(emulator: EmulatorServer, api: httpx.Client) -> None:
    seeded = emulator.seed_flaky_tests(
        REPO,
        10,
        seed=1,
        state="quarantined",
        services=["payments"],
        envs=["prod"],
        codeowners=["@me"],
        tests=[
            {
                "module": "shop.checkout",
                "suite": "test_cart",
                "name": "test_apply_coupon",
                "service": "checkout",
                "state": "disabled",
                "category": "Timeout",
            },
            {"suite": "cart", "name": "renders", "id": "00000000000000ab", "failure_rate": 0.25},
        ],
    )
    assert seeded.created == 12
    named = seeded.tests[-2]
    assert named.id == fqn_test_id(REPO, "shop.checkout", "test_cart", "test_apply_coupon")
    assert named.state == "disabled"
    assert seeded.tests[-1].id == "00000000000000ab"
    assert all(t.state == "quarantined" for t in seeded.tests[:10])

    found = api.post(FLAKY, json=flaky_search("@test.service:checkout")).json()["data"]
    assert [t["id"] for t in found] == [named.id]
    assert found[0]["attributes"]["flaky_category"] == "Timeout"
    explicit = emulator.admin.flaky_test("00000000000000ab")
    assert explicit["test_stats"]["failure_rate_pct"] == 25.0
    generated = api.post(FLAKY, json=flaky_search("@test.service:payments env:prod", limit=50))
    assert len(generated.json()["data"]) == 10

    only_explicit = emulator.seed_flaky_tests(REPO, 0, tests=[{"name": "lonely"}])
    assert [t.name for t in only_explicit.tests] == ["lonely"]


def test_add_flaky_tests_across_repositories(emulator: EmulatorServer) -> None:
    added = emulator.add_flaky_tests(
        {"repository_id": REPO, "name": "a"}, {"repository_id": "github.com/x/y", "name": "b"}
    )
    assert added.repository_ids == [REPO, "github.com/x/y"]
    with pytest.raises(EmulatorError, match="404"):
        emulator.admin.flaky_test("ffffffffffffffff")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"count": 3}, "repository_id"),
        ({"repository_id": "", "count": 3}, "repository_id"),
        ({"repository_id": REPO, "count": 0}, "nothing to seed"),
        ({"repository_id": REPO, "count": 100_001}, "count"),
        ({"repository_id": REPO, "count": 1, "state": "broken"}, "state"),
        ({"repository_id": REPO, "count": 1, "tests": [{"suite": "s"}]}, "tests[0].name"),
        ({"repository_id": REPO, "count": 1, "tests": [{"name": "n", "id": "XYZ"}]}, "id"),
        ({"repository_id": REPO, "count": 1, "colour": "red"}, "colour"),
    ],
)
def test_invalid_seed_body_is_a_400_naming_the_field(
    emulator: EmulatorServer, body: dict[str, object], fragment: str
) -> None:
    response = httpx.post(f"{emulator.url}/_emulator/seed/flaky-tests", json=body)
    assert response.status_code == 400
    assert fragment in response.text


def test_health_counts_objects(emulator: EmulatorServer, api: httpx.Client) -> None:
    emulator.seed_flaky_tests(REPO, 7)
    api.patch(SETTINGS, json=settings_patch(code_coverage_enabled=True))
    api.post(SUITES, json=suite_body())
    health = emulator.health()
    assert health.status == "ok"
    assert health.database == str(emulator.db_path)
    assert health.counts == {
        "service_settings": 1,
        "policies": 0,
        "flaky_tests": 7,
        "suites": 1,
        "calls": 2,
        "call_body_bytes": sum(c.body_bytes for c in emulator.calls()),
    }


def test_reset_forgets_objects_calls_faults_and_config(
    emulator: EmulatorServer, api: httpx.Client
) -> None:
    emulator.seed_flaky_tests(REPO, 7)
    api.patch(SETTINGS, json=settings_patch(code_coverage_enabled=True))
    emulator.set_faults({"kind": "latency", "latency_ms": 1, "count": None})
    emulator.set_org_defaults(code_coverage_enabled=True, pr_comments_mode="current")
    emulator.reset()
    assert emulator.health().counts == {
        "service_settings": 0,
        "policies": 0,
        "flaky_tests": 0,
        "suites": 0,
        "calls": 0,
        "call_body_bytes": 0,
    }
    assert emulator.faults() == []
    defaults = emulator.org_defaults()
    assert defaults.pr_comments_mode == "seeds" and defaults.code_coverage_enabled is False


def test_org_defaults_put_replaces_every_setting(emulator: EmulatorServer) -> None:
    emulator.set_org_defaults(code_coverage_enabled=True, early_flake_detection_enabled=True)
    replaced = emulator.set_org_defaults(auto_test_retries_enabled=True)
    assert replaced.auto_test_retries_enabled is True
    assert replaced.code_coverage_enabled is False  # PUT: omitted means false
    assert replaced.pr_comments_mode == "seeds"  # omitted mode: unchanged
    response = httpx.put(f"{emulator.url}/_emulator/org-defaults", json={"code_coverage": True})
    assert response.status_code == 400 and "code_coverage" in response.text
    bad_mode = httpx.put(f"{emulator.url}/_emulator/org-defaults", json={"pr_comments_mode": "x"})
    assert bad_mode.status_code == 400 and "pr_comments_mode" in bad_mode.text


def test_config_patch_merges_and_repository_defaults_win(
    emulator: EmulatorServer, api: httpx.Client
) -> None:
    config = emulator.update_config(
        repository_defaults={REPO: {"code_coverage_enabled": True}}, max_bulk_tests=50
    )
    assert config.max_bulk_tests == 50
    assert config.repository_defaults[REPO].code_coverage_enabled is True
    answer = api.patch(SETTINGS, json=settings_patch(auto_test_retries_enabled=True)).json()
    assert answer["data"]["attributes"]["code_coverage_enabled"] is True
    removed = emulator.update_config(repository_defaults={REPO: None})
    assert removed.repository_defaults == {}
    assert emulator.config().max_bulk_tests == 50


def test_unknown_admin_route_is_a_404(emulator: EmulatorServer) -> None:
    response = httpx.get(f"{emulator.url}/_emulator/nope")
    assert response.status_code == 404
    assert response.json() == {"errors": ["Not found: GET /_emulator/nope"]}
    bad_param = httpx.get(f"{emulator.url}/_emulator/calls", params={"clear": "perhaps"})
    assert bad_param.status_code == 400
    assert "clear" in bad_param.text
