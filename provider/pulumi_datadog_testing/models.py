"""Pydantic v2 models of the Datadog API bodies this package sends and receives.

One model per JSON:API body, with the exact ``type`` strings as ``Literal`` fields, so the
provider builds requests from types (never dict literals) and parses every response once; the
emulator validates incoming bodies with the same models. Field names are the API's.

Conventions:

- ``None`` means "omitted": request bodies are dumped with ``exclude_none=True`` (see
  ``DatadogClient.request``), which is exactly PATCH's "only provided fields are updated".
  ``False`` is a value and is always sent.
- Request models are strict (no ``"true"`` → ``True`` coercion) and reject empty identifiers,
  so bad input fails before any call; response models ignore unknown fields, so a newer API
  adding attributes never breaks parsing.
- ``WireModel.to_body()`` is the one way to turn a request into JSON-ready data (by alias,
  ``None`` omitted); the client's ``request(body=...)`` dumps the same way.
- Fields that have a Python default for convenience but are required on the wire (every
  request envelope's ``data.type``; a suite's ``type``/``options``/``tests``) are listed in
  ``WIRE_REQUIRED``; validating with ``context=WIRE_CONTEXT`` (the emulator does) rejects a
  body that omits them, exactly like the API.
- Sources: the seeds (wire format) and the official ``datadog-api-client`` 2.62 v2 models for
  the operations the seeds don't show (service settings get/delete, flaky-test management
  policies, suite create/get/put/delete/search).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .identity import (
    INHERITABLE_SETTINGS,
    SERVICE_SETTING_NAMES,
    FlakyState,
    ServiceSettingName,
)

__all__ = [
    "FLAKY_SORT_KEYS",
    "INHERITABLE_SETTINGS",
    "SERVICE_SETTING_NAMES",
    "WIRE_CONTEXT",
    "AlertingCriticality",
    "DeleteSuitesRequest",
    "DeleteSuitesRequestAttributes",
    "DeleteSuitesRequestData",
    "DeletedSuite",
    "DeletedSuiteAttributes",
    "DeletedSuitesResponse",
    "FlakySort",
    "FlakyTest",
    "FlakyTestAttributes",
    "FlakyTestBrief",
    "FlakyTestBriefsSearchResponse",
    "FlakyTestHistory",
    "FlakyTestPipelineStats",
    "FlakyTestRunMetadata",
    "FlakyTestStateChange",
    "FlakyTestStateOnly",
    "FlakyTestStateOnlyAttributes",
    "FlakyTestStatesOnlyResponse",
    "FlakyTestStats",
    "FlakyTestUpdateResult",
    "FlakyTestsManagementPolicies",
    "FlakyTestsManagementPoliciesData",
    "FlakyTestsManagementPoliciesGetRequest",
    "FlakyTestsManagementPoliciesGetRequestAttributes",
    "FlakyTestsManagementPoliciesGetRequestData",
    "FlakyTestsManagementPoliciesResponse",
    "FlakyTestsManagementPoliciesUpdateRequest",
    "FlakyTestsManagementPoliciesUpdateRequestData",
    "FlakyTestsSearchFilter",
    "FlakyTestsSearchMeta",
    "FlakyTestsSearchPage",
    "FlakyTestsSearchPagination",
    "FlakyTestsSearchRequest",
    "FlakyTestsSearchRequestAttributes",
    "FlakyTestsSearchRequestData",
    "FlakyTestsSearchResponse",
    "JsonPatchOperation",
    "NonEmptyStr",
    "PoliciesAttemptToFix",
    "PoliciesAutoDisableRule",
    "PoliciesAutoQuarantineRule",
    "PoliciesBranchRule",
    "PoliciesDisabled",
    "PoliciesDisabledFailureRateRule",
    "PoliciesDisabledStatus",
    "PoliciesQuarantined",
    "PoliciesQuarantinedFailureRateRule",
    "ServiceSettingFlags",
    "ServiceSettingName",
    "ServiceSettingsAttributes",
    "ServiceSettingsData",
    "ServiceSettingsDeleteRequest",
    "ServiceSettingsDeleteRequestData",
    "ServiceSettingsGetRequest",
    "ServiceSettingsGetRequestData",
    "ServiceSettingsIdentity",
    "ServiceSettingsResponse",
    "ServiceSettingsUpdate",
    "ServiceSettingsUpdateRequest",
    "ServiceSettingsUpdateRequestData",
    "SuiteJsonPatchRequest",
    "SuiteJsonPatchRequestAttributes",
    "SuiteJsonPatchRequestData",
    "SuiteOptions",
    "SuiteRequest",
    "SuiteRequestData",
    "SuiteTest",
    "SuitesSearchAttributes",
    "SuitesSearchData",
    "SuitesSearchResponse",
    "SyntheticsSuite",
    "SyntheticsSuiteData",
    "SyntheticsSuiteResponse",
    "UpdateFlakyTestsRequest",
    "UpdateFlakyTestsRequestAttributes",
    "UpdateFlakyTestsRequestData",
    "UpdateFlakyTestsResponse",
    "UpdateFlakyTestsResponseAttributes",
    "UpdateFlakyTestsResponseData",
    "WireModel",
]

NonEmptyStr = Annotated[str, Field(min_length=1)]
"""A string of at least one character (ids, names, queries)."""

WIRE_CONTEXT: Final = {"wire": True}
"""Validation context for bodies received over the wire: enforces ``WIRE_REQUIRED`` fields."""


def _on_the_wire(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("wire"))


class WireModel(BaseModel):
    """Base of every wire model: ``to_body()`` and the on-the-wire required-field check.

    ``defer_build``: a model's validator is built on first use, not at import — a preview
    that makes no API call never pays for the ~80 wire models (inherited by every subclass).
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)

    WIRE_REQUIRED: ClassVar[tuple[str, ...]] = ()
    """Fields with a Python default that a body received over the wire must still carry."""

    @model_validator(mode="before")
    @classmethod
    def _wire_required(cls, data: Any, info: ValidationInfo) -> Any:
        if cls.WIRE_REQUIRED and isinstance(data, dict) and _on_the_wire(info):
            for name in cls.WIRE_REQUIRED:
                if name not in data:
                    raise PydanticCustomError(
                        "wire_missing", "field required: {field}", {"field": name}
                    )
        return data

    def to_body(self) -> dict[str, Any]:
        """JSON-ready dict: aliases applied, ``None`` fields omitted, ``False`` kept."""
        body: dict[str, Any] = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        return body


