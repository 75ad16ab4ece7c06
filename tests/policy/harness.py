"""Build pulumi-policy's argument objects the way its analyzer does, and capture violations.

The SDK's analyzer (``pulumi_policy.policy._PolicyAnalyzerServicer``) receives properties
and config as protobuf Structs, turns them into dicts with ``json_format.MessageToDict`` (so
every number arrives as a float), deserializes them and wraps resource properties in
``unknown_checking_proxy``. The helpers below do the same, so policies see exactly what they
see under the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from google.protobuf import json_format, struct_pb2
from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

STACK = "dev"
PROJECT = "shop-ci"


class Reported(NamedTuple):
    message: str
    urn: str | None


def wire(value: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` after the engine → SDK trip: a protobuf Struct read back with MessageToDict."""
    struct = struct_pb2.Struct()
    struct.update(value)
    result: dict[str, Any] = json_format.MessageToDict(struct)
    return result


def urn(resource_type: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{resource_type}::{name}"


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
    )


def _props(props: Mapping[str, Any]) -> Any:
    return unknown_checking_proxy(deserialize_properties(wire(props)))


def resource_args(
    resource_type: str,
    name: str,
    props: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
) -> ResourceValidationArgs:
    """What ``Analyze`` passes a resource policy for one resource."""
    return ResourceValidationArgs(
        resource_type,
        _props(props),
        urn(resource_type, name),
        name,
        _options(),
        None,
        None if config is None else wire(config),
    )


def stack_resource(resource_type: str, name: str, props: Mapping[str, Any]) -> PolicyResource:
    """One entry of ``StackValidationArgs.resources`` as ``AnalyzeStack`` builds it."""
    return PolicyResource(
        resource_type, _props(props), urn(resource_type, name), name, _options(), None, None, [], {}
    )


def stack_args(
    resources: Iterable[PolicyResource], config: Mapping[str, Any] | None = None
) -> StackValidationArgs:
    return StackValidationArgs(list(resources), None if config is None else wire(config))


def run_policy(
    policy: Policy, args: ResourceValidationArgs | StackValidationArgs
) -> list[Reported]:
    """Call the policy's validation and return what it reported, in order."""
    reported: list[Reported] = []

    def report_violation(message: str, urn: str | None = None) -> None:
        reported.append(Reported(message, urn))

    if isinstance(policy, ResourceValidationPolicy):
        assert isinstance(args, ResourceValidationArgs)
        result = policy.validate(args, report_violation)
    else:
        assert isinstance(policy, StackValidationPolicy) and isinstance(args, StackValidationArgs)
        result = policy.validate(args, report_violation)
    assert result is None, "library policies validate synchronously"
    return reported


def messages(reported: Sequence[Reported]) -> list[str]:
    return [item.message for item in reported]
