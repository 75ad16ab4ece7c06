"""Read what an org has — service settings, flaky-test policies and states, suites — without
writing anything, through the typed read operations of ``api`` (the ones the resources use).

API use is bounded and independent of the number of tests:

- one paged flaky-test search per repository (1,000 tests a page) gives the non-``active``
  tests *and*, when ``--service``/``--env`` are not given, the services and envs to look up
  (every service and env the search reports, plus the default env ``none``);
- one settings get per service × env (a 404 means the service has no settings: skipped);
- one policies get per repository;
- one paged suites search (100 a page), then one ``GET`` per suite for its exact document
  (search answers may leave fields out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, ConfigDict

from ..api import DatadogAPI
from ..errors import NotFoundError, NothingToAdoptError
from ..identity import DEFAULT_ENV, FlakyState, service_settings_id
from ..models import (
    INHERITABLE_SETTINGS,
    ServiceSettingsIdentity,
)
from ..models import ServiceSettingsAttributes as WireSettings
from ..resources import _flaky
from ..resources.flaky_test_policies import SECTIONS
from ..resources.synthetics_suite import outputs_of

if TYPE_CHECKING:
    from ..client import DatadogClient

__all__ = [
    "SUITE_PAGE_SIZE",
    "AdoptedSuite",
    "FoundRepository",
    "FoundServiceSettings",
    "FoundTest",
    "OrgSnapshot",
    "Progress",
    "read_org",
]

SUITE_PAGE_SIZE: Final = 100
MAX_SUITE_PAGES: Final = 1000
"""Bound on suite search pages (100,000 suites)."""

Progress = Callable[[str], None]


class _Found(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FoundServiceSettings(_Found):
    """A service's settings: only the ones it overrides (the others stay inherited)."""

    repository_id: str
    service_name: str
    env: str
    overridden: dict[str, bool]
    """Setting name → value, for the settings the service overrides (API order)."""


class FoundTest(_Found):
    """A flaky test that is not ``active``."""

    id: str
    name: str
    """``module.suite.name`` (what a developer sees in CI)."""
    state: FlakyState


class FoundRepository(_Found):
    repository_id: str
    tests_read: int
    """How many flaky tests the search returned (all states)."""
    services: list[str]
    envs: list[str]
    settings: list[FoundServiceSettings]
    inherited_only: list[str]
    """Ids (``repo::service::env``) of services with settings that override nothing."""
    policies: dict[str, Any] | None
    tests: list[FoundTest]
    """The non-``active`` tests, by name then id."""


class AdoptedSuite(_Found):
    """A suite's writable fields as Datadog has them, and its ``public_id``."""

    public_id: str
    name: str
    message: str | None
    tags: list[str] | None
    tests: list[dict[str, Any]]
    options: dict[str, Any] | None


class OrgSnapshot(_Found):
    api_url: str
    repositories: list[FoundRepository]
    suites: list[AdoptedSuite] | None
    """``None`` when suites were not read (``--no-suites``)."""
    suites_query: str | None = None


def read_org(
    client: DatadogClient,
    repositories: Sequence[str],
    *,
    services: Sequence[str] = (),
    envs: Sequence[str] = (),
    suites_query: str | None = None,
    read_suites: bool = True,
    progress: Progress = lambda _line: None,
) -> OrgSnapshot:
    """Everything to adopt for ``repositories`` (and the suites matching ``suites_query``).

    Raises ``NothingToAdoptError`` naming each repository for which neither flaky tests nor
    service settings were found, before reading anything else for it.
    """
    api = DatadogAPI(client)
    found = [
        _read_repository(api, repo, services, envs, progress)
        for repo in dict.fromkeys(repositories)
    ]
    suites = _read_suites(api, suites_query, progress) if read_suites else None
    return OrgSnapshot(
        api_url=client.api_url, repositories=found, suites=suites, suites_query=suites_query
    )