class _Request(WireModel):
    """A body we send: strict types, unknown fields rejected."""

    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True)


class _RequestData(_Request):
    """A request envelope's ``data``: its ``type`` is required on the wire."""

    WIRE_REQUIRED = ("type",)


class _Response(WireModel):
    """A body we receive: unknown fields ignored (newer API versions add some)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _listify(value: Any) -> Any:
    """Accept a bare string where a list of strings is documented (seen in examples)."""
    return [value] if isinstance(value, str) else value


StrList = Annotated[list[str], BeforeValidator(_listify)]


# ------------------------------------------------------------ service settings


class ServiceSettingFlags(BaseModel):
    """Mixin: the six flags (``SERVICE_SETTING_NAMES``, in that order), each optional.

    List it first among the bases so the flags follow the other base's fields; that base's
    ``model_config`` applies.
    """

    auto_test_retries_enabled: bool | None = None
    code_coverage_enabled: bool | None = None
    early_flake_detection_enabled: bool | None = None
    failed_test_replay_enabled: bool | None = None
    pr_comments_enabled: bool | None = None
    test_impact_analysis_enabled: bool | None = None


class ServiceSettingsIdentity(_Request):
    """Which service: repository, service name and environment (``None`` → ``none``)."""

    repository_id: NonEmptyStr
    service_name: NonEmptyStr
    env: NonEmptyStr | None = None


class ServiceSettingsUpdate(ServiceSettingFlags, ServiceSettingsIdentity):
    """Attributes of a partial update: only the fields that are not ``None`` are sent."""

    auto_test_retries_enabled_inherit: bool | None = None
    code_coverage_enabled_inherit: bool | None = None
    early_flake_detection_enabled_inherit: bool | None = None
    failed_test_replay_enabled_inherit: bool | None = None
    test_impact_analysis_enabled_inherit: bool | None = None


class ServiceSettingsUpdateRequestData(_RequestData):
    type: Literal["test_optimization_update_service_settings_request"] = (
        "test_optimization_update_service_settings_request"
    )
    attributes: ServiceSettingsUpdate


class ServiceSettingsUpdateRequest(_Request):
    """Body of ``api.catalog.UPDATE_SERVICE_SETTINGS``."""

    data: ServiceSettingsUpdateRequestData

    @classmethod
    def of(cls, attributes: ServiceSettingsUpdate) -> ServiceSettingsUpdateRequest:
        return cls(data=ServiceSettingsUpdateRequestData(attributes=attributes))


class ServiceSettingsGetRequestData(_RequestData):
    type: Literal["test_optimization_get_service_settings_request"] = (
        "test_optimization_get_service_settings_request"
    )
    attributes: ServiceSettingsIdentity


class ServiceSettingsGetRequest(_Request):
    """Body of ``api.catalog.GET_SERVICE_SETTINGS``."""

    data: ServiceSettingsGetRequestData

    @classmethod
    def of(cls, identity: ServiceSettingsIdentity) -> ServiceSettingsGetRequest:
        return cls(data=ServiceSettingsGetRequestData(attributes=identity))


class ServiceSettingsDeleteRequestData(_RequestData):
    type: Literal["test_optimization_delete_service_settings_request"] = (
        "test_optimization_delete_service_settings_request"
    )
    attributes: ServiceSettingsIdentity


class ServiceSettingsDeleteRequest(_Request):
    """Body of the settings ``DELETE`` (answers 204; served by the emulator, never sent)."""

    data: ServiceSettingsDeleteRequestData

    @classmethod
    def of(cls, identity: ServiceSettingsIdentity) -> ServiceSettingsDeleteRequest:
        return cls(data=ServiceSettingsDeleteRequestData(attributes=identity))


class _ReportedService(_Response):
    """Which service a settings response is about (any part may be missing)."""

    repository_id: str | None = None
    service_name: str | None = None
    env: str | None = None


class ServiceSettingsAttributes(ServiceSettingFlags, _ReportedService):
    """A service's settings as the API reports them (values and whether each is overridden)."""

    auto_test_retries_enabled_is_overridden: bool | None = None
    code_coverage_enabled_is_overridden: bool | None = None
    early_flake_detection_enabled_is_overridden: bool | None = None
    failed_test_replay_enabled_is_overridden: bool | None = None
    test_impact_analysis_enabled_is_overridden: bool | None = None


