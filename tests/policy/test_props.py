"""plain(): properties as plain data, values unknown during preview replaced by UNKNOWN."""

from __future__ import annotations

import pytest
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)

from pulumi_datadog_testing.policy import UNKNOWN, plain
from tests.policy.harness import wire

RAW = {
    "repository_id": "github.com/acme/shop",
    "env": UNKNOWN_STRING_VALUE,
    "early_flake_detection_enabled": UNKNOWN_BOOLEAN_VALUE,
    "options": {"alerting_threshold": UNKNOWN_NUMBER_VALUE, "retries": 2},
    "tests": [{"public_id": "abc-def-ghi"}, UNKNOWN_OBJECT_VALUE],
    "tags": UNKNOWN_ARRAY_VALUE,
    "reason": None,
}
EXPECTED = {
    "repository_id": "github.com/acme/shop",
    "env": UNKNOWN,
    "early_flake_detection_enabled": UNKNOWN,
    "options": {"alerting_threshold": UNKNOWN, "retries": 2.0},
    "tests": [{"public_id": "abc-def-ghi"}, UNKNOWN],
    "tags": UNKNOWN,
    "reason": None,
}


def test_plain_unwraps_the_sdk_proxy_without_raising() -> None:
    proxied = unknown_checking_proxy(deserialize_properties(wire(RAW)))
    with pytest.raises(UnknownValueError):
        proxied["env"]  # what a policy reading args.props directly would hit
    assert plain(proxied) == EXPECTED


def test_plain_accepts_plain_data_with_raw_sentinels() -> None:
    assert plain(wire(RAW)) == EXPECTED


def test_unknown_is_a_single_marker_distinct_from_every_value() -> None:
    marker: object = UNKNOWN
    assert repr(marker) == "UNKNOWN"
    assert marker not in (None, False, "", 0, "unknown")
