"""States and truncation against quimb's CircuitMPS (the reference implementation)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorbond as tb
from _reference import statevector as sv
from _reference.paths import DATA, SHARED
from _reference.quimb import (
    QUIMB_LABELS,
    apply_to_quimb,
    quimb_dense,
    quimb_from_file,
    quimb_opts,
    quimb_qasm_text,
)

pytestmark = [
    pytest.mark.reference,
    pytest.mark.usefixtures("single_blas_thread"),
    # quimb notes that an untruncated split defaults to SVD; that is what we want
    pytest.mark.filterwarnings("ignore:No method, absorb, or truncation:UserWarning"),
    pytest.mark.filterwarnings("ignore:Couldn't import `kahypar`:UserWarning"),
]

#: the 12-qubit reference circuits travel with the tests; larger ones live in ../shared
SMALL = DATA / "qasm"
CIRCUITS = SHARED / "circuits"
SMALL_FILES = ["brick_12x10", "ghz_12", "qaoa_12", "qft_12", "tfim_12"]
#: files whose two-qubit gates all act on neighbours
NEAREST_NEIGHBOUR = ["brick_12x10", "ghz_12", "tfim_12"]


def random_circuit(n: int, depth: int, rng: np.random.Generator) -> tb.Circuit:
    """Random gates from the whole table on random (distant, reversed) qubits."""
    names = [g for g in sorted(tb.GATES) if tb.GATES[g].num_qubits <= n]
    circ = tb.Circuit(n)
    for q in range(n):
        circ.u3(*rng.uniform(0, 2 * np.pi, 3), q)
    for name in list(rng.permutation(names)) + list(rng.choice(names, size=depth)):
        g = tb.GATES[str(name)]
        qs = [int(q) for q in rng.permutation(n)[: g.num_qubits]]
        circ.append(str(name), qs, rng.uniform(-2 * np.pi, 2 * np.pi, g.num_params))
    for k in (1, 2, 3):
        circ.unitary(sv.random_unitary(2**k, rng), [int(q) for q in rng.permutation(n)[:k]])
    return circ


# ---------------------------------------------------------------- conventions
@pytest.mark.parametrize("name", sorted(QUIMB_LABELS))
def test_quimb_labels_are_our_gates(name, qtn, rng):
    from quimb.tensor.circuit.gates import Gate

    spec = tb.GATES[name]
    ps = tuple(rng.uniform(-2 * np.pi, 2 * np.pi, spec.num_params))
    k = spec.num_qubits
    theirs = np.asarray(Gate(QUIMB_LABELS[name], ps, tuple(range(k))).array).reshape(2**k, 2**k)
    np.testing.assert_allclose(tb.gate_matrix(name, ps), theirs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sv.gate(name, ps), theirs, rtol=1e-12, atol=1e-12)


def test_qubit_order_matches_quimb(qtn):
    qc = qtn.CircuitMPS(3, max_bond=None, cutoff=0.0)
    qc.apply_gate("X", 0)
    ours = tb.simulate(tb.Circuit(3).x(0))
    np.testing.assert_allclose(ours.to_dense(), quimb_dense(qc), atol=1e-14)
    assert np.flatnonzero(quimb_dense(qc)).tolist() == [4]


# ---------------------------------------------------------------- exact states
@pytest.mark.parametrize("n", [3, 6, 10])
def test_random_circuit_matches_quimb(n, dtype, tol, rng, qtn):
    circ = random_circuit(n, 30, rng)
    qc = qtn.CircuitMPS(n, max_bond=None, cutoff=0.0, gate_opts={"cutoff_mode": "rsum2"})
    apply_to_quimb(qc, circ.operations)
    psi = tb.simulate(circ, dtype=dtype, cutoff=0.0)
    np.testing.assert_allclose(psi.to_dense(), quimb_dense(qc), **tol(dtype))


def test_random_circuit_matches_exact_quimb_circuit(rng, qtn):
    n = 8
    circ = random_circuit(n, 40, rng)
    qc = qtn.Circuit(n)
    apply_to_quimb(qc, circ.operations)
    ref = np.asarray(qc.psi.to_dense()).ravel()
    psi = tb.simulate(circ, cutoff=0.0)
    np.testing.assert_allclose(psi.to_dense(), ref, rtol=1e-10, atol=1e-12)
    # gauge-invariant queries agree too
    for b in range(n - 1):
        want = np.linalg.svd(ref.reshape(2 ** (b + 1), -1), compute_uv=False)
        got = np.sort(psi.schmidt_values(b))[::-1]
        k = min(len(got), len(want))
        np.testing.assert_allclose(got[:k], want[:k], rtol=1e-8, atol=1e-10)
    z0 = qc.local_expectation(np.diag([1.0, -1.0]), 0)
    assert psi.expectation("Z0") == pytest.approx(float(np.real(z0)), abs=1e-10)


@pytest.mark.parametrize("name", SMALL_FILES)
def test_qasm_file_matches_quimb(name, dtype, tol, qtn):
    """Exact states: ours against quimb's exact Circuit contraction."""
    path = SMALL / f"{name}.qasm"
    ours = tb.simulate(tb.Circuit.from_qasm(path), dtype=dtype, max_bond=None, cutoff=0.0)
    ref = qtn.Circuit.from_openqasm2_str(quimb_qasm_text(path))
    assert ours.num_qubits == ref.N
    np.testing.assert_allclose(ours.to_dense(), quimb_dense(ref), **tol(dtype))


