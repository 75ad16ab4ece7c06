"""Every Datadog endpoint this package calls, declared once, as data.

Each ``Endpoint`` states what the rest of the package needs to know about one API operation:
its HTTP method and path, request and response models, whether repeating it is harmless
(``idempotent``), how a lost answer is recovered, the permission an application key needs,
how results are paged and which rate-limit group it counts against. The typed operations
(``api.test_optimization``, ``api.synthetics``), the client's error messages, the emulator's
routes and rate-limit groups, and the tests' fakes all read this table — a path is written
here and nowhere else.

Sources: the seeds' API reference pages where they state a fact (service settings PATCH,
flaky search and update, suite JSON Patch), the official ``datadog-api-client`` v2 endpoint
settings for the others; permissions follow Datadog's permission catalogue (reads need
``*_read``, settings writes ``test_optimization_settings_write``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any, Final, Generic, Literal, TypeVar
from urllib.parse import quote

from pydantic import BaseModel

from ..models import (
    DeletedSuitesResponse,
    DeleteSuitesRequest,
    FlakyTestsManagementPoliciesGetRequest,
    FlakyTestsManagementPoliciesResponse,
    FlakyTestsManagementPoliciesUpdateRequest,
    FlakyTestsSearchRequest,
    FlakyTestsSearchResponse,
    ServiceSettingsGetRequest,
    ServiceSettingsResponse,
    ServiceSettingsUpdateRequest,
    SuiteJsonPatchRequest,
    SuiteRequest,
    SuitesSearchResponse,
    SyntheticsSuiteResponse,
    UpdateFlakyTestsRequest,
    UpdateFlakyTestsResponse,
    WireModel,
)

__all__ = [
    "CREATE_SUITE",
    "DELETE_SUITES",
    "ENDPOINTS",
    "GET_FLAKY_TESTS_POLICIES",
    "GET_SERVICE_SETTINGS",
    "GET_SUITE",
    "PATCH_SUITE",
    "SEARCH_FLAKY_TESTS",
    "SEARCH_SUITES",
    "UPDATE_FLAKY_TESTS_POLICIES",
    "UPDATE_FLAKY_TEST_STATES",
    "UPDATE_SERVICE_SETTINGS",
    "Endpoint",
    "Method",
    "Pagination",
    "Recovery",
    "endpoint_for",
    "rate_limit_group",
]

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
ResponseT = TypeVar("ResponseT", bound=BaseModel)


class Pagination(StrEnum):
    """How an endpoint pages its results."""

    NONE = "none"
    CURSOR = "cursor"
    """``page.cursor`` in the body; the answer's ``meta.pagination.next_page`` is the next."""
    OFFSET = "offset"
    """``start``/``count`` query parameters; the answer's ``total`` says when to stop."""


class Recovery(StrEnum):
    """What happens when the answer to a call is lost (5xx, read timeout, dropped link)."""

    RETRY = "retry"
    """Repeating the call is harmless: it is retried."""
    LOOKUP = "lookup"
    """Repeating could duplicate the write: the caller looks the object up and either adopts
    it (the write happened) or lets the call be sent again."""


