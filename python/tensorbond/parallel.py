"""Ordered maps over serial, thread-pool, ``concurrent.futures`` and Dask executors.

:func:`map` is the one batch primitive: results come back in the order of the
items whatever ran where, small items are grouped into chunks (one task each),
a failing item is reported with its index and its original message, and with
``seed=`` every item gets its own seed spawned from the user's by its index
(``numpy.random.SeedSequence(seed).spawn``), so random results are
bit-identical for any executor, worker count or chunking.

Executors: ``None`` (serial, in this thread), an int (a local pool of that
many threads: the kernels release the GIL), any
:class:`concurrent.futures.Executor` (a process pool too: everything a task
returns pickles), a ``dask.distributed.Client``, or a Dask scheduler address
(``"tcp://host:8786"``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from typing import Any, TypeVar

import numpy as np

from ._validate import as_count

__all__ = ["ItemError", "child_seeds", "map", "num_workers"]

T = TypeVar("T")
R = TypeVar("R")

#: How long a scheduler address may take to answer before :func:`map` gives up.
CONNECT_TIMEOUT_S = 5.0


class ItemError(RuntimeError):
    """One item of a batch failed: its index, and the original exception's type and
    message (the original is chained as ``__cause__`` where it could travel).

    Attributes
    ----------
    index : int
        Position of the failing item in the batch.
    kind : str
        The original exception's type name.
    reason : str
        Its message.
    """

    def __init__(self, index: int, kind: str, reason: str) -> None:
        super().__init__(index, kind, reason)
        self.index = index
        self.kind = kind
        self.reason = reason

    def __str__(self) -> str:
        return f"item {self.index} failed: {self.kind}: {self.reason}"


def child_seeds(seed: Any, count: int) -> list[int]:
    """``count`` independent 63-bit seeds spawned from ``seed`` by index.

    Item ``i`` always gets the same seed for the same ``seed``, whatever else is
    in the batch: ``SeedSequence(seed, spawn_key=(i,))``, the i-th child of
    ``SeedSequence(seed).spawn``.

    Parameters
    ----------
    seed : int or numpy.random.SeedSequence
        The user's seed.
    count : int
        How many items.

    Returns
    -------
    list of int

    Raises
    ------
    TypeError
        A seed that is not an int or a SeedSequence.
    """
    if isinstance(seed, np.random.SeedSequence):
        root = seed
    elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        root = np.random.SeedSequence(int(seed))
    else:
        raise TypeError(
            f"seed must be an int or a numpy.random.SeedSequence, got {type(seed).__name__}"
        )
    out = []
    for child in root.spawn(count):
        hi, lo = (int(x) for x in child.generate_state(2, np.uint32))
        out.append(((hi << 32) | lo) & ((1 << 63) - 1))
    return out


def _is_dask_client(obj: Any) -> bool:
    return type(obj).__module__.startswith("distributed") and hasattr(obj, "gather")


def _connect(address: str) -> Any:
    try:
        from distributed import Client
    except ImportError as exc:
        raise ImportError(
            "a Dask scheduler address needs dask.distributed: pip install 'tensorbond[dask]'"
        ) from exc
    try:
        return Client(address, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise ConnectionError(
            f"cannot reach the Dask scheduler at {address!r} within {CONNECT_TIMEOUT_S:g} s "
            f"({type(exc).__name__}: {exc})"
        ) from None


def num_workers(executor: Any) -> int:
    """How many tasks ``executor`` runs at once (1 for serial)."""
    if executor is None:
        return 1
    if isinstance(executor, (int, np.integer)) and not isinstance(executor, bool):
        return int(executor)
    if _is_dask_client(executor):
        info = executor.scheduler_info()
        total = sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())
        return max(total, 1)
    workers = getattr(executor, "_max_workers", None)
    return int(workers) if isinstance(workers, int) and workers > 0 else os.cpu_count() or 1


def _run_chunk(
    fn: Callable[..., Any],
    start: int,
    items: Sequence[Any],
    seeds: Sequence[int] | None,
    index_errors: bool = True,
) -> list[Any]:
    """One task: ``fn`` over a chunk, failures tagged with the item's index."""
    out = []
    for k, item in enumerate(items):
        try:
            out.append(fn(item) if seeds is None else fn(item, seed=seeds[k]))
        except Exception as exc:
            if not index_errors:
                raise
            err = ItemError(start + k, type(exc).__name__, str(exc))
            raise err from exc
    return out


