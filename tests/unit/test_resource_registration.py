"""What each resource class registers in a program (Pulumi's mock runtime, no engine): only the
inputs given are sent, every ``pulumi.Output[...]`` attribute is an Output that resolves to
what the provider reported (also for inputs not given and computed outputs), and declaring
many resources does not make the SDK's provider pickling deeper."""

from __future__ import annotations

import asyncio
import base64
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dill
import pulumi
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import UNKNOWN

import pulumi_datadog_testing
from pulumi_datadog_testing import (
    FlakyTestPolicies,
    FlakyTestState,
    FlakyTestStates,
    ServiceSettings,
    SyntheticsSuite,
)
from pulumi_datadog_testing.resources import prior_values_resource
from pulumi_datadog_testing.resources._resource import (
    DatadogResource,
    label,
    pickler_wrappers,
    untrack,
    unwrap_pickler,
)
from pulumi_datadog_testing.resources.flaky_test_state_resource import recorded_priors
from pulumi_datadog_testing.resources.flaky_test_states_resource import stored_set
from pulumi_datadog_testing.resources.prior_values import (
    LEDGER_NAME,
    PACK_MIN,
    PRIOR_VALUES,
    PRIORS_KEY,
    priors_input,
    register_priors,
)
from pulumi_datadog_testing.resources.service_settings import ServiceSettingsProvider
from pulumi_datadog_testing.type_tokens import MODULE, ResourceKind

pytestmark = pytest.mark.usefixtures("event_loop_of_its_own")

REPO = "github.com/acme/shop"
TEST_ID = "4eb1887a8adb1847"

REPORTED: dict[ResourceKind, dict[str, Any]] = {
    ResourceKind.SERVICE_SETTINGS: {
        "prior": {"early_flake_detection_enabled": {"value": False, "is_overridden": False}},
        "prior_existed": True,
    },
    ResourceKind.FLAKY_TEST_STATE: {
        "previous_state": "active",
        "fqn": "shop.CartTest.test_checkout",
        "test_module": "shop",
        "test_suite": "CartTest",
        "test_name": "test_checkout",
    },
    ResourceKind.FLAKY_TEST_STATES: {
        "previous_states": {TEST_ID: "active"},
        "test_ids": [TEST_ID],
    },
    ResourceKind.FLAKY_TEST_POLICIES: {"previous_policies": {}},
    ResourceKind.SYNTHETICS_SUITE: {
        "public_id": "abc-def-ghi",
        "monitor_id": 1234,
        "message": "",
        "options": {"alerting_threshold": 1.0},
    },
}
"""What the mock provider reports besides the inputs, per kind."""


class ProviderMocks(pulumi.runtime.Mocks):
    """Records what is registered; answers like the providers of states written before
    2026-12-02: inputs plus ``REPORTED``, and the recorded prior values (``__priors``)."""

    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        self.registered.append(args)
        kind = args.typ.rpartition(":")[2]
        if kind == PRIOR_VALUES:
            return f"{args.name}-priors", {**args.inputs, "values": {}}
        outputs = {k: v for k, v in args.inputs.items() if not k.startswith("__")}
        reported = REPORTED[ResourceKind(kind)]
        recorded = {}
        if kind == ResourceKind.SERVICE_SETTINGS:
            recorded = {PRIORS_KEY: priors_input(reported["prior"], reported["prior_existed"])}
        elif kind == ResourceKind.FLAKY_TEST_STATE:
            parts = {"module": "shop", "suite": "CartTest", "name": "test_checkout"}
            recorded = {PRIORS_KEY: recorded_priors(TEST_ID, "active", parts)}
        resource_id = args.resource_id or f"{args.name}-id"
        return resource_id, {**outputs, **reported, **recorded}

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None

    def sent(self, kind: ResourceKind) -> dict[str, Any]:
        (resource,) = [r for r in self.registered if r.typ == kind.type_token]
        return dict(resource.inputs)


@pytest.fixture
def mocks() -> Iterator[ProviderMocks]:
    recorder = ProviderMocks()
    pulumi.runtime.set_mocks(recorder, preview=False)
    yield recorder