class ServiceSettingsData(_Response):
    id: str | None = None
    type: Literal["test_optimization_service_settings"] = "test_optimization_service_settings"
    attributes: ServiceSettingsAttributes


class ServiceSettingsResponse(_Response):
    """Response of the settings PATCH and get."""

    data: ServiceSettingsData


# ------------------------------------------------------------------ flaky tests


FlakySort = Literal[
    "fqn", "-fqn",
    "first_flaked", "-first_flaked",
    "last_flaked", "-last_flaked",
    "failure_rate", "-failure_rate",
    "pipelines_failed", "-pipelines_failed",
    "pipelines_duration_lost", "-pipelines_duration_lost",
]  # fmt: skip
FLAKY_SORT_KEYS: Final = FlakySort.__args__  # type: ignore[attr-defined]


class FlakyTestsSearchFilter(_Request):
    query: str | None = None
    include_history: bool | None = None


class FlakyTestsSearchPage(_Request):
    cursor: str | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] | None = None


class FlakyTestsSearchRequestAttributes(_Request):
    filter: FlakyTestsSearchFilter | None = None
    page: FlakyTestsSearchPage | None = None
    sort: FlakySort | None = None
    include_history: bool | None = None
    """Where ``include_history`` lived before 2026-04 (now in ``filter``); both accepted."""


