"""Every error this package raises about Datadog objects: the complete tree.

Every failure reaching a resource is one of these, rendered as a single line a user can
act on, with credentials redacted::

    DatadogError                    base of everything below
    ├── DatadogConfigError          bad or missing configuration (raised before any request)
    │   └── MissingCredentialsError no credentials (the only problem); datadog:validate=false
    │                               defers it from preview to the first API call
    ├── InvalidResourceIdError      an id passed to ``get``/``ResourceOptions(id=)`` is malformed
    ├── FlakyTestSelectorError      a module/suite/name selector matched zero or several tests
    ├── FlakyTestsNotFoundError     test ids a search of the repository did not return
    ├── FlakyUpdateError            a bulk state change failed for some tests (rolled back)
    ├── SuiteChangedError           a suite was edited outside Pulumi since the last refresh
    ├── SuiteAdoptionError          a lost create answer matches several suites
    ├── NothingToAdoptError         ``generate`` found nothing for a repository (wrong id?)
    └── DatadogAPIError             a request to Datadog failed; carries method, path, status,
        │                           Datadog's ``errors[]`` text, the request id, retries, elapsed
        ├── BadRequestError         400, 422 — the body or parameters were rejected
        ├── ForbiddenError          401, 403 — wrong keys, or the key lacks a permission
        ├── NotFoundError           404 — the object does not exist (a read treats it as "gone")
        ├── ConflictError           409, 412 — e.g. a JSON Patch ``test`` op failed
        ├── RateLimitedError        429 — still rate limited when the retry budget ran out
        ├── ServerError             5xx (and 408) — still failing when the retry budget ran out
        ├── UnexpectedResponseError 2xx whose body did not match the expected model
        └── TransportError          no HTTP answer (connect/read failure, timeout); status None
            └── AmbiguousWriteError a non-idempotent write may or may not have been applied,
                                    so it was not retried (no duplicate created)

Code that adds context to an error raises a new one ``from`` it (``error.with_message(...)``
keeps the type and details), never edits an exception in flight.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:  # annotations only: importing errors must not load the HTTP stack
    import httpx

__all__ = [
    "AmbiguousWriteError",
    "BadRequestError",
    "ConflictError",
    "DatadogAPIError",
    "DatadogConfigError",
    "DatadogError",
    "FlakyTestSelectorError",
    "FlakyTestsNotFoundError",
    "FlakyUpdateError",
    "ForbiddenError",
    "InvalidResourceIdError",
    "MissingCredentialsError",
    "NotFoundError",
    "NothingToAdoptError",
    "RateLimitedError",
    "Redactor",
    "ServerError",
    "SuiteAdoptionError",
    "SuiteChangedError",
    "TransportError",
    "UnexpectedResponseError",
    "changed_outside_message",
    "error_from_response",
    "extract_errors",
    "extract_request_id",
    "required_permission",
]

# Headers that may carry the id Datadog support asks for; first present wins. The official
# client exposes none of them; these are the ones Datadog front ends and proxies use.
REQUEST_ID_HEADERS = ("x-dd-request-id", "dd-request-id", "x-request-id", "x-datadog-request-id")

_MAX_DETAIL_CHARS = 400
_REDACTED = "***"


def required_permission(method: str, path: str) -> str | None:
    """The Datadog permission a call needs, from ``api.catalog`` (``None``: not a call this
    package makes)."""
    from .api.catalog import endpoint_for  # loaded only to explain a 401/403

    endpoint = endpoint_for(method, path)
    return endpoint.permission if endpoint is not None else None


class Redactor:
    """Replaces every known secret value in a text by ``***``.

    Built from the credentials (API/application keys, bearer token); applied to everything
    that can end up in a message or a log line, including text a server echoed back.
    Ordinary text is never rewritten: a secret is replaced only where it stands as a whole
    token (no letter or digit right before or after it), and a value shorter than
    ``MIN_SECRET_LENGTH`` is not a credential at all (Datadog's keys have 32 and 40
    characters) — replacing a one-letter "key" inside words would corrupt every message.
    A secret of ``ANYWHERE_LENGTH`` characters or more cannot occur in ordinary text by
    chance, so it is replaced wherever it appears, glued to other characters or not
    (``Bearer%20<token>``, ``key<key>``): leaking it would be worse than any rewrite.
    """

    MIN_SECRET_LENGTH = 8
    ANYWHERE_LENGTH = 20

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret containing another is replaced whole.
        kept = sorted(
            {s for s in secrets if len(s) >= self.MIN_SECRET_LENGTH}, key=len, reverse=True
        )
        self._count = len(kept)
        alternatives = [
            re.escape(s) if len(s) >= self.ANYWHERE_LENGTH else _whole_token(s) for s in kept
        ]
        self._pattern = re.compile("|".join(alternatives)) if kept else None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(_REDACTED, text)

    def __repr__(self) -> str:
        return f"Redactor({self._count} secrets)"


def _whole_token(secret: str) -> str:
    """A regex matching ``secret`` not glued to a letter or digit on an alphanumeric edge."""
    before = "(?<![A-Za-z0-9])" if re.match("[A-Za-z0-9]", secret[0]) else ""
    after = "(?![A-Za-z0-9])" if re.match("[A-Za-z0-9]", secret[-1]) else ""
    return f"{before}{re.escape(secret)}{after}"


class DatadogError(Exception):
    """Base class of every error raised by this package's Datadog layer."""


