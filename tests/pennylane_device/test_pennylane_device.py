"""The tensorbond.mps PennyLane device against default.qubit: the same QNodes agree."""

from __future__ import annotations

import importlib
import importlib.metadata
import sys

import numpy as np
import pytest

qml = pytest.importorskip("pennylane")
pnp = pytest.importorskip("pennylane.numpy")

import tensorbond as tb  # noqa: E402
from tensorbond.pennylane import MPSDevice  # noqa: E402
from tensorbond.pennylane.convert import dense_mpo, tape_to_circuit  # noqa: E402

TOL = {"rtol": 1e-10, "atol": 1e-10}
GRAD_TOL = {"rtol": 1e-8, "atol": 1e-8}


def _random_unitary(rng: np.random.Generator, d: int) -> np.ndarray:
    z = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / np.abs(np.diag(r)))


def _random_hermitian(rng: np.random.Generator, d: int) -> np.ndarray:
    z = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    return (z + z.conj().T) / 2


# Every gate the converter maps, with its wire count and parameter count.
MAPPED = [
    ("PauliX", 1, 0), ("PauliY", 1, 0), ("PauliZ", 1, 0), ("Hadamard", 1, 0),
    ("S", 1, 0), ("T", 1, 0), ("SX", 1, 0), ("Identity", 1, 0),
    ("CNOT", 2, 0), ("CY", 2, 0), ("CZ", 2, 0), ("CH", 2, 0), ("SWAP", 2, 0),
    ("ISWAP", 2, 0), ("ECR", 2, 0), ("Toffoli", 3, 0), ("CCZ", 3, 0), ("CSWAP", 3, 0),
    ("RX", 1, 1), ("RY", 1, 1), ("RZ", 1, 1), ("PhaseShift", 1, 1), ("U1", 1, 1),
    ("U2", 1, 2), ("U3", 1, 3), ("Rot", 1, 3),
    ("CRX", 2, 1), ("CRY", 2, 1), ("CRZ", 2, 1), ("ControlledPhaseShift", 2, 1),
    ("CRot", 2, 3), ("IsingXX", 2, 1), ("IsingYY", 2, 1), ("IsingZZ", 2, 1), ("IsingXY", 2, 1),
]  # fmt: skip


def _op(name: str, params: list[float], wires: list[int]) -> object:
    if name == "U1":
        return qml.U1(*params, wires=wires)
    return getattr(qml, name)(*params, wires=wires)


def _extra_ops(rng: np.random.Generator) -> list[object]:
    """Operations applied as dense unitaries or adjoints of mapped gates."""
    return [
        qml.adjoint(qml.S(0)),
        qml.adjoint(qml.T(1)),
        qml.adjoint(qml.SX(2)),
        qml.SISWAP(wires=[2, 0]),
        qml.adjoint(qml.ISWAP(wires=[1, 2])),
        qml.QubitUnitary(_random_unitary(rng, 2), wires=[1]),
        qml.QubitUnitary(_random_unitary(rng, 4), wires=[2, 0]),
        qml.QubitUnitary(_random_unitary(rng, 8), wires=[1, 2, 0]),
        qml.GlobalPhase(0.37),
    ]


def _tb_unitary(op: object, n: int = 3) -> np.ndarray:
    tape = qml.tape.QuantumScript([op])
    conv = tape_to_circuit(tape, {i: i for i in range(n)}, n)
    cols = []
    for k in range(2**n):
        start = tb.MPS.from_bitstring(format(k, f"0{n}b"))
        cols.append(tb.simulate(conv.circuit, initial_state=start).to_dense())
    return np.array(cols).T


WIRES = {1: [1], 2: [2, 0], 3: [1, 2, 0]}


@pytest.mark.parametrize("name,nw,npar", MAPPED)
def test_gate_matrix_matches_pennylane(name: str, nw: int, npar: int) -> None:
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    op = _op(name, list(rng.uniform(-np.pi, np.pi, npar)), WIRES[nw])
    np.testing.assert_allclose(_tb_unitary(op), qml.matrix(op, wire_order=[0, 1, 2]), **TOL)


