"""qiskit-machine-learning's QNNs run unchanged on tensorbond's primitives."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("qiskit")
qnns = pytest.importorskip("qiskit_machine_learning.neural_networks")

from qiskit.circuit.library import real_amplitudes, zz_feature_map  # noqa: E402
from qiskit.primitives import StatevectorEstimator  # noqa: E402
from qiskit.quantum_info import SparsePauliOp, Statevector  # noqa: E402

from tensorbond.qiskit import EstimatorV2, SamplerV2  # noqa: E402


def model(n: int = 3) -> tuple[object, object, object]:
    fmap = zz_feature_map(n, reps=1)  # products of inputs: bound point by point
    ansatz = real_amplitudes(n, reps=2)
    return fmap.compose(ansatz), fmap, ansatz


def test_estimator_qnn_forward_and_backward() -> None:
    qc, fmap, ansatz = model()
    obs = [SparsePauliOp("ZZI"), SparsePauliOp(["XII", "IIY"], [0.5, -1.0])]
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (4, fmap.num_parameters))
    w = rng.uniform(-1, 1, ansatz.num_parameters)

    def qnn(estimator: object) -> object:
        return qnns.EstimatorQNN(
            circuit=qc,
            observables=obs,
            input_params=fmap.parameters,
            weight_params=ansatz.parameters,
            estimator=estimator,
            input_gradients=True,
            default_precision=0.0,
        )

    ours, ref = qnn(EstimatorV2()), qnn(StatevectorEstimator())
    np.testing.assert_allclose(ours.forward(x, w), ref.forward(x, w), rtol=0, atol=1e-10)
    (gi, gw), (ri, rw) = ours.backward(x, w), ref.backward(x, w)
    assert gw.shape == (4, 2, ansatz.num_parameters)
    np.testing.assert_allclose(gw, rw, rtol=0, atol=1e-10)
    np.testing.assert_allclose(gi, ri, rtol=0, atol=1e-10)


def test_sampler_qnn_forward_and_backward() -> None:
    qc, fmap, ansatz = model(2)
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (2, fmap.num_parameters))
    w = rng.uniform(-1, 1, ansatz.num_parameters)
    qnn = qnns.SamplerQNN(
        circuit=qc,
        input_params=fmap.parameters,
        weight_params=ansatz.parameters,
        sampler=SamplerV2(default_shots=20_000, seed=3),
    )
    probs = qnn.forward(x, w)
    assert probs.shape == (2, 4)
    for i in range(2):
        values = dict(zip(fmap.parameters, x[i], strict=True))
        values.update(zip(ansatz.parameters, w, strict=True))
        exact = Statevector(qc.assign_parameters(values)).probabilities()
        assert 0.5 * np.abs(probs[i] - exact).sum() < 0.02
    _, grad = qnn.backward(x, w)
    assert grad.shape == (2, 4, ansatz.num_parameters)
    # d/dw of the exact probabilities by the parameter-shift rule (every gate an ry)
    for j in range(ansatz.num_parameters):
        shifted = []
        for s in (np.pi / 2, -np.pi / 2):
            wj = w.copy()
            wj[j] += s
            values = dict(zip(fmap.parameters, x[0], strict=True))
            values.update(zip(ansatz.parameters, wj, strict=True))
            shifted.append(Statevector(qc.assign_parameters(values)).probabilities())
        exact_grad = 0.5 * (shifted[0] - shifted[1])
        assert np.abs(grad[0, :, j] - exact_grad).max() < 0.03
