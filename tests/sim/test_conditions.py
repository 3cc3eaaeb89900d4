"""Classical bits and conditions read from qiskit, and how conditions print."""

from __future__ import annotations

import pytest

import tensorbond as tb

qiskit = pytest.importorskip("qiskit")


def test_loose_bit_before_a_register() -> None:
    from qiskit.circuit import ClassicalRegister, Clbit, QuantumCircuit, QuantumRegister

    qc = QuantumCircuit(QuantumRegister(2, "q"), [Clbit()], ClassicalRegister(2, "c"))
    qc.x(0)
    qc.measure(0, 0)  # the loose bit
    qc.measure([0, 1], [1, 2])  # the register
    circ = tb.Circuit.from_qiskit(qc)
    assert circ.num_clbits == 3
    assert circ.cregs["c"] == (1, 2)
    counts = tb.run(circ, shots=50, seed=1).counts
    assert sum(counts.values()) == 50 and len(counts) == 1


def test_shared_bits_are_named_in_the_error() -> None:
    from qiskit.circuit import ClassicalRegister, QuantumCircuit

    a = ClassicalRegister(2, "a")
    b = ClassicalRegister(bits=[a[1], a[0]], name="b")
    qc = QuantumCircuit(2)
    qc.add_register(a)
    qc.add_register(b)
    with pytest.raises(NotImplementedError, match="register 'b' shares bits"):
        tb.Circuit.from_qiskit(qc)


def test_a_bit_condition_prints_the_bit() -> None:
    assert str(tb.Condition((2,), 1)) == "clbit 2 == 1"
    assert str(tb.Condition((0, 1), 3, "c")) == "c == 3"
    c = tb.Circuit(1, num_clbits=1).measure(0, 0)
    c.append("x", [0], condition=tb.Condition((0,), 1))
    with pytest.raises(NotImplementedError, match=r"'if \(clbit 0 == 1\) x'"):
        tb.simulate(c)
