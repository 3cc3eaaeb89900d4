"""The suite's workloads: the circuits of ``shared/``, QASMBench, sampling, the kernel.

The one place the suite imports tensorbond's example circuits (:data:`examples`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import numpy as np

try:  # the example circuits (brick, ghz, ...); tensorbond.examples before 0.2
    from tensorbond.sim import examples
except ImportError:  # pragma: no cover (an older tensorbond)
    from tensorbond import examples  # type: ignore[no-redef]

from .model import Inputs, Workload
from .overlap import mps_site_tensors

#: tensorbond's brick circuit (u3 layers and cz bricks), for the suite's parts and tests.
brick = examples.brick

#: The circuits of ``shared/circuits`` and their ``max_bond`` grids.
CIRCUIT_GRID: dict[str, tuple[int | None, ...]] = {
    "ghz_100": (None,),
    "brick_50x20": (16, 32, 64, 128, 256),
    "qft_30": (None,),
    "tfim_100": (64,),
    "qaoa_40": (16, 32, 64),
}

#: The QASMBench selection (``shared/qasmbench/large``), run at ``max_bond=64``.
QASMBENCH = (
    "ghz_n127",
    "cat_n130",
    "bv_n140",
    "wstate_n118",
    "ising_n98",
    "qft_n63",
    "adder_n118",
    "multiplier_n45",
    "qugan_n71",
    "swap_test_n115",
    "knn_n67",
    "dnn_n51",
)

#: Bond dimensions of the kernel workload (one two-qubit gate and a truncated split).
KERNEL_CHIS = (16, 32, 64, 128, 256, 512, 1024)


@dataclass
class KernelCase:
    """A random MPS whose sites ``site, site+1`` have outer bonds ``chi``.

    ``state`` is the tensorbond MPS (centre at ``site``) where it was built;
    ``tensors`` its site tensors where they were loaded from a file instead.
    """

    chi: int
    site: int
    gate: np.ndarray
    state: Any = None
    tensors: list[np.ndarray] | None = None

    def site_tensors(self) -> list[np.ndarray]:
        """The state's site tensors ``(chi_left, 2, chi_right)``."""
        if self.tensors is None:
            self.tensors = mps_site_tensors(self.state)
        return self.tensors

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the gate and site tensors to an ``.npz`` file."""
        arrays: dict[str, Any] = {f"t{i}": t for i, t in enumerate(self.site_tensors())}
        np.savez(path, chi=self.chi, site=self.site, gate=self.gate, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> KernelCase:
        """Read a case written by :meth:`save` (no tensorbond state)."""
        with np.load(path) as z:
            n = sum(1 for k in z.files if k.startswith("t"))
            return cls(
                chi=int(z["chi"]),
                site=int(z["site"]),
                gate=z["gate"],
                tensors=[z[f"t{i}"] for i in range(n)],
            )


def default_workloads(shared: Path, *, quick: bool = False) -> list[Workload]:
    """The suite's workloads (``quick``: a small subset for a check in minutes)."""
    circ_dir = shared / "circuits"
    qb_dir = shared / "qasmbench" / "large"
    out: list[Workload] = []
    grid = CIRCUIT_GRID
    if quick:
        grid = {"ghz_100": (None,), "qft_30": (None,), "brick_50x20": (32,)}
    for fam, chis in grid.items():
        for chi in chis:
            out.append(
                Workload(
                    name=fam if chi is None else f"{fam}:chi={chi}",
                    group="circuits",
                    family=fam,
                    kind="circuit",
                    source=str(circ_dir / f"{fam}.qasm"),
                    max_bond=chi,
                )
            )
    qb = QASMBENCH if not quick else ("ghz_n127", "bv_n140", "wstate_n118", "ising_n98")
    for fam in qb:
        out.append(
            Workload(
                name=f"{fam}:chi=64",
                group="qasmbench",
                family=fam,
                kind="circuit",
                source=str(qb_dir / f"{fam}.qasm"),
                max_bond=64,
            )
        )
    chi, shots = (16, 1000) if quick else (64, 10000)
    out.append(
        Workload(
            name=f"sample_brick_100x20:chi={chi}:shots={shots}",
            group="sampling",
            family="sample_brick_100x20",
            kind="sampling",
            source="example:brick:100:20",
            max_bond=chi,
            shots=shots,
        )
    )
    for chi in (16, 64, 256) if quick else KERNEL_CHIS:
        out.append(
            Workload(
                name=f"kernel:chi={chi}",
                group="kernel",
                family="kernel",
                kind="kernel",
                source="kernel",
                max_bond=chi,
            )
        )
    return out


