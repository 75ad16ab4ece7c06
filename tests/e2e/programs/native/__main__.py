"""Resources declared from stack config, so one program serves every step of a native test.

Config ``native-e2e:resources``: a JSON list of ``{"kind": "ServiceSettings", "name": "s",
"props": {...}, "front": "native" | "dynamic", "from_dynamic": true, "org": "b"}``. ``native``
(default) declares the generated SDK's class (``pulumi_datadog_testing.native``, served by the
plugin); ``dynamic`` the package's dynamic resource; ``from_dynamic`` adds the alias that
moves a dynamic resource in state to the native type; ``org`` uses the explicit provider of
that name from ``native-e2e:orgs`` (``{"b": {"api_url": ..., "api_key": ..., "app_key": ...}}``)
instead of the default provider. Exports each resource's id under its name.
"""

import pulumi

import pulumi_datadog_testing as dynamic
from pulumi_datadog_testing import native
from pulumi_datadog_testing.type_tokens import type_token

config = pulumi.Config()
orgs = {
    name: native.Provider(
        f"org-{name}",
        api_url=org["api_url"],
        api_key=pulumi.Output.secret(org["api_key"]),
        app_key=pulumi.Output.secret(org["app_key"]),
    )
    for name, org in (config.get_object("orgs") or {}).items()
}

for spec in config.require_object("resources"):
    kind, name, props = spec["kind"], spec["name"], spec.get("props", {})
    if spec.get("front", "native") == "dynamic":
        resource: pulumi.CustomResource = getattr(dynamic, kind)(name, args=props)
    else:
        aliases = [pulumi.Alias(type_=type_token(kind))] if spec.get("from_dynamic") else None
        opts = pulumi.ResourceOptions(aliases=aliases, provider=orgs.get(spec.get("org", "")))
        resource = getattr(native, kind)(name, opts=opts, **props)
    pulumi.export(name, resource.id)