@dataclass(frozen=True)
class Endpoint(Generic[ResponseT]):
    """One Datadog API operation (see the module docstring)."""

    name: str
    """Operation name, also the method name in ``api`` (``get_service_settings``)."""
    method: Method
    path: str
    """Path template; ``{name}`` placeholders are filled URL-quoted by ``path_for``."""
    request: type[WireModel] | None
    response: type[ResponseT]
    permission: str
    """The Datadog permission the application key needs (named in a 403's message)."""
    rate_limit: str
    """Datadog's rate-limit name (``X-RateLimit-Name``) of the group the call counts against."""
    idempotent: bool
    recovery: Recovery
    pagination: Pagination = Pagination.NONE
    page_size: int | None = None
    """Results asked for per page (the API's largest allowed, unless noted)."""

    def __post_init__(self) -> None:
        expected = Recovery.RETRY if self.idempotent else Recovery.LOOKUP
        if self.recovery is not expected:
            raise ValueError(f"{self.name}: a non-idempotent call must be recovered by lookup")

    def path_for(self, **params: str) -> str:
        """The path with ``{name}`` placeholders filled URL-quoted: no ``/`` or ``..`` smuggling."""
        return self.path.format(**{k: quote(str(v), safe="") for k, v in params.items()})

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """Matches the concrete paths of this endpoint (a placeholder is one path segment)."""
        parts = re.split(r"\{\w+\}", self.path)
        return re.compile("^" + "[^/]+".join(re.escape(p) for p in parts) + "/?$")

    def matches(self, method: str, path: str) -> bool:
        return method.upper() == self.method and bool(self.pattern.match(path.split("?", 1)[0]))


_TEST_OPTIMIZATION_SETTINGS: Final = "test_optimization_settings"
_FLAKY_TEST_MANAGEMENT: Final = "flaky_test_management"
_SYNTHETICS_SUITES: Final = "synthetics_suites"

# ------------------------------------------------------------ Test Optimization: settings

GET_SERVICE_SETTINGS: Final = Endpoint(
    name="get_service_settings",
    method="POST",  # a read with a body: the service is named in it
    path="/api/v2/ci/test-optimization/settings/service",
    request=ServiceSettingsGetRequest,
    response=ServiceSettingsResponse,
    permission="test_optimization_read",
    rate_limit=_TEST_OPTIMIZATION_SETTINGS,
    idempotent=True,
    recovery=Recovery.RETRY,
)
UPDATE_SERVICE_SETTINGS: Final = Endpoint(
    name="update_service_settings",
    method="PATCH",
    path=GET_SERVICE_SETTINGS.path,
    request=ServiceSettingsUpdateRequest,
    response=ServiceSettingsResponse,
    permission="test_optimization_settings_write",
    rate_limit=_TEST_OPTIMIZATION_SETTINGS,
    idempotent=True,  # sets absolute values: repeating it changes nothing more
    recovery=Recovery.RETRY,
)
GET_FLAKY_TESTS_POLICIES: Final = Endpoint(
    name="get_flaky_tests_policies",
    method="POST",
    path="/api/v2/ci/test-optimization/settings/policies",
    request=FlakyTestsManagementPoliciesGetRequest,
    response=FlakyTestsManagementPoliciesResponse,
    permission="test_optimization_read",
    rate_limit=_TEST_OPTIMIZATION_SETTINGS,
    idempotent=True,
    recovery=Recovery.RETRY,
)
UPDATE_FLAKY_TESTS_POLICIES: Final = Endpoint(
    name="update_flaky_tests_policies",
    method="PATCH",
    path=GET_FLAKY_TESTS_POLICIES.path,
    request=FlakyTestsManagementPoliciesUpdateRequest,
    response=FlakyTestsManagementPoliciesResponse,
    permission="test_optimization_settings_write",
    rate_limit=_TEST_OPTIMIZATION_SETTINGS,
    idempotent=True,  # absolute values
    recovery=Recovery.RETRY,
)

# ------------------------------------------------------- Test Optimization: flaky tests

SEARCH_FLAKY_TESTS: Final = Endpoint(
    name="search_flaky_tests",
    method="POST",
    path="/api/v2/test/flaky-test-management/tests",
    request=FlakyTestsSearchRequest,
    response=FlakyTestsSearchResponse,
    permission="test_optimization_read",
    rate_limit=_FLAKY_TEST_MANAGEMENT,
    idempotent=True,  # a search
    recovery=Recovery.RETRY,
    pagination=Pagination.CURSOR,
    page_size=1000,  # the API's largest page.limit
)
UPDATE_FLAKY_TEST_STATES: Final = Endpoint(
    name="update_flaky_test_states",
    method="PATCH",
    path=SEARCH_FLAKY_TESTS.path,
    request=UpdateFlakyTestsRequest,
    response=UpdateFlakyTestsResponse,
    permission="test_optimization_write",
    rate_limit=_FLAKY_TEST_MANAGEMENT,
    idempotent=True,  # absolute states: repeating it changes nothing more
    recovery=Recovery.RETRY,
)

