"""The floor of a workload: the better of numpy's LAPACK SVDs of exactly the
shapes tensorbond factorized in one run of it, and the GEMM/QR work of the split
routes it took at the machine's measured GEMM rate."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .model import Inputs, Workload


def svd_floor(
    shapes: Iterable[Sequence[int]], *, dtype: Any = np.complex128, seed: int = 0
) -> float:
    """Summed time of numpy's LAPACK SVDs (gesdd) of matrices of these shapes.

    One random Gaussian matrix per distinct shape, reused; only the
    ``np.linalg.svd(a, full_matrices=False)`` calls are timed.
    """
    rng = np.random.default_rng(seed)
    cache: dict[tuple[int, int], np.ndarray] = {}
    total = 0.0
    for m, n in shapes:
        key = (int(m), int(n))
        a = cache.get(key)
        if a is None:
            a = rng.standard_normal(key) + 1j * rng.standard_normal(key)
            a = cache[key] = np.ascontiguousarray(a, dtype=dtype)
        t0 = time.perf_counter()
        np.linalg.svd(a, full_matrices=False)
        total += time.perf_counter() - t0
    return total


def gemm_rate(*, n: int = 384, dtype: Any = np.complex128, repeats: int = 5) -> float:
    """Multiply-adds per second of numpy's GEMM on ``(n, n)`` matrices (best of
    ``repeats``): the rate the GEMM floor divides by."""
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))).astype(dtype)
    b = (rng.standard_normal((n, n)) + 1j * rng.standard_normal((n, n))).astype(dtype)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return float(n) ** 3 / best


def gemm_floor(madds: float, rate: float | None = None) -> float:
    """Seconds for ``madds`` complex multiply-adds at the measured GEMM rate."""
    return madds / (rate if rate is not None else gemm_rate())


def recorded_shapes(w: Workload, inputs: Inputs) -> np.ndarray:
    """The SVD shapes tensorbond factorizes in one run of the workload."""
    return recorded_work(w, inputs)[0]


def recorded_work(w: Workload, inputs: Inputs) -> tuple[np.ndarray, float]:
    """The truncated splits' shapes of one run of the workload, and the GEMM/QR
    multiply-adds of the routes they took (``MPS.split_stats()["madds"]``)."""
    import tensorbond as tb

    opts: dict[str, Any] = {
        "max_bond": w.max_bond,
        "cutoff": w.cutoff,
        "cutoff_mode": w.cutoff_mode,
    }
    if w.kind == "kernel":
        case = inputs.kernel
        assert case is not None and case.state is not None
        s = case.state.copy()
        before = float(s.split_stats()["madds"])
        s.record_svd_shapes()
        s.apply_gate(case.gate, (case.site, case.site + 1), **opts)
        return s.svd_shapes(), float(s.split_stats()["madds"]) - before
    state = tb.MPS(inputs.circuit.num_qubits)
    state.record_svd_shapes()  # carried over to simulate's copy of the initial state
    state = tb.simulate(inputs.circuit, initial_state=state, **opts)
    return state.svd_shapes(), float(state.split_stats()["madds"])
