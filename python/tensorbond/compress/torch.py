"""Compression of PyTorch modules: every chosen ``nn.Linear`` becomes a
``TTLinear`` or ``LowRankLinear`` (or stays dense) under the global budget."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._optional import call_model, require_torch
from .arrays import select_layers
from .budget import Objective, RatioOf, choose
from .formats import ErrorMetric, Format, input_whitener
from .layers import factorized_linear, replace_module
from .report import CompressionReport, layer_report

__all__ = ["compress_module", "input_grams", "sensitivities"]


def _linear_layers(model: Any) -> dict[str, Any]:
    torch = require_torch()
    return {n: m for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}


def _tied_weights(model: Any, linears: dict[str, Any]) -> dict[str, str]:
    """Linear layers whose weight another module also holds (e.g. a language
    model's output layer tied to its embedding), with that module's name:
    replacing the layer would not remove the shared matrix."""
    owners: dict[int, list[str]] = {}
    for name, mod in model.named_modules(remove_duplicate=False):
        for p in mod.parameters(recurse=False):
            owners.setdefault(id(p), []).append(name)
    tied = {}
    for n, lin in linears.items():
        others = [o for o in owners.get(id(lin.weight), []) if model.get_submodule(o) is not lin]
        if others:
            tied[n] = others[0]
    return tied


def _as_input(calibration: Any, model: Any) -> Any:
    """The calibration batch as the model takes it: a tensor, or a tuple / dict
    of tensors (positional / keyword arguments, e.g. ``input_ids`` and
    ``attention_mask``). Floating arrays take the model's dtype and device."""
    torch = require_torch()
    p = next(model.parameters(), None)

    def one(x: Any) -> Any:
        if isinstance(x, np.ndarray):
            x = torch.as_tensor(x)
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                "calibration for a torch module must be a tensor or array batch "
                f"(or a tuple / dict of them), got {type(x).__name__}"
            )
        if p is not None:
            x = x.to(device=p.device)
            if x.is_floating_point():
                x = x.to(dtype=p.dtype)
        return x

    if isinstance(calibration, dict):
        return {k: one(v) for k, v in calibration.items()}
    if isinstance(calibration, tuple):
        return tuple(one(v) for v in calibration)
    return one(calibration)


def _as_batches(calibration: Any, model: Any) -> list[Any]:
    """A list is several batches (each a tensor, tuple or dict); anything else is one."""
    if isinstance(calibration, list):
        if not calibration:
            raise ValueError("calibration is an empty list of batches")
        return [_as_input(b, model) for b in calibration]
    return [_as_input(calibration, model)]


def sensitivities(
    model: Any,
    names: Sequence[str],
    xs: Sequence[Any],
    eta: float = 0.05,
    seed: int = 0,
    perturb: ErrorMetric = "weight",
) -> dict[str, float]:
    """Relative model-output change per unit relative layer error, squared, per layer.

    Each layer's weight (``perturb="weight"``) or output (``"output"``) is
    perturbed by random noise of relative Frobenius norm ``eta`` and the model's
    outputs on the batches ``xs`` are compared with the unperturbed ones.
    """
    torch = require_torch()
    layers = _linear_layers(model)
    gen = torch.Generator().manual_seed(seed)
    out: dict[str, float] = {}
    was_training = model.training
    model.eval()

    def noisy_output(_m: Any, _inp: Any, y: Any) -> Any:
        e = torch.randn(y.shape, generator=gen, dtype=y.dtype).to(y.device)
        return y + e * (eta * torch.linalg.vector_norm(y) / torch.linalg.vector_norm(e))

    try:
        with torch.no_grad():
            y0 = [call_model(model, x) for x in xs]
            if not all(bool(torch.isfinite(y).all()) for y in y0):
                raise ValueError(
                    "the model's outputs on the calibration data contain NaN or infinite values"
                )
            norm_y2 = sum(float(torch.linalg.vector_norm(y)) ** 2 for y in y0) or 1e-300

            def moved() -> float:
                return sum(
                    float(torch.linalg.vector_norm(call_model(model, x) - y)) ** 2
                    for x, y in zip(xs, y0, strict=True)
                )

            for n in names:
                if perturb == "output":
                    hook = layers[n].register_forward_hook(noisy_output)
                    try:
                        dy2 = moved()
                    finally:
                        hook.remove()
                else:
                    w = layers[n].weight
                    e = torch.randn(w.shape, generator=gen, dtype=w.dtype).to(w.device)
                    e *= eta * torch.linalg.vector_norm(w) / torch.linalg.vector_norm(e)
                    w.add_(e)
                    try:
                        dy2 = moved()
                    finally:
                        w.sub_(e)
                out[n] = dy2 / norm_y2 / eta**2
                if not np.isfinite(out[n]):
                    raise ValueError(
                        f"the sensitivity of layer {n!r} is not finite: the "
                        "model overflows when that layer's "
                        f"{perturb} is perturbed by {eta:g}"
                    )
    finally:
        model.train(was_training)
    return out


