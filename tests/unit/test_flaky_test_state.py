"""FlakyTestState provider hooks: id and selector forms, resolution errors, lifecycle."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.errors import FlakyTestSelectorError, FlakyTestsNotFoundError
from pulumi_datadog_testing.resources import _flaky_batch
from pulumi_datadog_testing.resources._base import WIRE_UNKNOWN
from pulumi_datadog_testing.resources.flaky_test_state import (
    FlakyTestStateProvider,
    documented_outputs,
)
from pulumi_datadog_testing.resources.prior_values import PRIORS_KEY, PriorValuesProvider
from tests.support.results import outs
from tests.unit._flaky_fake import REPO, FakeFlakyAPI, FakeTest, next_operation, serving

MakeClient = Callable[..., DatadogClient]


def shown(result: Any) -> dict[str, Any]:
    """A hook's outputs as documented (``previous_state`` & co. read from ``__priors``)."""
    return documented_outputs(outs(result))


@pytest.fixture
def api() -> FakeFlakyAPI:
    fake = FakeFlakyAPI()
    for n, (module, suite, name) in enumerate(
        [
            ("shop", "CartTest", "test_checkout"),
            ("shop", "CartTest", "test_refund"),
            ("shop", "OrderTest", "test_refund"),
            (None, "LegacyTest", "test_old"),
        ]
    ):
        test_id = f"{n + 1:016x}"
        fake.tests[test_id] = FakeTest(test_id, name=name, suite=suite, module=module)
    return fake


@pytest.fixture
def provider(serve: MakeClient, api: FakeFlakyAPI) -> Iterator[FlakyTestStateProvider]:
    with serving(serve, api):
        yield FlakyTestStateProvider()


def failures(provider: FlakyTestStateProvider, news: dict[str, Any]) -> dict[str, str]:
    return {f.property: f.reason for f in provider.check({}, news).failures}


CHECKOUT = "0000000000000001"


# ------------------------------------------------------------------------------- check


@pytest.mark.parametrize(
    ("news", "expected"),
    [
        ({"repository_id": REPO, "test_id": CHECKOUT, "state": "fixed"}, {}),
        ({"repository_id": REPO, "name": "test_checkout", "state": "fixed"}, {}),
        ({"repository_id": REPO, "state": "fixed"}, {"test_id": "missing: set test_id, or select"}),
        (
            {"repository_id": REPO, "test_id": CHECKOUT, "name": "x", "state": "fixed"},
            {"test_id": "not both"},
        ),
        ({"repository_id": REPO, "test_id": CHECKOUT}, {"state": "missing required property"}),
        (
            {"repository_id": REPO, "test_id": CHECKOUT, "state": "broken"},
            {"state": "Input should be 'active', 'quarantined', 'disabled' or 'fixed'"},
        ),
        (
            {"repository_id": REPO, "test_id": CHECKOUT, "state": "fixed", "states": {}},
            {"states": "unknown property 'states'; did you mean 'state'?"},
        ),
        (
            {"repository_id": REPO, "nmae": "x", "state": "fixed"},
            {"nmae": "did you mean 'name'?", "test_id": "missing"},
        ),
        ({"repository_id": REPO, "name": "", "state": "fixed"}, {"name": "at least 1 character"}),
        ({"repository_id": REPO, "name": WIRE_UNKNOWN, "state": WIRE_UNKNOWN}, {}),
    ],
)
def test_check(
    provider: FlakyTestStateProvider, news: dict[str, Any], expected: dict[str, str]
) -> None:
    found = failures(provider, news)
    assert set(found) == set(expected)
    for key, text in expected.items():
        assert text in found[key]


# ----------------------------------------------------------------------------- resolve


def test_selector_resolves_one_test(provider: FlakyTestStateProvider, api: FakeFlakyAPI) -> None:
    result = provider.create(
        {"repository_id": REPO, "name": "test_checkout", "state": "quarantined"}
    )
    assert result.id == f"{REPO}::{CHECKOUT}"
    assert shown(result) == {
        "repository_id": REPO,
        "name": "test_checkout",
        "test_id": CHECKOUT,
        "state": "quarantined",
        "previous_state": "active",
        "fqn": "shop.CartTest.test_checkout",
        "test_module": "shop",
        "test_suite": "CartTest",
        "test_name": "test_checkout",
    }
    query = api.calls("POST")[0].body["data"]["attributes"]["filter"]["query"]
    assert query == '@git.repository.id_v2:"github.com/acme/shop" @test.name:"test_checkout"'
    assert api.patched() == [{CHECKOUT: "quarantined"}]


