"""OpenQASM 2 reader: every language feature, every error, and QASMBench conformance."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np
import pytest

import tensorbond as tb
from _reference.paths import QASMBENCH
from tensorbond import Circuit, Condition
from tensorbond import qasm as tbqasm
from tensorbond.errors import QasmError
from tensorbond.qasm import MAX_OPERATIONS, read_qasm_source

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'  # two lines: bodies start on line 3


def parse_qasm(text: str, **kwargs: str) -> Circuit:
    """The circuit of ``text``, every operation checked again by the circuit."""
    return Circuit.from_program(tbqasm.parse_qasm(text, **kwargs))


def parse(body: str) -> Circuit:
    """Parse ``body`` after the standard two-line header."""
    return parse_qasm(HEADER + body)


def ops(circ: Circuit) -> list[tuple[str, tuple[int, ...], tuple[float, ...]]]:
    return [(op.name, op.qubits, op.params) for op in circ]


def error(text: str, **kwargs: str) -> QasmError:
    """The QasmError that parsing ``text`` raises."""
    with pytest.raises(QasmError) as info:
        parse_qasm(text, **kwargs)
    return info.value


def dense_unitary(circ: Circuit) -> np.ndarray:
    """The circuit's unitary from its operations' matrices (qubit 0 = MSB)."""
    n = circ.num_qubits
    u = np.eye(2**n, dtype=complex).reshape([2] * n + [2**n])
    for op in circ:
        if op.kind != "gate":
            continue
        k = len(op.qubits)
        t = np.moveaxis(u, op.qubits, range(k))
        shape = t.shape
        t = (op.unitary() @ t.reshape(2**k, -1)).reshape(shape)
        u = np.moveaxis(t, range(k), op.qubits)
    return u.reshape(2**n, 2**n)


def controlled(u: np.ndarray, num_controls: int) -> np.ndarray:
    dim = u.shape[0] << num_controls
    out = np.eye(dim, dtype=complex)
    out[dim - u.shape[0] :, dim - u.shape[0] :] = u
    return out


# ======================================================================= QASMBench
def _manifest() -> list[tuple[str, int, int | None]]:
    """(file, qubits, line of the expected error or None) for each manifest row."""
    path = QASMBENCH / "MANIFEST.tsv"
    if not path.is_file():
        return []
    rows = []
    with path.open(newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            m = re.search(r"invalid\(line (\d+)", row["features"])
            rows.append((row["file"], int(row["qubits"]), int(m[1]) if m else None))
    return rows


_ROWS = _manifest()


@pytest.mark.parametrize("row", _ROWS or [None], ids=[r[0] for r in _ROWS] or ["qasmbench-absent"])
def test_qasmbench(row: tuple[str, int, int | None] | None) -> None:
    if row is None:
        pytest.skip(f"QASMBench not found at {QASMBENCH}")
    name, qubits, bad_line = row
    path = QASMBENCH / name
    if bad_line is None:
        circ = tb.Circuit.from_qasm(path)
        assert circ.num_qubits == qubits
        assert len(circ) > 0
    else:
        with pytest.raises(QasmError) as info:
            tb.Circuit.from_qasm(path)
        err = info.value
        assert err.line == bad_line
        assert err.filename == str(path)
        assert re.search(r"undeclared quantum register|used twice", err.reason)


def test_qasmbench_manifest_is_complete() -> None:
    if not _ROWS:
        pytest.skip(f"QASMBench not found at {QASMBENCH}")
    assert len(_ROWS) == 121
    assert sum(r[2] is not None for r in _ROWS) == 5


# ========================================================== structure and registers
def test_registers_numbered_in_declaration_order() -> None:
    circ = parse("qreg a[2];\ncreg m[1];\nqreg b[3];\ncreg n[2];\nx a[1];\nx b[0];\nx b[2];")
    assert circ.num_qubits == 5
    assert circ.num_clbits == 3
    assert circ.qregs == {"a": (0, 2), "b": (2, 3)}
    assert circ.cregs == {"m": (0, 1), "n": (1, 2)}
    assert ops(circ) == [("x", (1,), ()), ("x", (2,), ()), ("x", (4,), ())]


def test_header_and_include_are_optional() -> None:
    circ = parse_qasm("qreg q[1]; h q[0];")
    assert ops(circ) == [("h", (0,), ())]


def test_header_version_two_without_minor() -> None:
    assert parse_qasm("OPENQASM 2; qreg q[1];").num_qubits == 1


def test_comments_are_ignored_and_positions_kept() -> None:
    text = (
        "// line comment; h q[0];\n"
        "qreg q[2]; /* block\n"
        "comment h q[0]; */ x q[1]; // trailing\n"
        "/**/cx q[0],q[1];\n"
        "bad q[0];"
    )
    err = error(text)
    assert (err.line, err.column) == (5, 1)
    circ = parse_qasm(text.rsplit("\n", 1)[0])
    assert ops(circ) == [("x", (1,), ()), ("cx", (0, 1), ())]


def test_crlf_newlines_count_lines() -> None:
    err = error("qreg q[1];\r\nh q[0];\r\nfoo q[0];\r\n")
    assert (err.line, err.column) == (3, 1)


def test_u_and_cx_primitives() -> None:
    circ = parse_qasm("qreg q[2]; U(pi/2, 0, pi) q[0]; CX q[0], q[1];")
    assert ops(circ) == [("U", (0,), (math.pi / 2, 0.0, math.pi)), ("CX", (0, 1), ())]


def test_empty_parameter_list_is_accepted() -> None:
    assert ops(parse("qreg q[1];\nh() q[0];")) == [("h", (0,), ())]


@pytest.mark.parametrize(
    "name", ["swap", "rzz", "sx", "ecr", "rzx", "rxx", "ryy", "cp", "iswap", "csx"]
)
def test_builtin_gate_names(name: str) -> None:
    spec = tb.GATES[name]
    params = ",".join(["0.25"] * spec.num_params)
    args = ",".join(f"q[{i}]" for i in range(spec.num_qubits))
    circ = parse(f"qreg q[3];\n{name}({params}) {args};")
    assert ops(circ) == [(name, tuple(range(spec.num_qubits)), (0.25,) * spec.num_params)]


# ===================================================================== expressions
@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("pi", math.pi),
        ("1e-3", 1e-3),
        (".5", 0.5),
        ("2.", 2.0),
        ("1.5E+2", 150.0),
        ("2+3*4", 14.0),
        ("(2+3)*4", 20.0),
        ("8-2-1", 5.0),
        ("1/2/2", 0.25),
        ("2^3^2", 512.0),
        ("(2^3)^2", 64.0),
        ("-2^2", -4.0),
        ("2^-1", 0.5),
        ("2*-3", -6.0),
        ("--1", 1.0),
        ("+1", 1.0),
        ("-pi/2", -math.pi / 2),
        ("3*pi/4", 3 * math.pi / 4),
        ("pi/2^2", math.pi / 4),
        ("sin(pi/2)", math.sin(math.pi / 2)),
        ("cos(0)", 1.0),
        ("tan(pi/4)", math.tan(math.pi / 4)),
        ("exp(1)", math.e),
        ("ln(exp(2))", math.log(math.exp(2))),
        ("sqrt(2)/2", math.sqrt(2) / 2),
        ("asin(1)", math.pi / 2),
        ("acos(-1)", math.pi),
        ("atan(1)*4", math.pi),
        ("2*(1+(3-1)*2)", 10.0),
    ],
)
def test_expression_values(expr: str, value: float) -> None:
    circ = parse(f"qreg q[1];\nrz({expr}) q[0];")
    assert circ.operations[0].params == (value,)


def test_expressions_with_gate_parameters() -> None:
    circ = parse(
        "qreg q[1];\ngate g(a, b) x { u3(a*b, -a^2, sin(b)/2) x; rz(2^a^b) x; }\ng(2, 0.5) q[0];"
    )
    assert ops(circ) == [
        ("u3", (0,), (1.0, -4.0, math.sin(0.5) / 2)),
        ("rz", (0,), (2**2**0.5,)),
    ]


# =================================================================== broadcasting
def test_broadcast_single_qubit_gate_over_register() -> None:
    circ = parse("qreg q[3];\nh q;")
    assert ops(circ) == [("h", (i,), ()) for i in range(3)]


def test_broadcast_two_registers_pair_elementwise() -> None:
    circ = parse("qreg a[2];\nqreg b[2];\ncx a, b;")
    assert ops(circ) == [("cx", (0, 2), ()), ("cx", (1, 3), ())]


def test_broadcast_single_qubit_repeats_against_register() -> None:
    circ = parse("qreg a[1];\nqreg b[3];\ncx a[0], b;\ncrz(0.5) b, a[0];")
    assert ops(circ) == [
        ("cx", (0, 1), ()),
        ("cx", (0, 2), ()),
        ("cx", (0, 3), ()),
        ("crz", (1, 0), (0.5,)),
        ("crz", (2, 0), (0.5,)),
        ("crz", (3, 0), (0.5,)),
    ]


def test_broadcast_user_gate() -> None:
    circ = parse("qreg q[2];\nqreg r[1];\ngate g a,b { cx a,b; h b; }\ng q, r[0];")
    assert ops(circ) == [
        ("cx", (0, 2), ()),
        ("h", (2,), ()),
        ("cx", (1, 2), ()),
        ("h", (2,), ()),
    ]


def test_broadcast_size_mismatch() -> None:
    err = error("qreg a[2];\nqreg b[3];\ncx a, b;")
    assert (err.line, err.column) == (3, 7)
    assert "'a' has 2, 'b' has 3" in err.reason


def test_broadcast_register_with_itself_is_rejected() -> None:
    err = error("qreg q[2];\ncx q, q;")
    assert (err.line, err.column) == (2, 7)
    assert err.reason == "qubit q[0] used twice in cx"


def test_broadcast_register_overlapping_single_qubit() -> None:
    err = error("qreg q[3];\ncx q[1], q;")
    assert (err.line, err.column) == (2, 10)
    assert err.reason == "qubit q[1] used twice in cx"


# ====================================================================== gate defs
def test_nested_gate_definitions_with_parameters() -> None:
    circ = parse(
        "qreg q[2];\n"
        "gate rot(a, b) x { rz(a) x; ry(b/2) x; }\n"
        "gate two(t) x, y { rot(t, 2*t) x; cx x, y; rot(-t, t^2) y; }\n"
        "two(0.5) q[1], q[0];"
    )
    assert ops(circ) == [
        ("rz", (1,), (0.5,)),
        ("ry", (1,), (0.5,)),
        ("cx", (1, 0), ()),
        ("rz", (0,), (-0.5,)),
        ("ry", (0,), (0.125,)),
    ]


def test_gate_definition_without_parameters_and_empty_body() -> None:
    circ = parse(
        "qreg q[2];\ngate nothing a { }\ngate g() a, b { CX a, b; }\nnothing q[0];\ng q[0], q[1];"
    )
    assert ops(circ) == [("CX", (0, 1), ())]


def test_barrier_inside_gate_body() -> None:
    circ = parse("qreg q[3];\ngate g a, b { h a; barrier a, b; cx a, b; }\ng q[2], q[0];")
    assert [(op.kind, op.qubits) for op in circ] == [
        ("gate", (2,)),
        ("barrier", (2, 0)),
        ("gate", (2, 0)),
    ]


def test_file_definition_overrides_builtin() -> None:
    circ = parse(
        "qreg q[2];\nrzz(0.5) q[0], q[1];\n"
        "gate rzz(t) a, b { cx a, b; u1(t) b; cx a, b; }\n"
        "rzz(0.5) q[0], q[1];"
    )
    assert ops(circ) == [
        ("rzz", (0, 1), (0.5,)),  # before the definition: the built-in
        ("cx", (0, 1), ()),
        ("u1", (1,), (0.5,)),
        ("cx", (0, 1), ()),
    ]


def test_redefinition_that_ignores_its_parameter() -> None:
    # as QASMBench's dnn/qugan files do: the file's body is what is applied
    circ = parse("qreg q[2];\ngate ryy(param0) q0,q1 { rz(4.0860617) q1; }\nryy(0.1) q[0], q[1];")
    assert ops(circ) == [("rz", (1,), (4.0860617,))]


def test_body_uses_builtin_when_redefining_it() -> None:
    circ = parse("qreg q[2];\ngate cx a, b { h b; cx a, b; h b; }\ncx q[0], q[1];")
    assert ops(circ) == [("h", (1,), ()), ("cx", (0, 1), ()), ("h", (1,), ())]


@pytest.mark.parametrize(
    ("name", "n", "target"),
    [
        ("c3x", 4, controlled(np.array([[0, 1], [1, 0]], dtype=complex), 3)),
        ("c3sqrtx", 4, controlled(tb.gate_matrix("sx"), 3)),
        ("c4x", 5, controlled(np.array([[0, 1], [1, 0]], dtype=complex), 4)),
    ],
)
def test_qelib1_multi_controlled_gates_are_exact(name: str, n: int, target: np.ndarray) -> None:
    args = ",".join(f"q[{i}]" for i in range(n))
    circ = parse(f"qreg q[{n}];\n{name} {args};")
    np.testing.assert_allclose(dense_unitary(circ), target, rtol=0, atol=1e-12)


def test_qelib1_rc3x_and_u0() -> None:
    circ = parse("qreg q[4];\nrc3x q[0],q[1],q[2],q[3];")
    x = np.array([[0, 1], [1, 0]], dtype=complex)
    u = dense_unitary(circ)
    # relative-phase Toffoli: C3X up to phases
    np.testing.assert_allclose(np.abs(u), controlled(x, 3).real, rtol=0, atol=1e-12)
    assert ops(parse("qreg q[1];\nu0(0.3) q[0];")) == [("id", (0,), ())]


# ================================================================ measure, reset, if
def test_measure_and_reset() -> None:
    circ = parse(
        "qreg q[2];\ncreg c[2];\ncreg d[1];\n"
        "measure q[1] -> d[0];\nmeasure q -> c;\nreset q[0];\nreset q;"
    )
    got = [(op.kind, op.qubits, op.clbits) for op in circ]
    assert got == [
        ("measure", (1,), (2,)),
        ("measure", (0,), (0,)),
        ("measure", (1,), (1,)),
        ("reset", (0,), ()),
        ("reset", (0,), ()),
        ("reset", (1,), ()),
    ]


def test_barrier_records_all_qubits() -> None:
    circ = parse("qreg q[2];\nqreg r[2];\nbarrier q, r[1];\nbarrier q[0], q;")
    assert [(op.kind, op.qubits) for op in circ] == [
        ("barrier", (0, 1, 3)),
        ("barrier", (0, 1)),
    ]


def test_if_condition_recorded() -> None:
    circ = parse(
        "qreg q[2];\ncreg a[1];\ncreg c[3];\n"
        "if (c == 5) x q[0];\nif(c==0) cx q[0], q[1];\nif (a==1) h q;"
    )
    c = Condition(clbits=(1, 2, 3), value=5, register="c")
    assert [(op.name, op.qubits, op.condition) for op in circ] == [
        ("x", (0,), c),
        ("cx", (0, 1), Condition(clbits=(1, 2, 3), value=0, register="c")),
        ("h", (0,), Condition(clbits=(0,), value=1, register="a")),
        ("h", (1,), Condition(clbits=(0,), value=1, register="a")),
    ]


def test_if_applies_to_every_expanded_gate() -> None:
    circ = parse("qreg q[2];\ncreg c[1];\ngate g a, b { h a; cx a, b; }\nif (c == 1) g q[1], q[0];")
    cond = Condition(clbits=(0,), value=1, register="c")
    assert [(op.name, op.qubits, op.condition) for op in circ] == [
        ("h", (1,), cond),
        ("cx", (1, 0), cond),
    ]


def test_if_measure_and_reset() -> None:
    circ = parse("qreg q[2];\ncreg c[2];\nif (c == 2) measure q[1] -> c[0];\nif (c == 3) reset q;")
    got = [(op.kind, op.qubits, op.clbits, op.condition) for op in circ]
    assert got == [
        ("measure", (1,), (0,), Condition((0, 1), 2, "c")),
        ("reset", (0,), (), Condition((0, 1), 3, "c")),
        ("reset", (1,), (), Condition((0, 1), 3, "c")),
    ]


# ========================================================================= opaque
def test_opaque_declaration_is_accepted() -> None:
    circ = parse("qreg q[1];\nopaque mystery(a, b) x, y;\nh q[0];")
    assert ops(circ) == [("h", (0,), ())]


def test_applying_opaque_gate_is_an_error() -> None:
    err = error(HEADER + "qreg q[2];\nopaque mystery(a) x, y;\nmystery(0.1) q[0], q[1];")
    assert (err.line, err.column) == (5, 1)
    assert "'mystery' is opaque" in err.reason


def test_opaque_inside_gate_body_fails_when_applied() -> None:
    text = "qreg q[1];\nopaque o x;\ngate g a { h a; o a; }\nh q[0];\n"
    assert len(parse(text)) == 1  # defining g is fine
    err = error(HEADER + text + "g q[0];")
    assert (err.line, err.column) == (7, 1)
    assert "opaque gate 'o'" in err.reason


def test_opaque_declaration_of_builtin_keeps_builtin() -> None:
    circ = parse("qreg q[2];\nopaque rzz(t) a, b;\nrzz(0.5) q[0], q[1];")
    assert ops(circ) == [("rzz", (0, 1), (0.5,))]


def test_opaque_delay_is_the_identity() -> None:
    qiskit = pytest.importorskip("qiskit")
    from qiskit import qasm2

    qc = qiskit.QuantumCircuit(2)
    qc.h(0)
    qc.delay(100, 0)
    qc.delay(50, 1, unit="ns")  # another unit: qiskit names it delay_<id>
    qc.cx(0, 1)
    qc.delay(10, [0, 1])
    text = qasm2.dumps(qc)
    assert "opaque delay(param0) q0;" in text and "delay(100.0) q[0];" in text
    assert ops(parse_qasm(text)) == [("h", (0,), ()), ("cx", (0, 1), ())]
    # by hand: broadcast, and inside a gate body
    circ = parse(
        "qreg q[2];\nopaque delay(t) a;\ngate g a { delay(5) a; x a; }\ndelay(1) q;\ng q[1];"
    )
    assert ops(circ) == [("x", (1,), ())]
    err = error(HEADER + "qreg q[1];\nopaque delay(t) a;\ndelay q[0];")
    assert "takes 1 parameter(s), got 0" in err.reason


# ======================================================================== include
def test_include_relative_to_including_file(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "mine.inc").write_text("gate bell a, b { h a; cx a, b; }\n")
    main = tmp_path / "main.qasm"
    main.write_text(HEADER + 'include "lib/mine.inc";\nqreg q[2];\nbell q[0], q[1];\n')
    circ = tb.Circuit.from_qasm(main)
    assert ops(circ) == [("h", (0,), ()), ("cx", (0, 1), ())]
    circ = tb.Circuit.from_qasm(str(main))
    assert len(circ) == 2


def test_include_missing_file(tmp_path: Path) -> None:
    main = tmp_path / "main.qasm"
    main.write_text('qreg q[1];\ninclude "nothere.inc";\n')
    with pytest.raises(QasmError, match=r"cannot find include file 'nothere\.inc'") as info:
        tb.Circuit.from_qasm(main)
    err = info.value
    assert (err.filename, err.line, err.column) == (str(main), 2, 9)


def test_error_inside_included_file_names_it(tmp_path: Path) -> None:
    inc = tmp_path / "bad.inc"
    inc.write_text("gate g a {\n  h a;\n  nope a;\n}\n")
    main = tmp_path / "main.qasm"
    main.write_text('include "bad.inc";\nqreg q[1];\n')
    with pytest.raises(QasmError, match="unknown gate 'nope'") as info:
        tb.Circuit.from_qasm(main)
    assert (info.value.filename, info.value.line, info.value.column) == (str(inc), 3, 3)


def test_recursive_include(tmp_path: Path) -> None:
    (tmp_path / "a.inc").write_text('include "b.inc";\n')
    (tmp_path / "b.inc").write_text('include "a.inc";\n')
    main = tmp_path / "main.qasm"
    main.write_text('include "a.inc";\nqreg q[1];\n')
    with pytest.raises(QasmError, match="includes itself"):
        tb.Circuit.from_qasm(main)


# ================================================================ reading a source
def test_read_qasm_source(tmp_path: Path) -> None:
    path = tmp_path / "c.qasm"
    path.write_text("qreg q[1];\r\nh q[0];\r\n")
    assert read_qasm_source(path) == ("qreg q[1];\nh q[0];\n", str(path))
    assert read_qasm_source(str(path)) == ("qreg q[1];\nh q[0];\n", str(path))
    assert read_qasm_source("qreg q[1];") == ("qreg q[1];", "<string>")
    assert read_qasm_source("OPENQASM 2.0") == ("OPENQASM 2.0", "<string>")
    with pytest.raises(FileNotFoundError, match=r"missing\.qasm"):
        read_qasm_source(str(tmp_path / "missing.qasm"))
    with pytest.raises(FileNotFoundError):
        read_qasm_source(tmp_path / "missing.qasm")
    with pytest.raises(TypeError):
        read_qasm_source(3)  # type: ignore[arg-type]


def test_from_qasm_text_and_non_utf8_file(tmp_path: Path) -> None:
    circ = tb.Circuit.from_qasm("OPENQASM 2.0;\nqreg q[1];\nx q[0];")
    assert ops(circ) == [("x", (0,), ())]
    path = tmp_path / "latin1.qasm"
    path.write_bytes(b"qreg q[1];\n// caf\xe9\n")
    with pytest.raises(QasmError, match="not UTF-8") as info:
        tb.Circuit.from_qasm(path)
    assert info.value.line == 2


# ========================================================================== errors
@pytest.mark.parametrize(
    ("body", "message", "line", "column"),
    [
        # syntax
        ("qreg q[2];\nh q[0]\nx q[1];", r"expected ',' or ';' .*'h', got 'x'", 5, 1),
        ("qreg q[2];\nh q[0]", r"expected ',' or ';' .* got end of input", 4, 7),
        ("qreg q[2];\nrz(pi q[0];", r"expected ',' or '\)' .*'rz', got 'q'", 4, 7),
        ("qreg q[2];\nrz(1+) q[0];", r"expected a number, 'pi', a function", 4, 6),
        ("qreg q[2];\nrz((1 q[0];", r"expected '\)' in expression, got 'q'", 4, 7),
        ("qreg q[2];\nh q[0]; @", r"expected a statement, got '@'", 4, 9),
        ("qreg q[2];\nh q[0];\n}", r"unexpected '}' outside a gate body", 5, 1),
        ("qreg q[2];\nbarrier;", r"expected a qubit", 4, 8),
        ("qreg q[2];\nmeasure q[0];", r"expected '->' after 'measure q\[0\]'", 4, 13),
        ("qreg q[2];\nh q[a];", r"expected an index", 4, 5),
        ("qreg q[2];\nh q[1.5];", r"expected an index", 4, 5),
        ("qreg q[2];\nh q[1;", r"expected '\]'", 4, 6),
        ("qreg q[2.5];", r"expected a register size", 3, 8),
        ("qreg q[2]", r"expected ';' after 'qreg q\[2\]'", 3, 10),
        (
            "qreg q[2];\ninclude qelib1.inc;",
            r"expected a file name in double quotes",
            4,
            9,
        ),
        ("qreg q[1];\nOPENQASM 2.0;", r"header must be the first statement", 4, 1),
        # names and declarations
        ("qreg q[2];\nfoo q[0];", r"^unknown gate 'foo'$", 4, 1),
        ("qreg q[2];\nq q[0];", r"unknown gate 'q' \('q' is a register", 4, 1),
        ("qreg q[2];\nh r[0];", r"undeclared quantum register 'r'", 4, 3),
        ("qreg q[2];\ncreg c[2];\nh c[0];", r"'c' is a classical register", 5, 3),
        (
            "qreg q[2];\nqreg q[3];",
            r"register 'q' is already declared \(line 3\)",
            4,
            6,
        ),
        ("qreg q[2];\ncreg q[3];", r"register 'q' is already declared", 4, 6),
        ("qreg q[0];", r"register 'q' has size 0", 3, 8),
        ("qreg q[99999999];", r"more than the limit", 3, 8),
        ("qreg gate[2];", r"'gate' is a keyword", 3, 6),
        ("creg c[1];", r"declares no qubits", 3, 11),
        # indices, arity, repeated qubits
        (
            "qreg q[2];\nh q[2];",
            r"index 2 out of range for register 'q' of size 2",
            4,
            5,
        ),
        ("qreg q[2];\ncx q[1], q[1];", r"^qubit q\[1\] used twice in cx$", 4, 10),
        ("qreg q[3];\nccx q[0], q[1], q[0];", r"qubit q\[0\] used twice in ccx", 4, 17),
        ("qreg q[2];\nrz q[0];", r"gate 'rz' takes 1 parameter\(s\), got 0", 4, 1),
        ("qreg q[2];\nrz(1,2) q[0];", r"gate 'rz' takes 1 parameter\(s\), got 2", 4, 1),
        ("qreg q[2];\ncx q[0];", r"gate 'cx' acts on 2 qubit\(s\), got 1", 4, 1),
        ("qreg q[2];\nU(0,0) q[0];", r"gate 'U' takes 3 parameter", 4, 1),
        # expressions
        (
            "qreg q[2];\nrz(1/0) q[0];",
            r"cannot evaluate 1.0 / 0.0: float division",
            4,
            5,
        ),
        ("qreg q[2];\nrz(sqrt(-1)) q[0];", r"cannot evaluate sqrt\(-1.0\)", 4, 4),
        ("qreg q[2];\nrz(ln(0)) q[0];", r"cannot evaluate ln\(0.0\)", 4, 4),
        ("qreg q[2];\nrz((-8)^(1/3)) q[0];", r"cannot evaluate -8.0 \^", 4, 8),
        ("qreg q[2];\nrz(10^400) q[0];", r"cannot evaluate 10.0 \^ 400.0", 4, 6),
        ("qreg q[2];\nrz(1e400) q[0];", r"parameter of 'rz' is not finite", 4, 4),
        ("qreg q[2];\nrz(1e300*1e300) q[0];", r"not finite \(inf\)", 4, 4),
        ("qreg q[2];\nrz(theta) q[0];", r"unknown identifier 'theta'", 4, 4),
        ("qreg q[2];\nrz(inf) q[0];", r"unknown identifier 'inf'", 4, 4),
        # measure, if
        (
            "qreg q[2];\ncreg c[2];\nmeasure q -> c[0];",
            r"a register is measured",
            5,
            14,
        ),
        ("qreg q[2];\ncreg c[3];\nmeasure q -> c;", r"sizes differ", 5, 14),
        (
            "qreg q[2];\nmeasure q[0] -> c[0];",
            r"undeclared classical register 'c'",
            4,
            17,
        ),
        ("qreg q[2];\ncreg c[2];\nmeasure q[0] -> q[1];", r"'q' is a quantum", 5, 17),
        ("qreg q[2];\ncreg c[2];\nif (c == 4) x q[0];", r"value 4 does not fit", 5, 10),
        (
            "qreg q[2];\ncreg c[2];\nif (c = 1) x q[0];",
            r"expected '==' after 'if \(c'",
            5,
            7,
        ),
        (
            "qreg q[2];\ncreg c[2];\nif (c[0] == 1) x q[0];",
            r"whole classical register",
            5,
            6,
        ),
        ("qreg q[2];\nif (q == 1) x q[0];", r"'q' is a quantum register", 4, 5),
        (
            "qreg q[2];\ncreg c[2];\nif (c == 1) barrier q;",
            r"expected a gate, 'measure'",
            5,
            13,
        ),
        (
            "qreg q[2];\ncreg c[2];\nif (c == 1) bogus q;",
            r"unknown gate 'bogus'",
            5,
            13,
        ),
        # gate definitions
        ("qreg q[2];\ngate g a {\n h a;\n", r"unterminated body of gate 'g'", 4, 10),
        (
            "qreg q[2];\ngate g a {\n h a;\nqreg r[1];",
            r"expected '}' to close .*'g'",
            6,
            1,
        ),
        (
            "gate g a { measure a -> c[0]; }",
            r"'measure' is not allowed inside a gate",
            3,
            12,
        ),
        ("gate g(t) a { rz(s) a; }", r"'s' is not a parameter of gate 'g'", 3, 18),
        ("gate g a, b { cx a, a; }", r"qubit 'a' used twice in cx", 3, 21),
        ("gate g a { foo a; }", r"unknown gate 'foo' in the body of gate 'g'", 3, 12),
        ("gate g a { g a; }", r"gate 'g' cannot apply itself", 3, 12),
        ("gate g a { h b; }", r"'b' is not a qubit argument of gate 'g'", 3, 14),
        ("gate g a { h a[0]; }", r"cannot be indexed inside a gate body", 3, 15),
        ("gate g a { rz a; }", r"gate 'rz' takes 1 parameter", 3, 12),
        ("gate g a { cx a; }", r"gate 'cx' acts on 2 qubit", 3, 12),
        (
            "gate g a, a { h a; }",
            r"qubit argument 'a' of gate 'g' is listed twice",
            3,
            11,
        ),
        (
            "gate g(t, t) a { h a; }",
            r"parameter 't' of gate 'g' is listed twice",
            3,
            11,
        ),
        ("gate g(t) t { h t; }", r"'t' is both a parameter and a qubit", 3, 11),
        ("gate g(pi) a { h a; }", r"'pi' is a constant", 3, 8),
        ("gate g a h a; }", r"expected '\{' to open the body of gate 'g'", 3, 10),
        (
            "gate g a { x a; }\ngate g a { x a; }",
            r"gate 'g' is already defined \(line 3\)",
            4,
            6,
        ),
        ("gate CX a, b { }", r"'CX' is a built-in primitive", 3, 6),
        ("gate if a { }", r"'if' is a keyword", 3, 6),
        ("opaque o a;\ngate o a { }", r"gate 'o' is already defined", 4, 6),
        ("opaque o a", r"expected ';' after the declaration of opaque gate 'o'", 3, 11),
    ],
)
def test_errors(body: str, message: str, line: int, column: int) -> None:
    err = error(HEADER + body)
    assert re.search(message, err.reason), err.reason
    assert (err.filename, err.line, err.column) == ("<string>", line, column)
    assert str(err).startswith(f"<string>:{line}:{column}: ")


def test_error_filename_is_reported() -> None:
    err = error("qreg q[1];\nfoo q[0];", filename="prog.qasm")
    assert (err.filename, err.line, err.column) == ("prog.qasm", 2, 1)
    assert str(err) == "prog.qasm:2:1: unknown gate 'foo'"


def test_errors_with_the_usual_message_match() -> None:
    with pytest.raises(QasmError, match=r"qubit q\[1\] used twice in cx"):
        parse("qreg q[2];\ncx q[1], q[1];")
    with pytest.raises(QasmError, match="unknown gate 'foo'"):
        parse("qreg q[2];\nfoo q[0];")


def test_unsupported_version() -> None:
    err = error("OPENQASM 4.0;\nqreg q[1];")
    assert (err.line, err.column) == (1, 10)
    assert "unsupported OpenQASM version 4.0" in err.reason


def test_unterminated_block_comment() -> None:
    err = error("qreg q[1];\nh q[0]; /* never\nclosed")
    assert (err.line, err.column) == (2, 9)
    assert "unterminated comment" in err.reason


def test_empty_program() -> None:
    err = error("")
    assert (err.line, err.column) == (1, 1)
    assert "declares no qubits" in err.reason


def test_error_in_gate_parameter_evaluation_points_at_call() -> None:
    err = error(HEADER + "qreg q[1];\ngate g(t) a { rz(1/t) a; }\ng(0) q[0];")
    assert (err.line, err.column) == (5, 1)
    assert "cannot evaluate a parameter of 'rz' in gate 'g'" in err.reason


def test_deeply_nested_expression_is_an_error_not_a_crash() -> None:
    depth = 5000
    err = error(f"qreg q[1];\nrz({'(' * depth}1{')' * depth}) q[0];")
    assert "nested too deeply" in err.reason
    err = error(f"qreg q[1];\nrz({'-' * depth}1) q[0];")
    assert "nested too deeply" in err.reason


def test_exponential_gate_expansion_is_refused() -> None:
    lines = ["qreg q[1];", "gate g0 a { x a; x a; }"]
    lines += [f"gate g{k} a {{ g{k - 1} a; g{k - 1} a; }}" for k in range(1, 40)]
    err = error("\n".join(lines))
    assert f"more than the limit of {MAX_OPERATIONS:,}" in err.reason


def test_expansion_limit_names_the_limit_and_the_count() -> None:
    assert MAX_OPERATIONS == 10_000_000
    # a definition past the limit (2^24 operations) is refused where it is defined
    lines = ["qreg q[20];", "gate g0 a { x a; }"]
    lines += [f"gate g{k} a {{ g{k - 1} a; g{k - 1} a; }}" for k in range(1, 25)]
    err = error("\n".join(lines))
    assert (err.line, err.column) == (26, 6)
    assert err.reason == (
        "gate 'g24' expands to 16,777,216 operations, more than the limit of "
        "10,000,000 (tensorbond.qasm.MAX_OPERATIONS)"
    )
    # applications that add up past it are refused at the one that crosses it
    lines = [*lines[:22], "h q[0];", "g20 q[0];", "g20 q;"]  # 1 + 2^20 + 20 * 2^20
    err = error("\n".join(lines))
    assert (err.line, err.column) == (25, 1)
    assert err.reason == (
        "this statement expands to 20,971,520 operations, which after the "
        "1,048,577 before it is more than the limit of 10,000,000 "
        "(tensorbond.qasm.MAX_OPERATIONS)"
    )


def test_deep_gate_nesting_is_refused_not_a_crash() -> None:
    lines = ["qreg q[1];", "gate g0 a { x a; }"]
    lines += [f"gate g{k} a {{ g{k - 1} a; }}" for k in range(1, 400)]
    err = error("\n".join(lines))
    assert "nests gate definitions more than" in err.reason


_SAMPLE = (
    HEADER
    + """qreg q[3];