def input_grams(model: Any, names: Sequence[str], xs: Sequence[Any]) -> dict[str, Any]:
    """Each layer's input second moment on the batches ``xs``: ``(X^H X, rows)``
    summed over every row its forward sees (leading dimensions flattened), in
    float64."""
    torch = require_torch()
    layers = _linear_layers(model)
    sums: dict[str, list[Any]] = {n: [None, 0] for n in names}

    def capture(name: str) -> Any:
        def hook(_m: Any, inp: Any, _y: Any) -> None:
            a = inp[0].detach().reshape(-1, inp[0].shape[-1])
            a = a.to(torch.complex128 if a.is_complex() else torch.float64)
            g = a.conj().T @ a
            acc = sums[name]
            acc[0] = g if acc[0] is None else acc[0] + g
            acc[1] += a.shape[0]

        return hook

    hooks = [layers[n].register_forward_hook(capture(n)) for n in names]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for x in xs:
                call_model(model, x)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    out = {}
    for n, (g, rows) in sums.items():
        if g is None:
            raise ValueError(
                f"layer {n!r} did not run on the calibration batch, so its "
                "outputs cannot be measured; use error_metric='weight'"
            )
        out[n] = (g.cpu().numpy(), rows)
    return out


def compress_module(
    model: Any,
    *,
    ratio: float | None,
    error_budget: float | None,
    calibration: Any,
    layers: Sequence[str] | None,
    objective: Objective,
    formats: Sequence[Format],
    batch: int,
    ratio_of: RatioOf = "model",
    error_metric: ErrorMetric = "weight",
    executor: Any = None,
) -> tuple[Any, CompressionReport]:
    """See :func:`tensorbond.compress`; this is its torch branch (the layers'
    candidates on ``executor``; the torch layers are built here)."""
    torch = require_torch()
    linears = _linear_layers(model)
    if not linears:
        raise ValueError("the module has no nn.Linear layers to compress")
    tied = _tied_weights(model, linears)
    if layers is None:
        names = [n for n in linears if n not in tied]
        if not names:
            raise ValueError(
                "every nn.Linear layer shares its weight with another module "
                f"(tied: {', '.join(tied)}); nothing can be compressed"
            )
    else:
        names = select_layers(linears, layers, lambda n: True)
        for n in names:
            if n in tied:
                raise ValueError(
                    f"layer {n!r} shares its weight with {tied[n]!r} (tied "
                    "weights): compressing it would not remove the matrix; "
                    "leave it out of layers="
                )
    mats: dict[str, np.ndarray] = {}
    for n in names:
        w = linears[n].weight.detach()
        if w.dtype in (torch.bfloat16, torch.float16):
            w = w.float()  # numpy has no bfloat16 nor float16 linalg: factorize in float32
        w = w.cpu().numpy()
        if not np.all(np.isfinite(w)):
            raise ValueError(f"layer {n!r} has NaN or infinite weights")
        mats[n] = w
    whiteners = None
    if calibration is not None:
        xs = _as_batches(calibration, model)
        if error_metric == "output":
            grams = input_grams(model, names, xs)
            whiteners = {
                n: input_whitener(g, rows, real=not np.iscomplexobj(mats[n]))
                for n, (g, rows) in grams.items()
            }
        sens = sensitivities(model, names, xs, perturb=error_metric)
    else:
        sens = dict.fromkeys(names, 1.0)
    total_dense = sum(p.numel() for p in model.parameters())
    choice, err = choose(
        mats,
        sens,
        total_dense=total_dense,
        ratio=ratio,
        error_budget=error_budget,
        objective=objective,
        formats=formats,
        batch=batch,
        ratio_of=ratio_of,
        whiteners=whiteners,
        executor=executor,
    )
    new = copy.deepcopy(model)
    report = CompressionReport(
        dense_total_params=total_dense,
        objective=objective,
        weighted_error=err,
        error_metric=error_metric,
    )
    for n in names:
        c = choice[n]
        old = linears[n]
        built = c.build(mats[n], None if whiteners is None else whiteners[n])
        if c.format != "dense":
            assert not isinstance(built, np.ndarray)  # only a dense candidate builds an array
            # The bias tensor as it is (no numpy round trip: numpy has no
            # bfloat16); the layer then takes the model's own dtype and device.
            layer = factorized_linear(built, old.bias).to(
                device=old.weight.device, dtype=old.weight.dtype
            )
            replace_module(new, new.get_submodule(n), layer)
        report.layers.append(layer_report(n, mats[n], c, built, sens[n]))
    chosen = set(names)
    for mn, mod in model.named_modules():
        if mn in chosen or not any(True for _ in mod.parameters(recurse=False)):
            continue
        kind = type(mod).__name__
        if mn in tied:
            why = f"tied weight (shared with {tied[mn]!r})"
        elif mn in linears:
            why = "excluded by layers="
        else:
            why = f"{kind}: not a Linear"
        report.skipped.append((mn, kind, why))
    report.total_params = sum(p.numel() for p in new.parameters())
    return new, report