def test_dense_unitaries_match_pennylane() -> None:
    for op in _extra_ops(np.random.default_rng(3)):
        np.testing.assert_allclose(_tb_unitary(op), qml.matrix(op, wire_order=[0, 1, 2]), **TOL)


def test_dense_mpo_matches_matrix() -> None:
    rng = np.random.default_rng(5)
    h = _random_hermitian(rng, 8)
    mpo = dense_mpo(h, [3, 0, 2], 4)
    ref = qml.matrix(qml.Hermitian(h, wires=[3, 0, 2]), wire_order=[0, 1, 2, 3])
    np.testing.assert_allclose(mpo.to_dense(), ref, **TOL)


# ------------------------------------------------------------------ circuits
N = 5


def _random_circuit(seed: int) -> tuple[list[tuple[str, list[float], list[int]]], list[object]]:
    rng = np.random.default_rng(seed)
    gates = []
    for _ in range(2):
        for name, nw, npar in MAPPED:
            wires = [int(w) for w in rng.choice(N, size=nw, replace=False)]
            gates.append((name, list(rng.uniform(-np.pi, np.pi, npar)), wires))
    order = rng.permutation(len(gates))
    extras = _extra_ops(rng)
    return [gates[i] for i in order], extras


def _apply(gates: list[tuple[str, list[float], list[int]]], extras: list[object]) -> None:
    for name, params, wires in gates:
        _op(name, params, wires)
    for op in extras:
        qml.apply(op)
    # decomposed by PennyLane before they reach the device
    qml.MultiRZ(0.3, wires=[0, 1, 3, 4])
    qml.PauliRot(0.7, "XYZY", wires=[4, 2, 1, 0])
    qml.QFT(wires=[1, 2, 3, 4])
    qml.DoubleExcitation(0.4, wires=[0, 1, 2, 3])


@pytest.mark.parametrize("seed", [0, 1])
def test_random_circuits_agree_with_default_qubit(seed: int) -> None:
    gates, extras = _random_circuit(seed)
    rng = np.random.default_rng(100 + seed)
    herm = _random_hermitian(rng, 4)
    ham = qml.Hamiltonian(
        [0.3, -1.2, 0.7, 2.0], [qml.Z(0) @ qml.Z(1), qml.X(2), qml.Y(1) @ qml.X(4), qml.I(0)]
    )

    def circuit() -> tuple[object, ...]:
        qml.BasisState(np.array([1, 0, 1, 0, 0]), wires=range(N))
        _apply(gates, extras)
        return (
            qml.expval(qml.Z(0)),
            qml.expval(ham),
            qml.expval(qml.Hermitian(herm, wires=[3, 1])),
            qml.expval(qml.Projector([1, 0], wires=[2, 4])),
            qml.expval(0.5 * qml.Hadamard(3) + qml.X(0) @ qml.Z(2)),
            qml.var(ham),
            qml.var(qml.Hermitian(herm, wires=[3, 1])),
            qml.probs(wires=[4, 0, 2]),
            qml.probs(),
            qml.probs(op=qml.X(1) @ qml.Y(3)),
            qml.density_matrix(wires=[3, 0]),
            qml.purity(wires=[1, 2]),
            qml.vn_entropy(wires=[0, 1]),
        )

    ours = qml.QNode(circuit, qml.device("tensorbond.mps", wires=N))()
    ref = qml.QNode(circuit, qml.device("default.qubit", wires=N))()
    assert len(ours) == len(ref)
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(a, b, **TOL)

    def state() -> object:
        _apply(gates, extras)
        return qml.state()

    np.testing.assert_allclose(
        qml.QNode(state, qml.device("tensorbond.mps", wires=N))(),
        qml.QNode(state, qml.device("default.qubit", wires=N))(),
        **TOL,
    )


