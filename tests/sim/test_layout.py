"""Qubit layouts: SWAP gates relabel sites, lazy routing leaves qubits where they
were moved. Every query must still answer in qubit order."""

from __future__ import annotations

import numpy as np
import pytest
from test_simulate import random_case

import tensorbond as tb
from _reference import statevector as sv


def _pauli_dense(psi: np.ndarray, n: int, term: dict[int, str]) -> complex:
    mats = {
        "X": np.array([[0, 1], [1, 0]]),
        "Y": np.array([[0, -1j], [1j, 0]]),
        "Z": np.diag([1, -1]),
    }
    phi = psi.copy()
    for q, p in term.items():
        phi = sv.apply(phi, mats[p].astype(complex), [q], n)
    return complex(np.vdot(psi, phi))


def _entropy_dense(psi: np.ndarray, n: int, bond: int) -> float:
    s = np.linalg.svd(psi.reshape(2 ** (bond + 1), -1), compute_uv=False)
    p = s**2 / np.sum(s**2)
    p = p[p > 1e-300]
    return float(-np.sum(p * np.log2(p)))


@pytest.fixture
def moved() -> tuple[tb.MPS, np.ndarray, int]:
    rng = np.random.default_rng(21)
    n = 9
    circ, ref = random_case(n, rng)
    # a long tail of swaps and distant gates that scramble the layout
    extra = tb.Circuit(n)
    for _ in range(25):
        a, b = (int(x) for x in rng.choice(n, 2, replace=False))
        extra.swap(a, b)
        c, d = (int(x) for x in rng.choice(n, 2, replace=False))
        extra.cx(c, d)
        extra.u3(*rng.uniform(0, 6, 3), int(rng.integers(n)))
    psi = tb.simulate(circ, cutoff=0.0)
    psi = tb.simulate(extra, cutoff=0.0, routing="lazy", initial_state=psi)
    for op in extra:
        ref = sv.apply(ref, op.unitary(), list(op.qubits), n)
    return psi, ref, n


def test_layout_moved_and_dense_in_qubit_order(moved) -> None:
    psi, ref, n = moved
    assert sorted(psi.layout) == list(range(n))
    assert psi.layout != list(range(n))
    np.testing.assert_allclose(psi.to_dense(), ref, rtol=1e-10, atol=1e-12)


def test_amplitudes_and_probabilities(moved) -> None:
    psi, ref, n = moved
    rng = np.random.default_rng(2)
    for _ in range(20):
        idx = int(rng.integers(2**n))
        bits = format(idx, f"0{n}b")
        assert psi.amplitude(bits) == pytest.approx(ref[idx], abs=1e-12)
        assert psi.probability(bits) == pytest.approx(abs(ref[idx]) ** 2, abs=1e-12)


def test_samples_in_qubit_order(moved) -> None:
    psi, ref, n = moved
    probs = np.abs(ref) ** 2
    shots = 20000
    counts = psi.sample(shots, seed=5).counts()
    top = np.argsort(probs)[::-1][:5]
    for idx in top:
        expected = probs[idx] * shots
        got = counts.get(format(int(idx), f"0{n}b"), 0)
        assert abs(got - expected) <= 5 * np.sqrt(expected) + 5


def test_expectations(moved) -> None:
    psi, ref, n = moved
    for term in ({0: "Z"}, {0: "X", 5: "Y"}, {8: "Z", 2: "X", 4: "Z"}):
        assert psi.expectation(term) == pytest.approx(_pauli_dense(ref, n, term).real, abs=1e-10)


def test_entropy_in_qubit_order_leaves_layout(moved) -> None:
    # A query: the layout is restored on a copy, the state keeps its own.
    psi, ref, n = moved
    layout = list(psi.layout)
    assert layout != list(range(n))
    for bond in range(n - 1):
        assert psi.entropy(bond) == pytest.approx(_entropy_dense(ref, n, bond), abs=1e-8)
    assert psi.layout == layout
    np.testing.assert_allclose(psi.to_dense(), ref, rtol=1e-8, atol=1e-10)


def test_swap_gate_is_free_and_exact() -> None:
    psi = tb.MPS.from_bitstring("1000")
    psi.apply_gate(tb.gate_matrix("swap"), [0, 3])
    assert psi.layout == [3, 1, 2, 0]
    assert psi.probability("0001") == pytest.approx(1.0)
    assert psi.num_truncations == 0
    psi.restore_layout()
    assert psi.layout == [0, 1, 2, 3]
    assert psi.probability("0001") == pytest.approx(1.0)
    assert abs(psi.site_tensor(3)[0, 1, 0]) == pytest.approx(1.0)  # up to gauge


def test_copy_keeps_layout() -> None:
    psi = tb.simulate(tb.Circuit(3).x(0).swap(0, 2))
    other = psi.copy()
    assert other.layout == psi.layout == [2, 1, 0]
    assert other.probability("001") == pytest.approx(1.0)


@pytest.mark.parametrize("seed, with_cswap", [(3, True), (4, False)])
def test_auto_routing_at_saturated_bonds_is_exact(seed: int, with_cswap: bool) -> None:
    """auto routes rank-4 gates (cswap) lazily, and switches rank-2 gates (cx, rzz, ccx)
    to lazy swaps once the span's bonds reach max_bond; with max_bond at the full
    2^(n/2) nothing is truncated, so the state must stay exact while the layout
    moves (without cswap, only the saturated rank-2 path can move it)."""
    rng = np.random.default_rng(seed)
    n = 8
    circ = tb.Circuit(n)
    for _ in range(30):
        for q in range(n):
            circ.u3(*rng.uniform(0, 6, 3), q)
        a, b, c = (int(x) for x in rng.choice(n, 3, replace=False))
        circ.cx(a, b)
        circ.rzz(float(rng.uniform(0, 6)), b, c)
        circ.ccx(a, b, c)
        if with_cswap:
            circ.cswap(c, a, b)
    psi = tb.simulate(circ, max_bond=2 ** (n // 2), cutoff=0.0)
    ref = np.zeros(2**n, complex)
    ref[0] = 1
    for op in circ:
        ref = sv.apply(ref, op.unitary(), list(op.qubits), n)
    assert psi.layout != list(range(n))
    assert psi.fidelity_estimate == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(psi.to_dense(), ref, rtol=1e-10, atol=1e-12)


def test_restore_layout_is_bounded_by_the_bond_reached() -> None:
    """A layout scrambled at saturation restores within the state's own bond
    (exactly it could need 2^(n/2)); what that cuts counts in the estimate."""
    rng = np.random.default_rng(8)
    n = 16
    circ = tb.Circuit(n)
    for _ in range(6):
        for q in range(n):
            circ.rx(float(rng.uniform(0, 3)), q)
        for _ in range(n):
            a, b = (int(x) for x in rng.choice(n, 2, replace=False))
            circ.rzz(float(rng.uniform(0, 3)), a, b)
    psi = tb.simulate(circ, max_bond=8, cutoff=1e-12)
    assert psi.layout != list(range(n))
    before = psi.fidelity_estimate
    copy = psi.copy().restore_layout()
    assert copy.layout == list(range(n))
    assert copy.max_bond <= psi.max_bond_reached
    assert copy.fidelity_estimate <= before
    exact = psi.copy().restore_layout(max_bond=None, cutoff=0.0)
    assert exact.fidelity_estimate == pytest.approx(before, rel=1e-9)
    np.testing.assert_allclose(exact.to_dense(), psi.to_dense(), atol=1e-10)
    assert np.isfinite(psi.entropy(n // 2))
