"""A ``ServiceSettings`` and a ``FlakyTestState`` from stack config, exporting the outputs
read from the prior values each recorded (``prior``, ``prior_existed``, ``previous_state``,
``fqn``, ``test_module``, ``test_suite``, ``test_name``).

Config (namespace ``recorded-priors-e2e``): ``settings`` and ``test``, JSON objects of each
resource's properties.
"""

import pulumi

from pulumi_datadog_testing import FlakyTestState, ServiceSettings

config = pulumi.Config()
settings = ServiceSettings("settings", args=config.require_object("settings"))
test = FlakyTestState("test", args=config.require_object("test"))
pulumi.export("prior", settings.prior)
pulumi.export("prior_existed", settings.prior_existed)
for name in ("previous_state", "fqn", "test_module", "test_suite", "test_name"):
    pulumi.export(name, getattr(test, name))