class FlakyTestsSearchRequestData(_Request):
    type: Literal["search_flaky_tests_request"] = "search_flaky_tests_request"
    attributes: FlakyTestsSearchRequestAttributes | None = None


class FlakyTestsSearchRequest(_Request):
    """Body of ``api.catalog.SEARCH_FLAKY_TESTS``."""

    data: FlakyTestsSearchRequestData | None = None

    @classmethod
    def of(
        cls,
        query: str,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        sort: FlakySort | None = None,
        include_history: bool | None = None,
    ) -> FlakyTestsSearchRequest:
        page = FlakyTestsSearchPage(cursor=cursor, limit=limit) if (limit or cursor) else None
        attrs = FlakyTestsSearchRequestAttributes(
            filter=FlakyTestsSearchFilter(query=query, include_history=include_history),
            page=page,
            sort=sort,
        )
        return cls(data=FlakyTestsSearchRequestData(attributes=attrs))


class FlakyTestPipelineStats(_Response):
    failed_pipelines: int | None = None
    total_lost_time_ms: int | None = None


class FlakyTestRunMetadata(_Response):
    duration_ms: int | None = None
    error_message: str | None = None
    error_stack: str | None = None
    source_end: int | None = None
    source_file: str | None = None
    source_start: int | None = None


class FlakyTestStats(_Response):
    failure_rate_pct: float | None = None


class FlakyTestHistory(_Response):
    commit_sha: str | None = None
    policy_id: str | None = None
    policy_meta: dict[str, Any] | None = None
    status: str | None = None
    timestamp: int | None = None


class FlakyTestAttributes(_Response):
    """What search reports about one flaky test."""

    attempt_to_fix_id: str | None = None
    codeowners: StrList | None = None
    envs: StrList | None = None
    first_flaked_branch: str | None = None
    first_flaked_sha: str | None = None
    first_flaked_ts: int | None = None
    flaky_category: str | None = None
    flaky_state: FlakyState | None = None
    history: list[FlakyTestHistory] | None = None
    impact_level: Literal["low", "medium", "high"] | None = None
    impact_score: float | None = None
    last_flaked_branch: str | None = None
    last_flaked_sha: str | None = None
    last_flaked_ts: int | None = None
    module: str | None = None
    name: str | None = None
    pipeline_stats: FlakyTestPipelineStats | None = None
    services: StrList | None = None
    suite: str | None = None
    test_run_metadata: FlakyTestRunMetadata | None = None
    test_stats: FlakyTestStats | None = None


class FlakyTest(_Response):
    id: str
    type: Literal["flaky_test"] = "flaky_test"
    attributes: FlakyTestAttributes = Field(default_factory=FlakyTestAttributes)


class FlakyTestsSearchPagination(_Response):
    next_page: str | None = None


class FlakyTestsSearchMeta(_Response):
    pagination: FlakyTestsSearchPagination | None = None


class _Brief(BaseModel):
    """Base of the brief search models: unknown fields ignored, and no ``mode="before"``
    validator (``WireModel`` has one), so the JSON parser skips what is not declared
    instead of building it as Python objects first."""

    model_config = ConfigDict(extra="ignore", defer_build=True)


class FlakyTestBriefAttributes(_Brief):
    """The attributes the state resources use. A search page parsed into these (the rest of
    each test skipped by the JSON parser) takes a fraction of the memory and time of full
    ``FlakyTestAttributes`` — what keeps a 20,000-test ``FlakyTestStates`` light."""

    flaky_state: FlakyState | None = None
    module: str | None = None
    suite: str | None = None
    name: str | None = None


