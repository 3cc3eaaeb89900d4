"""qiskit and quimb round trips, MPS save/load: the state survives to 1e-12, qubit
order included."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tensorbond as tb

qiskit = pytest.importorskip("qiskit")
qtn = pytest.importorskip("quimb.tensor")
from qiskit.quantum_info import Statevector  # noqa: E402


def _random_circuit(seed: int, n: int = 5, depth: int = 4) -> tb.Circuit:
    rng = np.random.default_rng(seed)
    c = tb.Circuit(n)
    for _ in range(depth):
        for q in range(n):
            c.u3(*rng.uniform(0, 2 * np.pi, 3), q)
        a, b = rng.choice(n, 2, replace=False)
        c.cx(int(a), int(b))
        a, b, d = rng.choice(n, 3, replace=False)
        c.append(["ccx", "cswap"][int(rng.integers(2))], [int(a), int(b), int(d)])
        u = np.linalg.qr(rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4)))[0]
        c.unitary(u, [int(a), int(d)])
        c.cu1(float(rng.uniform(0, 3)), int(b), int(d))
    return c


def _qiskit_big_endian(qc) -> np.ndarray:
    n = qc.num_qubits
    return Statevector(qc).data.reshape((2,) * n).transpose(*reversed(range(n))).ravel()


@pytest.mark.parametrize("seed", range(4))
def test_qiskit_round_trip_preserves_the_state(seed: int) -> None:
    c = _random_circuit(seed)
    psi = tb.simulate(c).to_dense()
    qc = c.to_qiskit()
    assert abs(np.vdot(_qiskit_big_endian(qc), psi)) == pytest.approx(1, abs=1e-12)
    back = tb.Circuit.from_qiskit(qc)
    np.testing.assert_allclose(tb.simulate(back).to_dense(), psi, atol=1e-12)


def test_from_qiskit_library_circuit_and_qubit_order() -> None:
    from qiskit.circuit.library import QFTGate

    qc = qiskit.QuantumCircuit(4)
    qc.x(0)  # qiskit's qubit 0 is tensorbond's qubit 0: amplitude of "1000" before QFT
    qc.append(QFTGate(3), [0, 1, 2])
    qc.ry(0.4, 3)
    c = tb.Circuit.from_qiskit(qc)
    np.testing.assert_allclose(tb.simulate(c).to_dense(), _qiskit_big_endian(qc), atol=1e-12)


def test_dynamic_circuit_round_trip(dynamic_circuit) -> None:
    c = dynamic_circuit
    qc = c.to_qiskit()
    assert [r.name for r in qc.cregs] == ["m", "out"]
    assert "if_else" in {i.operation.name for i in qc.data}
    back = tb.Circuit.from_qiskit(qc)
    assert [op.kind for op in back] == [op.kind for op in c]
    assert [op.condition for op in back] == [op.condition for op in c]
    assert tb.run(back, shots=2000, seed=1).counts == tb.run(c, shots=2000, seed=1).counts


def test_from_qiskit_else_branches_and_refusals() -> None:
    qr = qiskit.QuantumRegister(2)
    cr = qiskit.ClassicalRegister(2)
    qc = qiskit.QuantumCircuit(qr, cr)
    qc.h(0)
    qc.measure(0, 0)
    with qc.if_test((cr[0], 1)) as else_:
        qc.x(1)
    with else_:
        qc.h(1)
    qc.measure(1, 1)
    c = tb.Circuit.from_qiskit(qc)
    assert [(op.name, op.condition.value) for op in c if op.condition] == [("x", 1), ("h", 0)]
    counts = tb.run(c, shots=4000, seed=0).probabilities()
    assert set(counts) == {"10", "00", "11"}  # bit 0 set: x on q1; else h on q1
    assert counts.get("11", 0) == pytest.approx(0.5, abs=0.03)

    whole = qiskit.QuantumCircuit(qr, cr)
    whole.measure(0, 0)
    with whole.if_test((cr, 1)) as else_:
        whole.x(0)
    with else_:
        whole.h(0)
    with pytest.raises(NotImplementedError, match="whole register"):
        tb.Circuit.from_qiskit(whole)

    theta = qiskit.circuit.Parameter("theta")
    free = qiskit.QuantumCircuit(1)
    free.rx(theta, 0)
    kept = tb.Circuit.from_qiskit(free)  # parameters are kept, not refused
    assert [p.name for p in kept.parameters] == ["theta"]
    with pytest.raises(ValueError, match="not affine"):
        tb.Circuit.from_qiskit(qiskit.QuantumCircuit(1).compose(_sin_rx(theta)))
    bound = tb.Circuit.from_qiskit(free.assign_parameters({theta: 0.3}))
    assert [(op.name, op.params) for op in bound] == [("rx", (0.3,))]


@pytest.mark.parametrize("routing", ["auto", "lazy"])
def test_quimb_round_trip(routing: str) -> None:
    c = _random_circuit(7, n=6)
    state = tb.simulate(c, routing=routing)
    psi = state.to_dense()
    q = state.to_quimb()
    assert isinstance(q, qtn.MatrixProductState) and q.L == 6
    np.testing.assert_allclose(q.to_dense().ravel(), psi, atol=1e-12)
    back = tb.MPS.from_quimb(q)
    np.testing.assert_allclose(back.to_dense(), psi, atol=1e-12)
    # quimb's own random state, and one qubit.
    r = qtn.MPS_rand_state(7, bond_dim=5, dtype="complex128", seed=3)
    np.testing.assert_allclose(tb.MPS.from_quimb(r).to_dense(), r.to_dense().ravel(), atol=1e-12)
    one = tb.MPS.from_bitstring("1")
    np.testing.assert_allclose(tb.MPS.from_quimb(one.to_quimb()).to_dense(), [0, 1])


def test_save_load_keeps_state_and_metadata(tmp_path) -> None:
    c = _random_circuit(3, n=8, depth=6)
    state = tb.simulate(c, max_bond=4, routing="lazy")
    state.clbit_map = {0: 3, 1: 5}
    path = state.save(tmp_path / "psi")
    assert path.suffix == ".npz"
    back = tb.MPS.load(path)
    assert back.layout == state.layout and back.dtype == state.dtype
    assert back.fidelity_estimate == state.fidelity_estimate < 1
    assert back.truncation_error == state.truncation_error
    assert back.num_truncations == state.num_truncations
    assert back.max_bond_reached == state.max_bond_reached
    assert back.clbit_map == {0: 3, 1: 5}
    np.testing.assert_allclose(back.to_dense(), state.to_dense(), atol=1e-12)
    small = tb.simulate(c, dtype="complex64")
    assert tb.MPS.load(small.save(tmp_path / "s.npz")).dtype == np.complex64


def test_bad_input(tmp_path) -> None:
    with pytest.raises(ValueError, match="shape"):
        tb.MPS.from_site_tensors([np.ones((1, 3, 1))])
    with pytest.raises(ValueError, match="bond"):
        tb.MPS.from_site_tensors([np.ones((1, 2, 2)), np.ones((3, 2, 1))])
    with pytest.raises(ValueError, match="permutation"):
        tb.MPS.from_site_tensors([np.ones((1, 2, 1))] * 2, layout=[0, 0])
    with pytest.raises(ValueError, match="finite"):
        tb.MPS.from_site_tensors([np.full((1, 2, 1), np.nan)])
    np.savez(tmp_path / "other.npz", a=np.ones(3))
    with pytest.raises(ValueError, match="not a tensorbond MPS"):
        tb.MPS.load(tmp_path / "other.npz")
    path = tb.MPS(2).save(tmp_path / "v.npz")
    with np.load(path) as z:
        arrays = dict(z)
    meta = json.loads(str(arrays["__meta__"]))
    meta["version"] = 99
    arrays["__meta__"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="version 99"):
        tb.MPS.load(path)
    with pytest.raises(TypeError, match="MatrixProductState"):
        tb.MPS.from_quimb(np.ones(4))


# ------------------------------------------------ from_qiskit: names, definitions


def _overlap(c: tb.Circuit, qc) -> float:
    """|<tensorbond | qiskit>|: 1 when the states agree up to a global phase."""
    return abs(np.vdot(_qiskit_big_endian(qc), tb.simulate(c).to_dense()))


def _prepared(n: int, seed: int):
    """A qiskit circuit with a random product state on n qubits (so that qubit
    order and controls matter)."""
    rng = np.random.default_rng(seed)
    qc = qiskit.QuantumCircuit(n)
    for q in range(n):
        qc.u(*rng.uniform(0, 2 * np.pi, 3), q)
    return qc


def _fake(name: str, n: int):
    """A user gate that borrows a standard name but does something else."""
    sub = qiskit.QuantumCircuit(n, name=name)
    sub.rx(0.3, 0)
    if n > 1:
        sub.ry(0.7, 1)
        sub.cx(1, 0)
    return sub.to_gate()


@pytest.mark.parametrize(
    ("name", "n", "params"), [("h", 1, []), ("cz", 2, []), ("rx", 1, [0.4]), ("cx", 2, [])]
)
def test_from_qiskit_does_not_trust_gate_names(name: str, n: int, params: list) -> None:
    qc = _prepared(3, 1)
    g = _fake(name, n)
    if params:  # the same name and number of parameters as the standard gate
        g = qiskit.circuit.Gate(name, n, params)
        g.definition = _fake(name, n).definition
    qc.append(g, [2, 0][:n])
    c = tb.Circuit.from_qiskit(qc)
    assert name not in {op.name for op in c}
    assert _overlap(c, qc) == pytest.approx(1, abs=1e-10)
    np.testing.assert_allclose(tb.simulate(c).to_dense(), _qiskit_big_endian(qc), atol=1e-10)
    # qiskit's own gate of that name still becomes the built-in.
    real = qiskit.QuantumCircuit(3)
    getattr(real, name)(*params, *[2, 0][:n])
    assert [op.name for op in tb.Circuit.from_qiskit(real)] == [name]


def _composites():
    from qiskit.circuit.library import (
        DiagonalGate,
        MCXGate,
        MSGate,
        QFTGate,
        StatePreparation,
        quantum_volume,
    )

    rng = np.random.default_rng(5)

    def two(qc):
        sub = qiskit.QuantumCircuit(2)
        sub.h(0)
        sub.cp(0.7, 0, 1)
        sub.ry(0.2, 1)
        qc.append(sub.to_gate(), [3, 1])

    def three(qc):
        sub = qiskit.QuantumCircuit(3, global_phase=0.3)
        sub.ccx(0, 1, 2)
        sub.rzz(0.5, 0, 2)
        sub.sx(1)
        qc.append(sub.to_gate(), [4, 0, 2])

    def controlled(qc):
        sub = qiskit.QuantumCircuit(2)
        sub.rx(0.3, 0)
        sub.cx(0, 1)
        qc.append(sub.to_gate().control(1), [1, 4, 0])
        qc.append(sub.to_gate().control(2, ctrl_state="01"), [2, 3, 0, 1])

    def state_prep(qc):
        v = rng.standard_normal(8) + 1j * rng.standard_normal(8)
        qc.append(StatePreparation(v / np.linalg.norm(v)), [3, 0, 2])
        w = rng.standard_normal(16)
        qc.append(StatePreparation(w / np.linalg.norm(w)), [1, 4, 0, 3])

    def diagonal(qc):
        qc.append(DiagonalGate(list(np.exp(1j * rng.uniform(0, 6, 8)))), [2, 4, 1])
        qc.append(DiagonalGate(list(np.exp(1j * rng.uniform(0, 6, 16)))), [0, 1, 2, 3])

    def mcx(qc):
        qc.append(MCXGate(3), [4, 0, 2, 1])
        qc.mcp(0.9, [0, 1, 2], 3)

    def qft(qc):
        qc.append(QFTGate(5), [2, 0, 4, 1, 3])

    def qv(qc):
        qc.append(quantum_volume(5, seed=1).to_instruction(), range(5))

    def ms(qc):
        qc.append(MSGate(3, 0.4), [1, 3, 0])

    return {f.__name__: f for f in (two, three, controlled, state_prep, diagonal, mcx, qft, qv, ms)}


@pytest.mark.parametrize("case", sorted(_composites()))
def test_from_qiskit_expands_composite_instructions(case: str) -> None:
    qc = _prepared(5, 2)
    _composites()[case](qc)
    c = tb.Circuit.from_qiskit(qc)
    assert _overlap(c, qc) == pytest.approx(1, abs=1e-10)
    # global phases (the circuit's and definitions') are kept: exactly qiskit's state.
    np.testing.assert_allclose(tb.simulate(c).to_dense(), _qiskit_big_endian(qc), atol=1e-10)


def test_from_qiskit_keeps_global_phase_and_round_trips_it() -> None:
    qc = _prepared(2, 3)
    qc.global_phase = 0.8
    sub = qiskit.QuantumCircuit(4, global_phase=-0.3)  # expanded, not a matrix
    sub.mcx([0, 1, 2], 3)
    qc2 = qiskit.QuantumCircuit(4, global_phase=0.8)
    qc2.compose(qc, [0, 1], inplace=True)
    qc2.append(sub.to_gate(), [3, 2, 1, 0])
    c = tb.Circuit.from_qiskit(qc2)
    assert c.global_phase != 0
    np.testing.assert_allclose(tb.simulate(c).to_dense(), _qiskit_big_endian(qc2), atol=1e-12)
    back = c.to_qiskit()
    assert float(back.global_phase) == pytest.approx(c.global_phase, abs=1e-12)
    np.testing.assert_allclose(_qiskit_big_endian(back), _qiskit_big_endian(qc2), atol=1e-10)


def test_from_qiskit_delay_and_barrier_are_the_identity() -> None:
    qc = _prepared(3, 4)
    qc.delay(100, 1)
    qc.barrier()
    qc.delay(2.5, [0, 2], unit="us")
    qc.cx(0, 2)
    sub = qiskit.QuantumCircuit(4)  # inside a definition too
    sub.delay(10, 3)
    sub.barrier()
    sub.h(3)
    big = qiskit.QuantumCircuit(4)
    big.compose(qc, [0, 1, 2], inplace=True)
    big.append(sub.to_instruction(), [1, 0, 3, 2])
    c = tb.Circuit.from_qiskit(big)
    assert [op.kind for op in c if op.kind != "gate"] == ["barrier", "barrier"]
    assert "delay" not in {op.name for op in c}
    np.testing.assert_allclose(tb.simulate(c).to_dense(), _qiskit_big_endian(big), atol=1e-12)


def test_from_qiskit_definition_depth_limit_and_opaque_refusal() -> None:
    from tensorbond.interop import MAX_DEFINITION_DEPTH

    def nested(levels: int):
        g = qiskit.QuantumCircuit(4)
        g.h(0)
        g.ccx(0, 1, 3)
        g.cx(3, 2)
        gate = g.to_gate()
        for _ in range(levels):
            sub = qiskit.QuantumCircuit(4)
            sub.append(gate, [1, 2, 3, 0])
            gate = sub.to_gate()
        qc = qiskit.QuantumCircuit(4)
        qc.append(gate, range(4))
        return qc

    ok = nested(MAX_DEFINITION_DEPTH - 1)  # the innermost definition at the limit
    c = tb.Circuit.from_qiskit(ok)
    assert _overlap(c, ok) == pytest.approx(1, abs=1e-10)
    with pytest.raises(ValueError, match=f"more than {MAX_DEFINITION_DEPTH} levels deep"):
        tb.Circuit.from_qiskit(nested(MAX_DEFINITION_DEPTH))

    opaque = qiskit.QuantumCircuit(2)
    opaque.append(qiskit.circuit.Gate("mystery", 2, []), [0, 1])
    with pytest.raises(ValueError, match=r"'mystery' on 2 qubit.*neither a matrix"):
        tb.Circuit.from_qiskit(opaque)
    wide = qiskit.QuantumCircuit(5)
    sub = qiskit.QuantumCircuit(5)
    sub.append(qiskit.circuit.Instruction("blackbox", 4, 0, []), range(4))
    wide.append(sub.to_instruction(), range(5))
    with pytest.raises(ValueError, match="'blackbox' on 4 qubit"):
        tb.Circuit.from_qiskit(wide)


def _sin_rx(theta):
    qiskit = pytest.importorskip("qiskit")
    qc = qiskit.QuantumCircuit(1)
    qc.rx(theta.sin(), 0)
    return qc


def test_qiskit_parameters_round_trip_and_match_statevector(rng) -> None:
    qiskit = pytest.importorskip("qiskit")
    from qiskit.circuit import Parameter, ParameterVector
    from qiskit.quantum_info import Statevector

    t, w = Parameter("t"), ParameterVector("w", 11)
    qc = qiskit.QuantumCircuit(3)
    qc.rx(2 * t + 0.1, 0)
    qc.ry(w[0] - w[10] / 2, 1)
    qc.cx(0, 1)
    qc.rzz(w[1], 1, 2)
    qc.cp(t, 2, 0)
    qc.u(w[2], 3 * t, -w[1], 2)
    ours = tb.Circuit.from_qiskit(qc)
    assert [p.name for p in ours.parameters] == ["t", "w[0]", "w[1]", "w[2]", "w[10]"]
    values = rng.uniform(-3, 3, 5)
    theirs = qc.assign_parameters(dict(zip([t, w[0], w[1], w[2], w[10]], values, strict=True)))
    want = Statevector(theirs).data.reshape([2] * 3).transpose(2, 1, 0).ravel()
    got = tb.simulate(ours.bind(values)).to_dense()
    assert abs(np.vdot(want, got)) ** 2 == pytest.approx(1.0, abs=1e-12)
    back = ours.to_qiskit()  # our parameters become qiskit's, vectors as vectors
    assert [p.name for p in back.parameters] == ["t", "w[0]", "w[1]", "w[2]", "w[10]"]
    again = back.assign_parameters(dict(zip(back.parameters, values, strict=True)))
    np.testing.assert_allclose(Statevector(again).data, Statevector(theirs).data, atol=1e-12)