def _read_repository(
    api: DatadogAPI,
    repository_id: str,
    services: Sequence[str],
    envs: Sequence[str],
    progress: Progress,
) -> FoundRepository:
    target = f"flaky tests of repository {repository_id!r}"
    tests = _flaky.search(
        api.test_optimization, _flaky.repository_clause(repository_id), target=target
    )
    not_active = sorted(
        (
            FoundTest(id=t.id, name=_flaky.fqn(t) or t.id, state=_flaky.state_of(t))
            for t in tests
            if _flaky.state_of(t) != "active"
        ),
        key=lambda t: (t.name, t.id),
    )
    progress(f"{repository_id}: {len(tests)} flaky tests read, {len(not_active)} not active")
    service_names = _unique(services) or _unique(
        s for t in tests for s in t.attributes.services or ()
    )
    env_names = _unique(envs) or _unique(
        [*(e for t in tests for e in t.attributes.envs or ()), DEFAULT_ENV]
    )
    if not service_names and not tests:
        raise NothingToAdoptError(
            f"repository {repository_id!r}: the flaky-test search found no tests, so there are "
            "no services to look up — check the repository id (as CI reports it, e.g. "
            "github.com/acme/shop), or pass --service (and --env) to read their settings"
        )
    settings: list[FoundServiceSettings] = []
    inherited_only: list[str] = []
    for service in service_names:
        for env in env_names:
            current = _get_settings(api, repository_id, service, env)
            if current is None:
                continue
            overridden = _overridden(current)
            if overridden:
                settings.append(
                    FoundServiceSettings(
                        repository_id=repository_id,
                        service_name=service,
                        env=env,
                        overridden=overridden,
                    )
                )
            else:
                inherited_only.append(service_settings_id(repository_id, service, env))
    progress(
        f"{repository_id}: service settings of {len(service_names)} services "
        f"({', '.join(service_names) or 'none'}) x {len(env_names)} envs "
        f"({', '.join(env_names)}) looked up, {len(settings)} with overridden settings"
    )
    if not tests and not settings and not inherited_only:
        raise NothingToAdoptError(
            f"repository {repository_id!r}: no flaky tests and no service settings found for "
            f"services {', '.join(service_names)} in envs {', '.join(env_names)} — check the "
            "repository id and the --service/--env names"
        )
    policies = _get_policies(api, repository_id)
    progress(f"{repository_id}: flaky-test policies {'read' if policies else 'not set'}")
    return FoundRepository(
        repository_id=repository_id,
        tests_read=len(tests),
        services=service_names,
        envs=env_names,
        settings=settings,
        inherited_only=inherited_only,
        policies=policies,
        tests=not_active,
    )


def _unique(values: Iterable[str]) -> list[str]:
    return sorted({v for v in values if v})


def _get_settings(
    api: DatadogAPI, repository_id: str, service: str, env: str
) -> WireSettings | None:
    identity = ServiceSettingsIdentity(repository_id=repository_id, service_name=service, env=env)
    try:
        return api.test_optimization.get_service_settings(
            identity,
            target=f"service settings {service_settings_id(repository_id, service, env)}",
        )
    except NotFoundError:
        return None


def _overridden(current: WireSettings) -> dict[str, bool]:
    """The settings the service overrides. An answer without ``<setting>_is_overridden``
    (shaped like the seeds) cannot tell: its values are all taken as overridden."""
    values: dict[str, bool] = {}
    for name in INHERITABLE_SETTINGS:
        value = getattr(current, name)
        if value is not None and getattr(current, f"{name}_is_overridden") is not False:
            values[name] = value
    return values


def _get_policies(api: DatadogAPI, repository_id: str) -> dict[str, Any] | None:
    try:
        policies = api.test_optimization.get_flaky_tests_policies(
            repository_id, target=f"flaky-test policies of repository {repository_id!r}"
        )
    except NotFoundError:
        return None
    dumped: dict[str, Any] = policies.model_dump(exclude_none=True, include=set(SECTIONS))
    return dumped or None


def _read_suites(api: DatadogAPI, query: str | None, progress: Progress) -> list[AdoptedSuite]:
    found = api.synthetics.search_suites(
        query,
        target="synthetics suites" + (f" matching {query!r}" if query else ""),
        page_size=SUITE_PAGE_SIZE,
        max_pages=MAX_SUITE_PAGES,
    )
    public_ids = [s.public_id for s in found if s.public_id]
    suites: list[AdoptedSuite] = []
    for public_id in dict.fromkeys(public_ids):
        try:
            suite = api.synthetics.get_suite(public_id, target=f"synthetics suite {public_id}")
        except NotFoundError:  # deleted between the search and the read
            continue
        outputs = outputs_of(suite, public_id)
        suites.append(
            AdoptedSuite(
                public_id=public_id,
                name=outputs["name"],
                message=outputs["message"],
                tags=outputs["tags"],
                tests=outputs["tests"],
                options=outputs["options"] or None,
            )
        )
    progress(f"suites: {len(suites)} read" + (f" (matching {query!r})" if query else " (all)"))
    return sorted(suites, key=lambda s: (s.name, s.public_id))
