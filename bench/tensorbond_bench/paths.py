"""Where the suite reads its circuits and writes its results.

Both are arguments (``--shared``, ``--out``); the defaults are found relative
to this package's own file, so they do not depend on the working directory:

- the data folder (``circuits/``, ``qasmbench/``): ``$TENSORBOND_SHARED``, else
  the ``shared`` folder beside the repository checkout (``<repo>/../shared``);
- the results folder: ``<repo>/bench/results``.

``<repo>`` is the checkout this package lives in (``<repo>/bench/tensorbond_bench``).
An installed copy (``pip install ./bench``) has no checkout: it reads
``./shared`` and writes ``./bench-results`` under the working directory instead.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["checkout_root", "default_out_dir", "default_shared", "find_shared"]

_HERE = Path(__file__).resolve().parent


def checkout_root() -> Path | None:
    """The repository checkout holding this package, or None when it is installed."""
    repo = _HERE.parents[1]
    if (repo / "bench" / "tensorbond_bench").is_dir() and (repo / "pyproject.toml").is_file():
        return repo
    return None


def default_shared() -> Path:
    """``$TENSORBOND_SHARED``, else ``<repo>/../shared`` (``./shared`` when installed)."""
    env = os.environ.get("TENSORBOND_SHARED")
    if env:
        return Path(env)
    repo = checkout_root()
    return repo.parent / "shared" if repo is not None else Path("shared")


def find_shared(shared: str | os.PathLike[str] | None = None) -> Path:
    """The ``shared`` folder holding ``circuits/`` (and ``qasmbench/``), resolved.

    ``shared`` if given, else :func:`default_shared`.

    Raises
    ------
    FileNotFoundError
        When that folder has no ``circuits/`` folder (naming it).
    """
    cand = Path(shared) if shared is not None else default_shared()
    if (cand / "circuits").is_dir():
        return cand.resolve()
    how = "given" if shared is not None else "default"
    raise FileNotFoundError(
        f"no benchmark circuits found: {cand} (the {how} data folder) has no "
        "circuits/ folder; pass --shared DIR or set TENSORBOND_SHARED"
    )


def default_out_dir() -> Path:
    """``<repo>/bench/results`` (``./bench-results`` when installed)."""
    repo = checkout_root()
    return repo / "bench" / "results" if repo is not None else Path("bench-results")
