"""PriorValues: prior values captured once, before any write, and never read again.

Against the fake settings API of ``test_service_settings_api``: a create given captured
values makes no read and records them even when the server already holds Pulumi's own write
(the re-run after a killed one); ``repair``'s state rewrite adopts interrupted creates and
resources whose create failed after their prior values were saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pulumi.output import Unknown

from pulumi_datadog_testing.client import DatadogClient
from pulumi_datadog_testing.commands.repair import (
    RepairError,
    broken_sidecars,
    plan_repair,
    stack_locks,
)
from pulumi_datadog_testing.errors import DatadogAPIError
from pulumi_datadog_testing.resources.prior_values import (
    KIND_MODULES,
    LEDGER_KIND,
    LEDGER_NAME,
    PACK_MIN,
    PACKED,
    PRIORS_KEY,
    Captured,
    PriorValuesProvider,
    captured_of,
    decoded,
    encoded,
    entry_key,
    pack_values,
    priors_input,
    spec_of,
    unpack_values,
)
from pulumi_datadog_testing.resources.prior_values_resource import overlap_of
from pulumi_datadog_testing.resources.service_settings import (
    ServiceSettingsProvider,
    recorded_outputs,
)
from tests.unit.test_service_settings_api import IDENTITY, PROVIDER, SETTINGS_ID, FakeSettingsAPI

KIND = "ServiceSettings"
DECLARED = {**IDENTITY, "code_coverage_enabled": True, "auto_test_retries_enabled": False}
ORIGINAL = {
    "auto_test_retries_enabled": {"value": True, "is_overridden": True},
    "code_coverage_enabled": {"value": False, "is_overridden": False},
}


@pytest.fixture
def api() -> FakeSettingsAPI:
    fake = FakeSettingsAPI()
    fake.set(auto_test_retries_enabled=True)
    fake.sent()
    return fake


@pytest.fixture
def providers(
    api: FakeSettingsAPI, serve: Callable[..., DatadogClient]
) -> tuple[PriorValuesProvider, ServiceSettingsProvider]:
    serve(api)
    return PriorValuesProvider(), ServiceSettingsProvider()


def capture(priors: PriorValuesProvider, declared: dict[str, Any]) -> dict[str, Any]:
    result = priors.create({"kind": KIND, "declared": declared, "__provider": PROVIDER})
    assert result.outs is not None
    return result.outs


def test_a_rerun_records_the_captured_values_not_its_own_earlier_writes(
    providers: tuple[PriorValuesProvider, ServiceSettingsProvider], api: FakeSettingsAPI
) -> None:
    priors, settings = providers
    captured = capture(priors, DECLARED)
    assert captured["values"] == ORIGINAL and captured["existed"] is True
    assert [method for method, _ in api.sent()] == ["POST"]  # one read, no write
    props = {**DECLARED, PRIORS_KEY: {"values": captured["values"], "existed": True}}
    settings.create({**props, "__provider": PROVIDER})  # the killed run's write
    assert [method for method, _ in api.sent()] == ["PATCH"]  # no second read
    again = settings.create({**props, "__provider": PROVIDER})  # the re-run
    assert again.outs is not None and recorded_outputs(again.outs)["prior"] == ORIGINAL
    assert captured_of(again.outs) == Captured(ORIGINAL, True)  # for refresh to hand back
    settings.delete(SETTINGS_ID, again.outs)
    assert api.overrides[SETTINGS_ID] == {"auto_test_retries_enabled": True}


def test_a_create_checks_values_captured_as_already_declared(
    providers: tuple[PriorValuesProvider, ServiceSettingsProvider], api: FakeSettingsAPI
) -> None:
    """A capture taken after Pulumi's own write (a resource moved to the ledger, then deleted
    alone, which put the value back) says a setting already holds the declared value: the
    create reads that setting again, writes it and records the server's value as prior."""
    _, settings = providers
    late = {
        "auto_test_retries_enabled": {"value": False, "is_overridden": True},  # as declared
        "code_coverage_enabled": ORIGINAL["code_coverage_enabled"],
    }
    props = {**DECLARED, PRIORS_KEY: {"values": late, "existed": True}, "__provider": PROVIDER}
    created = settings.create(props)
    assert created.outs is not None
    assert (
        recorded_outputs(created.outs)["prior"] == ORIGINAL
    )  # the server's auto_test_retries_enabled: True
    assert captured_of(created.outs) == Captured(ORIGINAL, True)
    sent = api.sent()
    assert [method for method, _ in sent] == ["POST", "PATCH"]
    assert sent[1][1]["auto_test_retries_enabled"] is False
    settings.delete(SETTINGS_ID, created.outs)
    assert api.overrides[SETTINGS_ID] == {"auto_test_retries_enabled": True}