class FlakyTestBrief(_Brief):
    id: str
    attributes: FlakyTestBriefAttributes = Field(default_factory=FlakyTestBriefAttributes)

    def as_test(self) -> FlakyTest:
        """This test as a ``FlakyTest`` with only these attributes (already validated): a
        copy of a blank one (``model_construct`` fills every default anew: 6× slower, for
        the 20,000 tests of a bulk read)."""
        attributes = self.attributes
        return _BLANK_TEST.model_copy(
            update={
                "id": self.id,
                "attributes": _BLANK_ATTRIBUTES.model_copy(
                    update={
                        "flaky_state": attributes.flaky_state,
                        "module": attributes.module,
                        "suite": attributes.suite,
                        "name": attributes.name,
                    }
                ),
            }
        )


_BLANK_ATTRIBUTES: Final = FlakyTestAttributes.model_construct()
_BLANK_TEST: Final = FlakyTest.model_construct(id="", attributes=_BLANK_ATTRIBUTES)


class FlakyTestBriefsSearchResponse(_Brief):
    r"""A search page read as ``FlakyTestBrief``\ s (see ``FlakyTestBriefAttributes``)."""

    data: list[FlakyTestBrief] = Field(default_factory=list)
    meta: FlakyTestsSearchMeta | None = None

    @property
    def next_page(self) -> str | None:
        return self.meta.pagination.next_page if self.meta and self.meta.pagination else None


class FlakyTestStateOnlyAttributes(_Brief):
    flaky_state: FlakyState | None = None


class FlakyTestStateOnly(_Brief):
    id: str
    attributes: FlakyTestStateOnlyAttributes = Field(default_factory=FlakyTestStateOnlyAttributes)


class FlakyTestStatesOnlyResponse(_Brief):
    """A search page read as ids and states only (a large set's reads: no name parts, no
    test model)."""

    data: list[FlakyTestStateOnly] = Field(default_factory=list)
    meta: FlakyTestsSearchMeta | None = None

    @property
    def next_page(self) -> str | None:
        return self.meta.pagination.next_page if self.meta and self.meta.pagination else None


class FlakyTestsSearchResponse(_Response):
    """One page of search results; ``meta.pagination.next_page`` is ``None`` on the last."""

    data: list[FlakyTest] = Field(default_factory=list)
    meta: FlakyTestsSearchMeta | None = None

    @property
    def next_page(self) -> str | None:
        return self.meta.pagination.next_page if self.meta and self.meta.pagination else None


class FlakyTestStateChange(_Request):
    id: NonEmptyStr
    new_state: FlakyState


class UpdateFlakyTestsRequestAttributes(_Request):
    tests: Annotated[list[FlakyTestStateChange], Field(min_length=1)]


class UpdateFlakyTestsRequestData(_RequestData):
    type: Literal["update_flaky_test_state_request"] = "update_flaky_test_state_request"
    attributes: UpdateFlakyTestsRequestAttributes


class UpdateFlakyTestsRequest(_Request):
    """Body of ``api.catalog.UPDATE_FLAKY_TEST_STATES`` (bulk state update)."""

    data: UpdateFlakyTestsRequestData

    @classmethod
    def of(cls, changes: dict[str, FlakyState]) -> UpdateFlakyTestsRequest:
        tests = [FlakyTestStateChange(id=i, new_state=s) for i, s in changes.items()]
        return cls(
            data=UpdateFlakyTestsRequestData(
                attributes=UpdateFlakyTestsRequestAttributes(tests=tests)
            )
        )


class FlakyTestUpdateResult(_Response):
    id: str
    success: bool
    error: str | None = None


class UpdateFlakyTestsResponseAttributes(_Response):
    has_errors: bool
    results: list[FlakyTestUpdateResult]


class UpdateFlakyTestsResponseData(_Response):
    id: str | None = None
    type: Literal["update_flaky_test_state_response"] = "update_flaky_test_state_response"
    attributes: UpdateFlakyTestsResponseAttributes