def map(
    fn: Callable[..., R],
    items: Iterable[T],
    *,
    executor: Any = None,
    chunk_size: int | None = None,
    seed: Any = None,
    progress: bool = False,
    desc: str = "tensorbond",
    index_errors: bool = True,
) -> list[R]:
    """``[fn(item) for item in items]`` on an executor, in the items' order.

    Parameters
    ----------
    fn : callable
        A picklable function (module level, or a ``functools.partial`` of one)
        for process pools and Dask; any callable for ``None`` and thread pools.
        With ``seed`` it is called as ``fn(item, seed=child_seed)``.
    items : iterable
        The work.
    executor : None, int, concurrent.futures.Executor, dask Client or str
        Where it runs (see the module docstring).
    chunk_size : int, optional
        Items per task; default: the items spread over four tasks per worker
        (tasks carry a fixed overhead, measured in ``bench``: about
        2 ms each on a local Dask cluster: bench --suite scaleout).
    seed : int or numpy.random.SeedSequence, optional
        Spawn one seed per item by index (:func:`child_seeds`).
    progress : bool
        A progress bar (tqdm) that advances as tasks complete.
    desc : str
        The bar's label.
    index_errors : bool
        Wrap a failing item's exception in :class:`ItemError` (its index and
        message). The library's own batch forms pass ``executor is not None``:
        run serially, they raise the original exception, as a single call does.

    Returns
    -------
    list
        One result per item, in order.

    Raises
    ------
    ItemError
        An item failed: its index and the original type and message (the first
        failing item by index among the tasks that failed).
    ConnectionError
        A scheduler address that does not answer within 5 seconds.
    ValueError
        An executor that is not one of those above, a worker count below 1, a
        chunk size below 1.

    Examples
    --------
    >>> import tensorbond as tb
    >>> tb.map(abs, [-1, 2, -3], executor=2)
    [1, 2, 3]
    """
    work = list(items)
    n = len(work)
    seeds = child_seeds(seed, n) if seed is not None else None
    owned = None
    if isinstance(executor, str):
        owned = executor = _connect(executor)
    if isinstance(executor, bool):
        raise ValueError("executor must be None, an int, an Executor or a Dask client")
    if isinstance(executor, (int, np.integer)):
        as_count(executor, "executor (workers)", minimum=1)
    elif not (executor is None or isinstance(executor, Executor) or _is_dask_client(executor)):
        raise ValueError(
            "executor must be None, a worker count, a concurrent.futures.Executor, a "
            f"dask.distributed.Client or a scheduler address; got {type(executor).__name__}"
        )
    try:
        if n == 0:
            return []
        workers = num_workers(executor)
        size = (
            as_count(chunk_size, "chunk_size", minimum=1)
            if chunk_size is not None
            else max(1, math.ceil(n / (4 * workers)))
        )
        starts = list(range(0, n, size))
        chunks = [
            (s, work[s : s + size], None if seeds is None else seeds[s : s + size]) for s in starts
        ]
        bar = _bar(progress, n, desc)
        try:
            results = _dispatch(fn, chunks, executor, bar, index_errors)
        finally:
            if bar is not None:
                bar.close()
        return [r for chunk in results for r in chunk]
    finally:
        if owned is not None:
            owned.close()


def _bar(progress: bool, total: int, desc: str) -> Any:
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="item")


def _dispatch(
    fn: Callable[..., Any],
    chunks: list[tuple[int, list[Any], list[int] | None]],
    executor: Any,
    bar: Any,
    index_errors: bool,
) -> list[list[Any]]:
    """Run the chunks, returning their results in chunk order."""
    if executor is None or (isinstance(executor, (int, np.integer)) and executor == 1):
        out = []
        for start, items, seeds in chunks:
            out.append(_run_chunk(fn, start, items, seeds, index_errors))
            if bar is not None:
                bar.update(len(items))
        return out
    if _is_dask_client(executor):
        return _dispatch_dask(fn, chunks, executor, bar, index_errors)
    if isinstance(executor, (int, np.integer)):
        with ThreadPoolExecutor(max_workers=int(executor)) as pool:
            return _dispatch_futures(fn, chunks, pool, bar, index_errors)
    return _dispatch_futures(fn, chunks, executor, bar, index_errors)


def _dispatch_futures(
    fn: Callable[..., Any],
    chunks: list[tuple[int, list[Any], list[int] | None]],
    pool: Executor,
    bar: Any,
    index_errors: bool,
) -> list[list[Any]]:
    futures: dict[Future[list[Any]], int] = {
        pool.submit(_run_chunk, fn, start, items, seeds, index_errors): i
        for i, (start, items, seeds) in enumerate(chunks)
    }
    results: list[list[Any] | None] = [None] * len(chunks)
    failures: list[BaseException] = []
    for fut in as_completed(futures):
        i = futures[fut]
        exc = fut.exception()
        if exc is not None:
            failures.append(exc)
            continue
        results[i] = fut.result()
        if bar is not None:
            bar.update(len(chunks[i][1]))
    _raise_first(failures)
    return [r for r in results if r is not None]


def _dispatch_dask(
    fn: Callable[..., Any],
    chunks: list[tuple[int, list[Any], list[int] | None]],
    client: Any,
    bar: Any,
    index_errors: bool,
) -> list[list[Any]]:
    from distributed import as_completed as dask_completed

    # pure=False: identical chunks are still separate tasks; Dask reruns a task
    # whose worker died, so a lost worker loses nothing.
    futures = [
        client.submit(_run_chunk, fn, start, items, seeds, index_errors, pure=False)
        for start, items, seeds in chunks
    ]
    index = {f.key: i for i, f in enumerate(futures)}
    failures: list[BaseException] = []
    try:
        # loop=: the client need not be the default one (an address we connected
        # to, or a Client made with set_as_default=False).
        for fut in dask_completed(futures, loop=client.loop):  # type: ignore[no-untyped-call]
            i = index[fut.key]
            if fut.status == "error":
                failures.append(fut.exception())
            elif bar is not None:
                bar.update(len(chunks[i][1]))
        _raise_first(failures)
        results: list[list[Any]] = client.gather(futures)
        return results
    finally:
        for f in futures:
            f.release()


def _raise_first(failures: list[BaseException]) -> None:
    """Re-raise the failure of the lowest item index (deterministic whatever
    finished first); an exception that is not an item's propagates as it is."""
    if not failures:
        return
    items = [f for f in failures if isinstance(f, ItemError)]
    if len(items) != len(failures):
        raise next(f for f in failures if not isinstance(f, ItemError))
    raise min(items, key=lambda e: e.index)
