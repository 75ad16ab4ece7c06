"""The program side every resource class shares: ``DatadogResource``, the base of the five
resource classes, and what it registers with the engine.

What a resource costs in the program (pulumi 3.259, ``pulumi/runtime/rpc.py``):

- ``transfer_properties`` makes ``resource.<name>`` an Output only for a key of the
  registered properties; there is no other way to declare an output attribute. Each key
  costs one Output (a task and four futures) in the program.
- ``serialize_properties`` sends no property whose value is ``None``. The computed outputs,
  and the inputs the user did not give, are therefore registered as ``None``: they are Output
  attributes like the others, and the engine and the provider hooks never see them. An input
  a provider only ever echoes (``ECHOED``: never computed, never read from Datadog for a
  resource it manages) is not registered when it is not given — its attribute is an Output
  of ``None`` made on first access: a ``FlakyTestState`` of the usual form registers 9
  properties instead of 14, a ``ServiceSettings`` of three settings 8 instead of 11. A
  resource read by id (``id=``, ``import_=``) registers every attribute, as a read may
  report them all.
- ``resolve_outputs`` evaluates the class's annotations again for every resource it resolves
  (``pulumi._types.resource_types``: ``typing.get_type_hints`` on a class built for the call,
  not cached), to turn wire values into ints, enums or output types; every other value comes
  out the same without a type. The base keeps a subclass's annotations in ``OUTPUT_TYPES`` and
  leaves the SDK only those it converts (``SyntheticsSuite.monitor_id``, an int): at N = 500
  the evaluations were ~0.3 s of the program's CPU (cProfile of a no-change preview,
  2026-12-01).
- Outputs a resource used to store beside ``__priors`` (the prior values it recorded) are
  read from it instead (``RECORDED``: ``ServiceSettings.prior``, ``FlakyTestState
  .previous_state``, ...): the stored copy was up to 9 more property values per resource that
  the engine marshals and the program resolves on every operation. Those a state written
  before 2026-12-02 may store with another value than its ``__priors`` (``prior``,
  ``prior_existed``, ``previous_state``: a resource created with ``--target``, or before
  ``PriorValues`` existed, has no ``__priors`` output) are still registered (as ``None``), so
  such a state shows its stored values; the others (``RECORDED_ONLY``: a test's name parts,
  which a capture cannot get wrong) are not — each registered name costs the program an
  Output and a resolution (cProfile of a no-change preview at N = 500: ``transfer_properties``
  grows with the registered names). An attribute combines both when first accessed, so a
  program that never reads it pays nothing.
- ``__priors`` and ``__provider`` are registered properties too: untracked like the attributes.
- In a preview, ``__priors`` (the captured prior values) is unknown — a preview does not wait
  for the capture — and ignored for a resource in state (``ignore_changes``: the engine
  keeps its recorded value), so no change lists it.
- A resource registers from its own class's ``__init__`` (``register_dynamic``), not through
  ``pulumi.dynamic.Resource.__init__`` and ``CustomResource.__init__``: the SDK records the
  stack outside the third ``__init__`` frame (``runtime/resource.py`` ``_get_stack_trace``,
  written for generated SDKs: ``Resource`` < ``CustomResource`` < the concrete class) as the
  resource's ``sourcePosition`` and ``stackTrace`` in state. Through the two constructors the
  trace started at this package's ``super().__init__`` line and carried two frames of it for
  every resource (~190 bytes each in every checkpoint the engine writes: it rewrites the
  whole state twice per step); now it starts at the program line that declared the resource.
  The pickled provider (``__provider``) is the same string for every resource of a class (a
  ``ProviderRef`` pickles to fixed bytes), so it is made once per class and process.
- ``pulumi.dynamic.serialize_provider`` leaves its dict-sorting wrapper of
  ``pickle._Pickler._batch_setitems`` installed and wraps it again at the next resource:
  every dynamic resource of the program adds one stack frame to all later pickling, until
  the program fails with ``RecursionError`` at about a thousand of them (each resource here
  also registered a ``PriorValues``, so about 500). The resources here pickle their provider
  once per class, and the base removes the wrappers before each registration, so the
  dynamic resources a program declares beside them keep pickling at a constant depth.
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import pickle
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

import pulumi
import pulumi.dynamic
from pulumi._types import is_output_type
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import UNKNOWN

from ._props import PRIORS_KEY, PROVIDER_KEY
from ._provider_ref import ProviderRef

__all__ = [
    "DatadogResource",
    "label",
    "pickler_wrappers",
    "register_dynamic",
    "untrack",
    "unwrap_pickler",
]

_SORTING_WRAPPER: Final = "batch_set_items_sorted"
"""Name prefix of the wrapper ``serialize_provider`` installs (both Python-version variants)."""
_WRAPPED: Final = "unsorted_batch_setitems"
"""The wrapper's free variable holding the method it wraps."""


