"""Options of the qiskit primitives and backend, checked when they are made."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

import numpy as np

from .._validate import as_generator, as_optional_bond, as_tolerance
from ..sim.expectation import Engine
from ..truncation import SIMULATION_CUTOFF, CutoffMode

__all__ = ["EstimatorOptions", "SamplerOptions", "as_options", "as_precision"]

_CUTOFF_MODES = ("rsum2", "sum2", "rel", "abs")


@dataclass(frozen=True)
class SamplerOptions:
    """Truncation options of :class:`~tensorbond.qiskit.SamplerV2`.

    Attributes
    ----------
    max_bond : int or None
        Largest MPS bond (None: unlimited, exact).
    cutoff : float
        Discarded-weight cutoff of each split, as for :func:`tensorbond.run`.
    cutoff_mode : str
        How ``cutoff`` is read (see :mod:`tensorbond.truncation`).
    """

    max_bond: int | None = None
    cutoff: float = SIMULATION_CUTOFF
    cutoff_mode: CutoffMode = "rsum2"

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_bond", as_optional_bond(self.max_bond))
        object.__setattr__(self, "cutoff", as_tolerance(self.cutoff, "cutoff"))
        if self.cutoff_mode not in _CUTOFF_MODES:
            raise ValueError(
                f"cutoff_mode must be one of {_CUTOFF_MODES}, got {self.cutoff_mode!r}"
            )


@dataclass(frozen=True)
class EstimatorOptions(SamplerOptions):
    """Options of :class:`~tensorbond.qiskit.EstimatorV2`.

    Attributes
    ----------
    max_bond, cutoff, cutoff_mode
        As for :class:`SamplerOptions`.
    default_precision : float
        Precision of a run that gives none: 0 returns exact values, a positive
        value adds Gaussian noise of that standard deviation (as qiskit's
        ``StatevectorEstimator`` does).
    seed : int or numpy.random.Generator or None
        Seed of that noise.
    engine : {"auto", "mps", "statevector"}
        As for :func:`tensorbond.expectation` (``"auto"`` runs a dense state
        vector where that is exact and cheaper).
    """

    default_precision: float = 0.0
    seed: int | np.random.Generator | None = None
    engine: Engine = "auto"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(
            self, "default_precision", as_precision(self.default_precision, "default_precision")
        )
        as_generator(self.seed)
        if self.engine not in ("auto", "mps", "statevector"):
            raise ValueError(f"engine must be 'auto', 'mps' or 'statevector', got {self.engine!r}")


_O = TypeVar("_O", bound=SamplerOptions)


def as_options(cls: type[_O], options: Mapping[str, Any] | _O | None) -> _O:
    """``options`` (None, a mapping or a ``cls``) as a ``cls`` instance.

    Raises
    ------
    TypeError
        Something else, or an option of the wrong type.
    ValueError
        A key that is not an option (the valid ones listed), or a bad value.
    """
    if options is None:
        return cls()
    if isinstance(options, cls):
        return options
    if not isinstance(options, Mapping):
        raise TypeError(f"options must be a dict or {cls.__name__}, got {type(options).__name__}")
    names = [f.name for f in fields(cls)]
    unknown = sorted(set(options) - set(names))
    if unknown:
        raise ValueError(f"unknown options {unknown}; valid options are {names}")
    return replace(cls(), **options)


def as_precision(value: Any, what: str) -> float:
    """A precision: a finite number >= 0.

    Raises
    ------
    TypeError
        Not a real number.
    ValueError
        Negative or not finite.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a real number, got {value!r}")
    out = float(value)
    if not (np.isfinite(out) and out >= 0):
        raise ValueError(f"{what} must be finite and >= 0, got {value!r}")
    return out
