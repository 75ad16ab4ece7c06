"""``SyntheticsSuite``: a Datadog Synthetics test suite, updated by minimal, guarded JSON Patch.

Wire calls (``api.synthetics``, endpoints in ``api.catalog``):

- **create** ``create_suite``. The POST is not repeatable, so when its answer is lost (timeout,
  dropped connection, 5xx) the provider looks for the suite it may have created before
  trying again (``_CreateRecovery``): ``search_suites`` by name, keeping suites whose name
  is exactly the desired one, whose managed fields all equal the desired values and that
  were created at most ``RECENT_WINDOW`` before the POST. One → adopted (no duplicate);
  none → the POST is sent again; several → an error naming them (nothing adopted blindly).
- **read** ``get_suite``; 404 → gone (empty id: refresh drops it from state). A
  refresh also makes Datadog's values of the *declared* fields (output ``managed_paths``
  records which: fields, per-test keys, option keys) the inputs in state, so the next preview
  names each drifted property (``~ tags: [...] => [...]``) and ``up`` puts the declared values
  back with the guarded minimal patch.
- **update** ``patch_suite`` with ``suite_patch.make_patch(old outputs, new
  inputs)``: only changed paths, ``test`` guards first. When a guard fails (the suite was
  edited outside Pulumi since the last refresh) the API rejects the whole patch and the update
  fails with ``suite <public_id> changed outside Pulumi — run `pulumi refresh```; nothing
  changes. A lost PATCH answer is resolved by reading the suite back (applied → adopted; not
  applied → sent again).
- **delete** ``delete_suites``; a suite already gone is not an error.

Inputs (checked before any call): ``name`` and ``tests`` are required; ``message``, ``tags``,
``options`` and a test's ``alerting_criticality`` are optional and **unset means not
managed**: never sent, never diffed, whatever Datadog holds is kept. ``tags`` is a set (check
sorts and de-duplicates it); ``tests`` is keyed by ``public_id`` (order is not significant,
a duplicate is an error). Outputs are Datadog's values as of the last create, refresh, or
update of that field (``tags`` in the order Datadog stores them, ``None`` for a field Datadog
does not return) plus ``public_id`` and ``monitor_id``. An update records Datadog's answer only
for the fields its patch wrote, so an edit made outside Pulumi to another field is still
caught by a later update's guard until ``pulumi refresh`` records it.

Adoption — managing a suite that already exists, keeping its ``public_id``:

- ``public_id="abc-def-ghi"`` as an input: **create adopts** that suite instead of making
  one. It reads the suite (``GET``; 404 → an error, nothing created), sends a guarded patch
  only for the declared fields that differ (none: no write at all), and records the suite's
  writable fields as they were in the output ``adopted``. From then on the suite is managed
  like any other. **delete puts an adopted suite back** as recorded in ``adopted`` (a guarded
  patch of the fields that changed since; no call when none did) and never deletes it, since
  Pulumi did not create it. Changing ``public_id`` replaces the resource (the new suite is
  adopted, the old one restored); removing it leaves the adopted suite managed.
- ``SyntheticsSuite.get(name, public_id)`` / ``ResourceOptions(id=...)`` reads a suite
  without managing it (read-only). ``ResourceOptions(import_=...)`` does not work for
  dynamic providers (the SDK's ``Read`` needs the pickled provider, which an import does
  not have).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from ..errors import (
    BadRequestError,
    ConflictError,
    DatadogAPIError,
    DatadogError,
    NotFoundError,
    SuiteAdoptionError,
    SuiteChangedError,
)
from ..identity import quote_query_value
from ..suite_patch import describe_patch, make_patch
from ._base import (
    DatadogResourceProvider,
    check_inputs,
    has_unknowns,
    refreshed,
    strip_provider,
    unchanged,
)
from ._lazy import lazy_exports
from .synthetics_suite_resource import (  # the program side, re-exported here
    ADOPTED,
    OUTPUTS,
    SyntheticsSuite,
    SyntheticsSuiteArgs,
    SyntheticsSuiteOptionsArgs,
    SyntheticsSuiteTestArgs,
)

__all__ = [
    "ADOPTED",
    "FIELDS",
    "OUTPUTS",
    "OUTPUT_FIELDS",
    "RECENT_WINDOW",
    "SuiteInputs",
    "SyntheticsSuite",
    "SyntheticsSuiteArgs",
    "SyntheticsSuiteOptionsArgs",
    "SyntheticsSuiteProvider",
    "SyntheticsSuiteTestArgs",
    "identical_suites",
    "updated_outputs",
]

if TYPE_CHECKING:
    from ..models import SyntheticsSuite as SuiteDocument
    from ..models import SyntheticsSuiteResponse
    from ._synthetics_suite_inputs import SuiteInputs

logger = logging.getLogger(__name__)

_MODELS: Final = f"{__package__}._synthetics_suite_inputs"
"""Where the input models live (loaded on first use: see ``__getattr__``)."""


__getattr__ = lazy_exports(
    __name__, _MODELS, ("SuiteInputs", "SuiteTestInput", "SuiteOptionsInput", "Tag")
)
"""The input models, importable from here as before, loaded only when used (``_lazy``)."""


FIELDS: Final = ("name", "message", "tags", "tests", "options")
"""The suite fields a user manages (input properties, also kept in the outputs)."""
OUTPUT_FIELDS: Final = (*FIELDS, "public_id", "monitor_id")
"""Every output property Datadog's answer sets."""

