"""Resources declared from stack config, so one program serves every step of a native test.

Config ``native-e2e:resources``: a JSON list of ``{"kind": "ServiceSettings", "name": "s",
"props": {...}, "front": "native" | "dynamic", "from_dynamic": true}``. ``native`` (default)
declares ``datadog-testing:index:<kind>`` served by the plugin; ``dynamic`` the package's
dynamic resource; ``from_dynamic`` adds the alias that moves a dynamic resource in state to the
native type. Exports each resource's id and outputs under its name.
"""

import pulumi

import pulumi_datadog_testing as dynamic
from pulumi_datadog_testing.type_tokens import native_type_token, type_token

for spec in pulumi.Config().require_object("resources"):
    kind, name, props = spec["kind"], spec["name"], spec.get("props", {})
    if spec.get("front", "native") == "dynamic":
        resource: pulumi.CustomResource = getattr(dynamic, kind)(name, args=props)
    else:
        aliases = [pulumi.Alias(type_=type_token(kind))] if spec.get("from_dynamic") else None
        resource = pulumi.CustomResource(
            native_type_token(kind), name, props, pulumi.ResourceOptions(aliases=aliases)
        )
    pulumi.export(name, resource.id)