def _inner(method: Callable[..., Any]) -> Callable[..., Any] | None:
    """The method a sorting wrapper wraps; ``None`` when ``method`` is not one."""
    code, closure = getattr(method, "__code__", None), getattr(method, "__closure__", None)
    if code is None or closure is None or not method.__name__.startswith(_SORTING_WRAPPER):
        return None
    if _WRAPPED not in code.co_freevars:
        return None
    inner: Callable[..., Any] = closure[code.co_freevars.index(_WRAPPED)].cell_contents
    return inner


def pickler_wrappers() -> int:
    """How many sorting wrappers ``pickle._Pickler._batch_setitems`` is wrapped in now."""
    depth, method = 0, getattr(pickle._Pickler, "_batch_setitems")  # noqa: B009
    while (method := _inner(method)) is not None:
        depth += 1
    return depth


_PICKLED: dict[tuple[str, str], str] = {}
"""``(module, name)`` of a ``ProviderRef`` → its pickle, as ``serialize_provider`` makes it."""


def register_dynamic(
    resource: pulumi.dynamic.Resource,
    provider: pulumi.dynamic.ResourceProvider,
    resource_name: str,
    props: dict[str, Any],
    opts: pulumi.ResourceOptions | None,
) -> None:
    """Register ``resource`` as ``pulumi.dynamic.Resource.__init__`` does — same type token,
    ``__provider`` the SDK's own pickle of ``provider``, secret unless the provider says it
    need not be (the providers here hold no ``Output`` to capture) — without that
    constructor and ``CustomResource.__init__`` on the stack. Call it from the resource
    class's ``__init__`` (directly or through one base ``__init__``): see the module
    docstring for the stack trace this keeps right. A ``ProviderRef`` is pickled once."""
    if isinstance(provider, ProviderRef):
        key = (provider.module, provider.name)
        pickled = _PICKLED.get(key)
        if pickled is None:
            pickled = _PICKLED[key] = serialize_provider(provider)
            unwrap_pickler()
    else:  # a provider instance (as versions before ProviderRef handed over): pickled each time
        pickled = serialize_provider(provider)
        unwrap_pickler()
    secret = getattr(provider, "serialize_as_secret_always", True)
    props[PROVIDER_KEY] = pulumi.Output.secret(pickled) if secret else pickled
    token = f"pulumi-python:{type(resource)._resource_type_name}"
    pulumi.Resource.__init__(resource, token, resource_name, True, props, opts)


def unwrap_pickler() -> None:
    """Remove every sorting wrapper the SDK left on ``pickle._Pickler._batch_setitems``."""
    method: Callable[..., Any] = getattr(pickle._Pickler, "_batch_setitems")  # noqa: B009
    while (inner := _inner(method)) is not None:
        method = inner
    setattr(pickle._Pickler, "_batch_setitems", method)  # noqa: B010


