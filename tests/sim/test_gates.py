"""Gate matrices and the Circuit builder against independently written matrices."""

from __future__ import annotations

import contextlib
import math

import numpy as np
import pytest

import tensorbond as tb
from _reference import statevector as sv

ALL_GATES = sorted(tb.GATES)
EXACT = {"rtol": 1e-12, "atol": 1e-12}


def _params(rng: np.random.Generator, k: int) -> tuple[float, ...]:
    return tuple(float(x) for x in rng.uniform(-2 * math.pi, 2 * math.pi, k))


def test_reference_knows_every_gate():
    # a gate added to the library needs its independent matrix in statevector.py
    assert set(tb.GATES) <= set(sv.GATE_DEFS), set(tb.GATES) - set(sv.GATE_DEFS)


@pytest.mark.parametrize("name", ALL_GATES)
def test_gate_matches_reference(name, rng):
    spec = tb.GATES[name]
    nq, npar, _ = sv.GATE_DEFS[name]
    assert (spec.num_qubits, spec.num_params) == (nq, npar)
    for _ in range(3):
        ps = _params(rng, npar)
        m = tb.gate_matrix(name, ps)
        assert m.dtype == np.complex128
        assert m.shape == (2**nq, 2**nq)
        np.testing.assert_allclose(m, sv.gate(name, ps), **EXACT)
        np.testing.assert_allclose(spec.matrix(*ps), m, **EXACT)
        np.testing.assert_allclose(m @ m.conj().T, np.eye(2**nq), rtol=0, atol=1e-12)
        # list params work as well as tuples
        np.testing.assert_allclose(tb.gate_matrix(name, list(ps)), m, **EXACT)


def test_documented_matrices():
    # literal matrices from the docs (first listed qubit = most significant bit)
    cx = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]
    np.testing.assert_array_equal(tb.gate_matrix("cx"), cx)
    np.testing.assert_array_equal(tb.gate_matrix("CX"), cx)
    t = 0.731
    c, s = math.cos(t / 2), math.sin(t / 2)
    np.testing.assert_allclose(
        tb.gate_matrix("u3", (t, 0.2, 0.3)),
        [[c, -np.exp(0.3j) * s], [np.exp(0.2j) * s, np.exp(0.5j) * c]],
        **EXACT,
    )
    np.testing.assert_allclose(
        tb.gate_matrix("rz", (t,)),
        np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)]),
        **EXACT,
    )
    np.testing.assert_allclose(tb.gate_matrix("u1", (t,)), np.diag([1, np.exp(1j * t)]), **EXACT)
    np.testing.assert_allclose(
        tb.gate_matrix("rzz", (t,)),
        np.diag(np.exp(-0.5j * t * np.array([1, -1, -1, 1]))),
        **EXACT,
    )
    np.testing.assert_allclose(
        tb.gate_matrix("cu1", (t,)), np.diag([1, 1, 1, np.exp(1j * t)]), **EXACT
    )
    # rz carries a relative phase: crz is not cu1, rz is not u1
    assert not np.allclose(tb.gate_matrix("crz", (t,)), tb.gate_matrix("cu1", (t,)))
    assert not np.allclose(tb.gate_matrix("rz", (t,)), tb.gate_matrix("u1", (t,)))
    # rzx: Z on the first listed qubit
    z, x = np.diag([1, -1]), np.array([[0, 1], [1, 0]])
    np.testing.assert_allclose(
        tb.gate_matrix("rzx", (t,)),
        math.cos(t / 2) * np.eye(4) - 1j * math.sin(t / 2) * np.kron(z, x),
        **EXACT,
    )