def declare_all() -> dict[ResourceKind, DatadogResource]:
    """One resource of each kind, each given only some of its inputs."""
    return {
        ResourceKind.SERVICE_SETTINGS: ServiceSettings(
            "settings", repository_id=REPO, service_name="checkout",
            early_flake_detection_enabled=True,
        ),
        ResourceKind.FLAKY_TEST_STATE: FlakyTestState(
            "state", repository_id=REPO, test_id=TEST_ID, state="quarantined"
        ),
        ResourceKind.FLAKY_TEST_STATES: FlakyTestStates(
            "states", repository_id=REPO, states={TEST_ID: "disabled"}
        ),
        ResourceKind.FLAKY_TEST_POLICIES: FlakyTestPolicies(
            "policies", repository_id=REPO, attempt_to_fix={"retries": 3}
        ),
        ResourceKind.SYNTHETICS_SUITE: SyntheticsSuite(
            "suite", name="Checkout", tests=[{"public_id": "abc-def-111"}]
        ),
    }  # fmt: skip


GIVEN: dict[ResourceKind, dict[str, Any]] = {
    ResourceKind.SERVICE_SETTINGS: {
        "repository_id": REPO,
        "service_name": "checkout",
        "early_flake_detection_enabled": True,
    },
    ResourceKind.FLAKY_TEST_STATE: {
        "repository_id": REPO,
        "test_id": TEST_ID,
        "state": "quarantined",
    },
    ResourceKind.FLAKY_TEST_STATES: {"repository_id": REPO, "states": {TEST_ID: "disabled"}},
    ResourceKind.FLAKY_TEST_POLICIES: {"repository_id": REPO, "attempt_to_fix": {"retries": 3}},
    ResourceKind.SYNTHETICS_SUITE: {"name": "Checkout", "tests": [{"public_id": "abc-def-111"}]},
}


@pulumi.runtime.test
def test_only_the_given_inputs_are_sent(mocks: ProviderMocks) -> Any:
    resources = declare_all()

    def verify(_: Any) -> None:
        for kind, given in GIVEN.items():
            sent = mocks.sent(kind)
            hidden = {k for k in sent if k.startswith("__")}
            assert {k: v for k, v in sent.items() if k not in hidden} == given, kind
            assert hidden <= {"__provider", PRIORS_KEY}, kind
            assert None not in sent.values(), kind

    return pulumi.Output.all(*(r.urn for r in resources.values())).apply(verify)


@pulumi.runtime.test
def test_every_annotated_attribute_is_an_output_with_the_reported_value(
    mocks: ProviderMocks,
) -> Any:
    resources = declare_all()
    for resource in resources.values():
        for name in type(resource).OUTPUT_TYPES:
            assert isinstance(getattr(resource, name), pulumi.Output), (resource, name)

    values = {
        (kind, name): getattr(resource, name)
        for kind, resource in resources.items()
        for name in type(resource).OUTPUT_TYPES
    }

    def verify(resolved: list[Any]) -> None:
        got = dict(zip(values, resolved, strict=True))
        for kind, resource_values in REPORTED.items():
            for name, value in {**GIVEN[kind], **resource_values}.items():
                assert got[kind, name] == value, (kind, name)
        # Neither given nor reported: None, as before.
        assert got[ResourceKind.SERVICE_SETTINGS, "env"] is None
        assert got[ResourceKind.SERVICE_SETTINGS, "code_coverage_enabled"] is None
        assert got[ResourceKind.FLAKY_TEST_STATE, "owner"] is None
        assert isinstance(got[ResourceKind.SYNTHETICS_SUITE, "monitor_id"], int)

    return pulumi.Output.all(*values.values()).apply(verify)