@pytest.mark.parametrize("name", NEAREST_NEIGHBOUR)
def test_qasm_file_matches_quimb_mps(name, dtype, tol, qtn):
    """Exact states: ours against quimb's CircuitMPS without truncation.

    (Only files without SWAP: quimb's CircuitMPS applies SWAP through
    ``swap_sites_with_compress`` and loses ~1e-5 of the state on qft_12 even
    with ``cutoff=0``; the exact Circuit above covers those files.)"""
    path = SMALL / f"{name}.qasm"
    ours = tb.simulate(tb.Circuit.from_qasm(path), dtype=dtype, max_bond=None, cutoff=0.0)
    ref = quimb_from_file(qtn, path, max_bond=None, cutoff=0.0)
    np.testing.assert_allclose(ours.to_dense(), quimb_dense(ref), **tol(dtype))


@pytest.mark.parametrize("name", SMALL_FILES)
def test_qasm_file_entropies_match_quimb(name, qtn):
    path = SMALL / f"{name}.qasm"
    ours = tb.simulate(tb.Circuit.from_qasm(path), cutoff=0.0)
    ref = qtn.MatrixProductState.from_dense(
        quimb_dense(qtn.Circuit.from_openqasm2_str(quimb_qasm_text(path))),
        dims=[2] * ours.num_qubits,
    )
    for b in range(ours.num_qubits - 1):
        assert ours.entropy(b) == pytest.approx(ref.entropy(b + 1), abs=1e-8)


# ---------------------------------------------------------------- truncation
def _fidelity(v: np.ndarray, w: np.ndarray) -> float:
    v, w = np.asarray(v, dtype=complex), np.asarray(w, dtype=complex)
    return float(abs(np.vdot(w, v)) ** 2 / (np.vdot(v, v).real * np.vdot(w, w).real))


@pytest.mark.parametrize("chi", [4, 8, 16])
@pytest.mark.parametrize("name", NEAREST_NEIGHBOUR)
def test_truncated_like_quimb(name, chi, dtype, tol, qtn):
    """Same policy, same (nearest-neighbour) gates: the same truncated state."""
    path = SMALL / f"{name}.qasm"
    circ = tb.Circuit.from_qasm(path)
    exact = tb.simulate(circ, cutoff=0.0).to_dense()
    trunc = tb.Truncation(max_bond=chi, cutoff=1e-10, cutoff_mode="rsum2")
    # quimb applies gates in circuit order: so do we here (order="circuit")
    ours = tb.simulate(
        circ, max_bond=chi, cutoff=1e-10, cutoff_mode="rsum2", dtype=dtype, order="circuit"
    )
    ref = quimb_from_file(qtn, path, **quimb_opts(trunc))
    theirs = quimb_dense(ref)
    assert 1 - _fidelity(ours.to_dense(), theirs) <= tol(dtype, "fidelity")
    assert ours.max_bond <= chi
    assert ours.bond_dims == list(ref.psi.bond_sizes())
    f_ours, f_ref = _fidelity(ours.to_dense(), exact), _fidelity(theirs, exact)
    assert f_ours == pytest.approx(f_ref, abs=10 * tol(dtype, "fidelity"))
    # and our estimate describes our truncation
    assert abs(ours.fidelity_estimate - f_ours) <= 0.02 * f_ours


