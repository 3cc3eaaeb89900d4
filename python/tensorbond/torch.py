"""PyTorch layers: a parametrized circuit as a layer of a neural network.

:class:`QuantumLayer` maps a batch of inputs ``(B, n_in)`` to expectation
values ``(B, n_obs)`` of a circuit some of whose parameters are the inputs and
the rest trainable weights. Its backward pass is the adjoint gradient of the
MPS simulation (one adjoint sweep per sample, for the observables weighted by
the incoming gradient), so it trains in an ordinary loop with any optimizer.
The compression layers :class:`TTLinear` and :class:`LowRankLinear` are here
too. torch is an optional dependency: ``pip install "tensorbond[torch]"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._optional import require_torch
from .compress.layers import LowRankLinear, TTLinear
from .ir.parameters import Parameter
from .sim.circuit import Circuit
from .sim.compile import CompiledCircuit, Routing, compile_circuit
from .sim.expectation import Observable, as_observables, expectation
from .sim.gradient import Method, gradient
from .truncation import SIMULATION_CUTOFF

if TYPE_CHECKING:  # pragma: no cover
    import torch
    import torch.nn as nn

__all__ = ["LowRankLinear", "QuantumLayer", "TTLinear"]

torch_mod = require_torch()
if not TYPE_CHECKING:
    torch = torch_mod
    nn = torch_mod.nn


def _weighted(obs: list[Observable], weights: np.ndarray) -> Any:
    """``sum_o weights[o] O_o`` as one Pauli sum (None when every weight is 0);
    a list of ``(weight, Observable)`` pairs when an MPO is among them."""
    if any(o.terms is None for o in obs):
        pairs = [(w, o) for w, o in zip(weights.tolist(), obs, strict=True) if w != 0.0]
        return pairs or None
    terms = [
        (w * float(complex(c).real), t)
        for w, o in zip(weights.tolist(), obs, strict=True)
        if w != 0.0
        for c, t in (o.terms or ())
    ]
    return terms or None


class _Expectations(torch.autograd.Function):
    """``(inputs (B, n_in), weights (n_w,)) -> (B, n_obs)`` with adjoint backward."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, w: torch.Tensor, layer: QuantumLayer) -> torch.Tensor:
        rows = layer.points(x.detach().cpu().numpy(), w.detach().cpu().numpy())
        res = expectation(layer.program, layer.observables, rows, **layer.options)
        ctx.layer = layer
        ctx.rows = rows
        ctx.save_for_backward(x, w)
        layer.last_fidelity = np.asarray(res.fidelity)
        return torch.from_numpy(np.asarray(res.values, dtype=np.float64)).to(x.dtype)

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[Any, ...]:
        layer: QuantumLayer = ctx.layer
        x, w = ctx.saved_tensors
        g = grad_out.detach().cpu().numpy().astype(np.float64)
        rows: np.ndarray = ctx.rows
        grad_p = np.zeros_like(rows)
        opts = dict(layer.options)
        for b in range(rows.shape[0]):
            combined = _weighted(layer.observables, g[b])
            if combined is None:
                continue
            if isinstance(combined[0][1], Observable):
                for weight, o in combined:
                    res = gradient(layer.program, o, rows[b], method=layer.method, **opts)
                    grad_p[b] += weight * res.grad
            else:
                res = gradient(layer.program, combined, rows[b], method=layer.method, **opts)
                grad_p[b] = res.grad
        gx = gw = None
        if ctx.needs_input_grad[0]:
            gx = torch.from_numpy(grad_p[:, layer.input_index]).to(x.dtype)
        if ctx.needs_input_grad[1]:
            gw = torch.from_numpy(grad_p[:, layer.weight_index].sum(axis=0)).to(w.dtype)
        return gx, gw, None


