"""A SyntheticsSuite driven by stack config (``suite-e2e:*``; lists and objects as JSON)."""

import pulumi

from pulumi_datadog_testing import SyntheticsSuite

config = pulumi.Config()
suite = SyntheticsSuite(
    "suite",
    name=config.require("name"),
    tests=config.require_object("tests"),
    message=config.get("message"),
    tags=config.get_object("tags"),
    options=config.get_object("options"),
)
pulumi.export("public_id", suite.public_id)
pulumi.export("monitor_id", suite.monitor_id)
pulumi.export("tags", suite.tags)
pulumi.export("name", suite.name)
