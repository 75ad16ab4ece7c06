"""Declares the resources listed in stack config ``faults:resources`` (a JSON list).

Each entry is ``{"type": <class name>, "name": <resource name>, "args": {...}}``: ``args``
are keyword arguments, or, with ``"mapping": true``, one mapping passed as ``args``
(``ServiceSettings`` accepts that). One program thus serves every fault scenario (a
30-resource fleet, a single suite, ...) and every malformed-input case. A constructor error
(a ``TypeError`` for an unknown or missing argument) is reported with ``pulumi.log.error``
under the resource's name and the program goes on, so one preview reports them all; then
the program fails.
"""

import pulumi

from pulumi_datadog_testing import (
    FlakyTestPolicies,
    FlakyTestState,
    FlakyTestStates,
    ServiceSettings,
    SyntheticsSuite,
)

KINDS = {
    cls.__name__: cls
    for cls in (
        ServiceSettings,
        FlakyTestState,
        FlakyTestStates,
        FlakyTestPolicies,
        SyntheticsSuite,
    )
}

failed = []
for spec in pulumi.Config().require_object("resources"):
    kind, args = KINDS[spec["type"]], spec.get("args", {})
    try:
        if spec.get("mapping"):
            kind(spec["name"], args)
        else:
            kind(spec["name"], **args)
    except (TypeError, ValueError) as exc:
        pulumi.log.error(f"resource {spec['name']!r}: {exc}")
        failed.append(spec["name"])
if failed:  # the program fails, as it would at the first error without the loop
    raise RuntimeError(f"{len(failed)} resource(s) could not be declared: {', '.join(failed)}")
