"""Declares the ServiceSettings listed in stack config ``moves:resources`` (a JSON list of
``{"name": ..., "args": {...}, "aliases": [old names], "depends_on": [names]}``), in order:
renaming one (with an alias) or adding ``depends_on`` moves it in or out of the stack's
PriorValues ledger."""

import pulumi

from pulumi_datadog_testing import ServiceSettings

declared: dict[str, ServiceSettings] = {}
for spec in pulumi.Config("moves").require_object("resources"):
    opts = pulumi.ResourceOptions(
        aliases=[pulumi.Alias(name=old) for old in spec.get("aliases", [])] or None,
        depends_on=[declared[name] for name in spec.get("depends_on", [])] or None,
    )
    declared[spec["name"]] = ServiceSettings(spec["name"], **spec["args"], opts=opts)