def test_wire_labels_and_order() -> None:
    wires = ["b", 7, "a"]

    def circuit() -> tuple[object, ...]:
        qml.Hadamard("a")
        qml.CRX(0.4, wires=["a", 7])
        qml.IsingZZ(0.9, wires=[7, "b"])
        qml.RY(0.3, wires="b")
        return qml.probs(), qml.state(), qml.expval(qml.X("b") @ qml.Z("a"))

    ours = qml.QNode(circuit, qml.device("tensorbond.mps", wires=wires))()
    ref = qml.QNode(circuit, qml.device("default.qubit", wires=wires))()
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(a, b, **TOL)
    # without device wires, the circuit's own order
    free = qml.QNode(circuit, qml.device("tensorbond.mps"))()
    ref_free = qml.QNode(circuit, qml.device("default.qubit"))()
    for a, b in zip(free, ref_free, strict=True):
        np.testing.assert_allclose(a, b, **TOL)


def test_large_ghz_with_bond_limit() -> None:
    n = 40

    @qml.qnode(qml.device("tensorbond.mps", wires=n, max_bond=4))
    def ghz() -> tuple[object, ...]:
        qml.Hadamard(0)
        for i in range(n - 1):
            qml.CNOT([i, i + 1])
        return qml.expval(qml.Z(0) @ qml.Z(n - 1)), qml.probs(wires=[0, n - 1]), qml.var(qml.Z(5))

    zz, probs, var = ghz()
    assert zz == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(probs, [0.5, 0, 0, 0.5], atol=1e-12)
    assert var == pytest.approx(1.0, abs=1e-12)


# --------------------------------------------------------------- gradients
def _trainable_circuit(x: object) -> tuple[object, ...]:
    qml.BasisState(np.array([0, 1, 0, 1]), wires=range(4))
    qml.RX(x[0], 0)
    qml.RY(x[1], 1)
    qml.RZ(x[2], 2)
    qml.PhaseShift(x[3], 3)
    qml.Hadamard(2)
    qml.U2(x[4], x[5], 0)
    qml.U3(x[6], x[7], x[8], 1)
    qml.Rot(x[9], x[10], x[11], 2)
    qml.CNOT([0, 3])
    qml.CRX(x[12], wires=[0, 1])
    qml.CRY(x[13], wires=[3, 1])
    qml.CRZ(x[14], wires=[2, 0])
    qml.ControlledPhaseShift(x[15], wires=[1, 3])
    qml.CRot(x[16], x[17], x[18], wires=[3, 2])
    qml.IsingXX(x[19], wires=[0, 2])
    qml.IsingYY(x[20], wires=[1, 3])
    qml.IsingZZ(x[21], wires=[2, 1])
    qml.IsingXY(x[22], wires=[3, 0])
    qml.MultiRZ(x[23], wires=[0, 1, 2, 3])  # decomposed, trainable
    qml.PauliRot(x[24], "XY", wires=[2, 0])
    qml.RX(2 * x[0] + 0.1, 3)  # one parameter used twice
    qml.GlobalPhase(x[25])
    qml.ISWAP(wires=[0, 1])
    return (
        qml.expval(qml.Z(0) @ qml.Z(1)),
        qml.expval(qml.Hamiltonian([0.4, -0.8], [qml.X(2), qml.Y(3) @ qml.Z(1)])),
        qml.expval(qml.Hermitian(np.array([[1.0, 0.3], [0.3, -0.5]]), wires=1)),
    )


def test_adjoint_jacobian_matches_default_qubit() -> None:
    x = pnp.array(np.random.default_rng(7).uniform(-np.pi, np.pi, 26), requires_grad=True)
    ours = qml.QNode(
        _trainable_circuit, qml.device("tensorbond.mps", wires=4), diff_method="adjoint"
    )
    ref = qml.QNode(_trainable_circuit, qml.device("default.qubit", wires=4), diff_method="adjoint")
    np.testing.assert_allclose(np.array(ours(x)), np.array(ref(x)), **TOL)
    jac = qml.jacobian(lambda v: qml.math.stack(ours(v)))(x)
    jac_ref = qml.jacobian(lambda v: qml.math.stack(ref(v)))(x)
    assert jac.shape == (3, 26)
    np.testing.assert_allclose(jac, jac_ref, **GRAD_TOL)
    assert np.all(jac[:, 25] == 0)  # the global phase


