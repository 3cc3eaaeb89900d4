"""Every documented error: its type and a message that names the problem."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorbond as tb

NAN = float("nan")


def test_exception_hierarchy():
    assert issubclass(tb.NotImplementedError, NotImplementedError)
    assert issubclass(tb.LinAlgError, ArithmeticError)
    assert issubclass(tb.QasmError, ValueError)


# ---------------------------------------------------------------- Circuit
@pytest.mark.parametrize(
    ("n", "exc", "match"),
    [
        (0, ValueError, r"num_qubits must be at least 1, got 0"),
        (-2, ValueError, r"num_qubits must be non-negative, got -2"),
        (2.0, TypeError, r"num_qubits must be an int, got float"),
        (True, TypeError, r"num_qubits must be an int, got bool"),
        ("3", TypeError, r"num_qubits must be an int, got str"),
    ],
)
def test_circuit_num_qubits(n, exc, match):
    with pytest.raises(exc, match=match):
        tb.Circuit(n)


def test_circuit_num_clbits():
    with pytest.raises(ValueError, match=r"num_clbits must be non-negative, got -1"):
        tb.Circuit(2, num_clbits=-1)
    with pytest.raises(TypeError, match=r"num_clbits must be an int"):
        tb.Circuit(2, num_clbits=1.5)


@pytest.mark.parametrize("q", [3, 7, -1])
def test_qubit_out_of_range(q):
    circ = tb.Circuit(3)
    with pytest.raises(IndexError, match=rf"h on qubit {q}: the circuit has 3 qubits"):
        circ.h(q)
    with pytest.raises(IndexError, match=rf"cx on qubit {q}: the circuit has 3 qubits"):
        circ.cx(0, q)
    with pytest.raises(IndexError, match=rf"ccx on qubit {q}"):
        circ.ccx(0, 1, q)
    with pytest.raises(IndexError, match=rf"unitary on qubit {q}"):
        circ.unitary(np.eye(2), [q])
    assert len(circ) == 0  # nothing half-appended


def test_qubit_wrong_type():
    with pytest.raises(TypeError, match=r"qubit of h must be an int, got float"):
        tb.Circuit(2).h(1.0)
    with pytest.raises(TypeError, match=r"qubit of cx must be an int, got str"):
        tb.Circuit(2).cx(0, "1")


def test_repeated_qubit():
    circ = tb.Circuit(4)
    with pytest.raises(ValueError, match=r"cx applied to repeated qubits \(1, 1\)"):
        circ.cx(1, 1)
    with pytest.raises(ValueError, match=r"ccx applied to repeated qubits \(0, 2, 0\)"):
        circ.ccx(0, 2, 0)
    with pytest.raises(ValueError, match=r"unitary applied to repeated qubits"):
        circ.unitary(np.eye(4), [3, 3])
    assert len(circ) == 0


def test_unknown_gate_is_named():
    with pytest.raises(ValueError, match=r"unknown gate 'foo'"):
        tb.Circuit(2).append("foo", [0])
    with pytest.raises(ValueError, match=r"unknown gate 'c3x'"):
        tb.gate_matrix("c3x")
    with pytest.raises(ValueError, match=r"unknown gate 'CZ'"):
        tb.Circuit(2).append("CZ", [0, 1])  # names are case-sensitive


def test_wrong_qubit_count():
    with pytest.raises(ValueError, match=r"gate 'cx' acts on 2 qubit\(s\), got 1"):
        tb.Circuit(3).append("cx", [0])
    with pytest.raises(ValueError, match=r"gate 'h' acts on 1 qubit\(s\), got 2"):
        tb.Circuit(3).append("h", [0, 1])


@pytest.mark.parametrize(
    ("name", "params", "want"),
    [("rx", (), 1), ("u3", (0.1, 0.2), 3), ("h", (0.5,), 0), ("cu", (1, 2, 3), 4)],
)
def test_wrong_param_count(name, params, want):
    nq = tb.GATES[name].num_qubits
    msg = rf"gate '{name}' takes {want} parameter\(s\), got {len(params)}"
    with pytest.raises(ValueError, match=msg):
        tb.Circuit(3).append(name, list(range(nq)), params)
    with pytest.raises(ValueError, match=msg):
        tb.gate_matrix(name, params)


@pytest.mark.parametrize("bad", [NAN, math.inf, -math.inf])
def test_non_finite_params(bad):
    circ = tb.Circuit(2)
    with pytest.raises(ValueError, match=r"gate 'rx' has a non-finite parameter"):
        circ.rx(bad, 0)
    with pytest.raises(ValueError, match=r"gate 'u3' has a non-finite parameter"):
        circ.u3(0.1, bad, 0.2, 1)
    with pytest.raises(ValueError, match=r"gate 'cp' has a non-finite parameter"):
        circ.cp(bad, 0, 1)
    assert len(circ) == 0


def test_unitary_not_unitary():
    with pytest.raises(ValueError, match=r"matrix is not unitary: max \|U U\^dag - I\| = 1"):
        tb.Circuit(2).unitary(np.array([[1, 1], [0, 1]]), [0])
    with pytest.raises(ValueError, match=r"not unitary"):
        tb.Circuit(2).unitary(2 * np.eye(4), [0, 1])
    # within atol is accepted, a tighter atol rejects
    nearly = np.eye(2) * (1 + 1e-10)
    tb.Circuit(1).unitary(nearly, [0])
    with pytest.raises(ValueError, match=r"not unitary"):
        tb.Circuit(1).unitary(nearly, [0], atol=1e-12)


def test_unitary_shapes():
    with pytest.raises(
        ValueError, match=r"unitary on 2 qubit\(s\) needs shape \(4, 4\), got \(2, 2\)"
    ):
        tb.Circuit(3).unitary(np.eye(2), [0, 1])
    with pytest.raises(ValueError, match=r"needs shape \(2, 2\), got \(2,\)"):
        tb.Circuit(3).unitary(np.ones(2), [0])
    with pytest.raises(ValueError, match=r"unitary acts on 1 to 3 qubits, got 4"):
        tb.Circuit(5).unitary(np.eye(16), [0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"unitary acts on 1 to 3 qubits, got 0"):
        tb.Circuit(5).unitary(np.eye(1), [])


def test_unitary_non_finite():
    m = np.eye(2, dtype=complex)
    m[0, 1] = NAN
    with pytest.raises(ValueError, match=r"unitary matrix contains NaN or infinite values"):
        tb.Circuit(1).unitary(m, [0])


def test_measure_and_condition_clbits():
    with pytest.raises(IndexError, match=r"measure to classical bit 1: the circuit has 1"):
        tb.Circuit(2, num_clbits=1).measure(0, 1)
    with pytest.raises(IndexError, match=r"measure on qubit 2"):
        tb.Circuit(2, num_clbits=1).measure(2, 0)
    cond = tb.Condition((3,), 1, "c")
    with pytest.raises(IndexError, match=r"condition to classical bit 3"):
        tb.Circuit(2, num_clbits=1).append("x", [0], condition=cond)


def test_duplicate_creg():
    circ = tb.Circuit(2)
    circ.add_creg("c", 2)
    with pytest.raises(ValueError, match=r"classical register 'c' already exists"):
        circ.add_creg("c", 1)


def test_operation_unitary_of_non_gate():
    circ = tb.Circuit(2, num_clbits=1).measure(0, 0).reset(1).barrier()
    for op in circ.operations:
        with pytest.raises(ValueError, match=rf"{op.kind} is not a unitary operation"):
            op.unitary()


def test_qasm_unknown_gate_is_named():
    src = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nfoo q[0];\n'
    with pytest.raises(tb.QasmError, match=r"foo") as info:
        tb.Circuit.from_qasm(src)
    assert info.value.line == 4


# ---------------------------------------------------------------- MPS construction
def test_mps_num_qubits():
    with pytest.raises(ValueError, match=r"num_qubits must be at least 1, got 0"):
        tb.MPS(0)
    with pytest.raises(TypeError, match=r"num_qubits must be an int, got float"):
        tb.MPS(2.0)


@pytest.mark.parametrize("dtype", ["float32", "float64", np.float32, "int64", "complex256"])
def test_bad_dtype(dtype):
    if dtype == "complex256" and not hasattr(np, "complex256"):
        pytest.skip("no complex256 on this platform")
    with pytest.raises(TypeError, match=r"dtype must be complex64 or complex128"):
        tb.MPS(3, dtype=dtype)
    with pytest.raises(TypeError, match=r"dtype must be complex64 or complex128"):
        tb.simulate(tb.Circuit(2).h(0), dtype=dtype)
    with pytest.raises(TypeError, match=r"dtype must be complex64 or complex128"):
        tb.MPS.from_bitstring("01", dtype=dtype)


def test_unknown_dtype_name():
    with pytest.raises(TypeError, match=r"dtype must be complex64 or complex128, got 'cplx'"):
        tb.MPS(2, dtype="cplx")


def test_to_dense_beyond_30_qubits():
    psi = tb.MPS(31)
    with pytest.raises(
        ValueError, match=r"to_dense of 31 qubits would need 32 GiB; refusing beyond 30"
    ):
        psi.to_dense()
    with pytest.raises(ValueError, match=r"to_dense of 40 qubits .*refusing beyond 30 qubits"):
        tb.MPS(40, dtype="complex64").to_dense()


@pytest.mark.parametrize(
    ("bits", "match"),
    [
        ("01", r"bitstring has 2 bits, the state has 3 qubits"),
        ("0110", r"bitstring has 4 bits, the state has 3 qubits"),
        ("", r"bitstring must contain only '0' and '1', got ''"),
        ("01a", r"bitstring must contain only '0' and '1', got '01a'"),
        ("0 1", r"bitstring must contain only '0' and '1'"),
        ([0, 2, 1], r"bits must be a 1-D sequence of 0 and 1"),
        ([[0, 1, 1]], r"bits must be a 1-D sequence of 0 and 1"),
        ([0, 1], r"bitstring has 2 bits, the state has 3 qubits"),
    ],
)
def test_bad_bitstrings(bits, match):
    psi = tb.MPS(3)
    with pytest.raises(ValueError, match=match):
        psi.amplitude(bits)
    with pytest.raises(ValueError, match=match):
        psi.probability(bits)


@pytest.mark.parametrize("bits", ["", "012", "1x"])
def test_from_bitstring_bad(bits):
    with pytest.raises(ValueError, match=r"bitstring must contain only '0' and '1'"):
        tb.MPS.from_bitstring(bits)


@pytest.mark.parametrize(
    ("vecs", "match"),
    [
        ([[1, 0], [0, 0]], r"product state vector for qubit 1 is zero"),
        ([[0, 0]], r"product state vector for qubit 0 is zero"),
        ([[1, 0], [NAN, 1]], r"product state vector for qubit 1 is not finite"),
        ([[math.inf, 0]], r"product state vector for qubit 0 is not finite"),
        ([1, 0], r"product state needs shape \(n, 2\) with n >= 1, got \(2,\)"),
        ([[1, 0, 0]], r"got \(1, 3\)"),
        (np.zeros((0, 2)), r"got \(0, 2\)"),
    ],
)
def test_bad_product_state(vecs, match):
    with pytest.raises(ValueError, match=match):
        tb.MPS.from_product(vecs)


# ---------------------------------------------------------------- MPS queries
@pytest.fixture
def psi():
    return tb.simulate(tb.Circuit(3).h(0).cx(0, 1).cx(1, 2))


@pytest.mark.parametrize(
    ("op", "exc", "match"),
    [
        ("X0 Q1", ValueError, r"cannot read Pauli string 'X0 Q1' at ' ?Q1'"),
        ("X0 Z", ValueError, r"cannot read Pauli string 'X0 Z'"),
        ("0X", ValueError, r"cannot read Pauli string '0X'"),
        ("X0 Y0", ValueError, r"qubit 0 appears twice in Pauli string 'X0 Y0'"),
        ("Z3", IndexError, r"qubit 3 is out of range for 3 qubits"),
        ({0: "W"}, ValueError, r"unknown Pauli 'W' on qubit 0 \(expected I, X, Y, Z\)"),
        ({0: 1}, ValueError, r"unknown Pauli 1 on qubit 0"),
        ({1.5: "X"}, TypeError, r"Pauli string keys must be qubit ints, got 1.5"),
        ({5: "Z"}, IndexError, r"qubit 5 is out of range for 3 qubits"),
        (42, TypeError, r"cannot read an operator from int"),
        # (string, coefficient) swapped: the message should name the coefficient
        ([("X0", 1.0)], TypeError, r"coefficient"),
        (
            [1.0, "X0"],
            TypeError,
            r"a Pauli sum is a list of \(coefficient, string\) pairs",
        ),
        ([(NAN, "X0")], ValueError, r"coefficient nan is not finite"),
        ([(1.0, 7)], TypeError, r"a Pauli string is a str or a dict, got int"),
    ],
)
def test_bad_pauli(psi, op, exc, match):
    with pytest.raises(exc, match=match):
        psi.expectation(op)


@pytest.mark.parametrize("bond", [2, 3, -1])
def test_entropy_bad_bond(psi, bond):
    msg = rf"bond {bond} is out of range: 3 qubits have bonds 0..1"
    with pytest.raises(IndexError, match=msg):
        psi.entropy(bond)
    with pytest.raises(IndexError, match=msg):
        psi.schmidt_values(bond)


def test_entropy_bond_type_and_single_qubit(psi):
    with pytest.raises(TypeError, match=r"bond must be an int, got float"):
        psi.entropy(1.0)
    with pytest.raises(IndexError, match=r"bond 0 is out of range: 1 qubits have bonds 0..-1"):
        tb.MPS(1).entropy(0)


def test_site_tensor_out_of_range(psi):
    with pytest.raises(IndexError, match=r"qubit 3 is out of range for 3 qubits"):
        psi.site_tensor(3)


@pytest.mark.parametrize("shots", [-1, -1000])
def test_negative_shots(psi, shots):
    with pytest.raises(ValueError, match=rf"shots must be non-negative, got {shots}"):
        psi.sample(shots, seed=1)


def test_shots_type(psi):
    with pytest.raises(TypeError, match=r"shots must be an int, got float"):
        psi.sample(10.0, seed=1)
    with pytest.raises(TypeError, match=r"shots must be an int, got bool"):
        psi.sample(True, seed=1)


@pytest.mark.parametrize("seed", ["7", 1.5, [1, 2], True, np.random.RandomState(1)])
def test_bad_seed_type(psi, seed):
    with pytest.raises(TypeError, match=r"seed must be an int, a numpy Generator or None"):
        psi.sample(5, seed=seed)


def test_negative_seed(psi):
    with pytest.raises(ValueError, match=r"seed must be non-negative, got -3"):
        psi.sample(5, seed=-3)


# ---------------------------------------------------------------- MPS.apply_gate
def test_apply_gate_errors(psi):
    before = psi.to_dense()
    with pytest.raises(
        ValueError, match=r"gate on 2 qubit\(s\) needs shape \(4, 4\), got \(2, 2\)"
    ):
        psi.apply_gate(np.eye(2), [0, 1])
    with pytest.raises(ValueError, match=r"gate matrix is not unitary"):
        psi.apply_gate(np.array([[1, 1], [0, 1]]), [0])
    bad = np.eye(2, dtype=complex)
    bad[1, 1] = NAN
    with pytest.raises(ValueError, match=r"gate matrix contains NaN or infinite values"):
        psi.apply_gate(bad, [0])
    with pytest.raises(ValueError, match=r"gate applied to repeated qubits \(2, 2\)"):
        psi.apply_gate(np.eye(4), [2, 2])
    with pytest.raises(IndexError, match=r"qubit 3 is out of range for 3 qubits"):
        psi.apply_gate(np.eye(4), [0, 3])
    with pytest.raises(ValueError, match=r"gates act on 1 to 3 qubits, got 4"):
        tb.MPS(5).apply_gate(np.eye(16), [0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"max_bond must be >= 1 or None, got 0"):
        psi.apply_gate(np.eye(4), [0, 1], max_bond=0)
    with pytest.raises(ValueError, match=r"cutoff_mode must be one of"):
        psi.apply_gate(np.eye(4), [0, 1], cutoff_mode="bogus")
    # a rejected gate leaves the state as it was
    np.testing.assert_array_equal(psi.to_dense(), before)


# ---------------------------------------------------------------- truncation options
@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"max_bond": 0}, ValueError, r"max_bond must be >= 1 or None, got 0"),
        ({"max_bond": -4}, ValueError, r"max_bond must be >= 1 or None, got -4"),
        ({"max_bond": 2.5}, TypeError, r"max_bond must be an int or None, got float"),
        ({"max_bond": True}, TypeError, r"max_bond must be an int or None, got bool"),
        (
            {"cutoff": -1e-9},
            ValueError,
            r"cutoff must be a finite number >= 0, got -1e-09",
        ),
        ({"cutoff": NAN}, ValueError, r"cutoff must be a finite number >= 0, got nan"),
        (
            {"cutoff": math.inf},
            ValueError,
            r"cutoff must be a finite number >= 0, got inf",
        ),
        (
            {"cutoff_mode": "relative"},
            ValueError,
            r"cutoff_mode must be one of \('rsum2', 'sum2', 'rel', 'abs'\), got 'relative'",
        ),
        ({"cutoff_mode": "RSUM2"}, ValueError, r"cutoff_mode must be one of"),
    ],
)
def test_bad_truncation(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        tb.Truncation(**kwargs)
    with pytest.raises(exc, match=match):
        tb.simulate(tb.Circuit(2).h(0).cx(0, 1), **kwargs)


def test_bad_routing():
    with pytest.raises(
        ValueError, match=r"routing must be 'auto', 'swap', 'mpo' or 'lazy', got 'teleport'"
    ):
        tb.simulate(tb.Circuit(2).h(0), routing="teleport")


# ---------------------------------------------------------------- simulate
def test_simulate_non_circuit():
    with pytest.raises(
        TypeError,
        match=r"expected a tensorbond.Circuit, a CompiledCircuit or a list of them, got str",
    ):
        tb.simulate("OPENQASM 2.0;")
    with pytest.raises(TypeError, match=r"expected a tensorbond.Circuit, got list"):
        tb.compile_circuit([("h", 0)])


def test_initial_state_mismatch():
    circ = tb.Circuit(4).h(0)
    with pytest.raises(ValueError, match=r"initial state has 3 qubits, the circuit 4"):
        tb.simulate(circ, initial_state=tb.MPS(3))
    with pytest.raises(
        ValueError, match=r"initial state has dtype complex64, asked for complex128"
    ):
        tb.simulate(circ, initial_state=tb.MPS(4, dtype="complex64"))


def test_reset_has_no_single_state_and_points_to_run():
    circ = tb.Circuit(3).h(0).reset(1).cx(0, 1)
    with pytest.raises(tb.NotImplementedError, match=r"reset of qubit 1 \(operation 1\)"):
        tb.simulate(circ)
    with pytest.raises(
        NotImplementedError, match=r"no single final state: run its shots with tensorbond.run"
    ):
        tb.compile_circuit(circ)


def test_if_not_implemented():
    circ = tb.Circuit(2, num_clbits=1).h(0)
    circ.append("x", [1], condition=tb.Condition((0,), 1, "c"))
    with pytest.raises(
        tb.NotImplementedError,
        match=r"classically controlled operation 'if \(c == 1\) x' \(operation 1\)",
    ):
        tb.simulate(circ)


def test_mid_circuit_measure_not_implemented():
    circ = tb.Circuit(2, num_clbits=1).h(0).measure(0, 0).cx(0, 1)
    with pytest.raises(
        tb.NotImplementedError,
        match=r"mid-circuit measurement: qubit 0 is measured at operation 1 and then used by cx "
        r"at operation 2",
    ):
        tb.simulate(circ)


def test_final_measure_and_measuring_other_qubits_is_fine():
    circ = tb.Circuit(2, num_clbits=2).h(0).measure(0, 0).h(1).measure(1, 1)
    psi = tb.simulate(circ)
    assert psi.clbit_map == {0: 0, 1: 1}
    np.testing.assert_allclose(psi.to_dense(), np.full(4, 0.5), atol=1e-12)


def test_dynamic_qasm_features_name_the_feature(tmp_path):
    src = (
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[1];\n'
        "h q[0];\nmeasure q[0] -> c[0];\nif (c == 1) x q[1];\n"
    )
    circ = tb.Circuit.from_qasm(src)
    with pytest.raises(tb.NotImplementedError, match=r"classically controlled"):
        tb.simulate(circ)


def test_impossible_sample_request_is_a_clear_error():
    psi = tb.MPS(100)
    with pytest.raises(ValueError, match=r"shots of 100 qubits need .* GiB"):
        psi.sample(10**12, seed=1)
