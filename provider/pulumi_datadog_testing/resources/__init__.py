"""Two modules per resource kind: ``<kind>_resource`` is what a program imports to declare it
(the ``pulumi.dynamic.Resource`` class and its Args: plain Python, no pydantic), ``<kind>`` the
dynamic provider run in the provider process (input models, check/diff/create/read/update/
delete; it re-exports the program side, so every name is importable from it as before). The
program names the provider with a ``_provider_ref.ProviderRef``, pickled as the provider.

Every provider derives from ``_base.DatadogResourceProvider``, which owns credentials and
the shared HTTP client; see that module for how keys stay out of Pulumi state.
"""

from __future__ import annotations