def test_gate_identities():
    g = tb.gate_matrix
    np.testing.assert_allclose(g("sx") @ g("sx"), g("x"), **EXACT)
    np.testing.assert_allclose(g("sx") @ g("sxdg"), np.eye(2), atol=1e-12)
    np.testing.assert_allclose(g("s") @ g("s"), g("z"), atol=1e-12)
    np.testing.assert_allclose(g("t") @ g("t"), g("s"), atol=1e-12)
    np.testing.assert_allclose(g("t") @ g("tdg"), np.eye(2), atol=1e-12)
    np.testing.assert_allclose(g("u2", (0.4, 0.9)), g("u3", (math.pi / 2, 0.4, 0.9)), **EXACT)
    np.testing.assert_allclose(g("u", (0.1, 0.4, 0.9)), g("u3", (0.1, 0.4, 0.9)), **EXACT)
    np.testing.assert_allclose(g("U", (0.1, 0.4, 0.9)), g("u3", (0.1, 0.4, 0.9)), **EXACT)
    np.testing.assert_allclose(g("p", (0.7,)), g("u1", (0.7,)), **EXACT)
    np.testing.assert_allclose(g("cp", (0.7,)), g("cphase", (0.7,)), **EXACT)
    np.testing.assert_allclose(g("h") @ g("x") @ g("h"), g("z"), atol=1e-12)
    np.testing.assert_allclose(g("swap") @ g("swap"), np.eye(4), atol=1e-12)
    np.testing.assert_allclose(g("iswap") @ g("iswap"), np.diag([1, -1, -1, 1]), atol=1e-12)
    # ecr is its own inverse
    np.testing.assert_allclose(g("ecr") @ g("ecr"), np.eye(4), atol=1e-12)
    np.testing.assert_allclose(g("ccx") @ g("ccx"), np.eye(8), atol=1e-12)
    # cu with gamma = 0 is cu3
    np.testing.assert_allclose(g("cu", (0.3, 0.4, 0.5, 0.0)), g("cu3", (0.3, 0.4, 0.5)), **EXACT)


def test_ecr_decomposition():
    # qiskit's qelib1 extension: gate ecr a, b { rzx(pi/4) a, b; x a; rzx(-pi/4) a, b; }
    g = tb.gate_matrix
    x_a = np.kron(g("x"), np.eye(2))
    expected = g("rzx", (-math.pi / 4,)) @ x_a @ g("rzx", (math.pi / 4,))
    np.testing.assert_allclose(g("ecr"), expected, atol=1e-12)


def test_gate_matrix_is_not_shared_state():
    m = tb.gate_matrix("x")
    with contextlib.suppress(ValueError):  # read-only is fine
        m[0, 0] = 5.0
    np.testing.assert_array_equal(tb.gate_matrix("x"), [[0, 1], [1, 0]])


# ---------------------------------------------------------------- circuit methods
# (method, number of params, gate name, qubit tuple used)
METHODS = [
    ("h", 0, "h", (2,)),
    ("x", 0, "x", (0,)),
    ("y", 0, "y", (3,)),
    ("z", 0, "z", (1,)),
    ("s", 0, "s", (2,)),
    ("sdg", 0, "sdg", (2,)),
    ("t", 0, "t", (1,)),
    ("tdg", 0, "tdg", (0,)),
    ("sx", 0, "sx", (3,)),
    ("sxdg", 0, "sxdg", (3,)),
    ("id", 0, "id", (1,)),
    ("rx", 1, "rx", (2,)),
    ("ry", 1, "ry", (0,)),
    ("rz", 1, "rz", (3,)),
    ("p", 1, "p", (1,)),
    ("u1", 1, "u1", (2,)),
    ("u2", 2, "u2", (0,)),
    ("u3", 3, "u3", (3,)),
    ("u", 3, "u", (1,)),
    ("r", 2, "r", (2,)),
    ("cx", 0, "cx", (3, 1)),
    ("cy", 0, "cy", (0, 2)),
    ("cz", 0, "cz", (2, 0)),
    ("ch", 0, "ch", (1, 3)),
    ("swap", 0, "swap", (3, 0)),
    ("iswap", 0, "iswap", (2, 1)),
    ("ecr", 0, "ecr", (3, 2)),
    ("cp", 1, "cp", (2, 0)),
    ("cu1", 1, "cu1", (0, 3)),
    ("crx", 1, "crx", (3, 1)),
    ("cry", 1, "cry", (1, 2)),
    ("crz", 1, "crz", (2, 1)),
    ("cu3", 3, "cu3", (3, 0)),
    ("cu", 4, "cu", (1, 0)),
    ("rxx", 1, "rxx", (0, 3)),
    ("ryy", 1, "ryy", (3, 2)),
    ("rzz", 1, "rzz", (2, 0)),
    ("rzx", 1, "rzx", (3, 1)),
    ("xx_plus_yy", 2, "xx_plus_yy", (1, 3)),
    ("xx_minus_yy", 2, "xx_minus_yy", (3, 0)),
    ("ccx", 0, "ccx", (3, 0, 2)),
    ("ccz", 0, "ccz", (1, 3, 0)),
    ("cswap", 0, "cswap", (2, 0, 3)),
]


