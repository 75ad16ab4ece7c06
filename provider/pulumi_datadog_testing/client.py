"""The one way this package talks to Datadog: a pooled httpx client with retries and errors.

``DatadogClient.call(endpoint, ...)`` calls one ``api.catalog`` endpoint (the typed
operations of ``api`` use it); ``request`` is the generic form underneath. Either sends a
wire-model body, retries what is safe to retry, and returns a validated pydantic response
(or raises a ``DatadogAPIError`` with a one-line message). ``request`` is a few small steps:
``_prepare`` → ``_send_with_retries`` (``_attempt`` per try, ``_recover`` after a lost answer
of a write) → the parsed answer, or ``_error``/``_transport_error``.

Retry rules (bounds from ``Settings``: ``max_retries`` and ``retry_timeout_seconds``):

- 408 and 429 mean the server did not act on the request: every request is retried; a 429
  waits ``X-RateLimit-Reset`` seconds (plus jitter).
- 500–507, 509–512, read timeouts and dropped connections are *ambiguous*: the request may
  have been applied. Idempotent requests (GET, PUT, DELETE by default; pass
  ``idempotent=True`` for a PATCH that sets absolute values or a search POST) are retried
  with exponential backoff and jitter. A non-idempotent one (POST/PATCH by default) is not
  blindly repeated: the caller's ``recover()`` is asked whether the write took effect
  (return the object to adopt it, ``None`` to retry); without ``recover`` the client raises
  ``AmbiguousWriteError``.
- Connect errors and connect/pool timeouts mean nothing was sent: always retried.

Logging (logger ``pulumi_datadog_testing.client``): one debug line per attempt and answer
(method, path, status, time, request id) and an info line per retry — never headers, bodies
or keys; every line passes through the settings' ``Redactor``.
"""

from __future__ import annotations

import json
import logging
import platform
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Self, TypeVar, overload
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from ._httpx import httpx
from .config import Settings
from .errors import (
    AmbiguousWriteError,
    DatadogAPIError,
    TransportError,
    UnexpectedResponseError,
    error_from_response,
    extract_request_id,
)
from .models import WireModel
from .pacing import Pacer, parse_rate_limit
from .retry import (
    RETRYABLE_STATUSES,
    UNPROCESSED_STATUSES,
    Clock,
    Retryable,
    RetryPolicy,
    SystemClock,
)

if TYPE_CHECKING:
    from .api.catalog import Endpoint

