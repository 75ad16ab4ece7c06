"""A no-change ``pulumi preview`` makes no API call, so the program and the dynamic-provider
process must not load the HTTP stack: importing the resources leaves httpx, tenacity and the
client unloaded (they load on the first call). See docs/performance.md."""

from __future__ import annotations

import subprocess
import sys

RESOURCE_MODULES = [
    f"pulumi_datadog_testing.resources.{name}"
    for name in ("service_settings", "flaky_test_state", "flaky_test_states",
                 "flaky_test_policies", "synthetics_suite")
]  # fmt: skip
HTTP_STACK = ("httpx", "tenacity", "pulumi_datadog_testing.client")
PROVIDER_ONLY = ("jsonpatch", "jsonpointer")
"""Loaded by the provider hooks that need them, never by the program process."""
PROVIDER_SIDE = (
    "pydantic",
    "pydantic_core",
    "pulumi_datadog_testing.models",
    "pulumi_datadog_testing.config",
    "pulumi_datadog_testing.resources._base",
    "pulumi_datadog_testing.resources._flaky",
    "pulumi_datadog_testing.resources._flaky_batch",
    *RESOURCE_MODULES,
    "pulumi_datadog_testing.resources.prior_values",
)
"""What only the dynamic-provider process needs: the provider classes (every resource
module above holds one), their pydantic models and configuration. A program declares its
resources from the light ``*_resource`` modules and hands the SDK a ``ProviderRef``."""


def test_importing_every_resource_leaves_the_http_stack_unloaded() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in RESOURCE_MODULES)
        + "from pulumi_datadog_testing import ServiceSettings, SyntheticsSuite, FlakyTestState\n"
        + f"print(sorted(m for m in {HTTP_STACK!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


FIRST_CLIENT = (
    "import sys\n"
    "from pulumi_datadog_testing.resources import _base\n"
    "_base.configure_process({'datadog:apiKey': 'k' * 32, 'datadog:appKey': 'a' * 40,\n"
    "                         'datadog:apiUrl': 'http://127.0.0.1:9'}, {})\n"
    "client = _base.shared_client()\n"
)
"""A process's first API client, as a provider hook's first call makes it."""


def test_the_http_stack_loads_with_the_first_client() -> None:
    code = FIRST_CLIENT + f"print(sorted(m for m in {HTTP_STACK!r} if m in sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(sorted(HTTP_STACK)), done.stdout + done.stderr


