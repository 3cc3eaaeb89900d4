"""PyTorch layers holding factorized weights: ``TTLinear`` and ``LowRankLinear``.

Both are drop-in replacements for :class:`torch.nn.Linear` (input ``(..., in)``,
output ``(..., out)``) whose factors are trainable parameters, so a compressed
model fine-tunes ("heals") with ordinary autograd. torch is an optional
dependency: ``pip install "tensorbond[torch]"``.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from .._optional import require_torch
from .tt import LowRank, TTMatrix

if TYPE_CHECKING:  # pragma: no cover
    import torch
    import torch.nn as nn

__all__ = ["LowRankLinear", "TTLinear", "factorized_linear", "replace_module"]

torch_mod = require_torch()
if not TYPE_CHECKING:
    nn = torch_mod.nn


def _param(a: np.ndarray, dtype: Any) -> torch.nn.Parameter:
    """A trainable copy of `a` (numpy arrays from TT views are read-only)."""
    t = torch_mod.from_numpy(np.array(a, order="C", copy=True))
    return nn.Parameter(t if dtype is None else t.to(dtype))


def _bias(bias: Any, out: int, like: torch.Tensor) -> torch.nn.Parameter | None:
    """The bias as a parameter of `like`'s dtype, checked to have length `out`."""
    if bias is None:
        return None
    b = (
        bias.detach().cpu()
        if hasattr(bias, "detach")
        else torch_mod.from_numpy(np.array(bias, copy=True))
    )
    if tuple(b.shape) != (out,):
        raise ValueError(f"bias must have shape ({out},), got {tuple(b.shape)}")
    return nn.Parameter(b.to(like.dtype).clone())


