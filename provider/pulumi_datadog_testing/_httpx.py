"""httpx, loaded without its command-line client.

``import httpx`` also imports ``httpx._main`` — the ``httpx`` command — whenever ``click`` is
installed (the emulator's server brings it), and that imports click and, where installed,
pygments before finding rich missing: ~10 ms of CPU (more on a busy machine) at the first API
call of every provider process, for a command this package never runs. Marking the module
absent in ``sys.modules`` for that one import makes httpx take its own fallback (the ``except
ImportError`` around that import, httpx 0.27-0.28); an httpx that needs the module after all
is imported again as usual. Only the first import of httpx in a process is affected.
"""

from __future__ import annotations

import sys

__all__ = ["httpx"]

_CLI: str = "httpx._main"

if "httpx" not in sys.modules and _CLI not in sys.modules:
    sys.modules[_CLI] = None  # type: ignore[assignment]  # "absent": import raises ImportError
    try:
        import httpx
    except ImportError:  # an httpx whose package needs its command: load it whole
        pass
    finally:
        if sys.modules.get(_CLI, ...) is None:
            del sys.modules[_CLI]

import httpx
