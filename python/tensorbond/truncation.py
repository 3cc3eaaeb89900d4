r"""Truncation of singular value spectra: one policy object for every split.

After a split ``theta = U diag(s) V^dag`` with ``s_0 >= s_1 >= ... >= s_{k-1}``,
``k' <= k`` values are kept. With ``cutoff > 0`` the rule depends on
``cutoff_mode`` (quimb's names and quimb's inequalities, so results agree with
the reference exactly):

``"rel"``
    keep :math:`s_i > \text{cutoff} \cdot s_0`.
``"abs"``
    keep :math:`s_i > \text{cutoff}`.
``"sum2"``
    drop the longest tail with :math:`\sum_{i \ge k'} s_i^2 \le \text{cutoff}`.
``"rsum2"`` (default)
    drop the longest tail with
    :math:`\sum_{i \ge k'} s_i^2 \le \text{cutoff} \cdot \sum_i s_i^2`.

``cutoff == 0`` drops nothing by value. At least one value is always kept, and
then at most ``max_bond``. The *discarded weight* is
:math:`\epsilon = \sum_{i \ge k'} s_i^2`; normalized, :math:`\epsilon / \sum_i s_i^2`.
With ``renormalize=True`` the kept values are rescaled so that their squares
sum to the original total (the norm is preserved).

An MPS truncates only at its orthogonality centre, where the normalized
discarded weight is exactly the squared distance lost by that step, so the
product of :math:`(1 - \epsilon_i / \sum s^2)` over all truncations estimates
the fidelity with the untruncated state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = ["CutoffMode", "Truncation"]

CutoffMode = Literal["rsum2", "sum2", "rel", "abs"]
_MODES = ("rsum2", "sum2", "rel", "abs")


@dataclass(frozen=True, slots=True)
class Truncation:
    """How bonds are truncated after each split (see the module docstring).

    Parameters
    ----------
    max_bond : int or None
        Largest bond dimension kept; ``None`` for no limit.
    cutoff : float
        Threshold whose meaning depends on ``cutoff_mode``; 0 drops nothing.
    cutoff_mode : {"rsum2", "sum2", "rel", "abs"}
        How ``cutoff`` is applied.
    renormalize : bool
        Rescale kept singular values to preserve the norm.

    Raises
    ------
    ValueError
        ``max_bond < 1``, negative or non-finite ``cutoff``, unknown mode.
    """

    max_bond: int | None = None
    cutoff: float = 0.0
    cutoff_mode: CutoffMode = "rsum2"
    renormalize: bool = False

    def __post_init__(self) -> None:
        if self.max_bond is not None:
            if isinstance(self.max_bond, bool) or not isinstance(self.max_bond, int):
                raise TypeError(
                    f"max_bond must be an int or None, got {type(self.max_bond).__name__}"
                )
            if self.max_bond < 1:
                raise ValueError(f"max_bond must be >= 1 or None, got {self.max_bond}")
        c = float(self.cutoff)
        if not math.isfinite(c) or c < 0:
            raise ValueError(f"cutoff must be a finite number >= 0, got {self.cutoff}")
        if self.cutoff_mode not in _MODES:
            raise ValueError(
                f"cutoff_mode must be one of {_MODES}, got {self.cutoff_mode!r}"
            )

    def _args(self) -> tuple[int, float, str, bool]:
        """Positional arguments for the compiled kernels (max_bond 0 = unlimited)."""
        return (self.max_bond or 0, float(self.cutoff), self.cutoff_mode, self.renormalize)
