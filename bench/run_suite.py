"""Run tensorbond's benchmark suite: the same as ``tensorbond bench``.

    python bench/run_suite.py [--quick] [--only NAME ...] [--repeats N] [--out DIR]
                              [--shared DIR] [--no-plots] [--json] ...

Results go to ``bench/results`` (next to this script) unless ``--out`` says
otherwise; see ``bench/README.md`` for the method and
``python bench/run_suite.py --help`` for every option. The suite itself lives in
:mod:`tensorbond.benchmark`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# one thread for every BLAS and OpenMP pool, set before numpy is imported
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

from tensorbond import benchmark  # noqa: F401  (the suite)
from tensorbond.cli import main


def run(argv: list[str]) -> int:
    """``tensorbond bench`` with ``argv``, writing to ``bench/results`` by default."""
    if "--out" not in argv and not any(a.startswith("--out=") for a in argv):
        argv = [*argv, "--out", str(Path(__file__).resolve().parent / "results")]
    return main(["bench", *argv])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
