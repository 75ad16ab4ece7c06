"""``ServiceSettings``: the Test Optimization settings of one service in one environment.

Identity is ``repository_id`` + ``service_name`` + ``env`` (default ``none``); the resource id
is ``repository_id::service_name::env`` and changing any of the three replaces the resource
(the new service's settings are applied first, then the old ones are restored).

Each of the six booleans is optional, and an unset one is *not managed*: never sent, never
diffed, never reported as drift. For every managed setting the resource remembers what it was
before Pulumi managed it (output ``prior``), so that releasing it puts it back. It is stored
once, as the hidden ``__priors`` output (``{"values": prior, "existed": prior_existed}``);
``prior`` and ``prior_existed`` are read from there (``recorded_outputs``; states written
before 2026-12-02, and ``get``, store them as outputs of their own, which then win):

- ``create``: one get (``POST``, made by the resource's ``PriorValues`` and saved in state
  before any write, see ``prior_values``; a 404 means the service has no settings yet, so
  every value is inherited) and one ``PATCH`` with the declared settings that the service does not
  already override with the same value (none: no ``PATCH``, so adopting settings that are
  already right writes nothing; those settings are read once more first, in case the capture
  was taken after Pulumi's own write — see ``_recheck_in_place``). An inherited value is sent
  even when it is equal, so the service overrides it as declared.
- ``update``: one ``PATCH`` with only the settings whose value changes, plus the restored
  value of any setting that is no longer declared; a get first only when a setting becomes
  managed (to record its prior value).
- ``delete``: one ``PATCH`` restoring the prior values — ``<setting>_inherit: true`` where
  the value was inherited, the old value where it was overridden and Pulumi changed it (a
  setting whose managed value is its prior overridden value is not sent; none: no call). Settings that did not exist
  before are re-inherited (not ``DELETE``\\ d), so nothing this resource does not manage is
  touched. ``retain_on_delete`` leaves the values as they are.
- ``read`` (refresh): the server's values of the managed settings; a 404 means the settings
  were deleted outside Pulumi (the resource is gone from state). With
  ``ResourceOptions(id="repo::service::env")`` or ``ServiceSettings.get`` the settings are
  read without being managed: the declared settings are reported, or all six if none is.
- ``pr_comments_enabled``: sent when declared (the seeds' API applies it), but the current
  API ignores it at service level, so it is never reported as drift and the program warns
  when it is set.

``check`` and ``diff`` make no API call; a no-change preview makes none at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from ..errors import DatadogAPIError, InvalidResourceIdError, NotFoundError
from ..identity import (
    DEFAULT_ENV,
    INHERITABLE_SETTINGS,
    SERVICE_SETTING_NAMES,
    parse_service_settings_id,
    service_settings_id,
)
from ..type_tokens import ResourceKind
from ._base import (
    DatadogResourceProvider,
    check_failures,
    check_inputs,
    is_unknown,
    refreshed,
    strip_provider,
    unchanged,
    write_or_undo,
)
from ._lazy import lazy_exports
from ._read_ahead import read_ahead
from .prior_values import (
    PRIORS_KEY,
    Captured,
    PriorSpec,
    captured_of,
    carry_priors,
    keep_captured,
    priors_input,
    without_priors,
)
from .service_settings_resource import (  # the program side, re-exported here
    OUTPUTS,
    PR_COMMENTS,
    PR_COMMENTS_WARNING,
    ServiceSettings,
    ServiceSettingsArgs,
    documented_outputs,
    overlap,
    recorded_outputs,
)

__all__ = [
    "IDENTITY_FIELDS",
    "OUTPUTS",
    "PR_COMMENTS",
    "PR_COMMENTS_WARNING",
    "PriorValue",
    "ServiceSettings",
    "ServiceSettingsArgs",
    "ServiceSettingsInputs",
    "ServiceSettingsProvider",
    "documented_outputs",
    "record_prior",
    "recorded_outputs",
    "restore_attributes",
]

if TYPE_CHECKING:
    from ..models import ServiceSettingsAttributes as WireSettings
    from ._service_settings_inputs import PriorValue, ServiceSettingsInputs

    Prior = dict[str, PriorValue]

IDENTITY_FIELDS: Final = ("repository_id", "service_name", "env")
_PRIOR, _PRIOR_EXISTED = OUTPUTS
_MODELS: Final = f"{__package__}._service_settings_inputs"
"""Where the pydantic models live (loaded on first use: see ``__getattr__``)."""


__getattr__ = lazy_exports(__name__, _MODELS, ("ServiceSettingsInputs", "PriorValue"))
"""The input models, importable from here as before, loaded only when used (``_lazy``)."""


def record_prior(current: WireSettings | None, names: Iterable[str]) -> Prior:
    """The prior value of each setting in ``names`` from a get (``None``: 404, no settings)."""
    from ._service_settings_inputs import PriorValue

    prior: Prior = {}
    for name in names:
        inheritable = name in INHERITABLE_SETTINGS
        if current is None:
            prior[name] = PriorValue(is_overridden=False if inheritable else None)
        else:
            overridden = getattr(current, f"{name}_is_overridden") if inheritable else None
            prior[name] = PriorValue(value=getattr(current, name), is_overridden=overridden)
    return prior


def restore_attributes(prior: Mapping[str, PriorValue]) -> dict[str, bool]:
    """``PATCH`` attributes that put each setting of ``prior`` back.

    Inherited → ``<setting>_inherit: true``; overridden, or a known value the API gave no
    inheritance flag for → that value; unknown ``pr_comments_enabled`` → nothing (it cannot be
    re-inherited at service level).
    """
    attributes: dict[str, bool] = {}
    for name, before in prior.items():
        inheritable = name in INHERITABLE_SETTINGS
        if inheritable and (before.is_overridden is False or before.value is None):
            attributes[f"{name}_inherit"] = True
        elif before.value is not None:
            attributes[name] = before.value
    return attributes


def _in_place(before: PriorValue, value: bool | None) -> bool:
    """Whether a setting's prior value is ``value``, held as its own (not inherited) value:
    create need not send it, and delete need not put it back (adopting settings that are
    already right, and releasing them unchanged, write nothing)."""
    return before.value == value and before.is_overridden is not False


def _differs(old: Any, new: Any) -> bool:
    return is_unknown(new) or old != new


def _prior_of(props: Mapping[str, Any]) -> Prior:
    from ._service_settings_inputs import PriorValue

    raw = props.get(_PRIOR)
    if not isinstance(raw, Mapping):
        return {}
    return {name: PriorValue.model_validate(value) for name, value in raw.items()}


def _recorded(outs: Mapping[str, Any]) -> tuple[Prior, bool]:
    """The prior values a resource in state recorded, and whether the service had settings
    (``recorded_outputs``: its ``__priors`` output, or ``prior``/``prior_existed`` in states
    written before 2026-12-02)."""
    recorded = recorded_outputs(outs)
    return _prior_of(recorded), bool(recorded.get(_PRIOR_EXISTED))


def _legacy(outs: Mapping[str, Any]) -> bool:
    """Whether a resource's outputs store ``prior`` themselves (written before 2026-12-02, or
    by ``get``): a refresh keeps them so (module docstring)."""
    return _PRIOR in outs


def _dump_prior(prior: Prior) -> dict[str, Any]:
    return {
        name: prior[name].model_dump(exclude_none=True)
        for name in SERVICE_SETTING_NAMES
        if name in prior
    }


def _inputs_of(props: Mapping[str, Any], *, outputs: bool = True) -> ServiceSettingsInputs:
    """Validated inputs from resource properties; ``ValueError`` naming each bad property.

    ``outputs=True``: ``props`` are a resource's outputs (other output names are ignored);
    ``False``: they are a program's declared inputs (unknown names are errors).
    """
    from pydantic import ValidationError

    from ._service_settings_inputs import ServiceSettingsInputs

    known = ServiceSettingsInputs.model_fields
    values = {
        k: v
        for k, v in strip_provider(props).items()
        if v is not None and (k in known or not outputs)
    }
    try:
        return ServiceSettingsInputs.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{f.property}: {f.reason}" for f in check_failures(exc, ServiceSettingsInputs)
        )
        raise ValueError(f"invalid ServiceSettings properties: {problems}") from None


class ServiceSettingsProvider(DatadogResourceProvider):
    """Dynamic provider of ``ServiceSettings`` (see the module docstring for the semantics)."""

    # ------------------------------------------------------------------ no API calls
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        props = {k: v for k, v in strip_provider(news).items() if v is not None}
        declared = without_priors(props)
        result = unchanged(
            without_priors(strip_provider(olds)), {"env": DEFAULT_ENV, **declared}
        ) or _validated(declared)
        if PRIORS_KEY in props:
            result.inputs[PRIORS_KEY] = props[PRIORS_KEY]
            keep_captured(ResourceKind.SERVICE_SETTINGS, olds, result.inputs)
        return result

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old, new = strip_provider(olds), strip_provider(news)
        defaults = {"env": DEFAULT_ENV}
        replaces = [
            name
            for name in IDENTITY_FIELDS
            if _differs(old.get(name, defaults.get(name)), new.get(name, defaults.get(name)))
        ]
        changed = [name for name in SERVICE_SETTING_NAMES if _differs(old.get(name), new.get(name))]
        return DiffResult(
            changes=bool(replaces or changed),
            replaces=replaces,
            stables=[name for name in IDENTITY_FIELDS if name not in replaces],
            delete_before_replace=False,
        )

    # ------------------------------------------------------------------ API calls
    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = _inputs_of(props)
        managed = inputs.managed()
        # The values from before any write (saved in state first by PriorValues), not read
        # again here: after an interrupted run the server may hold this resource's own writes.
        given = captured_of(props)
        captured = _capture(self, inputs, given)
        prior = _prior_of({_PRIOR: captured.values})
        if given is not None:
            prior = self._recheck_in_place(inputs, managed, prior)
        send = {name: value for name, value in managed.items() if not _in_place(prior[name], value)}
        write_or_undo(
            lambda: self._patch(inputs, send),
            lambda: self._patch(inputs, restore_attributes(prior)),
            what="the settings",
        )
        outputs = self._outputs(inputs, managed, prior, bool(captured.existed))
        return CreateResult(inputs.id, outputs)

    def _recheck_in_place(
        self, inputs: ServiceSettingsInputs, managed: Mapping[str, bool], prior: Prior
    ) -> Prior:
        """Settings the capture says already held the declared value are not written, so the
        server still holds their value from before this create: read them again (one get, only
        when there are such settings). A capture taken after Pulumi's own write said so wrongly
        (a resource moved between the ledger and a sibling, then deleted alone — its delete
        put the value back — and created again): the server's value is then the prior one."""
        in_place = [name for name, value in managed.items() if _in_place(prior[name], value)]
        if not in_place:
            return prior
        now = record_prior(self._get(inputs), in_place)
        changed = {n: now[n] for n in in_place if not _in_place(now[n], managed[n])}
        return {**prior, **changed}

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = _inputs_of(news)
        prior, existed = _recorded(olds)
        managed = inputs.managed()
        added = [name for name in managed if name not in prior]
        released = {name: before for name, before in prior.items() if name not in managed}
        if added:
            captured = _capture(self, inputs, captured_of(news), names=added)
            prior.update(_prior_of({_PRIOR: captured.values}))
        attributes = {
            name: value
            for name, value in managed.items()
            if name in added or olds.get(name) != value
        }
        attributes.update(restore_attributes(released))
        for name in released:
            del prior[name]
        self._patch(inputs, attributes)
        return UpdateResult(self._outputs(inputs, managed, prior, existed))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        inputs = _inputs_of(props)
        managed = inputs.managed()
        changed = {
            name: before
            for name, before in _recorded(props)[0].items()
            if not _in_place(before, managed.get(name))
        }
        self._patch(inputs, restore_attributes(changed))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if _PRIOR_EXISTED in props or PRIORS_KEY in props:  # outputs of a resource in state
            return self._refresh(id_, props)
        return self._observe(id_, props)

    def _refresh(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """``pulumi refresh`` of a managed resource: server values of the managed settings."""
        inputs = _inputs_of(props)
        current = self._get(inputs, ahead=True)
        if current is None:  # deleted outside Pulumi: gone from state
            return ReadResult("", {})
        prior, existed = _recorded(props)
        managed = _server_values(current, prior, declared=inputs.managed())
        legacy = _legacy(props)
        outputs = self._outputs(inputs, managed, prior, existed, legacy=legacy)
        return refreshed(
            id_,
            props,
            carry_priors(props, outputs) if legacy else outputs,
            carry_priors(props, _as_inputs(inputs, managed)),
        )

    def _observe(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """``ResourceOptions(id=...)`` / ``ServiceSettings.get``: read without managing."""
        repository_id, service_name, env = parse_service_settings_id(id_)
        from_id = {"repository_id": repository_id, "service_name": service_name, "env": env}
        inputs = _inputs_of({**from_id, **strip_provider(props)}, outputs=False)
        if inputs.id != id_:
            raise InvalidResourceIdError(
                f"ServiceSettings id {id_!r} does not match the declared repository_id, "
                f"service_name and env ({inputs.id!r}); declare the same service or fix the id"
            )
        current = self._get(inputs)
        if current is None:
            raise InvalidResourceIdError(
                f"ServiceSettings {id_!r}: the service has no settings in Datadog to read; "
                "remove `id=` to create and manage them"
            )
        names = list(inputs.managed()) or list(SERVICE_SETTING_NAMES)
        values = {name: getattr(current, name) for name in names}
        managed = {name: value for name, value in values.items() if value is not None}
        prior = record_prior(current, managed)
        return ReadResult(id_, self._outputs(inputs, managed, prior, True, legacy=True))

    def _get(self, inputs: ServiceSettingsInputs, *, ahead: bool = False) -> WireSettings | None:
        """The service's settings, or ``None`` if it has none (404); ``ahead``: a refresh's
        read, which takes the answer of a get run ahead (``_read_ahead``) if there is one."""
        get = self.api.test_optimization.get_service_settings

        def fetch(identity: tuple[str, str, str]) -> WireSettings:  # any service: run ahead
            from ..models import ServiceSettingsIdentity

            repository_id, service_name, env = identity
            target = _target(service_settings_id(repository_id, service_name, env))
            wanted = ServiceSettingsIdentity(
                repository_id=repository_id, service_name=service_name, env=env
            )
            with _naming(target):
                return get(wanted, target=target)

        key = _ahead_key(inputs)
        try:
            if ahead:
                found: WireSettings = read_ahead().take(ResourceKind.SERVICE_SETTINGS, key, fetch)
                return found
            return fetch(key)
        except NotFoundError:
            return None

    def _patch(self, inputs: ServiceSettingsInputs, attributes: Mapping[str, bool]) -> None:
        """One ``PATCH`` with exactly ``attributes`` (no call when there is nothing to send)."""
        if not attributes:
            return
        read_ahead().forget(ResourceKind.SERVICE_SETTINGS, _ahead_key(inputs))
        from ..models import ServiceSettingsUpdate

        update = ServiceSettingsUpdate.model_validate(
            {**inputs.identity().model_dump(), **attributes}
        )
        with _naming(_target(inputs.id)):
            self.api.test_optimization.update_service_settings(update, target=_target(inputs.id))

    @staticmethod
    def _outputs(
        inputs: ServiceSettingsInputs,
        managed: Mapping[str, bool],
        prior: Prior,
        existed: bool,
        *,
        legacy: bool = False,
    ) -> dict[str, Any]:
        """The settings, and the prior values recorded once as ``__priors`` (``legacy``: as
        ``prior`` and ``prior_existed``, see ``_legacy``)."""
        if legacy:
            return {
                **_as_inputs(inputs, managed),
                _PRIOR: _dump_prior(prior),
                _PRIOR_EXISTED: existed,
            }
        return {
            **_as_inputs(inputs, managed),
            PRIORS_KEY: priors_input(_dump_prior(prior), existed),
        }


def _validated(declared: Mapping[str, Any]) -> CheckResult:
    """``check``'s validation of the declared inputs (``check_inputs``)."""
    from ._service_settings_inputs import ServiceSettingsInputs

    return check_inputs(ServiceSettingsInputs, declared)[1]


def _ahead_key(inputs: ServiceSettingsInputs) -> tuple[str, str, str]:
    """The service as the ledger names it for ``_read_ahead`` (``PRIOR_SPEC.identity``)."""
    return (inputs.repository_id, inputs.service_name, inputs.env)


def _target(settings_id: str) -> str:
    """How an API error names the settings (``repository_id::service_name::env``)."""
    return f"service settings {settings_id!r}"


def _capture(
    provider: ServiceSettingsProvider,
    inputs: ServiceSettingsInputs,
    known: Captured | None,
    names: Iterable[str] | None = None,
) -> Captured:
    """Prior values of ``names`` (default: the managed settings): those in ``known`` as they
    are, the others read now (one get, only if any is missing)."""
    wanted = list(inputs.managed() if names is None else names)
    values = {n: known.values[n] for n in wanted if known is not None and n in known.values}
    existed = known.existed if known is not None else None
    missing = [n for n in wanted if n not in values]
    if missing or existed is None:
        current = provider._get(inputs)
        values.update(_dump_prior(record_prior(current, missing)))
        if existed is None:
            existed = current is not None
    return Captured(values, existed)


def _capture_declared(declared: Mapping[str, Any], known: Captured | None) -> Captured:
    return _capture(ServiceSettingsProvider(), _inputs_of(declared, outputs=False), known)


def _adopt(declared: Mapping[str, Any], captured: Captured) -> tuple[str, dict[str, Any]] | None:
    inputs = _inputs_of(declared, outputs=False)
    managed = inputs.managed()
    prior = {n: v for n, v in _prior_of({_PRIOR: captured.values}).items() if n in managed}
    if set(prior) != set(managed):
        return None
    outputs = ServiceSettingsProvider._outputs(inputs, managed, prior, bool(captured.existed))
    return inputs.id, outputs


PRIOR_SPEC: Final = PriorSpec(
    identity=lambda d: [d.get("repository_id"), d.get("service_name"), d.get("env", DEFAULT_ENV)],
    scope=lambda d: sorted(n for n in SERVICE_SETTING_NAMES if d.get(n) is not None),
    capture=_capture_declared,
    overlap=overlap,
    adopt=_adopt,
    provider=ServiceSettingsProvider,
)
"""How ``PriorValues`` captures a ``ServiceSettings``' prior values (see ``prior_values``)."""


@contextmanager
def _naming(target: str) -> Iterator[None]:
    """Prefix an API error with ``target``, the settings id (the engine only names the Pulumi
    resource), unless its message already names them (a 409's hint does)."""
    try:
        yield
    except NotFoundError:
        raise
    except DatadogAPIError as exc:
        if target in exc.message:
            raise
        raise exc.with_message(f"{target}: {exc.message}") from exc


def _server_values(
    current: WireSettings, prior: Prior, declared: Mapping[str, bool]
) -> dict[str, bool]:
    """The managed settings as the server reports them; ``pr_comments_enabled`` keeps its
    declared value (the current API ignores it at service level: never drift)."""
    names = [name for name in SERVICE_SETTING_NAMES if name in prior or name in declared]
    values: dict[str, bool] = {}
    for name in names:
        server = getattr(current, name)
        value = declared.get(name) if name == PR_COMMENTS or server is None else server
        if value is not None:
            values[name] = value
    return values


def _as_inputs(inputs: ServiceSettingsInputs, managed: Mapping[str, bool]) -> dict[str, Any]:
    identity = {name: getattr(inputs, name) for name in IDENTITY_FIELDS}
    return {**identity, **{n: managed[n] for n in SERVICE_SETTING_NAMES if n in managed}}