def test_grad_best_and_parameter_shift() -> None:
    def cost(x: object) -> object:
        qml.RX(x[0], 0)
        qml.CNOT([0, 1])
        qml.RY(x[1], 1)
        qml.IsingZZ(x[2], wires=[1, 2])
        qml.Rot(x[0], x[1], x[2], 2)
        return qml.expval(qml.X(1) @ qml.Z(2) + 0.3 * qml.Y(0))

    x = pnp.array([0.4, -1.1, 0.8], requires_grad=True)
    ref = qml.QNode(cost, qml.device("default.qubit", wires=3), diff_method="backprop")
    expected = qml.grad(ref)(x)
    for method in ("adjoint", "best", "parameter-shift"):
        q = qml.QNode(cost, qml.device("tensorbond.mps", wires=3), diff_method=method)
        np.testing.assert_allclose(qml.grad(q)(x), expected, **GRAD_TOL)
        assert float(q(x)) == pytest.approx(float(ref(x)), abs=1e-10)


def test_best_resolves_to_device_adjoint() -> None:
    dev = qml.device("tensorbond.mps", wires=2)
    tape = qml.tape.QuantumScript(
        [qml.RX(pnp.array(0.3, requires_grad=True), 0)], [qml.expval(qml.Z(0))]
    )
    config = qml.devices.ExecutionConfig(gradient_method="best")
    assert dev.supports_derivatives(config, tape)
    assert dev.setup_execution_config(config, tape).gradient_method == "adjoint"
    probs_tape = qml.tape.QuantumScript([qml.RX(0.3, 0)], [qml.probs(wires=0)])
    assert not dev.supports_derivatives(config, probs_tape)


def test_single_parameter_jacobian_and_compute_derivatives() -> None:
    dev = qml.device("tensorbond.mps", wires=1)
    tape = qml.tape.QuantumScript([qml.RY(0.3, 0)], [qml.expval(qml.X(0))], trainable_params=[0])
    (res, jac) = dev.execute_and_compute_derivatives(tape)
    assert float(res) == pytest.approx(np.sin(0.3), abs=1e-12)
    assert float(jac) == pytest.approx(np.cos(0.3), abs=1e-12)
    assert float(dev.compute_derivatives(tape)) == pytest.approx(np.cos(0.3), abs=1e-12)


# ---------------------------------------------------------------- sampling
def _bell_like() -> None:
    qml.RY(1.1, 0)
    qml.CNOT([0, 1])
    qml.RX(0.7, 2)
    qml.CRY(0.9, wires=[2, 1])


def _exact_probs() -> np.ndarray:
    @qml.qnode(qml.device("default.qubit", wires=3))
    def probs() -> object:
        _bell_like()
        return qml.probs()

    return np.asarray(probs())


def test_samples_and_counts_follow_the_distribution() -> None:
    shots = 20_000
    dev = qml.device("tensorbond.mps", wires=3, seed=11)

    @qml.set_shots(shots=shots)
    @qml.qnode(dev)
    def circuit() -> tuple[object, ...]:
        _bell_like()
        return qml.sample(), qml.counts(), qml.expval(qml.X(2)), qml.probs(wires=[1, 0])

    samples, counts, ex, probs = circuit()
    p = _exact_probs()
    assert samples.shape == (shots, 3)
    idx = samples @ np.array([4, 2, 1])
    emp = np.bincount(idx, minlength=8) / shots
    assert 0.5 * np.abs(emp - p).sum() < 0.03
    emp_counts = np.zeros(8)
    for key, c in counts.items():
        emp_counts[int(key, 2)] = c
    assert emp_counts.sum() == shots
    assert 0.5 * np.abs(emp_counts / shots - p).sum() < 0.03
    marg = p.reshape(2, 2, 2).sum(axis=2).T.reshape(-1)  # wires [1, 0]
    assert 0.5 * np.abs(probs - marg).sum() < 0.03
    assert ex == pytest.approx(0.0, abs=0.03)  # <X> of RX(0.7)|0> is 0


