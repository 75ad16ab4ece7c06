"""Benchmark: API calls and wall time of the real CLI against the emulator, next to the
engine floor. ``source scripts/env.sh && python benchmarks/run.py --help`` (or ``scripts/bench``);
see docs/performance.md. Not part of the test run."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pdt_bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
