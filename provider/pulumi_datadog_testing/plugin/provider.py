"""``DatadogTestingProvider``: the native front-end over the resources' one implementation.

Every resource call is translated and handed to the same ``ResourceProvider`` the dynamic
resource uses (``catalog.RESOURCES``): property maps in and out (``values``), a detailed
diff with property paths (``detailed_diff``), and inputs from ``read`` for ``pulumi import``.
Configuration comes from ``datadog-testing:*`` (``provider_config``) and ends up in the same
process-wide settings and pooled client the dynamic providers use (``resources._base``).

Concurrency: the gRPC server is asynchronous, and each call's blocking work runs on a
thread pool of ``maxConcurrency`` workers (default 64), the size of the HTTP connection
pool too — so the engine's ``--parallel`` sets how many calls are in flight, not a fixed
pool of 4 as in the dynamic provider host.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar, cast

from pulumi.provider.experimental import provider as api
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime import proto

from ..config import DEFAULT_MAX_CONCURRENCY
from ..resources._base import configure_process, shared_settings
from .catalog import Entry, entry_for
from .detailed_diff import detailed_diff
from .provider_config import SECRET_KEYS, config_problems, native_message, settings_config
from .schema import schema_json
from .values import from_wire, to_wire

__all__ = ["DatadogTestingProvider"]

T = TypeVar("T")


class _Workers:
    """The thread pool blocking work runs on, resized once configuration is known."""

    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._size = size
        self._pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="datadog-testing")

    @property
    def size(self) -> int:
        return self._size

    def resize(self, size: int) -> None:
        with self._lock:
            if size == self._size:
                return
            old, self._size = self._pool, size
            self._pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="datadog-testing")
        old.shutdown(wait=False)

    async def run(self, work: Callable[[], T]) -> T:
        with self._lock:
            pool = self._pool
        return await asyncio.get_running_loop().run_in_executor(pool, work)


class DatadogTestingProvider(api.Provider):
    """The ``datadog-testing`` package: five resources, one org per provider instance."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._env = os.environ if env is None else env
        self.workers = _Workers(DEFAULT_MAX_CONCURRENCY)

    # ------------------------------------------------------------------ package level
    async def get_schema(self, request: api.GetSchemaRequest) -> api.GetSchemaResponse:
        return api.GetSchemaResponse(schema=schema_json())

    async def check_config(self, request: api.CheckRequest) -> api.CheckResponse:
        news = from_wire(request.new_inputs)
        failures = [
            api.CheckFailure(key, reason) for key, reason in config_problems(news, self._env)
        ]
        inputs = {
            key: value.with_secret(True) if key in SECRET_KEYS else value
            for key, value in request.new_inputs.items()
        }
        return api.CheckResponse(inputs=inputs, failures=failures)

    async def diff_config(self, request: api.DiffRequest) -> api.DiffResponse:
        """A changed key updates the provider in place; resources are never replaced for it.

        Two workarounds for the SDK's ``DiffConfig`` (3.259): it copies ``changes`` into the
        ``DiffChanges`` enum as is (``True`` would read as ``DIFF_NONE``), so the enum value
        is passed; and it cannot serialize a detailed diff, so there is none."""
        olds, news = from_wire(request.old_state), from_wire(request.new_inputs)
        changed = sorted(k for k in set(olds) | set(news) if olds.get(k) != news.get(k))
        verdict = proto.DiffResponse.DIFF_SOME if changed else proto.DiffResponse.DIFF_NONE
        return api.DiffResponse(changes=cast(bool, verdict), diffs=changed)

    async def configure(self, request: api.ConfigureRequest) -> api.ConfigureResponse:
        config = settings_config(from_wire(request.args))
        configure_process(config, self._env)
        try:
            size = shared_settings().max_concurrency
        except Exception:  # noqa: BLE001 - reported by the first API call instead
            size = DEFAULT_MAX_CONCURRENCY
        self.workers.resize(size)
        # Secrets stay with the engine (it re-marks outputs whose inputs were secret); no
        # create/update during preview: a preview makes no API call.
        return api.ConfigureResponse(
            accept_secrets=False,
            supports_preview=False,
            accept_resources=False,
            accept_outputs=False,
        )

    # ------------------------------------------------------------------ resources
    async def check(self, request: api.CheckRequest) -> api.CheckResponse:
        entry = entry_for(request.type)
        olds, news = from_wire(request.old_inputs), from_wire(request.new_inputs)
        result = await self.workers.run(lambda: entry.provider().check(olds, news))
        return api.CheckResponse(
            inputs=to_wire(result.inputs),
            failures=[
                api.CheckFailure(f.property, native_message(f.reason))
                for f in result.failures or []
            ],
        )

    async def diff(self, request: api.DiffRequest) -> api.DiffResponse:
        entry = entry_for(request.type)
        olds, news = from_wire(request.old_state), from_wire(request.new_inputs)
        result = await self.workers.run(
            lambda: entry.provider().diff(request.resource_id, olds, news)
        )
        replaces = list(result.replaces or [])
        details = detailed_diff(olds, news, _input_names(entry), replaces) if result.changes else {}
        return api.DiffResponse(
            changes=result.changes,
            replaces=replaces,
            stables=list(result.stables or []),
            delete_before_replace=bool(result.delete_before_replace),
            diffs=sorted({_top_level(path) for path in details} | set(replaces)),
            detailed_diff=details,
        )

    async def create(self, request: api.CreateRequest) -> api.CreateResponse:
        entry = entry_for(request.type)
        props = from_wire(request.properties)
        result = await self.workers.run(lambda: entry.provider().create(props))
        return api.CreateResponse(
            resource_id=result.id, properties=to_wire(entry.documented(result.outs or {}))
        )

    async def read(self, request: api.ReadRequest) -> api.ReadResponse:
        """Refresh, ``get`` and ``pulumi import``. Importing (no state yet), the inputs are
        the read values of the input properties, so the next ``up`` sees no change."""
        entry = entry_for(request.type)
        props = from_wire(request.properties)
        result = await self.workers.run(lambda: entry.provider().read(request.resource_id, props))
        if not result.id:  # gone
            return api.ReadResponse(resource_id="", properties={}, inputs={})
        outs = entry.documented(result.outs or {})
        inputs: dict[str, PropertyValue]
        if result.inputs is not None:
            inputs = to_wire(result.inputs)
        elif not request.properties:
            inputs = to_wire({k: v for k, v in outs.items() if k in _input_names(entry)})
        else:
            inputs = dict(request.inputs)
        return api.ReadResponse(resource_id=result.id, properties=to_wire(outs), inputs=inputs)

    async def update(self, request: api.UpdateRequest) -> api.UpdateResponse:
        entry = entry_for(request.type)
        olds, news = from_wire(request.olds), from_wire(request.news)
        result = await self.workers.run(
            lambda: entry.provider().update(request.resource_id, olds, news)
        )
        return api.UpdateResponse(properties=to_wire(entry.documented(result.outs or {})))

    async def delete(self, request: api.DeleteRequest) -> None:
        entry = entry_for(request.type)
        props = from_wire(request.properties)
        await self.workers.run(lambda: entry.provider().delete(request.resource_id, props))


def _input_names(entry: Entry) -> list[str]:
    return list(entry.inputs.model_fields)


def _top_level(path: str) -> str:
    for index, char in enumerate(path):
        if char in ".[":
            return path[:index]
    return path