def test_an_update_reads_only_keys_not_captured_yet(
    providers: tuple[PriorValuesProvider, ServiceSettingsProvider], api: FakeSettingsAPI
) -> None:
    priors, _ = providers
    old = capture(priors, DECLARED)
    api.set(code_coverage_enabled=True)  # what Pulumi wrote meanwhile
    api.sent()
    wider = {**DECLARED, "early_flake_detection_enabled": True}
    updated = priors.update("id", old, {"kind": KIND, "declared": wider})
    assert updated.outs is not None
    assert updated.outs["values"]["code_coverage_enabled"] == ORIGINAL["code_coverage_enabled"]
    assert updated.outs["values"]["early_flake_detection_enabled"] == {
        "value": False,
        "is_overridden": False,
    }
    assert [method for method, _ in api.sent()] == ["POST"]
    narrower = priors.update("id", old, {"kind": KIND, "declared": DECLARED})
    assert narrower.outs is not None and narrower.outs["values"] == ORIGINAL
    assert api.sent() == []  # everything already captured: no call


def test_diff_read_and_delete_make_no_call_and_follow_the_resource(
    providers: tuple[PriorValuesProvider, ServiceSettingsProvider], api: FakeSettingsAPI
) -> None:
    priors, _ = providers
    olds = capture(priors, DECLARED)
    api.sent()
    same = priors.diff(
        "id", olds, {"kind": KIND, "declared": {**DECLARED, "code_coverage_enabled": False}}
    )
    assert same.changes is False  # a value change captures nothing new
    more = priors.diff(
        "id", olds, {"kind": KIND, "declared": {**DECLARED, "test_impact_analysis_enabled": True}}
    )
    assert more.changes is True and not more.replaces
    moved = priors.diff("id", olds, {"kind": KIND, "declared": {**DECLARED, "env": "staging"}})
    assert moved.replaces == ["declared"]
    assert priors.read("id", olds).outs == olds  # refresh never re-reads
    priors.delete("id", olds)
    assert api.sent() == []


def test_overlap_names_settings_already_overridden_to_the_declared_value(
    providers: tuple[PriorValuesProvider, ServiceSettingsProvider],
) -> None:
    priors, _ = providers
    overlap = spec_of("ServiceSettings").overlap
    found = capture(priors, DECLARED)
    assert "overlap" not in found  # nothing reads it: each resource warns from its own priors
    captured = Captured(found["values"], found["existed"])
    assert overlap(DECLARED, captured) == []
    declared = {**IDENTITY, "auto_test_retries_enabled": True}
    assert overlap(declared, Captured(capture(priors, declared)["values"])) == [
        "auto_test_retries_enabled"
    ]


@pytest.mark.parametrize("kind", sorted(KIND_MODULES))
def test_the_program_warns_of_the_overlap_the_provider_spec_names(kind: str) -> None:
    """The program's overlap warnings (``overlap_of``, plain-dict code in the light module)
    and the kind's ``PriorSpec`` use one function; a kind without one finds none."""
    spec_overlap = spec_of(kind).overlap
    if kind == "FlakyTestPolicies":
        assert overlap_of(kind)({}, Captured({"x": 1})) == spec_overlap({}, Captured({})) == []
    else:
        assert overlap_of(kind) is spec_overlap