__all__ = ["IDEMPOTENT_METHODS", "DatadogClient", "user_agent"]

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)
QueryParams = Mapping[str, str | int | float | bool]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods treated as idempotent unless the caller says otherwise."""

# Failed before the request left this machine: repeating it is always safe.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)
# Failed after the request may have reached Datadog.
_MAYBE_SENT = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.NetworkError, httpx.RemoteProtocolError)


def user_agent() -> str:
    """``pulumi-datadog-testing/<version> (python/<x.y.z>; httpx/<version>)``."""
    try:
        package_version = version("pulumi-datadog-testing")
    except PackageNotFoundError:  # running from a source tree that is not installed
        package_version = "0+unknown"
    return (
        f"pulumi-datadog-testing/{package_version} "
        f"(python/{platform.python_version()}; httpx/{httpx.__version__})"
    )


class DatadogClient:
    """A Datadog API client: auth headers, base URL, timeouts, retries, typed bodies.

    One instance per provider process (see ``resources._base.shared_client``); safe to use
    from several threads. ``transport``, ``clock`` and ``policy`` exist for tests.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        policy: RetryPolicy | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock or SystemClock()
        self._pacer = pacer or Pacer(self._clock, probe_timeout=settings.timeout_seconds)
        self._policy = policy or RetryPolicy(
            max_retries=settings.max_retries, timeout=settings.retry_timeout_seconds
        )
        self._redact = settings.redactor()
        self._http = httpx.Client(
            base_url=settings.api_url,
            transport=transport,
            timeout=httpx.Timeout(settings.timeout_seconds),
            # Sized to the calls the provider may have in flight (connections open on demand).
            limits=httpx.Limits(
                max_connections=settings.max_concurrency,
                max_keepalive_connections=settings.max_concurrency,
            ),
            follow_redirects=False,
            # Only an https API needs TLS settings: the default context loads the CA bundle,
            # 0.1-0.25 s of CPU in every provider process that makes a call (2026-12-01), which
            # a plain-http API (the local emulator) never uses; redirects are not followed, so
            # no request of this client can reach an https URL.
            verify=urlsplit(settings.api_url).scheme != "http",  # urlsplit lowercases it
            headers={
                "Accept": "application/json",
                "User-Agent": user_agent(),
                **settings.auth_headers(),
            },
        )

    @property
    def api_url(self) -> str:
        return self.settings.api_url

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"DatadogClient(api_url={self.api_url!r})"

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("DatadogClient holds Datadog credentials and must not be pickled")

    def call(
        self,
        endpoint: Endpoint[T],
        *,
        path_params: Mapping[str, str] | None = None,
        body: WireModel | None = None,
        params: QueryParams | None = None,
        recover: Callable[[], T | None] | None = None,
        target: str | None = None,
    ) -> T:
        """Call one catalog endpoint: its method, path, idempotency, response model and
        permission come from ``endpoint`` (see ``api.catalog``); ``path_params`` fill its
        placeholders. The other arguments are those of ``request``."""
        result = self.request(
            endpoint.method,
            endpoint.path_for(**(path_params or {})),
            body=body,
            params=params,
            response_model=endpoint.response,
            idempotent=endpoint.idempotent,
            recover=recover,
            target=target,
            permission=endpoint.permission,
        )
        assert result is not None  # a response model was given
        return result

    @overload
    def request(
        self,
        method: str,
        path: str,
        *,
        body: WireModel | None = ...,
        params: QueryParams | None = ...,
        response_model: type[T],
        idempotent: bool | None = ...,
        recover: Callable[[], T | None] | None = ...,
        target: str | None = ...,
        permission: str | None = ...,
    ) -> T: ...

    @overload
    def request(
        self,
        method: str,
        path: str,
        *,
        body: WireModel | None = ...,
        params: QueryParams | None = ...,
        response_model: None = ...,
        idempotent: bool | None = ...,
        recover: Callable[[], object | None] | None = ...,
        target: str | None = ...,
        permission: str | None = ...,
    ) -> None: ...

    def request(
        self,
        method: str,
        path: str,
        *,
        body: WireModel | None = None,
        params: QueryParams | None = None,
        response_model: type[T] | None = None,
        idempotent: bool | None = None,
        recover: Callable[[], Any] | None = None,
        target: str | None = None,
        permission: str | None = None,
    ) -> T | None:
        """Send one API call and return its validated response body.

        Resources use the typed operations of ``api`` (which go through ``call``); this is
        the generic form underneath them.

        - ``path``: ``/api/v2/...`` (placeholders already filled, URL-quoted).
        - ``body``: a wire model, sent as its ``to_body()``.
        - ``response_model``: the body is validated into it; ``None`` ignores the body
          (e.g. 204 No Content).
        - ``idempotent``: whether repeating the request is harmless; defaults by method
          (GET/HEAD/OPTIONS/PUT/DELETE yes, POST/PATCH no).
        - ``recover``: for non-idempotent writes; called after an ambiguous failure, it
          returns the object if the write took effect (it becomes the result: "detect and
          adopt") or ``None`` if not (the write is retried).
        - ``target``: names the object in error messages (``synthetics suite "abc-def-ghi"``).
        - ``permission``: what a 403's message names (default: the catalog's, by path).
        """
        call = self._prepare(method, path, body, params, idempotent, recover, target, permission)
        response, recovered = self._send_with_retries(call)
        if response is None:  # an ambiguous write that recover() found applied
            return recovered if response_model is not None else None
        if response.is_error:
            raise self._error(response, call)
        if response_model is None:
            return None
        return self._parse(response, response_model, call.method, call.shown)

    # ------------------------------------------------------------------ steps of request

    def _prepare(
        self,
        method: str,
        path: str,
        body: WireModel | None,
        params: QueryParams | None,
        idempotent: bool | None,
        recover: Callable[[], Any] | None,
        target: str | None,
        permission: str | None,
    ) -> _Call:
        """Build the HTTP request once (every attempt sends the same one)."""
        method = method.upper()
        content: bytes | None = None
        headers: dict[str, str] = {}
        if body is not None:
            content = json.dumps(body.to_body(), separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        request = self._http.build_request(
            method, path, params=params, content=content, headers=headers
        )
        return _Call(
            method=method,
            shown=self._redact(request.url.raw_path.decode("ascii", "replace")),
            request=request,
            repeatable=method in IDEMPOTENT_METHODS if idempotent is None else idempotent,
            recover=recover,
            target=target,
            permission=permission,
            started=self._clock.monotonic(),
        )

    def _send_with_retries(self, call: _Call) -> tuple[httpx.Response | None, Any]:
        """Attempts under the retry policy; the last failure becomes a ``DatadogAPIError``."""
        retrying = self._policy.retrying(
            self._clock,
            before_sleep=lambda *args: self._announce(call, *args),
            paced=lambda failure: self._paced_wait(call, failure),
        )
        try:
            return retrying(lambda: self._attempt(call))
        except Retryable as last:
            if last.response is not None:
                raise self._error(last.response, call) from None
            assert last.error is not None
            raise self._transport_error(call, last.error) from last.error

    def _attempt(self, call: _Call) -> tuple[httpx.Response | None, Any]:
        """Send once. Returns the answer, or ``(None, found)`` when a write whose answer was
        lost is adopted; raises ``Retryable`` for what may be sent again."""
        call.attempts += 1
        self._pace(call)
        logger.debug("%s %s (attempt %d)", call.method, call.shown, call.attempts)
        sent = self._clock.monotonic()
        try:
            response = self._send(call.request)
        except _NOT_SENT as exc:
            raise Retryable(error=exc) from exc
        except _MAYBE_SENT as exc:
            if call.repeatable:
                raise Retryable(error=exc) from exc
            return None, self._recover(call, exc, None)
        except httpx.HTTPError as exc:
            raise self._transport_error(call, exc) from exc
        logger.debug(
            "%s %s -> %d in %.3fs%s",
            call.method,
            call.shown,
            response.status_code,
            self._clock.monotonic() - sent,
            _rid(response),
        )
        if response.status_code in RETRYABLE_STATUSES:
            if call.repeatable or response.status_code in UNPROCESSED_STATUSES:
                raise Retryable(response=response)
            return None, self._recover(call, None, response)
        return response, None

    def _announce(
        self, call: _Call, retry: int | None, wait: float, failure: BaseException | None
    ) -> None:
        if retry is None:
            logger.info(
                "retrying %s %s in %.1fs after %s (paced by the rate limit; "
                "not counted against datadog-testing:maxRetries)",
                call.method,
                call.shown,
                wait,
                self._redact(_describe(failure)),
            )
            return
        logger.info(
            "retrying %s %s in %.1fs after %s (retry %d of %d)",
            call.method,
            call.shown,
            wait,
            self._redact(_describe(failure)),
            retry,
            self._policy.max_retries,
        )

    def _paced_wait(self, call: _Call, failure: BaseException | None) -> float | None:
        """The paced wait before retrying a 429 that says when the budget is back."""
        if isinstance(failure, Retryable) and failure.response is not None:
            answer = failure.response
            if answer.status_code == 429 and parse_rate_limit(answer.headers) is not None:
                return self._pacer.wait_hint(call.request.url.path)
        return None

    def _pace(self, call: _Call) -> None:
        """Wait for a slot in the rate-limit budget of the call's path (``pacing.Pacer``)."""
        delay = self._pacer.before_send(call.request.url.path)
        if delay > 0:
            logger.debug(
                "%s %s waits %.2fs for the rate-limit window", call.method, call.shown, delay
            )
            self._clock.sleep(delay)

    def _send(self, request: httpx.Request) -> httpx.Response:
        """Send once, telling the pacer what came back (or that nothing did)."""
        path = request.url.path
        sent = self._clock.monotonic()
        try:
            response = self._http.send(request)
        except httpx.HTTPError:
            self._pacer.after_answer(path, None, {})
            raise
        self._pacer.after_answer(path, response.status_code, response.headers, sent=sent)
        # httpx binds the read, closed stream to its response (``BoundSyncStream``), a
        # reference cycle: the response and its body would wait for the garbage collector
        # (a 1,000-test search page is ~400 KB; parsing it promotes the response to the
        # oldest generation, so dozens piled up). The body is read: nothing needs the stream.
        response.stream = httpx.ByteStream(b"")
        return response

    def _parse(self, response: httpx.Response, model: type[T], method: str, path: str) -> T:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
                for err in exc.errors()[:3]
            )
            request_id = extract_request_id(response.headers)
            rid = f" [request id {request_id}]" if request_id else ""
            raise UnexpectedResponseError(
                self._redact(
                    f"{method} {path} -> {response.status_code} but the body is not a valid "
                    f"{model.__name__} ({problems}); the API may have changed — report this "
                    f"with the request id{rid}"
                ),
                method=method,
                path=path,
                status=response.status_code,
                request_id=request_id,
            ) from None

    def _recover(
        self, call: _Call, error: Exception | None, response: httpx.Response | None
    ) -> Any:
        """After an ambiguous failure of a non-idempotent write: adopt, retry, or raise."""
        cause = (
            f"{response.status_code} {response.reason_phrase}"
            if response is not None
            else _describe_error(error)
        )
        what = call.target or "the object"
        status = response.status_code if response is not None else None
        if call.recover is None:
            raise AmbiguousWriteError(
                self._redact(
                    f"{call.method} {call.shown} -> {cause} after the request was sent; Datadog "
                    f"may or may not have applied it, so it was not retried (that could create a "
                    f"duplicate) — check {what} in Datadog, then run `pulumi refresh` and "
                    "`pulumi up` again"
                ),
                method=call.method,
                path=call.shown,
                status=status,
            )
        logger.info(
            "%s %s -> %s; checking whether %s was written", call.method, call.shown, cause, what
        )
        try:
            found = call.recover()
        except DatadogAPIError as exc:
            raise AmbiguousWriteError(
                self._redact(
                    f"{call.method} {call.shown} -> {cause}, and looking up whether {what} was "
                    f"written failed too ({exc}); check Datadog, then run `pulumi refresh`"
                ),
                method=call.method,
                path=call.shown,
                status=status,
            ) from exc
        if found is None:
            logger.info("%s was not written; retrying %s %s", what, call.method, call.shown)
            raise Retryable(response=response, error=error)
        logger.info("%s was written despite the failure; adopting it", what)
        return found

    def _error(self, response: httpx.Response, call: _Call) -> DatadogAPIError:
        return error_from_response(
            response,
            method=call.method,
            path=call.shown,
            api_url=self.api_url,
            target=call.target,
            permission=call.permission,
            retries=call.retries,
            elapsed=self._clock.monotonic() - call.started,
            redact=self._redact,
        )

    def _transport_error(self, call: _Call, error: Exception) -> TransportError:
        elapsed = self._clock.monotonic() - call.started
        plural = "retry" if call.retries == 1 else "retries"
        return TransportError(
            self._redact(
                f"{call.method} {call.shown} -> no answer from {self.api_url} "
                f"({_describe_error(error)}) after {call.retries} {plural} over {elapsed:.1f}s — "
                "check network access to it, datadog:apiUrl / datadog-testing:site, and "
                "datadog-testing:timeoutSeconds"
            ),
            method=call.method,
            path=call.shown,
            retries=call.retries,
            elapsed=elapsed,
        )


@dataclass
class _Call:
    """One logical API call across its attempts."""

    method: str
    shown: str
    """The path and query as shown in logs and messages (redacted)."""
    request: httpx.Request
    repeatable: bool
    recover: Callable[[], Any] | None
    target: str | None
    permission: str | None
    started: float
    attempts: int = 0

    @property
    def retries(self) -> int:
        return max(0, self.attempts - 1)


def _describe(failure: BaseException | None) -> str:
    if isinstance(failure, Retryable):
        if failure.response is not None:
            return f"{failure.response.status_code} {failure.response.reason_phrase}"
        return _describe_error(failure.error)
    return repr(failure)


def _describe_error(error: BaseException | None) -> str:
    text = " ".join(str(error).split()) if error is not None else ""
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def _rid(response: httpx.Response) -> str:
    rid = extract_request_id(response.headers)
    return f" request id {rid}" if rid else ""
