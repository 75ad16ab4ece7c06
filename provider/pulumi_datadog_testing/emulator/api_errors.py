"""Errors the emulator answers with, in the two shapes the real API uses.

- ``{"errors": ["message", ...]}`` (``application/json``) — what the spec declares everywhere.
- JSON:API error objects (``application/vnd.api+json``) —
  ``{"errors": [{"status": "400", "title": "Bad Request", "detail": "..."}]}`` — what the
  flaky-test search really answers for a bad request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from pydantic import ValidationError

__all__ = ["ApiError", "describe_validation_error", "error_body"]

JSON = "application/json"
JSON_API = "application/vnd.api+json"


class ApiError(Exception):
    """An HTTP error answer: status, messages, and whether to use JSON:API error objects."""

    def __init__(self, status: int, *messages: str, json_api: bool = False) -> None:
        super().__init__("; ".join(messages) or HTTPStatus(status).phrase)
        self.status = status
        self.messages = list(messages) or [HTTPStatus(status).phrase]
        self.json_api = json_api

    @classmethod
    def bad_request(cls, *messages: str, json_api: bool = False) -> ApiError:
        return cls(400, *messages, json_api=json_api)

    @classmethod
    def not_found(cls, message: str) -> ApiError:
        return cls(404, message)

    def body(self) -> tuple[bytes, str]:
        """Encoded body and content type."""
        return error_body(self.status, self.messages, json_api=self.json_api)


def error_body(
    status: int, messages: Sequence[str], *, json_api: bool = False
) -> tuple[bytes, str]:
    """``{"errors": [...]}`` as bytes, plain or as JSON:API error objects."""
    if json_api:
        title = HTTPStatus(status).phrase
        errors: list[Any] = [
            {"status": str(status), "title": title, "detail": message} for message in messages
        ]
        return json.dumps({"errors": errors}).encode(), JSON_API
    return json.dumps({"errors": list(messages)}).encode(), JSON


def describe_validation_error(error: ValidationError, *, root: str = "") -> list[str]:
    """One message per problem, each naming the field: ``data.attributes.env: ...``."""
    messages: list[str] = []
    for item in error.errors(include_url=False):
        loc: list[str | int] = list(item["loc"])
        if item["type"] == "wire_missing":
            loc.append(str(item.get("ctx", {}).get("field", "")))
            text = "field required"
        elif item["type"] == "missing":
            text = "field required"
        elif item["type"] == "extra_forbidden":
            text = "unknown field"
        elif item["type"] == "literal_error":
            text = f"{item['msg'].lower()}, got {json.dumps(item.get('input'))}"
        else:
            text = item["msg"]
        messages.append(f"{_dotted(root, loc) or 'body'}: {text}")
    return messages


def _dotted(root: str, loc: Sequence[str | int]) -> str:
    """``data.attributes.tests[0].id`` from a pydantic error location."""
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part and not part.startswith(("function-", "union[", "list[", "nullable[")):
            path = f"{path}.{part}" if path else part
    return path
