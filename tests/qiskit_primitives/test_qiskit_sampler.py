"""tensorbond.qiskit.SamplerV2 against qiskit-aer's SamplerV2."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("qiskit")
aer = pytest.importorskip("qiskit_aer.primitives")

from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister  # noqa: E402
from qiskit.circuit import Parameter, ParameterVector  # noqa: E402
from qiskit.primitives import StatevectorSampler  # noqa: E402

from tensorbond.qiskit import SamplerOptions, SamplerV2  # noqa: E402

SHOTS = 20_000


def tvd(a: dict[str, int], b: dict[str, int]) -> float:
    na, nb = sum(a.values()), sum(b.values())
    return 0.5 * sum(abs(a.get(k, 0) / na - b.get(k, 0) / nb) for k in set(a) | set(b))


def two_register_circuit() -> QuantumCircuit:
    """Four qubits, parametrized, measured into two registers in a shuffled order."""
    w = ParameterVector("w", 4)
    t = Parameter("t")
    qr = QuantumRegister(4, "q")
    ca, cb = ClassicalRegister(3, "alpha"), ClassicalRegister(2, "beta")
    qc = QuantumCircuit(qr, ca, cb)
    for q in range(4):
        qc.ry(w[q], q)
    qc.cx(0, 1)
    qc.rzz(t, 1, 3)
    qc.cx(2, 3)
    qc.rx(0.5 * t + 0.2, 2)
    qc.measure(3, ca[0])
    qc.measure(0, ca[2])
    qc.measure(1, cb[1])
    qc.measure(2, cb[0])
    qc.measure(1, ca[1])
    return qc


def test_counts_match_aer_per_register() -> None:
    qc = two_register_circuit()
    rng = np.random.default_rng(3)
    values = rng.uniform(-np.pi, np.pi, (2, qc.num_parameters))
    ours = SamplerV2(seed=5).run([(qc, values)], shots=SHOTS).result()[0]
    ref = aer.SamplerV2(seed=6).run([(qc, values)], shots=SHOTS).result()[0]
    assert ours.data.shape == (2,)
    assert sorted(ours.data.keys()) == ["alpha", "beta"]
    for name in ("alpha", "beta"):
        a, b = getattr(ours.data, name), getattr(ref.data, name)
        assert a.shape == b.shape == (2,)
        assert a.num_bits == b.num_bits
        assert a.num_shots == b.num_shots == SHOTS
        for i in range(2):
            assert tvd(a.get_counts(i), b.get_counts(i)) < 0.02
    # the joint distribution of both registers too
    for i in range(2):
        joint_a = ours.join_data().get_counts(i)
        joint_b = ref.join_data().get_counts(i)
        assert tvd(joint_a, joint_b) < 0.02
    assert ours.metadata["shots"] == SHOTS
    assert ours.metadata["simulator"] == "tensorbond.mps"
    np.testing.assert_allclose(ours.metadata["fidelity"], 1.0)


def test_bit_layout_is_identical_to_aer() -> None:
    # Deterministic outcomes: each register's bits must land exactly where aer puts them.
    qc = QuantumCircuit(QuantumRegister(5, "q"), ClassicalRegister(3, "c0"))
    qc.add_register(ClassicalRegister(9, "wide"))  # more than one byte
    qc.x([0, 2, 3])
    qc.measure(0, 0)
    qc.measure(1, 1)
    qc.measure(2, 2)
    for j, q in enumerate([3, 4, 0, 2, 3, 1, 0, 4, 2]):
        qc.measure(q, 3 + j)
    ours = SamplerV2(seed=1).run([qc], shots=7).result()[0]
    ref = aer.SamplerV2(seed=1).run([qc], shots=7).result()[0]
    sv = StatevectorSampler(seed=1).run([qc], shots=7).result()[0]
    for name in ("c0", "wide"):
        a, b, c = getattr(ours.data, name), getattr(ref.data, name), getattr(sv.data, name)
        np.testing.assert_array_equal(a.array, b.array)
        np.testing.assert_array_equal(a.array, c.array)
        assert a.num_bits == b.num_bits
        assert a.get_bitstrings() == b.get_bitstrings()
    assert ours.data.c0.get_bitstrings()[0] == "101"
    assert ours.data.wide.get_bitstrings()[0] == "101011101"  # bit 0 rightmost


def test_mid_circuit_measurement_reset_and_conditions() -> None:
    # Teleport ry(0.8)|0> from qubit 0 to qubit 2, then reuse qubit 0 after a reset.
    qc = QuantumCircuit(QuantumRegister(3), ClassicalRegister(2, "m"), ClassicalRegister(2, "out"))
    qc.ry(Parameter("theta"), 0)
    qc.h(1)
    qc.cx(1, 2)
    qc.cx(0, 1)
    qc.h(0)
    qc.measure(0, 0)
    qc.measure(1, 1)
    with qc.if_test((qc.clbits[1], 1)):
        qc.x(2)
    with qc.if_test((qc.clbits[0], 1)):
        qc.z(2)
    qc.reset(0)
    qc.h(0)
    qc.measure(2, 2)
    qc.measure(0, 3)
    values = [[0.8], [2.0]]
    ours = SamplerV2(seed=2).run([(qc, values)], shots=SHOTS).result()[0]
    ref = aer.SamplerV2(seed=3).run([(qc, values)], shots=SHOTS).result()[0]
    for i, theta in enumerate([0.8, 2.0]):
        assert tvd(ours.data.out.get_counts(i), ref.data.out.get_counts(i)) < 0.02
        assert tvd(ours.data.m.get_counts(i), ref.data.m.get_counts(i)) < 0.02
        ones = ours.data.out.slice_bits(0).get_int_counts(i).get(1, 0) / SHOTS
        assert abs(ones - np.sin(theta / 2) ** 2) < 0.02


def test_seed_shots_and_no_parameters() -> None:
    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure_all()
    a = SamplerV2(seed=9).run([qc, (qc, None, 50)]).result()
    b = SamplerV2(seed=9).run([qc, (qc, None, 50)]).result()
    assert a[0].data.meas.num_shots == 1024
    assert a[1].data.meas.num_shots == 50
    np.testing.assert_array_equal(a[0].data.meas.array, b[0].data.meas.array)
    assert set(a[0].data.meas.get_counts()) == {"00", "11"}
    assert SamplerV2(default_shots=10).run([qc]).result()[0].data.meas.num_shots == 10
    # no classical registers: an empty data bin, as aer gives
    bare = QuantumCircuit(1)
    bare.h(0)
    assert list(SamplerV2().run([bare]).result()[0].data.keys()) == []


def test_truncation_options_reach_the_run() -> None:
    n = 8
    rng = np.random.default_rng(3)
    qc = QuantumCircuit(n)
    for layer in range(4):
        for q in range(n):
            qc.u(*rng.uniform(-np.pi, np.pi, 3), q)
        for q in range(layer % 2, n - 1, 2):
            qc.cx(q, q + 1)
    qc.measure_all()
    res = SamplerV2(seed=1, options={"max_bond": 2}).run([qc], shots=100).result()[0]
    assert int(res.metadata["max_bond"]) == 2
    assert float(res.metadata["fidelity"]) < 1


def test_bad_input_is_refused() -> None:
    qc = two_register_circuit()
    sampler = SamplerV2()
    with pytest.raises(ValueError, match=r"PUB 0: .*the circuit has 5 parameters"):
        sampler.run([(qc, np.zeros(4))])
    values = np.zeros((3, 5))
    values[2, 0] = np.inf
    with pytest.raises(ValueError, match=r"PUB 0: .*'t' at point \(2,\) is not finite"):
        sampler.run([(qc, values)])
    with pytest.raises(ValueError, match="shots"):
        sampler.run([qc], shots=0)
    with pytest.raises(ValueError, match="unknown options"):
        SamplerV2(options={"shots": 3})
    with pytest.raises(TypeError, match="max_bond"):
        SamplerV2(options={"max_bond": 2.5})
    with pytest.raises(ValueError, match="seed"):
        SamplerV2(seed=-1)
    assert SamplerV2(options=SamplerOptions(max_bond=4)).options.max_bond == 4
