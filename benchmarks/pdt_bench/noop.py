"""The engine floor: a dynamic provider that does no API work.

``declare(spec)`` registers a resource with the same name and input properties as the real
one, under the type ``pulumi-python:dynamic/datadog-testing-floor:<Kind>``, served by
``NoopProvider``: ``check`` accepts the inputs, ``diff`` compares old and new inputs
(property by property, as the real resources do), ``create``/``update``/``read`` echo the
inputs as outputs, ``delete`` does nothing. What remains is the engine, the language host,
the dynamic-provider server, (un)pickling the provider and the gRPC traffic — the cost every
Python dynamic resource pays.

With ``PDT_BENCH_SIM_LATENCY_MS`` set in the provider's environment, each hook sleeps that
long per call a resource must make at minimum on its own (``minimums.hook_calls``): the floor
plus the API latency of an unbatched provider on the SDK's server, which runs 4 hooks at a
time (the real provider widens it and batches across resources, see docs/performance.md).

The provider class lives in this importable module (not in the program's ``__main__``), so
dill pickles it by reference, exactly like the real providers.
"""

from __future__ import annotations

import os
import time
import uuid
from functools import cache
from typing import Any, Final

import pulumi
from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from .minimums import Phase, hook_calls
from .shape import Kind, Spec

__all__ = ["FLOOR_MODULE", "SIM_LATENCY_ENV", "NoopProvider", "declare"]

FLOOR_MODULE: Final = "datadog-testing-floor"
SIM_LATENCY_ENV: Final = "PDT_BENCH_SIM_LATENCY_MS"
_PROVIDER_KEY: Final = "__provider"


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != _PROVIDER_KEY}


class NoopProvider(ResourceProvider):
    """No API calls; optionally sleeps the minimum calls' latency (see the module docstring)."""

    # As the real providers: the pickle holds no secret, so it is stored in plain text (a
    # secret provider would add an encryption per resource to the floor).
    serialize_as_secret_always = False

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def _wait(self, phase: Phase, props: dict[str, Any]) -> None:
        latency_ms = float(os.environ.get(SIM_LATENCY_ENV) or 0)
        if latency_ms > 0:
            tests = len(props.get("states") or {}) or 1
            time.sleep(hook_calls(Kind(self.kind), phase, tests) * latency_ms / 1000)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(_inputs(news), [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        new = _inputs(news)
        changed = [k for k in sorted(set(new) | set(_inputs(olds))) if new.get(k) != olds.get(k)]
        return DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._wait("create", props)
        return CreateResult(uuid.uuid4().hex, _inputs(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        self._wait("refresh", props)
        return ReadResult(id_, _inputs(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._wait("update", news)
        return UpdateResult(_inputs(news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        self._wait("destroy", props)


@cache
def _resource_class(kind: Kind) -> type[Resource]:
    """A ``Resource`` subclass with the type token ``...datadog-testing-floor:<kind>``."""

    class Floor(Resource, module=FLOOR_MODULE, name=str(kind)):
        pass

    return Floor


def declare(spec: Spec) -> pulumi.Resource:
    """Register ``spec`` as a no-op floor resource."""
    return _resource_class(spec.kind)(NoopProvider(str(spec.kind)), spec.name, dict(spec.props))
