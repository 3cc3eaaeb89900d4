"""Where the tests' data lies."""

from __future__ import annotations

from pathlib import Path

#: the repository checkout
REPO = Path(__file__).resolve().parents[2]
#: data every source checkout has
DATA = REPO / "tests" / "data"
#: the sibling folder of shared data (QASMBench, benchmark circuits); may be absent
SHARED = REPO.parent / "shared"
QASMBENCH = SHARED / "qasmbench"
EXAMPLES = REPO / "examples"
PACKAGE = REPO / "python" / "tensorbond"
