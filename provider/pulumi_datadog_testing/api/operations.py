"""Typed operations: one class per Datadog area, one method per endpoint of ``catalog``.

Resources call these (``api.synthetics.patch_suite(public_id, ops, ...)``) instead of
building HTTP calls: the method takes and returns typed values, and the endpoint's method,
path, models, idempotency and pagination come from the catalog. A paged search is an
iterator that owns its paging (cursor or offset). ``target`` names the object in error
messages (``synthetics suite 'abc-def-ghi'``); ``recover`` is required exactly where the
catalog says a lost answer is recovered by lookup.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, overload

from ..errors import UnexpectedResponseError
from ..identity import FlakyState
from ..models import (
    DeleteSuitesRequest,
    FlakyTest,
    FlakyTestBriefsSearchResponse,
    FlakyTestsManagementPolicies,
    FlakyTestsManagementPoliciesGetRequest,
    FlakyTestsManagementPoliciesUpdateRequest,
    FlakyTestsSearchRequest,
    FlakyTestStatesOnlyResponse,
    ServiceSettingsAttributes,
    ServiceSettingsGetRequest,
    ServiceSettingsIdentity,
    ServiceSettingsUpdate,
    ServiceSettingsUpdateRequest,
    SuiteJsonPatchRequest,
    SuiteRequest,
    SyntheticsSuite,
    SyntheticsSuiteResponse,
    UpdateFlakyTestsRequest,
    UpdateFlakyTestsResponse,
)
from . import catalog

if TYPE_CHECKING:  # the HTTP stack loads with the first client, not with this module
    from ..client import DatadogClient
    from ..config import Settings

__all__ = [
    "MAX_FLAKY_SEARCH_PAGES",
    "MAX_SUITE_SEARCH_PAGES",
    "SyntheticsAPI",
    "TestOptimizationAPI",
]

MAX_FLAKY_SEARCH_PAGES: Final = 10_000
"""Bound on the pages one flaky-test search may follow (10 million tests at 1,000 a page)."""
MAX_SUITE_SEARCH_PAGES: Final = 20
"""Default bound on the pages one suite search reads."""

_Page = type[FlakyTestBriefsSearchResponse] | type[FlakyTestStatesOnlyResponse]
"""A lighter model a flaky-test search page may be read into."""

Recover = Callable[[], SyntheticsSuiteResponse | None]
"""After a lost answer: the suite if the write took effect (adopted), ``None`` to resend."""


class _Area:
    """What every area shares: the client (and through it, the settings)."""

    def __init__(self, client: DatadogClient) -> None:
        self.client = client

    @property
    def settings(self) -> Settings:
        return self.client.settings


class TestOptimizationAPI(_Area):
    """Test Optimization: service settings, flaky-test management policies, flaky tests."""

    __test__ = False  # not a pytest test class, despite the name

    def get_service_settings(
        self, identity: ServiceSettingsIdentity, *, target: str
    ) -> ServiceSettingsAttributes:
        """A service's settings (``NotFoundError`` when it has none)."""
        response = self.client.call(
            catalog.GET_SERVICE_SETTINGS,
            body=ServiceSettingsGetRequest.of(identity),
            target=target,
        )
        return response.data.attributes

    def update_service_settings(self, update: ServiceSettingsUpdate, *, target: str) -> None:
        """Send exactly the attributes set in ``update`` (others are left as they are)."""
        self.client.call(
            catalog.UPDATE_SERVICE_SETTINGS,
            body=ServiceSettingsUpdateRequest.of(update),
            target=target,
        )

    def get_flaky_tests_policies(
        self, repository_id: str, *, target: str
    ) -> FlakyTestsManagementPolicies:
        """A repository's flaky-test management policies."""
        response = self.client.call(
            catalog.GET_FLAKY_TESTS_POLICIES,
            body=FlakyTestsManagementPoliciesGetRequest.of(repository_id),
            target=target,
        )
        return response.data.attributes

    def update_flaky_tests_policies(
        self, policies: FlakyTestsManagementPolicies, *, target: str
    ) -> None:
        """Send exactly the policy fields set in ``policies``."""
        self.client.call(
            catalog.UPDATE_FLAKY_TESTS_POLICIES,
            body=FlakyTestsManagementPoliciesUpdateRequest.of(policies),
            target=target,
        )

    @overload
    def search_flaky_tests(
        self, query: str, *, target: str, brief: bool = False
    ) -> Iterator[FlakyTest]: ...

    @overload
    def search_flaky_tests(
        self, query: str, *, target: str, states_only: Literal[True]
    ) -> Iterator[tuple[str, FlakyState | None]]: ...

    def search_flaky_tests(
        self, query: str, *, target: str, brief: bool = False, states_only: bool = False
    ) -> Iterator[FlakyTest] | Iterator[tuple[str, FlakyState | None]]:
        """Every test matching ``query``, a page at a time, following the cursor to the end.
        ``brief``: each test carries only its state and name parts (``FlakyTestBrief``: a
        fraction of the memory and parsing time, for large sets). ``states_only``: each test
        as ``(id, state)`` (``None``: it reports no state), its page read into the lightest
        model (``FlakyTestStatesOnlyResponse``) and no test model built — a large set's reads.

        ``UnexpectedResponseError`` if the API repeats a cursor (paging would never end) or
        the search runs past ``MAX_FLAKY_SEARCH_PAGES``.
        """
        if states_only:
            return self._search_states(query, target)
        return self._search_tests(query, target, brief)

    def _search_tests(self, query: str, target: str, brief: bool) -> Iterator[FlakyTest]:
        if brief:
            for briefs in self._flaky_pages(FlakyTestBriefsSearchResponse, query, target):
                yield from (test.as_test() for test in briefs.data)
        else:
            for page in self._flaky_pages(None, query, target):
                yield from page.data

    def _search_states(self, query: str, target: str) -> Iterator[tuple[str, FlakyState | None]]:
        for page in self._flaky_pages(FlakyTestStatesOnlyResponse, query, target):
            yield from ((test.id, test.attributes.flaky_state) for test in page.data)

    def _flaky_pages(self, model: _Page | None, query: str, target: str) -> Iterator[Any]:
        """The pages of a flaky-test search (read into ``model`` when given, else the
        endpoint's own), the cursor followed to the end (bounded, see ``search_flaky_tests``)."""
        endpoint = catalog.SEARCH_FLAKY_TESTS
        call: catalog.Endpoint[Any] = endpoint
        if model is not None:  # the same endpoint, its answer read into a lighter model
            call = dataclasses.replace(endpoint, response=model)  # type: ignore[arg-type]
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_FLAKY_SEARCH_PAGES):
            body = FlakyTestsSearchRequest.of(query, limit=endpoint.page_size, cursor=cursor)
            page = self.client.call(call, body=body, target=target)
            yield page
            cursor = page.next_page
            if not cursor:
                return
            if cursor in seen:
                raise _paging_error(
                    endpoint,
                    f"searching flaky tests for {target}: the API returned the same page "
                    "cursor twice, so pagination would never end; report this to Datadog support",
                )
            seen.add(cursor)
        raise _paging_error(
            endpoint,
            f"searching flaky tests for {target}: more than {MAX_FLAKY_SEARCH_PAGES} pages; "
            "narrow the query",
        )

    def update_flaky_test_states(
        self, changes: Mapping[str, FlakyState], *, target: str
    ) -> UpdateFlakyTestsResponse:
        """One bulk state change; the answer reports each test's outcome."""
        return self.client.call(
            catalog.UPDATE_FLAKY_TEST_STATES,
            body=UpdateFlakyTestsRequest.of(dict(changes)),
            target=target,
        )


