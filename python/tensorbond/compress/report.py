"""What one compression did: per-layer reports and the model's totals."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .formats import Candidate
from .tt import LowRank, TTMatrix

__all__ = ["HIGH_ERROR", "CompressionReport", "LayerReport", "layer_report"]

HIGH_ERROR = 0.5  # a layer's relative error above this is flagged in the report


@dataclass
class LayerReport:
    """What the compressor did to one layer."""

    name: str
    format: str
    shape: tuple[int, int]
    in_modes: tuple[int, ...] | None
    out_modes: tuple[int, ...] | None
    bond_dims: tuple[int, ...]
    params: int
    dense_params: int
    ratio: float
    rel_error: float
    macs: int
    dense_macs: int
    sensitivity: float
    warnings: tuple[str, ...] = ()


@dataclass
class CompressionReport:
    """Per-layer choices and totals of one compression.

    ``total_params`` and ``dense_total_params`` count every parameter of the
    model (biases and layers left alone included); ``ratio`` is their quotient.
    ``error_metric`` says what the layers' ``rel_error`` measures: ``"weight"``
    (relative Frobenius error of W) or ``"output"`` (relative error of the
    layer's outputs on the calibration inputs).
    """

    layers: list[LayerReport] = field(default_factory=list)
    dense_total_params: int = 0
    total_params: int = 0
    weighted_error: float = 0.0
    objective: str = "size"
    error_metric: str = "weight"
    skipped: list[tuple[str, str, str]] = field(default_factory=list)
    """Modules / arrays with parameters left uncompressed: (name, type, reason)."""

    @property
    def ratio(self) -> float:
        """Whole-model compression ratio."""
        return self.dense_total_params / max(self.total_params, 1)

    @property
    def layers_ratio(self) -> float:
        """Compression of the chosen layers' weights alone (biases excluded)."""
        dense = sum(l.dense_params for l in self.layers)
        return dense / max(sum(l.params for l in self.layers), 1)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        d = asdict(self)
        d["ratio"] = self.ratio
        d["layers_ratio"] = self.layers_ratio
        return d

    def to_markdown(self) -> str:
        """The report as a markdown table with a totals line."""
        rows = [
            "| layer | format | shape | modes (out / in) | bond dims | params | ratio "
            f"| rel. {self.error_metric} error | MACs/row | dense MACs/row |",
            "|---" * 10 + "|",
        ]
        for l in self.layers:
            modes = f"{l.out_modes} / {l.in_modes}" if l.in_modes else "-"
            rows.append(
                f"| {l.name} | {l.format} | {l.shape[0]}x{l.shape[1]} | {modes} "
                f"| {','.join(map(str, l.bond_dims)) or '-'} | {l.params} "
                f"| {l.ratio:.2f} | {l.rel_error:.4f} | {l.macs} | {l.dense_macs} |"
            )
        warned = [(l.name, w) for l in self.layers for w in l.warnings]
        if warned:
            rows.append("\nWarnings:")
            rows.extend(f"- {n}: {w}" for n, w in warned)
        if self.skipped:
            rows.append("\nNot compressed:")
            rows.extend(f"- {n} ({t}): {r}" for n, t, r in self.skipped)
        rows.append(
            f"\nTotal: {self.total_params} parameters of {self.dense_total_params} "
            f"({self.ratio:.2f}x; the layers above {self.layers_ratio:.2f}x), "
            f"weighted relative error {self.weighted_error:.4f}."
        )
        return "\n".join(rows)

    def __str__(self) -> str:
        return self.to_markdown()


def layer_report(name: str, w: np.ndarray, c: Candidate, built: Any, sens: float) -> LayerReport:
    """The report of layer ``name``: weight ``w`` stored as candidate ``c``, built
    as ``built`` (array, TTMatrix or LowRank), with sensitivity ``sens``."""
    out, inp = w.shape
    bond_dims: tuple[int, ...] = ()
    if isinstance(built, (TTMatrix, LowRank)):
        bond_dims = tuple(built.bond_dims)
    warns = []
    if c.rel_error > HIGH_ERROR:
        warns.append(
            f"high error: relative error {c.rel_error:.3f} > {HIGH_ERROR} (the "
            "layer barely survives; compress it less or leave it out)"
        )
    if c.macs > out * inp:
        warns.append(
            f"slower than dense: {c.macs} multiply-adds per row vs {out * inp} "
            "(use objective='latency' to forbid this)"
        )
    return LayerReport(
        name,
        c.format,
        (out, inp),
        c.in_modes,
        c.out_modes,
        bond_dims,
        c.params,
        out * inp,
        out * inp / max(c.params, 1),
        c.rel_error,
        c.macs,
        out * inp,
        sens,
        tuple(warns),
    )