class TTLinear(nn.Module):
    """A Linear layer whose weight is a tensor-train matrix.

    ``y = x @ W.T + bias`` with ``W`` of shape ``(prod(out_modes), prod(in_modes))``
    held as cores ``(r_left, m_k, n_k, r_right)``. The forward takes the cheaper
    of two exact orders for the number of input rows: contracting the input
    with one core at a time (small batches), or building ``W`` from the cores
    and one dense product (large batches, e.g. training on token batches, where
    the sweep can cost the rank times the dense multiply-adds). Gradients reach
    the cores either way.

    Parameters
    ----------
    tt : TTMatrix
        The factorized weight.
    bias : array_like or torch.Tensor, optional
        Bias of length ``out``.
    dtype : torch.dtype, optional
        Parameter dtype (default: the cores' dtype, float32 stays float32).
    """

    def __init__(self, tt: TTMatrix, bias: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.in_modes = tuple(int(n) for n in tt.in_modes)
        self.out_modes = tuple(int(m) for m in tt.out_modes)
        self.in_features = int(math.prod(self.in_modes))
        self.out_features = int(math.prod(self.out_modes))
        self.cores = nn.ParameterList([_param(c, dtype) for c in tt.cores])
        self.bias = _bias(bias, self.out_features, self.cores[0])
        self._costs: tuple[int, int] | None = None

    @property
    def bond_dims(self) -> tuple[int, ...]:
        """Internal bond dimensions (TT ranks)."""
        return tuple(int(c.shape[3]) for c in self.cores[:-1])

    @property
    def ranks(self) -> tuple[int, ...]:
        """Deprecated name of :attr:`bond_dims` (one word for bond dimensions
        across tensorbond)."""
        warnings.warn(
            f"{type(self).__name__}.ranks is deprecated: use .bond_dims",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.bond_dims

    def sweep_macs(self) -> int:
        """Multiply-adds per input row of the core-by-core contraction."""
        total, n_rest, m_done = 0, self.in_features, 1
        for core in reversed(self.cores):
            r_l, m_k, n_k, r_r = core.shape
            n_rest //= n_k
            total += n_rest * m_done * r_l * m_k * n_k * r_r
            m_done *= m_k
        return int(total)

    def build_macs(self) -> int:
        """Multiply-adds of building the dense weight from the cores."""
        total = 0
        rows = int(self.cores[0].shape[1] * self.cores[0].shape[2])
        for k in range(1, len(self.cores)):
            r_l, m_k, n_k, r_r = self.cores[k].shape
            total += rows * r_l * m_k * n_k * r_r
            rows *= m_k * n_k
        return int(total)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the layer to ``x`` of shape ``(..., in_features)``."""
        if x.shape[-1] != self.in_features:
            raise ValueError(
                f"TTLinear expects inputs with last dimension "
                f"{self.in_features}, got shape {tuple(x.shape)}"
            )
        rows = x.numel() // self.in_features
        if self._costs is None:  # core shapes never change: count once
            self._costs = (self.sweep_macs(), self.build_macs())
        sweep, build = self._costs
        if rows * sweep > build + rows * self.in_features * self.out_features:
            return nn.functional.linear(x, self._build(), self.bias)
        y = self._contract(x)
        return y if self.bias is None else y + self.bias

    def _build(self) -> torch.Tensor:
        """The dense weight ``(out, in)`` from the cores, merged left to right."""
        w: torch.Tensor = self.cores[0][0]  # (m_1, n_1, r_1)
        mo, ni = w.shape[0], w.shape[1]
        # Index, not slice: a sliced ParameterList holds the registered parameters
        # and would bypass torch.func.functional_call's substitutes.
        for k in range(1, len(self.cores)):
            core = self.cores[k]
            r_l, m_k, n_k, r_r = core.shape
            w = torch_mod.einsum("abr,rcds->acbds", w.reshape(mo, ni, r_l), core)
            mo, ni = mo * m_k, ni * n_k
            w = w.reshape(mo, ni, r_r)
        return w.reshape(mo, ni)

    def _contract(self, x: torch.Tensor) -> torch.Tensor:
        """``x @ W.T`` without the bias."""
        if x.shape[-1] != self.in_features:
            raise ValueError(
                f"TTLinear expects inputs with last dimension "
                f"{self.in_features}, got shape {tuple(x.shape)}"
            )
        lead = x.shape[:-1]
        b = int(math.prod(lead)) if lead else 1
        # t holds (batch, n_1..n_k, r_k, m_{k+1}..m_d) as (b, N, r, M): cores are
        # absorbed from the last to the first, each one GEMM-shaped einsum.
        t = x.reshape(b, self.in_features, 1, 1)
        n_rest, m_done = self.in_features, 1
        for core in reversed(self.cores):
            r_l, m_k, n_k, r_r = core.shape
            n_rest //= n_k
            t = t.reshape(b, n_rest, n_k, r_r, m_done)
            t = torch_mod.einsum("bnjrm,sijr->bnsim", t, core)
            m_done *= m_k
            t = t.reshape(b, n_rest, r_l, m_done)
        return t.reshape(*lead, self.out_features)

    def to_tt(self) -> TTMatrix:
        """The weight as a :class:`TTMatrix` (detached copy)."""
        return TTMatrix.from_cores([c.detach().cpu().numpy() for c in self.cores])

    def weight_dense(self) -> torch.Tensor:
        """The dense weight ``(out, in)`` (differentiable)."""
        return self._build()

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"in_modes={self.in_modes}, out_modes={self.out_modes}, bond_dims={self.bond_dims}, "
            f"bias={self.bias is not None}"
        )


class LowRankLinear(nn.Module):
    """A Linear layer with a rank-r weight ``W = U @ V``: ``y = (x @ V.T) @ U.T + bias``.

    Parameters
    ----------
    lr : LowRank
        The factorized weight (``u`` of shape ``(out, r)``, ``v`` of ``(r, in)``).
    bias : array_like or torch.Tensor, optional
        Bias of length ``out``.
    dtype : torch.dtype, optional
        Parameter dtype (default: the factors' dtype).
    """

    def __init__(self, lr: LowRank, bias: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.out_features, self.in_features = (int(d) for d in lr.shape)
        self.u = _param(lr.u, dtype)
        self.v = _param(lr.v, dtype)
        self.bias = _bias(bias, self.out_features, self.u)

    @property
    def rank(self) -> int:
        """The rank r."""
        return int(self.u.shape[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the layer to ``x`` of shape ``(..., in_features)``."""
        if x.shape[-1] != self.in_features:
            raise ValueError(
                f"LowRankLinear expects inputs with last dimension "
                f"{self.in_features}, got shape {tuple(x.shape)}"
            )
        y = (x @ self.v.T) @ self.u.T
        if self.bias is not None:
            y = y + self.bias
        return y

    def to_lowrank(self) -> LowRank:
        """The weight as a :class:`LowRank` (detached copy)."""
        return LowRank.from_factors(self.u.detach().cpu().numpy(), self.v.detach().cpu().numpy())

    def weight_dense(self) -> torch.Tensor:
        """The dense weight ``(out, in)`` (differentiable)."""
        return self.u @ self.v

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"rank={self.rank}, bias={self.bias is not None}"
        )


def factorized_linear(weight: TTMatrix | LowRank, bias: Any = None) -> Any:
    """The torch layer for a :class:`TTMatrix` or :class:`LowRank` weight."""
    if isinstance(weight, TTMatrix):
        return TTLinear(weight, bias)
    if isinstance(weight, LowRank):
        return LowRankLinear(weight, bias)
    raise TypeError(f"expected a TTMatrix or LowRank, got {type(weight).__name__}")


def replace_module(root: Any, old: Any, new: Any) -> None:
    """Put ``new`` at every place in ``root`` that holds ``old`` (a module used
    twice is one module: both uses get the compressed layer)."""
    for _, mod in list(root.named_modules(remove_duplicate=False)):
        # _modules, not named_children(): that one lists a repeated child once.
        for attr, child in list(mod._modules.items()):
            if child is old:
                setattr(mod, attr, new)
