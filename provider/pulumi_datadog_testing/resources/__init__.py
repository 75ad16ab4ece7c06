"""One module per resource (Args model, provider, ``pulumi.dynamic.Resource`` class).

Every provider derives from ``_base.DatadogResourceProvider``, which owns credentials and
the shared HTTP client; see that module for how keys stay out of Pulumi state.
"""

from __future__ import annotations
