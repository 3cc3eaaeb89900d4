"""tensorbond.torch.QuantumLayer: a circuit as an nn.Module, checked against the
dense reference (values), torch.autograd.gradcheck (adjoint backward) and a
short training run."""

from __future__ import annotations

import numpy as np
import pytest

import tensorbond as tb

torch = pytest.importorskip("torch")
from _reference.statevector import StateVector  # noqa: E402
from _reference.statevector import expectation as sv_expectation  # noqa: E402
from tensorbond.torch import QuantumLayer  # noqa: E402


def _circuit(n: int = 4):
    x = tb.ParameterVector("x", n)
    w = tb.ParameterVector("w", 2 * n)
    c = tb.Circuit(n)
    for q in range(n):
        c.ry(x[q], q)
    for q in range(n):
        c.rz(w[q] + 0.5 * x[q], q)  # an input inside an expression, beside a weight
    for q in range(n - 1):
        c.cx(q, q + 1)
    for q in range(n):
        c.rx(w[n + q], q)
    c.crz(w[0] - w[1], 0, n - 1)  # a weight shared by several gates
    return c, list(x), list(w)


def _dense_values(c, row, terms, n):
    sv = StateVector(n)
    bound = c.bind(row)
    for op in bound.operations:
        sv.gate(op.name, op.qubits, op.params)
    return [sv_expectation(sv.psi, t, n).real for t in terms]


def test_forward_equals_the_dense_reference() -> None:
    c, x, _ = _circuit()
    torch.manual_seed(1)
    layer = QuantumLayer(c, ["Z0", "X1", "Z0 Z3"], inputs=x)
    xb = torch.rand(5, 4, dtype=torch.float64)
    y = layer(xb)
    assert y.shape == (5, 3) and y.dtype == torch.float64
    rows = layer.points(xb.numpy(), layer.weights.detach().numpy())
    for b in range(5):
        want = _dense_values(c, rows[b], [{0: "Z"}, {1: "X"}, {0: "Z", 3: "Z"}], 4)
        np.testing.assert_allclose(y[b].detach().numpy(), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(layer.last_fidelity, np.ones(5))
    one = layer(xb[0])
    assert one.shape == (3,)
    np.testing.assert_allclose(one.detach().numpy(), y[0].detach().numpy())


@pytest.mark.parametrize("method", ["adjoint", "parameter-shift"])
def test_gradcheck_inputs_and_weights(method: str) -> None:
    c, x, _ = _circuit()
    torch.manual_seed(2)
    obs = ["Z0", [(0.5, "X0 X1"), (1.0, "Y2")], tb.MPO.from_pauli_sum("Z0 Z3", 4)]
    layer = QuantumLayer(c, obs, inputs=x, method=method)
    xb = torch.rand(3, 4, dtype=torch.float64, requires_grad=True)

    # gradcheck perturbs the tensors it is given: the weights go in explicitly.
    from tensorbond.torch import _Expectations

    assert torch.autograd.gradcheck(
        lambda a, w: _Expectations.apply(a, w, layer), (xb, layer.weights), eps=1e-6, atol=1e-8
    )


def test_backward_through_the_module_matches_finite_differences() -> None:
    c, x, _ = _circuit()
    torch.manual_seed(3)
    layer = QuantumLayer(c, ["Z0", "Z1 Z2"], inputs=x)
    xb = torch.rand(2, 4, dtype=torch.float64)
    coef = torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64)
    (layer(xb) * coef).sum().backward()
    g = layer.weights.grad.numpy().copy()
    w0 = layer.weights.detach().numpy().copy()
    eps = 1e-6
    fd = np.zeros_like(w0)
    for i in range(w0.size):
        for sign in (1, -1):
            w = w0.copy()
            w[i] += sign * eps
            layer.weights.data = torch.from_numpy(w)
            with torch.no_grad():
                fd[i] += sign * float((layer(xb) * coef).sum()) / (2 * eps)
    np.testing.assert_allclose(g, fd, atol=1e-7)


def test_trains_in_an_ordinary_loop() -> None:
    # Learn <Z0> = cos(x) -> target -cos(x): the weight must reach pi (rx after ry).
    xp, wp = tb.Parameter("x"), tb.Parameter("w")
    layer = QuantumLayer(tb.Circuit(1).ry(xp, 0).rx(wp, 0), "Z0", inputs=[xp], init=[0.3])
    opt = torch.optim.Adam(layer.parameters(), lr=0.2)
    xs = torch.linspace(0, 3, 16, dtype=torch.float64)[:, None]
    target = -torch.cos(xs)
    first = None
    for _ in range(60):
        opt.zero_grad()
        loss = ((layer(xs) - target) ** 2).mean()
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    assert loss.item() < 1e-3 < first


def test_bad_input_is_refused_clearly() -> None:
    c, x, w = _circuit()
    with pytest.raises(ValueError, match="neither input nor weight: w"):
        QuantumLayer(c, "Z0", inputs=x, weights=w[:3])
    with pytest.raises(ValueError, match="both an input and a weight"):
        QuantumLayer(c, "Z0", inputs=x, weights=[*w, x[0]])
    with pytest.raises(ValueError, match="not a parameter of the circuit"):
        QuantumLayer(c, "Z0", inputs=[tb.Parameter("nope")])
    with pytest.raises(ValueError, match="not Hermitian"):
        QuantumLayer(c, [(1j, "Z0")], inputs=x)
    with pytest.raises(ValueError, match="qubit 9"):
        QuantumLayer(c, "Z9", inputs=x)
    with pytest.raises(ValueError, match=r"init must have shape \(8,\)"):
        QuantumLayer(c, "Z0", inputs=x, init=[0.0])
    layer = QuantumLayer(c, "Z0", inputs=x)
    with pytest.raises(ValueError, match=r"shape \(batch, 4\)"):
        layer(torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match="NaN"):
        layer(torch.full((1, 4), float("nan"), dtype=torch.float64))
    with pytest.raises(TypeError, match="floating point"):
        layer(torch.zeros(1, 4, dtype=torch.int64))