PREFIX = "pulumi-python:dynamic/datadog-testing:"
STACK = "urn:pulumi:test::proj::pulumi:pulumi:Stack::proj-test"


def urn(kind: str, name: str) -> str:
    return f"urn:pulumi:test::proj::{PREFIX}{kind}::{name}"


def priors_resource(name: str) -> dict[str, Any]:
    return {
        "urn": urn("PriorValues", name),
        "type": PREFIX + "PriorValues",
        "custom": True,
        "id": "x",
        "parent": STACK,
        "inputs": {"kind": KIND, "declared": DECLARED, "__provider": PROVIDER},
        "outputs": {"kind": KIND, "declared": DECLARED, "values": ORIGINAL, "existed": True},
    }


def test_repair_adopts_interrupted_creates_and_adds_back_failed_ones() -> None:
    pending_settings = {
        "urn": urn(KIND, "a"),
        "type": PREFIX + KIND,
        "custom": True,
        "inputs": {**DECLARED, PRIORS_KEY: {"values": ORIGINAL, "existed": True},
                   "__provider": PROVIDER},
    }  # fmt: skip
    state: dict[str, Any] = {
        "resources": [{"urn": STACK, "type": "pulumi:pulumi:Stack"}, priors_resource("a"),
                      priors_resource("b")],
        "pending_operations": [
            {"type": "creating", "resource": pending_settings},
            {"type": "creating", "resource": {"urn": urn("PriorValues", "c"),
                                              "type": PREFIX + "PriorValues", "inputs": {}}},
        ],
    }  # fmt: skip
    plan = plan_repair(state, {})
    assert "pending_operations" not in state
    by_urn = {r["urn"]: r for r in state["resources"]}
    adopted, restored = by_urn[urn(KIND, "a")], by_urn[urn(KIND, "b")]
    for resource in (adopted, restored):
        assert resource["id"] == SETTINGS_ID
        assert recorded_outputs(resource["outputs"])["prior"] == ORIGINAL
        assert resource["outputs"]["__provider"]
    assert restored["dependencies"] == [urn("PriorValues", "b")]
    assert restored["parent"] == STACK
    assert len(plan.adopted) == len(plan.restored) == len(plan.dropped) == 1
    assert not plan_repair(state, {}).changed  # safe to run twice


LEDGER = {"kind": LEDGER_KIND}
UNKNOWN = Unknown()  # what check receives for a value unknown in preview
OTHER = {**DECLARED, "service_name": "payments"}


def ledger_entries(**declared: dict[str, Any]) -> dict[str, Any]:
    """The ledger's ``entries`` input as the program sends it (one JSON text per entry)."""
    return {
        entry_key(KIND, name): encoded({"kind": KIND, "declared": d})
        for name, d in declared.items()
    }


def test_the_ledger_captures_each_entry_once_and_keeps_what_it_captured(
    providers: tuple[PriorValuesProvider, ServiceSettingsProvider], api: FakeSettingsAPI
) -> None:
    priors, _ = providers
    news = {**LEDGER, "entries": ledger_entries(a=DECLARED)}
    created = priors.create(news)
    assert created.outs is not None
    olds = created.outs
    assert decoded(olds["captures"][entry_key(KIND, "a")]) == {"values": ORIGINAL, "existed": True}
    assert [method for method, _ in api.sent()] == ["POST"]
    assert priors.diff("ledger", olds, news).changes is False  # a no-change preview
    api.set(code_coverage_enabled=True)  # Pulumi's own write
    api.sent()
    grown = {**LEDGER, "entries": ledger_entries(a=DECLARED, b=OTHER)}
    assert priors.diff("ledger", olds, grown).changes is True  # a resource was added
    updated = priors.update("ledger", olds, grown)
    assert updated.outs is not None
    # only the new entry is read; the first keeps its values from before Pulumi's write
    assert [attributes["service_name"] for _, attributes in api.sent()] == ["payments"]
    assert updated.outs["captures"][entry_key(KIND, "a")] == olds["captures"][entry_key(KIND, "a")]
    assert priors.read("ledger", updated.outs).outs == updated.outs
    moved = {**LEDGER, "entries": ledger_entries(a={**DECLARED, "env": "staging"}, b=OTHER)}
    assert priors.diff("ledger", updated.outs, moved).changes is True  # another object


