"""MPO expectations and variances, reduced density matrices, entanglement and
correlations against dense linear algebra."""

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


def _state(seed: int, n: int = 7, routing: str = "auto") -> tb.MPS:
    rng = np.random.default_rng(seed)
    c = tb.Circuit(n)
    for _ in range(4):
        for q in range(n):
            c.u3(*rng.uniform(0, 2 * np.pi, 3), q)
        for q in range(int(rng.integers(2)), n - 1, 2):
            c.cx(q, q + 1)
        a, b = rng.choice(n, 2, replace=False)
        c.cz(int(a), int(b))
    return tb.simulate(c, routing=routing)


def _dense_op(term: dict[int, str], n: int) -> np.ndarray:
    out = np.eye(1)
    for q in range(n):
        out = np.kron(out, _P[term.get(q, "I")])
    return out


def _random_pauli_sum(rng: np.random.Generator, n: int, k: int):
    terms = []
    for _ in range(k):
        qs = rng.choice(n, int(rng.integers(1, 4)), replace=False)
        term = " ".join(f"{'XYZ'[int(rng.integers(3))]}{int(q)}" for q in qs)
        terms.append((float(rng.normal()), term))
    return terms


@pytest.mark.parametrize("seed", range(3))
def test_mpo_from_pauli_sum_equals_dense(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 6
    terms = _random_pauli_sum(rng, n, 150)  # more than one chunk of 64
    mpo = tb.MPO.from_pauli_sum(terms, n)
    dense = sum(c * _dense_op(parse_term(t), n) for c, t in terms)
    np.testing.assert_allclose(mpo.to_dense(), dense, atol=1e-10)
    for b, dim in enumerate(mpo.bond_dims):  # compressed to the operator Schmidt rank
        k, r = 2 ** (b + 1), 2 ** (n - b - 1)
        m = dense.reshape(k, r, k, r).transpose(0, 2, 1, 3).reshape(k * k, r * r)
        assert dim == np.linalg.matrix_rank(m, tol=1e-9), b


def test_ising_mpo_has_bond_three() -> None:
    n = 20
    terms = [(1.0, f"Z{i} Z{i + 1}") for i in range(n - 1)] + [(0.7, f"X{i}") for i in range(n)]
    assert max(tb.MPO.from_pauli_sum(terms, n).bond_dims) == 3


@pytest.mark.parametrize("routing", ["auto", "lazy"])
def test_expectation_and_variance_equal_dense(routing: str) -> None:
    rng = np.random.default_rng(4)
    n = 7
    state = _state(1, n, routing)
    psi = state.to_dense()
    terms = _random_pauli_sum(rng, n, 40)
    h = sum(c * _dense_op(parse_term(t), n) for c, t in terms)
    mean = np.vdot(psi, h @ psi).real
    mpo = tb.MPO.from_pauli_sum(terms, n)
    assert state.expectation_mpo(mpo) == pytest.approx(mean, abs=1e-10)
    assert state.expectation(terms) == pytest.approx(mean, abs=1e-10)
    var = np.vdot(h @ psi, h @ psi).real - mean**2
    assert state.variance(terms) == pytest.approx(var, abs=1e-9)
    assert state.variance(mpo) == pytest.approx(var, abs=1e-9)


@pytest.mark.parametrize("qubits", [[0], [3, 1], [0, 6], [5, 2, 4], [6, 0, 3, 1]])
def test_reduced_density_matrices_are_partial_traces(qubits) -> None:
    n = 7
    state = _state(2, n, "lazy")
    psi = state.to_dense().reshape((2,) * n)
    rest = [q for q in range(n) if q not in qubits]
    t = psi.transpose(qubits + rest).reshape(2 ** len(qubits), -1)
    want = t @ t.conj().T
    np.testing.assert_allclose(state.reduced_density_matrix(qubits), want, atol=1e-12)


def test_entanglement_at_every_bond_equals_dense_schmidt() -> None:
    n = 7
    state = _state(3, n)
    psi = state.to_dense()
    spectra, ent = state.entanglement()
    assert len(spectra) == n - 1
    for b in range(n - 1):
        s = np.linalg.svd(psi.reshape(2 ** (b + 1), -1), compute_uv=False)
        s = s[s > 1e-12]
        np.testing.assert_allclose(spectra[b][: s.size], s, atol=1e-10)
        p = s**2
        assert ent[b] == pytest.approx(-np.sum(p * np.log2(p)), abs=1e-9)


@pytest.mark.parametrize("a, b", [("Z", None), ("X", "Y"), ("Z", np.array([[0, 1], [0, 0]]))])
def test_correlations_of_all_pairs(a, b) -> None:
    n = 6
    state = _state(5, n)
    psi = state.to_dense()
    ma = _P[a] if isinstance(a, str) else a
    mb = ma if b is None else (_P[b] if isinstance(b, str) else b)
    got = state.correlations(a, b)
    for i in range(n):
        for j in range(n):
            if i == j:
                op = np.eye(1)
                for q in range(n):
                    op = np.kron(op, ma @ mb if q == i else np.eye(2))
            else:
                op = np.eye(1)
                for q in range(n):
                    op = np.kron(op, ma if q == i else mb if q == j else np.eye(2))
            assert got[i, j] == pytest.approx(np.vdot(psi, op @ psi), abs=1e-10), (i, j)


def test_bad_input() -> None:
    state = _state(0, 4)
    with pytest.raises(IndexError, match="qubit 9"):
        tb.MPO.from_pauli_sum([(1.0, "Z9")], 4)
    with pytest.raises(ValueError, match="sites"):
        state.expectation_mpo(tb.MPO.from_pauli_sum("Z0", 5))
    with pytest.raises(ValueError, match="repeated"):
        state.reduced_density_matrix([1, 1])
    with pytest.raises(IndexError, match="qubit 4"):
        state.reduced_density_matrix([4])
    with pytest.raises(ValueError, match="2x2"):
        state.correlations(np.eye(3))
    with pytest.raises(ValueError, match="shape"):
        tb.MPO([np.ones((1, 2, 3, 1))])
    with pytest.raises(TypeError, match="MPO"):
        state.expectation_mpo("Z0")
