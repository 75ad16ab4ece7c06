"""Adopt existing Test Optimization settings in two steps.

1. ``manage: false`` — ``ResourceOptions(id="repository::service::env")`` reads the settings that
   already exist, without changing anything: the outputs show Datadog's current values of the
   settings declared below, and ``ServiceSettings.get`` shows all six.
2. ``manage: true`` — without ``id=`` Pulumi manages them: the preview shows exactly what
   will change (Datadog's current value => the declared one); ``up`` records the current values
   (output ``prior``) and applies the declared ones; ``destroy`` puts the recorded values back.
"""

import pulumi

from pulumi_datadog_testing import ServiceSettings

config = pulumi.Config()
repository = config.require("repository")
service = config.require("service")
env = config.get("env") or "prod"
settings_id = f"{repository}::{service}::{env}"

settings = ServiceSettings(
    f"{service}-{env}",
    repository_id=repository,
    service_name=service,
    env=env,
    early_flake_detection_enabled=True,
    auto_test_retries_enabled=True,
    opts=None if config.get_bool("manage") else pulumi.ResourceOptions(id=settings_id),
)
everything = ServiceSettings.get(f"{service}-{env}-now", settings_id)

pulumi.export("early_flake_detection_enabled", settings.early_flake_detection_enabled)
pulumi.export("auto_test_retries_enabled", settings.auto_test_retries_enabled)
pulumi.export("prior", settings.prior)
pulumi.export("code_coverage_enabled_now", everything.code_coverage_enabled)
