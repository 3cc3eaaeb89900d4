"""tensorbond.qiskit.EstimatorV2 against qiskit-aer's exact EstimatorV2 and
qiskit's StatevectorEstimator."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("qiskit")
aer = pytest.importorskip("qiskit_aer.primitives")

from qiskit import QuantumCircuit  # noqa: E402
from qiskit.circuit import Parameter, ParameterVector  # noqa: E402
from qiskit.circuit.library import zz_feature_map  # noqa: E402
from qiskit.primitives import StatevectorEstimator  # noqa: E402
from qiskit.quantum_info import (  # noqa: E402
    Operator,
    SparseObservable,
    SparsePauliOp,
    Statevector,
)

from tensorbond.qiskit import EstimatorOptions, EstimatorV2, pauli_sum  # noqa: E402

ATOL = 1e-10


def aer_exact() -> object:
    return aer.EstimatorV2(options={"backend_options": {"method": "statevector"}})


def random_circuit(n: int, rng: np.random.Generator) -> tuple[QuantumCircuit, int]:
    """Layers of parametrized rotations (some as affine expressions) and
    entanglers; parameters named so that qiskit's sorted order differs from
    the order they are used in."""
    w = ParameterVector("w", 2 * n + 1)  # w[10] sorts after w[9]
    a, z = Parameter("a"), Parameter("z")
    qc = QuantumCircuit(n)
    for q in range(n):
        qc.ry(w[q], q)
    qc.rx(2 * z - 0.3, 0)
    for q in range(n - 1):
        qc.cx(q, q + 1)
    qc.rzz(a, 0, n - 1)
    for q in range(n):
        qc.u(w[n + q], rng.uniform(-1, 1), 0.5 * a, q)
    qc.crx(w[2 * n], n - 1, 1)
    qc.swap(0, 2)
    qc.ecr(1, 2)
    qc.global_phase = 0.7
    return qc, qc.num_parameters


def random_observable(n: int, rng: np.random.Generator, terms: int = 4) -> SparsePauliOp:
    labels = ["".join(rng.choice(list("IXYZ"), n)) for _ in range(terms)]
    return SparsePauliOp(labels, rng.normal(size=terms))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_circuits_match_aer_and_statevector(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 3 + seed % 3
    qc, num = random_circuit(n, rng)
    obs = [random_observable(n, rng) for _ in range(3)]
    values = rng.uniform(-np.pi, np.pi, (4, num))
    pub = (qc, [[o] for o in obs], values)
    ours = EstimatorV2().run([pub]).result()[0]
    # aer gets bound circuits: its parameter_binds path gets crx wrong (aer 0.18.2).
    bound = [(qc.assign_parameters(v), [[o] for o in obs]) for v in values]
    ref = np.concatenate([r.data.evs for r in aer_exact().run(bound).result()], axis=1)
    sv = StatevectorEstimator().run([pub]).result()[0]
    assert ours.data.evs.shape == ref.shape == (3, 4)
    np.testing.assert_allclose(ours.data.evs, ref, rtol=0, atol=ATOL)
    np.testing.assert_allclose(ours.data.evs, sv.data.evs, rtol=0, atol=ATOL)
    np.testing.assert_array_equal(ours.data.stds, np.zeros((3, 4)))
    meta = ours.metadata
    assert meta["simulator"] == "tensorbond.mps"
    assert meta["target_precision"] == 0.0
    assert meta["fidelity"].shape == (4,)
    np.testing.assert_allclose(meta["fidelity"], 1.0)


@pytest.mark.parametrize("engine", ["mps", "statevector"])
def test_engines_agree(engine: str) -> None:
    rng = np.random.default_rng(7)
    qc, num = random_circuit(5, rng)
    obs = random_observable(5, rng, terms=12)  # more than a few terms: one MPO
    values = rng.uniform(-np.pi, np.pi, (3, num))
    ours = EstimatorV2(options={"engine": engine}).run([(qc, obs, values)]).result()[0]
    ref = StatevectorEstimator().run([(qc, obs, values)]).result()[0]
    np.testing.assert_allclose(ours.data.evs, ref.data.evs, rtol=0, atol=ATOL)
    assert ours.metadata["engine"] == engine
    if engine == "mps":
        assert ours.metadata["max_bond"].shape == (3,)
        assert (ours.metadata["max_bond"] >= 2).all()


@pytest.mark.parametrize(
    "param_shape, obs_shape, out_shape",
    [
        ((3, 2), (2,), (3, 2)),
        ((4,), (3, 1), (3, 4)),
        ((), (2, 3), (2, 3)),
        ((5,), (), (5,)),
        ((2, 1, 3), (4, 1), (2, 4, 3)),
    ],
)
def test_broadcasting_follows_qiskit(param_shape, obs_shape, out_shape) -> None:
    rng = np.random.default_rng(11)
    qc, num = random_circuit(3, rng)
    size = int(np.prod(obs_shape))
    obs = np.empty(size, dtype=object)
    for i in range(size):
        obs[i] = random_observable(3, rng, terms=2)
    obs = obs.reshape(obs_shape) if obs_shape else obs[0]
    values = rng.uniform(-3, 3, (*param_shape, num))
    pub = (qc, obs, values)
    ours = EstimatorV2().run([pub]).result()[0]
    ref = StatevectorEstimator().run([pub]).result()[0]
    assert ours.data.evs.shape == ours.data.shape == out_shape
    np.testing.assert_allclose(ours.data.evs, ref.data.evs, rtol=0, atol=ATOL)
    assert ours.metadata["fidelity"].shape == param_shape


def test_circuit_without_parameters_and_several_pubs() -> None:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()  # final measurements are ignored, as qiskit's estimators do
    obs = [SparsePauliOp("ZZ"), SparsePauliOp("XX"), SparsePauliOp("ZI"), "YY"]
    qc2, num = random_circuit(3, np.random.default_rng(0))
    pubs = [(qc, obs), (qc2, "XYZ", np.zeros(num))]
    ours = EstimatorV2().run(pubs).result()
    ref = StatevectorEstimator().run([(qc.remove_final_measurements(inplace=False), obs), pubs[1]])
    for a, b in zip(ours, ref.result(), strict=True):
        np.testing.assert_allclose(a.data.evs, b.data.evs, rtol=0, atol=ATOL)
    np.testing.assert_allclose(ours[0].data.evs, [1, 1, 0, -1], atol=ATOL)


def test_non_affine_parameters_are_bound_per_point() -> None:
    # zz_feature_map has products of parameters: converted point by point.
    fmap = zz_feature_map(3, reps=2)
    rng = np.random.default_rng(5)
    values = rng.uniform(0, 2, (4, fmap.num_parameters))
    obs = [SparsePauliOp("ZZI"), SparsePauliOp("IXI")]
    pub = (fmap, [[o] for o in obs], values)
    ours = EstimatorV2().run([pub]).result()[0]
    ref = StatevectorEstimator().run([pub]).result()[0]
    np.testing.assert_allclose(ours.data.evs, ref.data.evs, rtol=0, atol=ATOL)


def test_non_affine_parameters_inside_a_definition() -> None:
    # Inside a custom gate the expression cannot get a stand-in: bound per point.
    x, y = Parameter("x"), Parameter("y")
    inner = QuantumCircuit(2, name="inner")
    inner.ry(x * y, 0)
    inner.rzz(x**2, 0, 1)
    inner.rx(y, 1)
    qc = QuantumCircuit(3)
    qc.h(2)
    qc.append(inner.to_gate(), [0, 2])
    qc.cx(2, 1)
    values = np.random.default_rng(8).uniform(-2, 2, (3, 2))
    obs = [SparsePauliOp("ZIZ"), SparsePauliOp("XXI")]
    ours = EstimatorV2().run([(qc, [[o] for o in obs], values)]).result()[0]
    ref = StatevectorEstimator().run([(qc, [[o] for o in obs], values)]).result()[0]
    np.testing.assert_allclose(ours.data.evs, ref.data.evs, rtol=0, atol=ATOL)


def test_symbolic_global_phase_is_dropped() -> None:
    t = Parameter("t")
    qc = QuantumCircuit(1, global_phase=t)
    qc.rx(t, 0)
    ours = EstimatorV2().run([(qc, "Z", [[0.3], [1.2]])]).result()[0]
    np.testing.assert_allclose(ours.data.evs, np.cos([0.3, 1.2]), rtol=0, atol=ATOL)


def test_truncation_reports_fidelity() -> None:
    n = 8
    rng = np.random.default_rng(3)
    qc = QuantumCircuit(n)
    for layer in range(4):
        for q in range(n):
            qc.u(*rng.uniform(-np.pi, np.pi, 3), q)
        for q in range(layer % 2, n - 1, 2):
            qc.cx(q, q + 1)
    res = EstimatorV2(options={"max_bond": 2}).run([(qc, "Z" * n)]).result()[0]
    assert res.metadata["engine"] == "mps"
    assert int(res.metadata["max_bond"]) == 2
    assert 0 < float(res.metadata["fidelity"]) < 1


def test_precision_adds_seeded_noise() -> None:
    rng = np.random.default_rng(2)
    qc, num = random_circuit(3, rng)
    values = rng.uniform(-3, 3, (4000, num))
    obs = SparsePauliOp("ZZZ")
    exact = EstimatorV2().run([(qc, obs, values)]).result()[0].data.evs
    est = EstimatorV2(options={"seed": 12, "default_precision": 0.05})
    a = est.run([(qc, obs, values)]).result()[0]
    b = est.run([(qc, obs, values)]).result()[0]
    np.testing.assert_array_equal(a.data.evs, b.data.evs)  # same seed, same noise
    np.testing.assert_array_equal(a.data.stds, np.full(4000, 0.05))
    assert a.metadata["target_precision"] == 0.05
    noise = a.data.evs - exact
    assert abs(noise.std() - 0.05) < 0.005
    assert abs(noise.mean()) < 0.005
    c = est.run([(qc, obs, values, 0.0)]).result()[0]  # the PUB's own precision wins
    np.testing.assert_allclose(c.data.evs, exact, rtol=0, atol=ATOL)
    d = est.run([(qc, obs, values)], precision=0.0).result()[0]
    np.testing.assert_allclose(d.data.evs, exact, rtol=0, atol=ATOL)


def test_pauli_sum_conversion_is_little_endian() -> None:
    assert pauli_sum(SparsePauliOp(["IXZ", "ZII"], [0.5, 2.0])) == ((0.5, "Z0 X1"), (2.0, "Z2"))
    assert pauli_sum("YII") == ((1.0, "Y2"),)
    assert pauli_sum({"III": 3.0, "IZI": -1.0}) == ((3.0, ""), (-1.0, "Z1"))
    # projectors become Paulis: |0><0| = (I + Z) / 2
    assert pauli_sum(SparseObservable.from_label("0")) == ((0.5, ""), (0.5, "Z0"))
    with pytest.raises(ValueError, match="acts on qubit 2, but the circuit has 2 qubits"):
        pauli_sum("ZII", num_qubits=2)
    with pytest.raises(ValueError, match="Non-Hermitian"):
        pauli_sum(SparsePauliOp(["XZ"], [1j]))


def test_projector_observables_match_reference() -> None:
    rng = np.random.default_rng(4)
    qc, num = random_circuit(3, rng)
    obs = [SparseObservable.from_label("+0Z"), SparseObservable.from_label("r1-")]
    values = rng.uniform(-3, 3, (2, 1, num))
    ours = EstimatorV2().run([(qc, obs, values)]).result()[0]
    assert ours.data.evs.shape == (2, 2)
    # the reference: dense one-qubit factors, leftmost label character = highest qubit
    s2 = np.sqrt(0.5)
    kets = {"+": [s2, s2], "-": [s2, -s2], "r": [s2, 1j * s2], "0": [1, 0], "1": [0, 1]}
    factors = {k: np.outer(v, np.conj(v)) for k, v in kets.items()}
    factors["Z"] = np.diag([1.0, -1.0])
    for j, label in enumerate(["+0Z", "r1-"]):
        op = Operator(np.kron(np.kron(factors[label[0]], factors[label[1]]), factors[label[2]]))
        for i in range(2):
            psi = Statevector(qc.assign_parameters(values[i, 0]))
            ref = psi.expectation_value(op).real
            assert abs(ours.data.evs[i, j] - ref) < ATOL


def test_bad_input_is_refused() -> None:
    qc, num = random_circuit(3, np.random.default_rng(0))
    est = EstimatorV2()
    with pytest.raises(ValueError, match=r"PUB 0: .*the circuit has 9 parameters"):
        est.run([(qc, "ZZZ", np.zeros(num - 1))])
    values = np.zeros((2, num))
    values[1, 3] = np.nan
    with pytest.raises(ValueError, match=r"PUB 1: .*'w\[2\]' at point \(1,\) is not finite"):
        est.run([(qc, "ZZZ", values[0]), (qc, "ZZZ", values)])
    with pytest.raises(ValueError, match="qubits"):
        est.run([(qc, "ZZZZ", np.zeros(num))])
    with pytest.raises(ValueError, match="precision"):
        est.run([(qc, "ZZZ", np.zeros(num))], precision=-1.0)
    with pytest.raises(ValueError, match="unknown options \\['bond'\\]"):
        EstimatorV2(options={"bond": 4})
    with pytest.raises(ValueError, match="engine"):
        EstimatorV2(options={"engine": "gpu"})
    with pytest.raises(TypeError, match="options must be a dict"):
        EstimatorV2(options=3)  # type: ignore[arg-type]
    opts = EstimatorOptions(max_bond=8)
    assert EstimatorV2(options=opts).options is opts


def test_job_interface_and_errors_of_the_run() -> None:
    qc = QuantumCircuit(2, 1)
    qc.h(0)
    qc.cx(0, 1)
    job = EstimatorV2().run([(qc, "ZZ")])
    assert job.result()[0].data.evs == pytest.approx(1.0)
    assert job.done() and job.in_final_state() and not job.running() and not job.cancelled()
    assert job.status().name == "DONE"
    assert isinstance(job.job_id(), str)
    # a measured qubit used again: no single final state, said when the result is asked for
    qc.measure(0, 0)
    qc.h(0)
    bad = EstimatorV2().run([(qc, "ZZ")])
    with pytest.raises(NotImplementedError, match="mid-circuit measurement"):
        bad.result()
    assert bad.status().name == "ERROR"
