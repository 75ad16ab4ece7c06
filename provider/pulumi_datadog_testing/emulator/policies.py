"""Flaky Tests Management policies of a repository: get (with defaults) and partial update.

A repository that was never configured answers ``DEFAULT_POLICIES`` (every nested object
present, so a reader always sees complete values, as the client's response models allow):

- ``attempt_to_fix.retries``: 20
- ``quarantined``: enabled; auto-quarantine rule off (window 30 days); branch rule off
  (``branches: ["main"]``); failure-rate rule off (``min_runs`` 10, ``threshold`` 0.5)
- ``disabled``: not enabled; auto-disable rule off (``status: quarantined``, window 30 days);
  branch rule off; failure-rate rule off (``min_runs`` 10, ``threshold`` 0.5,
  ``status: active``)

``PATCH`` merges what it is given into the current policies field by field, at every
nesting level (lists such as ``branches`` are replaced as a whole); omitted blocks and
fields keep their values.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from ..models import (
    FlakyTestsManagementPolicies,
    FlakyTestsManagementPoliciesData,
    FlakyTestsManagementPoliciesResponse,
)
from .store import Store

__all__ = ["DEFAULT_POLICIES", "PoliciesService"]

_TABLE = "policies"
_THIRTY_DAYS = 30 * 24 * 3600

DEFAULT_POLICIES: Final[dict[str, Any]] = {
    "attempt_to_fix": {"retries": 20},
    "quarantined": {
        "enabled": True,
        "auto_quarantine_rule": {"enabled": False, "window_seconds": _THIRTY_DAYS},
        "branch_rule": {
            "enabled": False,
            "branches": ["main"],
            "excluded_branches": [],
            "excluded_test_services": [],
        },
        "failure_rate_rule": {"enabled": False, "branches": [], "min_runs": 10, "threshold": 0.5},
    },
    "disabled": {
        "enabled": False,
        "auto_disable_rule": {
            "enabled": False,
            "status": "quarantined",
            "window_seconds": _THIRTY_DAYS,
        },
        "branch_rule": {
            "enabled": False,
            "branches": ["main"],
            "excluded_branches": [],
            "excluded_test_services": [],
        },
        "failure_rate_rule": {
            "enabled": False,
            "branches": [],
            "min_runs": 10,
            "threshold": 0.5,
            "status": "active",
        },
    },
}
"""What a repository that was never configured answers."""


class PoliciesService:
    """The policies endpoints' behaviour over the store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, repository_id: str) -> FlakyTestsManagementPoliciesResponse:
        return self._response(repository_id, self._current(repository_id))

    def update(self, attrs: FlakyTestsManagementPolicies) -> FlakyTestsManagementPoliciesResponse:
        changes = attrs.model_dump(exclude_none=True, exclude={"repository_id"})
        with self._store.transaction():
            doc = self._current(attrs.repository_id)
            _merge(doc, changes)
            self._store.put(_TABLE, attrs.repository_id, doc)
        return self._response(attrs.repository_id, doc)

    def _current(self, repository_id: str) -> dict[str, Any]:
        return self._store.get(_TABLE, repository_id) or copy.deepcopy(DEFAULT_POLICIES)

    @staticmethod
    def _response(repository_id: str, doc: dict[str, Any]) -> FlakyTestsManagementPoliciesResponse:
        data = FlakyTestsManagementPoliciesData.model_validate(
            {"id": repository_id, "attributes": {"repository_id": repository_id, **doc}}
        )
        return FlakyTestsManagementPoliciesResponse(data=data)


def _merge(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