def test_the_first_client_leaves_httpx_command_line_client_unloaded() -> None:
    """``_httpx``: httpx loads without its ``httpx`` command (click, pygments), and leaves
    nothing behind: the command's module is importable again afterwards."""
    code = (
        FIRST_CLIENT
        + "print(repr(sys.modules.get('httpx._main', 'absent')), 'click' in sys.modules)\n"
        "import httpx, importlib.util\n"
        "print(callable(httpx.main), importlib.util.find_spec('httpx._main') is not None)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["'absent'", "False", "True", "True"], done.stdout + done.stderr


def test_the_program_side_leaves_provider_only_modules_unloaded() -> None:
    """What a program imports to declare resources: nothing only a provider hook uses."""
    code = (
        "import sys\n"
        "import pulumi_datadog_testing as dt\n"
        "_ = (dt.ServiceSettings, dt.SyntheticsSuite, dt.FlakyTestState, dt.FlakyTestStates,\n"
        "     dt.FlakyTestPolicies)\n"
        f"print(sorted(m for m in {PROVIDER_ONLY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_declaring_every_resource_leaves_provider_only_modules_unloaded() -> None:
    """Declared in a program (Pulumi's mock runtime): the constructors, the ``PriorValues``
    siblings and the resolved outputs load neither the HTTP stack nor jsonpatch."""
    code = """
import sys
import pulumi

class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return args.name + "-id", dict(args.inputs)
    def call(self, args):
        return {}, None

pulumi.runtime.set_mocks(Mocks(), preview=False)
import pulumi_datadog_testing as dt

repo = "github.com/acme/shop"
resources = [
    dt.ServiceSettings("s", repository_id=repo, service_name="svc", code_coverage_enabled=True),
    dt.FlakyTestState("t", repository_id=repo, test_id="4eb1887a8adb1847", state="disabled"),
    dt.FlakyTestStates("ts", repository_id=repo, states={"9f0c2d1e3b4a5c6d": "quarantined"}),
    dt.FlakyTestPolicies("p", repository_id=repo, attempt_to_fix={"retries": 3}),
    dt.SyntheticsSuite("su", name="n", tests=[{"public_id": "abc-def-ghi"}], tags=["a"]),
]

@pulumi.runtime.test
def declared():
    return pulumi.Output.all(*(r.urn for r in resources))

declared()
"""
    heavy = (*PROVIDER_ONLY, *HTTP_STACK, *PROVIDER_SIDE)
    code += f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_the_program_side_loads_no_provider_code() -> None:
    """Every public name of the package (each resource class, its Args and nested shapes)
    without pydantic, the wire models or a provider class: what the program process of
    every ``pulumi preview``/``up`` pays for (see docs/performance.md, "The program side")."""
    code = (
        "import sys\n"
        "import pulumi_datadog_testing as dt\n"
        "_ = [getattr(dt, name) for name in dt.__all__]\n"
        f"print(sorted(m for m in {PROVIDER_SIDE!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


NO_CHANGE_PREVIEW = """
import sys
from pulumi.dynamic import Config, ConfigureRequest
from pulumi_datadog_testing.resources._provider_ref import load_provider
from pulumi_datadog_testing.resources.prior_values import _summary, encoded, priors_input

PACKAGE = "pulumi_datadog_testing.resources"
config = ConfigureRequest(Config({"datadog:apiKey": "k" * 32, "datadog:appKey": "a" * 40,
                                  "datadog:apiUrl": "http://127.0.0.1:9"}, "project"))
repo, test_id = "github.com/acme/shop", "4eb1887a8adb1847"
settings = {"repository_id": repo, "service_name": "svc", "code_coverage_enabled": True}
settings_in = {**settings, "env": "none",
               "__priors": priors_input({"code_coverage_enabled": {"is_overridden": False}}, False)}
settings_out = {**settings_in, "prior": {"code_coverage_enabled": {"is_overridden": False}},
                "prior_existed": False}
state = {"repository_id": repo, "test_id": test_id, "state": "quarantined", "reason": "BUG-1",
         "__priors": priors_input({test_id: {"state": "active", "module": "shop"}}, True)}
state_out = {**state, "previous_state": "active", "fqn": "shop", "test_module": "shop"}
bulk = {"repository_id": repo, "reason": "BUG-2",
        "states": {test_id: "quarantined", "9f0c2b7d11aa0e35": {"state": "disabled",
                                                                "expires": "2026-12-31"}},
        "__priors": priors_input({test_id: "active", "9f0c2b7d11aa0e35": "active"}, True)}
bulk_out = {**bulk, "states": {test_id: "quarantined", "9f0c2b7d11aa0e35": "disabled"},
            "previous_states": {test_id: "active", "9f0c2b7d11aa0e35": "active"},
            "test_ids": sorted([test_id, "9f0c2b7d11aa0e35"]),
            "test_notes": {"9f0c2b7d11aa0e35": {"expires": "2026-12-31"}}}
suite = {"name": "n", "tests": [{"public_id": "abc-def-ghi", "alerting_criticality": "critical"}],
         "tags": ["b", "a"], "options": {"alerting_threshold": 0.5}}
suite_in = {**suite, "tags": ["a", "b"]}
suite_out = {**suite_in, "message": None, "public_id": "xyz-xyz-xyz", "monitor_id": 1.0,
             "managed_paths": ["name", "tags", "tests", "options",
                               "tests/abc-def-ghi/alerting_criticality",
                               "options/alerting_threshold"]}
policies = {"repository_id": repo, "attempt_to_fix": {"retries": 3.0},
            "quarantined": {"enabled": True, "failure_rate_rule": {"threshold": 1.0}}}
policies_in = {**policies, "attempt_to_fix": {"retries": 3},
               "__priors": priors_input({"attempt_to_fix.retries": {"value": 20}}, True)}
policies_out = {**policies, "previous_policies": {"attempt_to_fix": {"retries": 20.0}}}
entries = {
    "ServiceSettings::s": encoded({"kind": "ServiceSettings", "declared": settings}),
    "FlakyTestPolicies::p": encoded({"kind": "FlakyTestPolicies", "declared": policies}),
    "FlakyTestState::t": encoded({"kind": "FlakyTestState",
                                  "declared": {k: v for k, v in state.items() if k[0] != "_"}}),
    "FlakyTestStates::b": encoded({"kind": "FlakyTestStates",
                                   "declared": {k: v for k, v in bulk.items() if k[0] != "_"}}),
}
ledger = {"kind": "ledger", "entries": entries}
ledger_out = {"kind": "ledger", "entries": {k: _summary(v) for k, v in entries.items()},
              "captures": {"ServiceSettings::s": settings_in["__priors"],
                           "FlakyTestPolicies::p": policies_in["__priors"],
                           "FlakyTestState::t": state["__priors"],
                           "FlakyTestStates::b": bulk["__priors"]}}
cases = [
    ("service_settings", "ServiceSettingsProvider", settings_in, settings, settings_out),
    ("flaky_test_state", "FlakyTestStateProvider", state, state, state_out),
    ("flaky_test_states", "FlakyTestStatesProvider", bulk, bulk, bulk_out),
    ("synthetics_suite", "SyntheticsSuiteProvider", suite_in, suite, suite_out),
    ("flaky_test_policies", "FlakyTestPoliciesProvider", policies_in, policies, policies_out),
    ("prior_values", "PriorValuesProvider", ledger, ledger, ledger_out),
]
provider_key = {"__provider": "<pickled>"}
for module, name, olds, news, outs in cases:
    provider = load_provider(f"{PACKAGE}.{module}", name)  # what unpickling __provider does
    provider.configure(config)
    news = {**news, **{k: v for k, v in olds.items() if k == "__priors"}}
    result = provider.check({**olds, **provider_key}, {**news, **provider_key})
    assert result.failures == [] and result.inputs == olds, (name, result.inputs)
    diff = provider.diff("id", {**outs, **provider_key}, {**result.inputs, **provider_key})
    assert not diff.changes, (name, diff.changes, diff.replaces)
print(sorted(m for m in sys.modules if m.partition(".")[0] in ("pydantic", "pydantic_core")
             or m in ("pulumi_datadog_testing.models", "difflib")))
"""


def test_a_no_change_preview_loads_no_pydantic_in_the_provider_process() -> None:
    """What the provider process of a no-change ``pulumi preview`` runs — each provider
    loaded as unpickling its ``__provider`` does, configured, then ``check`` of unchanged
    inputs and ``diff`` — without pydantic, the wire models or difflib (~0.1 s of CPU per
    preview; see docs/performance.md). The checks return the inputs in state, unvalidated
    (``_check.unchanged``), and no diff finds a change."""
    done = subprocess.run(
        [sys.executable, "-c", NO_CHANGE_PREVIEW], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


LEDGER_CHECK = """
import sys, threading
from pulumi.dynamic import Config, ConfigureRequest
from pulumi_datadog_testing.resources.prior_values import PriorValuesProvider, encoded

config = ConfigureRequest(Config({"datadog:apiKey": "k" * 32, "datadog:appKey": "a" * 40,
                                  "datadog:apiUrl": "http://127.0.0.1:9"}, "project"))
provider = PriorValuesProvider()
provider.configure(config)
declared = {"repository_id": "github.com/acme/shop", "states": {"4eb1887a8adb1847": "disabled"}}
old = {"FlakyTestStates::a": encoded({"kind": "FlakyTestStates", "declared": declared})}
new = {**old, "FlakyTestStates::b": old["FlakyTestStates::a"]}
olds = {"kind": "ledger", "entries": old, "__provider": "p"}
WHAT = ("httpx", "pydantic", "pulumi_datadog_testing.models",
        "pulumi_datadog_testing.resources.flaky_test_states")
result = provider.check(olds, {**olds})  # the same entries: nothing to capture
assert result.inputs == {"kind": "ledger", "entries": old}, result.inputs
assert not [t for t in threading.enumerate() if t.name == "prior-values-warm"]
print(sorted(m for m in WHAT if m in sys.modules))
result = provider.check(olds, {**olds, "entries": new})  # a new entry: its create captures
assert result.inputs == {"kind": "ledger", "entries": new}, result.inputs
for thread in threading.enumerate():
    if thread.name == "prior-values-warm":
        thread.join(30)
print(sorted(m for m in WHAT if m in sys.modules))
"""


def test_the_ledger_check_of_a_new_entry_loads_what_its_capture_needs() -> None:
    """Between the ledger's check and its create the provider process waits for the engine:
    a check that finds a new entry loads the entry's provider module and the API client
    (HTTP stack, pydantic, wire models) meanwhile, in the background; unchanged entries (a
    no-change preview) load nothing."""
    done = subprocess.run(
        [sys.executable, "-c", LEDGER_CHECK], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    unchanged, new = done.stdout.strip().splitlines()[-2:]
    assert unchanged == "[]", done.stdout + done.stderr
    assert new == str(
        sorted(
            (
                "httpx",
                "pydantic",
                "pulumi_datadog_testing.models",
                "pulumi_datadog_testing.resources.flaky_test_states",
            )
        )
    ), done.stdout + done.stderr
