"""Dense kernels: ``tensordot``, ``einsum``, truncated ``svd`` and ``qr``.

Every contraction of two operands runs in the C++ core (``contract_pair``): the
operands are permuted only where a transposed GEMM cannot read them as they are,
then one GEMM per batch entry. ``einsum`` with three or more operands follows
the pairwise order of :func:`opt_einsum.contract_path`.

Computation happens in one of four dtypes: float32, float64, complex64 and
complex128. The result dtype is :func:`numpy.result_type` of the inputs mapped
onto those (bool and integers to float64, float16 to float32); inputs are
converted once, visibly, with ``numpy.asarray(x, dtype, order="C")`` (which,
unlike :func:`numpy.ascontiguousarray`, keeps 0-d arrays 0-d). Wider types
(float128, complex256) and non-numeric ones raise ``TypeError``.
"""

from __future__ import annotations

import functools
import math
import operator
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import opt_einsum
import opt_einsum.paths

from . import _core
from .truncation import DEFAULT_CUTOFF, CutoffMode, Truncation

__all__ = ["SVDResult", "compute_dtype", "einsum", "qr", "singular_values", "svd", "tensordot"]

_SUFFIX = {
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
    np.dtype(np.complex64): "complex64",
    np.dtype(np.complex128): "complex128",
}
# Integer labels of broadcast (ellipsis) axes start here; letters are < 128.
_ELLIPSIS_LABEL = 1000


class SVDResult(NamedTuple):
    """Result of :func:`svd`: ``a ~= u @ np.diag(s) @ vh``.

    Unpacks as ``u, s, vh, discarded_weight = tb.svd(a)``.
    """

    u: np.ndarray
    """(m, k) with orthonormal columns."""
    s: np.ndarray
    """(k,) singular values, descending, real."""
    vh: np.ndarray
    """(k, n) with orthonormal rows."""
    discarded_weight: float
    """Sum of the squares of the dropped singular values (before renormalizing)."""


# ----------------------------------------------------------------------- dtypes


def compute_dtype(arrays: Sequence[np.ndarray]) -> np.dtype[Any]:
    """The supported dtype results are computed in, from the operands' dtypes."""
    for x in arrays:
        if x.dtype.kind not in "biufc":
            raise TypeError(
                f"unsupported dtype {x.dtype}: tensorbond computes in float32, "
                "float64, complex64 or complex128"
            )
    dt = np.result_type(*arrays)
    if dt.kind in "biu":
        return np.dtype(np.float64)
    if dt.kind == "f" and dt.itemsize <= 8:
        return np.dtype(np.float32 if dt.itemsize <= 4 else np.float64)
    if dt.kind == "c" and dt.itemsize <= 16:
        return np.dtype(np.complex64 if dt.itemsize <= 8 else np.complex128)
    raise TypeError(
        f"unsupported dtype {dt}: tensorbond computes in float32, float64, "
        "complex64 or complex128 (convert explicitly to lose precision)"
    )


def _kernel(name: str, dtype: np.dtype[Any]) -> Any:
    return getattr(_core, f"{name}_{_SUFFIX[dtype]}")


def _as_matrix(a: npt.ArrayLike, fn: str) -> np.ndarray:
    x = np.asarray(a)
    dt = compute_dtype([x])
    if x.ndim != 2:
        raise ValueError(f"{fn} needs a 2-D array, got shape {x.shape}")
    return np.asarray(x, dtype=dt, order="C")


# -------------------------------------------------------------------- tensordot


def _normalize_axes(axes: Any, ndim: int, which: str) -> list[int]:
    seq = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    out = []
    for ax in seq:
        i = operator.index(ax)
        if not -ndim <= i < ndim:
            raise ValueError(
                f"tensordot: axis {i} is out of bounds for {which} with {ndim} dimensions"
            )
        out.append(i % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"tensordot: repeated axis in {which}'s axes {seq}")
    return out


