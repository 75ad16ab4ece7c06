"""The emulator's ASGI application: Datadog routes, admin routes, error mapping.

``create_app(options)`` returns the app to serve (``DatadogEdge`` around a FastAPI router).
Request bodies are read raw and validated with the package's wire models in strict,
on-the-wire mode (``WIRE_CONTEXT``), so a wrong ``data.type``, a missing required field or
a bad enum is a 400 naming the field — in Datadog's error shapes, never FastAPI's 422.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import models as m
from ..api import catalog
from ..api.catalog import Endpoint
from .admin_models import (
    CallsResponse,
    EmulatorConfigPatch,
    FaultsRequest,
    FaultsResponse,
    FlakyTestsRequest,
    Health,
    OrgDefaultsState,
    OrgDefaultsUpdate,
    RepositoryDefaults,
    SeededFlakyTests,
    SeededTest,
    SeedFlakyTestsRequest,
)
from .api_errors import ApiError, describe_validation_error, error_body
from .edge import DatadogEdge
from .seed import from_specs, generate
from .state import EmulatorOptions, EmulatorState

__all__ = ["create_app"]

T = TypeVar("T", bound=BaseModel)
Handler = Callable[[Request], Awaitable[Response]]
logger = logging.getLogger("pulumi_datadog_testing.emulator")

_MAX_SUITE_SEARCH_COUNT = 1000
# A local test double emits no OpenTelemetry: FastAPI versions with native telemetry check
# the global providers on every request otherwise (older versions have no such option).
_NO_TELEMETRY: dict[str, Any] = (
    {"telemetry": {"tracing": False, "metrics": False, "logs": False}}
    if "telemetry" in inspect.signature(FastAPI).parameters
    else {}
)


def _json(body: Any, status: int = 200) -> Response:
    if isinstance(body, BaseModel):  # Datadog bodies omit nulls; admin bodies show them
        content = body.model_dump_json(
            exclude_none=isinstance(body, m.WireModel), by_alias=True
        ).encode()
    else:
        content = json.dumps(body, separators=(",", ":")).encode()
    return Response(content=content, status_code=status, media_type="application/json")


async def _parse(
    request: Request, model: type[T], *, json_api: bool = False, wire: bool = True
) -> T:
    raw = await request.body()
    if not raw.strip():
        if model is m.FlakyTestsSearchRequest:
            return model()
        raise ApiError.bad_request("body: a JSON body is required", json_api=json_api)
    try:
        if wire:
            return model.model_validate_json(raw, strict=True, context=m.WIRE_CONTEXT)
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise ApiError.bad_request(*describe_validation_error(exc), json_api=json_api) from None


def create_app(options: EmulatorOptions | None = None) -> DatadogEdge:
    """The ASGI app of one emulator (state opened now, closed at shutdown)."""
    state = EmulatorState(options or EmulatorOptions())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            state.close()

    api = FastAPI(
        title="Datadog API emulator",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        **_NO_TELEMETRY,
    )
    api.state.emulator = state

    @api.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> Response:
        content, content_type = exc.body()
        return Response(content=content, status_code=exc.status, media_type=content_type)

    @api.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> Response:
        logger.exception("internal error", exc_info=exc)
        content, content_type = error_body(500, ["Internal Server Error"])
        return Response(content=content, status_code=500, media_type=content_type)

    @api.exception_handler(RequestValidationError)
    async def parameter_error(_: Request, exc: RequestValidationError) -> Response:
        messages = [
            f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}"
            for e in exc.errors()
        ]
        content, content_type = error_body(400, messages)
        return Response(content=content, status_code=400, media_type=content_type)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            message = f"Not found: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            message = f"Method not allowed: {request.method} {request.url.path}"
        else:
            message = str(exc.detail)
        content, content_type = error_body(exc.status_code, [message])
        return Response(content=content, status_code=exc.status_code, media_type=content_type)

    _datadog_routes(api, state)
    _admin_routes(api, state)
    return DatadogEdge(api, state)


# ------------------------------------------------------------------------- Datadog


def _datadog_routes(api: FastAPI, state: EmulatorState) -> None:
    """The Datadog endpoints, as plain Starlette routes on the app: each handler reads and
    validates its raw body itself, so FastAPI's dependency injection and response
    serialization (a third of the per-request time) are skipped."""

    def route(endpoint: Endpoint[Any], method: str | None = None) -> Callable[[Handler], Handler]:
        """Serve ``endpoint`` (its path from the catalog; ``method`` for the calls the
        provider never makes on the same path)."""

        def register(handler: Handler) -> Handler:
            api.router.add_route(endpoint.path, handler, methods=[method or endpoint.method])
            return handler

        return register

    @route(catalog.UPDATE_SERVICE_SETTINGS)
    async def update_service_settings(request: Request) -> Response:
        body = await _parse(request, m.ServiceSettingsUpdateRequest)
        return _json(state.settings.update(body.data.attributes))

    @route(catalog.GET_SERVICE_SETTINGS)
    async def get_service_settings(request: Request) -> Response:
        body = await _parse(request, m.ServiceSettingsGetRequest)
        return _json(state.settings.get(body.data.attributes))

    @route(catalog.GET_SERVICE_SETTINGS, "DELETE")
    async def delete_service_settings(request: Request) -> Response:
        body = await _parse(request, m.ServiceSettingsDeleteRequest)
        state.settings.delete(body.data.attributes)
        return Response(status_code=204)

    @route(catalog.GET_FLAKY_TESTS_POLICIES)
    async def get_policies(request: Request) -> Response:
        body = await _parse(request, m.FlakyTestsManagementPoliciesGetRequest)
        return _json(state.policies.get(body.data.attributes.repository_id))

    @route(catalog.UPDATE_FLAKY_TESTS_POLICIES)
    async def update_policies(request: Request) -> Response:
        body = await _parse(request, m.FlakyTestsManagementPoliciesUpdateRequest)
        return _json(state.policies.update(body.data.attributes))

    @route(catalog.SEARCH_FLAKY_TESTS)
    async def search_flaky_tests(request: Request) -> Response:
        body = await _parse(request, m.FlakyTestsSearchRequest, json_api=True)
        # Off the event loop: a search over many tests must not hold up other clients.
        answer = await run_in_threadpool(state.flaky.search, body)
        return Response(content=answer, media_type="application/json")

    @route(catalog.UPDATE_FLAKY_TEST_STATES)
    async def update_flaky_tests(request: Request) -> Response:
        body = await _parse(request, m.UpdateFlakyTestsRequest)
        result = state.flaky.bulk_update(
            body,
            max_tests=state.config.max_bulk_tests,
            injected_failures=lambda ids: state.faults.bulk_failures(
                "PATCH", catalog.UPDATE_FLAKY_TEST_STATES.path, ids
            ),
        )
        return _json(result)

    @route(catalog.CREATE_SUITE)
    async def create_suite(request: Request) -> Response:
        body = await _parse(request, m.SuiteRequest)
        return _json(state.suites.create(body))

    @route(catalog.SEARCH_SUITES)
    async def search_suites(request: Request) -> Response:
        params = request.query_params
        return _json(
            state.suites.search(
                query=params.get("query"),
                sort=params.get("sort"),
                start=_int_param(params.get("start"), "start", 0, 0, 1_000_000),
                count=_int_param(params.get("count"), "count", 50, 1, _MAX_SUITE_SEARCH_COUNT),
                facets_only=_bool_param(params.get("facets_only"), "facets_only"),
            )
        )

    @route(catalog.DELETE_SUITES)
    async def delete_suites(request: Request) -> Response:
        body = await _parse(request, m.DeleteSuitesRequest)
        return _json(state.suites.bulk_delete(body.data.attributes.public_ids))

    @route(catalog.GET_SUITE)
    async def get_suite(request: Request) -> Response:
        return _json(state.suites.get(request.path_params["public_id"]))

    @route(catalog.GET_SUITE, "PUT")
    async def edit_suite(request: Request) -> Response:
        public_id = request.path_params["public_id"]
        state.suites.get(public_id)  # 404 before body errors, like the API
        body = await _parse(request, m.SuiteRequest)
        return _json(state.suites.replace(public_id, body))

    @route(catalog.PATCH_SUITE)
    async def patch_suite(request: Request) -> Response:
        public_id = request.path_params["public_id"]
        state.suites.get(public_id)
        body = await _parse(request, m.SuiteJsonPatchRequest)
        return _json(state.suites.patch(public_id, body.data.attributes.json_patch))


def _int_param(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError.bad_request(f"{name}: expected an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ApiError.bad_request(f"{name}: must be between {low} and {high}, got {value}")
    return value


def _bool_param(raw: str | None, name: str) -> bool:
    if raw is None or raw == "":
        return False
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ApiError.bad_request(f"{name}: expected true or false, got {raw!r}")


# --------------------------------------------------------------------------- admin


def _admin_routes(api: FastAPI, state: EmulatorState) -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        package_version = version("pulumi-datadog-testing")
    except PackageNotFoundError:  # pragma: no cover - source tree not installed
        package_version = "0+unknown"

    @api.get("/_emulator/health")
    async def health() -> Response:
        import time

        return _json(
            Health(
                version=package_version,
                database=state.store.path,
                uptime_seconds=round(time.monotonic() - state.started, 3),
                counts={
                    "service_settings": state.store.count("service_settings"),
                    "policies": state.store.count("policies"),
                    "flaky_tests": len(state.flaky),
                    "suites": state.store.count("suites"),
                    "calls": len(state.calls),
                    "call_body_bytes": state.calls.retained_bytes,
                },
            )
        )

    @api.get("/_emulator/config")
    async def get_config() -> Response:
        return _json(state.config)

    @api.patch("/_emulator/config")
    async def patch_config(request: Request) -> Response:
        patch = await _parse(request, EmulatorConfigPatch, wire=False)
        return _json(state.update_config(patch))

    @api.post("/_emulator/seed/flaky-tests")
    async def seed_flaky_tests(request: Request) -> Response:
        seed_request = await _parse(request, SeedFlakyTestsRequest, wire=False)
        # Generating up to 100,000 tests takes seconds: off the event loop.
        return _json(await run_in_threadpool(lambda: _upsert_tests(state, generate(seed_request))))

    @api.post("/_emulator/flaky-tests")
    async def add_flaky_tests(request: Request) -> Response:
        tests_request = await _parse(request, FlakyTestsRequest, wire=False)
        specs = [(t.repository_id, t) for t in tests_request.tests]
        return _json(await run_in_threadpool(lambda: _upsert_tests(state, from_specs(specs))))

    @api.get("/_emulator/flaky-tests/{test_id}")
    async def get_flaky_test(test_id: str) -> Response:
        doc = state.flaky.get(test_id)
        if doc is None:
            raise ApiError.not_found(f"flaky test {test_id} not found")
        return _json(doc)

    @api.get("/_emulator/org-defaults")
    async def get_org_defaults() -> Response:
        return _json(_org_defaults(state))

    @api.put("/_emulator/org-defaults")
    async def put_org_defaults(request: Request) -> Response:
        update = await _parse(request, OrgDefaultsUpdate, wire=False)
        settings = update.model_dump(exclude={"pr_comments_mode"})
        state.update_config(
            EmulatorConfigPatch(
                org_defaults=RepositoryDefaults(**settings),
                pr_comments_mode=update.pr_comments_mode,
            )
        )
        return _json(_org_defaults(state))

    @api.get("/_emulator/calls")
    async def calls(
        method: str | None = None, path: str | None = None, clear: bool = False
    ) -> Response:
        return _json(CallsResponse(calls=state.calls.list(method, path, clear=clear)))

    @api.delete("/_emulator/calls")
    async def clear_calls() -> Response:
        state.calls.clear()
        return Response(status_code=204)

    @api.get("/_emulator/faults")
    async def faults() -> Response:
        return _json(FaultsResponse(faults=state.faults.list()))

    @api.post("/_emulator/faults")
    async def add_faults(request: Request) -> Response:
        faults_request = await _parse(request, FaultsRequest, wire=False)
        return _json(FaultsResponse(faults=state.faults.add(faults_request)))

    @api.delete("/_emulator/faults")
    async def clear_faults() -> Response:
        state.faults.clear()
        return Response(status_code=204)

    @api.post("/_emulator/reset")
    async def reset() -> Response:
        state.reset()
        return Response(status_code=204)


def _org_defaults(state: EmulatorState) -> OrgDefaultsState:
    config = state.config
    return OrgDefaultsState(
        **config.org_defaults.model_dump(), pr_comments_mode=config.pr_comments_mode
    )


def _upsert_tests(state: EmulatorState, docs: list[dict[str, Any]]) -> SeededFlakyTests:
    created, updated = state.flaky.upsert(docs)
    return SeededFlakyTests(
        repository_ids=sorted({d["repository_id"] for d in docs}),
        created=created,
        updated=updated,
        tests=[
            SeededTest(
                id=d["id"],
                module=d["module"],
                suite=d["suite"],
                name=d["name"],
                state=d["flaky_state"],
            )
            for d in docs
        ],
    )