class DatadogResource(pulumi.dynamic.Resource):
    """Base of the resource classes: every ``pulumi.Output[...]`` annotation of a subclass is an
    output attribute; ``__init__`` registers the ``inputs`` given plus those attributes (see
    the module docstring for why and what that costs)."""

    OUTPUT_TYPES: ClassVar[Mapping[str, Any]] = {}
    """The subclass's output attributes and their types: its annotations (and its resource
    base's), evaluated, in declaration order. The class itself keeps no annotations (see the
    module docstring: the SDK would evaluate them again at every registration)."""
    _ATTRIBUTES: ClassVar[tuple[str, ...]] = ()
    """The names of ``OUTPUT_TYPES``."""
    ECHOED: ClassVar[frozenset[str]] = frozenset()
    """Input attributes whose output is the declared input or nothing (see the module
    docstring): registered only when given, or when the resource is read by id."""
    RECORDED: ClassVar[staticmethod[[Mapping[str, Any]], Mapping[str, Any]] | None] = None
    """The kind's ``recorded_outputs``: from a resource's outputs (``RECORDED_NAMES``,
    ``RECORDED_ALSO`` and ``__priors``), the attributes ``RECORDED_NAMES``, read from the
    prior values it recorded (see the module docstring)."""
    RECORDED_NAMES: ClassVar[tuple[str, ...]] = ()
    """The attributes ``RECORDED`` gives (stored as outputs before 2026-12-02)."""
    RECORDED_ALSO: ClassVar[tuple[str, ...]] = ()
    """Other output attributes ``RECORDED`` reads (e.g. ``test_id``)."""
    RECORDED_ONLY: ClassVar[frozenset[str]] = frozenset()
    """``RECORDED_NAMES`` read only from ``__priors``: not registered unless the resource is
    read by id (see the module docstring)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = inspect.get_annotations(cls, eval_str=True)
        cls.OUTPUT_TYPES = {**cls.OUTPUT_TYPES, **own}
        cls._ATTRIBUTES = tuple(cls.OUTPUT_TYPES)
        cls.__annotations__ = {
            name: t for name, t in cls.OUTPUT_TYPES.items() if _converted_by_sdk(t)
        }

    def __init__(
        self,
        provider: pulumi.dynamic.ResourceProvider,
        resource_name: str,
        inputs: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        unwrap_pickler()
        read_by_id = opts is not None and (opts.id is not None or opts.import_ is not None)
        skipped = frozenset() if read_by_id else self.ECHOED | self.RECORDED_ONLY
        props = {**dict.fromkeys(a for a in self._ATTRIBUTES if a not in skipped), **inputs}
        if inputs.get(PRIORS_KEY) is UNKNOWN:
            # A preview's __priors (``register_priors``: it does not wait for the capture);
            # a resource in state keeps its own, so no diff lists it.
            keep = pulumi.ResourceOptions(ignore_changes=[PRIORS_KEY])
            opts = pulumi.ResourceOptions.merge(opts, keep)
        register_dynamic(self, provider, resource_name, props, opts)
        own = vars(self)
        untrack(own.get(name) for name in (*self._ATTRIBUTES, PRIORS_KEY, PROVIDER_KEY))
        if self.RECORDED is not None and PRIORS_KEY in own:
            # The attributes RECORDED gives are made on first access (__getattr__).
            self._recorded_sources = {
                **{name: own.pop(name) for name in self.RECORDED_NAMES if name in own},
                **{name: own[name] for name in self.RECORDED_ALSO if name in own},
                PRIORS_KEY: own[PRIORS_KEY],
            }

    def recorded_sources(self) -> dict[str, pulumi.Output[Any]]:
        """The outputs ``RECORDED`` reads (by name): the registered ones (module docstring)."""
        sources: dict[str, pulumi.Output[Any]] | None = vars(self).get("_recorded_sources")
        if sources is not None:
            return dict(sources)
        return {name: getattr(self, name) for name in (*self.RECORDED_NAMES, *self.RECORDED_ALSO)}

    if not TYPE_CHECKING:  # typed attributes only: a misspelt name stays a type error

        def __getattr__(self, name: str) -> Any:
            cls = type(self)
            sources = vars(self).get("_recorded_sources")
            if cls.RECORDED is not None and sources is not None and name in cls.RECORDED_NAMES:
                recorded = _recorded_output(self, sources, name, cls.RECORDED)
                untrack([recorded])  # as the registered attributes
                setattr(self, name, recorded)
                return recorded
            if name in cls.ECHOED:
                # An echoed input that was not given: its output is None (module docstring).
                none = _resolved_none(self)
                untrack([none])  # as the registered attributes
                setattr(self, name, none)
                return none
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


def _resolved_none(resource: pulumi.Resource) -> pulumi.Output[None]:
    """A known Output of ``None`` that depends on ``resource``, as a registered attribute's."""

    async def value() -> None:
        return None

    async def known() -> bool:
        return True

    async def secret() -> bool:
        return False

    return pulumi.Output({resource}, value(), known(), secret())


