"""The global budget: one candidate per layer under a target compression ratio
or a total error, by a Lagrangian sweep over the layers' Pareto fronts (in the
spirit of CompactifAI's per-layer sweep).

The model-level error is the sensitivity-weighted RMS
``sqrt(sum s_l e_l^2 / sum s_l)`` of the layers' relative errors ``e_l``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from ..parallel import map as parallel_map
from .formats import Candidate, Format, candidates, pareto

RatioOf = Literal["model", "layers"]
Objective = Literal["size", "latency"]

__all__ = ["Objective", "RatioOf", "allocate", "check_budget_args", "choose"]


def allocate(
    fronts: Mapping[str, Sequence[Candidate]],
    weights: Mapping[str, float],
    *,
    max_params: int | None = None,
    max_error: float | None = None,
    fixed_params: int = 0,
) -> dict[str, Candidate]:
    """Pick one candidate per layer under a global budget.

    Minimizes the weighted error ``sum w_l e_l^2`` subject to the total
    parameters (plus ``fixed_params``) <= ``max_params``, or minimizes the total
    parameters subject to ``sqrt(sum w_l e_l^2 / sum w_l) <= max_error``. Each
    layer picks ``argmin w_l e^2 + lam * params`` for a multiplier ``lam`` found
    by bisection; leftover budget then upgrades the layers with the best error
    gain per parameter.
    """
    if (max_params is None) == (max_error is None):
        raise ValueError("give exactly one of max_params or max_error")
    names = list(fronts)
    wsum = sum(weights[n] for n in names) or 1.0

    def pick(lam: float) -> dict[str, Candidate]:
        return {
            n: min(fronts[n], key=lambda c: weights[n] * c.rel_error**2 + lam * c.params)
            for n in names
        }

    def total_params(ch: Mapping[str, Candidate]) -> int:
        return fixed_params + sum(c.params for c in ch.values())

    def error(ch: Mapping[str, Candidate]) -> float:
        return math.sqrt(sum(weights[n] * ch[n].rel_error ** 2 for n in names) / wsum)

    def ok(ch: Mapping[str, Candidate]) -> bool:
        if max_params is not None:
            return total_params(ch) <= max_params
        return error(ch) <= max_error  # type: ignore[operator]

    def bisect(good_low: bool) -> float:
        """The boundary multiplier between choices that fit and ones that do not."""
        lo, hi = 1e-30, 1.0
        while ok(pick(hi)) == good_low and hi < 1e30:
            hi *= 16.0
        for _ in range(200):
            mid = math.sqrt(lo * hi)
            if ok(pick(mid)) == good_low:
                lo = mid
            else:
                hi = mid
            if hi / lo < 1 + 1e-9:
                break
        return lo if good_low else hi

    if max_params is not None:
        # More weight on parameters (larger lam) gives smaller models: take the
        # smallest lam that fits, the most accurate choice within the budget.
        smallest = fixed_params + sum(min(c.params for c in fronts[n]) for n in names)
        if smallest > max_params:
            raise ValueError(
                f"the budget of {max_params} parameters is below the smallest "
                f"model the formats can make ({smallest} parameters)"
            )
        choice = pick(0.0)
        if not ok(choice):
            choice = pick(bisect(good_low=False))
        if not ok(choice):  # the fronts' extreme ends always fit
            choice = {n: min(fronts[n], key=lambda c: c.params) for n in names}
    else:
        if not ok(pick(0.0)):
            raise ValueError(f"error budget {max_error} is below what the formats reach")
        # The largest lam that still meets the error: the fewest parameters.
        return pick(bisect(good_low=True))
    # Greedy fill of the leftover parameter budget.
    improved = True
    while improved:
        improved = False
        spare = max_params - total_params(choice)
        best, best_gain = None, 0.0
        for n in names:
            cur = choice[n]
            for c in fronts[n]:
                extra = c.params - cur.params
                if 0 < extra <= spare:
                    gain = weights[n] * (cur.rel_error**2 - c.rel_error**2) / extra
                    if gain > best_gain:
                        best, best_gain = (n, c), gain
        if best is not None:
            choice[best[0]] = best[1]
            improved = True
    return choice


def check_budget_args(ratio: float | None, error_budget: float | None) -> None:
    """Raise ValueError unless exactly one of ``ratio`` (finite, >= 1) and
    ``error_budget`` (in [0, 1)) is given."""
    if (ratio is None) == (error_budget is None):
        raise ValueError("give exactly one of ratio= or error_budget=")
    if ratio is not None and not (ratio >= 1.0 and math.isfinite(ratio)):
        raise ValueError(f"ratio must be a finite number >= 1, got {ratio}")
    if error_budget is not None and not (0.0 <= error_budget < 1.0):
        raise ValueError(f"error_budget must be in [0, 1), got {error_budget}")


def _front(
    formats: tuple[Format, ...],
    batch: int,
    objective: Objective,
    job: tuple[np.ndarray, np.ndarray | None],
) -> list[Candidate]:
    """One layer's Pareto front of candidates (a task of its own)."""
    w, whitener = job
    cands = candidates(w, formats=formats, batch=batch, whitener=whitener)
    if objective == "latency":
        # Only formats whose forward costs fewer multiply-adds than dense.
        cands = [c for c in cands if c.macs <= w.shape[0] * w.shape[1]]
    return pareto(cands)