def tensordot(a: npt.ArrayLike, b: npt.ArrayLike, axes: Any = 2) -> np.ndarray:
    """Sum products over the given axes, as :func:`numpy.tensordot`.

    Parameters
    ----------
    a, b : array_like
        The operands.
    axes : int or (sequence of int, sequence of int)
        An integer ``N`` sums over the last ``N`` axes of ``a`` and the first
        ``N`` of ``b``, in order. A pair lists the axes of ``a`` and of ``b`` to
        sum over, pairwise; negative axes count from the end.

    Returns
    -------
    numpy.ndarray
        The free axes of ``a`` followed by those of ``b``, in the computed dtype
        (see the module docstring).

    Raises
    ------
    ValueError
        Axes out of range or repeated, unequal counts, or paired axes of
        different sizes.
    TypeError
        An unsupported dtype.

    Examples
    --------
    >>> import numpy as np, tensorbond as tb
    >>> a, b = np.ones((2, 3, 4)), np.ones((4, 3, 5))
    >>> tb.tensordot(a, b, axes=([1, 2], [1, 0])).shape
    (2, 5)
    """
    xa, xb = np.asarray(a), np.asarray(b)
    dt = compute_dtype([xa, xb])
    if isinstance(axes, (int, np.integer)):
        n = operator.index(axes)
        if n < 0 or n > xa.ndim or n > xb.ndim:
            raise ValueError(
                f"tensordot: axes={n} needs 0 <= axes <= min(a.ndim, b.ndim) = "
                f"{min(xa.ndim, xb.ndim)}"
            )
        axes_a, axes_b = list(range(xa.ndim - n, xa.ndim)), list(range(n))
    else:
        try:
            spec_a, spec_b = axes
        except (TypeError, ValueError):
            raise ValueError(
                f"tensordot: axes must be an int or a pair of sequences, got {axes!r}"
            ) from None
        axes_a = _normalize_axes(spec_a, xa.ndim, "a")
        axes_b = _normalize_axes(spec_b, xb.ndim, "b")
        if len(axes_a) != len(axes_b):
            raise ValueError(f"tensordot: {len(axes_a)} axes of a but {len(axes_b)} axes of b")
    for i, j in zip(axes_a, axes_b, strict=True):
        if xa.shape[i] != xb.shape[j]:
            raise ValueError(
                f"tensordot: shape mismatch for sum: a axis {i} has size "
                f"{xa.shape[i]} but b axis {j} has size {xb.shape[j]}"
            )
    labels_a = list(range(xa.ndim))
    labels_b = [xa.ndim + j for j in range(xb.ndim)]
    for i, j in zip(axes_a, axes_b, strict=True):
        labels_b[j] = i
    out = [i for i in labels_a if i not in axes_a]
    out += [labels_b[j] for j in range(xb.ndim) if j not in axes_b]
    fn = _kernel("contract_pair", dt)
    return fn(  # type: ignore[no-any-return]
        np.asarray(xa, dtype=dt, order="C"),
        labels_a,
        np.asarray(xb, dtype=dt, order="C"),
        labels_b,
        out,
    )


# ----------------------------------------------------------------------- einsum


def _parse_term(term: str, where: str) -> list[str | None]:
    """Letters of one subscript term, ``None`` standing for the ellipsis."""
    out: list[str | None] = []
    i = 0
    while i < len(term):
        c = term[i]
        if term.startswith("...", i):
            if None in out:
                raise ValueError(f"einsum: more than one ellipsis in {where} {term!r}")
            out.append(None)
            i += 3
            continue
        if not (c.isascii() and c.isalpha()):
            raise ValueError(
                f"einsum: invalid subscript {c!r} in {where} {term!r} "
                "(letters a-z, A-Z and '...' only)"
            )
        out.append(c)
        i += 1
    return out


