"""The datadog-testing-guardrails policy pack: every policy of pulumi_datadog_testing.policy.

The policies, their config schemas, defaults and levels live in the package; this file only
starts the pack (``pulumi_datadog_testing.policy.pack.serve``). Without --policy-pack-config
each policy runs at its declared level with its schema's defaults.
"""

from pulumi_datadog_testing.policy.pack import serve

if __name__ == "__main__":  # pulumi-policy's runner executes this file as __main__
    serve()
