"""Refuse allocations that cannot fit before making them, with the figures.

A dense state vector or matrix of the wrong size does not fail fast: it pages
for minutes before ``std::bad_alloc``. Every large allocation asks
:func:`check_allocation` first, against the memory this process can use (the
smaller of the machine's available memory and a cgroup limit), or against
the limit set by :func:`set_max_memory`.
"""

from __future__ import annotations

import operator
import os

__all__ = ["available_memory", "check_allocation", "get_max_memory", "set_max_memory"]

_max_memory: int | None = None


def set_max_memory(nbytes: int | None) -> None:
    """Set the most bytes one allocation may ask for; ``None`` restores the default.

    The default is :func:`available_memory`, read at each check.

    Raises
    ------
    ValueError
        For a negative or zero limit.
    TypeError
        For a limit that is not an integer.
    """
    global _max_memory
    if nbytes is None:
        _max_memory = None
        return
    if isinstance(nbytes, bool):
        raise TypeError("max_memory must be an int number of bytes or None, got a bool")
    try:
        value = operator.index(nbytes)
    except TypeError:
        raise TypeError(
            f"max_memory must be an int number of bytes or None, got {nbytes!r}"
        ) from None
    if value <= 0:
        raise ValueError(f"max_memory must be positive, got {value}")
    _max_memory = value


def get_max_memory() -> int:
    """The limit in force: the value set by :func:`set_max_memory`, else what is free."""
    return _max_memory if _max_memory is not None else available_memory()


def available_memory() -> int:
    """Bytes this process can still allocate: free RAM, capped by a cgroup limit."""
    free = _meminfo_available()
    limit = _cgroup_remaining()
    candidates = [v for v in (free, limit) if v is not None]
    if not candidates:  # not Linux: physical memory is the best figure we have
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    return min(candidates)


def check_allocation(nbytes: int, what: str) -> None:
    """Raise MemoryError if ``what`` (needing ``nbytes``) exceeds the limit.

    Raises
    ------
    MemoryError
        Stating both figures and how to move the limit.
    """
    limit = get_max_memory()
    if nbytes > limit:
        source = "the limit set by tensorbond.set_max_memory" if _max_memory else "available"
        raise MemoryError(
            f"{what} needs {format_bytes(nbytes)}, but {format_bytes(limit)} is "
            f"{source}; tensorbond.set_max_memory(nbytes) moves the limit"
        )


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _cgroup_remaining() -> int | None:
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as f:
            text = f.read().strip()
        if text == "max":
            return None
        with open("/sys/fs/cgroup/memory.current", encoding="ascii") as f:
            used = int(f.read().strip())
        return max(0, int(text) - used)
    except (OSError, ValueError):
        return None
