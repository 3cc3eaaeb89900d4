"""A circuit's global phase reaches the state: amplitudes equal qiskit's exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorbond as tb
from tensorbond.sim.examples import brick


def test_phase_of_a_one_qubit_circuit() -> None:
    psi = tb.simulate(tb.Circuit(1, global_phase=math.pi / 2).x(0))
    assert psi.amplitude("1") == pytest.approx(1j, abs=1e-15)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_phase_multiplies_the_dense_state(dtype: str) -> None:
    circ = brick(6, 4, seed=2)
    plain = tb.simulate(circ, dtype=dtype).to_dense()
    circ.global_phase = 0.7
    phased = tb.simulate(circ, dtype=dtype).to_dense()
    atol = 1e-6 if dtype == "complex64" else 1e-14
    np.testing.assert_allclose(phased, np.exp(0.7j) * plain, atol=atol)


def test_phase_is_reduced_and_validated() -> None:
    assert tb.Circuit(1, global_phase=2 * math.pi + 0.5).global_phase == pytest.approx(0.5)
    with pytest.raises(ValueError, match="global_phase must be finite"):
        tb.Circuit(1, global_phase=float("nan"))
    with pytest.raises(TypeError, match="global_phase must be a real number"):
        tb.Circuit(1, global_phase=1j)  # type: ignore[arg-type]


def test_phase_against_qiskit() -> None:
    qiskit = pytest.importorskip("qiskit")
    from qiskit.quantum_info import Statevector

    qc = qiskit.QuantumCircuit(3, global_phase=1.1)
    qc.h(0)
    qc.cx(0, 2)
    qc.ry(0.4, 1)
    ours = tb.Circuit(3, global_phase=1.1).h(2).cx(2, 0).ry(0.4, 1)  # qiskit's order reversed
    expected = np.asarray(Statevector(qc).data)
    np.testing.assert_allclose(tb.simulate(ours).to_dense(), expected, atol=1e-14)