class SyntheticsAPI(_Area):
    """Synthetics: test suites."""

    def create_suite(
        self, suite: SyntheticsSuite, *, recover: Recover, target: str
    ) -> SyntheticsSuiteResponse:
        """Create a suite; after a lost answer ``recover`` finds it (or lets it be resent)."""
        return self.client.call(
            catalog.CREATE_SUITE,
            body=SuiteRequest.of(suite),
            recover=recover,
            target=target,
        )

    def get_suite(self, public_id: str, *, target: str) -> SyntheticsSuite:
        """The suite as Datadog has it (``NotFoundError`` if it does not exist)."""
        response = self.client.call(
            catalog.GET_SUITE,
            path_params={"public_id": public_id},
            target=target,
        )
        return response.data.attributes

    def patch_suite(
        self, public_id: str, ops: Sequence[Mapping[str, Any]], *, recover: Recover, target: str
    ) -> SyntheticsSuiteResponse:
        """Apply RFC 6902 ``ops`` (guards included) in one call."""
        return self.client.call(
            catalog.PATCH_SUITE,
            path_params={"public_id": public_id},
            body=SuiteJsonPatchRequest.of([dict(op) for op in ops]),
            recover=recover,
            target=target,
        )

    def search_suites(
        self,
        query: str | None,
        *,
        target: str,
        page_size: int | None = None,
        max_pages: int = MAX_SUITE_SEARCH_PAGES,
    ) -> Iterator[SyntheticsSuite]:
        """Suites matching ``query`` (``None``: all) sorted by name, a page at a time
        (``page_size`` defaults to the catalog's; at most ``max_pages`` pages are read)."""
        endpoint = catalog.SEARCH_SUITES
        count = page_size or endpoint.page_size
        assert count, "the catalog gives search_suites a page size"
        start = 0
        for _ in range(max_pages):
            params: dict[str, str | int] = {"sort": "name,asc", "start": start, "count": count}
            if query:
                params["query"] = query
            response = self.client.call(endpoint, params=params, target=target)
            page = response.data.attributes.suites
            yield from page
            start += len(page)
            total = response.data.attributes.total
            if not page or (total is not None and start >= total):
                return

    def delete_suites(self, public_ids: Sequence[str], *, target: str) -> None:
        """Delete suites (``NotFoundError`` if none of them exists)."""
        self.client.call(
            catalog.DELETE_SUITES,
            body=DeleteSuitesRequest.of(list(public_ids)),
            target=target,
        )


def _paging_error(endpoint: catalog.Endpoint[Any], message: str) -> UnexpectedResponseError:
    return UnexpectedResponseError(message, method=endpoint.method, path=endpoint.path, status=200)
