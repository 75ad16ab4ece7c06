"""Benchmark program: the mixed stack of ``pdt_bench.shape`` (or the bulk scenario).

Stack config (namespace ``bench``): ``count`` (N), ``provider`` (``datadog`` | ``noop``),
``mode`` (``mixed`` | ``bulk``), ``kinds`` (the mix: a name or Kind[=count],...; default side-by-side),
``touch`` (a kind: change one field of its first resource), ``testIdsFile`` (JSON list of
flaky-test ids). ``pdt_bench`` must be importable (the runner puts it on PYTHONPATH, which
the dynamic-provider process inherits).
"""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
from pdt_bench import shape

config = pulumi.Config("bench")
count = config.require_int("count")
test_ids = json.loads(Path(config.require("testIdsFile")).read_text())
if (config.get("mode") or "mixed") == "bulk":
    specs = [shape.bulk_spec(test_ids[:count])]
else:
    touch = config.get("touch")
    kinds = shape.kinds_of(config.get("kinds"))
    specs = shape.specs(count, kinds, test_ids, shape.Kind(touch) if touch else None)

if (config.get("provider") or "datadog") == "noop":
    from pdt_bench.noop import declare

    for spec in specs:
        declare(spec)
else:
    import pulumi_datadog_testing

    for spec in specs:
        getattr(pulumi_datadog_testing, spec.kind)(spec.name, **spec.props)

pulumi.export("resources", len(specs))