class QuantumLayer(nn.Module):
    """A parametrized circuit as a ``torch.nn.Module``: inputs to expectation values.

    Parameters
    ----------
    circuit : Circuit
        A circuit whose parameters are the ``inputs`` and the ``weights``.
    observables
        One observable or a list (Pauli strings, ``(coefficient, string)`` lists,
        dicts, Hermitian :class:`~tensorbond.MPO` objects); the output has one
        column per observable.
    inputs : sequence of Parameter
        The circuit parameters fed from the input's columns, in column order.
    weights : sequence of Parameter, optional
        The trainable parameters; by default every other circuit parameter.
    init : array_like, optional
        Initial weights; by default uniform in ``[0, 2 pi)`` from torch's
        generator (so ``torch.manual_seed`` makes it reproducible).
    method : {"adjoint", "parameter-shift"}
        How the backward pass differentiates.
    max_bond, cutoff, routing
        The simulation's truncation, as for :func:`~tensorbond.simulate`.

    Attributes
    ----------
    weights : torch.nn.Parameter
        Shape ``(n_w,)``, float64.
    last_fidelity : ndarray
        The fidelity estimate of each sample of the last forward pass.

    Raises
    ------
    ValueError
        An input or weight that is not a parameter of the circuit, one named
        twice or in both lists, or a circuit parameter in neither.

    Examples
    --------
    >>> import torch, tensorbond as tb
    >>> from tensorbond.torch import QuantumLayer
    >>> x, w = tb.Parameter("x"), tb.Parameter("w")
    >>> layer = QuantumLayer(tb.Circuit(1).ry(x, 0).rx(w, 0), ["Z0"], inputs=[x], init=[0.0])
    >>> y = layer(torch.tensor([[0.0], [3.141592653589793]], dtype=torch.float64))
    >>> [round(v, 6) + 0.0 for v in y[:, 0].tolist()]
    [1.0, -1.0]
    """

    def __init__(
        self,
        circuit: Circuit,
        observables: Any,
        *,
        inputs: Sequence[Parameter],
        weights: Sequence[Parameter] | None = None,
        init: Any = None,
        method: Method = "adjoint",
        max_bond: int | None = None,
        cutoff: float = SIMULATION_CUTOFF,
        routing: Routing = "auto",
    ) -> None:
        super().__init__()
        prog = circuit if isinstance(circuit, CompiledCircuit) else compile_circuit(circuit)
        params = list(prog.parameters)
        inputs = list(inputs)
        weights = [p for p in params if p not in inputs] if weights is None else list(weights)
        for what, group in (("input", inputs), ("weight", weights)):
            for p in group:
                if not isinstance(p, Parameter) or p not in params:
                    raise ValueError(f"{what} {p!r} is not a parameter of the circuit")
            if len(set(group)) != len(group):
                raise ValueError(f"a parameter is named twice among the {what}s")
        both = set(inputs) & set(weights)
        if both:
            names = ", ".join(sorted(p.name for p in both))
            raise ValueError(f"{names}: both an input and a weight")
        missing = [p.name for p in params if p not in inputs and p not in weights]
        if missing:
            raise ValueError(f"circuit parameters neither input nor weight: {', '.join(missing)}")
        if method not in ("adjoint", "parameter-shift"):
            raise ValueError(f"method must be 'adjoint' or 'parameter-shift', got {method!r}")
        self.program = prog
        self.observables, self.single = as_observables(observables, prog.num_qubits)
        for i, o in enumerate(self.observables):
            if not o.real:
                raise ValueError(f"observable {i} is not Hermitian (real coefficients)")
        self.input_index = np.array([params.index(p) for p in inputs], dtype=np.int64)
        self.weight_index = np.array([params.index(p) for p in weights], dtype=np.int64)
        self.method: Method = method
        self.options: dict[str, Any] = {"max_bond": max_bond, "cutoff": cutoff, "routing": routing}
        if init is None:
            w0 = torch.rand(len(weights), dtype=torch.float64) * (2 * math.pi)
        else:
            w0 = torch.as_tensor(np.asarray(init, dtype=np.float64)).clone()
            if tuple(w0.shape) != (len(weights),):
                raise ValueError(f"init must have shape ({len(weights)},), got {tuple(w0.shape)}")
        self.weights = nn.Parameter(w0)
        self.last_fidelity = np.ones(0)

    @property
    def num_inputs(self) -> int:
        """Input features per sample."""
        return int(self.input_index.size)

    @property
    def num_outputs(self) -> int:
        """Expectation values per sample."""
        return len(self.observables)

    def points(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Parameter rows ``(B, P)`` in circuit order from inputs and weights."""
        rows = np.empty((x.shape[0], len(self.program.parameters)))
        rows[:, self.input_index] = x
        rows[:, self.weight_index] = w[None, :]
        return rows

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Expectation values ``(B, n_obs)`` for inputs ``(B, n_in)`` (or ``(n_in,)``
        to ``(n_obs,)``)."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"expected a torch.Tensor, got {type(x).__name__}")
        squeeze = x.dim() == 1
        xb = x[None, :] if squeeze else x
        if xb.dim() != 2 or xb.shape[1] != self.num_inputs:
            raise ValueError(
                f"inputs must have shape (batch, {self.num_inputs}), got {tuple(x.shape)}"
            )
        if not xb.dtype.is_floating_point:
            raise TypeError(f"inputs must be floating point, got {xb.dtype}")
        if not bool(torch.isfinite(xb).all()):
            raise ValueError("inputs contain NaN or infinity")
        out: torch.Tensor = _Expectations.apply(xb, self.weights, self)  # type: ignore[no-untyped-call]
        return out[0] if squeeze else out

    def extra_repr(self) -> str:
        return (
            f"qubits={self.program.num_qubits}, inputs={self.num_inputs}, "
            f"weights={self.weight_index.size}, outputs={self.num_outputs}, "
            f"method={self.method!r}, max_bond={self.options['max_bond']}"
        )