def test_selector_matching_several_tests_lists_them(
    provider: FlakyTestStateProvider, api: FakeFlakyAPI
) -> None:
    with pytest.raises(FlakyTestSelectorError) as caught:
        provider.create({"repository_id": REPO, "name": "test_refund", "state": "disabled"})
    assert str(caught.value) == (
        "FlakyTestState (test name='test_refund') of repository 'github.com/acme/shop': 2 flaky "
        "tests of repository 'github.com/acme/shop' have name='test_refund': "
        "shop.CartTest.test_refund (0000000000000002), shop.OrderTest.test_refund "
        "(0000000000000003); add module/suite/name to select one, or set test_id — nothing "
        "was changed"
    )
    assert api.patched() == []


def test_selector_matching_nothing_says_so(
    provider: FlakyTestStateProvider, api: FakeFlakyAPI
) -> None:
    with pytest.raises(
        match="no flaky test of repository 'github.com/acme/shop' has suite='CartTest', name='test_Checkout' \\(exact, case-sensitive match\\)",
    ):
        provider.create(
            {"repository_id": REPO, "suite": "CartTest", "name": "test_Checkout", "state": "fixed"}
        )
    assert api.patched() == []


def test_selector_narrowed_to_one(provider: FlakyTestStateProvider) -> None:
    result = provider.create(
        {"repository_id": REPO, "suite": "OrderTest", "name": "test_refund", "state": "fixed"}
    )
    assert shown(result)["test_id"] == "0000000000000003"
    assert shown(result)["previous_state"] == "active"


def test_unknown_test_id_is_an_error(provider: FlakyTestStateProvider, api: FakeFlakyAPI) -> None:
    with pytest.raises(FlakyTestsNotFoundError, match="test id 00000000000000ff not found"):
        provider.create({"repository_id": REPO, "test_id": "00000000000000ff", "state": "fixed"})
    assert api.patched() == []


def test_a_test_not_found_is_reported_by_the_resource_not_its_prior_values(
    provider: FlakyTestStateProvider, api: FakeFlakyAPI
) -> None:
    """The PriorValues capture finds nothing and says so; the FlakyTestState's own create
    raises the error users read; the capture is retried until the test exists."""
    priors = PriorValuesProvider()
    declared = {"repository_id": REPO, "test_id": "00000000000000ff", "state": "fixed"}
    captured = outs(priors.create({"kind": "FlakyTestState", "declared": declared}))
    assert captured["values"] == {} and captured["existed"] is False
    priors_input = {"values": captured["values"], "existed": captured["existed"]}
    with pytest.raises(FlakyTestsNotFoundError, match="test id 00000000000000ff not found"):
        provider.create({**declared, PRIORS_KEY: priors_input})
    assert api.patched() == []
    news = {"kind": "FlakyTestState", "declared": declared}
    assert priors.diff("id", captured, news).changes is True  # captured again next time
    api.tests["00000000000000ff"] = FakeTest("00000000000000ff", name="test_new", suite="S")
    _flaky_batch.reset()  # the next `up`: a new provider process, nothing cached
    found = outs(priors.create(news))
    assert found["values"]["00000000000000ff"]["state"] == "active"
    assert priors.diff("id", found, news).changes is False


# -------------------------------------------------------------------------------- diff


def created(provider: FlakyTestStateProvider, **inputs: Any) -> dict[str, Any]:
    return outs(provider.create({"repository_id": REPO, "state": "quarantined", **inputs}))


def test_diff_selector_form(provider: FlakyTestStateProvider, api: FakeFlakyAPI) -> None:
    olds = created(provider, name="test_checkout")
    api.requests.clear()
    base = {"repository_id": REPO, "name": "test_checkout", "state": "quarantined"}

    def diff(**change: Any) -> tuple[bool | None, list[str] | None]:
        result = provider.diff("id", olds, {**base, **change})
        return result.changes, result.replaces

    assert diff() == (False, [])
    assert diff(state="fixed") == (True, [])
    assert diff(reason="JIRA-9") == (True, [])
    # still matches the managed test: an update re-resolves it
    assert diff(suite="CartTest") == (True, [])
    # names another test: replace
    assert diff(name="test_refund") == (True, ["name"])
    assert diff(module="other") == (True, ["module"])
    assert diff(name=WIRE_UNKNOWN) == (True, ["name"])
    # to the id form, same test: no replace
    assert (
        provider.diff(
            "id", olds, {"repository_id": REPO, "test_id": CHECKOUT, "state": "quarantined"}
        ).replaces
        == []
    )
    assert provider.diff(
        "id", olds, {"repository_id": REPO, "test_id": "0000000000000002", "state": "quarantined"}
    ).replaces == ["test_id"]
    repo = provider.diff("id", olds, {**base, "repository_id": "github.com/x/y"})
    assert (repo.replaces, repo.delete_before_replace) == (["repository_id"], True)
    assert api.requests == []