@pulumi.runtime.test
def test_echoed_inputs_not_given_are_not_registered(mocks: ProviderMocks) -> Any:
    """An input the provider only echoes costs the program an Output only when it is given;
    not given, its attribute is a known ``None`` that still depends on the resource."""
    resources = declare_all()
    settings = resources[ResourceKind.SERVICE_SETTINGS]
    state = resources[ResourceKind.FLAKY_TEST_STATE]
    assert type(settings).ECHOED and type(state).ECHOED
    unset = settings.code_coverage_enabled  # type: ignore[attr-defined]
    assert unset is settings.code_coverage_enabled  # type: ignore[attr-defined]  # made once
    with pytest.raises(AttributeError, match="no attribute 'code_coverage_enabld'"):
        _ = settings.code_coverage_enabld  # type: ignore[attr-defined]

    def verify(_: Any) -> Any:
        for kind, resource in ((ResourceKind.SERVICE_SETTINGS, settings),
                               (ResourceKind.FLAKY_TEST_STATE, state)):  # fmt: skip
            sent = mocks.sent(kind)
            assert not type(resource).ECHOED & (set(sent) - set(GIVEN[kind])), kind
        return pulumi.Output.all(unset, unset.is_known(), unset.resources()).apply(check)

    def check(found: list[Any]) -> None:
        value, known, resources = found
        assert (value, known) == (None, True)
        assert resources == {settings}

    return pulumi.Output.all(settings.urn, state.urn).apply(verify)


@pulumi.runtime.test
def test_a_resource_read_by_id_registers_every_attribute(mocks: ProviderMocks) -> Any:
    """A read by id may report every setting (``ServiceSettings.get`` reports all six)."""
    settings = ServiceSettings.get("adopted", f"{REPO}::checkout::none")
    registered = set(type(settings).OUTPUT_TYPES)

    def verify(_: Any) -> None:
        (read,) = [r for r in mocks.registered if r.name == "adopted"]
        assert read.resource_id == f"{REPO}::checkout::none"
        assert type(settings).ECHOED <= registered
        for name in type(settings).ECHOED:
            assert name in vars(settings), name  # an Output the registration resolves

    return settings.urn.apply(verify)


@pulumi.runtime.test
def test_siblings_of_same_named_resources_get_names_of_their_own(mocks: ProviderMocks) -> Any:
    """Resources of two kinds may share a name; their PriorValues siblings (here: after a
    depends_on), and one named like the stack's ledger, must not share a URN."""
    first = ServiceSettings("base", repository_id=REPO, service_name="base",
                            code_coverage_enabled=True)  # fmt: skip
    after = pulumi.ResourceOptions(depends_on=[first])
    declared = [
        ServiceSettings("x", repository_id=REPO, service_name="checkout",
                        code_coverage_enabled=True, opts=after),
        FlakyTestPolicies("x", repository_id=REPO, attempt_to_fix={"retries": 3}, opts=after),
        ServiceSettings(LEDGER_NAME, repository_id=REPO, service_name="cart",
                        code_coverage_enabled=True, opts=after),
    ]  # fmt: skip

    def verify(_: Any) -> None:
        priors = [r for r in mocks.registered if r.typ.endswith(f":{PRIOR_VALUES}")]
        names = [r.name for r in priors]  # "base" joins the ledger (or, in a reused loop, not)
        assert len(names) == len(set(names)), names
        assert {"x", "x-FlakyTestPolicies", f"{LEDGER_NAME}-ServiceSettings"} <= set(names)
        owners = {r.name: r.inputs.get("owner") for r in priors}
        assert owners["x-FlakyTestPolicies"] == "x" and owners["x"] is None
        assert owners[f"{LEDGER_NAME}-ServiceSettings"] == LEDGER_NAME

    return pulumi.Output.all(*(r.urn for r in declared)).apply(verify)


