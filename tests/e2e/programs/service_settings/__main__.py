"""One ``ServiceSettings`` declared from stack config, so one program serves every test step.

Config (namespace ``service-settings-e2e``):
- ``settings``: JSON object of the resource's properties, passed as ``args`` verbatim, so a
  test can also send misspelt names or wrong types through ``check``.
- ``retain``: ``true`` sets ``retain_on_delete``.
- ``adoptId``: read existing settings with ``ResourceOptions(id=...)`` instead of managing them.
"""

import pulumi

from pulumi_datadog_testing import ServiceSettings

config = pulumi.Config()
settings = ServiceSettings(
    "settings",
    args=config.require_object("settings"),
    opts=pulumi.ResourceOptions(
        retain_on_delete=config.get_bool("retain") or False, id=config.get("adoptId")
    ),
)
pulumi.export("id", settings.id)
pulumi.export("prior", settings.prior)
pulumi.export("prior_existed", settings.prior_existed)
pulumi.export("early_flake_detection_enabled", settings.early_flake_detection_enabled)