def _recorded_output(
    resource: pulumi.Resource,
    sources: Mapping[str, pulumi.Output[Any]],
    name: str,
    recorded: Callable[[Mapping[str, Any]], Mapping[str, Any]],
) -> pulumi.Output[Any]:
    """The attribute ``name`` as ``recorded`` reads it from the values of ``sources`` (their
    known, non-``None`` values): known when it has a value or ``__priors`` is known (a
    preview of a resource to create has neither)."""

    async def read() -> Any:
        found = {}
        for key, output in sources.items():
            value = await output.future()
            if value is not None:
                found[key] = value
        return recorded(found).get(name)

    data = asyncio.ensure_future(read())

    async def value() -> Any:
        return await data

    async def known() -> bool:
        return (await data) is not None or await sources[PRIORS_KEY].is_known()

    async def secret() -> bool:
        return False

    return pulumi.Output({resource}, value(), known(), secret())


def _converted_by_sdk(annotation: Any) -> bool:
    """Whether the SDK makes a wire value of this type something else: a number an ``int``
    (the wire has only floats), a string an enum member, a mapping an output type."""
    if annotation is int:
        return True
    if isinstance(annotation, type) and (
        issubclass(annotation, enum.Enum) or is_output_type(annotation)
    ):
        return True
    return any(_converted_by_sdk(arg) for arg in typing.get_args(annotation))


def untrack(outputs: Iterable[Any]) -> None:
    """Take a resource's own output attributes out of the Outputs the SDK waits for at the end
    of the program (``SETTINGS.outputs``). The registration resolves them, and the SDK waits
    for every registration anyway (its errors fail the program); an Output derived from one
    (``apply``) is still waited for. At the end of the program ``wait_for_rpcs`` waits on
    every tracked Output each time one resolves (cost: resolutions × tracked Outputs): at
    N = 500 that took ~1.7 s of the program's 3.4 s of CPU in a no-change preview (2026-12-01).
    A private part of the SDK: if its shape changes, nothing is untracked."""
    from pulumi.runtime.settings import SETTINGS

    tracked, lock = getattr(SETTINGS, "outputs", None), getattr(SETTINGS, "lock", None)
    if not isinstance(tracked, set) or lock is None:
        return
    with lock:
        for output in outputs:
            data: Any = getattr(output, "_data", None)
            if data is not None and data in tracked:
                tracked.discard(data)
                # A failed registration fails the program already; without this asyncio would
                # also print "Task exception was never retrieved" for each output.
                data.add_done_callback(_retrieve)


def _retrieve(task: Any) -> None:
    if not task.cancelled():
        task.exception()


def label(template: str, *parts: Any) -> pulumi.Input[str]:
    """``template.format(*parts)`` as a plain string when every part is one, else an Output
    formatted when the parts resolve: what a warning names, without creating Outputs for
    every resource of the usual all-strings program."""
    if all(isinstance(part, str) for part in parts):
        return template.format(*parts)
    return pulumi.Output.format(template, *parts)