def test_the_ledger_outputs_summarise_its_entries(
    providers: tuple[PriorValuesProvider, ServiceSettingsProvider], api: FakeSettingsAPI
) -> None:
    """The outputs keep each entry's kind, object and a digest of its scope, not the declared
    inputs (a large FlakyTestStates would be in the outputs twice); outputs of an older
    version, which kept the entries whole, diff the same way."""
    priors, _ = providers
    news = {**LEDGER, "entries": ledger_entries(a=DECLARED, b=OTHER)}
    created = priors.create(news)
    assert created.outs is not None
    summary = decoded(created.outs["entries"][entry_key(KIND, "a")]) or {}
    assert set(summary) == {"kind", "identity", "scope"} and summary["kind"] == KIND
    legacy = {**created.outs, "entries": news["entries"]}
    narrower = {**DECLARED, "code_coverage_enabled": None}  # one setting fewer: another scope
    scoped = {**LEDGER, "entries": ledger_entries(a=narrower, b=OTHER)}
    renamed = {**LEDGER, "entries": ledger_entries(c=DECLARED, b=OTHER)}
    for olds in (created.outs, legacy):
        assert priors.diff("ledger", olds, news).changes is False
        assert priors.diff("ledger", olds, scoped).changes is True
        api.sent()
        updated = priors.update("ledger", olds, renamed)
        assert updated.outs is not None
        assert api.sent() == []  # the rename takes over the capture of "a": no read
        assert (
            updated.outs["captures"][entry_key(KIND, "c")] == olds["captures"][entry_key(KIND, "a")]
        )


def test_a_ledger_stored_as_mappings_before_the_text_form_is_not_captured_again(
    providers: tuple[PriorValuesProvider, ServiceSettingsProvider], api: FakeSettingsAPI
) -> None:
    """States written before 2026-12-01 hold entries and captures as mappings: the program's
    entries (text now) name the same objects, so nothing is read again and the captures
    from before Pulumi's writes stay."""
    priors, _ = providers
    key = entry_key(KIND, "a")
    olds = {
        **LEDGER,
        "entries": {key: {"kind": KIND, "declared": DECLARED}},
        "captures": {key: {"values": ORIGINAL, "existed": True}},
    }
    news = {**LEDGER, "entries": ledger_entries(a=DECLARED)}
    assert priors.diff("ledger", olds, news).changes is False
    grown = {**LEDGER, "entries": ledger_entries(a=DECLARED, b=OTHER)}
    updated = priors.update("ledger", olds, grown)
    assert updated.outs is not None
    assert [attributes["service_name"] for _, attributes in api.sent()] == ["payments"]
    assert decoded(updated.outs["captures"][key]) == {"values": ORIGINAL, "existed": True}
    assert all(isinstance(v, str) for v in updated.outs["captures"].values())