@pytest.mark.parametrize(("method", "npar", "name", "qubits"), METHODS, ids=[m[0] for m in METHODS])
def test_circuit_method_appends_op(method, npar, name, qubits, rng):
    circ = tb.Circuit(4)
    ps = _params(rng, npar)
    out = getattr(circ, method)(*ps, *qubits)
    assert out is circ  # chains
    assert len(circ) == 1 and circ.num_gates == 1
    (op,) = circ.operations
    assert op.kind == "gate"
    assert op.name == name
    assert op.qubits == qubits
    assert op.params == pytest.approx(ps, rel=0, abs=0)
    assert op.condition is None
    np.testing.assert_allclose(op.unitary(), sv.gate(name, ps), **EXACT)
    assert circ.count_ops() == {name: 1}


def test_methods_cover_gate_names():
    tested = {m[0] for m in METHODS}
    expected = {
        "h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx", "sxdg", "id", "rx", "ry",
        "rz", "p", "u1", "u2", "u3", "u", "r", "cx", "cy", "cz", "ch", "swap",
        "iswap", "ecr", "cp", "cu1", "crx", "cry", "crz", "cu3", "cu", "rxx", "ryy",
        "rzz", "rzx", "xx_plus_yy", "xx_minus_yy", "ccx", "ccz", "cswap",
    }  # fmt: skip
    assert tested == expected
    for m in expected:
        assert callable(getattr(tb.Circuit, m))


@pytest.mark.parametrize("name", ALL_GATES)
def test_append_every_gate(name, rng):
    nq, npar, _ = sv.GATE_DEFS[name]
    qubits = tuple(int(q) for q in rng.permutation(5)[:nq])
    ps = _params(rng, npar)
    circ = tb.Circuit(5).append(name, qubits, ps)
    (op,) = circ.operations
    assert (op.kind, op.name, op.qubits, op.params) == ("gate", name, qubits, ps)
    np.testing.assert_allclose(op.unitary(), sv.gate(name, ps), **EXACT)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_unitary_method(k, rng):
    u = sv.random_unitary(2**k, rng)
    qubits = tuple(int(q) for q in rng.permutation(6)[:k])
    circ = tb.Circuit(6)
    assert circ.unitary(u, qubits) is circ
    (op,) = circ.operations
    assert (op.kind, op.name, op.qubits, op.params) == ("gate", "unitary", qubits, ())
    np.testing.assert_allclose(op.unitary(), u, rtol=0, atol=0)
    np.testing.assert_allclose(op.matrix, u, rtol=0, atol=0)
    # the circuit keeps its own copy
    u[0, 0] = 7.0
    assert op.unitary()[0, 0] != 7.0


def test_chained_circuit_ops_in_order():
    circ = tb.Circuit(3).h(0).cx(0, 1).rz(0.5, 2).ccx(2, 1, 0).barrier()
    names = [op.name for op in circ.operations]
    assert names == ["h", "cx", "rz", "ccx", "barrier"]
    assert circ.num_gates == 4 and len(circ) == 5
    assert [op.qubits for op in circ][:4] == [(0,), (0, 1), (2,), (2, 1, 0)]


def test_numpy_integer_qubits_and_params():
    circ = tb.Circuit(3).cx(np.int64(2), np.int32(0)).rx(np.float32(0.5), np.int64(1))
    assert circ.operations[0].qubits == (2, 0)
    assert all(type(q) is int for q in circ.operations[0].qubits)
    assert circ.operations[1].params == (float(np.float32(0.5)),)


