r"""Compressed weight matrices: tensor-train matrices (TT-SVD) and truncated SVD.

A **TT-matrix** (an MPO) with ``d`` cores writes ``W`` of shape
``(prod(out_modes), prod(in_modes))`` as

.. math::

    W[(i_0 \dots i_{d-1}), (j_0 \dots j_{d-1})] = \sum_{a}
    G_0[1, i_0, j_0, a_0]\, G_1[a_0, i_1, j_1, a_1] \cdots
    G_{d-1}[a_{d-2}, i_{d-1}, j_{d-1}, 1],

core ``k`` of shape ``(r_k, m_k, n_k, r_{k+1})``; digit 0 is the most
significant one of both the row and the column index (quimb's ``to_dense``
order). :class:`LowRank` is ``W ~= U @ V``, the same structure with two cores of
modes ``(out, 1)`` and ``(1, in)``, so both formats share the C++ kernels and
compete on equal terms.

**TT-SVD** (:meth:`TTMatrix.from_dense`) runs ``d - 1`` truncated SVDs left to
right, each truncated by the same :class:`~tensorbond.Truncation` rule (see
:mod:`tensorbond.truncation`; a relative cutoff is relative to that unfolding's
own total weight). The cores it leaves are left-orthonormal, so the error
obeys :math:`\lVert W - W_{TT} \rVert_F^2 \le \sum_{\text{cuts}} \epsilon_k`,
the **discarded weight** (sum of the dropped :math:`s^2`, absolute). With
``cutoff_mode="rsum2"`` the relative error squared is at most about
``(d - 1) * cutoff``: pass ``cutoff = eps**2 / (d - 1)`` for a relative error of
``eps``.

**Forward pass.** ``tt @ x`` equals ``W @ x`` and ``tt.forward(x)`` equals
``x @ W.T`` (a linear layer). Both run in C++ with the GIL released, following a
*plan* chosen per call for the batch size (:meth:`TTMatrix.plan`): adjacent cores
may first be merged (work independent of the batch; merging all of them is the
dense product), then the groups are absorbed one GEMM-based step at a time,
left to right or right to left. The plan minimizes multiply-adds plus modelled
GEMM-call and memory overheads; :meth:`TTMatrix.macs` reports its multiply-adds
(a complex multiply-add counts once).

**dtypes.** Weights are stored in float32, float64, complex64 or complex128
(integers and bools become float64, float16 float32). ``x`` may have any numeric
dtype: the result has numpy's promoted dtype of the weights and ``x`` (so a
float32 TT applied to float64 ``x`` gives float64, as ``W @ x`` would); when that
is wider than the weights, a converted copy of the cores is made once and kept.
"""

from __future__ import annotations

import itertools
import math
import operator
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from .. import _core
from ..linalg import compute_dtype
from ..memory import check_allocation
from ..truncation import DEFAULT_CUTOFF, CutoffMode, Truncation

__all__ = ["ContractionPlan", "LowRank", "TTMatrix", "factor_modes"]

_CLASSES: dict[np.dtype[Any], Any] = {
    np.dtype(np.float32): _core.TtMatrix_float32,
    np.dtype(np.float64): _core.TtMatrix_float64,
    np.dtype(np.complex64): _core.TtMatrix_complex64,
    np.dtype(np.complex128): _core.TtMatrix_complex128,
}
#: Automatic modes aim at about this size for the smaller dimension's modes.
_TARGET_MODE = 8


class ContractionPlan(NamedTuple):
    """How a forward pass contracts for one batch size (see :meth:`TTMatrix.plan`)."""

    sweep: str
    """``"left_to_right"`` or ``"right_to_left"``: the order groups are absorbed."""
    groups: tuple[tuple[int, ...], ...]
    """Cores merged into one before the sweep, e.g. ``((0, 1), (2,))``."""
    macs: int
    """Multiply-adds of the whole call (merges plus sweep)."""
    merge_macs: int
    """The part spent merging cores (independent of the batch size)."""


# ------------------------------------------------------------------------ modes


def _prime_factors(n: int) -> list[int]:
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def _divisors(n: int) -> list[int]:
    divs = [1]
    for p in sorted(set(_prime_factors(n))):
        e = 0
        m = n
        while m % p == 0:
            m //= p
            e += 1
        divs = [d * p**k for d in divs for k in range(e + 1)]
    return sorted(divs)