def test_a_ledger_entry_whose_read_fails_is_left_to_its_resource(
    providers: tuple[PriorValuesProvider, ServiceSettingsProvider],
    api: FakeSettingsAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    priors, _ = providers

    def refuse(*_: Any, **__: Any) -> Any:
        raise DatadogAPIError("403 Forbidden", method="POST", path="/settings", status=403)

    monkeypatch.setattr(ServiceSettingsProvider, "_get", refuse)
    news = {**LEDGER, "entries": ledger_entries(a=DECLARED)}
    created = priors.create(news)
    assert created.outs is not None and created.outs["captures"] == {entry_key(KIND, "a"): None}
    assert priors.diff("ledger", created.outs, news).changes is True  # captured next time


def test_a_renamed_resource_keeps_the_ledger_capture_of_its_old_name(
    providers: tuple[PriorValuesProvider, ServiceSettingsProvider], api: FakeSettingsAPI
) -> None:
    """Renamed (with an alias or not), a resource names the same object under a new ledger
    key: the server now holds Pulumi's writes, so the capture moves over, without a read."""
    priors, _ = providers
    created = priors.create({**LEDGER, "entries": ledger_entries(a=DECLARED, b=OTHER)})
    assert created.outs is not None
    api.set(code_coverage_enabled=True, auto_test_retries_enabled=False)  # Pulumi's writes
    api.sent()
    renamed = {**LEDGER, "entries": ledger_entries(c=DECLARED, b=OTHER)}
    assert priors.diff("ledger", created.outs, renamed).changes is True
    updated = priors.update("ledger", created.outs, renamed)
    assert updated.outs is not None
    assert (decoded(updated.outs["captures"][entry_key(KIND, "c")]) or {})["values"] == ORIGINAL
    assert entry_key(KIND, "a") not in updated.outs["captures"]
    assert api.sent() == []
    # another object under the new name is read (the old capture is not its prior)
    elsewhere = {**LEDGER, "entries": ledger_entries(d={**DECLARED, "env": "staging"}, b=OTHER)}
    moved = priors.update("ledger", updated.outs, elsewhere)
    assert moved.outs is not None and [m for m, _ in api.sent()] == ["POST"]


def test_a_resource_keeps_the_prior_values_it_was_first_given(
    providers: tuple[PriorValuesProvider, ServiceSettingsProvider],
) -> None:
    """A capture taken again while the resource exists (moved between the ledger and a
    sibling, migrated from siblings) saw Pulumi's writes: ``check``
    keeps the values the resource recorded for the same object, key by key."""
    _, settings = providers
    first = {"values": ORIGINAL, "existed": True}
    written = {
        "auto_test_retries_enabled": {"value": False, "is_overridden": True},
        "code_coverage_enabled": {"value": True, "is_overridden": True},
        "early_flake_detection_enabled": {"value": False, "is_overridden": False},
    }
    olds = {**DECLARED, PRIORS_KEY: first}
    news = {**DECLARED, "early_flake_detection_enabled": True}
    checked = settings.check(olds, {**news, PRIORS_KEY: priors_input(written, True)})
    kept = {**ORIGINAL, "early_flake_detection_enabled": written["early_flake_detection_enabled"]}
    assert checked.inputs[PRIORS_KEY] == priors_input(kept, True)
    # another object (a replace): the new capture is its own
    other = {**news, "env": "staging", PRIORS_KEY: {"values": written, "existed": False}}
    assert captured_of(settings.check(olds, other).inputs) == Captured(written, False)
    # a create, or a capture still unknown (preview): as given
    assert settings.check({}, {**news, PRIORS_KEY: first}).inputs[PRIORS_KEY] == first
    unknown = {**news, PRIORS_KEY: UNKNOWN}
    assert settings.check(olds, unknown).inputs[PRIORS_KEY] == UNKNOWN


def test_repair_adds_back_a_failed_create_from_the_ledger() -> None:
    ledger = {
        "urn": urn("PriorValues", LEDGER_NAME),
        "type": PREFIX + "PriorValues",
        "custom": True,
        "id": "ledger",
        "parent": STACK,
        "inputs": {**LEDGER, "entries": ledger_entries(a=DECLARED), "__provider": PROVIDER},
        "outputs": {  # entries summarised (the declared inputs are the ledger's inputs)
            **LEDGER,
            "entries": {entry_key(KIND, "a"): {"kind": KIND, "identity": "i", "scope": "s"}},
            "captures": {entry_key(KIND, "a"): {"values": ORIGINAL, "existed": True}},
        },
    }
    state: dict[str, Any] = {"resources": [{"urn": STACK, "type": "pulumi:pulumi:Stack"}, ledger]}
    plan = plan_repair(state, {})
    restored = {r["urn"]: r for r in state["resources"]}[urn(KIND, "a")]
    assert (
        restored["id"] == SETTINGS_ID and recorded_outputs(restored["outputs"])["prior"] == ORIGINAL
    )
    assert restored["dependencies"] == [urn("PriorValues", LEDGER_NAME)]
    assert len(plan.restored) == 1
    assert not plan_repair(state, {}).changed


def test_repair_finds_the_resource_of_a_sibling_named_apart() -> None:
    """A sibling whose name its resource's shares with another kind's (``<name>-<kind>``)
    names its resource in ``owner``."""
    sibling = {
        "urn": urn("PriorValues", f"a-{KIND}"),
        "type": PREFIX + "PriorValues",
        "custom": True,
        "id": "x",
        "parent": STACK,
        "inputs": {"kind": KIND, "declared": DECLARED, "owner": "a", "__provider": PROVIDER},
        "outputs": {"kind": KIND, "declared": DECLARED, "values": ORIGINAL, "existed": True},
    }
    state: dict[str, Any] = {"resources": [{"urn": STACK, "type": "pulumi:pulumi:Stack"}, sibling]}
    assert len(plan_repair(state, {}).restored) == 1
    assert urn(KIND, "a") in {r["urn"] for r in state["resources"]}


def test_stack_locks_reads_the_file_backend_lock(tmp_path: Any) -> None:
    lock_dir = tmp_path / ".pulumi" / "locks" / "organization" / "proj" / "test"
    lock_dir.mkdir(parents=True)
    (lock_dir / "a.json").write_text(
        '{"pid": 999999999, "username": "ci", "hostname": "elsewhere", "timestamp": "t"}'
    )
    (lock,) = stack_locks(f"file://{tmp_path}", "proj", "test")
    assert (lock.pid, lock.user, lock.host) == (999999999, "ci", "elsewhere")
    assert lock.alive() is None  # another host: cannot tell
    assert stack_locks(f"file://{tmp_path}", "other", "test") == []


def test_broken_sidecars_finds_empty_or_garbled_checkpoint_metadata(tmp_path: Any) -> None:
    stacks = tmp_path / ".pulumi" / "stacks" / "proj"
    stacks.mkdir(parents=True)
    checkpoint = stacks / "test.json"
    checkpoint.write_text('{"version": 3, "checkpoint": {}}')
    sidecar = stacks / "test.json.attrs"
    url = f"file://{tmp_path}"
    assert broken_sidecars(url, "proj", "test") == []  # no metadata file: nothing to mend
    sidecar.write_text('{"user.content_type": "application/json"}')
    assert broken_sidecars(url, "proj", "test") == []
    for content in ("", '{"user.content_'):
        sidecar.write_text(content)
        assert broken_sidecars(url, "proj", "test") == [sidecar]
    assert broken_sidecars(url, "other", "test") == []
    assert broken_sidecars("s3://bucket", "proj", "test") == []
    checkpoint.write_text('{"version": 3, "chec')  # the checkpoint itself cut: not ours to mend
    with pytest.raises(RepairError, match=r"test\.json is not whole JSON.*test\.json\.bak"):
        broken_sidecars(url, "proj", "test")


def test_large_plain_captures_are_packed_into_one_string() -> None:
    states = {f"{n:016x}": "active" if n % 2 else "quarantined" for n in range(PACK_MIN)}
    packed = pack_values(states)
    assert packed == {PACKED: ";".join(f"{k}={v}" for k, v in states.items())}
    assert pack_values(dict(reversed(states.items()))) == packed  # sorted: one form per map
    assert unpack_values(packed) == states
    small = dict(list(states.items())[:3])
    assert pack_values(small) == small == unpack_values(small)  # readable in state
    mixed = {**states, "flag": True}  # not all plain strings: as it is
    assert pack_values(mixed) == mixed
    spaced = {**states, "00000000000000ff": "a b"}
    assert pack_values(spaced) == spaced
    assert unpack_values({}) == {}
