"""The automaton construction of Pauli-sum MPOs: exact against dense sums, the
Schmidt rank after compression, large sums fast, memory refused with figures."""

from __future__ import annotations

import numpy as np
import pytest

import tensorbond as tb
from tensorbond.ir.pauli import parse_term

_P = {
    "I": np.eye(2),
    "X": np.array([[0, 1], [1, 0]]),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.diag([1.0, -1.0]),
}


def _dense(terms, n: int) -> np.ndarray:
    total = np.zeros((2**n, 2**n), dtype=complex)
    for c, t in terms:
        term = parse_term(t) if isinstance(t, str) else t
        op = np.eye(1)
        for q in range(n):
            op = np.kron(op, _P[term.get(q, "I")])
        total += c * op
    return total


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_identity_duplicate_complex_and_long_terms_equal_dense(n: int) -> None:
    rng = np.random.default_rng(n)
    terms: list = [(0.5, {}), (0.25 - 1j, {})]  # identity terms, twice
    for _ in range(60):
        qs = sorted(rng.choice(n, int(rng.integers(1, n + 1)), replace=False))
        terms.append(
            (complex(rng.normal(), rng.normal()), {int(q): "XYZ"[int(rng.integers(3))] for q in qs})
        )
    terms += terms[2:12]  # duplicates add up
    mpo = tb.MPO.from_pauli_sum(terms, n)
    np.testing.assert_allclose(mpo.to_dense(), _dense(terms, n), atol=1e-10)


def test_cancelling_terms_give_the_zero_operator() -> None:
    mpo = tb.MPO.from_pauli_sum([(1.0, "X0 Z2"), (-1.0, "X0 Z2")], 4)
    np.testing.assert_allclose(mpo.to_dense(), 0, atol=1e-12)


def test_all_pairs_on_200_qubits_has_bond_three_and_the_right_value() -> None:
    n = 200
    terms = [(1.0, f"Z{i} Z{j}") for i in range(n) for j in range(i + 1, n)]
    assert len(terms) == 19_900
    mpo = tb.MPO.from_pauli_sum(terms, n)
    assert max(mpo.bond_dims) == 3
    rng = np.random.default_rng(0)
    bits = rng.integers(2, size=n)
    c = tb.Circuit(n)
    for q in np.flatnonzero(bits):
        c.x(int(q))
    s = float(np.sum(1 - 2 * bits))  # sum of Z_i
    assert tb.simulate(c).expectation_mpo(mpo).real == pytest.approx((s * s - n) / 2)


def test_automaton_too_big_splits_the_terms_in_halves() -> None:
    n = 30
    terms = [(1.0 + 0.1 * i, f"X{i} Y{j}") for i in range(n) for j in range(i + 1, n)]
    whole = tb.MPO.from_pauli_sum(terms, n)
    tb.set_max_memory(160_000)  # the automaton needs 208 kB, each half less
    try:
        split = tb.MPO.from_pauli_sum(terms, n)
    finally:
        tb.set_max_memory(None)
    assert split.bond_dims == whole.bond_dims
    state = tb.simulate(tb.Circuit(n).h(0).rx(0.3, 5).ry(0.7, 17).cx(5, 6))
    assert state.expectation_mpo(split) == pytest.approx(state.expectation_mpo(whole), abs=1e-9)
    assert state.expectation_mpo(split) == pytest.approx(state.expectation(terms), abs=1e-9)


def test_what_cannot_fit_is_refused_with_the_figure() -> None:
    n = 40
    terms = [(1.0, f"X{i} Y{j}") for i in range(n) for j in range(i + 1, n)]
    tb.set_max_memory(1 << 10)
    try:
        with pytest.raises(MemoryError, match=r"780 Pauli terms on 40 qubits .*needs .*KiB"):
            tb.MPO.from_pauli_sum(terms, n)
    finally:
        tb.set_max_memory(None)
