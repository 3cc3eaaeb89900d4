"""Dense state vectors: the exact engine for circuits of few qubits.

Up to about 14 qubits ``2^n`` amplitudes cost less than the MPS bond an
entangling circuit needs (an exact 12-qubit state has bond 64 in the middle,
and every two-qubit gate there is a 128 x 64 SVD), so :func:`tensorbond.expectation`
and :func:`tensorbond.gradient` run such circuits on a :class:`DenseState` when
nothing would be truncated anyway. The compiled gates are the MPS engine's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _core
from ..memory import check_allocation
from .compile import CompiledCircuit

__all__ = ["MAX_DENSE_QUBITS", "DenseState", "Masks", "pauli_masks"]

#: Up to this many qubits ``engine="auto"`` simulates densely when the
#: truncation cannot cut anything (no ``max_bond``, or one >= 2^(n/2)).
MAX_DENSE_QUBITS = 14


#: ``(x, z, coefficients)`` of a Pauli sum, from :func:`pauli_masks`.
Masks = tuple[np.ndarray, np.ndarray, np.ndarray]


def pauli_masks(terms: Sequence[tuple[complex, dict[int, str]]], num_qubits: int) -> Masks:
    """Pauli strings as index bit masks (qubit q is bit ``n-1-q``): ``x`` flips,
    ``z`` signs, Y sets both; and the coefficients."""
    x = np.zeros(len(terms), dtype=np.uint64)
    z = np.zeros(len(terms), dtype=np.uint64)
    c = np.zeros(len(terms), dtype=np.complex128)
    for k, (coeff, term) in enumerate(terms):
        xm = zm = 0
        for q, p in term.items():
            b = 1 << (num_qubits - 1 - q)
            if p in ("X", "Y"):
                xm |= b
            if p in ("Z", "Y"):
                zm |= b
        x[k], z[k], c[k] = xm, zm, coeff
    return x, z, c


class DenseState:
    """A state vector of ``num_qubits`` qubits (1 to 30), ``|0...0>`` to start."""

    def __init__(self, num_qubits: int) -> None:
        if 1 <= num_qubits <= 30:  # the core names the range otherwise
            check_allocation(16 << num_qubits, f"a dense state vector of {num_qubits} qubits")
        self._impl: _core.StateVector = _core.StateVector(num_qubits)

    @classmethod
    def _wrap(cls, impl: _core.StateVector) -> DenseState:
        out = cls.__new__(cls)
        out._impl = impl
        return out

    @property
    def num_qubits(self) -> int:
        """Number of qubits."""
        return int(self._impl.num_qubits)

    def copy(self) -> DenseState:
        """An independent copy."""
        return DenseState._wrap(self._impl.copy())

    def run(
        self, prog: CompiledCircuit, start: int, stop: int, matrices: np.ndarray | None = None
    ) -> None:
        """Apply gates ``start:stop`` of ``prog`` (GIL released)."""
        self._impl.run(
            prog.qubits,
            prog.arity,
            prog.offsets,
            prog.matrices if matrices is None else matrices,
            start,
            stop,
        )

    def apply(self, qubits: Sequence[int], matrix: np.ndarray) -> None:
        """Apply any ``2^k x 2^k`` matrix to ``qubits`` (first listed most significant)."""
        self._impl.apply_gate(list(qubits), np.ascontiguousarray(matrix, dtype=np.complex128))

    def norm_squared(self) -> float:
        """``<psi|psi>``."""
        return float(self._impl.norm_squared())

    def inner(self, other: DenseState) -> complex:
        """``<self|other>``."""
        return complex(self._impl.inner(other._impl))

    @property
    def fidelity_estimate(self) -> float:
        """1: nothing is ever truncated."""
        return 1.0

    @property
    def memory_bytes(self) -> int:
        """Bytes of the amplitudes."""
        return 16 << self.num_qubits

    def expectation(self, masks: Masks) -> complex:
        """``<psi|sum_k c_k P_k|psi> / <psi|psi>`` for masks from :func:`pauli_masks`."""
        return complex(self._impl.expectation(*masks)) / self.norm_squared()

    def apply_paulis(self, masks: Masks) -> DenseState:
        """``sum_k c_k P_k |psi>``, a new state (masks from :func:`pauli_masks`)."""
        return DenseState._wrap(self._impl.apply_paulis(*masks))

    def amplitudes(self) -> np.ndarray:
        """The ``2^n`` amplitudes (a copy; qubit 0 most significant)."""
        return np.asarray(self._impl.amplitudes())
