"""Each resource declares its input properties once, in its ``XArgs`` TypedDict: the keyword
arguments are typed from it (``**kwargs: Unpack[XArgs]``), ``props_of`` registers exactly its
names, and the provider's input model and the resource's outputs agree with it."""

from __future__ import annotations

import inspect
import sys
import typing
from typing import Any

import pulumi
import pytest
from pydantic import BaseModel

from pulumi_datadog_testing.resources._base import input_names
from pulumi_datadog_testing.resources._resource import DatadogResource
from pulumi_datadog_testing.resources.flaky_test_policies import (
    FlakyTestPolicies,
    FlakyTestPoliciesArgs,
    FlakyTestPoliciesInputs,
)
from pulumi_datadog_testing.resources.flaky_test_state import (
    FlakyTestState,
    FlakyTestStateArgs,
    FlakyTestStateInputs,
)
from pulumi_datadog_testing.resources.flaky_test_states import (
    FlakyTestStates,
    FlakyTestStatesArgs,
    FlakyTestStatesInputs,
)
from pulumi_datadog_testing.resources.service_settings import (
    ServiceSettings,
    ServiceSettingsArgs,
    ServiceSettingsInputs,
)
from pulumi_datadog_testing.resources.synthetics_suite import (
    SuiteInputs,
    SyntheticsSuite,
    SyntheticsSuiteArgs,
)

RESOURCES: list[tuple[type[DatadogResource], type, type[BaseModel]]] = [
    (ServiceSettings, ServiceSettingsArgs, ServiceSettingsInputs),
    (FlakyTestState, FlakyTestStateArgs, FlakyTestStateInputs),
    (FlakyTestStates, FlakyTestStatesArgs, FlakyTestStatesInputs),
    (FlakyTestPolicies, FlakyTestPoliciesArgs, FlakyTestPoliciesInputs),
    (SyntheticsSuite, SyntheticsSuiteArgs, SuiteInputs),
]
IDS = [resource.__name__ for resource, _, _ in RESOURCES]


@pytest.mark.parametrize(("resource", "args", "model"), RESOURCES, ids=IDS)
def test_keywords_are_the_args_declaration(resource: type, args: type, model: Any) -> None:
    parameters = inspect.signature(vars(resource)["__init__"]).parameters
    kwargs = parameters["kwargs"]
    assert kwargs.kind is inspect.Parameter.VAR_KEYWORD
    assert kwargs.annotation == f"Unpack[{args.__name__}]"
    assert list(parameters) == ["self", "resource_name", "args", "opts", "kwargs"]


@pytest.mark.parametrize(("resource", "args", "model"), RESOURCES, ids=IDS)
def test_input_model_and_outputs_agree_with_the_args(
    resource: type[DatadogResource], args: type, model: type[BaseModel]
) -> None:
    names = input_names(args)
    assert set(names) == set(model.model_fields), "the provider validates exactly the inputs"
    outputs = resource.OUTPUT_TYPES  # the class's pulumi.Output[...] declarations
    assert set(names) <= set(outputs), "every input is also an output of the resource"


@pytest.mark.parametrize(("resource", "args", "model"), RESOURCES, ids=IDS)
def test_output_attributes_are_the_inputs_and_the_computed_outputs(
    resource: type[DatadogResource], args: type, model: type[BaseModel]
) -> None:
    """The class's annotations declare its Output attributes; the computed ones are listed
    once, in the module's ``OUTPUTS`` (which the provider uses too)."""
    outputs = sys.modules[resource.__module__].OUTPUTS
    assert sorted(resource.OUTPUT_TYPES) == sorted([*input_names(args), *outputs])


@pytest.mark.parametrize(("resource", "args", "model"), RESOURCES, ids=IDS)
def test_args_is_a_typed_dict_usable_as_args_or_mapping(
    resource: type[DatadogResource], args: type, model: type[BaseModel]
) -> None:
    assert typing.is_typeddict(args)
    assert getattr(args, "__total__") is False  # noqa: B009  (required inputs are checked by `check`, not the signature)


@pytest.mark.parametrize(("resource", "args", "model"), RESOURCES, ids=IDS)
def test_the_sdk_has_no_annotations_to_evaluate_at_each_registration(
    resource: type[DatadogResource], args: type, model: type[BaseModel]
) -> None:
    """``resolve_outputs`` calls ``resource_types`` for every resource it resolves, and that
    evaluates the class's annotations each time: the class keeps them in ``OUTPUT_TYPES`` and
    leaves the SDK only those whose wire values it converts (a number into an int)."""
    from pulumi import _types

    expected = {"monitor_id": int} if resource is SyntheticsSuite else {}
    assert _types.resource_types(resource) == expected
    assert all(typing.get_origin(t) is pulumi.Output for t in resource.OUTPUT_TYPES.values())


def test_a_subclass_keeps_the_output_attributes_of_its_resource_base() -> None:
    class Named(ServiceSettings):
        """A user's subclass, declaring nothing of its own."""

    class Extended(ServiceSettings):
        extra: pulumi.Output[str]

    assert Named.OUTPUT_TYPES == ServiceSettings.OUTPUT_TYPES
    assert list(Extended.OUTPUT_TYPES) == [*ServiceSettings.OUTPUT_TYPES, "extra"]