def _as_count(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an int, got bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an int, got {type(value).__name__}") from None


def factor_modes(n: int, d: int | None = None) -> tuple[int, ...]:
    """Split a dimension into ``d`` balanced modes whose product is ``n``.

    Parameters
    ----------
    n : int
        The dimension, ``>= 1``.
    d : int or None
        The number of modes. ``None`` picks ``d = max(1, floor(log2(n) / 3))``
        (modes near 8), lowered until ``n`` has enough prime factors.

    Returns
    -------
    tuple of int
        ``d`` factors, each ``>= 2`` (all 1 when ``n == 1``), in non-decreasing
        order, the most balanced such split: least sum of squared deviations of
        ``log(factor)`` from ``log(n) / d``. ``1024 -> (8, 8, 16)``,
        ``factor_modes(4096, 2) -> (64, 64)``. A prime ``n`` only splits as ``(n,)``.

    Raises
    ------
    ValueError
        ``n < 1``, ``d < 1``, or ``n`` has fewer than ``d`` prime factors (so no
        split into ``d`` modes ``>= 2`` exists); the message names them.

    Examples
    --------
    >>> import tensorbond as tb
    >>> tb.factor_modes(784), tb.factor_modes(1024, 2)
    ((7, 8, 14), (32, 32))
    """
    n = _as_count(n, "n")
    if n < 1:
        raise ValueError(f"cannot factor a dimension of {n}: it must be >= 1")
    primes = _prime_factors(n)
    if d is None:
        d = max(1, int(math.log2(n) // 3))
        d = max(1, min(d, len(primes)))
    d = _as_count(d, "d")
    if d < 1:
        raise ValueError(f"the number of modes must be >= 1, got {d}")
    if n == 1:
        return (1,) * d
    if len(primes) < d:
        what = "is prime" if len(primes) == 1 else f"= {' * '.join(map(str, primes))}"
        raise ValueError(
            f"cannot split {n} into {d} modes >= 2: {n} {what} "
            f"({len(primes)} prime factor{'s' if len(primes) > 1 else ''}); "
            "pass explicit modes (1s are allowed) or pad the matrix"
        )
    target = math.log(n) / d
    divisors = _divisors(n)
    best: tuple[float, tuple[int, ...]] | None = None

    def search(rem: int, left: int, lo: int, acc: tuple[int, ...]) -> None:
        nonlocal best
        if left == 1:
            if rem >= lo:
                cand = (*acc, rem)
                score = sum((math.log(f) - target) ** 2 for f in cand)
                if best is None or score < best[0] - 1e-12:
                    best = (score, cand)
            return
        for f in divisors:
            if f < lo or f < 2:
                continue
            if f**left > rem:
                break
            if rem % f == 0:
                search(rem // f, left - 1, f, (*acc, f))

    search(n, d, 2, ())
    assert best is not None
    return best[1]


def _check_modes(modes: Any, dim: int, name: str, axis: str) -> tuple[int, ...]:
    if isinstance(modes, (int, np.integer)):
        modes = (modes,)
    try:
        out = tuple(_as_count(m, name) for m in modes)
    except TypeError:
        raise TypeError(f"{name} must be a sequence of ints, got {modes!r}") from None
    if not out:
        raise ValueError(f"{name} must name at least one mode, got ()")
    if any(m < 1 for m in out):
        raise ValueError(f"{name} must be >= 1 each, got {out}")
    if math.prod(out) != dim:
        raise ValueError(
            f"{name} {out} multiply to {math.prod(out)}, but the matrix has {dim} {axis}"
        )
    return out


def _auto_num_cores(out: int, inp: int) -> int:
    # At least two cores where both dimensions split: one core is the dense
    # matrix itself, which max_bond could not compress.
    d = max(2, int(math.log2(min(out, inp)) // 3))
    while d > 1 and (len(_prime_factors(out)) < d or len(_prime_factors(inp)) < d):
        d -= 1
    return d


def _resolve_modes(
    shape: tuple[int, int],
    in_modes: Sequence[int] | None,
    out_modes: Sequence[int] | None,
    num_cores: int | None,
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    out, inp = shape
    om = None if out_modes is None else _check_modes(out_modes, out, "out_modes", "rows")
    im = None if in_modes is None else _check_modes(in_modes, inp, "in_modes", "columns")
    if num_cores is not None:
        num_cores = _as_count(num_cores, "num_cores")
        if num_cores < 1:
            raise ValueError(f"num_cores must be >= 1, got {num_cores}")
    given = [m for m in (om, im) if m is not None]
    if om is not None and im is not None and len(om) != len(im):
        raise ValueError(
            f"out_modes {om} has {len(om)} modes but in_modes {im} has {len(im)}: a "
            "TT-matrix needs one (m_k, n_k) pair per core (pad with 1s)"
        )
    if given and num_cores is not None and len(given[0]) != num_cores:
        raise ValueError(f"num_cores={num_cores} disagrees with the {len(given[0])} modes given")
    d = len(given[0]) if given else (num_cores or _auto_num_cores(out, inp))
    try:
        if om is None:
            om = factor_modes(out, d)
        if im is None:
            im = factor_modes(inp, d)
    except ValueError as exc:
        raise ValueError(f"cannot choose modes for a {out}x{inp} matrix: {exc}") from None
    return om, im


# ------------------------------------------------------------------ validation


def _as_weight(w: npt.ArrayLike, what: str) -> np.ndarray:
    x = np.asarray(w)
    dt = compute_dtype([x])
    if x.ndim != 2:
        raise ValueError(f"{what} must be a 2-D matrix (out, in), got shape {x.shape}")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{what} has shape {x.shape}: both dimensions must be >= 1")
    x = np.asarray(x, dtype=dt, order="C")
    _require_finite(x, what)
    return x


def _require_finite(x: np.ndarray, what: str) -> None:
    finite = np.isfinite(x)
    if not finite.all():
        bad = np.argwhere(~finite)
        raise ValueError(
            f"{what} contains {len(bad)} NaN or infinite value(s), the first at index "
            f"{tuple(int(i) for i in bad[0])}"
        )


def _max_bond_arg(max_bond: int | None) -> int | None:
    if max_bond is None:
        return None
    return _as_count(max_bond, "max_bond")


# ----------------------------------------------------------------- common base


class _Factorized:
    """What TTMatrix and LowRank share: the compiled object and the kernels."""

    __slots__ = ("_cast", "_impl")
    _impl: Any
    _cast: dict[np.dtype[Any], Any]

    @classmethod
    def _wrap(cls, impl: Any) -> Any:
        obj = cls.__new__(cls)
        obj._impl = impl
        obj._cast = {}
        return obj

    # -- properties
    @property
    def dtype(self) -> np.dtype[Any]:
        """The weights' dtype."""
        return np.dtype(type(self._impl).__name__.split("_", 1)[1])

    @property
    def shape(self) -> tuple[int, int]:
        """``(out, in)``: the shape of the matrix ``W``."""
        return (math.prod(self._impl.out_modes), math.prod(self._impl.in_modes))

    @property
    def num_params(self) -> int:
        """Number of stored values (complex values count once)."""
        return int(self._impl.num_params)

    @property
    def compression_ratio(self) -> float:
        """``out * in / num_params``: how many times smaller than dense."""
        out, inp = self.shape
        return out * inp / self.num_params

    @property
    def discarded_weight(self) -> float:
        """Sum of the squares of all singular values dropped in this object's
        history (from_dense and every round), absolute."""
        return float(self._impl.discarded_weight)

    @property
    def rel_error_bound(self) -> float:
        r"""A rigorous bound on :math:`\lVert W - W_{approx} \rVert_F / \lVert W \rVert_F`.

        ``W`` is the matrix given to ``from_dense`` (for ``from_cores`` /
        ``from_factors``, the matrix they represent). After ``from_dense`` it is
        ``sqrt(discarded_weight / ||W||^2)``; each :meth:`round` adds its own
        ``sqrt(discarded / ||W||^2)`` (triangle inequality). Use :meth:`error` for
        the exact value.
        """
        bound = float(self._impl.error_bound)
        norm2 = float(self._impl.norm_squared)
        if norm2 > 0:
            return bound / math.sqrt(norm2)
        return 0.0 if bound == 0 else math.inf

    def error(self, w: npt.ArrayLike) -> float:
        r"""Exact relative Frobenius error against a dense matrix.

        Parameters
        ----------
        w : array_like, shape (out, in)

        Returns
        -------
        float
            :math:`\lVert w - W_{approx} \rVert_F / \lVert w \rVert_F`, accumulated in
            double precision (0 when both are zero, ``inf`` when only ``w`` is).

        Raises
        ------
        ValueError
            ``w`` has another shape or contains NaN/inf.
        """
        x = np.asarray(w)
        if x.shape != self.shape:
            raise ValueError(f"w has shape {x.shape}, this matrix has shape {self.shape}")
        high = np.complex128 if (x.dtype.kind == "c" or self.dtype.kind == "c") else np.float64
        ref = np.asarray(x, dtype=high)
        _require_finite(ref, "w")
        diff = float(np.linalg.norm(ref - self.to_dense()))
        norm = float(np.linalg.norm(ref))
        if norm > 0:
            return diff / norm
        return 0.0 if diff == 0 else math.inf

    def to_dense(self) -> np.ndarray:
        """The dense ``(out, in)`` matrix.

        Raises
        ------
        MemoryError
            When the matrix (and the workspace of its contraction) exceeds the
            memory available (see :func:`tensorbond.set_max_memory`).
        """
        rows, cols = self.shape
        if rows * cols >= 2**63:  # the core refuses it with the overflow named
            return self._impl.to_dense()  # type: ignore[no-any-return]
        check_allocation(
            2 * rows * cols * self.dtype.itemsize, f"to_dense of a {rows} x {cols} matrix"
        )
        return self._impl.to_dense()  # type: ignore[no-any-return]

    # -- products
    def _impl_for(self, dt: np.dtype[Any]) -> Any:
        if dt == self.dtype:
            return self._impl
        impl = self._cast.get(dt)
        if impl is None:
            cores = [np.asarray(self._impl.core(k), dtype=dt) for k in range(self._impl.num_cores)]
            impl = _CLASSES[dt].from_cores(
                cores,
                self._impl.norm_squared,
                self._impl.discarded_weight,
                self._impl.error_bound,
            )
            self._cast[dt] = impl
        return impl

    def _operand(self, x: npt.ArrayLike) -> tuple[np.ndarray, Any]:
        a = np.asarray(x)
        dt = compute_dtype([np.empty(0, self.dtype), a])
        return np.asarray(a, dtype=dt), self._impl_for(dt)

    def _apply(
        self,
        x: np.ndarray,
        *,
        batch_last: bool,
        order: str = "auto",
        bounds: Sequence[int] = (),
    ) -> np.ndarray:
        """The kernel call on a 2-D x: (batch, in) or, batch_last, (in, batch)."""
        x, impl = self._operand(x)
        if not x.flags.c_contiguous:
            if x.T.flags.c_contiguous:  # a transposed view: flip the layout, no copy
                y = impl.forward(x.T, not batch_last, order, list(bounds))
                return y.T  # type: ignore[no-any-return]
            x = np.ascontiguousarray(x)
        return impl.forward(x, batch_last, order, list(bounds))  # type: ignore[no-any-return]

    def __matmul__(self, x: npt.ArrayLike) -> np.ndarray:
        """``W @ x`` for ``x`` of shape ``(in,)`` or ``(in, k)``.

        Raises
        ------
        ValueError
            ``x`` is not 1-D or 2-D, or its first axis is not ``in`` long.
        TypeError
            A non-numeric dtype.
        """
        a = np.asarray(x)
        inp = self.shape[1]
        if a.ndim not in (1, 2):
            raise ValueError(f"matmul: x must have shape ({inp},) or ({inp}, k), got {a.shape}")
        if a.shape[0] != inp:
            raise ValueError(
                f"matmul: x has {a.shape[0]} rows but the matrix has {inp} columns "
                f"(shape {self.shape}); x has shape {a.shape}"
            )
        if a.ndim == 1:
            return self._apply(a[None, :], batch_last=False)[0]  # type: ignore[no-any-return]
        return self._apply(a, batch_last=True)

    def forward(self, x: npt.ArrayLike) -> np.ndarray:
        """A linear layer without bias: ``x @ W.T``.

        Parameters
        ----------
        x : array_like, shape (..., in)
            Rows of inputs (any leading batch dimensions, or none).

        Returns
        -------
        numpy.ndarray, shape (..., out)

        Raises
        ------
        ValueError
            The last axis of ``x`` is not ``in`` long.
        TypeError
            A non-numeric dtype.
        """
        a = np.asarray(x)
        out, inp = self.shape
        if a.ndim == 0 or a.shape[-1] != inp:
            raise ValueError(
                f"forward: x must have shape (..., {inp}) for a matrix of shape "
                f"{self.shape}, got {a.shape}"
            )
        if a.ndim == 2:
            return self._apply(a, batch_last=False)
        lead = a.shape[:-1]
        y = self._apply(a.reshape(-1, inp), batch_last=False)
        return y.reshape((*lead, out))

    __call__ = forward

    def plan(self, batch: int = 1) -> ContractionPlan:
        """The contraction plan :meth:`forward` uses for ``batch`` rows.

        Parameters
        ----------
        batch : int
            Number of rows of ``x`` (``>= 1``).

        Returns
        -------
        ContractionPlan
        """
        batch = _as_count(batch, "batch")
        if batch < 1:
            raise ValueError(f"batch must be >= 1, got {batch}")
        sweep, bounds, merge, per_row = self._impl.plan(batch, False)
        groups = tuple(tuple(range(a, b)) for a, b in itertools.pairwise(bounds))
        return ContractionPlan(sweep, groups, int(merge + batch * per_row), int(merge))

    def macs(self, batch: int = 1) -> int:
        """Multiply-adds of :meth:`forward` on ``batch`` rows (its plan's)."""
        return self.plan(batch).macs

    def __reduce__(self) -> tuple[Any, ...]:
        cores = [np.array(self._impl.core(k)) for k in range(self._impl.num_cores)]
        state = (self._impl.norm_squared, self._impl.discarded_weight, self._impl.error_bound)
        return (_restore, (type(self), cores, state))


def _restore(cls: Any, cores: list[np.ndarray], state: tuple[float, float, float]) -> Any:
    dt = np.dtype(cores[0].dtype)
    return cls._wrap(_CLASSES[dt].from_cores(cores, *state))


def _validate_cores(cores: Sequence[npt.ArrayLike]) -> list[np.ndarray]:
    arrays = [np.asarray(c) for c in cores]
    if not arrays:
        raise ValueError("a TT-matrix needs at least one core, got none")
    dt = compute_dtype(arrays)
    for k, c in enumerate(arrays):
        if c.ndim != 4:
            raise ValueError(f"core {k} has shape {c.shape}; cores are 4-D (r_left, m, n, r_right)")
        if 0 in c.shape:
            raise ValueError(
                f"core {k} has shape {c.shape}: ranks and modes must be >= 1 (a rank of "
                "0 is the zero matrix, not a TT-matrix)"
            )
    if arrays[0].shape[0] != 1 or arrays[-1].shape[3] != 1:
        raise ValueError(
            f"boundary ranks must be 1: core 0 has r_left={arrays[0].shape[0]}, core "
            f"{len(arrays) - 1} has r_right={arrays[-1].shape[3]}"
        )
    for k in range(1, len(arrays)):
        if arrays[k].shape[0] != arrays[k - 1].shape[3]:
            raise ValueError(
                f"ranks do not chain: core {k - 1} has r_right={arrays[k - 1].shape[3]} "
                f"but core {k} has r_left={arrays[k].shape[0]}"
            )
    out = []
    for k, c in enumerate(arrays):
        x = np.ascontiguousarray(c, dtype=dt)
        _require_finite(x, f"core {k}")
        out.append(x)
    return out


# -------------------------------------------------------------------- TTMatrix


class TTMatrix(_Factorized):
    """A matrix stored as a tensor train (TT-matrix / MPO); see the module docs.

    Build one with :meth:`from_dense` (TT-SVD) or :meth:`from_cores`; the object
    is immutable (:meth:`round` returns a new one).

    Examples
    --------
    >>> import numpy as np, tensorbond as tb
    >>> w = np.random.default_rng(0).standard_normal((256, 64))
    >>> tt = tb.TTMatrix.from_dense(w, max_bond=8)
    >>> tt.out_modes, tt.in_modes, tt.bond_dims
    ((16, 16), (8, 8), (8,))
    >>> x = np.ones(64)
    >>> bool(np.allclose(tt @ x, tt.to_dense() @ x))
    True
    """

    __slots__ = ()

    def __init__(self, cores: Sequence[npt.ArrayLike]) -> None:
        """Same as :meth:`from_cores`."""
        arrays = _validate_cores(cores)
        self._impl = _CLASSES[arrays[0].dtype].from_cores(arrays, -1.0, 0.0, 0.0)
        self._cast = {}

    @classmethod
    def from_cores(cls, cores: Sequence[npt.ArrayLike]) -> TTMatrix:
        """A TT-matrix from its cores (copied).

        Parameters
        ----------
        cores : sequence of array_like
            ``d >= 1`` arrays of shape ``(r_k, m_k, n_k, r_{k+1})`` with
            ``r_0 = r_d = 1``; converted to their common dtype.

        Returns
        -------
        TTMatrix
            With ``discarded_weight = 0`` and ``rel_error_bound = 0``.

        Raises
        ------
        ValueError
            No cores, a core not 4-D, a zero size (rank 0), boundary ranks other
            than 1, ranks that do not chain, NaN or infinity.
        TypeError
            A non-numeric dtype.
        """
        return cls(cores)

    @classmethod
    def from_dense(
        cls,
        w: npt.ArrayLike,
        *,
        in_modes: Sequence[int] | None = None,
        out_modes: Sequence[int] | None = None,
        max_bond: int | None = None,
        cutoff: float = DEFAULT_CUTOFF,
        cutoff_mode: CutoffMode = "rsum2",
        num_cores: int | None = None,
    ) -> TTMatrix:
        """Compress a dense matrix by TT-SVD.

        Parameters
        ----------
        w : array_like, shape (out, in)
            The matrix; its dtype is kept (integers become float64).
        in_modes, out_modes : sequence of int, optional, keyword-only
            Factorizations of ``in`` and ``out`` with equally many modes (1s
            allowed). Missing ones are chosen by :func:`factor_modes` with the
            other's number of modes; with neither, ``d = num_cores`` or
            automatically ``max(2, floor(log2(min(out, in)) / 3))`` (modes near
            8, and at least two cores: one core is the dense matrix itself),
            lowered until both dimensions have ``d`` prime factors.
        max_bond : int or None, keyword-only
            Largest rank kept at each cut.
        cutoff : float, keyword-only
            Truncation threshold at each cut (0 keeps everything up to
            ``max_bond``); see :mod:`tensorbond.truncation`.
        cutoff_mode : {"rsum2", "sum2", "rel", "abs"}, keyword-only
            How ``cutoff`` applies (quimb's names).
        num_cores : int or None, keyword-only
            Number of cores when no modes are given.

        Returns
        -------
        TTMatrix
            Cores 0..d-2 left-orthonormal; ``discarded_weight`` bounds the
            squared Frobenius error.

        Raises
        ------
        ValueError
            ``w`` not 2-D, a zero dimension, NaN/inf, modes whose product differs
            from the dimension, unequal mode counts, a dimension that cannot be
            split into ``d`` modes, ``max_bond < 1`` or a bad cutoff.
        TypeError
            A non-numeric dtype or non-integer modes.
        tensorbond.LinAlgError
            An SVD failed to converge.

        Examples
        --------
        >>> import numpy as np, tensorbond as tb
        >>> w = np.random.default_rng(1).standard_normal((64, 64))
        >>> tt = tb.TTMatrix.from_dense(w, in_modes=(4, 4, 4), out_modes=(4, 4, 4), cutoff=1e-2)
        >>> tt.error(w) <= tt.rel_error_bound + 1e-12
        True
        """
        spec = Truncation(_max_bond_arg(max_bond), cutoff, cutoff_mode)
        x = _as_weight(w, "w")
        om, im = _resolve_modes(x.shape, in_modes, out_modes, num_cores)
        impl = _CLASSES[x.dtype].from_dense(x, list(om), list(im), spec.to_core())
        return cls._wrap(impl)  # type: ignore[no-any-return]

    @property
    def cores(self) -> list[np.ndarray]:
        """Read-only views of the cores, ``(r_k, m_k, n_k, r_{k+1})`` each."""
        return [self._impl.core(k) for k in range(self._impl.num_cores)]

    @property
    def num_cores(self) -> int:
        """``d``."""
        return int(self._impl.num_cores)

    @property
    def in_modes(self) -> tuple[int, ...]:
        """The column (input) digits ``n_k``."""
        return tuple(self._impl.in_modes)

    @property
    def out_modes(self) -> tuple[int, ...]:
        """The row (output) digits ``m_k``."""
        return tuple(self._impl.out_modes)

    @property
    def bond_dims(self) -> tuple[int, ...]:
        """The ``d - 1`` internal bond dimensions (TT ranks; boundary 1s left out)."""
        return tuple(self._impl.ranks[1:-1])

    @property
    def ranks(self) -> tuple[int, ...]:
        """Deprecated name of :attr:`bond_dims` (one word for bond dimensions
        across tensorbond)."""
        warnings.warn(
            f"{type(self).__name__}.ranks is deprecated: use .bond_dims",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.bond_dims

    def round(
        self,
        *,
        max_bond: int | None = None,
        cutoff: float = DEFAULT_CUTOFF,
        cutoff_mode: CutoffMode = "rsum2",
    ) -> TTMatrix:
        """TT rounding: recompress to smaller ranks.

        Right-to-left LQ orthogonalization, then left-to-right truncated SVDs;
        each SVD sees the singular values of the whole matrix across that cut,
        so relative cutoffs are relative to ``||W_tt||^2``.

        Parameters
        ----------
        max_bond, cutoff, cutoff_mode
            As for :meth:`from_dense`.

        Returns
        -------
        TTMatrix
            A new object; ``discarded_weight`` and ``rel_error_bound`` include
            this rounding.

        Raises
        ------
        ValueError
            ``max_bond < 1`` or a bad cutoff.
        """
        spec = Truncation(_max_bond_arg(max_bond), cutoff, cutoff_mode)
        return type(self)._wrap(self._impl.rounded(spec.to_core()))  # type: ignore[no-any-return]

    def bond_singular_values(self) -> list[np.ndarray]:
        """Singular values of ``W_tt`` across each of the ``d - 1`` cuts.

        Cut ``k`` separates digits ``0..k`` of both indices from the rest (the
        unfolding ``(i_0 j_0 ... i_k j_k) x (i_{k+1} j_{k+1} ...)``). These are
        gauge-invariant, unlike the cores.
        """
        return list(self._impl.cut_singular_values())

    def astype(self, dtype: npt.DTypeLike) -> TTMatrix:
        """A copy with cores converted to ``dtype`` (complex to real is refused)."""
        dt = np.dtype(dtype)
        if dt not in _CLASSES:
            raise TypeError(f"dtype must be float32, float64, complex64 or complex128, got {dt}")
        if self.dtype.kind == "c" and dt.kind != "c":
            raise TypeError(f"cannot convert a {self.dtype} TT-matrix to {dt} (imaginary parts)")
        return type(self)._wrap(self._impl_for(dt))  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return (
            f"TTMatrix(shape={self.shape}, out_modes={self.out_modes}, "
            f"in_modes={self.in_modes}, bond_dims={self.bond_dims}, dtype={self.dtype}, "
            f"num_params={self.num_params}, compression_ratio={self.compression_ratio:.3g}, "
            f"rel_error_bound={self.rel_error_bound:.3g})"
        )


# --------------------------------------------------------------------- LowRank


class LowRank(_Factorized):
    """A matrix stored as a truncated SVD, ``W ~= U @ V``.

    ``U`` (out, r) has orthonormal columns after :meth:`from_dense` and
    :meth:`round`; ``V`` (r, in) carries the singular values
    (``V = diag(s) @ Vh``). Same interface as :class:`TTMatrix`: internally a
    two-core TT-matrix with modes ``(out, 1)`` and ``(1, in)``, so products use
    the same kernels (two GEMMs).

    Examples
    --------
    >>> import numpy as np, tensorbond as tb
    >>> w = np.random.default_rng(0).standard_normal((64, 48))
    >>> lr = tb.LowRank.from_dense(w, max_bond=8)
    >>> lr.u.shape, lr.v.shape, lr.num_params
    ((64, 8), (8, 48), 896)
    """

    __slots__ = ()

    def __init__(self, u: npt.ArrayLike, v: npt.ArrayLike) -> None:
        """Same as :meth:`from_factors`."""
        a, b = np.asarray(u), np.asarray(v)
        if a.ndim != 2 or b.ndim != 2:
            raise ValueError(f"u and v must be 2-D, got shapes {a.shape} and {b.shape}")
        if a.shape[1] != b.shape[0]:
            raise ValueError(
                f"u has {a.shape[1]} columns but v has {b.shape[0]} rows "
                f"(shapes {a.shape} and {b.shape})"
            )
        if 0 in a.shape or 0 in b.shape:
            raise ValueError(
                f"u {a.shape} and v {b.shape} must have sizes >= 1 (rank 0 is not allowed)"
            )
        out, r = a.shape
        inp = b.shape[1]
        cores = _validate_cores([a.reshape(1, out, 1, r), b.reshape(r, 1, inp, 1)])
        self._impl = _CLASSES[cores[0].dtype].from_cores(cores, -1.0, 0.0, 0.0)
        self._cast = {}

    @classmethod
    def from_factors(cls, u: npt.ArrayLike, v: npt.ArrayLike) -> LowRank:
        """``W = u @ v`` from factors (copied).

        Parameters
        ----------
        u : array_like, shape (out, r)
        v : array_like, shape (r, in)

        Raises
        ------
        ValueError
            Not 2-D, inner sizes differ, a zero size, NaN or infinity.
        """
        return cls(u, v)

    @classmethod
    def from_dense(
        cls,
        w: npt.ArrayLike,
        *,
        max_bond: int | None = None,
        cutoff: float = DEFAULT_CUTOFF,
        cutoff_mode: CutoffMode = "rsum2",
    ) -> LowRank:
        """Truncated SVD of a dense matrix.

        Parameters
        ----------
        w : array_like, shape (out, in)
        max_bond : int or None, keyword-only
            Largest rank kept.
        cutoff, cutoff_mode : keyword-only
            As for :meth:`TTMatrix.from_dense` (one cut).

        Raises
        ------
        ValueError
            ``w`` not 2-D, a zero dimension, NaN/inf, ``max_bond < 1``.
        """
        spec = Truncation(_max_bond_arg(max_bond), cutoff, cutoff_mode)
        x = _as_weight(w, "w")
        out, inp = x.shape
        impl = _CLASSES[x.dtype].from_dense(x, [out, 1], [1, inp], spec.to_core())
        return cls._wrap(impl)  # type: ignore[no-any-return]

    @property
    def u(self) -> np.ndarray:
        """Read-only ``(out, r)`` view."""
        c = self._impl.core(0)
        return c.reshape(c.shape[1], c.shape[3])  # type: ignore[no-any-return]

    @property
    def v(self) -> np.ndarray:
        """Read-only ``(r, in)`` view."""
        c = self._impl.core(1)
        return c.reshape(c.shape[0], c.shape[2])  # type: ignore[no-any-return]

    @property
    def rank(self) -> int:
        """``r``."""
        return int(self._impl.ranks[1])

    @property
    def bond_dims(self) -> tuple[int, ...]:
        """``(r,)``: the one bond between ``U`` and ``V``, as :attr:`TTMatrix.bond_dims`."""
        return (self.rank,)

    @property
    def ranks(self) -> tuple[int, ...]:
        """Deprecated name of :attr:`bond_dims` (one word for bond dimensions
        across tensorbond)."""
        warnings.warn(
            f"{type(self).__name__}.ranks is deprecated: use .bond_dims",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.bond_dims

    def round(
        self,
        *,
        max_bond: int | None = None,
        cutoff: float = DEFAULT_CUTOFF,
        cutoff_mode: CutoffMode = "rsum2",
    ) -> LowRank:
        """Recompress ``U @ V`` by a truncated SVD (LQ of ``V``, SVD of ``U L``).

        Returns a new object; see :meth:`TTMatrix.round`.
        """
        spec = Truncation(_max_bond_arg(max_bond), cutoff, cutoff_mode)
        return type(self)._wrap(self._impl.rounded(spec.to_core()))  # type: ignore[no-any-return]

    def singular_values(self) -> np.ndarray:
        """The ``r`` singular values of ``U @ V``, descending."""
        return self._impl.cut_singular_values()[0]  # type: ignore[no-any-return]

    def astype(self, dtype: npt.DTypeLike) -> LowRank:
        """A copy with factors converted to ``dtype`` (complex to real is refused)."""
        dt = np.dtype(dtype)
        if dt not in _CLASSES:
            raise TypeError(f"dtype must be float32, float64, complex64 or complex128, got {dt}")
        if self.dtype.kind == "c" and dt.kind != "c":
            raise TypeError(f"cannot convert a {self.dtype} LowRank to {dt} (imaginary parts)")
        return type(self)._wrap(self._impl_for(dt))  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return (
            f"LowRank(shape={self.shape}, rank={self.rank}, dtype={self.dtype}, "
            f"num_params={self.num_params}, compression_ratio={self.compression_ratio:.3g}, "
            f"rel_error_bound={self.rel_error_bound:.3g})"
        )
