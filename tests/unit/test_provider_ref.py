"""A program hands the SDK a ``ProviderRef`` instead of a provider instance (so it imports no
provider class); the ``__provider`` property must stay what earlier versions wrote, and the
provider process must get the real provider from it."""

from __future__ import annotations

import base64
import importlib
import pickle
import subprocess
import sys

import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from pulumi_datadog_testing.resources._base import DatadogResourceProvider
from pulumi_datadog_testing.resources._provider_ref import ProviderRef, load_provider

PACKAGE = "pulumi_datadog_testing.resources"
PROVIDERS = [
    ("service_settings", "ServiceSettingsProvider"),
    ("flaky_test_state", "FlakyTestStateProvider"),
    ("flaky_test_states", "FlakyTestStatesProvider"),
    ("flaky_test_policies", "FlakyTestPoliciesProvider"),
    ("synthetics_suite", "SyntheticsSuiteProvider"),
    ("prior_values", "PriorValuesProvider"),
]
IDS = [name for _, name in PROVIDERS]

# ``__provider`` of a ServiceSettings as written by the versions that pickled a provider
# instance (dill, protocol 4): the class by reference, then its empty state.
OLD_SERVICE_SETTINGS_PICKLE = (
    "gASVVwAAAAAAAACMMXB1bHVtaV9kYXRhZG9nX3Rlc3RpbmcucmVzb3VyY2VzLnNlcnZpY2Vfc2V0dGluZ3OUjBdTZXJ2"
    "aWNlU2V0dGluZ3NQcm92aWRlcpSTlCmBlH2UYi4="
)


def _loaded(serialized: str) -> object:
    """What the dynamic provider process does with ``__provider`` (``get_provider``)."""
    return dill.loads(base64.b64decode(serialized))


@pytest.mark.parametrize(("module", "name"), PROVIDERS, ids=IDS)
def test_a_reference_pickles_exactly_as_the_provider_instance(module: str, name: str) -> None:
    real = getattr(__import__(f"{PACKAGE}.{module}", fromlist=[name]), name)
    assert serialize_provider(ProviderRef(f"{PACKAGE}.{module}", name)) == serialize_provider(
        real()
    )


@pytest.mark.parametrize(("module", "name"), PROVIDERS, ids=IDS)
def test_a_reference_unpickles_to_the_real_provider(module: str, name: str) -> None:
    provider = _loaded(serialize_provider(ProviderRef(f"{PACKAGE}.{module}", name)))
    assert type(provider).__name__ == name
    assert isinstance(provider, DatadogResourceProvider)
    # Any other pickler gets the provider too.
    again = pickle.loads(pickle.dumps(ProviderRef(f"{PACKAGE}.{module}", name)))
    assert type(again) is type(provider)
    assert type(load_provider(f"{PACKAGE}.{module}", name)) is type(provider)


def test_a_provider_pickled_by_an_earlier_version_still_unpickles() -> None:
    from pulumi_datadog_testing.resources.service_settings import ServiceSettingsProvider

    provider = _loaded(OLD_SERVICE_SETTINGS_PICKLE)
    assert type(provider) is ServiceSettingsProvider
    ref = ProviderRef(f"{PACKAGE}.service_settings", "ServiceSettingsProvider")
    assert serialize_provider(ref) == OLD_SERVICE_SETTINGS_PICKLE


def test_the_resource_classes_hand_the_sdk_references() -> None:
    """Each resource module's provider reference names a provider class of this package
    (a typo would only show in the provider process)."""
    for module, _ in PROVIDERS:
        ref = importlib.import_module(f"{PACKAGE}.{module}_resource")._PROVIDER
        assert isinstance(ref, ProviderRef)
        assert isinstance(load_provider(ref.module, ref.name), DatadogResourceProvider)


def test_unpickling_in_a_fresh_process_imports_the_provider() -> None:
    """The provider process starts with nothing imported: the pickle alone loads the class."""
    serialized = serialize_provider(
        ProviderRef(f"{PACKAGE}.flaky_test_states", "FlakyTestStatesProvider")
    )
    code = (
        "import base64, dill\n"
        f"provider = dill.loads(base64.b64decode({serialized!r}))\n"
        "print(type(provider).__module__, type(provider).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [f"{PACKAGE}.flaky_test_states", "FlakyTestStatesProvider"]