creg c[3];
gate g(t, u) a, b { rz(t*u/2) a; cx a, b; barrier a; }
opaque o a;
h q; cx q[0], q[1];
g(pi/2, -0.5e-1) q[2], q[0];
/* c */ measure q -> c; // end
if (c == 3) reset q[1];
barrier q;
"""
)


def test_sample_program_parses() -> None:
    circ = parse_qasm(_SAMPLE)
    assert circ.num_qubits == 3
    assert len(circ) == 12
    assert circ.operations[4].params == (math.pi / 2 * -0.5e-1 / 2,)


_NESTED = (
    HEADER
    + """qreg q[3];
qreg r[2];
creg c[2];
opaque delay(t) a;
gate g0(t) a, b { rz(t/2) a; delay(t) b; cx a, b; u3(t, -t^2, sin(t)) b; }
gate g1(t) a, b { g0(t*2) a, b; barrier a, b; g0(t+1) b, a; }
gate g2(t) a, b, c { g1(t) a, b; g1(-t) b, c; g1(t) a, b; }
gate g3(t) a, b, c { g2(t) a, b, c; g2(t) c, b, a; g2(t) a, b, c; rzz(pi/t) c, a; }
g3(0.25) q[0], q[1], q[2];
g3(0.25) q[0], q[1], q[2];
g3(0.5) q[2], q[1], q[0];
measure q[0] -> c[0];
if (c == 1) g3(0.25) q[0], q[1], q[2];
g1(0.1) r[0], q;
"""
)


def test_operations_are_what_circuit_append_makes() -> None:
    """The parser makes the Operations itself (each validated as it is read):
    they equal, field for field, what the Circuit API makes of them."""
    circ = parse_qasm(_NESTED)
    again = Circuit(circ.num_qubits, num_clbits=circ.num_clbits)
    for op in circ:
        if op.kind == "gate":
            again.append(op.name, op.qubits, op.params, condition=op.condition)
        elif op.kind == "measure":
            again.measure(op.qubits[0], op.clbits[0])
        else:
            again.barrier(*op.qubits)
    g1 = 2 * 3 + 1  # g0 is 3 operations: its delay is none
    g3 = 3 * 3 * g1 + 1
    assert len(circ) == 3 * g3 + 1 + g3 + 3 * g1
    assert [repr(op) for op in again] == [repr(op) for op in circ.operations]
    assert all(type(v) is float for op in circ for v in op.params)
    assert {op.condition for op in circ if op.kind == "gate"} == {None, Condition((0, 1), 1, "c")}


def test_compiled_expansion_equals_interpreted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gate bodies run as generated code with memoized big calls; the plain
    interpreter (bodies too long to compile) gives the same operations."""
    import tensorbond.qasm.qasm2 as qasm_module

    fast = parse_qasm(_NESTED).operations
    monkeypatch.setattr(qasm_module, "_MAX_COMPILED_BODY", -1)
    monkeypatch.setattr(qasm_module, "_BUILTINS", None)  # qelib1 gates compiled too
    slow = parse_qasm(_NESTED).operations
    assert [repr(op) for op in fast] == [repr(op) for op in slow]