@functools.lru_cache(maxsize=256)
def _einsum_labels(
    subscripts: str, ndims: tuple[int, ...]
) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...], dict[int, str]]:
    """Integer labels per operand and for the output, plus names for messages.

    Cached: parsing costs more than a small contraction. Callers must not
    mutate the returned dict.
    """
    subs = subscripts.replace(" ", "")
    if subs.count("->") > 1 or subs.count(">") != subs.count("->"):
        raise ValueError(f"einsum: malformed subscripts {subscripts!r}")
    lhs, arrow, rhs = subs.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s) but "
            f"{len(ndims)} were given"
        )
    parsed = [_parse_term(t, f"operand {i}") for i, t in enumerate(terms)]
    ell_dims = []
    for i, (p, ndim) in enumerate(zip(parsed, ndims, strict=True)):
        named = len(p) - (None in p)
        if ndim < named or (None not in p and ndim != named):
            raise ValueError(
                f"einsum: operand {i} has {ndim} dimensions but subscripts "
                f"{terms[i]!r} name {named}"
            )
        ell_dims.append(ndim - named)
    n_ell = max(ell_dims, default=0)
    ell = [_ELLIPSIS_LABEL + t for t in range(n_ell)]
    names = dict.fromkeys(ell, "...")

    def expand(p: list[str | None], n: int) -> list[int]:
        out: list[int] = []
        for c in p:
            if c is None:
                out += ell[n_ell - n :]
            else:
                out.append(ord(c))
                names[ord(c)] = c
        return out

    labels = [expand(p, n) for p, n in zip(parsed, ell_dims, strict=True)]
    if arrow:
        pout = _parse_term(rhs, "output")
        if None not in pout and n_ell > 0:
            raise ValueError(
                "einsum: the operands have broadcast ('...') dimensions but the "
                f"output {rhs!r} has no '...' to put them in"
            )
        out = expand(pout, n_ell)
        present = {lab for labs in labels for lab in labs}
        for c in pout:
            if c is not None and ord(c) not in present:
                raise ValueError(f"einsum: output subscript {c!r} appears in no input term")
        if len(set(out)) != len(out):
            raise ValueError(f"einsum: output subscripts {rhs!r} repeat a letter")
    else:
        counts: dict[int, int] = {}
        for labs in labels:
            for lab in labs:
                counts[lab] = counts.get(lab, 0) + 1
        once = sorted(chr(lab) for lab, c in counts.items() if c == 1 and lab < 128)
        out = ell + [ord(c) for c in once]
    return tuple(tuple(labs) for labs in labels), tuple(out), names


def _pairwise_path(
    labels: list[list[int]],
    out: list[int],
    shapes: list[tuple[int, ...]],
    optimize: Any,
) -> list[tuple[int, ...]]:
    """opt_einsum's contraction order (positions into the shrinking operand list)."""
    n = len(labels)
    if n == 2:
        return [(0, 1)]
    if optimize is False:
        return [(0, 1)] * (n - 1)
    if optimize is True:
        optimize = "auto"
    order = dict.fromkeys([lab for labs in labels for lab in labs] + out)
    symbol = {lab: opt_einsum.get_symbol(i) for i, lab in enumerate(order)}
    if isinstance(optimize, str):
        # The path search alone: contract_path would also format a report.
        try:
            find = opt_einsum.paths.get_path_fn(optimize)
        except KeyError:
            raise ValueError(f"einsum: unknown optimize={optimize!r}") from None
        sizes = {
            symbol[lab]: d
            for labs, shape in zip(labels, shapes, strict=True)
            for lab, d in zip(labs, shape, strict=True)
        }
        inputs = [frozenset(symbol[lab] for lab in labs) for labs in labels]
        path = find(inputs, frozenset(symbol[lab] for lab in out), sizes, None)
    else:
        eq = ",".join("".join(symbol[lab] for lab in labs) for labs in labels)
        eq += "->" + "".join(symbol[lab] for lab in out)
        path, _ = opt_einsum.contract_path(eq, *shapes, shapes=True, optimize=optimize)
    return [tuple(step) for step in path]


