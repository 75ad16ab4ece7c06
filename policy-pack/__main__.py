"""The ``datadog-testing-guardrails`` policy pack: every policy of pulumi_datadog_testing.policy.

This file only assembles the library; the policies, their config schemas and their defaults
live in the package (``pulumi_datadog_testing.policy``), where they are unit-tested.

Default configuration (what applies without ``--policy-pack-config``): each policy's own
default enforcement level and the defaults of its config schema, listed in this folder's
README.md and returned by ``pulumi_datadog_testing.policy.default_config()``.

Run it: ``pulumi preview --policy-pack policy-pack --policy-pack-config my-config.json``
(an official Pulumi install) or ``--policy-pack policy-pack/run`` (the engine this project
builds); tune it with a JSON file like ``policy-config.example.json``.
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy, PolicyPack

from pulumi_datadog_testing.policy import PACK_NAME, all_policies


def build_policies() -> list[Policy]:
    """The pack's policies: every entry of the library's ``POLICIES`` table, in its order,
    each at the library's default enforcement level."""
    return all_policies()


if __name__ == "__main__":  # pulumi-policy's runner executes this file as __main__
    PolicyPack(
        name=PACK_NAME,
        policies=build_policies(),
        enforcement_level=EnforcementLevel.ADVISORY,  # only for policies without their own
        description=(
            "Guard-rails for Datadog Test Optimization service settings, flaky-test states "
            "and policies, and Synthetics suites managed with pulumi-datadog-testing."
        ),
    )