class DatadogConfigError(DatadogError, ValueError):
    """The provider configuration is missing or invalid; nothing was sent to Datadog."""


class MissingCredentialsError(DatadogConfigError):
    """No credentials are configured (and nothing else is wrong with the configuration);
    ``datadog:validate: false`` defers this error from preview to the first API call."""


class InvalidResourceIdError(DatadogError, ValueError):
    """An id given to ``X.get`` or ``ResourceOptions(id=...)`` cannot be read: not of the
    resource's form, not matching the declared properties, or naming nothing to read."""


class FlakyTestSelectorError(DatadogError):
    """A module/suite/name selector matched no test or several tests; nothing was changed."""

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class FlakyTestsNotFoundError(DatadogError):
    """Test ids that a search of the repository did not return; nothing was changed."""

    def __init__(self, message: str, missing: Sequence[str]) -> None:
        super().__init__(message)
        self.missing = list(missing)


class FlakyUpdateError(DatadogError):
    """A bulk state change failed for some tests; every change it made was rolled back
    (``rollback_failures`` lists tests that could not be set back)."""

    def __init__(
        self, message: str, failures: Mapping[str, str], rollback_failures: Mapping[str, str]
    ) -> None:
        super().__init__(message)
        self.failures = dict(failures)
        self.rollback_failures = dict(rollback_failures)


def changed_outside_message(public_id: str) -> str:
    """The one-line error of a suite update whose guards no longer hold."""
    return f"suite {public_id} changed outside Pulumi — run `pulumi refresh`"


class SuiteChangedError(DatadogError):
    """The suite was edited outside Pulumi since the last refresh; the update changed nothing."""

    def __init__(self, public_id: str) -> None:
        super().__init__(changed_outside_message(public_id))
        self.public_id = public_id


class SuiteAdoptionError(DatadogError):
    """A create's answer was lost and several suites could be the one it made."""


class NothingToAdoptError(DatadogError):
    """``generate``: the API reported nothing to adopt for a repository (likely a wrong id)."""


