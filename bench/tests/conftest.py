"""Puts ``bench/`` on ``sys.path``: the suite's package ``tensorbond_bench`` is
imported from the checkout (it is not installed with the library)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1]
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))