class UpdateFlakyTestsResponse(_Response):
    """Per-test outcome of a bulk update (200 even when some tests failed)."""

    data: UpdateFlakyTestsResponseData


# ------------------------------------------------ flaky tests management policies
# One set of classes serves both directions: as a request (PATCH) every field is optional
# and only the ones set are sent; as a response the API fills them in.

PoliciesDisabledStatus = Literal["active", "quarantined"]


class _Policy(WireModel):
    """Nested policy objects: strict types (they are request parts too), unknown fields ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")


class PoliciesAttemptToFix(_Policy):
    retries: Annotated[int, Field(gt=0)] | None = None
    """Retries when attempting to fix a flaky test; must be greater than 0."""


class PoliciesAutoQuarantineRule(_Policy):
    enabled: bool | None = None
    window_seconds: Annotated[int, Field(gt=0)] | None = None
    """Window over which flakiness is evaluated; must be greater than 0."""


class PoliciesAutoDisableRule(_Policy):
    enabled: bool | None = None
    status: PoliciesDisabledStatus | None = None
    window_seconds: Annotated[int, Field(gt=0)] | None = None


class PoliciesBranchRule(_Policy):
    enabled: bool | None = None
    branches: list[str] | None = None
    excluded_branches: list[str] | None = None
    excluded_test_services: list[str] | None = None


class PoliciesQuarantinedFailureRateRule(_Policy):
    enabled: bool | None = None
    branches: list[str] | None = None
    min_runs: Annotated[int, Field(ge=0)] | None = None
    threshold: Annotated[float, Field(ge=0, le=1, strict=False)] | None = None


class PoliciesDisabledFailureRateRule(PoliciesQuarantinedFailureRateRule):
    status: PoliciesDisabledStatus | None = None


class PoliciesQuarantined(_Policy):
    enabled: bool | None = None
    auto_quarantine_rule: PoliciesAutoQuarantineRule | None = None
    branch_rule: PoliciesBranchRule | None = None
    failure_rate_rule: PoliciesQuarantinedFailureRateRule | None = None


class PoliciesDisabled(_Policy):
    enabled: bool | None = None
    auto_disable_rule: PoliciesAutoDisableRule | None = None
    branch_rule: PoliciesBranchRule | None = None
    failure_rate_rule: PoliciesDisabledFailureRateRule | None = None


class FlakyTestsManagementPolicies(_Policy):
    """A repository's flaky-test management policies (request and response attributes)."""

    repository_id: NonEmptyStr
    attempt_to_fix: PoliciesAttemptToFix | None = None
    quarantined: PoliciesQuarantined | None = None
    disabled: PoliciesDisabled | None = None


class FlakyTestsManagementPoliciesGetRequestAttributes(_Request):
    repository_id: NonEmptyStr


class FlakyTestsManagementPoliciesGetRequestData(_RequestData):
    type: Literal["test_optimization_get_flaky_tests_management_policies_request"] = (
        "test_optimization_get_flaky_tests_management_policies_request"
    )
    attributes: FlakyTestsManagementPoliciesGetRequestAttributes


class FlakyTestsManagementPoliciesGetRequest(_Request):
    """Body of ``api.catalog.GET_FLAKY_TESTS_POLICIES``."""

    data: FlakyTestsManagementPoliciesGetRequestData

    @classmethod
    def of(cls, repository_id: str) -> FlakyTestsManagementPoliciesGetRequest:
        attrs = FlakyTestsManagementPoliciesGetRequestAttributes(repository_id=repository_id)
        return cls(data=FlakyTestsManagementPoliciesGetRequestData(attributes=attrs))


class FlakyTestsManagementPoliciesUpdateRequestData(_RequestData):
    type: Literal["test_optimization_update_flaky_tests_management_policies_request"] = (
        "test_optimization_update_flaky_tests_management_policies_request"
    )
    attributes: FlakyTestsManagementPolicies


