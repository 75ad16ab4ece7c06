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


def test_the_http_stack_loads_with_the_first_client() -> None:
    code = (
        "import sys\n"
        "from pulumi_datadog_testing.resources import _base\n"
        "_base.configure_process({'datadog:apiKey': 'k' * 32, 'datadog:appKey': 'a' * 40,\n"
        "                         'datadog:apiUrl': 'http://127.0.0.1:9'}, {})\n"
        "client = _base.shared_client()\n"
        f"print(sorted(m for m in {HTTP_STACK!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(sorted(HTTP_STACK)), done.stdout + done.stderr


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