class DatadogAPIError(DatadogError):
    """A request to the Datadog API failed.

    ``str(error)`` is a one-line message; the attributes keep the details for code that
    wants to branch on them (``status`` is ``None`` when no HTTP answer arrived).
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status: int | None = None,
        errors: Sequence[str] = (),
        request_id: str | None = None,
        retries: int = 0,
        elapsed: float = 0.0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.errors = tuple(errors)
        self.request_id = request_id
        self.retries = retries
        self.elapsed = elapsed

    def __str__(self) -> str:
        return self.message

    def with_message(self, message: str) -> Self:
        """A new error of the same type and details with ``message`` (raise it ``from self``)."""
        return type(self)(
            message,
            method=self.method,
            path=self.path,
            status=self.status,
            errors=self.errors,
            request_id=self.request_id,
            retries=self.retries,
            elapsed=self.elapsed,
        )

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(status={self.status!r}, method={self.method!r}, path={self.path!r})"


class BadRequestError(DatadogAPIError):
    """400/422: Datadog rejected the request body or parameters."""


class ForbiddenError(DatadogAPIError):
    """401/403: the keys are wrong for this site, or the application key lacks a permission."""


class NotFoundError(DatadogAPIError):
    """404: the object does not exist. Reads treat it as "deleted outside Pulumi"."""


class ConflictError(DatadogAPIError):
    """409/412: the object changed in a way the request did not expect."""


class RateLimitedError(DatadogAPIError):
    """429 after the retry budget (attempts or time) ran out."""


class ServerError(DatadogAPIError):
    """5xx (or 408) after the retry budget ran out."""


class UnexpectedResponseError(DatadogAPIError):
    """Datadog answered with success, but the body did not match the expected model."""


class TransportError(DatadogAPIError):
    """No HTTP answer: connection refused, DNS failure, timeout, dropped connection."""


class AmbiguousWriteError(TransportError):
    """A non-idempotent write failed after it may have reached Datadog.

    It was not retried, because a retry could create a duplicate. Resource code should
    look the object up ("detect and adopt") — pass ``recover=`` to the client request —
    or surface this error so the user can check Datadog and ``pulumi refresh``.
    """


def extract_errors(response: httpx.Response) -> list[str]:
    """Datadog's error texts from a response body, in both shapes the API uses.

    ``{"errors": ["message", ...]}`` (the spec) and JSON:API error objects
    ``{"errors": [{"status", "title", "detail", "source": {"pointer"}}]}``; anything else
    falls back to a short snippet of the body, or nothing.
    """
    try:
        payload: Any = json.loads(response.content) if response.content else None
    except ValueError:
        text = " ".join(response.text.split())
        return [text[:_MAX_DETAIL_CHARS]] if text else []
    items = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        return [_shorten(json.dumps(payload))] if payload not in (None, {}, []) else []
    return [text for text in (_error_text(item) for item in items) if text]


def _error_text(item: Any) -> str:
    if isinstance(item, str):
        return _shorten(item)
    if not isinstance(item, dict):
        return _shorten(json.dumps(item))
    title = str(item.get("title") or "").strip()
    detail = str(item.get("detail") or "").strip()
    text = f"{title}: {detail}" if title and detail and detail != title else (detail or title)
    source = item.get("source")
    pointer = source.get("pointer") or source.get("parameter") if isinstance(source, dict) else None
    if pointer:
        text = f"{text} (at {pointer})"
    return _shorten(text or json.dumps(item))


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL_CHARS else text[: _MAX_DETAIL_CHARS - 1] + "…"


def extract_request_id(headers: httpx.Headers) -> str | None:
    """The request id Datadog returned, if any (see ``REQUEST_ID_HEADERS``)."""
    for name in REQUEST_ID_HEADERS:
        value: str | None = headers.get(name)
        if value:
            return value
    return None


def _sent_bearer_token(response: httpx.Response) -> bool:
    """Whether the failed request authenticated with a bearer token (not the two keys)."""
    try:
        request = response.request
    except RuntimeError:  # a response built without its request (tests, mocks)
        return False
    authorization: str = request.headers.get("authorization", "")
    return authorization.lower().startswith("bearer ")


def error_from_response(
    response: httpx.Response,
    *,
    method: str,
    path: str,
    api_url: str,
    target: str | None = None,
    permission: str | None = None,
    retries: int = 0,
    elapsed: float = 0.0,
    redact: Redactor | None = None,
) -> DatadogAPIError:
    """Map a failed HTTP response to the matching ``DatadogAPIError`` with a one-line message.

    ``target`` names the object the request was about (``synthetics suite "abc-def-ghi"``);
    ``permission`` is what a 401/403 names (default: the catalog's for ``method``/``path``);
    ``retries``/``elapsed`` say how much of the retry budget was used.
    """
    redact = redact or Redactor(())
    status = response.status_code
    errors = [redact(text) for text in extract_errors(response)]
    request_id = extract_request_id(response.headers)
    what = target or f"the object at {path.split('?', 1)[0]}"
    detail = "; ".join(errors) or response.reason_phrase or "no error text"
    after = _after(retries, elapsed)
    cls: type[DatadogAPIError]
    if status in (401, 403):
        cls = ForbiddenError
        permission = permission or required_permission(method, path)
        # With a bearer token the keys are not sent: point at what was.
        bearer = _sent_bearer_token(response)
        holder = "the bearer token" if bearer else "the application key"
        needs = (
            f" and that {holder}'s user and scopes include the `{permission}` permission"
            if permission
            else f" and that {holder} has the permissions this endpoint needs"
        )
        credentials = (
            "the bearer token is valid for {url} (datadog:bearerToken or DD_BEARER_TOKEN"
            if bearer
            else "the API and application keys are valid for {url} "
            "(datadog:apiKey/datadog:appKey or DD_API_KEY/DD_APP_KEY"
        ).format(url=api_url)
        hint = (
            f"check that {credentials}; site from datadog-testing:site, datadog:apiUrl, "
            f"DD_SITE or DD_HOST){needs}"
        )
    elif status == 404:
        cls = NotFoundError
        hint = f"{what} does not exist (deleted outside Pulumi? run `pulumi refresh`)"
    elif status == 429:
        cls = RateLimitedError
        reset = response.headers.get("x-ratelimit-reset")
        limit = response.headers.get("x-ratelimit-name")
        window = ", ".join(
            part
            for part in (f"limit {limit}" if limit else "", f"resets in {reset}s" if reset else "")
            if part
        )
        hint = (
            f"still rate limited {after}{f' ({window})' if window else ''}; raise "
            "datadog-testing:retryTimeoutSeconds (the time a call may wait for the rate "
            "limit), or run `pulumi up --parallel` with a lower number"
        )
    elif status in (409, 412):
        cls = ConflictError
        hint = f"{what} changed outside Pulumi; run `pulumi refresh` and try again"
    elif status in (400, 422):
        cls = BadRequestError
        hint = "Datadog rejected the request; fix the resource inputs named above"
    elif status == 408 or status >= 500:
        cls = ServerError
        hint = f"Datadog kept failing {after}; try again later" if retries else "try again later"
    else:
        cls = DatadogAPIError
        hint = "unexpected answer from Datadog"
    rid = f" [request id {request_id}]" if request_id else ""
    message = redact(f"{method} {path} -> {status} {detail} — {hint}{rid}")
    return cls(
        message,
        method=method,
        path=path,
        status=status,
        errors=errors,
        request_id=request_id,
        retries=retries,
        elapsed=elapsed,
    )


def _after(retries: int, elapsed: float) -> str:
    plural = "retry" if retries == 1 else "retries"
    return f"after {retries} {plural} over {elapsed:.1f}s"