def choose(
    mats: Mapping[str, np.ndarray],
    sens: Mapping[str, float],
    *,
    total_dense: int,
    ratio: float | None,
    error_budget: float | None,
    objective: Objective,
    formats: Sequence[Format],
    batch: int,
    ratio_of: RatioOf = "model",
    whiteners: Mapping[str, np.ndarray] | None = None,
    executor: Any = None,
) -> tuple[dict[str, Candidate], float]:
    """Each layer's candidate under the budget, and the weighted RMS error.

    Parameters
    ----------
    mats : mapping of str to ndarray
        The weight matrices to compress, by layer name.
    sens : mapping of str to float
        Each layer's sensitivity (its weight in the error).
    total_dense : int
        The whole model's dense parameters (for ``ratio_of="model"``).
    ratio, error_budget : float, optional
        The budget, exactly one of them (see :func:`tensorbond.compress`).
    objective, formats, batch, ratio_of
        As in :func:`tensorbond.compress`.
    whiteners : mapping of str to ndarray, optional
        Each layer's input factor (:func:`~tensorbond.compress.formats.input_whitener`):
        errors are then output errors.
    executor : optional
        Where the layers' candidates are made (see :func:`tensorbond.map`).

    Returns
    -------
    choice, error
        The chosen :class:`Candidate` per layer and the sensitivity-weighted RMS
        relative error ``sqrt(sum s_l e_l^2 / sum s_l)``.
    """
    # Each layer's candidates are independent work: the executor's tasks.
    jobs = [(w, None if whiteners is None else whiteners[name]) for name, w in mats.items()]
    one = functools.partial(_front, tuple(formats), batch, objective)
    fronts = dict(
        zip(
            mats,
            parallel_map(
                one, jobs, executor=executor, desc="layers", index_errors=executor is not None
            ),
            strict=True,
        )
    )
    layer_dense = sum(w.size for w in mats.values())
    if ratio is not None:
        if ratio_of == "layers":
            choice = allocate(fronts, sens, max_params=int(layer_dense / ratio))
        else:
            choice = allocate(
                fronts,
                sens,
                max_params=int(total_dense / ratio),
                fixed_params=total_dense - layer_dense,
            )
    else:
        choice = allocate(fronts, sens, max_error=error_budget)
    wsum = sum(sens.values()) or 1.0
    err = math.sqrt(sum(sens[n] * choice[n].rel_error ** 2 for n in mats) / wsum)
    return choice, err