@pytest.mark.parametrize("name", SMALL_FILES)
def test_cutoff_only_like_quimb(name, qtn):
    """cutoff 1e-10 (rsum2), no max_bond: both stay within 1e-8 of each other."""
    path = SMALL / f"{name}.qasm"
    trunc = tb.Truncation(max_bond=None, cutoff=1e-10, cutoff_mode="rsum2")
    ours = tb.simulate(
        tb.Circuit.from_qasm(path), cutoff=1e-10, cutoff_mode="rsum2", order="circuit"
    )
    ref = quimb_from_file(qtn, path, **quimb_opts(trunc))
    assert 1 - _fidelity(ours.to_dense(), quimb_dense(ref)) <= 1e-8
    assert ours.max_bond <= ref.psi.max_bond() + 2


@pytest.mark.parametrize("mode", ["rsum2", "sum2", "rel", "abs"])
def test_cutoff_modes_like_quimb(mode, qtn):
    path = SMALL / "brick_12x10.qasm"
    circ = tb.Circuit.from_qasm(path)
    cutoff = {"rsum2": 1e-3, "sum2": 1e-3, "rel": 3e-2, "abs": 3e-2}[mode]
    trunc = tb.Truncation(max_bond=None, cutoff=cutoff, cutoff_mode=mode)
    ours = tb.simulate(circ, max_bond=None, cutoff=cutoff, cutoff_mode=mode, order="circuit")
    ref = quimb_from_file(qtn, path, **quimb_opts(trunc))
    assert ours.num_truncations > 0
    assert 1 - _fidelity(ours.to_dense(), quimb_dense(ref)) <= 1e-8
    assert ours.max_bond <= ref.psi.max_bond() + 1


@pytest.mark.parametrize("chi", [4, 8, 16])
@pytest.mark.parametrize("name", ["qft_12", "qaoa_12"])
def test_long_range_truncated(name, chi):
    """Long-range gates under max_bond. quimb's CircuitMPS lets bonds exceed
    max_bond while it swaps (50 on qft_12 at max_bond=4), so its states are not
    comparable; we hold max_bond throughout and must stay honest about it."""
    path = SMALL / f"{name}.qasm"
    circ = tb.Circuit.from_qasm(path)
    exact = tb.simulate(circ, cutoff=0.0).to_dense()
    ours = tb.simulate(circ, max_bond=chi, cutoff=1e-10, cutoff_mode="rsum2")
    assert ours.max_bond <= chi and ours.max_bond_reached <= chi
    f_ours = _fidelity(ours.to_dense(), exact)
    est = ours.fidelity_estimate
    assert est <= 1 + 1e-12
    # Lazy swaps for strong gates (auto routing) lose less than they are charged
    # for: qaoa_12 at max_bond 8 estimates 0.220 for a true 0.329 (the MPO route's
    # 0.228 for 0.265). The estimate may be pessimistic, never optimistic.
    assert est <= f_ours + 0.02
    assert f_ours - est <= 0.12
    dist = np.linalg.norm(exact - ours.to_dense())
    assert dist <= np.sqrt(ours.num_truncations * ours.truncation_error) + 1e-9


def test_qft_30_bond_stays_small(shared):
    """quimb's CircuitMPS ends qft_30 at bond 7 with cutoff 1e-10, after its bond
    peaks at 112 during the final bit-reversal swaps. Our SWAP gates relabel the
    layout instead of moving data, so the bond never grows past 10; with quimb's
    own route for the controlled phases (swap) the final bond is quimb's 7."""
    circ = tb.Circuit.from_qasm(CIRCUITS / "qft_30.qasm")
    for routing in ("auto", "swap", "mpo"):
        psi = tb.simulate(circ, cutoff=1e-10, routing=routing)
        assert psi.max_bond_reached <= 10, (routing, psi.max_bond_reached)
        assert psi.fidelity_estimate > 1 - 1e-6
    psi = tb.simulate(circ, cutoff=1e-10, routing="swap")
    assert psi.max_bond <= 7, psi.bond_dims
    assert psi.layout == list(range(29, -1, -1))  # the bit reversal, as a relabelling


@pytest.mark.slow
def test_qft_30_bond_not_above_quimb(qtn, shared):
    path = CIRCUITS / "qft_30.qasm"
    ref = quimb_from_file(
        qtn, path, max_bond=None, cutoff=1e-10, gate_opts={"cutoff_mode": "rsum2"}
    )
    ours = tb.simulate(
        tb.Circuit.from_qasm(path), cutoff=1e-10, cutoff_mode="rsum2", routing="swap"
    )
    assert ours.max_bond <= ref.psi.max_bond()
    # the two states agree on sampled amplitudes (2^30 is too big for dense)
    rng = np.random.default_rng(3)
    for _ in range(20):
        bits = "".join(map(str, rng.integers(0, 2, 30)))
        assert ours.amplitude(bits) == pytest.approx(complex(ref.psi.amplitude(bits)), abs=1e-6)
