"""A dynamic resource on DatadogResourceProvider that reports where its settings came from.

It makes no API call: it proves that configure() receives the stack's decrypted
``datadog:`` secrets in the provider process while the keys stay out of Pulumi state.
"""

import pulumi
from pulumi.dynamic import CreateResult, Resource

from pulumi_datadog_testing.resources._base import DatadogResourceProvider


class ProbeProvider(DatadogResourceProvider):
    def create(self, props):
        settings = self.settings
        return CreateResult(
            id_="probe",
            outs={
                "api_url": settings.api_url,
                "api_key_source": settings.sources["api_key"],
                "app_key_source": settings.sources["app_key"],
                "max_retries": settings.max_retries,
                "api_key_length": len(
                    settings.api_key.get_secret_value() if settings.api_key else ""
                ),
            },
        )


class CredentialsProbe(Resource, module="datadog-testing", name="CredentialsProbe"):
    api_url: pulumi.Output[str]
    api_key_source: pulumi.Output[str]
    app_key_source: pulumi.Output[str]
    max_retries: pulumi.Output[int]
    api_key_length: pulumi.Output[int]

    def __init__(self, name, opts=None):
        outputs = ("api_url", "api_key_source", "app_key_source", "max_retries", "api_key_length")
        super().__init__(ProbeProvider(), name, dict.fromkeys(outputs), opts)


probe = CredentialsProbe("probe")
for name in ("api_url", "api_key_source", "app_key_source", "max_retries", "api_key_length"):
    pulumi.export(name, getattr(probe, name))
