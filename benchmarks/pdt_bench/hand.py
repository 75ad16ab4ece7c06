"""The hand-written alternative: a plain ``datadog-api-client`` script applying the same
changes as the benchmarked stack, batched as a careful user would batch them.

    python -m pdt_bench.hand PHASE --count N --mix MIX --ids-file F --state F [--threads K]
                                   [--touch KIND]

``PHASE`` is one of the stack's phases. The script keeps what it applied (and every prior
value) in ``--state`` (a JSON file), as Pulumi keeps its state, and reads the API the way
the provider does — priors before the first write, so destroy can put them back:

- ``create``: service settings and policies: one get (prior) + one ``PATCH`` each; suites:
  one ``POST`` each; flaky tests of *all* resources together: one search per query of up to
  ``minimums.MAX_QUERY_CHARS`` characters (``page.limit`` 1,000) for their prior states, then one
  bulk ``PATCH`` per ``minimums.HAND_CHUNK`` tests.
- ``preview``: compares the desired resources with the state: no call.
- ``refresh``: one get per settings/policies/suite, the flaky searches.
- ``update``: one write per changed resource (the benchmark changes one field).
- ``destroy``: settings and policies restored (one ``PATCH`` each), all suites in one
  bulk delete, flaky tests restored in ``CHUNK``-test ``PATCH``\\ es.

``--threads K`` runs independent calls ``K`` at a time (one shared client); 1 is strictly
sequential. ``hand_calls`` (``minimums.py``) counts the calls this script makes; the
benchmark checks the emulator's call log against it. Configuration comes from the
environment the emulator gives programs (``DD_HOST``, ``DD_API_KEY``, ``DD_APP_KEY``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

from datadog_api_client import ApiClient, Configuration
from datadog_api_client.exceptions import NotFoundException
from datadog_api_client.v2.api.synthetics_api import SyntheticsApi
from datadog_api_client.v2.api.test_optimization_api import TestOptimizationApi
from datadog_api_client.v2.model.deleted_suites_request_delete_request import (
    DeletedSuitesRequestDeleteRequest,
)
from datadog_api_client.v2.model.flaky_tests_search_request import FlakyTestsSearchRequest
from datadog_api_client.v2.model.suite_create_edit_request import SuiteCreateEditRequest
from datadog_api_client.v2.model.suite_json_patch_request import SuiteJsonPatchRequest
from datadog_api_client.v2.model.test_optimization_flaky_tests_management_policies_get_request import (
    TestOptimizationFlakyTestsManagementPoliciesGetRequest as PoliciesGet,
)
from datadog_api_client.v2.model.test_optimization_flaky_tests_management_policies_update_request import (
    TestOptimizationFlakyTestsManagementPoliciesUpdateRequest as PoliciesUpdate,
)
from datadog_api_client.v2.model.test_optimization_get_service_settings_request import (
    TestOptimizationGetServiceSettingsRequest as SettingsGet,
)
from datadog_api_client.v2.model.test_optimization_update_service_settings_request import (
    TestOptimizationUpdateServiceSettingsRequest as SettingsUpdate,
)
from datadog_api_client.v2.model.update_flaky_tests_request import UpdateFlakyTestsRequest

from .minimums import HAND_CHUNK as CHUNK
from .minimums import flaky_queries
from .shape import Kind, Spec, bulk_spec, kinds_of, specs

__all__ = ["Hand", "main"]

PAGE_LIMIT: Final = 1000
"""The search's largest ``page.limit``."""
SETTINGS: Final = (
    "auto_test_retries_enabled",
    "code_coverage_enabled",
    "early_flake_detection_enabled",
    "failed_test_replay_enabled",
    "pr_comments_enabled",
    "test_impact_analysis_enabled",
)
POLICY_SECTIONS: Final = ("attempt_to_fix", "disabled", "quarantined")

Task = Callable[[], Any]


