"""OpenQASM 3 import: the files qiskit.qasm3.dumps writes, hand-written programs
with loops and bit conditions, and errors with line and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tensorbond as tb
from _reference.paths import QASMBENCH

qasm3 = pytest.importorskip("qiskit.qasm3")


def _gates_only(c: tb.Circuit) -> tb.Circuit:
    d = tb.Circuit(c.num_qubits)
    d._ops = [op for op in c if op.kind == "gate" and op.condition is None]
    return d


def _probabilities(c: tb.Circuit) -> np.ndarray:
    return np.abs(tb.simulate(_gates_only(c)).to_dense()) ** 2


def _small_valid_files() -> list[Path]:
    out = []
    for f in sorted(QASMBENCH.glob("small/*.qasm")):
        try:
            c = tb.Circuit.from_qasm(f)
        except tb.QasmError:
            continue  # the invalid ones
        if c.num_qubits <= 10:
            out.append(f)
    return out


@pytest.mark.parametrize("path", _small_valid_files(), ids=lambda p: p.stem)
def test_qiskit_qasm3_dumps_of_qasmbench_load(path: Path) -> None:
    c = tb.Circuit.from_qasm(path)
    text = qasm3.dumps(c.to_qiskit())
    c3 = tb.Circuit.from_qasm(text)
    assert c3.num_qubits == c.num_qubits and c3.num_clbits == c.num_clbits
    assert [op.kind for op in c3 if op.kind != "gate"] == [op.kind for op in c if op.kind != "gate"]
    np.testing.assert_allclose(_probabilities(c3), _probabilities(c), atol=1e-10)
    if any(op.condition is not None or op.kind == "reset" for op in c):
        a = tb.run(c, shots=4000, seed=2).probabilities()
        b = tb.run(c3, shots=4000, seed=2).probabilities()
        assert 0.5 * sum(abs(a.get(k, 0) - b.get(k, 0)) for k in set(a) | set(b)) < 0.05


def test_dynamic_circuit_through_qasm3(dynamic_circuit) -> None:
    c = dynamic_circuit
    c3 = tb.Circuit.from_qasm(qasm3.dumps(c.to_qiskit()))
    assert [op.condition for op in c3] == [op.condition for op in c]
    assert c3.cregs == c.cregs


PROGRAM = """OPENQASM 3.0;
include "stdgates.inc";
qubit[4] q;
qubit anc;
bit[4] c;
bit flag;
gate layer(theta) a, b { ry(theta) a; cx a, b; }
for uint i in [0:2] {
  layer(0.3 * (i + 1)) q[i], q[i + 1];
}
for int k in {3, 1} { h q[k]; }
gphase(0.25);
flag = measure anc;
h anc;
flag = measure anc;
if (flag == 1) { x q[0]; } else { z q[0]; }
if (!flag) phase(0.5) q[1];
c = measure q;
"""


def test_hand_written_program_with_loops_and_bit_conditions() -> None:
    c = tb.Circuit.from_qasm(PROGRAM)
    want = tb.Circuit(5)
    want.add_creg("c", 4)
    want.add_creg("flag", 1)
    for i in range(3):
        want.ry(0.3 * (i + 1), i).cx(i, i + 1)
    want.h(3).h(1)
    gates = [(op.name, op.qubits, op.params) for op in c if op.kind == "gate"]
    head = [(op.name, op.qubits, op.params) for op in want]
    assert gates[: len(head)] == head
    conds = [(op.name, op.condition) for op in c if op.condition is not None]
    assert conds == [
        ("x", tb.Condition((4,), 1, "flag")),
        ("z", tb.Condition((4,), 0, "flag")),
        ("p", tb.Condition((4,), 0, "flag")),
    ]
    counts = tb.run(c, shots=4000, seed=3).counts
    flags = {k.split()[0] for k in counts}  # 'flag' register is declared last: leftmost
    assert flags == {"0", "1"}


@pytest.mark.parametrize(
    "text, line, match",
    [
        ("OPENQASM 3;\nqubit[2] q;\nint x = 3;\n", 3, "integer variables"),
        ("OPENQASM 3;\nqubit[2] q;\nctrl @ x q[0], q[1];\n", 3, "modifiers"),
        ("OPENQASM 3;\nqubit[2] q;\nbit[2] c;\nc[0] = q[0];\n", 4, "measure"),
        ("OPENQASM 3;\nqubit[2] q;\nfor i in [0:1] { h q[i + 2]; }\n", 3, "out of range"),
        ("OPENQASM 3;\nqubit[2] q;\nh q[0:1];\n", 3, "slices"),
        (
            "OPENQASM 3;\nqubit[2] q;\nbit[2] c;\nif (c == 1) { x q[0]; } else { x q[1]; }\n",
            4,
            "else",
        ),
        ("OPENQASM 3;\nqubit[2] q;\nfoo q[0];\n", 3, "unknown gate 'foo'"),
        ("OPENQASM 3;\nqubit[2] q;\nh q[0]\n", 3, "';'"),
        # Bounded work whatever the text: no powers, no giant loops, no runaway nesting.
        ("OPENQASM 3;\nqubit[2] q;\nh q[9**9**9];\n", 3, "only integers"),
        ("OPENQASM 3;\nqubit[2] q;\nfor i in [0:10000000000] { h q[0]; }\n", 3, "at most"),
        (
            "OPENQASM 3;\nqubit[2] q;\nfor i in [0:999999] { for j in [0:999999] { x q[0]; } }\n",
            3,
            "unrolls to more than",
        ),
    ],
)
def test_errors_name_the_line(text: str, line: int, match: str) -> None:
    with pytest.raises(tb.QasmError, match=match) as info:
        tb.Circuit.from_qasm(text)
    assert info.value.line == line


def test_gphase_is_an_exact_global_phase() -> None:
    text = (
        'OPENQASM 3;\ninclude "stdgates.inc";\nqubit[2] q;\n'
        "gate g(t) a, b { gphase(t / 2); cx a, b; }\nh q[0];\ngphase(0.3);\n"
        "g(0.8) q[0], q[1];\n"
    )
    psi = tb.simulate(tb.Circuit.from_qasm(text)).to_dense()
    bell = np.array([1, 0, 0, 1]) / np.sqrt(2)
    np.testing.assert_allclose(psi, np.exp(1j * 0.7) * bell, atol=1e-12)


def _qiskit_state(qc) -> np.ndarray:
    """qiskit's statevector in tensorbond's order (qubit 0 the most significant)."""
    from qiskit.quantum_info import Statevector

    n = qc.num_qubits
    return Statevector(qc).data.reshape((2,) * n).transpose(*reversed(range(n))).ravel()


def test_transpiled_circuit_with_physical_qubits_and_delay() -> None:
    from qiskit import QuantumCircuit, transpile
    from qiskit.circuit.library import GlobalPhaseGate
    from qiskit.transpiler import CouplingMap

    qc = QuantumCircuit(3)
    qc.h(0)
    qc.cx(0, 2)
    qc.rz(0.3, 2)
    qc.delay(100, 1)
    qc.ccx(0, 1, 2)
    qc.ry(0.7, 1)
    qc.append(GlobalPhaseGate(0.3), [])
    t = transpile(
        qc,
        basis_gates=["rz", "sx", "x", "cx", "delay"],
        optimization_level=0,
        coupling_map=CouplingMap.from_line(5),
        initial_layout=[4, 1, 2],
    )
    text = qasm3.dumps(t)
    assert "$4" in text and "delay[" in text and "$0" not in text
    c = tb.Circuit.from_qasm(text)
    assert c.num_qubits == 5  # largest physical qubit + 1; $k is qubit k
    psi = tb.simulate(c).to_dense()
    assert abs(np.vdot(_qiskit_state(t), psi)) == pytest.approx(1, abs=1e-10)
    # a measured transpiled circuit: '$k' in measure statements too
    qc.measure_all()
    t = transpile(
        qc,
        basis_gates=["rz", "sx", "x", "cx"],
        optimization_level=0,
        coupling_map=CouplingMap.from_line(3),
        seed_transpiler=1,
    )
    c = tb.Circuit.from_qasm(qasm3.dumps(t))
    assert c.num_qubits == 3 and c.num_clbits == 3
    assert sorted(op.qubits[0] for op in c if op.kind == "measure") == [0, 1, 2]


def test_qiskit_global_phase_gate_is_applied() -> None:
    from qiskit import QuantumCircuit
    from qiskit.circuit.library import GlobalPhaseGate

    qc = QuantumCircuit(2)
    qc.h(0)
    qc.append(GlobalPhaseGate(0.3), [])
    qc.cx(0, 1)
    text = qasm3.dumps(qc)
    assert "gate global_phase(p0)" in text
    psi = tb.simulate(tb.Circuit.from_qasm(text)).to_dense()
    np.testing.assert_allclose(psi, _qiskit_state(qc), atol=1e-12)  # phase included


def test_gate_on_no_qubits_applies_its_global_phases() -> None:
    text = (
        'OPENQASM 3;\ninclude "stdgates.inc";\n'
        "gate ph(a, b) { gphase(a); gphase(b / 2); }\ngate ph2 { ph(0.1, 0.2); }\n"
        "qubit[1] q;\nx q[0];\nph(0.5, 1) ;\nph2;\ndelay[20ns] q[0];\n"
    )
    psi = tb.simulate(tb.Circuit.from_qasm(text)).to_dense()
    np.testing.assert_allclose(psi, np.exp(1j * 1.2) * np.array([0, 1]), atol=1e-12)


def test_physical_qubits_by_hand() -> None:
    text = (
        'OPENQASM 3;\ninclude "stdgates.inc";\nbit[2] c;\nh $2;\ncx $2, $0;\n'
        "barrier $0, $2;\nc[0] = measure $2;\nmeasure $0 -> c[1];\n"
    )
    c = tb.Circuit.from_qasm(text)
    assert c.num_qubits == 3
    assert [(op.name, op.qubits) for op in c] == [
        ("h", (2,)),
        ("cx", (2, 0)),
        ("barrier", (0, 2)),
        ("measure", (2,)),
        ("measure", (0,)),
    ]


@pytest.mark.parametrize(
    "text, line, match",
    [
        ("OPENQASM 3;\nqubit[2] q;\nh $0;\n", 2, "physical qubit \\$0 \\(line 3\\)"),
        ("OPENQASM 3;\nh $0;\nh $x;\n", 3, "'\\$' and a number"),
        ("OPENQASM 3;\nh $0;\n$0;\n", 3, "physical qubit"),
        ("OPENQASM 3;\ngate g a { h $0; }\nh $0;\n", 2, "not on physical qubits"),
        ("OPENQASM 3;\ngate g(t) { h q; }\nqubit q;\n", 2, "acts on no qubits"),
        ("OPENQASM 3;\ngate g(t) { gphase(t); }\nqubit q;\ng(1, 2);\n", 4, "takes 1"),
        ("OPENQASM 3;\nh $99999999;\n", 2, "beyond the limit"),
    ],
)
def test_physical_qubit_and_phase_gate_errors(text: str, line: int, match: str) -> None:
    with pytest.raises(tb.QasmError, match=match) as info:
        tb.Circuit.from_qasm(text)
    assert info.value.line == line


_INPUTS = """OPENQASM 3.0;
include "stdgates.inc";
input float[64] theta;
input angle[32] phi;
gate g(a) q { rz(2*a) q; rx(a - 0.5) q; }
qubit[2] q;
rx(theta) q[0];
g(theta + phi) q[1];
cx q[0], q[1];
rzz(-phi / 2) q[0], q[1];
"""


def test_input_parameters_stay_symbolic() -> None:
    c = tb.Circuit.from_qasm(_INPUTS)
    assert [p.name for p in c.parameters] == ["phi", "theta"]
    t, f = 0.3, 0.7
    ref = tb.Circuit(2).rx(t, 0).rz(2 * (t + f), 1).rx(t + f - 0.5, 1).cx(0, 1).rzz(-f / 2, 0, 1)
    got = tb.simulate(c.bind({"theta": t, "phi": f})).to_dense()
    np.testing.assert_allclose(got, tb.simulate(ref).to_dense(), atol=1e-12)


def test_qiskit_dumps_of_a_parametrized_circuit_reads_back() -> None:
    qiskit = pytest.importorskip("qiskit")
    from qiskit.circuit import Parameter
    from qiskit.quantum_info import Statevector

    t, u = Parameter("t"), Parameter("u")
    qc = qiskit.QuantumCircuit(3)
    qc.rx(2 * t + 0.1, 0)
    qc.cx(0, 1)
    qc.rzz(u - t, 1, 2)
    qc.ry(u / 3, 2)
    c = tb.Circuit.from_qasm(qiskit.qasm3.dumps(qc))
    assert c.num_parameters == 2
    values = {t: 0.4, u: -1.3}
    # qiskit may rename t (to t_0): match by the first letter
    by_name = {p.name: values[t] if p.name.startswith("t") else values[u] for p in c.parameters}
    want = Statevector(qc.assign_parameters(values)).data.reshape([2] * 3)
    got = tb.simulate(c.bind(by_name)).to_dense()
    np.testing.assert_allclose(got, want.transpose(2, 1, 0).ravel(), atol=1e-12)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("rx(theta) q[0];", "rx(sin(theta)) q[0];"), "not an affine function"),
        (("rx(theta) q[0];", "rx(theta * phi) q[0];"), "not an affine function"),
        (("g(theta + phi) q[1];", "g(theta * theta) q[1];"), "not an affine function"),
        (("input angle[32] phi;", "input int[32] phi;"), "input of type 'int'"),
        (("input angle[32] phi;", "input float[64] theta;"), "declared twice"),
        (("input angle[32] phi;", "input float[64] pi;"), "name of a constant"),
    ],
)
def test_bad_inputs_are_located_errors(change, message) -> None:
    with pytest.raises(tb.QasmError, match=message):
        tb.Circuit.from_qasm(_INPUTS.replace(*change))
