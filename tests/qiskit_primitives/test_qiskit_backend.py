"""tensorbond.qiskit.MPSBackend against qiskit-aer's AerSimulator."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("qiskit")
qiskit_aer = pytest.importorskip("qiskit_aer")

from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile  # noqa: E402
from qiskit.circuit import Parameter  # noqa: E402
from qiskit.circuit.library import QFTGate  # noqa: E402

from tensorbond.qiskit import MPSBackend  # noqa: E402

SHOTS = 20_000


def tvd(a: dict[str, int], b: dict[str, int]) -> float:
    na, nb = sum(a.values()), sum(b.values())
    return 0.5 * sum(abs(a.get(k, 0) / na - b.get(k, 0) / nb) for k in set(a) | set(b))


def library_circuit() -> QuantumCircuit:
    """Gates outside the target (QFT, ccx, a 2-qubit unitary) and two registers."""
    rng = np.random.default_rng(1)
    qc = QuantumCircuit(
        QuantumRegister(4, "q"), ClassicalRegister(2, "a"), ClassicalRegister(3, "b")
    )
    for q in range(4):
        qc.u(*rng.uniform(-np.pi, np.pi, 3), q)
    qc.append(QFTGate(3), [0, 1, 3])
    qc.ccx(0, 2, 1)
    qc.cs(3, 0)
    qc.measure([0, 1], [1, 0])
    qc.measure([2, 3, 0], [4, 2, 3])
    return qc


def test_transpile_and_run_match_aer() -> None:
    backend = MPSBackend(seed=4)
    aer = qiskit_aer.AerSimulator(seed_simulator=5)
    qc = library_circuit()
    ours = backend.run(transpile(qc, backend, seed_transpiler=1), shots=SHOTS).result()
    ref = aer.run(transpile(qc, aer, seed_transpiler=1), shots=SHOTS).result()
    a, b = ours.get_counts(), ref.get_counts()
    assert all(len(k) == 6 and k[3] == " " for k in a)  # "bbb aa", as aer writes them
    assert set(a) <= set(b)
    assert tvd(a, b) < 0.02
    assert ours.results[0].metadata["simulator"] == "tensorbond.mps"
    assert ours.results[0].shots == SHOTS


def test_untranspiled_circuits_list_and_memory() -> None:
    backend = MPSBackend()
    qc = QuantumCircuit(3, 3)
    qc.x(0)
    qc.h(2)
    qc.measure([0, 1, 2], [0, 1, 2])
    job = backend.run([qc, library_circuit()], shots=200, seed_simulator=3, memory=True)
    res = job.result()
    assert job.status().name == "DONE"
    counts = res.get_counts(0)
    assert set(counts) == {"001", "101"}
    memory = res.get_memory(0)
    assert len(memory) == 200
    assert {k: memory.count(k) for k in set(memory)} == counts
    assert len(res.get_counts()) == 2
    again = backend.run([qc], shots=200, seed_simulator=3, memory=True).result().get_memory()
    assert again == memory  # same seed, same shots


def test_dynamic_circuit_matches_aer() -> None:
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.rx(1.0, 1)
    qc.reset(0)
    qc.x(0)
    qc.measure(1, 1)
    backend = MPSBackend(seed=1)
    aer = qiskit_aer.AerSimulator(seed_simulator=2)
    a = backend.run(transpile(qc, backend), shots=SHOTS).result().get_counts()
    b = aer.run(transpile(qc, aer), shots=SHOTS).result().get_counts()
    assert tvd(a, b) < 0.02


def test_target_and_truncation() -> None:
    backend = MPSBackend(num_qubits=50, max_bond=2, cutoff=1e-10)
    target = backend.target
    assert target.num_qubits == 50
    for name in ("cx", "rzz", "u", "h", "measure", "reset", "if_else", "ccx", "unitary"):
        assert name in target.operation_names
    assert backend.truncation.max_bond == 2
    assert backend.max_circuits is None
    n = 8
    rng = np.random.default_rng(3)
    qc = QuantumCircuit(n)
    for layer in range(4):
        for q in range(n):
            qc.u(*rng.uniform(-np.pi, np.pi, 3), q)
        for q in range(layer % 2, n - 1, 2):
            qc.cx(q, q + 1)
    qc.measure_all()
    out = transpile(qc, backend)
    assert out.num_qubits == n  # no padding to the target's size
    meta = backend.run(out, shots=10).result().results[0].metadata
    assert meta["max_bond_reached"] == 2
    assert meta["fidelity_estimate"] < 1


def test_bad_input_is_refused() -> None:
    backend = MPSBackend()
    qc = QuantumCircuit(1, 1)
    qc.rx(Parameter("t"), 0)
    qc.measure(0, 0)
    with pytest.raises(ValueError, match="unbound parameters t"):
        backend.run(qc)
    with pytest.raises(ValueError, match="unknown run options \\['noise'\\]"):
        backend.run(qc.assign_parameters([0.1]), noise=True)
    with pytest.raises(ValueError, match="shots"):
        backend.run(qc.assign_parameters([0.1]), shots=0)
    with pytest.raises(TypeError, match="not a QuantumCircuit"):
        backend.run(["x"])
    with pytest.raises(ValueError, match="cutoff"):
        MPSBackend(cutoff=-1.0)
