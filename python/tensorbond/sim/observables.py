"""Matrix product operators and the observables of an MPS: MPO expectation and
variance, reduced density matrices of any qubits, entanglement at every bond,
and two-point correlations of all pairs in one sweep.

Contractions run through :func:`opt_einsum.contract` on the state's site
tensors in qubit order (a state whose routing moved qubits is restored to the
identity layout, exactly, on a copy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from opt_einsum import contract

from ..ir.pauli import PAULI, parse_pauli_sum
from ..memory import check_allocation
from ..truncation import MPO_CUTOFF
from .pauli_mpo import automaton_tensors

__all__ = [
    "MPO",
    "correlations",
    "direct_sum",
    "entanglement",
    "is_hermitian",
    "mpo_expectation",
    "mpo_variance",
    "reduced_density_matrix",
]

_MAX_RDM_QUBITS = 12  # a 4096 x 4096 density matrix


class MPO:
    """A matrix product operator on qubits: tensors ``(D_left, 2 out, 2 in, D_right)``.

    Build one from a sum of Pauli strings with :meth:`from_pauli_sum` (compressed
    by SVD sweeps) or from explicit tensors.
    """

    def __init__(self, tensors: Sequence[np.ndarray]) -> None:
        ts = [np.asarray(t, dtype=np.complex128) for t in tensors]
        if not ts:
            raise ValueError("an MPO needs at least one tensor")
        for i, t in enumerate(ts):
            if t.ndim != 4 or t.shape[1:3] != (2, 2):
                raise ValueError(
                    f"MPO tensor {i} must have shape (left, 2, 2, right), got {t.shape}"
                )
            if i and t.shape[0] != ts[i - 1].shape[3]:
                raise ValueError(
                    f"MPO tensor {i} has left bond {t.shape[0]}, its neighbour {ts[i - 1].shape[3]}"
                )
            if not np.all(np.isfinite(t)):
                raise ValueError(f"MPO tensor {i} is not finite")
        if ts[0].shape[0] != 1 or ts[-1].shape[3] != 1:
            raise ValueError("the end bonds of an MPO must be 1")
        self.tensors = ts

    @property
    def num_qubits(self) -> int:
        """Number of sites."""
        return len(self.tensors)

    @property
    def bond_dims(self) -> list[int]:
        """Inner bond dimensions."""
        return [t.shape[3] for t in self.tensors[:-1]]

    @classmethod
    def from_pauli_sum(cls, op: Any, num_qubits: int, *, cutoff: float = MPO_CUTOFF) -> MPO:
        """The MPO of ``sum_k c_k P_k`` (Pauli strings as for :meth:`MPS.expectation`).

        The terms become one finite-state automaton (terms share their Pauli
        prefixes left of a pivot site and their suffixes right of it), which
        one SVD sweep compresses, dropping singular values below ``cutoff``
        times each cut's largest: the bond is the operator's Schmidt rank
        (3 for ``sum_{i<j} Z_i Z_j``), not the number of terms. Where that
        automaton would not fit in memory the terms are split in halves, each
        compressed, and summed.

        Parameters
        ----------
        op : str, dict or list
            A Pauli string, a dict ``{string: coefficient}`` or a list of
            ``(coefficient, string)`` pairs (see :mod:`tensorbond.ir.pauli`).
        num_qubits : int
            Number of sites, at least 1; every term's qubits must lie below it.
        cutoff : float
            Relative singular value cutoff of the compression.

        Returns
        -------
        MPO

        Raises
        ------
        ValueError
            ``num_qubits`` not a positive int, no terms, or a malformed Pauli
            string or coefficient.
        TypeError
            A malformed term or coefficient.
        IndexError
            A term on a qubit ``>= num_qubits``.
        MemoryError
            Even the compressed halves would not fit (the message has the bytes).
        """
        if (
            isinstance(num_qubits, bool)
            or not isinstance(num_qubits, (int, np.integer))
            or num_qubits < 1
        ):
            raise ValueError(f"num_qubits must be a positive int, got {num_qubits!r}")
        terms = parse_pauli_sum(op)
        if not terms:
            raise ValueError("an operator needs at least one term")
        for _, term in terms:
            for q in term:
                if not 0 <= q < num_qubits:
                    raise IndexError(
                        f"Pauli term on qubit {q}: the operator has {num_qubits} qubits"
                    )
        return _sum_mpo(terms, int(num_qubits), cutoff)

    def compress(self, cutoff: float = MPO_CUTOFF) -> MPO:
        """Left-to-right QR, then right-to-left SVDs truncated at ``cutoff`` relative to
        each cut's largest singular value (in place).

        Parameters
        ----------
        cutoff : float
            Singular values below ``cutoff`` times the cut's largest are dropped
            (at least one is kept).

        Returns
        -------
        MPO
            This MPO (calls chain).
        """
        ts = self.tensors
        for i in range(len(ts) - 1):
            d0, a, b, d1 = ts[i].shape
            q, r = np.linalg.qr(ts[i].reshape(d0 * a * b, d1))
            ts[i] = q.reshape(d0, a, b, q.shape[1])
            ts[i + 1] = contract("ij,jabk->iabk", r, ts[i + 1])
        for i in range(len(ts) - 1, 0, -1):
            d0, a, b, d1 = ts[i].shape
            u, s, vh = np.linalg.svd(ts[i].reshape(d0, a * b * d1), full_matrices=False)
            keep = max(1, int(np.sum(s > cutoff * (s[0] if s.size else 0))))
            ts[i] = vh[:keep].reshape(keep, a, b, d1)
            ts[i - 1] = contract("iabj,jk->iabk", ts[i - 1], u[:, :keep] * s[:keep])
        return self

    def to_dense(self) -> np.ndarray:
        """The ``2^n x 2^n`` matrix (qubit 0 most significant); n <= 12.

        Returns
        -------
        numpy.ndarray
            Complex ``(2^n, 2^n)``, rows the output index, columns the input.

        Raises
        ------
        ValueError
            More than 12 qubits.
        """
        n = self.num_qubits
        if n > _MAX_RDM_QUBITS:
            raise ValueError(
                f"to_dense of a {n}-qubit MPO needs 4^{n} entries; at most {_MAX_RDM_QUBITS} qubits"
            )
        m: np.ndarray = self.tensors[0][0]  # (2, 2, D)
        for t in self.tensors[1:]:
            m = contract("abi,icdj->acbdj", m, t)
            a, c, b, d, j = m.shape
            m = m.reshape(a * c, b * d, j)
        return m[:, :, 0]


def is_hermitian(mpo: MPO, *, rtol: float = 1e-6) -> bool:
    """Whether ``mpo`` equals its adjoint: ``||W - W^dag||_F <= rtol ||W||_F``.

    From two traces, never the dense operator: ``||W - W^dag||^2 =
    2 tr(W^dag W) - 2 Re tr(W W)``; the difference of traces loses half the
    digits, hence the loose default.
    """
    norm = np.ones((1, 1), dtype=np.complex128)
    square = np.ones((1, 1), dtype=np.complex128)
    for w in mpo.tensors:
        norm = contract("ab,astc,bstd->cd", norm, w.conj(), w)
        square = contract("ab,astc,btsd->cd", square, w, w)
    n2 = float(norm[0, 0].real)
    diff2 = max(2.0 * n2 - 2.0 * float(square[0, 0].real), 0.0)
    return diff2 <= rtol**2 * max(n2, np.finfo(float).tiny)


def _sum_mpo(terms: Sequence[tuple[complex, dict[int, str]]], n: int, cutoff: float) -> MPO:
    try:
        return MPO(automaton_tensors(terms, n)).compress(cutoff)
    except MemoryError as whole:
        if len(terms) < 2:
            raise
        try:
            return _sum_of_halves(terms, n, cutoff)
        except MemoryError as parts:
            raise MemoryError(f"{whole}; built in parts and summed, {parts}") from None


def _sum_of_halves(terms: Sequence[tuple[complex, dict[int, str]]], n: int, cutoff: float) -> MPO:
    parts = []
    for part in (terms[: len(terms) // 2], terms[len(terms) // 2 :]):
        try:
            parts.append(MPO(automaton_tensors(part, n)).compress(cutoff))
        except MemoryError:
            if len(part) < 2:
                raise
            parts.append(_sum_of_halves(part, n, cutoff))
    bonds = [1] + [a + b for a, b in zip(parts[0].bond_dims, parts[1].bond_dims, strict=True)] + [1]
    check_allocation(
        sum(bonds[i] * 4 * bonds[i + 1] for i in range(n)) * 16,
        f"the sum of {len(terms)} of the terms",
    )
    return direct_sum(parts).compress(cutoff)


def direct_sum(mpos: Sequence[MPO]) -> MPO:
    """``sum_k O_k`` of MPOs on the same sites, uncompressed: the bonds add up
    (call :meth:`MPO.compress` on the result).

    Raises
    ------
    ValueError
        No MPOs, or MPOs on different numbers of sites.
    """
    if not mpos:
        raise ValueError("a sum needs at least one MPO")
    if len({m.num_qubits for m in mpos}) != 1:
        raise ValueError("MPOs of a sum must act on the same number of sites")
    if len(mpos) == 1:
        return mpos[0]
    n = mpos[0].num_qubits
    out = []
    for i in range(n):
        blocks = [m.tensors[i] for m in mpos]
        if i == 0:
            out.append(np.concatenate(blocks, axis=3))
        elif i == n - 1:
            out.append(np.concatenate(blocks, axis=0))
        else:
            dl = sum(b.shape[0] for b in blocks)
            dr = sum(b.shape[3] for b in blocks)
            t = np.zeros((dl, 2, 2, dr), dtype=np.complex128)
            a = c = 0
            for b in blocks:
                t[a : a + b.shape[0], :, :, c : c + b.shape[3]] = b
                a += b.shape[0]
                c += b.shape[3]
            out.append(t)
    if n == 1:
        return MPO([cast(np.ndarray, sum(m.tensors[0] for m in mpos))])  # mpos is non-empty
    return MPO(out)


# ------------------------------------------------------------ state helpers
def _tensors(state: Any) -> list[np.ndarray]:
    """Site tensors in qubit order (layout restored exactly on a copy if moved)."""
    s = state
    if s.layout != list(range(s.num_qubits)):
        s = state.copy().restore_layout(max_bond=None)
    return [s.site_tensor(i).astype(np.complex128) for i in range(s.num_qubits)]


def _check_mpo(state: Any, mpo: MPO) -> None:
    if not isinstance(mpo, MPO):
        raise TypeError(f"expected an MPO, got {type(mpo).__name__}")
    if mpo.num_qubits != state.num_qubits:
        raise ValueError(f"the MPO has {mpo.num_qubits} sites, the state {state.num_qubits}")


def mpo_expectation(state: Any, mpo: MPO) -> complex:
    """``<psi|O|psi> / <psi|psi>`` for an MPO ``O``.

    Parameters
    ----------
    state : MPS
        The state; a moved layout is restored on a copy.
    mpo : MPO
        The operator, site ``i`` acting on qubit ``i``.

    Returns
    -------
    complex

    Raises
    ------
    TypeError
        ``mpo`` is not an :class:`MPO`.
    ValueError
        The MPO and the state have different numbers of sites.
    """
    _check_mpo(state, mpo)
    env = np.ones((1, 1, 1), dtype=np.complex128)
    # Pairwise tensordots in a fixed order: (bra, mpo, ket) environments; an
    # einsum path search per site would cost more than the contraction.
    for a, w in zip(_tensors(state), mpo.tensors, strict=True):
        t = np.tensordot(env, a.conj(), axes=(0, 0))  # (m, y, s, c)
        t = np.tensordot(t, w, axes=([0, 2], [0, 1]))  # (y, c, t, n)
        env = np.tensordot(t, a, axes=([0, 2], [0, 1]))  # (c, n, d)
    return complex(env[0, 0, 0] / state.norm() ** 2)


def mpo_variance(state: Any, mpo: MPO) -> float:
    """``<O^dag O> - |<O>|^2`` (the variance for a Hermitian ``O``), normalized;
    both moments in one sweep.

    Parameters
    ----------
    state : MPS
        The state; a moved layout is restored on a copy.
    mpo : MPO
        The operator, site ``i`` acting on qubit ``i``.

    Returns
    -------
    float
        Clipped at 0 (rounding can make the difference slightly negative).

    Raises
    ------
    TypeError
        ``mpo`` is not an :class:`MPO`.
    ValueError
        The MPO and the state have different numbers of sites.
    """
    _check_mpo(state, mpo)
    second = np.ones((1, 1, 1, 1), dtype=np.complex128)
    first = np.ones((1, 1, 1), dtype=np.complex128)
    norm = np.ones((1, 1), dtype=np.complex128)
    for a, w in zip(_tensors(state), mpo.tensors, strict=True):
        # ||O psi||^2: (O psi)_s = sum_t W[s, t] A[t]; bra layer conjugated.
        second = contract("xmny,xtc,msto,nsup,yud->copd", second, a.conj(), w.conj(), w, a)
        first = contract("xmy,xsc,mstn,ytd->cnd", first, a.conj(), w, a)
        norm = contract("xy,xsc,ysd->cd", norm, a.conj(), a)
    n = norm[0, 0].real
    mean: complex = first[0, 0, 0] / n
    return max(float(second[0, 0, 0, 0].real / n) - abs(mean) ** 2, 0.0)


def reduced_density_matrix(state: Any, qubits: Sequence[int]) -> np.ndarray:
    """The density matrix of ``qubits`` (any set, in the order given), trace 1.

    Row and column index: the first listed qubit is the most significant bit.
    At most 12 qubits.

    Parameters
    ----------
    state : MPS
        The state; a moved layout is restored on a copy.
    qubits : sequence of int
        The qubits kept (the others are traced out), in the order of the result.

    Returns
    -------
    numpy.ndarray
        Complex ``(2^m, 2^m)`` for ``m = len(qubits)``.

    Raises
    ------
    ValueError
        No qubits, a repeated qubit, or more than 12 qubits.
    IndexError
        A qubit outside the state.
    """
    n = state.num_qubits
    qs = [int(q) for q in qubits]
    if not qs:
        raise ValueError("give at least one qubit")
    if len(set(qs)) != len(qs):
        raise ValueError(f"repeated qubit in {qs}")
    for q in qs:
        if not 0 <= q < n:
            raise IndexError(f"qubit {q} is out of range for {n} qubits")
    if len(qs) > _MAX_RDM_QUBITS:
        raise ValueError(
            f"a density matrix of {len(qs)} qubits has 4^{len(qs)} entries; at "
            f"most {_MAX_RDM_QUBITS}"
        )
    keep = set(qs)
    env = np.ones((1, 1, 1), dtype=np.complex128)  # (bra bond, ket bond, open pairs)
    opened: list[int] = []
    for i, a in enumerate(_tensors(state)):
        if i in keep:
            env = contract("xyk,xsc,ytd->cdkts", env, a.conj(), a)
            c, d, k, _t, _s = env.shape
            env = env.reshape(c, d, k * 4)  # pair index (ket t, bra s) appended
            opened.append(i)
        else:
            env = contract("xyk,xsc,ysd->cdk", env, a.conj(), a)
    m = len(opened)
    rho: np.ndarray = env[0, 0].reshape((2, 2) * m)  # (t_0, s_0, t_1, s_1, ...) in site order
    rho = rho.transpose([2 * j for j in range(m)] + [2 * j + 1 for j in range(m)])
    order = [opened.index(q) for q in qs]
    rho = rho.transpose(order + [m + j for j in order]).reshape(2**m, 2**m)
    normalized: np.ndarray = rho / np.trace(rho)
    return normalized


def entanglement(state: Any, *, base: float = 2.0) -> tuple[list[np.ndarray], np.ndarray]:
    """The Schmidt spectrum (normalized, descending) and the von Neumann entropy
    at every bond ``0 .. n-2``, in one sweep of the orthogonality centre.

    Parameters
    ----------
    state : MPS
        The state; bond ``b`` lies between qubits ``b`` and ``b + 1`` (a moved
        layout is restored on a copy).
    base : float
        Base of the entropy's logarithm (2: bits).

    Returns
    -------
    spectra : list of numpy.ndarray
        The Schmidt values at each bond, float64.
    entropies : numpy.ndarray
        ``-sum p log p`` with ``p`` the squared Schmidt values, shape ``(n - 1,)``.
    """
    spectra = [state.schmidt_values(b) for b in range(state.num_qubits - 1)]
    ent = []
    for s in spectra:
        p = s**2
        p = p[p > 0]
        ent.append(float(-np.sum(p * np.log(p)) / math.log(base)))
    return spectra, np.array(ent)


def correlations(state: Any, a: Any, b: Any | None = None) -> np.ndarray:
    """``C[i, j] = <A_i B_j>`` for every pair of qubits, in one left-to-right sweep
    per row (O(n^2 chi^3)); the diagonal is ``<(A B)_i>``.

    ``a`` and ``b`` are 2x2 matrices or Pauli names ("X", "Y", "Z"); ``b``
    defaults to ``a``. Normalized by ``<psi|psi>``.

    Parameters
    ----------
    state : MPS
        The state; a moved layout is restored on a copy.
    a : str or array_like
        ``A``: ``"I"``, ``"X"``, ``"Y"``, ``"Z"`` (any case) or a finite 2x2 matrix.
    b : str or array_like, optional
        ``B``, as ``a``; ``None`` for ``a``.

    Returns
    -------
    numpy.ndarray
        Complex ``(n, n)``, ``C[i, j]`` with ``A`` on qubit ``i`` and ``B`` on
        qubit ``j``.

    Raises
    ------
    ValueError
        An ``a`` or ``b`` that is neither a Pauli name nor a finite 2x2 matrix.
    """
    ma = _as_one_qubit(a, "a")
    mb = ma if b is None else _as_one_qubit(b, "b")
    ts = _tensors(state)
    upper, norm = _upper_correlations(ts, ma, mb)
    out: np.ndarray
    if b is None:
        out = upper + np.triu(upper, 1).T
    else:  # below the diagonal C[i, j] = <B_j A_i> (operators on different sites commute)
        swapped, _ = _upper_correlations(ts, mb, ma)
        out = upper + np.triu(swapped, 1).T
    normalized: np.ndarray = out / norm
    return normalized


def _upper_correlations(
    ts: list[np.ndarray], ma: np.ndarray, mb: np.ndarray
) -> tuple[np.ndarray, float]:
    """``<A_i B_j>`` for i <= j (unnormalized) and ``<psi|psi>``."""
    n = len(ts)
    # Left environments without operators, L[i] up to site i-1; right ones R[j] from j+1.
    left = [np.ones((1, 1), dtype=np.complex128)]
    for t in ts:
        left.append(contract("xy,xsc,ysd->cd", left[-1], t.conj(), t))
    right = [np.ones((1, 1), dtype=np.complex128)] * (n + 1)
    for j in range(n - 1, -1, -1):
        right[j] = contract("cd,xsc,ysd->xy", right[j + 1], ts[j].conj(), ts[j])
    out = np.zeros((n, n), dtype=np.complex128)
    ab = ma @ mb
    for i in range(n):
        out[i, i] = contract("xy,xsc,st,ytd,cd->", left[i], ts[i].conj(), ab, ts[i], right[i + 1])
        v = contract("xy,xsc,st,ytd->cd", left[i], ts[i].conj(), ma, ts[i])
        for j in range(i + 1, n):
            out[i, j] = contract("xy,xsc,st,ytd,cd->", v, ts[j].conj(), mb, ts[j], right[j + 1])
            v = contract("xy,xsc,ysd->cd", v, ts[j].conj(), ts[j])
    return out, float(left[n][0, 0].real)


def _as_one_qubit(x: Any, what: str) -> np.ndarray:
    if isinstance(x, str):
        if x.upper() not in PAULI:
            raise ValueError(f"{what} must be 'I', 'X', 'Y', 'Z' or a 2x2 matrix, got {x!r}")
        return PAULI[x.upper()]
    m = np.asarray(x, dtype=np.complex128)
    if m.shape != (2, 2) or not np.all(np.isfinite(m)):
        raise ValueError(f"{what} must be a finite 2x2 matrix, got shape {m.shape}")
    return m