def einsum(subscripts: str, *operands: npt.ArrayLike, optimize: Any = "auto") -> Any:
    """Evaluate an Einstein summation, as :func:`numpy.einsum`.

    Two-operand steps run in the C++ core; operations within one operand
    (diagonals for repeated letters, sums over letters no other term or the
    output uses) are O(size) numpy steps done first.

    Parameters
    ----------
    subscripts : str
        numpy's notation: comma-separated terms of letters, optionally ``...``
        for broadcast dimensions, optionally ``->`` and the output term.
        Without ``->`` the output is the broadcast dimensions followed by the
        letters used exactly once, sorted.
    *operands : array_like
        One array per term.
    optimize : str, bool or path
        Passed to :func:`opt_einsum.contract_path` (``"auto"``, ``"greedy"``,
        ``"optimal"``, an explicit path, ...). ``False`` contracts left to right.

    Returns
    -------
    numpy.ndarray or numpy scalar
        A numpy scalar when the output has no dimensions, as numpy returns.

    Raises
    ------
    ValueError
        Malformed subscripts, a term whose letter count differs from its
        operand's dimensions, or a letter with different sizes (other than 1,
        which broadcasts).
    TypeError
        An unsupported dtype.

    Examples
    --------
    >>> import numpy as np, tensorbond as tb
    >>> a, b, c = np.ones((2, 3, 4)), np.ones((4, 5)), np.ones((5, 6))
    >>> tb.einsum("abc,cd,de->abe", a, b, c).shape
    (2, 3, 6)
    """
    if not isinstance(subscripts, str):
        raise TypeError(
            "einsum: subscripts must be a string (the interleaved operand/sublist "
            "form is not supported)"
        )
    if not operands:
        raise ValueError("einsum: at least one operand is required")
    xs = [np.asarray(x) for x in operands]
    dt = compute_dtype(xs)
    parsed, out_t, names = _einsum_labels(subscripts, tuple(x.ndim for x in xs))
    labels = [list(labs) for labs in parsed]
    out = list(out_t)

    # Sizes: a letter repeated within one operand must match exactly; across
    # operands size 1 broadcasts against a larger size.
    size: dict[int, int] = {}
    for i, (x, labs) in enumerate(zip(xs, labels, strict=True)):
        seen: dict[int, int] = {}
        for ax, lab in enumerate(labs):
            d = x.shape[ax]
            if lab in seen and seen[lab] != d:
                raise ValueError(
                    f"einsum: letter {names[lab]!r} repeats in operand {i} with "
                    f"different sizes ({seen[lab]} != {d})"
                )
            seen[lab] = d
            if size.get(lab, 1) == 1:
                size[lab] = d
            elif d not in (1, size[lab]):
                raise ValueError(
                    f"einsum: size mismatch for {names[lab]!r}: {size[lab]} vs {d} "
                    f"in operand {i} (shape {x.shape})"
                )

    # Unary steps, O(size) each: drop broadcast size-1 axes, take diagonals
    # (both views), then sum letters no other operand and not the output uses.
    for i in range(len(xs)):
        xs[i], labels[i] = _diagonals(*_drop_broadcast(xs[i], labels[i], size))
    keep = set(out)
    for i in range(len(xs)):
        others = {lab for j, labs in enumerate(labels) if j != i for lab in labs}
        summed = tuple(
            ax for ax, lab in enumerate(labels[i]) if lab not in keep and lab not in others
        )
        if summed:
            xs[i] = xs[i].sum(axis=summed, dtype=dt)
            labels[i] = [lab for ax, lab in enumerate(labels[i]) if ax not in summed]
        xs[i] = np.asarray(xs[i], dtype=dt, order="C")

    if len(xs) == 1:
        perm = [labels[0].index(lab) for lab in out]
        result = _kernel("permute", dt)(xs[0], perm)
    else:
        result = _contract_all(xs, labels, out, dt, optimize)
    return result[()] if result.ndim == 0 else result


def _drop_broadcast(
    x: np.ndarray, labs: list[int], size: dict[int, int]
) -> tuple[np.ndarray, list[int]]:
    """Index away size-1 axes whose letter has a larger size elsewhere."""
    drop = [ax for ax, lab in enumerate(labs) if x.shape[ax] == 1 and size[lab] != 1]
    if not drop:
        return x, labs
    index = tuple(0 if ax in drop else slice(None) for ax in range(x.ndim))
    return x[index], [lab for ax, lab in enumerate(labs) if ax not in drop]


def _diagonals(x: np.ndarray, labs: list[int]) -> tuple[np.ndarray, list[int]]:
    """Views on the diagonal of every letter repeated within one operand."""
    while len(set(labs)) != len(labs):
        lab = next(lab for lab in labs if labs.count(lab) > 1)
        p = labs.index(lab)
        q = labs.index(lab, p + 1)
        x = np.diagonal(x, axis1=p, axis2=q)  # the diagonal becomes the last axis
        labs = [other for ax, other in enumerate(labs) if ax not in (p, q)] + [lab]
    return x, labs