def test_errors_in_compiled_gates_keep_their_messages() -> None:
    text = "qreg q[1];\ngate g(t) a { rz(1/t) a; }\ngate h2(t) a { g(t) a; }\nh2(0) q[0];"
    err = error(HEADER + text)
    assert (err.line, err.column) == (6, 1)
    assert "cannot evaluate a parameter of 'rz' in gate 'g'" in err.reason
    err = error(HEADER + "qreg q[1];\ngate g(t) a { rz(t^t) a; }\ng(1000) q[0];")
    assert "cannot evaluate" in err.reason
    err = error(HEADER + "qreg q[1];\ngate g(t) a { rz(1e999) a; }\ng(1) q[0];")
    assert "is not finite (inf)" in err.reason
    deep = "+".join(["t"] * 100)  # deeper than compiled expressions go
    circ = parse(f"qreg q[1];\ngate g(t) a {{ rz({deep}) a; }}\ng(0.001) q[0];")
    assert circ.operations[0].params[0] == pytest.approx(0.1)


@pytest.mark.parametrize("seed", range(4))
def test_mutated_programs_raise_only_qasm_errors(seed: int) -> None:
    """Deleting, duplicating or inserting characters never crashes or hangs."""
    rng = np.random.default_rng(seed)
    inserts = [*'q[]();,{}->=+-*/^."\n 09_', "pi", "gate", "if", "/*", "//"]
    errors = []
    for _ in range(150):
        chars = list(_SAMPLE)
        for _ in range(int(rng.integers(1, 4))):
            pos = int(rng.integers(0, len(chars)))
            kind = rng.integers(0, 3)
            if kind == 0:
                del chars[pos]
            elif kind == 1:
                chars.insert(pos, chars[pos])
            else:
                chars.insert(pos, inserts[int(rng.integers(0, len(inserts)))])
        try:
            parse_qasm("".join(chars))
        except QasmError as err:
            errors.append(err)
    assert errors  # most mutations break the program
    assert all(err.line >= 1 and err.column >= 1 for err in errors)