@pulumi.runtime.test
def test_outputs_wire_into_other_resources(mocks: ProviderMocks) -> Any:
    suite = SyntheticsSuite("suite", name="Checkout", tests=[{"public_id": "abc-def-111"}])
    state = FlakyTestState("state", repository_id=REPO, test_id=TEST_ID, state="disabled")
    settings = ServiceSettings(
        "settings",
        repository_id=REPO,
        service_name=suite.public_id.apply(lambda public_id: f"svc-{public_id}"),
        early_flake_detection_enabled=True,
    )
    joined = pulumi.Output.concat(state.id, "|", state.previous_state, "|", suite.public_id)

    def verify(args: list[Any]) -> None:
        text, _ = args
        assert text == "state-id|active|abc-def-ghi"
        assert mocks.sent(ResourceKind.SERVICE_SETTINGS)["service_name"] == "svc-abc-def-ghi"

    return pulumi.Output.all(joined, settings.urn).apply(verify)


@pulumi.runtime.test
def test_each_resource_s_source_position_is_the_program_line_that_declared_it(
    mocks: ProviderMocks, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The SDK stores the stack outside a resource's third ``__init__`` frame as its
    ``sourcePosition`` and ``stackTrace``: none of this package's frames, for every kind and
    for the ledger of prior values they register."""
    traces: list[Any] = []
    record = pulumi.runtime.resource._get_stack_trace

    def recording() -> Any:
        trace = record()
        traces.append(trace)
        return trace

    monkeypatch.setattr(pulumi.runtime.resource, "_get_stack_trace", recording)
    resources = declare_all()
    package = Path(pulumi_datadog_testing.__file__).parent.as_uri()
    assert len(traces) == len(resources) + 1  # and the ledger of prior values
    first_line = inspect.getsourcelines(declare_all)[1]
    for trace in traces:
        uri, line = trace.frames[0].pc.uri, trace.frames[0].pc.line
        assert uri == Path(__file__).as_uri(), uri
        assert first_line < line < first_line + 20, line
        assert not [f.pc.uri for f in trace.frames if f.pc.uri.startswith(package)]
    return pulumi.Output.all(*(r.urn for r in resources.values()))


@pulumi.runtime.test
def test_declaring_many_resources_keeps_the_provider_pickling_shallow(
    mocks: ProviderMocks,
) -> Any:
    """The SDK wraps the pickler once more per dynamic resource and never unwraps it; the
    resources unwrap it before registering, so a thousand resources do not exhaust the stack."""
    unwrap_pickler()
    states = [
        FlakyTestState(f"s{i}", repository_id=REPO, test_id=f"{i:016x}", state="disabled")
        for i in range(40)
    ]
    depth = pickler_wrappers()
    assert depth <= 2, depth  # its own and its PriorValues' (80 without the unwrapping)
    return pulumi.Output.all(*(s.urn for s in states))


def test_unwrapping_the_pickler_repairs_provider_pickling_after_a_thousand_resources() -> None:
    provider = ServiceSettingsProvider()
    try:
        with pytest.raises(RecursionError):  # the SDK alone: one wrapper more per resource
            for _ in range(sys.getrecursionlimit() + 100):
                serialize_provider(provider)
        assert pickler_wrappers() > sys.getrecursionlimit() // 2
        unwrap_pickler()
        assert pickler_wrappers() == 0
        serialized = serialize_provider(provider)  # the SDK's own sorted pickling still works
        assert pickler_wrappers() == 1
        assert type(dill.loads(base64.b64decode(serialized))) is ServiceSettingsProvider
    finally:
        unwrap_pickler()


def test_a_label_is_a_plain_string_unless_a_part_is_an_output() -> None:
    assert label("settings {0}::{1}", "repo", "svc") == "settings repo::svc"


@pulumi.runtime.test
def test_a_label_with_an_output_part_resolves(mocks: ProviderMocks) -> Any:
    text = label("settings {0}::{1}", "repo", pulumi.Output.from_input("svc"))
    assert isinstance(text, pulumi.Output)
    return text.apply(lambda value: assert_equal(value, "settings repo::svc"))


def assert_equal(value: Any, expected: Any) -> None:
    assert value == expected


def test_subclasses_keep_their_type_tokens() -> None:
    assert ServiceSettings._resource_type_name == f"dynamic/{MODULE}:ServiceSettings"
    assert SyntheticsSuite._resource_type_name == f"dynamic/{MODULE}:SyntheticsSuite"


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_a_preview_does_not_wait_for_the_prior_values(preview: bool) -> None:
    """A preview never writes, so no resource waits for its PriorValues (the ledger's, or a
    sibling's): its ``__priors`` is a value computed later; ``up`` passes the capture."""
    pulumi.runtime.set_mocks(ProviderMocks(), preview=preview)

    async def declare() -> list[Any]:
        sent = []
        for _ in ("ledger entry", "sibling"):  # the same key again cannot join the ledger
            props: dict[str, Any] = {"repository_id": REPO, "service_name": "checkout"}
            watch = register_priors("x", ResourceKind.SERVICE_SETTINGS, props, None)
            assert watch is not None
            sent.append(props[PRIORS_KEY])
        return sent

    try:
        ledger, sibling = asyncio.run(declare())
    finally:
        pulumi.runtime.set_mocks(ProviderMocks(), preview=False)
    if preview:
        assert ledger is UNKNOWN and sibling is UNKNOWN
    else:
        assert isinstance(ledger, pulumi.Output)
        assert isinstance(sibling, pulumi.Output)  # its capture, as one text


@pulumi.runtime.test
def test_output_attributes_are_not_among_the_outputs_the_program_waits_for(
    mocks: ProviderMocks,
) -> Any:
    """The SDK waits at the end of the program on every tracked Output each time one resolves
    (quadratic); a resource's own attributes are resolved by its registration, which the SDK
    waits for anyway, so they are untracked. What user code derives from them stays tracked."""
    from pulumi.runtime.settings import SETTINGS

    resources = declare_all()
    settings = resources[ResourceKind.SERVICE_SETTINGS]
    assert isinstance(settings, ServiceSettings)
    prior = settings.prior
    derived = prior.apply(len)
    for resource in resources.values():
        for name in type(resource).OUTPUT_TYPES:
            assert getattr(resource, name)._data not in SETTINGS.outputs, name
    assert derived._data in SETTINGS.outputs
    return pulumi.Output.all(derived, *(r.urn for r in resources.values())).apply(
        lambda values: None if values[0] == 1 else pytest.fail(f"prior resolved to {values[0]}")
    )


@pulumi.runtime.test
def test_overlap_watches_of_a_program_turn_share_one_tracked_output(
    mocks: ProviderMocks, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """Each ledger resource's overlap warning waits for its recorded prior values; the watches
    added in one turn of the event loop share one Output the SDK waits for, not an ``apply``
    each (the SDK's end-of-program wait is quadratic in the tracked Outputs). A value unknown
    in a preview comes as ``None``; a failed registration is skipped (the program reports it)."""
    program = prior_values_resource._program()
    assert program is not None

    async def value(v: Any) -> Any:
        return v

    async def failing() -> Any:
        raise RuntimeError("registration failed")

    known = pulumi.Output.from_input({"a": 1})
    unknown = pulumi.Output(set(), value(None), value(False))
    is_known: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    is_known.set_result(True)  # a future, not a coroutine: it is never awaited here
    failed = pulumi.Output(set(), failing(), is_known)
    untrack([failed])  # a failed registration fails the program; here only the watch sees it
    made: list[pulumi.Output[Any]] = []
    seen: list[list[Any]] = []

    async def settled() -> None:
        for _ in range(1000):  # bounded: the batch runs within a few turns of the loop
            if len(seen) == 21:
                break
            await asyncio.sleep(0)
        monkeypatch.undo()
        assert len(made) == 1  # one Output for the whole batch
        assert seen == [[{"a": 1}, None]] * 20 + [[{"a": 1}]]

    result = pulumi.Output(set(), settled(), value(True))
    original = pulumi.Output.__init__

    def counted(self: pulumi.Output[Any], *args: Any, **kwargs: Any) -> None:
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(pulumi.Output, "__init__", counted)
    for _ in range(20):
        program.watch([known, unknown], seen.append)
    program.watch([failed], seen.append)
    program.watch([known], seen.append)
    return result


class LargeSetMocks(ProviderMocks):
    """Reports a ``FlakyTestStates``' previous states as the provider stores a large set."""

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        resource_id, outputs = super().new_resource(args)
        if args.typ == ResourceKind.FLAKY_TEST_STATES.type_token:
            outputs = {k: v for k, v in outputs.items() if k != "test_ids"}
            outputs.update(stored_set(dict.fromkeys(args.inputs["states"], "active")))
        return resource_id, outputs


@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pulumi.runtime.test
def test_flaky_test_states_attributes_show_a_packed_set_whole(preview: bool) -> Any:
    """A set of ``PACK_MIN`` tests or more is stored packed (``stored_set``); the program's
    ``previous_states`` and ``test_ids`` are the whole map and the sorted ids all the same —
    in a preview too, where the ``test_ids`` a state lacks would be unknown."""
    pulumi.runtime.set_mocks(LargeSetMocks(), preview=preview)
    ids = [f"{i:016x}" for i in range(PACK_MIN, 0, -1)]
    states = FlakyTestStates("large", repository_id=REPO, states=dict.fromkeys(ids, "fixed"))

    def verify(values: list[Any]) -> None:
        previous, test_ids = values
        assert previous == dict.fromkeys(ids, "active")
        assert test_ids == sorted(ids)

    return pulumi.Output.all(states.previous_states, states.test_ids).apply(verify)


class RecordedMocks(ProviderMocks):
    """Reports ``ServiceSettings`` and ``FlakyTestState`` as their providers store them since
    2026-12-02: the prior values once, as ``__priors``, not as outputs of their own."""

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        resource_id, outputs = super().new_resource(args)
        kind = args.typ.rpartition(":")[2]
        if kind in (ResourceKind.SERVICE_SETTINGS, ResourceKind.FLAKY_TEST_STATE):
            outputs = {k: v for k, v in outputs.items() if k not in REPORTED[ResourceKind(kind)]}
        return resource_id, outputs


@pytest.mark.parametrize("stored", [False, True], ids=["recorded", "stored"])
@pytest.mark.parametrize("preview", [False, True], ids=["up", "preview"])
@pulumi.runtime.test
def test_prior_value_attributes_read_the_recorded_priors(preview: bool, stored: bool) -> Any:
    """``ServiceSettings.prior``/``prior_existed`` and ``FlakyTestState.previous_state``/``fqn``/
    ``test_*`` are read from the resource's ``__priors`` output (``recorded``), or from outputs
    of their own in a state written before 2026-12-02 (``stored``): the same known values
    either way, in a preview too. Made once, when first read, and like the registered
    attributes not waited for; the name parts are not registered at all."""
    from pulumi.runtime.settings import SETTINGS

    pulumi.runtime.set_mocks(ProviderMocks() if stored else RecordedMocks(), preview=preview)
    resources = declare_all()
    settings, state = (
        resources[ResourceKind.SERVICE_SETTINGS],
        resources[ResourceKind.FLAKY_TEST_STATE],
    )
    assert isinstance(settings, ServiceSettings) and isinstance(state, FlakyTestState)
    expected: dict[tuple[DatadogResource, str], Any] = {
        **{(settings, k): v for k, v in REPORTED[ResourceKind.SERVICE_SETTINGS].items()},
        **{(state, k): v for k, v in REPORTED[ResourceKind.FLAKY_TEST_STATE].items()},
    }
    outputs = {key: getattr(key[0], key[1]) for key in expected}
    assert all(output._data not in SETTINGS.outputs for output in outputs.values())
    assert settings.prior is outputs[(settings, "prior")]  # made once
    registered = set(vars(state)["_recorded_sources"])  # the name parts are not registered
    assert registered == {"previous_state", "test_id", PRIORS_KEY}

    async def value(v: Any) -> Any:
        return v

    async def verify() -> None:
        for (resource, name), output in outputs.items():
            assert await output.is_known(), name
            assert await output.future() == expected[(resource, name)], name

    return pulumi.Output(set(), verify(), value(True))
