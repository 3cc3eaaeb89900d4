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

from dataclasses import dataclass
from typing import Literal

from . import _core
from ._validate import as_optional_bond, as_tolerance

__all__ = [
    "DEFAULT_CUTOFF",
    "MPO_CUTOFF",
    "RESTORE_CUTOFF",
    "SIMULATION_CUTOFF",
    "SPLIT_METHODS",
    "CutoffMode",
    "SplitMethod",
    "Truncation",
]

# The default cutoffs, one per kind of work. Each is a fraction of the spectrum's
# weight (rsum2) or of its largest value (rel), so it means the same at any norm.

#: Linear algebra and tensor trains (:func:`~tensorbond.svd`, ``TTMatrix.from_dense``,
#: :class:`Truncation`): exact unless the caller asks, since the caller knows the
#: error it can afford.
DEFAULT_CUTOFF = 0.0
#: Circuit simulation (``simulate``, ``run``, ``MPS.apply_gate``), rsum2: tails
#: weighing less than 1e-12 of the state are rounding noise of a unit vector in
#: float64 (about 100 ulp squared); dropping them keeps bonds from filling up with
#: noise and moves the fidelity estimate by at most 1e-12 per split.
SIMULATION_CUTOFF = 1e-12
#: Moving qubits back to their own sites (``MPS.restore_layout``), rsum2: the swaps
#: create no new entanglement, so only values at float64's rounding level go.
RESTORE_CUTOFF = 1e-15
#: Operator compression (``MPO.from_pauli_sum``, ``MPO.compress``), rel: singular
#: values below 1e-13 of the largest are the cancellation noise of summed Pauli
#: terms; the kept bond is the operator's Schmidt rank.
MPO_CUTOFF = 1e-13

CutoffMode = Literal["rsum2", "sum2", "rel", "abs"]
_MODES = ("rsum2", "sum2", "rel", "abs")

#: How a truncated split factorizes (the routes are in ``cpp/src/split.cpp``):
#: ``"svd"`` a full SVD (the reference); ``"eig"`` the eigen-decomposition of the
#: Gram matrix of the smaller side; ``"rand"`` a randomized range finder with a
#: power iteration (when ``max_bond`` binds); ``"qr"`` a QR of the gate-applied
#: tensor on the old bond basis expanded by the gate (QR-based TEBD); ``"auto"``
#: the cheapest route for each shape under a measured cost model.
SplitMethod = Literal["svd", "eig", "rand", "qr", "auto"]
SPLIT_METHODS: tuple[str, ...] = ("svd", "eig", "rand", "qr", "auto")

#: How a state's gauge is kept while gates truncate it: ``"canonical"`` (the
#: default) keeps the exact mixed-canonical form, so every truncation is optimal
#: at the orthogonality centre (quimb's truncation); ``"vidal"`` keeps the Schmidt
#: values on every bond (Hastings' Lambda-B form of TEBD, as qiskit-aer's MPS
#: keeps Vidal's form), where the disjoint adjacent gates of a layer are
#: independent and run on :func:`tensorbond.set_num_threads` threads at once.
#: Its truncations are TEBD's: optimal to the truncation error's second order,
#: and the state identical for every thread count.
Gauge = Literal["canonical", "vidal"]
GAUGES: tuple[str, ...] = ("canonical", "vidal")

#: The order commuting gates run in (canonical gauge): ``"sweep"`` (the default)
#: takes each segment whose two-qubit gates are disjoint adjacent pairs (a layer
#: of a brick circuit) from the end nearest the orthogonality centre, so the
#: centre moves one site per gate instead of travelling back across the chain
#: before every layer (brick_50x20: ~1.5x faster); ``"circuit"`` keeps the
#: circuit's own order, as quimb and qiskit-aer do. Both truncate every bond
#: optimally at the centre; truncated states differ only in which truncation
#: came first (untruncated ones agree to rounding).
GateOrder = Literal["sweep", "circuit"]
GATE_ORDERS: tuple[str, ...] = ("sweep", "circuit")


