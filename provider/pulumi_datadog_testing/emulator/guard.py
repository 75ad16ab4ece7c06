"""What every request must pass before the emulator does any work for it.

- ``Host`` (and ``Origin``, when sent) must name a loopback host — ``localhost`` (or
  ``*.localhost``), ``127.0.0.0/8``, ``::1`` — or the address the emulator listens on.
  A web page in the user's browser can send requests to ``127.0.0.1``, and DNS rebinding
  makes them same-origin; both carry the page's own host name, so they get a 403. When the
  emulator listens on a non-loopback address (``--allow-non-loopback``) the Datadog paths
  accept any ``Host``; the admin surface never does.
- A body larger than ``max_body_bytes`` gets a 413 before authentication and before
  anything is kept: a declared ``Content-Length`` over the limit is refused unread, a
  chunked body as soon as it passes the limit.
- Admin writes (``POST``/``PUT``/``PATCH`` under ``/_emulator/``) need a JSON content type
  (415 otherwise): a cross-origin form or ``text/plain`` post — which a browser sends
  without asking — cannot reset the emulator or inject faults. The emulator sends no CORS
  headers, so a browser never lets a page read its answers or send JSON to it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "Refusal",
    "is_loopback",
    "read_body",
    "refuse_before_body",
    "refuse_content_type",
]

DEFAULT_MAX_BODY_BYTES: Final = 4 * 1024 * 1024
"""Largest request body accepted by default (4 MiB; ``--max-body-bytes`` changes it)."""

_WRITES: Final = frozenset({"POST", "PUT", "PATCH"})
_JSON_TYPES: Final = ("application/json", "application/vnd.api+json")

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class Refusal:
    """An answer given instead of serving the request."""

    status: int
    message: str
    size: int = 0
    """Body bytes declared or received (for the call log)."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address, no port) is a loopback host."""
    name = host.strip().rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_name(authority: str) -> str:
    """``host[:port]`` / ``[v6]:port`` → the host alone."""
    authority = authority.strip()
    if authority.startswith("["):
        return authority[1 : authority.find("]")] if "]" in authority else authority
    if authority.count(":") == 1:
        return authority.rsplit(":", 1)[0]
    return authority


def refuse_before_body(
    headers: Mapping[bytes, str], *, listen_host: str, admin: bool
) -> Refusal | None:
    """A 403 when ``Host`` or ``Origin`` names a host the emulator does not answer for."""
    listening = _host_name(listen_host).lower()
    public = not is_loopback(listening)

    def allowed(name: str) -> bool:
        if is_loopback(name) or name.lower() == listening:
            return True
        return public and not admin

    host = headers.get(b"host")
    if host is not None and not allowed(_host_name(host)):
        return Refusal(
            403,
            f"Host {host!r} is not a loopback name or address: the emulator only answers "
            "requests addressed to localhost, 127.0.0.1 or [::1] (its own address)",
        )
    origin = headers.get(b"origin")
    if origin is not None and origin != "null":
        origin_host = urlsplit(origin).hostname or ""
        if not allowed(origin_host):
            return Refusal(
                403, f"cross-origin request from {origin!r} refused: the emulator has no CORS"
            )
    elif origin == "null":
        return Refusal(403, "cross-origin request from an opaque origin refused")
    return None


async def read_body(
    receive: Receive, headers: Mapping[bytes, str], limit: int
) -> tuple[bytes, int, Refusal | None]:
    """The request body, its size, and a 413 refusal when it is larger than ``limit``
    (then the body is not read — or not further than the limit)."""
    declared = headers.get(b"content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        return b"", int(declared), _too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", size, _too_large(size, limit, at_least=True)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), size, None


def _too_large(size: int, limit: int, *, at_least: bool = False) -> Refusal:
    more = "more than " if at_least else ""
    return Refusal(
        413,
        f"request body of {more}{size:,} bytes is larger than the emulator's limit of "
        f"{limit:,} bytes (--max-body-bytes)",
        size,
    )


def refuse_content_type(method: str, headers: Mapping[bytes, str]) -> Refusal | None:
    """A 415 for an admin write whose content type is not JSON."""
    if method not in _WRITES:
        return None
    content_type = headers.get(b"content-type", "").split(";", 1)[0].strip().lower()
    if content_type in _JSON_TYPES:
        return None
    shown = f"{content_type!r}" if content_type else "none"
    return Refusal(
        415,
        f"admin {method} requests need Content-Type: application/json (got {shown}), "
        "even without a body",
    )