# ------------------------------------------------------------------ Synthetics: suites

CREATE_SUITE: Final = Endpoint(
    name="create_suite",
    method="POST",
    path="/api/v2/synthetics/suites",
    request=SuiteRequest,
    response=SyntheticsSuiteResponse,
    permission="synthetics_write",
    rate_limit=_SYNTHETICS_SUITES,
    idempotent=False,  # a second POST makes a second suite
    recovery=Recovery.LOOKUP,
)
GET_SUITE: Final = Endpoint(
    name="get_suite",
    method="GET",
    path=CREATE_SUITE.path + "/{public_id}",
    request=None,
    response=SyntheticsSuiteResponse,
    permission="synthetics_read",
    rate_limit=_SYNTHETICS_SUITES,
    idempotent=True,
    recovery=Recovery.RETRY,
)
PATCH_SUITE: Final = Endpoint(
    name="patch_suite",
    method="PATCH",
    path=GET_SUITE.path + "/jsonpatch",
    request=SuiteJsonPatchRequest,
    response=SyntheticsSuiteResponse,
    permission="synthetics_write",
    rate_limit=_SYNTHETICS_SUITES,
    idempotent=False,  # JSON Patch ops (add to a list) are not repeatable
    recovery=Recovery.LOOKUP,
)
SEARCH_SUITES: Final = Endpoint(
    name="search_suites",
    method="GET",
    path=CREATE_SUITE.path + "/search",
    request=None,
    response=SuitesSearchResponse,
    permission="synthetics_read",
    rate_limit=_SYNTHETICS_SUITES,
    idempotent=True,
    recovery=Recovery.RETRY,
    pagination=Pagination.OFFSET,
    page_size=50,
)
DELETE_SUITES: Final = Endpoint(
    name="delete_suites",
    method="POST",
    path=CREATE_SUITE.path + "/bulk-delete",
    request=DeleteSuitesRequest,
    response=DeletedSuitesResponse,
    permission="synthetics_write",
    rate_limit=_SYNTHETICS_SUITES,
    idempotent=True,  # deleting twice deletes nothing more; a retry may 404
    recovery=Recovery.RETRY,
)

ENDPOINTS: Final[tuple[Endpoint[Any], ...]] = (
    GET_SERVICE_SETTINGS,
    UPDATE_SERVICE_SETTINGS,
    GET_FLAKY_TESTS_POLICIES,
    UPDATE_FLAKY_TESTS_POLICIES,
    SEARCH_FLAKY_TESTS,
    UPDATE_FLAKY_TEST_STATES,
    CREATE_SUITE,
    GET_SUITE,
    PATCH_SUITE,
    SEARCH_SUITES,
    DELETE_SUITES,
)
"""Every endpoint the provider calls."""

_MATCH_ORDER: Final = tuple(sorted(ENDPOINTS, key=lambda e: "{" in e.path))
"""Literal paths before templates, so ``/suites/search`` is not taken for ``/suites/{id}``."""


def endpoint_for(method: str, path: str) -> Endpoint[Any] | None:
    """The endpoint a concrete call (``PATCH /api/v2/synthetics/suites/abc/jsonpatch``) is."""
    for endpoint in _MATCH_ORDER:
        if endpoint.matches(method, path):
            return endpoint
    return None


def rate_limit_group(path: str) -> str | None:
    """The rate-limit group of any call to ``path`` (whatever the method), if it is known."""
    bare = path.split("?", 1)[0]
    for endpoint in _MATCH_ORDER:
        if endpoint.pattern.match(bare):
            return endpoint.rate_limit
    return None