RECENT_WINDOW: Final = timedelta(minutes=10)
"""How long before a lost create a suite's ``created_at`` may lie for it to be adopted as
the one that create made (covers clock skew between this machine and Datadog)."""
SEARCH_SETTLE_ATTEMPTS: Final = 3
SEARCH_SETTLE_SECONDS: Final = 2.0
"""Search may lag a create: the lookup is repeated this many times, this far apart, before
concluding that the lost create did not happen (and sending it again)."""

_sleep: Callable[[float], None] = time.sleep

_TEST_OP_FAILED = re.compile(r"\btest\b.*\bfail|\bfail\w*\b.*\btest\b", re.IGNORECASE)


# ----------------------------------------------------------------------------- inputs

# ------------------------------------------------------------------ documents and diffs


MANAGED_PATHS: Final = "managed_paths"
"""Output: which fields, per-test keys (``tests/<public_id>/<key>``) and option keys
(``options/<key>``) the inputs declare — what a refresh reports back as inputs."""


def managed_paths(inputs: Mapping[str, Any]) -> list[str]:
    """The declared paths of validated suite ``inputs`` (see ``MANAGED_PATHS``)."""
    paths = [k for k in FIELDS if inputs.get(k) is not None]
    for test in inputs.get("tests") or []:
        paths += [f"tests/{test['public_id']}/{k}" for k in test if k != "public_id"]
    paths += [f"options/{k}" for k in inputs.get("options") or {}]
    return paths


def refreshed_inputs(outputs: Mapping[str, Any], paths: Sequence[str]) -> dict[str, Any]:
    """Datadog's values (``outputs``) in the shape of the declared inputs (``paths``): the
    inputs a refresh records, so the engine diffs them against the program's per property.
    A test added outside Pulumi is reported whole."""
    declared = set(paths)
    inputs: dict[str, Any] = {}
    for field in FIELDS:
        value = outputs.get(field)
        if field not in declared or value is None:
            continue
        if field == "tags":
            value = sorted(set(value))
        elif field == "tests":
            value = [_declared_test(test, declared) for test in value]
        elif field == "options":
            value = {k: v for k, v in value.items() if f"options/{k}" in declared}
        inputs[field] = value
    return inputs


def _declared_test(test: Mapping[str, Any], declared: set[str]) -> dict[str, Any]:
    public_id = test.get("public_id")
    known = any(p.startswith(f"tests/{public_id}/") for p in declared)
    return {
        k: v
        for k, v in test.items()
        if k == "public_id" or not known or f"tests/{public_id}/{k}" in declared
    }


def outputs_of(suite: SuiteDocument, public_id: str) -> dict[str, Any]:
    """Resource outputs from a suite as Datadog returned it."""
    return {
        "name": suite.name,
        "message": suite.message,
        "tags": list(suite.tags) if suite.tags is not None else None,
        "tests": [t.to_body() for t in suite.tests],
        "options": suite.options.to_body(),
        "public_id": suite.public_id or public_id,
        "monitor_id": suite.monitor_id,
    }


