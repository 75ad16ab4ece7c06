"""One resource of each kind. With ``upgrade:earlier`` true, declared the way versions before
the provider references did: each resource class handed the SDK an instance of its provider
class (``ServiceSettingsProvider()``, ...), imported into the program, instead of a
``ProviderRef`` (see ``resources/_provider_ref.py``)."""

import importlib

import pulumi

import pulumi_datadog_testing as dt

MODULES = (
    "service_settings",
    "flaky_test_state",
    "flaky_test_states",
    "flaky_test_policies",
    "synthetics_suite",
    "prior_values",
)
config = pulumi.Config()
program_sides = [
    importlib.import_module(f"pulumi_datadog_testing.resources.{module}_resource")
    for module in MODULES
]
if config.get_bool("earlier"):
    for program_side in program_sides:
        ref = program_side._PROVIDER
        provider = getattr(importlib.import_module(ref.module), ref.name)()
        setattr(program_side, "_PROVIDER", provider)  # noqa: B010
pulumi.export("providers", sorted({type(side._PROVIDER).__name__ for side in program_sides}))

repo = config.require("repository")
dt.ServiceSettings(
    "settings", repository_id=repo, service_name="checkout", code_coverage_enabled=True
)
dt.FlakyTestState("one", repository_id=repo, test_id=config.require("test_id"), state="disabled")
dt.FlakyTestStates("many", repository_id=repo, states=config.require_object("states"))
dt.FlakyTestPolicies("policies", repository_id=repo, attempt_to_fix={"retries": 3})
dt.SyntheticsSuite("suite", name="Checkout", tests=[{"public_id": "abc-def-001"}])