# ---------------------------------------------------------------- qiskit
def _qiskit_gate(name: str, ps: tuple[float, ...]):
    lib = pytest.importorskip("qiskit.circuit.library")
    table = {
        "id": lib.IGate, "x": lib.XGate, "y": lib.YGate, "z": lib.ZGate, "h": lib.HGate,
        "s": lib.SGate, "sdg": lib.SdgGate, "t": lib.TGate, "tdg": lib.TdgGate,
        "sx": lib.SXGate, "sxdg": lib.SXdgGate, "rx": lib.RXGate, "ry": lib.RYGate,
        "rz": lib.RZGate, "p": lib.PhaseGate, "u1": lib.U1Gate, "u2": lib.U2Gate,
        "u3": lib.U3Gate, "u": lib.UGate, "r": lib.RGate, "cx": lib.CXGate,
        "cy": lib.CYGate, "cz": lib.CZGate, "ch": lib.CHGate, "csx": lib.CSXGate,
        "swap": lib.SwapGate, "iswap": lib.iSwapGate, "ecr": lib.ECRGate,
        "dcx": lib.DCXGate, "cp": lib.CPhaseGate, "cu1": lib.CU1Gate,
        "crx": lib.CRXGate, "cry": lib.CRYGate, "crz": lib.CRZGate, "cu3": lib.CU3Gate,
        "cu": lib.CUGate, "rxx": lib.RXXGate, "ryy": lib.RYYGate, "rzz": lib.RZZGate,
        "rzx": lib.RZXGate, "xx_plus_yy": lib.XXPlusYYGate,
        "xx_minus_yy": lib.XXMinusYYGate, "ccx": lib.CCXGate, "ccz": lib.CCZGate,
        "cswap": lib.CSwapGate, "rccx": lib.RCCXGate,
    }  # fmt: skip
    if name not in table:
        pytest.skip(f"no qiskit gate for {name}")
    return table[name](*ps)


def _reverse_qubits(m: np.ndarray) -> np.ndarray:
    """qiskit's little-endian matrix to ours (first listed qubit most significant)."""
    k = m.shape[0].bit_length() - 1
    t = m.reshape((2,) * (2 * k))
    perm = list(range(k))[::-1] + list(range(k, 2 * k))[::-1]
    return t.transpose(perm).reshape(2**k, 2**k)


QISKIT_NAMES = [n for n in ALL_GATES if n not in ("CX", "U", "cphase")]


@pytest.mark.parametrize("name", QISKIT_NAMES)
def test_gate_matches_qiskit(name, rng):
    qi = pytest.importorskip("qiskit.quantum_info")
    ps = _params(rng, tb.GATES[name].num_params)
    ref = _reverse_qubits(np.asarray(qi.Operator(_qiskit_gate(name, ps)).data))
    # both the reference simulator and the library agree with qiskit
    np.testing.assert_allclose(sv.gate(name, ps), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tb.gate_matrix(name, ps), ref, rtol=1e-10, atol=1e-12)


def test_qiskit_circuit_order_on_three_qubits(rng):
    """A small circuit through qiskit (little-endian) equals ours reversed."""
    qiskit = pytest.importorskip("qiskit")
    qi = pytest.importorskip("qiskit.quantum_info")
    a, b, c = _params(rng, 3)
    qc = qiskit.QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 2)
    qc.cu(a, b, c, 0.3, 2, 1)
    qc.ccx(2, 0, 1)
    qc.rzx(a, 1, 0)
    qc.ecr(2, 0)
    ours = tb.Circuit(3).h(0).cx(0, 2).cu(a, b, c, 0.3, 2, 1).ccx(2, 0, 1).rzx(a, 1, 0)
    ours.ecr(2, 0)
    ref = np.asarray(qi.Statevector(qc).data)
    # reverse the bit order of the dense index
    ref = ref.reshape((2,) * 3).transpose(2, 1, 0).reshape(-1)
    psi = tb.simulate(ours, cutoff=0.0).to_dense()
    np.testing.assert_allclose(psi, ref, rtol=1e-10, atol=1e-12)