def server_document(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The writable suite fields recorded in ``outputs`` (absent/``None`` fields omitted)."""
    return {k: outputs[k] for k in FIELDS if outputs.get(k) is not None}


def desired_documents(
    outputs: Mapping[str, Any], inputs: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(old, new)`` suite documents for ``make_patch``, restricted to what the inputs manage.

    A field missing from ``inputs`` is not managed (left out of both). A test's
    ``alerting_criticality`` and an ``options`` key that the inputs leave unset keep
    Datadog's value, so they never show up as changes.
    """
    current = server_document(outputs)
    managed = [k for k in FIELDS if inputs.get(k) is not None]
    old = {k: current[k] for k in managed if k in current}
    new: dict[str, Any] = {k: inputs[k] for k in managed}
    if "tests" in new:
        old_tests = {t.get("public_id"): t for t in current.get("tests") or []}
        new["tests"] = [{**_unmanaged(old_tests.get(t["public_id"])), **t} for t in new["tests"]]
    if "options" in new:
        new["options"] = {**(current.get("options") or {}), **new["options"]}
    return old, new


def _unmanaged(old_test: Mapping[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (old_test or {}).items() if k != "public_id"}


def patch_for(
    public_id: str, outputs: Mapping[str, Any], inputs: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The guarded minimal patch from the suite in ``outputs`` to ``inputs``."""
    old, new = desired_documents(outputs, inputs)
    try:
        return make_patch(old, new)
    except ValueError as exc:  # only Datadog's copy can still hold a duplicate test
        raise DatadogError(
            f"suite {public_id}: Datadog's copy lists a test twice ({exc}); remove the "
            "duplicate in Datadog, then run `pulumi refresh`"
        ) from None


def changed_properties(outputs: Mapping[str, Any], inputs: Mapping[str, Any]) -> list[str]:
    """Input properties whose desired value differs from ``outputs`` (unknowns: changed)."""
    unknown = [k for k in FIELDS if k in inputs and has_unknowns(inputs[k])]
    known = {k: v for k, v in inputs.items() if k not in unknown}
    old, new = desired_documents(outputs, known)
    try:
        patch = make_patch(old, new)
    except ValueError:
        patch = [{"op": "replace", "path": "/tests"}]
    touched = {op["path"].split("/")[1] for op in patch if op["op"] != "test"}
    return [k for k in FIELDS if k in touched or k in unknown]


def updated_outputs(
    olds: Mapping[str, Any], written: Mapping[str, Any], patch: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Outputs after ``patch``: Datadog's values for the fields it wrote (and the server-set
    ones), the previous outputs for the others. So an edit made outside Pulumi to a field
    this update did not touch is still caught by the guard of a later update, until a
    refresh records it."""
    touched = {str(op["path"]).split("/")[1] for op in patch if op.get("op") != "test"}
    return {
        k: written.get(k) if k in touched or k not in FIELDS else olds.get(k) for k in OUTPUT_FIELDS
    }


def guards_hold(document: Mapping[str, Any], patch: Sequence[Mapping[str, Any]]) -> bool:
    """Whether every ``test`` op of ``patch`` passes against ``document``."""
    import jsonpatch  # provider side only: the program process never loads it
    import jsonpointer

    tests = [dict(op) for op in patch if op.get("op") == "test"]
    try:
        jsonpatch.JsonPatch(tests).apply(dict(document))
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException):
        return False
    return True


def _tag_set(inputs: dict[str, Any]) -> dict[str, Any]:
    """``inputs`` with ``tags`` sorted and de-duplicated, as check makes them (when they are
    all strings: anything else is left for check to judge)."""
    tags = inputs.get("tags")
    if isinstance(tags, list) and all(isinstance(tag, str) for tag in tags):
        return {**inputs, "tags": sorted(set(tags))}
    return inputs


def _created_at(suite: SuiteDocument) -> datetime | None:
    if not suite.created_at:
        return None
    try:
        parsed = datetime.fromisoformat(suite.created_at)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _with_adopted(outputs: dict[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """``outputs`` carrying ``props``' ``adopted`` record over (when it has one)."""
    adopted = props.get(ADOPTED)
    return {**outputs, ADOPTED: adopted} if isinstance(adopted, Mapping) else outputs


# ----------------------------------------------------------------------------- provider


class SyntheticsSuiteProvider(DatadogResourceProvider):
    """Dynamic provider of ``SyntheticsSuite`` (see the module docstring for the semantics)."""

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        ignore = (*OUTPUTS, *(() if news.get("public_id") is not None else ("public_id",)))
        old = {k: v for k, v in strip_provider(olds).items() if k not in ignore}
        new = {k: v for k, v in strip_provider(news).items() if k not in ignore}
        if (result := unchanged(old, _tag_set(new))) is not None:
            return result
        from ._synthetics_suite_inputs import SuiteInputs

        _, result = check_inputs(SuiteInputs, news, ignore=ignore)
        return result

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds, news = strip_provider(olds), strip_provider(news)
        changes = changed_properties(olds, news)
        wanted = news.get("public_id")
        # A declared public_id names the suite to adopt: another one is another suite.
        replaces = ["public_id"] if wanted is not None and wanted != olds.get("public_id") else []
        return DiffResult(
            changes=bool(changes or replaces),
            replaces=replaces,
            stables=["monitor_id", *([] if replaces else ["public_id"])],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        from ._synthetics_suite_inputs import SuiteInputs

        inputs = SuiteInputs.model_validate(
            {k: v for k, v in strip_provider(props).items() if k in (*FIELDS, "public_id")}
        )
        inputs_dump = inputs.model_dump(mode="json", exclude_none=True)
        if inputs.public_id is not None:
            return self._adopt(inputs.public_id, strip_provider(props), inputs_dump)
        recovery = _CreateRecovery(self, inputs, datetime.now(UTC))
        response = self.api.synthetics.create_suite(
            inputs.document(), recover=recovery, target=f"synthetics suite {inputs.name!r}"
        )
        public_id = response.data.attributes.public_id or response.data.id
        if not public_id:
            raise DatadogError(
                f"creating synthetics suite {inputs.name!r}: Datadog answered without a "
                "public_id; check Datadog for the suite and adopt it with SyntheticsSuite.get"
            )
        logger.info("created synthetics suite %s (%r)", public_id, inputs.name)
        outputs = outputs_of(response.data.attributes, public_id)
        return CreateResult(public_id, {**outputs, MANAGED_PATHS: managed_paths(inputs_dump)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        suite = self._get(id_)
        if suite is None:
            logger.info("synthetics suite %s is gone", id_)
            return ReadResult("", {})
        outputs = _with_adopted(outputs_of(suite, id_), props)
        paths = props.get(MANAGED_PATHS)
        if not isinstance(paths, list):  # SyntheticsSuite.get, or a state written before it
            return ReadResult(id_, outputs)
        inputs = refreshed_inputs(outputs, [str(p) for p in paths])
        if ADOPTED in outputs:  # an adopted suite keeps declaring which suite it is
            inputs["public_id"] = id_
        return refreshed(id_, props, {**outputs, MANAGED_PATHS: paths}, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        olds, news = strip_provider(olds), strip_provider(news)
        patch = patch_for(id_, olds, news)
        if not patch:
            unchanged = {k: olds.get(k) for k in OUTPUT_FIELDS}
            return UpdateResult(
                _with_adopted({**unchanged, MANAGED_PATHS: managed_paths(news)}, olds)
            )
        logger.info("patching synthetics suite %s: %s", id_, "; ".join(describe_patch(patch)))
        try:
            response = self.api.synthetics.patch_suite(
                id_,
                patch,
                recover=lambda: self._recover_patch(id_, patch, news),
                target=f"synthetics suite {id_}",
            )
        except (BadRequestError, ConflictError) as exc:
            if self._guard_failed(id_, patch, exc):
                raise SuiteChangedError(id_) from None
            raise
        written = outputs_of(response.data.attributes, id_)
        outputs = {**updated_outputs(olds, written, patch), MANAGED_PATHS: managed_paths(news)}
        return UpdateResult(_with_adopted(outputs, olds))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        adopted = props.get(ADOPTED)
        if isinstance(adopted, Mapping):
            self._restore(id_, strip_provider(props), adopted)
            return
        try:
            self.api.synthetics.delete_suites([id_], target=f"synthetics suite {id_}")
        except NotFoundError:
            logger.info("synthetics suite %s was already deleted", id_)

    # -------------------------------------------------------------------- internals

    def _adopt(
        self, public_id: str, props: Mapping[str, Any], inputs: Mapping[str, Any]
    ) -> CreateResult:
        """Create by adopting the existing suite ``public_id``: no write unless the declared
        fields differ from Datadog's; its fields as found are recorded for delete."""
        suite = self._get(public_id)
        if suite is None:
            raise DatadogError(
                f"synthetics suite {public_id} does not exist in Datadog, so it cannot be "
                "adopted; remove `public_id` to create a new suite"
            )
        found = outputs_of(suite, public_id)
        adopted = server_document(found)
        news = {k: props.get(k) for k in FIELDS}
        if patch_for(public_id, found, news):
            logger.info("adopting synthetics suite %s and updating it", public_id)
            written = self.update(public_id, found, news).outs or found
        else:
            logger.info("adopting synthetics suite %s unchanged", public_id)
            written = found
        return CreateResult(
            public_id, {**written, MANAGED_PATHS: managed_paths(inputs), ADOPTED: adopted}
        )

    def _restore(
        self, public_id: str, props: Mapping[str, Any], adopted: Mapping[str, Any]
    ) -> None:
        """Delete of an adopted suite: put its adopted fields back (it is not deleted); no
        call when nothing changed since it was adopted."""
        restore = {k: adopted[k] for k in FIELDS if adopted.get(k) is not None}
        if not patch_for(public_id, props, restore):
            return
        logger.info("restoring adopted synthetics suite %s as it was adopted", public_id)
        try:
            self.update(public_id, dict(props), restore)
        except NotFoundError:
            logger.info("adopted synthetics suite %s is already gone", public_id)

    def _get(self, public_id: str) -> SuiteDocument | None:
        """The suite as Datadog has it now, ``None`` if it does not exist."""
        try:
            return self.api.synthetics.get_suite(public_id, target=f"synthetics suite {public_id}")
        except NotFoundError:
            return None

    def _guard_failed(
        self, public_id: str, patch: list[dict[str, Any]], error: DatadogAPIError
    ) -> bool:
        """After a rejected patch: did it fail because a guard no longer holds?

        Decided by evaluating the guards against the suite as it is now, so it does not
        depend on Datadog's error wording; only when the suite cannot be read back does the
        error text decide (a failed ``test`` op).
        """
        try:
            current = self._get(public_id)
        except DatadogAPIError:
            return any(_TEST_OP_FAILED.search(text) for text in error.errors)
        if current is None:  # deleted meanwhile: the original error stands
            return False
        return not guards_hold(server_document(outputs_of(current, public_id)), patch)

    def _recover_patch(
        self, public_id: str, patch: list[dict[str, Any]], inputs: Mapping[str, Any]
    ) -> SyntheticsSuiteResponse | None:
        """After a lost PATCH answer: applied → the suite now; not applied → ``None`` (resend)."""
        current = self._get(public_id)
        if current is None:
            raise DatadogError(
                f"suite {public_id} was deleted outside Pulumi during the update — run "
                "`pulumi refresh`"
            )
        outputs = outputs_of(current, public_id)
        if not patch_for(public_id, outputs, inputs):
            from ..models import SyntheticsSuiteResponse

            return SyntheticsSuiteResponse.model_validate(
                {"data": {"id": public_id, "attributes": current}}
            )
        if guards_hold(server_document(outputs), patch):
            return None
        raise SuiteChangedError(public_id)

    def _search(self, name: str) -> Iterator[SuiteDocument]:
        """Suites whose name is exactly ``name`` (search is fuzzy; filtered here)."""
        found = self.api.synthetics.search_suites(
            quote_query_value(name), target=f"synthetics suites named {name!r}"
        )
        return (suite for suite in found if suite.name == name)


@dataclass
class _CreateRecovery:
    """``recover=`` of a create POST: the suite that POST made, if it made one."""

    provider: SyntheticsSuiteProvider
    inputs: SuiteInputs
    started: datetime

    def __call__(self) -> SyntheticsSuiteResponse | None:
        for attempt in range(SEARCH_SETTLE_ATTEMPTS):
            if attempt:
                _sleep(SEARCH_SETTLE_SECONDS)
            found = self._candidates()
            if len(found) > 1:
                ids = ", ".join(sorted(s.public_id or "?" for s in found))
                raise SuiteAdoptionError(
                    f"creating synthetics suite {self.inputs.name!r}: the answer was lost and "
                    f"{len(found)} identical suites were created just now ({ids}), so Pulumi "
                    "cannot tell which one it made and adopted none; delete the one(s) this "
                    "stack made in Datadog, then run `pulumi up` again"
                )
            if found:
                public_id = found[0].public_id or ""
                logger.info("adopting synthetics suite %s made by the lost create", public_id)
                suite = self.provider._get(public_id)
                if suite is None:  # deleted in between: create it again
                    return None
                from ..models import SyntheticsSuiteResponse

                return SyntheticsSuiteResponse.model_validate(
                    {"data": {"id": public_id, "attributes": suite}}
                )
        return None

    def _candidates(self) -> list[SuiteDocument]:
        return identical_suites(self.provider, self.inputs, since=self.started - RECENT_WINDOW)


def identical_suites(
    provider: SyntheticsSuiteProvider, inputs: SuiteInputs, *, since: datetime | None = None
) -> list[SuiteDocument]:
    """Suites named exactly ``inputs.name`` whose managed values are the declared ones (made
    ``since`` then, when given): what a create of ``inputs`` would have made."""
    desired = inputs.model_dump(mode="json", exclude_none=True)
    matches = []
    for suite in provider._search(inputs.name):
        if not suite.public_id:
            continue
        created = _created_at(suite)
        if since is not None and created is not None and created < since:
            continue
        old, new = desired_documents(outputs_of(suite, suite.public_id), desired)
        try:
            identical = not make_patch(old, new)
        except ValueError:  # a suite listing a test twice is not the one we sent
            identical = False
        if identical:
            matches.append(suite)
    return matches
