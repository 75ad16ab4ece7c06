"""Datadog sites and the API host each one is served from.

A site is what users see in their browser (``datadoghq.eu``, ``us5.datadoghq.com``); the
API lives on ``api.<site>``. The ``app.``-prefixed forms used in Datadog's documentation
(``app.datadoghq.com``, ``app.datadoghq.eu``, ``app.ddog-gov.com``) are accepted too.
"""

from __future__ import annotations

from types import MappingProxyType

from .errors import DatadogConfigError

__all__ = ["DEFAULT_SITE", "SITES", "api_url_for_site", "normalize_site"]

DEFAULT_SITE = "datadoghq.com"

# Every site of the seeds' endpoint tables, plus uk1 from the official client's site list.
SITES = MappingProxyType(
    {
        site: f"https://api.{site}"
        for site in (
            "datadoghq.com",
            "us3.datadoghq.com",
            "us5.datadoghq.com",
            "datadoghq.eu",
            "ap1.datadoghq.com",
            "ap2.datadoghq.com",
            "uk1.datadoghq.com",
            "ddog-gov.com",
            "us2.ddog-gov.com",
        )
    }
)


def normalize_site(site: str) -> str:
    """``" https://App.DatadogHQ.eu/ "`` → ``"datadoghq.eu"`` (not checked against ``SITES``)."""
    name = site.strip().lower()
    for scheme in ("https://", "http://"):
        name = name.removeprefix(scheme)
    name = name.rstrip("/").removeprefix("app.")
    return name


def api_url_for_site(site: str, *, source: str = "site") -> str:
    """The API base URL of a Datadog site, e.g. ``https://api.datadoghq.eu``.

    Raises ``DatadogConfigError`` naming ``source`` and listing the valid sites.
    """
    name = normalize_site(site)
    try:
        return SITES[name]
    except KeyError:
        valid = ", ".join(SITES)
        raise DatadogConfigError(
            f"{source} {site.strip()!r} is not a Datadog site; use one of: {valid} "
            "(the app.-prefixed forms work too), or set datadog:apiUrl to a full API URL"
        ) from None
