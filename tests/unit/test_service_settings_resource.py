"""The ServiceSettings resource class in a program (Pulumi's mock runtime, no engine): what it
registers from keywords, ``ServiceSettingsArgs`` or a plain mapping, and its type token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from pulumi_datadog_testing import ServiceSettings, ServiceSettingsArgs
from pulumi_datadog_testing.type_tokens import SERVICE_SETTINGS

pytestmark = pytest.mark.usefixtures("event_loop_of_its_own")


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        self.registered.append(args)
        return args.resource_id or "new-id", dict(args.inputs)

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    recorder = RecordingMocks()
    pulumi.runtime.set_mocks(recorder, preview=False)
    yield recorder


def declared(mocks: RecordingMocks) -> dict[str, Any]:
    """The ServiceSettings' own inputs (its PriorValues sibling and hidden inputs left out)."""
    (resource,) = [r for r in mocks.registered if r.typ == SERVICE_SETTINGS]
    return {k: v for k, v in resource.inputs.items() if not k.startswith("__")}


@pulumi.runtime.test
def test_keywords_register_only_the_declared_settings(mocks: RecordingMocks) -> Any:
    settings = ServiceSettings(
        "checkout", repository_id="github.com/acme/shop", service_name="checkout",
        early_flake_detection_enabled=False,
    )  # fmt: skip

    def verify(_: Any) -> None:
        assert declared(mocks) == {
            "repository_id": "github.com/acme/shop",
            "service_name": "checkout",
            "early_flake_detection_enabled": False,
        }

    return settings.urn.apply(verify)


@pulumi.runtime.test
def test_args_object_and_keyword_overrides(mocks: RecordingMocks) -> Any:
    args = ServiceSettingsArgs(
        repository_id="github.com/acme/shop", service_name="checkout", env="prod",
        code_coverage_enabled=True,
    )  # fmt: skip
    settings = ServiceSettings("checkout", args, code_coverage_enabled=False)

    def verify(_: Any) -> None:
        assert declared(mocks) == {
            "repository_id": "github.com/acme/shop",
            "service_name": "checkout",
            "env": "prod",
            "code_coverage_enabled": False,
        }

    return settings.urn.apply(verify)


@pulumi.runtime.test
def test_a_mapping_is_passed_through_for_check_to_validate(mocks: RecordingMocks) -> Any:
    settings = ServiceSettings(
        "from-config",
        args={"repository_id": "r", "service_name": "s", "early_flake_detection": True},
    )

    def verify(_: Any) -> None:
        assert declared(mocks)["early_flake_detection"] is True

    return settings.urn.apply(verify)


@pulumi.runtime.test
def test_get_reads_by_id_without_declaring_settings(mocks: RecordingMocks) -> Any:
    settings = ServiceSettings.get("existing", "github.com/acme/shop::checkout::prod")

    def verify(_: Any) -> None:
        (resource,) = mocks.registered
        assert resource.resource_id == "github.com/acme/shop::checkout::prod"
        assert declared(mocks) == {}

    return settings.urn.apply(verify)
