"""Helpers that run the same work through quimb, the reference implementation:
our gate names as quimb's labels, our truncation policy as quimb's options.

quimb's gates are applied by label wherever quimb has the gate, so its matrices
stay independent of ours; only gates quimb lacks come from the numpy reference.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import tensorbond as tb

from . import statevector as sv

__all__ = [
    "QUIMB_LABELS",
    "apply_to_quimb",
    "quimb_dense",
    "quimb_from_file",
    "quimb_opts",
    "quimb_qasm_text",
]

#: our gate name -> quimb's label (same parameters, same matrices: checked below)
QUIMB_LABELS = {
    "id": "IDEN", "h": "H", "x": "X", "y": "Y", "z": "Z", "s": "S", "sdg": "SDG",
    "t": "T", "tdg": "TDG", "sx": "SX", "sxdg": "SXDG", "rx": "RX", "ry": "RY",
    "rz": "RZ", "p": "PHASE", "u1": "U1", "u2": "U2", "u3": "U3", "u": "U3",
    "U": "U3", "cx": "CX", "CX": "CX", "cy": "CY", "cz": "CZ", "swap": "SWAP",
    "iswap": "ISWAP", "cp": "CPHASE", "cu1": "CU1", "cphase": "CU1", "crx": "CRX",
    "cry": "CRY", "crz": "CRZ", "cu3": "CU3", "rxx": "RXX", "ryy": "RYY",
    "rzz": "RZZ", "xx_plus_yy": "XXPLUSYY", "xx_minus_yy": "XXMINUSYY",
    "ccx": "CCX", "ccz": "CCZ", "cswap": "CSWAP",
}  # fmt: skip


def quimb_opts(trunc: tb.Truncation) -> dict:
    """Our policy as CircuitMPS keywords, every option explicit."""
    return {
        "max_bond": trunc.max_bond,
        "cutoff": trunc.cutoff,
        "gate_opts": {"cutoff_mode": trunc.cutoff_mode},
    }


def quimb_dense(circ) -> np.ndarray:
    """quimb's state as a dense vector, qubit 0 most significant."""
    return np.asarray(circ.psi.to_dense()).ravel()


def apply_to_quimb(qc, ops) -> None:
    """Apply our operations to a quimb circuit: named gates by quimb's label,
    the rest (r, ch, ecr, ...) as raw matrices from the independent reference."""
    for op in ops:
        if op.kind != "gate":
            continue
        label = QUIMB_LABELS.get(op.name)
        if label is not None:
            qc.apply_gate(label, *op.params, *op.qubits)
        elif op.name == "unitary":
            qc.apply_gate_raw(op.unitary(), op.qubits)
        else:
            qc.apply_gate_raw(sv.gate(op.name, op.params), op.qubits)


def quimb_qasm_text(path: Path) -> str:
    """The file's text, with ``rzz`` defined for quimb's reader (which lacks it)
    as cx; rz; cx -- exactly exp(-i t/2 Z(x)Z), global phase included."""
    text = path.read_text()
    if re.search(r"^\s*rzz\b", text, re.MULTILINE):
        text = text.replace(
            'include "qelib1.inc";',
            'include "qelib1.inc";\ngate rzz(theta) a,b { cx a,b; rz(theta) b; cx a,b; }',
        )
    return text


def quimb_from_file(qtn, path: Path, **opts):
    """quimb's CircuitMPS of a file, gate for gate as in the file.

    quimb's reader lacks ``rzz``; rather than decompose it (which would add
    truncations the file does not have), such files are read by our parser and
    applied with quimb's native RZZ."""
    text = path.read_text()
    if not re.search(r"^\s*rzz\b", text, re.MULTILINE):
        return qtn.CircuitMPS.from_openqasm2_str(text, **opts)
    circ = tb.Circuit.from_qasm(path)
    qc = qtn.CircuitMPS(circ.num_qubits, **opts)
    apply_to_quimb(qc, circ.operations)
    return qc
