"""``pulumi-datadog-testing generate``: turn what an org already has into a Pulumi program.

``read`` reads (never writes) a snapshot of the org through the typed ``api`` operations;
``program`` renders it as Python source using names from ``naming``; ``formatting`` runs ruff
over the source when it is installed. The command itself is ``commands/generate.py``.
"""

from __future__ import annotations

from ..errors import NothingToAdoptError
from .formatting import format_source
from .naming import NameBook, slug
from .program import render_program
from .read import (
    AdoptedSuite,
    FoundRepository,
    FoundServiceSettings,
    FoundTest,
    OrgSnapshot,
    read_org,
)

__all__ = [
    "AdoptedSuite",
    "FoundRepository",
    "FoundServiceSettings",
    "FoundTest",
    "NameBook",
    "NothingToAdoptError",
    "OrgSnapshot",
    "format_source",
    "read_org",
    "render_program",
    "slug",
]
