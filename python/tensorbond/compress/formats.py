"""Per-layer candidates: the error-vs-parameters curve of each storage format
(dense, low-rank, TT-matrix with several mode factorizations) for one weight matrix.

Error measure: the weight error ``||W - W~||_F / ||W||_F``, or, with a layer's
input factor ``L`` from :func:`input_whitener` (calibration inputs X), the
output error ``||(W - W~) X^T||_F / ||W X^T||_F`` on them. With the output error
a low-rank candidate is the optimal rank-r fit to the layer's outputs (SVD of
``W L`` for the Cholesky factor ``L`` of ``X^T X``, as in activation-aware SVD),
not to its weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from .tt import LowRank, TTMatrix, factor_modes

Format = Literal["dense", "lowrank", "tt"]
ErrorMetric = Literal["weight", "output"]

__all__ = ["Candidate", "ErrorMetric", "Format", "candidates", "input_whitener", "pareto"]


@dataclass(frozen=True)
class Candidate:
    """One way to store a layer: a format, its parameters, cost and error.

    Attributes
    ----------
    format : {"dense", "lowrank", "tt"}
    params : int
        Stored numbers (weights only; the bias is counted separately).
    macs : int
        Multiply-adds of the forward pass per input row.
    rel_error : float
        ``||W - W~||_F / ||W||_F``, or the relative output error on the
        calibration inputs when the candidate was made with a whitener.
    max_bond : int or None
        The bond dimension: a low-rank candidate's rank, or the TT ``max_bond``.
    in_modes, out_modes : tuple of int or None
        TT mode factorization.
    data_aware : bool
        Made for the output error: a low-rank candidate must then be built with
        the same whitener.
    svd_max_bond : int or None
        A TT candidate is the TT-SVD at this ``max_bond`` rounded to ``max_bond``
        (with three or more cores, not the same as the TT-SVD at ``max_bond``).
    """

    format: Format
    params: int
    macs: int
    rel_error: float
    max_bond: int | None = None
    in_modes: tuple[int, ...] | None = None
    out_modes: tuple[int, ...] | None = None
    data_aware: bool = False
    svd_max_bond: int | None = None

    def build(
        self, w: np.ndarray, whitener: np.ndarray | None = None
    ) -> np.ndarray | LowRank | TTMatrix:
        """Factorize ``w`` as this candidate says (``whitener``: the layer's
        input factor from :func:`input_whitener`, needed by data-aware
        low-rank candidates)."""
        if self.format == "dense":
            return w
        if self.format == "lowrank":
            if not self.data_aware:
                return LowRank.from_dense(w, max_bond=self.max_bond)
            if whitener is None:
                raise ValueError("a data-aware low-rank candidate needs the layer's whitener")
            assert self.max_bond is not None
            return _whitened_lowrank(w, whitener, self.max_bond)
        base = TTMatrix.from_dense(
            w,
            in_modes=self.in_modes,
            out_modes=self.out_modes,
            max_bond=self.svd_max_bond or self.max_bond,
        )
        if (
            self.svd_max_bond is None
            or self.max_bond is None
            or self.max_bond >= max(base.bond_dims, default=1)
        ):
            return base
        return base.round(max_bond=self.max_bond)


def input_whitener(
    gram: npt.ArrayLike, rows: int, ridge: float = 1e-4, *, real: bool = False
) -> np.ndarray:
    """Lower Cholesky factor ``L`` of a layer's input second moment, so that
    ``||(W - W~) X^T||_F^2 / rows = ||(W - W~) L||_F^2``.

    Parameters
    ----------
    gram : array_like, shape (in, in)
        ``X^H X`` summed over the calibration rows.
    rows : int
        How many rows the sum covers.
    ridge : float
        Added to the diagonal relative to the mean eigenvalue, so directions the
        calibration never visits still count a little and ``L`` is invertible.
    real : bool
        The weight is real: only the real part of a complex gram matters
        (``||D x||^2 = ||D Re x||^2 + ||D Im x||^2`` for real ``D``), and the
        factor must be real for the fitted factors to stay real.
    """
    c = np.asarray(gram)
    c = c.astype(np.complex128 if np.iscomplexobj(c) else np.float64)
    if real:
        c = c.real.copy()
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"gram must be a square matrix, got shape {c.shape}")
    if rows < 1:
        raise ValueError("the calibration inputs have no rows")
    if not (ridge >= 0 and math.isfinite(ridge)):
        raise ValueError(f"ridge must be a finite number >= 0, got {ridge}")
    c = (c + c.conj().T) / (2 * rows)
    scale = float(np.real(np.trace(c))) / c.shape[0]
    if not math.isfinite(scale):
        raise ValueError("calibration inputs contain NaN or infinite values")
    c[np.diag_indices_from(c)] += ridge * (scale if scale > 0 else 1.0)
    try:
        return np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        raise ValueError(
            "gram is not positive definite: it must be X^H X of the "
            "calibration inputs (raise ridge if they are rank-deficient)"
        ) from None


def _whitened_lowrank(w: np.ndarray, whitener: np.ndarray, rank: int) -> LowRank:
    """The rank-r ``U V`` minimizing ``||(W - U V) L||_F``: truncated SVD of
    ``W L``, then ``V = V_r^H L^{-1}``."""
    u, s, vh = np.linalg.svd(w.astype(whitener.dtype) @ whitener, full_matrices=False)
    u, vh = u[:, :rank] * s[:rank], vh[:rank]
    v = np.linalg.solve(whitener.conj().T, vh.conj().T).conj().T  # vh @ L^{-1}
    return LowRank.from_factors(u.astype(w.dtype, copy=False), v.astype(w.dtype, copy=False))


def _rank_grid(limit: int) -> list[int]:
    """1, 2, 3, 4, 6, 8, 12, 16, 24, ... up to `limit` (about 1.4x apart)."""
    out, r = [], 1
    while r <= limit:
        out.append(r)
        r = r + 1 if r < 4 else round(r * 1.5 / 2) * 2
    return out


def _tt_params(in_modes: tuple[int, ...], out_modes: tuple[int, ...], r: int) -> int:
    """Parameters of a TT-matrix with these modes at max_bond ``r`` (ranks capped
    by the matrix sizes on either side of each cut)."""
    sizes = [m * n for m, n in zip(out_modes, in_modes, strict=True)]
    ranks = [1]
    for k in range(1, len(sizes)):
        ranks.append(min(r, math.prod(sizes[:k]), math.prod(sizes[k:])))
    ranks.append(1)
    return sum(ranks[k] * sizes[k] * ranks[k + 1] for k in range(len(sizes)))


def _tt_factorizations(out: int, inp: int) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Balanced (in_modes, out_modes) pairs for 2, 3 and 4 cores, where they exist."""
    seen, pairs = set(), []
    for d in (2, 3, 4):
        try:
            im, om = factor_modes(inp, d), factor_modes(out, d)
        except ValueError:
            continue
        if len(im) != d or len(om) != d or min(im + om) < 2:
            continue
        if (im, om) not in seen:
            seen.add((im, om))
            pairs.append((im, om))
    return pairs


