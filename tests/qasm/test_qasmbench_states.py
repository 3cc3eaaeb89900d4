"""Every small, valid, static QASMBench circuit against the dense reference."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import tensorbond as tb
from _reference import statevector as sv
from _reference.paths import SHARED

pytestmark = pytest.mark.usefixtures("single_blas_thread")

QASMBENCH = SHARED / "qasmbench"
MAX_QUBITS = 20
DYNAMIC = ("reset", "if", "mid-measure")
#: files whose dense reference takes more than ~10 s
SLOW: set[str] = set()


def _rows() -> list[dict[str, str]]:
    manifest = QASMBENCH / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _static_small(row: dict[str, str]) -> bool:
    feats = row["features"].split(",")
    return (
        int(row["qubits"]) <= MAX_QUBITS
        and not any(f.startswith("invalid") for f in feats)
        and not any(f in DYNAMIC for f in feats)
    )


ROWS = _rows()
FILES = [r["file"] for r in ROWS if _static_small(r)]
PARAMS = [pytest.param(f, marks=pytest.mark.slow) if f in SLOW else f for f in FILES]


def test_manifest_selection(shared):
    assert ROWS, "QASMBench manifest is empty"
    assert len(FILES) >= 30
    # the exclusions the manifest asks for
    assert "small/hhl_n10.qasm" not in FILES  # invalid
    assert "small/ipea_n2.qasm" not in FILES  # reset, if, mid-measure
    assert "medium/qft_n18.qasm" in FILES


@pytest.mark.parametrize("file", PARAMS or ["<no manifest>"])
def test_qasmbench_state_matches_dense(file, shared):
    path = QASMBENCH / file
    circ = tb.Circuit.from_qasm(path)
    row = next(r for r in ROWS if r["file"] == file)
    n = circ.num_qubits
    assert n == int(row["qubits"])
    kinds = {op.kind for op in circ.operations}
    assert kinds <= {"gate", "barrier", "measure"}
    # the reference reads gates by name with its own matrices
    unknown = (
        {op.name for op in circ.operations if op.kind == "gate"} - set(sv.GATE_DEFS) - {"unitary"}
    )
    assert not unknown, f"parsed gates the reference does not know: {unknown}"
    ref = sv.simulate_ops(n, circ.operations)
    # drop only numerical noise (singular values below 1e-14): exact to far
    # below the tolerance, and bonds stay at their true rank
    psi = tb.simulate(circ, max_bond=None, cutoff=1e-14, cutoff_mode="abs")
    assert psi.fidelity_estimate >= 1 - 1e-20
    np.testing.assert_allclose(psi.to_dense(), ref, rtol=1e-10, atol=1e-12)
    assert psi.norm() == pytest.approx(1.0, abs=1e-10)
    if n <= 12:  # small enough to keep every singular value
        exact = tb.simulate(circ, max_bond=None, cutoff=0.0)
        assert exact.fidelity_estimate == 1.0
        np.testing.assert_allclose(exact.to_dense(), ref, rtol=1e-10, atol=1e-12)
