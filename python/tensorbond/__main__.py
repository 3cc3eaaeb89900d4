"""``python -m tensorbond``: the ``tensorbond`` command line."""

import sys

from tensorbond.cli import main

if __name__ == "__main__":
    sys.exit(main())