def test_seeded_sampling_repeats_and_shot_vectors() -> None:
    def run(seed: int) -> object:
        @qml.set_shots(shots=[5, 7])
        @qml.qnode(qml.device("tensorbond.mps", wires=3, seed=seed))
        def circuit() -> tuple[object, ...]:
            _bell_like()
            return qml.sample(wires=[0, 1]), qml.expval(qml.Z(0) @ qml.Z(1))

        return circuit()

    a, b = run(4), run(4)
    assert len(a) == 2
    assert a[0][0].shape == (5, 2)
    assert a[1][0].shape == (7, 2)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    np.testing.assert_array_equal(a[1][0], b[1][0])
    # a Bell pair on wires 0, 1 up to the small CRY disturbance: ZZ eigenvalues +-1
    assert all(abs(float(r[1])) <= 1 for r in a)


def test_device_shots_are_deprecated_but_work() -> None:
    with pytest.warns(qml.exceptions.PennyLaneDeprecationWarning):
        dev = qml.device("tensorbond.mps", wires=2, shots=50, seed=1)

    @qml.qnode(dev)
    def circuit() -> object:
        qml.Hadamard(0)
        qml.CNOT([0, 1])
        return qml.sample()

    s = circuit()
    assert s.shape == (50, 2)
    assert np.all(s[:, 0] == s[:, 1])


# -------------------------------------------------------------------- misc
def test_entry_point() -> None:
    eps = importlib.metadata.entry_points(group="pennylane.plugins")
    assert any(ep.name == "tensorbond.mps" for ep in eps)
    dev = qml.device("tensorbond.mps", wires=3, max_bond=8, cutoff=1e-10)
    assert isinstance(dev, MPSDevice)
    assert dev.name == "tensorbond.mps"
    assert dev.max_bond == 8
    assert dev.cutoff == 1e-10


def test_unknown_wire_is_refused() -> None:
    @qml.qnode(qml.device("tensorbond.mps", wires=2))
    def circuit() -> object:
        qml.RX(0.1, wires=5)
        return qml.expval(qml.Z(0))

    with pytest.raises(qml.wires.WireError, match="5"):
        circuit()


def test_unsupported_measurements_are_refused() -> None:
    dev = qml.device("tensorbond.mps", wires=2)

    @qml.qnode(dev)
    def sample_without_shots() -> object:
        qml.Hadamard(0)
        return qml.sample()

    with pytest.raises(qml.exceptions.DeviceError, match="not accepted for analytic"):
        sample_without_shots()

    @qml.set_shots(shots=10)
    @qml.qnode(dev)
    def state_with_shots() -> object:
        return qml.state()

    with pytest.raises(qml.exceptions.DeviceError, match="not accepted with finite shots"):
        state_with_shots()

    @qml.qnode(dev, diff_method="adjoint")
    def probs_adjoint(x: object) -> object:
        qml.RX(x, 0)
        return qml.probs(wires=0)

    with pytest.raises(qml.exceptions.QuantumFunctionError, match="adjoint"):
        qml.jacobian(probs_adjoint)(pnp.array(0.2, requires_grad=True))


def test_large_dense_observable_is_refused() -> None:
    n = 11

    @qml.qnode(qml.device("tensorbond.mps", wires=n))
    def circuit() -> object:
        return qml.expval(qml.Hermitian(np.eye(2**n), wires=range(n)))

    with pytest.raises(qml.exceptions.DeviceError, match="not supported"):
        circuit()


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="max_bond"):
        qml.device("tensorbond.mps", wires=2, max_bond=0)
    with pytest.raises(ValueError, match="cutoff_mode"):
        qml.device("tensorbond.mps", wires=2, cutoff_mode="nope")
    dev = qml.device("tensorbond.mps", wires=2)
    config = qml.devices.ExecutionConfig(device_options={"max_workers": 2})
    with pytest.raises(qml.exceptions.DeviceError, match="max_workers"):
        dev.setup_execution_config(config)


def test_import_without_pennylane_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m.startswith("tensorbond.pennylane")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pennylane", None)
    with pytest.raises(ImportError, match=r"pip install 'tensorbond\[pennylane\]'"):
        importlib.import_module("tensorbond.pennylane")
