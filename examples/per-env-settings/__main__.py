"""Per-environment Test Optimization settings of one service, driven by stack config.

``environments`` maps each env to the settings to manage there. Each entry is passed to
``ServiceSettings`` as it is, so a misspelt setting name or a non-boolean value fails
``pulumi preview`` with the property named (and a "did you mean" hint) before any API call.
"""

from typing import Any

import pulumi

from pulumi_datadog_testing import ServiceSettings

config = pulumi.Config()
repository = config.require("repository")
service = config.require("service")
environments: Any = config.require_object("environments")
if not isinstance(environments, dict) or not all(
    isinstance(v, dict) for v in environments.values()
):
    raise ValueError(
        "config per-env-settings:environments must map each env to its settings, "
        "e.g. {prod: {early_flake_detection_enabled: true}}"
    )

settings = {
    env: ServiceSettings(
        f"{service}-{env}",
        args={"repository_id": repository, "service_name": service, "env": env, **flags},
    )
    for env, flags in sorted(environments.items())
}

pulumi.export("ids", {env: s.id for env, s in settings.items()})
pulumi.export("prior", {env: s.prior for env, s in settings.items()})