def candidates(
    w: npt.ArrayLike,
    *,
    formats: Sequence[Format] = ("dense", "lowrank", "tt"),
    batch: int = 1,
    whitener: npt.ArrayLike | None = None,
) -> list[Candidate]:
    """The error-vs-parameters curve of every format for one weight matrix.

    Parameters
    ----------
    w : array_like, shape (out, in)
        The weight (``y = x @ w.T``).
    formats : sequence of {"dense", "lowrank", "tt"}
        Formats to consider.
    batch : int
        Batch size for the multiply-add counts of TT candidates.
    whitener : array_like, shape (in, in), optional
        The layer's input factor ``L`` (:func:`input_whitener`). Given, errors
        are relative output errors ``||(W - W~) L||_F / ||W L||_F`` and low-rank
        candidates are the optimal fits to the outputs (data-aware).

    Returns
    -------
    list of Candidate
        Only candidates with fewer parameters than the dense matrix (and the
        dense one itself), each with its exact relative error.
    """
    w = np.asarray(w)
    if w.ndim != 2:
        raise ValueError(f"a weight matrix must be 2-D, got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError("weight contains NaN or infinite values")
    out, inp = w.shape
    dense = out * inp
    lw = None
    if whitener is not None:
        lw = np.asarray(whitener)
        if lw.shape != (inp, inp):
            raise ValueError(f"whitener must have shape ({inp}, {inp}), got {lw.shape}")
    aware = lw is not None
    found: list[Candidate] = []
    if "dense" in formats:
        found.append(Candidate("dense", dense, dense, 0.0, data_aware=aware))
    target = w if lw is None else w @ lw  # what the error is measured on
    norm2 = float(np.sum(np.abs(target) ** 2)) or 1.0

    def rel_error(approx: np.ndarray) -> float:
        d = w - approx
        return math.sqrt(float(np.sum(np.abs(d if lw is None else d @ lw) ** 2)) / norm2)

    if "lowrank" in formats:
        s = np.linalg.svd(
            target if np.issubdtype(target.dtype, np.inexact) else target.astype(np.float64),
            compute_uv=False,
        ).astype(np.float64)
        tail = np.concatenate([np.cumsum((s**2)[::-1])[::-1], [0.0]])
        for r in _rank_grid(min(out, inp)):
            p = r * (out + inp)
            if p >= dense:
                break
            found.append(
                Candidate(
                    "lowrank", p, p, math.sqrt(max(tail[r], 0.0) / norm2), r, data_aware=aware
                )
            )
    if "tt" in formats and lw is None:
        # Exact TT-SVD errors from singular values: the first cut's SVD is shared
        # by every rank; the error of a TT-SVD is the root of its discarded weight.
        w64 = w if np.issubdtype(w.dtype, np.inexact) else w.astype(np.float64)
        wn2 = float(np.sum(np.abs(w64) ** 2)) or 1.0
        for im, om in _tt_factorizations(out, inp):
            d = len(im)
            sizes = [m * n for m, n in zip(om, im, strict=True)]
            order = [a for k in range(d) for a in (k, d + k)]
            t = w64.reshape(om + im).transpose(order).reshape(sizes[0], -1)
            _u0, s0, vh0 = np.linalg.svd(t, full_matrices=False)
            s0 = s0.astype(np.float64)
            tail0 = np.concatenate([np.cumsum((s0**2)[::-1])[::-1], [0.0]])
            # Each inner SVD depends only on the ranks before it: once r passes a
            # cut's full rank the same matrix recurs, so its SVD is kept by prefix.
            # The last inner cut needs singular values only.
            inner: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray | None]] = {}
            prev = None
            for r in _rank_grid(max(out, inp)):
                r0 = min(r, len(s0))
                disc, rl, c = float(tail0[r0]), r0, s0[:r0, None] * vh0[:r0]
                ranks = [r0]
                for k in range(1, d - 1):
                    key = tuple(ranks)
                    if key not in inner:
                        c = c.reshape(rl * sizes[k], -1)
                        if k < d - 2:
                            _, sk, vk = np.linalg.svd(c, full_matrices=False)
                        else:
                            sk, vk = np.linalg.svd(c, compute_uv=False), None
                        inner[key] = (sk, vk)
                    sk, vk = inner[key]
                    rk = min(r, len(sk))
                    disc += float(np.sum(sk[rk:].astype(np.float64) ** 2))
                    if vk is not None:
                        c = sk[:rk, None] * vk[:rk]
                    rl = rk
                    ranks.append(rk)
                full = [1, *ranks, 1]
                p = sum(full[k] * sizes[k] * full[k + 1] for k in range(d))
                if p >= dense or ranks == prev:
                    break
                prev = ranks
                macs = (
                    TTMatrix.from_cores(
                        [np.zeros((full[k], om[k], im[k], full[k + 1])) for k in range(d)]
                    ).macs(batch)
                    // batch
                )
                found.append(
                    Candidate(
                        "tt", p, macs, math.sqrt(max(disc, 0.0) / wn2), r, im, om, data_aware=aware
                    )
                )
    elif "tt" in formats:
        for im, om in _tt_factorizations(out, inp):
            # One TT-SVD at the largest rank that can still beat dense, then every
            # smaller rank by rounding it (cheap: its ranks are already small);
            # each candidate's error is measured exactly against w.
            grid = _rank_grid(max(out, inp))
            cap = next((r for r in grid if _tt_params(im, om, r) >= dense), grid[-1])
            base = TTMatrix.from_dense(w, in_modes=im, out_modes=om, max_bond=cap)
            prev_ranks: tuple[int, ...] | None = None
            for r in grid:
                tt = base if r >= max(base.bond_dims, default=1) else base.round(max_bond=r)
                if tt.num_params >= dense or tt.bond_dims == prev_ranks:
                    break
                prev_ranks = tt.bond_dims
                err = tt.error(w) if lw is None else rel_error(tt.to_dense())
                found.append(
                    Candidate(
                        "tt",
                        tt.num_params,
                        tt.macs(batch) // batch,
                        err,
                        r,
                        im,
                        om,
                        data_aware=aware,
                        svd_max_bond=cap,
                    )
                )
    return found


def pareto(cands: Sequence[Candidate]) -> list[Candidate]:
    """Candidates not beaten in both parameters and error, by increasing params."""
    front: list[Candidate] = []
    for c in sorted(cands, key=lambda c: (c.params, c.rel_error)):
        if not front or c.rel_error < front[-1].rel_error - 1e-15:
            front.append(c)
    return front