class Hand:
    """The script's phases over one client; ``state`` is what it has applied so far."""

    def __init__(self, client: ApiClient, threads: int, state: dict[str, Any]) -> None:
        self.optimization = TestOptimizationApi(client)
        self.synthetics = SyntheticsApi(client)
        self.threads = threads
        self.state = state

    # --------------------------------------------------------------------- helpers
    def run(self, tasks: Iterable[Task]) -> list[Any]:
        tasks = list(tasks)
        if self.threads <= 1 or len(tasks) <= 1:
            return [task() for task in tasks]
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            return list(pool.map(lambda task: task(), tasks))

    def get_settings(self, props: dict[str, Any]) -> dict[str, Any]:
        identity = {k: props[k] for k in ("repository_id", "service_name", "env")}
        body = SettingsGet(
            data={"type": "test_optimization_get_service_settings_request", "attributes": identity}
        )
        try:
            attributes = self.optimization.get_test_optimization_service_settings(body).data
        except NotFoundException:
            return {}
        return attributes.attributes.to_dict()  # type: ignore[no-any-return]

    def patch_settings(self, props: dict[str, Any], values: dict[str, Any]) -> None:
        identity = {k: props[k] for k in ("repository_id", "service_name", "env")}
        self.optimization.update_test_optimization_service_settings(
            SettingsUpdate(
                data={
                    "type": "test_optimization_update_service_settings_request",
                    "attributes": {**identity, **values},
                }
            )
        )

    def get_policies(self, repository: str) -> dict[str, Any]:
        body = PoliciesGet(
            data={
                "type": "test_optimization_get_flaky_tests_management_policies_request",
                "attributes": {"repository_id": repository},
            }
        )
        response = self.optimization.get_flaky_tests_management_policies(body)
        return response.data.attributes.to_dict()  # type: ignore[no-any-return]

    def patch_policies(self, repository: str, values: dict[str, Any]) -> None:
        self.optimization.update_flaky_tests_management_policies(
            PoliciesUpdate(
                data={
                    "type": "test_optimization_update_flaky_tests_management_policies_request",
                    "attributes": {"repository_id": repository, **values},
                }
            )
        )

    def search(self, query: str) -> dict[str, str]:
        """Every test of ``query`` (all pages) → its state."""
        found: dict[str, str] = {}
        cursor: str | None = None
        while True:
            page: dict[str, Any] = {"limit": PAGE_LIMIT, **({"cursor": cursor} if cursor else {})}
            response = self.optimization.search_flaky_tests(
                body=FlakyTestsSearchRequest(
                    data={
                        "type": "search_flaky_tests_request",
                        "attributes": {"filter": {"query": query}, "page": page},
                    }
                )
            )
            for test in response.data:
                found[test.id] = str(test.attributes.get("flaky_state") or "active")
            cursor = response.meta.pagination.get("next_page") if response.meta else None
            if not cursor:
                return found

    def read_flaky(self, wanted: dict[str, str]) -> dict[str, str]:
        """States of the tests of ``wanted`` (id → repository), batched per repository."""
        by_repo: dict[str, list[str]] = {}
        for test_id, repo in wanted.items():
            by_repo.setdefault(repo, []).append(test_id)
        queries = [q for repo, ids in by_repo.items() for q in flaky_queries(repo, ids)]
        found: dict[str, str] = {}
        for page in self.run([lambda q=q: self.search(q) for q in queries]):
            found.update(page)
        return found

    def set_flaky(self, states: dict[str, str]) -> None:
        ids = sorted(states)
        chunks = [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]

        def send(chunk: list[str]) -> None:
            tests = [{"id": i, "new_state": states[i]} for i in chunk]
            result = self.optimization.update_flaky_tests(
                UpdateFlakyTestsRequest(
                    data={
                        "type": "update_flaky_test_state_request",
                        "attributes": {"tests": tests},
                    }
                )
            )
            if result.data.attributes.has_errors:
                raise SystemExit(f"flaky update failed: {result.data.attributes.results}")

        self.run([lambda c=c: send(c) for c in chunks])

    # ---------------------------------------------------------------------- phases
    def create(self, wanted: list[Spec]) -> None:
        tasks: list[Task] = []
        flaky = _flaky_states(wanted)
        for spec in wanted:
            tasks += self._create_one(spec)
        if flaky:
            tasks.append(lambda: self._create_flaky(flaky))
        self.run(tasks)
        self.state["applied"] = {s.name: s.props for s in wanted}

    def _create_one(self, spec: Spec) -> list[Task]:
        props, name = spec.props, spec.name
        if spec.kind == Kind.SERVICE_SETTINGS:

            def settings() -> None:
                current = self.get_settings(props)
                self.state.setdefault("settings_prior", {})[name] = {
                    k: current.get(k) if current.get(f"{k}_is_overridden") else None
                    for k in SETTINGS
                    if k in props
                }
                self.patch_settings(props, {k: props[k] for k in SETTINGS if k in props})

            return [settings]
        if spec.kind == Kind.FLAKY_TEST_POLICIES:

            def policies() -> None:
                current = self.get_policies(props["repository_id"])
                sections = [k for k in POLICY_SECTIONS if k in props]
                self.state.setdefault("policies_prior", {})[name] = {
                    k: current.get(k) for k in sections
                }
                self.patch_policies(props["repository_id"], {k: props[k] for k in sections})

            return [policies]
        if spec.kind == Kind.SYNTHETICS_SUITE:

            def suite() -> None:
                created = self.synthetics.create_synthetics_suite(
                    SuiteCreateEditRequest(
                        data={"type": "suites", "attributes": {"type": "suite", **props}}
                    )
                )
                self.state.setdefault("suites", {})[name] = created.data.attributes.public_id

            return [suite]
        return []  # flaky tests: all resources together

    def _create_flaky(self, flaky: dict[str, tuple[str, str]]) -> None:
        prior = self.read_flaky({i: repo for i, (repo, _) in flaky.items()})
        missing = sorted(set(flaky) - set(prior))
        if missing:
            raise SystemExit(f"flaky tests not found: {', '.join(missing[:5])}")
        self.state["flaky_prior"] = {i: prior[i] for i in flaky}
        self.set_flaky({i: s for i, (_, s) in flaky.items() if prior[i] != s})

    def preview(self, wanted: list[Spec]) -> None:
        applied = self.state.get("applied", {})
        changed = [s.name for s in wanted if applied.get(s.name) != s.props]
        if changed or len(applied) != len(wanted):
            raise SystemExit(f"preview: changes in {changed or 'the resource set'}")

    def refresh(self, wanted: list[Spec]) -> None:
        tasks: list[Task] = []
        for spec in wanted:
            if spec.kind == Kind.SERVICE_SETTINGS:
                tasks.append(lambda p=spec.props: self.get_settings(p))
            elif spec.kind == Kind.FLAKY_TEST_POLICIES:
                tasks.append(lambda p=spec.props: self.get_policies(p["repository_id"]))
            elif spec.kind == Kind.SYNTHETICS_SUITE:
                public_id = self.state["suites"][spec.name]
                tasks.append(lambda i=public_id: self.synthetics.get_synthetics_suite(i))
        flaky = _flaky_states(wanted)
        if flaky:
            tasks.append(lambda: self.read_flaky({i: repo for i, (repo, _) in flaky.items()}))
        self.run(tasks)

    def update(self, wanted: list[Spec]) -> None:
        applied = self.state["applied"]
        tasks: list[Task] = []
        flaky_changes: dict[str, str] = {}
        for spec in wanted:
            old = applied[spec.name]
            if old == spec.props:
                continue
            props = spec.props
            changed = [k for k in props if old.get(k) != props[k]]
            if spec.kind == Kind.SERVICE_SETTINGS:
                tasks.append(
                    lambda p=props, c=changed: self.patch_settings(p, {k: p[k] for k in c})
                )
            elif spec.kind == Kind.FLAKY_TEST_POLICIES:
                tasks.append(
                    lambda p=props, c=changed: self.patch_policies(
                        p["repository_id"], {k: p[k] for k in c}
                    )
                )
            elif spec.kind == Kind.SYNTHETICS_SUITE:
                ops = [{"op": "replace", "path": f"/{k}", "value": props[k]} for k in changed]
                public_id = self.state["suites"][spec.name]
                tasks.append(
                    lambda i=public_id, o=ops: self.synthetics.patch_test_suite(
                        i,
                        SuiteJsonPatchRequest(
                            data={"type": "suites_json_patch", "attributes": {"json_patch": o}}
                        ),
                    )
                )
            else:
                flaky_changes.update({i: s for i, (_, s) in _flaky_states([spec]).items()})
        if flaky_changes:
            tasks.append(lambda: self.set_flaky(flaky_changes))
        self.run(tasks)
        self.state["applied"] = {s.name: s.props for s in wanted}

    def destroy(self, wanted: list[Spec]) -> None:
        tasks: list[Task] = []
        for spec in wanted:
            if spec.kind == Kind.SERVICE_SETTINGS:
                prior = self.state["settings_prior"][spec.name]
                restore = {
                    (k if v is not None else f"{k}_inherit"): (v if v is not None else True)
                    for k, v in prior.items()
                }
                tasks.append(lambda p=spec.props, r=restore: self.patch_settings(p, r))
            elif spec.kind == Kind.FLAKY_TEST_POLICIES:
                prior = self.state["policies_prior"][spec.name]
                tasks.append(
                    lambda p=spec.props, r=prior: self.patch_policies(p["repository_id"], r)
                )
        suites = list(self.state.get("suites", {}).values())
        if suites:
            tasks.append(
                lambda: self.synthetics.delete_synthetics_suites(
                    DeletedSuitesRequestDeleteRequest(
                        data={"type": "delete_suites_request", "attributes": {"public_ids": suites}}
                    )
                )
            )
        flaky = _flaky_states(wanted)
        prior = self.state.get("flaky_prior", {})
        restore = {i: prior[i] for i, (_, s) in flaky.items() if prior.get(i, s) != s}
        if restore:
            tasks.append(lambda: self.set_flaky(restore))
        self.run(tasks)
        self.state.clear()


