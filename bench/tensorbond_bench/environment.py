"""The machine a run is on: thread pinning, the tools' availability, machine facts."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .model import CONTESTANT_NAMES

_THREAD_ENV = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


def pin_threads(tools: Iterable[str] = CONTESTANT_NAMES) -> list[str]:
    """Pin every tool to one thread; returns notes on what could not be pinned.

    Sets the OpenMP/BLAS thread variables to 1 (effective for libraries loaded
    afterwards: import quimb and qiskit-aer after this), calls
    ``tensorbond.set_num_threads(1)``, and limits every BLAS and OpenMP pool
    already loaded with ``threadpoolctl`` (numpy's BLAS loaded before the
    variables were set included). aer gets ``max_parallel_threads=1`` per run.
    """
    for var in _THREAD_ENV:
        os.environ[var] = "1"
    notes = []
    import tensorbond as tb

    tb.set_num_threads(1)
    _import_tools(tools)
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:
        notes.append(
            "threadpoolctl is not installed: BLAS pools loaded before the thread "
            "variables were set are not pinned"
        )
    else:
        # the limiter is kept alive for the process: pinning is its purpose
        global _LIMITER
        _LIMITER = threadpool_limits(1)
    return notes


_LIMITER: Any = None


def _import_tools(tools: Iterable[str] = CONTESTANT_NAMES) -> dict[str, str | None]:
    """Import the contestants' packages; ``{tool: None, or why it is unavailable}``."""
    tools = set(tools)
    out: dict[str, str | None] = {"tensorbond": None}
    if "quimb" in tools:
        try:
            import quimb.tensor  # type: ignore[import-untyped]  # noqa: F401
        except Exception as exc:
            out["quimb"] = f"quimb is not importable ({exc}); pip install tensorbond[bench]"
        else:
            out["quimb"] = None
    if tools & {"aer", "aer_lapack"}:
        try:
            import qiskit  # type: ignore[import-untyped]  # noqa: F401
            import qiskit_aer  # type: ignore[import-untyped]  # noqa: F401
        except Exception as exc:
            reason = f"qiskit-aer is not importable ({exc}); pip install tensorbond[bench]"
            out["aer"] = out["aer_lapack"] = reason
        else:
            out["aer"] = out["aer_lapack"] = None
    return out


def machine_info() -> dict[str, Any]:
    """Platform, CPU model, versions, BLAS pools and git revision of this run."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
    }
    versions: dict[str, str | None] = {}
    for pkg in (
        "tensorbond",
        "numpy",
        "quimb",
        "qiskit",
        "qiskit-aer",
        "threadpoolctl",
        "matplotlib",
        "scipy",
    ):
        try:
            from importlib.metadata import version

            versions[pkg] = version(pkg)
        except Exception:
            versions[pkg] = None
    info["versions"] = versions
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {
                k: p.get(k)
                for k in (
                    "user_api",
                    "internal_api",
                    "num_threads",
                    "version",
                    "filepath",
                )
            }
            for p in threadpool_info()
        ]
    except ImportError:
        info["threadpools"] = None
    info["git"] = _git_revision()
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_revision() -> dict[str, Any]:
    import tensorbond

    here = Path(tensorbond.__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            r = subprocess.run(
                ["git", "--no-optional-locks", *args],
                cwd=here,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    sha = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "sha": sha,
        "short": sha[:7] if sha else None,
        "dirty": bool(status) if status is not None else None,
    }


def _threadpools() -> list[dict[str, Any]] | None:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [
        {k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
        for p in threadpool_info()
    ]