def _contract_all(
    xs: list[np.ndarray],
    labels: list[list[int]],
    out: list[int],
    dt: np.dtype[Any],
    optimize: Any,
) -> np.ndarray:
    """Pairwise contractions in opt_einsum's order; intermediates keep the order
    the GEMM produces (batch, free of the left, free of the right)."""
    contract = _kernel("contract_pair", dt)
    path = _pairwise_path(labels, out, [x.shape for x in xs], optimize)
    ops = list(zip(xs, labels, strict=True))
    final = set(out)
    for step in path:
        picked = [ops.pop(i) for i in sorted(step, reverse=True)][::-1]
        while len(picked) > 1:
            (xa, la), (xb, lb) = picked[0], picked[1]
            rest = picked[2:] + ops
            needed = final.union(*(set(labs) for _, labs in rest))
            if not rest:
                lo = out
            else:
                in_b = set(lb)
                lo = [lab for lab in la if lab in in_b and lab in needed]
                lo += [lab for lab in la if lab not in in_b and lab in needed]
                lo += [lab for lab in lb if lab not in la and lab in needed]
            picked = [(contract(xa, la, xb, lb, lo), lo), *picked[2:]]
        ops.append(picked[0])
    ((x, labs),) = ops
    if labs != out:
        x = _kernel("permute", dt)(x, [labs.index(lab) for lab in out])
    return x


# -------------------------------------------------------------- factorizations


def svd(
    a: npt.ArrayLike,
    *,
    max_bond: int | None = None,
    cutoff: float = DEFAULT_CUTOFF,
    cutoff_mode: CutoffMode = "rsum2",
    renormalize: bool = False,
) -> SVDResult:
    """Truncated singular value decomposition ``a ~= u @ diag(s) @ vh``.

    LAPACK's gesdd, falling back to gesvd where it does not converge. Which
    values are kept follows :class:`tensorbond.Truncation` (quimb's rules):
    with ``cutoff > 0``, ``"rel"`` keeps ``s_i > cutoff * s_0``, ``"abs"`` keeps
    ``s_i > cutoff``, ``"sum2"`` drops the longest tail whose sum of squares is
    ``<= cutoff`` and ``"rsum2"`` the longest with sum ``<= cutoff * sum(s**2)``;
    at least one value is kept, then at most ``max_bond``.

    Parameters
    ----------
    a : array_like, shape (m, n)
        The matrix; not modified.
    max_bond : int or None, keyword-only
        Keep at most this many singular values; ``None`` for no limit.
    cutoff : float, keyword-only
        Threshold for ``cutoff_mode``; 0 keeps every value.
    cutoff_mode : {"rsum2", "sum2", "rel", "abs"}, keyword-only
        How ``cutoff`` applies.
    renormalize : bool, keyword-only
        Rescale the kept values so their squares sum to ``sum(s**2)`` of all.

    Returns
    -------
    SVDResult
        ``(u, s, vh, discarded_weight)``: ``u`` (m, k), ``s`` (k,) real and
        descending, ``vh`` (k, n), and the sum of the squares of the dropped
        values. ``k = 0`` for an empty matrix; an all-zero matrix keeps one zero
        value.

    Raises
    ------
    ValueError
        ``a`` is not 2-D or contains NaN or infinity; ``max_bond < 1``,
        negative ``cutoff`` or an unknown ``cutoff_mode``; singular values or a
        discarded weight beyond the dtype's range (entries near its largest
        value). A matrix whose entries are far from 1 (below ``2**-100`` or
        above ``2**100`` in float64) is scaled by a power of two before the
        decomposition, exactly, so its sums of squares cannot overflow or
        underflow; ``max_bond`` of ``2**62`` or more means no limit.
    TypeError
        An unsupported dtype, or a non-integer ``max_bond``.
    tensorbond.LinAlgError
        Both gesdd and gesvd failed to converge.

    Examples
    --------
    >>> import numpy as np, tensorbond as tb
    >>> u, s, vh, discarded = tb.svd(np.diag([3.0, 2.0, 1e-6]), cutoff=1e-8)
    >>> s.tolist(), discarded
    ([3.0, 2.0], 1e-12)
    """
    trunc = Truncation(max_bond, cutoff, cutoff_mode, bool(renormalize))
    x = _as_matrix(a, "svd")
    x, exp = _scaled(x)
    mode = trunc.cutoff_mode
    if exp and trunc.cutoff > 0 and mode in ("abs", "sum2"):
        cut = _scaled_cutoff(trunc.cutoff, exp if mode == "abs" else 2 * exp)
        trunc = Truncation(trunc.max_bond, cut, mode, trunc.renormalize)
    u, s, vh, discarded, _total = _kernel("svd", x.dtype)(x, trunc.to_core())
    if exp:
        s = _times_pow2(s, exp)
        try:
            discarded = math.ldexp(discarded, 2 * exp)
        except OverflowError:
            discarded = math.inf
        if not (bool(np.all(np.isfinite(s))) and math.isfinite(discarded)):
            raise ValueError(
                f"svd: the singular values or the discarded weight (the sum of the "
                f"dropped values' squares) of a matrix with entries up to "
                f"{math.ldexp(1.0, exp):.3g} exceed the range of {s.dtype}; scale "
                "the matrix down first"
            )
    return SVDResult(u, s, vh, float(discarded))


