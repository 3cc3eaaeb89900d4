"""Run tensorbond's benchmark suite: the same as ``tensorbond bench``.

    python bench/run_suite.py [--quick] [--only NAME ...] [--repeats N] [--out DIR]
                              [--shared DIR] [--no-plots] [--json] ...

Results go to ``bench/results`` (next to this script) unless ``--out`` says
otherwise; see ``bench/README.md`` for the method and
``python bench/run_suite.py --help`` for every option. The suite itself is the
package :mod:`tensorbond_bench` beside this script.
"""

from __future__ import annotations

import os
import sys

# one thread for every BLAS and OpenMP pool, set before numpy is imported
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

from tensorbond_bench.cli import main  # noqa: E402  (bench/ is this script's folder)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