class FlakyTestsManagementPoliciesUpdateRequest(_Request):
    """Body of ``api.catalog.UPDATE_FLAKY_TESTS_POLICIES`` (partial update)."""

    data: FlakyTestsManagementPoliciesUpdateRequestData

    @classmethod
    def of(
        cls, attributes: FlakyTestsManagementPolicies
    ) -> FlakyTestsManagementPoliciesUpdateRequest:
        return cls(data=FlakyTestsManagementPoliciesUpdateRequestData(attributes=attributes))


class _PoliciesResponseAttributes(FlakyTestsManagementPolicies):
    model_config = ConfigDict(strict=False, extra="ignore")

    repository_id: str | None = None  # type: ignore[assignment]


class FlakyTestsManagementPoliciesData(_Response):
    id: str | None = None
    type: Literal["test_optimization_flaky_tests_management_policies"] = (
        "test_optimization_flaky_tests_management_policies"
    )
    attributes: _PoliciesResponseAttributes


class FlakyTestsManagementPoliciesResponse(_Response):
    """Response of the policies get and PATCH."""

    data: FlakyTestsManagementPoliciesData


# ------------------------------------------------------------- synthetics suites

AlertingCriticality = Literal["ignore", "critical"]


class SuiteTest(WireModel):
    """A Synthetic test in a suite."""

    model_config = ConfigDict(extra="ignore")

    public_id: NonEmptyStr
    alerting_criticality: AlertingCriticality | None = None


class SuiteOptions(WireModel):
    model_config = ConfigDict(extra="ignore")

    alerting_threshold: Annotated[float, Field(ge=0, le=1)] | None = None


class SyntheticsSuite(WireModel):
    """A suite's attributes (request body of create/PUT; response body with server fields)."""

    model_config = ConfigDict(extra="ignore")
    WIRE_REQUIRED = ("type", "options", "tests")

    type: Literal["suite"] = "suite"
    name: NonEmptyStr
    message: str | None = None
    options: SuiteOptions = Field(default_factory=SuiteOptions)
    tests: list[SuiteTest] = Field(default_factory=list)
    tags: list[str] | None = None
    # Set by the server:
    public_id: str | None = None
    monitor_id: int | None = None
    created_at: str | None = None
    modified_at: str | None = None
    created_by: Any | None = None
    modified_by: Any | None = None
    org_id: int | None = None
    version: int | None = None
    version_uuid: str | None = None

    SERVER_FIELDS: ClassVar[tuple[str, ...]] = (
        "public_id", "monitor_id", "created_at", "modified_at", "created_by",
        "modified_by", "org_id", "version", "version_uuid",
    )  # fmt: skip

    def desired(self) -> SyntheticsSuite:
        """A copy without the server-set fields (what a create/PUT sends)."""
        return self.model_copy(update={name: None for name in self.SERVER_FIELDS})


class SuiteRequestData(WireModel):
    model_config = ConfigDict(extra="forbid")
    WIRE_REQUIRED = ("type",)

    type: Literal["suites"] = "suites"
    attributes: SyntheticsSuite


class SuiteRequest(WireModel):
    """Body of ``api.catalog.CREATE_SUITE`` (and of the suite ``PUT``)."""

    model_config = ConfigDict(extra="forbid")

    data: SuiteRequestData

    @classmethod
    def of(cls, suite: SyntheticsSuite) -> SuiteRequest:
        return cls(data=SuiteRequestData(attributes=suite.desired()))


class SyntheticsSuiteData(_Response):
    id: str | None = None
    type: Literal["suites"] = "suites"
    attributes: SyntheticsSuite


class SyntheticsSuiteResponse(_Response):
    """Response of suite create, get, PUT and JSON Patch."""

    data: SyntheticsSuiteData


JsonPatchOp = Literal["add", "remove", "replace", "move", "copy", "test"]
_NO_VALUE: Final = object()