#: Largest |log2| of max|a| the SVD kernel takes as it is (its sums of squares
#: must neither overflow nor underflow); beyond, the matrix is scaled by a power
#: of two (exact) and the results are scaled back.
_SAFE_EXPONENT = {np.dtype(np.float32): 20, np.dtype(np.float64): 100}
_TINY = math.ulp(0.0)


def _times_pow2(x: np.ndarray, exp: int) -> np.ndarray:
    """``x * 2**exp`` in ``x``'s dtype, exact where the result is a normal number."""
    real = np.finfo(x.dtype).dtype
    half = exp // 2
    with np.errstate(over="ignore", under="ignore"):
        out: np.ndarray = (
            x * real.type(math.ldexp(1.0, half)) * real.type(math.ldexp(1.0, exp - half))
        )
    return out


def _scaled(x: np.ndarray) -> tuple[np.ndarray, int]:
    """``(x / 2**e, e)`` with max|x / 2**e| in [0.5, 1) when max|x| is far from 1,
    else ``(x, 0)`` (also for empty, all-zero and non-finite matrices)."""
    if x.size == 0:
        return x, 0
    amax = float(np.max(np.abs(x)))
    if amax == 0.0 or not math.isfinite(amax):
        return x, 0
    exp = math.frexp(amax)[1]
    if abs(exp) <= _SAFE_EXPONENT[np.finfo(x.dtype).dtype]:
        return x, 0
    return np.ascontiguousarray(_times_pow2(x, -exp)), exp


def _scaled_cutoff(cut: float, exp: int) -> float:
    """``cut / 2**exp``, kept positive and finite (a positive cutoff stays positive)."""
    try:
        out = math.ldexp(cut, -exp)
    except OverflowError:
        return sys.float_info.max
    return out if out > 0 else _TINY


def singular_values(a: npt.ArrayLike) -> np.ndarray:
    """Singular values of a matrix, descending (no vectors computed).

    Parameters
    ----------
    a : array_like, shape (m, n)

    Returns
    -------
    numpy.ndarray
        ``min(m, n)`` real values.

    Raises
    ------
    ValueError
        ``a`` is not 2-D or contains NaN or infinity.
    TypeError
        An unsupported dtype.
    tensorbond.LinAlgError
        LAPACK failed to converge.
    """
    x = _as_matrix(a, "singular_values")
    return _kernel("singular_values", x.dtype)(x)  # type: ignore[no-any-return]


def qr(a: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Reduced QR decomposition ``a = q @ r``.

    Parameters
    ----------
    a : array_like, shape (m, n)

    Returns
    -------
    q : numpy.ndarray, shape (m, k)
        Orthonormal columns, ``k = min(m, n)``.
    r : numpy.ndarray, shape (k, n)
        Upper triangular (trapezoidal when ``n > m``).

    Raises
    ------
    ValueError
        ``a`` is not 2-D or contains NaN or infinity.
    TypeError
        An unsupported dtype.

    Examples
    --------
    >>> import numpy as np, tensorbond as tb
    >>> q, r = tb.qr(np.arange(6.0).reshape(3, 2))
    >>> q.shape, r.shape
    ((3, 2), (2, 2))
    """
    x = _as_matrix(a, "qr")
    q, r = _kernel("qr", x.dtype)(x)
    return q, r
