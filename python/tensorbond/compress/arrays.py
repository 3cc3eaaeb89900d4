"""Compression of a mapping of numpy arrays: weights from files, layer selection
by name patterns, and the per-layer choice under the global budget."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..parallel import map as parallel_map
from .budget import Objective, RatioOf, choose
from .formats import ErrorMetric, Format, input_whitener
from .io import read_safetensors
from .report import CompressionReport, layer_report

__all__ = ["compress_arrays", "load_weights", "select_layers"]


def load_weights(source: str | Path | Mapping[str, npt.ArrayLike]) -> dict[str, np.ndarray]:
    """Weights from a mapping, a ``.npz`` file or a ``.safetensors`` file
    (bfloat16 tensors widened to float32 exactly)."""
    if isinstance(source, Mapping):
        return {str(k): np.asarray(v) for k, v in source.items()}
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"no such model file: {path}")
    if path.suffix == ".npz":
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    if path.suffix == ".safetensors":
        return read_safetensors(path)
    raise ValueError(f"unknown model file type {path.suffix!r}: use .npz or .safetensors")


def _name_pattern(pattern: str) -> re.Pattern[str]:
    """A layer-name glob: ``*`` and ``?`` stay within one dot-separated part
    (``layer.*.output`` does not match ``layer.0.attention.output``), ``**``
    crosses dots, ``[...]`` is a character class."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append(r"[^.]*")
        elif c == "?":
            out.append(r"[^.]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out))


def select_layers(
    names: Iterable[str], layers: Sequence[str] | None, eligible: Callable[[str], bool]
) -> list[str]:
    """The names to compress: every eligible one, or those the patterns
    ``layers`` match (see :func:`_name_pattern`), in order of first match.

    Raises KeyError for a pattern that matches nothing and ValueError for a
    matched name that is not ``eligible``.
    """
    names = list(names)
    if layers is None:
        return [n for n in names if eligible(n)]
    chosen: list[str] = []
    for pat in layers:
        rx = _name_pattern(pat)
        hits = [n for n in names if rx.fullmatch(n)]
        if not hits:
            raise KeyError(
                f"no layer matches {pat!r}; layers: {', '.join(names[:20])}"
                + (" ..." if len(names) > 20 else "")
            )
        for h in hits:
            if not eligible(h):
                raise ValueError(f"layer {h!r} is not a 2-D weight matrix")
            if h not in chosen:
                chosen.append(h)
    return chosen


def _build(job: tuple[Any, np.ndarray, np.ndarray | None]) -> Any:
    """Build one layer's chosen format (a task of its own)."""
    cand, w, whitener = job
    return cand.build(w, whitener)


def compress_arrays(
    weights: dict[str, np.ndarray],
    *,
    ratio: float | None,
    error_budget: float | None,
    calibration: Mapping[str, Any] | None,
    layers: Sequence[str] | None,
    objective: Objective,
    formats: Sequence[Format],
    batch: int,
    ratio_of: RatioOf,
    error_metric: ErrorMetric = "weight",
    executor: Any = None,
) -> tuple[dict[str, Any], CompressionReport]:
    """See :func:`tensorbond.compress`; this is its branch for a mapping of
    numpy arrays (the arguments already checked there)."""
    names = select_layers(
        weights, layers, lambda n: weights[n].ndim == 2 and min(weights[n].shape) > 1
    )
    if not names:
        shapes = ", ".join(f"{n} {tuple(w.shape)}" for n, w in list(weights.items())[:20])
        raise ValueError(
            "the model has no 2-D weight matrix (both dimensions >= 2) to "
            f"compress; arrays: {shapes}"
        )
    for n in names:
        dt = weights[n].dtype
        if not (
            dt.kind in "biu"
            or dt in (np.float16, np.float32, np.float64, np.complex64, np.complex128)
        ):
            raise TypeError(
                f"layer {n!r} has dtype {dt}, which cannot be compressed: use "
                "float16/32/64 or complex64/128"
            )
    chosen = set(names)
    skipped = []
    for n, w in weights.items():
        if n in chosen:
            continue
        if layers is not None:
            why = "excluded by layers="
        elif w.ndim != 2:
            why = f"not a 2-D matrix (shape {tuple(w.shape)})"
        else:
            why = f"below min size (shape {tuple(w.shape)}: a dimension < 2)"
        skipped.append((n, f"array {w.dtype}", why))
    # numpy's linalg has no float16: half-precision layers factorize in float32.
    mats = {
        n: weights[n].astype(np.float32) if weights[n].dtype == np.float16 else weights[n]
        for n in names
    }
    sens = dict.fromkeys(names, 1.0)
    whiteners: dict[str, np.ndarray] | None = None
    if calibration is not None:
        if not isinstance(calibration, Mapping):
            raise TypeError(
                "calibration for a weights mapping must map layer names to "
                f"(rows, in) input arrays, got {type(calibration).__name__}"
            )
        for key in calibration:
            if key not in mats:
                raise KeyError(f"calibration names {key!r}, which is not a compressed layer")
        if error_metric == "output":
            missing = [n for n in names if n not in calibration]
            if missing:
                raise ValueError(
                    "error_metric='output' needs calibration inputs for every "
                    f"compressed layer; missing: {', '.join(missing)}"
                )
            whiteners = {}
        eta = 0.05
        rng = np.random.default_rng(0)
        for n, x in calibration.items():
            x = np.asarray(x)
            x = x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)
            w = mats[n].astype(np.float64)
            if x.ndim != 2 or x.shape[1] != w.shape[1]:
                raise ValueError(
                    f"calibration inputs for {n!r} must have shape (batch, "
                    f"{w.shape[1]}), got {x.shape}"
                )
            if not np.all(np.isfinite(x)):
                raise ValueError(f"calibration inputs for {n!r} contain NaN or infinite values")
            if whiteners is not None:
                # Errors are already relative output errors on these inputs: every
                # layer weighs the same.
                whiteners[n] = input_whitener(
                    x.conj().T @ x, x.shape[0], real=not np.iscomplexobj(mats[n])
                )
                continue
            # Output change of the layer per unit relative weight error, on its inputs.
            e = rng.standard_normal(w.shape)
            e *= eta * np.linalg.norm(w) / np.linalg.norm(e)
            y = x @ w.T
            sens[n] = float((np.linalg.norm(x @ e.T) / max(np.linalg.norm(y), 1e-300) / eta) ** 2)
    total_dense = sum(int(v.size) for v in weights.values())
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
    out: dict[str, Any] = dict(weights)
    report = CompressionReport(
        dense_total_params=total_dense,
        objective=objective,
        weighted_error=err,
        error_metric=error_metric,
        skipped=skipped,
    )
    total = total_dense
    jobs = [(choice[n], mats[n], None if whiteners is None else whiteners[n]) for n in names]
    for n, built in zip(
        names,
        parallel_map(
            _build, jobs, executor=executor, desc="layers", index_errors=executor is not None
        ),
        strict=True,
    ):
        out[n] = built
        total += choice[n].params - mats[n].size
        report.layers.append(layer_report(n, mats[n], choice[n], built, sens[n]))
    report.total_params = total
    return out, report
