"""``SyntheticsSuite.get`` of the suite whose public id is ``suite-get:public_id``."""

import pulumi

from pulumi_datadog_testing import SyntheticsSuite

suite = SyntheticsSuite.get("existing", pulumi.Config().require("public_id"))
pulumi.export("name", suite.name)
pulumi.export("tags", suite.tags)
pulumi.export("tests", suite.tests)
pulumi.export("monitor_id", suite.monitor_id)
