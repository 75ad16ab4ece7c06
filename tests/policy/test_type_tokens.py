"""Type tokens: what pulumi.dynamic.Resource gives a class declared with MODULE and a kind."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.dynamic import Resource

from pulumi_datadog_testing import type_tokens
from pulumi_datadog_testing.type_tokens import MODULE, TYPE_TOKENS, ResourceKind, kind_of


@pytest.mark.parametrize("kind", list(ResourceKind))
def test_type_token_matches_what_the_sdk_derives_from_module_and_name(kind: ResourceKind) -> None:
    declared: Any = type("Declared", (Resource,), {}, module=MODULE, name=kind)
    assert f"pulumi-python:{declared._resource_type_name}" == kind.type_token
    assert kind_of(kind.type_token) is kind


def test_the_five_resource_types() -> None:
    assert TYPE_TOKENS == {
        "pulumi-python:dynamic/datadog-testing:ServiceSettings": ResourceKind.SERVICE_SETTINGS,
        "pulumi-python:dynamic/datadog-testing:FlakyTestState": ResourceKind.FLAKY_TEST_STATE,
        "pulumi-python:dynamic/datadog-testing:FlakyTestStates": ResourceKind.FLAKY_TEST_STATES,
        "pulumi-python:dynamic/datadog-testing:FlakyTestPolicies": ResourceKind.FLAKY_TEST_POLICIES,
        "pulumi-python:dynamic/datadog-testing:SyntheticsSuite": ResourceKind.SYNTHETICS_SUITE,
    }
    assert type_tokens.SERVICE_SETTINGS == ResourceKind.SERVICE_SETTINGS.type_token
    assert type_tokens.SYNTHETICS_SUITE == ResourceKind.SYNTHETICS_SUITE.type_token


def test_other_types_have_no_kind() -> None:
    assert kind_of("pulumi-python:dynamic:Resource") is None
    assert kind_of("datadog:index/syntheticsTest:SyntheticsTest") is None
