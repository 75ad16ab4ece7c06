"""One ServiceSettings resource: the configuration is what the tests vary."""

import pulumi

from pulumi_datadog_testing import ServiceSettings

settings = ServiceSettings(
    "checkout",
    repository_id="github.com/acme/shop",
    service_name="checkout",
    env="prod",
    code_coverage_enabled=True,
)
pulumi.export("settings_id", settings.id)