def select_workloads(workloads: Sequence[Workload], only: Sequence[str] | None) -> list[Workload]:
    """Workloads whose name, family or group matches one of ``only`` (globs)."""
    if not only:
        return list(workloads)
    out = [
        w
        for w in workloads
        if any(fnmatch(w.name, p) or fnmatch(w.family, p) or fnmatch(w.group, p) for p in only)
    ]
    if not out:
        names = ", ".join(w.name for w in workloads)
        raise ValueError(f"--only {' '.join(only)} matches no workload; known: {names}")
    return out


def load_inputs(w: Workload, *, kernel_path: str | None = None) -> Inputs:
    """Parse or build a workload's inputs (untimed).

    ``kernel_path``: read the kernel case from this file (written by
    :meth:`KernelCase.save`) instead of building it.

    Raises
    ------
    FileNotFoundError
        A missing QASM file.
    """
    import tensorbond as tb

    if w.kind == "kernel":
        if kernel_path is not None:
            return Inputs(kernel=KernelCase.load(kernel_path))
        return Inputs(kernel=make_kernel_case(int(w.max_bond or 16)))
    if w.source.startswith("example:"):
        _, name, *args = w.source.split(":")
        return Inputs(circuit=examples.EXAMPLES[name](*map(int, args)))
    path = Path(w.source)
    if not path.is_file():
        raise FileNotFoundError(f"workload {w.name}: no file {path}")
    return Inputs(circuit=tb.Circuit.from_qasm(path), qasm_path=path)


def make_kernel_case(chi: int, *, seed: int = 0) -> KernelCase:
    """A random MPS with bond ``chi`` around the middle pair of sites.

    Qubit sites can only carry bond ``chi`` with ``log2(chi)`` sites on each
    side, so the state has ``n = 2 ceil(log2 chi) + 2`` sites; it is made by
    ``ceil(log2 chi) + 2`` layers of Haar-random two-qubit gates (operator
    Schmidt rank 4, so the middle bonds saturate with a generic spectrum),
    truncated to ``chi``. The gate of the kernel is another Haar-random
    two-qubit unitary on the middle pair (sites ``k, k+1``), whose outer bonds
    are ``chi``: the split factorizes a ``2 chi x 2 chi`` matrix and keeps ``chi``.
    """
    import tensorbond as tb

    k = max(1, math.ceil(math.log2(chi)))
    n = 2 * k + 2
    rng = np.random.default_rng(seed)
    circ = tb.Circuit(n)
    for layer in range(k + 2):
        for q in range(layer % 2, n - 1, 2):
            circ.unitary(_haar(4, rng), (q, q + 1))
    state = tb.simulate(circ, max_bond=chi, cutoff=0.0)
    state.canonicalize(k)
    return KernelCase(chi=chi, site=k, gate=_haar(4, rng), state=state)


def _haar(d: int, rng: np.random.Generator) -> np.ndarray:
    z = (rng.standard_normal((d, d)) + 1j * rng.standard_normal((d, d))) / math.sqrt(2)
    q, r = np.linalg.qr(z)
    out: np.ndarray = q * (np.diagonal(r) / np.abs(np.diagonal(r)))
    return out