class JsonPatchOperation(WireModel):
    """One RFC 6902 operation. Serializes to exactly the RFC shape: ``value`` only for
    add/replace/test (even when ``null``), ``from`` only for move/copy."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    op: JsonPatchOp
    path: str
    value: Any = None
    from_: str | None = Field(default=None, alias="from")

    @model_validator(mode="before")
    @classmethod
    def _value_on_the_wire(cls, data: Any, info: ValidationInfo) -> Any:
        if (
            _on_the_wire(info)
            and isinstance(data, dict)
            and data.get("op") in ("add", "replace", "test")
            and "value" not in data
        ):
            raise PydanticCustomError("wire_missing", "field required: {field}", {"field": "value"})
        return data

    @model_validator(mode="after")
    def _check_shape(self) -> JsonPatchOperation:
        if self.path and not self.path.startswith("/"):
            raise ValueError(f"path {self.path!r} must be a JSON Pointer starting with '/'")
        if self.op in ("move", "copy") and self.from_ is None:
            raise ValueError(f"'{self.op}' needs a 'from' JSON Pointer")
        return self

    @model_serializer
    def _rfc_shape(self) -> dict[str, Any]:
        body: dict[str, Any] = {"op": self.op, "path": self.path}
        if self.op in ("add", "replace", "test"):
            body["value"] = self.value
        if self.op in ("move", "copy"):
            body["from"] = self.from_
        return body


class SuiteJsonPatchRequestAttributes(WireModel):
    model_config = ConfigDict(extra="forbid")

    json_patch: list[JsonPatchOperation]


class SuiteJsonPatchRequestData(WireModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["suites_json_patch"] = "suites_json_patch"
    attributes: SuiteJsonPatchRequestAttributes


class SuiteJsonPatchRequest(WireModel):
    """Body of ``api.catalog.PATCH_SUITE``."""

    model_config = ConfigDict(extra="forbid")

    data: SuiteJsonPatchRequestData

    @classmethod
    def of(
        cls, operations: list[dict[str, Any]] | list[JsonPatchOperation]
    ) -> SuiteJsonPatchRequest:
        ops = [JsonPatchOperation.model_validate(o) for o in operations]
        return cls(
            data=SuiteJsonPatchRequestData(
                attributes=SuiteJsonPatchRequestAttributes(json_patch=ops)
            )
        )


class DeleteSuitesRequestAttributes(_Request):
    public_ids: Annotated[list[NonEmptyStr], Field(min_length=1)]
    force_delete_dependencies: bool | None = None


class DeleteSuitesRequestData(_Request):
    type: Literal["delete_suites_request"] = "delete_suites_request"
    id: str | None = None
    attributes: DeleteSuitesRequestAttributes


class DeleteSuitesRequest(_Request):
    """Body of ``api.catalog.DELETE_SUITES``."""

    data: DeleteSuitesRequestData

    @classmethod
    def of(cls, public_ids: list[str]) -> DeleteSuitesRequest:
        attrs = DeleteSuitesRequestAttributes(public_ids=public_ids)
        return cls(data=DeleteSuitesRequestData(attributes=attrs))


class DeletedSuiteAttributes(_Response):
    public_id: str | None = None
    deleted_at: str | None = None


class DeletedSuite(_Response):
    id: str | None = None
    type: Literal["suites"] = "suites"
    attributes: DeletedSuiteAttributes


class DeletedSuitesResponse(_Response):
    data: list[DeletedSuite] = Field(default_factory=list)


class SuitesSearchAttributes(_Response):
    suites: list[SyntheticsSuite] = Field(default_factory=list)
    total: int | None = None
    facets: list[Any] | None = None


class SuitesSearchData(_Response):
    id: str | None = None
    type: Literal["suites_search"] = "suites_search"
    attributes: SuitesSearchAttributes


class SuitesSearchResponse(_Response):
    """Answer of ``api.catalog.SEARCH_SUITES``."""

    data: SuitesSearchData