@dataclass(frozen=True, slots=True)
class Truncation:
    """How bonds are truncated after each split (see the module docstring).

    Parameters
    ----------
    max_bond : int or None
        Largest bond dimension kept; ``None`` for no limit. Numpy integers are
        accepted; bounds of ``2**62`` or more mean no limit and are stored as
        ``2**62``.
    cutoff : float
        Threshold whose meaning depends on ``cutoff_mode``; 0 drops nothing.
    cutoff_mode : {"rsum2", "sum2", "rel", "abs"}
        How ``cutoff`` is applied.
    renormalize : bool
        Rescale kept singular values to preserve the norm.
    split : {"svd", "eig", "rand", "qr", "auto"}
        How each truncated split of a state factorizes (see :data:`SplitMethod`).
        Every route keeps an exactly orthonormal factor and reports the exact
        discarded weight of the projection it made; only ``"svd"`` is optimal to
        the last digit (``"eig"`` to ~1e-14 of the weight; ``"rand"`` and
        ``"qr"`` may keep a slightly worse subspace at saturation, and say so in
        the fidelity estimate). Tensor-train and :func:`~tensorbond.svd` splits
        always use the SVD.
    gauge : {"canonical", "vidal"}
        How the state's gauge is kept between truncations (see :data:`Gauge`).
    order : {"sweep", "circuit"}
        The order commuting gates run in (see :data:`GateOrder`).

    Raises
    ------
    TypeError
        A ``max_bond`` that is not an int or None, a ``cutoff`` that is not a
        real number.
    ValueError
        ``max_bond < 1``, negative or non-finite ``cutoff``, unknown mode,
        split, gauge or order.
    """

    max_bond: int | None = None
    cutoff: float = DEFAULT_CUTOFF
    cutoff_mode: CutoffMode = "rsum2"
    renormalize: bool = False
    split: SplitMethod = "auto"
    gauge: Gauge = "canonical"
    order: GateOrder = "sweep"

    def __post_init__(self) -> None:
        # Normalised in place (numpy integers to int, huge bounds to the limit).
        object.__setattr__(self, "max_bond", as_optional_bond(self.max_bond, "max_bond"))
        object.__setattr__(self, "cutoff", as_tolerance(self.cutoff, "cutoff"))
        if self.cutoff_mode not in _MODES:
            raise ValueError(f"cutoff_mode must be one of {_MODES}, got {self.cutoff_mode!r}")
        check_split(self.split)
        check_gauge(self.gauge)
        if not isinstance(self.order, str) or self.order not in GATE_ORDERS:
            raise ValueError(f"order must be one of {GATE_ORDERS}, got {self.order!r}")

    def to_core(self) -> _core.TruncationSpec:
        """The policy as the compiled core takes it (built on each call: the
        class is a frozen slots dataclass, with no room for a cache)."""
        return _core.TruncationSpec(
            max_bond=self.max_bond,
            cutoff=float(self.cutoff),
            mode=_core.CutoffMode.__members__[self.cutoff_mode],
            renormalize=self.renormalize,
            split=_core.SplitMethod.__members__[self.split],
            gauge=_core.Gauge.__members__[self.gauge],
            order=_core.GateOrder.__members__[self.order],
        )


def check_split(split: object) -> None:
    """Refuse a split name that is not one of :data:`SPLIT_METHODS`."""
    if not isinstance(split, str) or split not in SPLIT_METHODS:
        raise ValueError(f"split must be one of {SPLIT_METHODS}, got {split!r}")


def check_gauge(gauge: object) -> None:
    """Refuse a gauge name that is not one of :data:`GAUGES`."""
    if not isinstance(gauge, str) or gauge not in GAUGES:
        raise ValueError(f"gauge must be one of {GAUGES}, got {gauge!r}")


def core_routing(routing: str) -> _core.Routing:
    """The compiled core's value for a routing name ("auto", "swap", "mpo",
    "lazy"; callers have validated it)."""
    return _core.Routing.__members__[routing]
