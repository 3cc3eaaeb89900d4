"""``python -m tensorbond_bench [options]``: the suite (as ``tensorbond bench``).

``python -m tensorbond_bench --worker`` is a contestant's process, started by the
suite itself (:mod:`tensorbond_bench.workers`).
"""

import sys

if sys.argv[1:] == ["--worker"]:
    from tensorbond_bench.workers import _worker_main

    sys.exit(_worker_main())

from tensorbond_bench.cli import main

sys.exit(main(prog="python -m tensorbond_bench"))