def _flaky_states(wanted: Iterable[Spec]) -> dict[str, tuple[str, str]]:
    """Every managed flaky test → (repository, desired state)."""
    out: dict[str, tuple[str, str]] = {}
    for spec in wanted:
        repo = spec.props.get("repository_id", "")
        if spec.kind == Kind.FLAKY_TEST_STATE:
            out[spec.props["test_id"]] = (repo, spec.props["state"])
        elif spec.kind == Kind.FLAKY_TEST_STATES:
            out.update({i: (repo, s) for i, s in spec.props["states"].items()})
    return out


def client_configuration() -> Configuration:
    configuration = Configuration(host=os.environ["DD_HOST"])
    configuration.api_key["apiKeyAuth"] = os.environ["DD_API_KEY"]
    configuration.api_key["appKeyAuth"] = os.environ["DD_APP_KEY"]
    for operation in list(configuration.unstable_operations.values):  # "v2.<operation>"
        configuration.unstable_operations[operation.split(".", 1)[1]] = True
    return configuration


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pdt_bench.hand", description=__doc__)
    parser.add_argument("phase", choices=("create", "preview", "refresh", "update", "destroy"))
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--mix", default="")
    parser.add_argument("--mode", choices=("mixed", "bulk"), default="mixed")
    parser.add_argument("--ids-file", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--touch", default="")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    ids = json.loads(args.ids_file.read_text())
    if args.mode == "bulk":
        wanted = [bulk_spec(ids[: args.count])]
    else:
        touch = Kind(args.touch) if args.touch else None
        wanted = specs(args.count, kinds_of(args.mix), ids, touch)
    state = json.loads(args.state.read_text()) if args.state.exists() else {}
    with ApiClient(client_configuration()) as client:
        hand = Hand(client, args.threads, state)
        getattr(hand, args.phase)(wanted)
    args.state.write_text(json.dumps(hand.state))
    return 0


if __name__ == "__main__":
    sys.exit(main())
