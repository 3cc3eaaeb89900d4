"""The suite's data model: workloads, results, reports, what a contestant prepares."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .workloads import KernelCase

#: Version of the JSON layout written by :func:`tensorbond_bench.report.write_outputs`.
SCHEMA_VERSION = 1

CONTESTANT_NAMES = ("tensorbond", "quimb", "aer", "aer_lapack")

# a reference truncated below this fidelity estimate is itself an approximation:
# fidelities against it compare two approximations and are marked as such
_RELIABLE_REFERENCE = 0.99


# ----------------------------------------------------------------- data model
@dataclass(frozen=True)
class Workload:
    """One benchmark case.

    Parameters
    ----------
    name : str
        Unique name, e.g. ``"brick_50x20:chi=64"``.
    group : {"circuits", "qasmbench", "sampling", "kernel"}
        Which part of the suite it belongs to.
    family : str
        The circuit or case it varies (the ``max_bond`` sweeps share one).
    kind : {"circuit", "sampling", "kernel"}
        ``"circuit"``: simulate a circuit; ``"sampling"``: draw ``shots``
        samples from a prepared state; ``"kernel"``: one two-qubit gate and a
        truncated split on a random MPS with bond ``max_bond``.
    source : str
        A QASM path, ``"example:brick:<n>:<depth>"`` or ``"kernel"``.
    max_bond : int, optional
        Bond dimension limit (``None``: unlimited).
    cutoff : float
        Singular value cutoff on the relative discarded weight.
    cutoff_mode : str
        Always ``"rsum2"`` here (aer's truncation threshold means the same).
    shots : int
        Samples to draw (sampling workloads).
    """

    name: str
    group: str
    family: str
    kind: str
    source: str
    max_bond: int | None = None
    cutoff: float = 1e-10
    cutoff_mode: str = "rsum2"
    shots: int = 0


@dataclass
class Result:
    """One contestant on one workload.

    ``status`` is ``"ok"``, ``"unsupported"`` (the tool cannot run it),
    ``"error"`` (it raised), ``"timeout"`` (a run went past the time limit) or
    ``"unavailable"`` (the package is not installed); ``reason`` says why.
    Times are seconds of wall time; memory is bytes.
    """

    contestant: str
    status: str = "ok"
    reason: str | None = None
    times_s: list[float] = field(default_factory=list)
    median_s: float | None = None
    min_s: float | None = None
    probe_s: float | None = None
    fidelity_estimate: float | None = None
    fidelity_estimate_note: str | None = None
    true_fidelity: float | None = None
    true_fidelity_note: str | None = None
    max_bond_reached: int | None = None
    max_bond_final: int | None = None
    peak_rss_bytes: int | None = None
    peak_rss_note: str | None = None
    state_bytes: int | None = None
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class WorkloadReport:
    """A workload's results: one :class:`Result` per contestant, plus the floor."""

    workload: Workload
    num_qubits: int | None = None
    num_gates: int | None = None
    results: dict[str, Result] = field(default_factory=dict)
    floor_s: float | None = None
    floor_num_svd: int | None = None
    floor_note: str | None = None
    floor_svd_s: float | None = None
    floor_gemm_s: float | None = None
    reference: dict[str, Any] | None = None
    reference_note: str | None = None
    wall_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "results"}
        d["workload"] = asdict(self.workload)
        d["results"] = {k: asdict(r) for k, r in self.results.items()}
        out: dict[str, Any] = _jsonable(d)
        return out


class Unsupported(Exception):
    """A contestant cannot run a workload (recorded as status ``"unsupported"``)."""


@dataclass
class Timed:
    """A run's output with its own time (for runs that time a difference)."""

    value: Any
    seconds: float
    extra: dict[str, float] = field(default_factory=dict)


@dataclass
class Prepared:
    """A contestant ready to run a workload; everything but ``run`` is untimed.

    Parameters
    ----------
    run : callable
        ``run(setup_value)`` is the timed part; returns the output, or a
        :class:`Timed` to report its own time.
    setup : callable, optional
        Called before each run, untimed (e.g. a fresh copy of a state).
    inspect : callable, optional
        ``inspect(output)`` gives accuracy facts: ``fidelity_estimate``,
        ``fidelity_estimate_note``, ``max_bond_reached``, ``max_bond_final``,
        ``state_bytes``.
    tensors : callable, optional
        ``tensors(output)``: site tensors ``(chi_left, 2, chi_right)`` in qubit
        order, for the fidelity against the reference.
    notes : list of str
        How the contestant was set up (recorded).
    """

    run: Callable[[Any], Any]
    setup: Callable[[], Any] | None = None
    inspect: Callable[[Any], dict[str, Any]] | None = None
    tensors: Callable[[Any], list[np.ndarray]] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Inputs:
    """A workload's parsed inputs, shared by the contestants (built untimed)."""

    circuit: Any = None  # tensorbond.Circuit
    qasm_path: Path | None = None
    kernel: KernelCase | None = None


def _jsonable(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, Path):
        return str(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _describe(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    first = msg[0] if msg else ""
    if len(first) > 300:
        first = first[:300] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
