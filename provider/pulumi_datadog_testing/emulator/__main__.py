"""``python -m pulumi_datadog_testing.emulator ...`` (see ``server.py``)."""

from __future__ import annotations

import sys

from .server import main

if __name__ == "__main__":
    sys.exit(main())
