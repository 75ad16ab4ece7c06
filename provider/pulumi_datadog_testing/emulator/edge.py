"""The ASGI layer in front of the routes: guards, auth, rate limits, faults, call log, logs.

For every request, first (``guard.py``): a ``Host`` (and ``Origin``) that is not a loopback
name or address → 403; a body larger than the limit (``--max-body-bytes``) → 413, read no
further; an admin ``POST``/``PUT``/``PATCH`` without a JSON content type → 415. Then, for
every request under ``/api/`` (a Datadog path), in this order:

1. ``DD-API-KEY`` and ``DD-APPLICATION-KEY`` are checked → 403 ``{"errors": ["Forbidden"]}``.
2. The rate-limit budget is charged → 429 with the ``X-RateLimit-*`` headers when spent.
3. Fault rules are drawn (latency, 429 bursts, errors, dropped or hanging connections).
4. The route runs; its answer gets the ``X-RateLimit-*`` headers.
5. The call (method, path, query, body, status — never headers, so never keys) is
   recorded for ``GET /_emulator/calls`` (bodies bounded, see ``CallLog``), and one log
   line is written.

Admin paths (``/_emulator/...``) only get the log line. A "dropped" answer is a real
connection abort: the client sees a transport error, not an HTTP status.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .api_errors import error_body
from .faults import Decision
from .guard import read_body, refuse_before_body, refuse_content_type
from .ratelimit import headers as ratelimit_headers
from .ratelimit import limit_name
from .state import EmulatorState, parse_query

__all__ = ["DatadogEdge"]

logger = logging.getLogger("pulumi_datadog_testing.emulator")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_API_PREFIX = "/api/"


class DatadogEdge:
    """Wraps the route app; give this object to the ASGI server."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope["path"]
        method: str = scope["method"]
        datadog = path.startswith(_API_PREFIX)
        options = self.state.options
        headers = _headers(scope)
        refusal = refuse_before_body(headers, listen_host=options.listen_host, admin=not datadog)
        body = b""
        size = 0
        if refusal is None:
            body, size, refusal = await read_body(receive, headers, options.max_body_bytes)
        if refusal is None and not datadog:
            refusal = refuse_content_type(method, headers)
        if refusal is not None:
            status: int | None = await _answer(send, refusal.status, [refusal.message], [])
            if datadog and refusal.status == 413:
                self._record(scope, method, path, b"", refusal.size, status, None, started, 0.0)
            _log(method, path, scope, status, started, None)
            return
        replay = _replayer(body, receive)
        if not datadog:
            status = await _run(self.app, scope, replay, send)
            _log(method, path, scope, status, started, None)
            return
        status, fault, latency_s = await self._datadog_call(
            scope, headers, method, path, replay, send
        )
        kept = body if status != 403 else b""  # an unauthenticated body is not worth keeping
        self._record(scope, method, path, kept, size, status, fault, started, latency_s)
        _log(method, path, scope, status, started, fault)

    def _record(
        self,
        scope: Scope,
        method: str,
        path: str,
        body: bytes,
        size: int,
        status: int | None,
        fault: Any,
        started: float,
        latency_s: float,
    ) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.state.calls.record(
            time=time.time(),
            method=method,
            path=path,
            query_string=_query_string(scope),
            body=body,
            body_bytes=size,
            status=status,
            fault=fault,
            duration_ms=round(elapsed_ms, 3),
            injected_latency_ms=round(latency_s * 1000, 3),
        )

    async def _datadog_call(
        self,
        scope: Scope,
        headers: dict[bytes, str],
        method: str,
        path: str,
        receive: Receive,
        send: Send,
    ) -> tuple[int | None, Any, float]:
        """Serve one Datadog-path call: status sent (None: no answer), the fault that shaped
        it, and the latency injected before it (seconds)."""
        state = self.state
        if not state.authorized(
            headers.get(b"dd-api-key"),
            headers.get(b"dd-application-key"),
            headers.get(b"authorization"),
        ):
            return await _answer(send, 403, ["Forbidden"], state.limiter.peek(path)), None, 0.0
        verdict = state.limiter.hit(path)
        if not verdict.allowed:
            return await _answer(send, 429, ["Too many requests"], verdict.headers), None, 0.0
        decision: Decision = state.faults.draw(method, path)
        if decision.latency_s:
            await asyncio.sleep(decision.latency_s)
        fault = decision.fault
        if fault is None:
            status = await _run(self.app, scope, receive, _with_headers(send, verdict.headers))
            return status, ("latency" if decision.latency_s else None), decision.latency_s
        if fault.kind == "rate_limit":
            limited = ratelimit_headers(
                state.config.rate_limit, limit_name(path), 0, fault.reset_seconds
            )
            return (
                await _answer(send, 429, [fault.message or "Too many requests"], limited),
                fault.kind,
                decision.latency_s,
            )
        if fault.applies_change:
            await _run(self.app, scope, receive, _discard)
        if fault.kind == "error":
            message = fault.message or f"injected {fault.status} (emulator error fault)"
            return (
                await _answer(send, fault.status, [message], verdict.headers),
                fault.kind,
                decision.latency_s,
            )
        if fault.kind == "hang":
            await _wait_for_disconnect(receive, fault.hang_seconds)
        await _abort(send)
        return None, fault.kind, decision.latency_s


async def _run(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> int | None:
    status: int | None = None

    async def capture(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        await send(message)

    await app(scope, receive, capture)
    return status


async def _discard(message: Message) -> None:
    """A sink for the answer of a request whose real answer is a fault."""


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *extra]
        await send(message)

    return wrapped


async def _answer(
    send: Send, status: int, messages: list[str], extra: list[tuple[bytes, bytes]]
) -> int:
    content, content_type = error_body(status, messages)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(content)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})
    return status


async def _abort(send: Send) -> None:
    """Close the client connection without an HTTP answer (a real dropped response)."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None:
        transport.abort()
        await asyncio.sleep(0)  # let the server notice the connection is gone
        return
    # Not served by uvicorn: promise a body, send none, and fail — the client sees an
    # incomplete message (a transport error), never a complete HTTP answer.
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]}
    )
    raise ConnectionAbortedError("emulator drop fault")


async def _wait_for_disconnect(receive: Receive, seconds: float) -> None:
    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(disconnected(), timeout=seconds)
    except TimeoutError:
        pass


def _replayer(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _headers(scope: Scope) -> dict[bytes, str]:
    return {k.lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _query_string(scope: Scope) -> str:
    return bytes(scope.get("query_string", b"")).decode("latin-1")


def _log(
    method: str, path: str, scope: Scope, status: int | None, started: float, fault: Any
) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    query = parse_query(_query_string(scope))
    shown = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    outcome = "dropped" if status is None else str(status)
    suffix = f" fault={fault}" if fault else ""
    elapsed = (time.perf_counter() - started) * 1000
    logger.info("%s %s -> %s %.1fms%s", method, shown, outcome, elapsed, suffix)