def test_update_with_a_narrowed_selector_re_resolves(
    provider: FlakyTestStateProvider, api: FakeFlakyAPI
) -> None:
    olds = created(provider, name="test_checkout")
    api.requests.clear()
    result = provider.update(
        "id",
        olds,
        {"repository_id": REPO, "suite": "CartTest", "name": "test_checkout", "state": "fixed"},
    )
    assert len(api.calls("POST")) == 1
    assert api.patched() == [{CHECKOUT: "fixed"}]
    assert shown(result)["previous_state"] == "active"
    assert shown(result)["suite"] == "CartTest"


def test_update_with_a_widened_ambiguous_selector_fails(
    provider: FlakyTestStateProvider, api: FakeFlakyAPI
) -> None:
    olds = created(provider, suite="CartTest", name="test_refund")
    with pytest.raises(FlakyTestSelectorError, match="2 flaky tests"):
        provider.update(
            "id", olds, {"repository_id": REPO, "name": "test_refund", "state": "quarantined"}
        )


def test_update_state_only_makes_one_call(
    provider: FlakyTestStateProvider, api: FakeFlakyAPI
) -> None:
    olds = created(provider, test_id=CHECKOUT)
    api.requests.clear()
    result = provider.update(
        "id",
        olds,
        {"repository_id": REPO, "test_id": CHECKOUT, "state": "disabled", "reason": "T-1"},
    )
    assert [(r.method) for r in api.requests] == ["PATCH"]
    assert shown(result)["state"] == "disabled" and shown(result)["previous_state"] == "active"


# ------------------------------------------------------------------------ read/delete


def test_read_finds_drift_and_gone(provider: FlakyTestStateProvider, api: FakeFlakyAPI) -> None:
    olds = created(provider, name="test_checkout", reason="r")
    api.tests[CHECKOUT].state = "fixed"
    result = provider.read(f"{REPO}::{CHECKOUT}", olds)
    assert shown(result)["state"] == "fixed" and shown(result)["previous_state"] == "active"
    assert result.inputs == {
        "repository_id": REPO,
        "name": "test_checkout",
        "state": "fixed",
        "reason": "r",
        PRIORS_KEY: olds[PRIORS_KEY],  # handed back: what the resource recorded
    }
    del api.tests[CHECKOUT]
    _flaky_batch.reset()  # the next refresh: a new provider process, nothing cached
    assert provider.read(f"{REPO}::{CHECKOUT}", olds).id == ""


def test_read_adopts_by_id_without_changing_anything(
    provider: FlakyTestStateProvider, api: FakeFlakyAPI
) -> None:
    api.tests[CHECKOUT].state = "disabled"
    result = provider.read(f"{REPO}::{CHECKOUT}", {})
    assert shown(result)["state"] == shown(result)["previous_state"] == "disabled"
    assert result.inputs == {"repository_id": REPO, "test_id": CHECKOUT, "state": "disabled"}
    assert api.patched() == []
    with pytest.raises(Exception, match="is not '<repository_id>::<test_id>'"):
        provider.read(CHECKOUT, {})


def test_delete_restores_only_when_pulumi_changed_it(
    provider: FlakyTestStateProvider, api: FakeFlakyAPI
) -> None:
    olds = created(provider, test_id=CHECKOUT)
    api.requests.clear()
    next_operation()
    provider.delete("id", olds)
    assert api.patched() == [{CHECKOUT: "active"}]
    api.tests[CHECKOUT].state = "quarantined"
    same = outs(
        provider.create({"repository_id": REPO, "test_id": CHECKOUT, "state": "quarantined"})
    )
    api.requests.clear()
    next_operation()
    provider.delete("id", same)
    assert api.requests == []
