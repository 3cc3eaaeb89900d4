"""The benchmark suite: tensorbond against quimb and qiskit-aer, next to the floor.

Every workload runs through each contestant with the same truncation policy
(``max_bond`` plus a ``cutoff`` on the relative discarded weight, quimb's
``cutoff_mode="rsum2"``), single-threaded and pinned; the wall time of the
simulation alone (parsing, transpiling and building inputs happen outside the
timing) is the median and minimum of interleaved repetitions
(A B C D A B C D ...) after a warm-up. Each tool runs each workload in a fresh
process of its own (crashes and hangs stay there; the first run there gives
the peak memory). Beside every time stand the accuracy (fidelity estimate, the
fidelity against a reference state where it is computable, the bond dimension
reached) and the memory. The *floor* of a workload is the summed time of plain
LAPACK SVDs (numpy) of exactly the matrix shapes tensorbond factorized in that
run. POSIX only (pipes with ``select``; peak memory from ``/proc``).

Contestants
-----------
``tensorbond``
    :func:`tensorbond.simulate` of a precompiled circuit.
``quimb``
    ``quimb.tensor.CircuitMPS`` over the same gates (named quimb gates where
    quimb has them, raw matrices otherwise), ``gate_opts={"cutoff_mode": "rsum2"}``.
``aer``, ``aer_lapack``
    ``qiskit_aer.AerSimulator(method="matrix_product_state")`` with its default
    SVD and with ``mps_lapack=True``, ``max_parallel_threads=1``; the circuit ends
    with ``save_matrix_product_state`` so the state comes back for the fidelity.

A contestant that cannot run a workload (a gate it lacks, a feature it does not
simulate, a run past the time limit, a tool that is not installed) is recorded
with its status and the reason, never dropped.

Run it as ``tensorbond bench`` or ``python bench/run_suite.py``; see
``bench/README.md`` for the method in full. Needs the ``bench`` extra
(``pip install tensorbond[bench]``: quimb, qiskit, qiskit-aer, threadpoolctl,
matplotlib); contestants whose package is missing are recorded as unavailable.
"""

from __future__ import annotations

import datetime as _dt
import gc
import json
import math
import os
import platform
import select
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CONTESTANTS",
    "CONTESTANT_NAMES",
    "PLOT_NAMES",
    "SCHEMA_VERSION",
    "KernelCase",
    "Prepared",
    "Result",
    "Settings",
    "Timed",
    "Unsupported",
    "Workload",
    "WorkloadReport",
    "aer_site_tensors",
    "circuit_to_qiskit",
    "default_out_dir",
    "default_workloads",
    "find_shared",
    "load_inputs",
    "machine_info",
    "make_kernel_case",
    "make_plots",
    "mps_overlap",
    "mps_site_tensors",
    "pin_threads",
    "quimb_gates",
    "quimb_site_tensors",
    "render_markdown",
    "run_suite",
    "select_workloads",
    "state_fidelity",
    "svd_floor",
    "write_outputs",
]

#: Version of the JSON layout written by :func:`write_outputs`.
SCHEMA_VERSION = 1

_THREAD_ENV = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)

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

CONTESTANT_NAMES = ("tensorbond", "quimb", "aer", "aer_lapack")

# the reference state of the true fidelity runs at this multiple of max_bond
_REFERENCE_FACTOR = 4
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


# -------------------------------------------------------------- environment
def pin_threads(tools: Iterable[str] = CONTESTANT_NAMES) -> list[str]:
    """Pin every tool to one thread; returns notes on what could not be pinned.

    Sets the OpenMP/BLAS thread variables to 1 (effective for libraries loaded
    afterwards: import quimb and qiskit-aer after this), calls
    ``tensorbond.set_num_threads(1)``, and limits every BLAS and OpenMP pool
    already loaded with ``threadpoolctl`` (numpy's BLAS loaded before the
    variables were set included). aer gets ``max_parallel_threads=1`` per run.
    """
    for var in _THREAD_ENV:
        os.environ[var] = "1"
    notes = []
    import tensorbond as tb

    tb.set_num_threads(1)
    _import_tools(tools)
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:
        notes.append(
            "threadpoolctl is not installed: BLAS pools loaded before the thread "
            "variables were set are not pinned"
        )
    else:
        # the limiter is kept alive for the process: pinning is its purpose
        global _LIMITER
        _LIMITER = threadpool_limits(1)
    return notes


_LIMITER: Any = None


def _import_tools(tools: Iterable[str] = CONTESTANT_NAMES) -> dict[str, str | None]:
    """Import the contestants' packages; ``{tool: None, or why it is unavailable}``."""
    tools = set(tools)
    out: dict[str, str | None] = {"tensorbond": None}
    if "quimb" in tools:
        try:
            import quimb.tensor  # type: ignore[import-untyped]  # noqa: F401
        except Exception as exc:  # noqa: BLE001 (ImportError, or a broken install)
            out["quimb"] = (
                f"quimb is not importable ({exc}); pip install tensorbond[bench]"
            )
        else:
            out["quimb"] = None
    if tools & {"aer", "aer_lapack"}:
        try:
            import qiskit  # type: ignore[import-untyped]  # noqa: F401
            import qiskit_aer  # type: ignore[import-untyped]  # noqa: F401
        except Exception as exc:  # noqa: BLE001 (recorded as the reason)
            reason = (
                f"qiskit-aer is not importable ({exc}); pip install tensorbond[bench]"
            )
            out["aer"] = out["aer_lapack"] = reason
        else:
            out["aer"] = out["aer_lapack"] = None
    return out


def find_shared(shared: str | os.PathLike[str] | None = None) -> Path:
    """The ``shared`` folder holding ``circuits/`` (and ``qasmbench/``).

    Tries ``shared``, then ``$TENSORBOND_SHARED``, then ``./shared``,
    ``../shared`` and ``../../shared`` relative to the working directory.

    Raises
    ------
    FileNotFoundError
        When none of them has a ``circuits/`` folder (naming those tried).
    """
    if shared is not None:
        cands = [Path(shared)]
    else:
        env = os.environ.get("TENSORBOND_SHARED")
        cands = [Path(env)] if env else []
        cands += [Path("shared"), Path("../shared"), Path("../../shared")]
    for c in cands:
        if (c / "circuits").is_dir():
            return c.resolve()
    tried = ", ".join(str(c) for c in cands)
    raise FileNotFoundError(
        f"no benchmark circuits found: none of {tried} has a circuits/ folder; "
        "pass --shared DIR or set TENSORBOND_SHARED"
    )


def machine_info() -> dict[str, Any]:
    """Platform, CPU model, versions, BLAS pools and git revision of this run."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
    }
    versions: dict[str, str | None] = {}
    for pkg in (
        "tensorbond",
        "numpy",
        "quimb",
        "qiskit",
        "qiskit-aer",
        "threadpoolctl",
        "matplotlib",
        "scipy",
    ):
        try:
            from importlib.metadata import version

            versions[pkg] = version(pkg)
        except Exception:  # noqa: BLE001 (not installed: no version)
            versions[pkg] = None
    info["versions"] = versions
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {
                k: p.get(k)
                for k in (
                    "user_api",
                    "internal_api",
                    "num_threads",
                    "version",
                    "filepath",
                )
            }
            for p in threadpool_info()
        ]
    except ImportError:
        info["threadpools"] = None
    info["git"] = _git_revision()
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_revision() -> dict[str, Any]:
    here = Path(__file__).resolve().parent

    def git(*args: str) -> str | None:
        try:
            r = subprocess.run(
                ["git", "--no-optional-locks", *args],
                cwd=here,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    sha = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "sha": sha,
        "short": sha[:7] if sha else None,
        "dirty": bool(status) if status is not None else None,
    }


# ---------------------------------------------------------------- workloads
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


def select_workloads(
    workloads: Sequence[Workload], only: Sequence[str] | None
) -> list[Workload]:
    """Workloads whose name, family or group matches one of ``only`` (globs)."""
    if not only:
        return list(workloads)
    out = [
        w
        for w in workloads
        if any(
            fnmatch(w.name, p) or fnmatch(w.family, p) or fnmatch(w.group, p)
            for p in only
        )
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
        from tensorbond import examples

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
    impl: Any = state._impl
    impl.move_center(k)
    return KernelCase(chi=chi, site=k, gate=_haar(4, rng), state=state)


def _haar(d: int, rng: np.random.Generator) -> np.ndarray:
    z = (rng.standard_normal((d, d)) + 1j * rng.standard_normal((d, d))) / math.sqrt(2)
    q, r = np.linalg.qr(z)
    out: np.ndarray = q * (np.diagonal(r) / np.abs(np.diagonal(r)))
    return out


# ------------------------------------------------------- MPS overlap helpers
def mps_site_tensors(state: Any) -> list[np.ndarray]:
    """Site tensors ``(chi_left, 2, chi_right)`` of a tensorbond MPS in qubit order.

    If the state's ``layout`` is not the identity, a copy is moved back with
    ``restore_layout()`` first (the state itself is left alone).
    """
    if state.layout != list(range(state.num_qubits)):
        # Bounded at 4x the state's largest bond: exact restoring of a layout
        # scrambled at saturation can need 2^(n/2) (measured: qaoa_40 ran out of
        # memory). What the bound cuts counts in the fidelity estimate.
        state = state.copy().restore_layout(max_bond=4 * state.max_bond_reached, cutoff=1e-14)
    return [state.site_tensor(i) for i in range(state.num_qubits)]


def mps_overlap(a: Any, b: Any) -> complex:
    """The inner product ``<a|b>`` of two MPS, by a left-to-right transfer sweep.

    Parameters
    ----------
    a, b : tensorbond.MPS or sequence of arrays
        The same number of sites; arrays have shape ``(chi_left, 2, chi_right)``
        with ``chi_left = 1`` first and ``chi_right = 1`` last. A tensorbond MPS
        is read with :func:`mps_site_tensors` (identity layout restored).

    Returns
    -------
    complex
        ``<a|b>``, conjugate-linear in ``a``. Costs ``O(n chi^3)``.
    """
    ta = mps_site_tensors(a) if hasattr(a, "site_tensor") else list(a)
    tb_ = mps_site_tensors(b) if hasattr(b, "site_tensor") else list(b)
    if len(ta) != len(tb_):
        raise ValueError(f"MPS of {len(ta)} and {len(tb_)} sites have no overlap")
    env = np.ones((1, 1), dtype=np.complex128)
    for x, y in zip(ta, tb_):
        if x.ndim != 3 or y.ndim != 3 or x.shape[1] != y.shape[1]:
            raise ValueError(
                f"site tensors of shapes {x.shape} and {y.shape} do not match"
            )
        t = np.tensordot(env, y, axes=(1, 0))  # (la, s, rb)
        env = np.tensordot(x.conj(), t, axes=([0, 1], [0, 1]))  # (ra, rb)
    if env.shape != (1, 1):
        raise ValueError(f"open boundary bonds {env.shape} (expected 1 at both ends)")
    return complex(env[0, 0])


def state_fidelity(a: Any, b: Any) -> float:
    """``|<a|b>|^2 / (<a|a> <b|b>)``: the fidelity of the normalized states."""
    ta = mps_site_tensors(a) if hasattr(a, "site_tensor") else list(a)
    tb_ = mps_site_tensors(b) if hasattr(b, "site_tensor") else list(b)
    ab = mps_overlap(ta, tb_)
    aa = mps_overlap(ta, ta).real
    bb = mps_overlap(tb_, tb_).real
    if aa <= 0 or bb <= 0:
        return float("nan")
    return float(min(1.0, abs(ab) ** 2 / (aa * bb)))


def quimb_site_tensors(psi: Any) -> list[np.ndarray]:
    """Site tensors ``(chi_left, 2, chi_right)`` of a quimb ``MatrixProductState``."""
    n = psi.L
    out = []
    for i in range(n):
        t = psi[i]
        left = list(t.bonds(psi[i - 1])) if i > 0 else []
        right = list(t.bonds(psi[i + 1])) if i < n - 1 else []
        arr = np.asarray(t.transpose(*left, psi.site_ind(i), *right).data)
        if i == 0:
            arr = arr[None]
        if i == n - 1:
            arr = arr[..., None]
        out.append(arr)
    return out


def aer_site_tensors(saved: Any) -> list[np.ndarray]:
    """Site tensors from qiskit-aer's ``save_matrix_product_state`` (qubit order).

    Aer returns Vidal form ``([(Gamma_q^0, Gamma_q^1), ...], [lambda_q, ...])``;
    site ``q`` becomes ``A[l, s, r] = Gamma_q^s[l, r] lambda_q[r]``.
    """
    gammas, lambdas = saved
    out = []
    for q, (g0, g1) in enumerate(gammas):
        a = np.stack([np.asarray(g0), np.asarray(g1)], axis=1)
        if q < len(lambdas):
            a = a * np.asarray(lambdas[q])[None, None, :]
        out.append(a)
    return out


# ---------------------------------------------------------- circuit converters
#: Our gate names that quimb has under its own name (same matrix up to phase).
QUIMB_GATE_NAMES = {
    "id": "IDEN",
    "x": "X",
    "y": "Y",
    "z": "Z",
    "h": "H",
    "s": "S",
    "sdg": "SDG",
    "t": "T",
    "tdg": "TDG",
    "sx": "SX",
    "rx": "RX",
    "ry": "RY",
    "rz": "RZ",
    "p": "U1",
    "u1": "U1",
    "u2": "U2",
    "u3": "U3",
    "u": "U3",
    "U": "U3",
    "cx": "CX",
    "CX": "CX",
    "cy": "CY",
    "cz": "CZ",
    "swap": "SWAP",
    "iswap": "ISWAP",
    "cp": "CU1",
    "cu1": "CU1",
    "cphase": "CU1",
    "crx": "CRX",
    "cry": "CRY",
    "crz": "CRZ",
    "cu3": "CU3",
    "rxx": "RXX",
    "ryy": "RYY",
    "rzz": "RZZ",
    "xx_plus_yy": "XXPLUSYY",
    "xx_minus_yy": "XXMINUSYY",
    "ccx": "CCX",
    "ccz": "CCZ",
    "cswap": "CSWAP",
}

def quimb_gates(circuit: Any) -> tuple[list[Any], list[str]]:
    """The circuit's gates as quimb ``Gate`` objects, and the names passed raw.

    Gates quimb knows by name (:data:`QUIMB_GATE_NAMES`) become
    ``(NAME, *params, *qubits)``; others (and explicit unitaries) become raw
    matrices, which quimb applies the same way.

    Raises
    ------
    Unsupported
        Measurements before the end, resets and classical control (quimb's gates
        cannot express them).
    """
    from quimb.tensor.circuit import parse_to_gate  # type: ignore[import-untyped]

    _check_static(circuit, "quimb CircuitMPS")
    gates = []
    raw: set[str] = set()
    for op in circuit:
        if op.kind != "gate":
            continue
        qname = QUIMB_GATE_NAMES.get(op.name) if op.matrix is None else None
        if qname is None:
            raw.add(op.name)
            gates.append(parse_to_gate((op.unitary(), *op.qubits)))
        else:
            gates.append(parse_to_gate((qname, *op.params, *op.qubits)))
    return gates, sorted(raw)


def _check_static(circuit: Any, tool: str) -> None:
    measured: set[int] = set()
    for i, op in enumerate(circuit):
        if op.kind == "reset":
            raise Unsupported(f"{tool} runs no reset (operation {i})")
        if op.condition is not None:
            raise Unsupported(
                f"{tool} runs no classically controlled gate (operation {i})"
            )
        if op.kind == "measure":
            measured.update(op.qubits)
        elif op.kind == "gate" and measured.intersection(op.qubits):
            raise Unsupported(f"{tool} runs no mid-circuit measurement (operation {i})")


def circuit_to_qiskit(circuit: Any) -> Any:
    """A qiskit ``QuantumCircuit`` with the circuit's gates (measurements dropped),
    through the one conversion helper, :func:`tensorbond.interop.circuit_to_qiskit`."""
    from tensorbond.circuit import Circuit
    from tensorbond.interop import circuit_to_qiskit as convert

    _check_static(circuit, "the qiskit conversion")
    gates = Circuit(circuit.num_qubits)
    gates._ops = [op for op in circuit if op.kind == "gate"]
    return convert(gates)


def _qiskit_circuit(inputs: Inputs) -> Any:
    from qiskit import QuantumCircuit

    if inputs.qasm_path is not None:
        return QuantumCircuit.from_qasm_file(str(inputs.qasm_path))
    return circuit_to_qiskit(inputs.circuit)


# --------------------------------------------------------------- contestants
def prepare_tensorbond(w: Workload, inputs: Inputs) -> Prepared:
    """tensorbond: ``simulate`` of a precompiled circuit, ``sample``, ``apply_gate``."""
    import tensorbond as tb

    opts: dict[str, Any] = {
        "max_bond": w.max_bond,
        "cutoff": w.cutoff,
        "cutoff_mode": w.cutoff_mode,
    }

    def inspect(state: Any) -> dict[str, Any]:
        return {
            "fidelity_estimate": state.fidelity_estimate,
            "max_bond_reached": state.max_bond_reached,
            "max_bond_final": state.max_bond,
            "state_bytes": state.memory_bytes,
        }

    if w.kind == "kernel":
        case = inputs.kernel
        if case is None or case.state is None:
            raise ValueError("the tensorbond kernel needs the built state")
        ks = case.site
        f0 = case.state.fidelity_estimate

        def inspect_kernel(s: Any) -> dict[str, Any]:
            return {
                "fidelity_estimate": s.fidelity_estimate / f0,
                "fidelity_estimate_note": "weight kept by this split",
                "max_bond_reached": s.bond_dims[ks],
                "max_bond_final": s.max_bond,
                "state_bytes": s.memory_bytes,
            }

        return Prepared(
            setup=case.state.copy,
            run=lambda s: s.apply_gate(case.gate, (ks, ks + 1), **opts),
            inspect=inspect_kernel,
            notes=[
                (
                    f"MPS.apply_gate on sites ({ks}, {ks + 1}) of "
                    f"{case.state.num_qubits}, centre already there"
                )
            ],
        )
    prog = tb.compile_circuit(inputs.circuit)
    if w.kind == "sampling":
        state = tb.simulate(prog, **opts)
        seeds = iter(range(10**9))
        return Prepared(
            run=lambda _: state.sample(w.shots, seed=next(seeds)),
            inspect=lambda _: inspect(state),
            notes=["MPS.sample of the prepared state (bits as a uint8 array)"],
        )
    return Prepared(
        run=lambda _: tb.simulate(prog, **opts),
        inspect=inspect,
        tensors=mps_site_tensors,
        notes=["simulate(compile_circuit(circuit)), routing='auto'"],
    )


def prepare_quimb(w: Workload, inputs: Inputs) -> Prepared:
    """quimb: ``CircuitMPS.apply_gates``, ``CircuitMPS.sample``, ``MPS.gate_split``."""
    import quimb.tensor as qtn

    compress = {
        "max_bond": w.max_bond,
        "cutoff": w.cutoff,
        "cutoff_mode": w.cutoff_mode,
    }
    est_note = (
        "quimb's fidelity_estimate() is norm-based and unreliable (it can "
        "exceed 1); recorded, not trusted"
    )

    def inspect(circ: Any) -> dict[str, Any]:
        psi = circ.psi
        return {
            "fidelity_estimate": float(circ.fidelity_estimate()),
            "fidelity_estimate_note": est_note,
            "max_bond_final": psi.max_bond(),
            "state_bytes": int(sum(t.data.nbytes for t in psi)),
        }

    if w.kind == "kernel":
        case = inputs.kernel
        assert case is not None
        arrays = list(case.site_tensors())
        arrays[0] = arrays[0][0]
        arrays[-1] = arrays[-1][..., 0]
        psi0 = qtn.MatrixProductState(arrays, shape="lpr")
        ks = case.site
        return Prepared(
            setup=psi0.copy,
            run=lambda p: p.gate_split_(case.gate, (ks, ks + 1), **compress),
            inspect=lambda p: {
                "max_bond_reached": p.bond_size(ks, ks + 1),
                "max_bond_final": p.max_bond(),
                "state_bytes": int(sum(t.data.nbytes for t in p)),
            },
            notes=["MatrixProductState.gate_split_ on the same tensors"],
        )
    gates, raw = quimb_gates(inputs.circuit)
    notes = [
        (
            "CircuitMPS(max_bond, cutoff, gate_opts={'cutoff_mode': 'rsum2'})"
            ".apply_gates(pre-parsed Gate objects)"
        )
    ]
    if raw:
        notes.append(f"passed to quimb as raw matrices: {', '.join(raw)}")
    n = inputs.circuit.num_qubits

    def build() -> Any:
        c = qtn.CircuitMPS(
            n,
            max_bond=w.max_bond,
            cutoff=w.cutoff,
            gate_opts={"cutoff_mode": w.cutoff_mode},
        )
        c.apply_gates(gates)
        return c

    if w.kind == "sampling":
        circ = build()
        seeds = iter(range(10**9))
        notes.append(
            "list(CircuitMPS.sample(shots)) of the prepared state (bitstrings)"
        )
        return Prepared(
            run=lambda _: list(circ.sample(w.shots, seed=next(seeds))),
            inspect=lambda _: inspect(circ),
            notes=notes,
        )
    return Prepared(
        run=lambda _: build(),
        inspect=inspect,
        tensors=lambda c: quimb_site_tensors(c.psi),
        notes=notes,
    )


def prepare_aer(w: Workload, inputs: Inputs, *, lapack: bool = False) -> Prepared:
    """qiskit-aer's MPS method (``lapack``: ``mps_lapack=True``), one thread.

    Circuits end in ``save_matrix_product_state`` (the state comes back for the
    fidelity) and run with ``shots=1``. Sampling runs the circuit with
    ``measure_all``: the time is ``wall(shots) - wall(1 shot)``, both measured in
    each repetition, back to back.
    """
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    if w.kind == "kernel":
        raise Unsupported("aer has no API to apply one gate to a given MPS")
    opts: dict[str, Any] = {
        "method": "matrix_product_state",
        "max_parallel_threads": 1,
        "max_parallel_experiments": 1,
        "max_parallel_shots": 1,
        "matrix_product_state_truncation_threshold": w.cutoff,
        "mps_lapack": lapack,
    }
    if w.max_bond is not None:
        opts["matrix_product_state_max_bond_dimension"] = w.max_bond
    sim = AerSimulator(**opts)
    qc = _qiskit_circuit(inputs)
    notes = [
        (
            f"AerSimulator(method='matrix_product_state', mps_lapack={lapack}, "
            "max_parallel_threads=1, truncation_threshold=cutoff)"
        )
    ]
    basis = set(sim.configuration().basis_gates) | {"measure", "barrier", "reset"}
    foreign = sorted({inst.operation.name for inst in qc.data} - basis)
    if foreign:
        qc = transpile(qc, sim, optimization_level=0)
        notes.append(
            f"transpiled (optimization_level=0) to unroll {', '.join(foreign)}"
        )

    def inspect_saved(res: Any) -> dict[str, Any]:
        saved = res.data(0)["matrix_product_state"]
        bonds = [len(x) for x in saved[1]]
        nbytes = sum(np.asarray(g).nbytes for pair in saved[0] for g in pair)
        return {
            "fidelity_estimate_note": "aer reports no fidelity or discarded weight",
            "max_bond_final": max(bonds, default=1),
            "state_bytes": int(nbytes),
        }

    if w.kind == "sampling":
        qs = qc.remove_final_measurements(inplace=False)
        qs.measure_all()
        seeds = iter(range(10**9))
        notes.append("time = wall(shots) - wall(1 shot), both per repetition")

        def run_sampling(_: Any) -> Timed:
            seed = next(seeds)
            t0 = time.perf_counter()
            sim.run(qs, shots=1, seed_simulator=seed).result()
            t1 = time.perf_counter()
            res = sim.run(qs, shots=w.shots, seed_simulator=seed).result()
            t2 = time.perf_counter()
            return Timed(
                res,
                (t2 - t1) - (t1 - t0),
                {"wall_shots_s": t2 - t1, "wall_1shot_s": t1 - t0},
            )

        return Prepared(
            run=run_sampling,
            notes=notes,
            inspect=lambda _: {
                "fidelity_estimate_note": "aer reports no fidelity or discarded weight"
            },
        )
    qc = qc.remove_final_measurements(inplace=False)
    qc.save_matrix_product_state()
    return Prepared(
        run=lambda _: sim.run(qc, shots=1).result(),
        inspect=inspect_saved,
        tensors=lambda res: aer_site_tensors(res.data(0)["matrix_product_state"]),
        notes=notes,
    )


def prepare_aer_lapack(w: Workload, inputs: Inputs) -> Prepared:
    """qiskit-aer's MPS method with ``mps_lapack=True``."""
    return prepare_aer(w, inputs, lapack=True)


#: The contestants: ``name -> prepare(workload, inputs) -> Prepared``.
CONTESTANTS: dict[str, Callable[[Workload, Inputs], Prepared]] = {
    "tensorbond": prepare_tensorbond,
    "quimb": prepare_quimb,
    "aer": prepare_aer,
    "aer_lapack": prepare_aer_lapack,
}


def _warm_up_tool(name: str) -> None:
    """Run a contestant once on a 6-qubit circuit (imports, JIT, first-call costs).

    Not aer: after a run on a smaller circuit (with the default SVD, or with
    ``mps_lapack`` and a binding bond limit), an ``mps_lapack`` run on a larger
    circuit crashes with SIGSEGV (qiskit-aer 0.18.2); aer's first-call costs go
    into the first run of each workload, which is not timed.
    """
    if name.startswith("aer"):
        return
    from tensorbond import examples

    w = Workload(
        name="warm-up",
        group="-",
        family="-",
        kind="circuit",
        source="example:brick:6:4",
        max_bond=4,
    )
    prep = CONTESTANTS[name](w, Inputs(circuit=examples.brick(6, 4)))
    _run_once(prep)


def _run_once(prep: Prepared) -> tuple[float, Any, dict[str, float]]:
    arg = prep.setup() if prep.setup is not None else None
    t0 = time.perf_counter()
    out = prep.run(arg)
    dt = time.perf_counter() - t0
    if isinstance(out, Timed):
        return out.seconds, out.value, out.extra
    return dt, out, {}


# ------------------------------------------------------------------- floor
def svd_floor(
    shapes: Iterable[Sequence[int]], *, dtype: Any = np.complex128, seed: int = 0
) -> float:
    """Summed time of numpy's LAPACK SVDs (gesdd) of matrices of these shapes.

    One random Gaussian matrix per distinct shape, reused; only the
    ``np.linalg.svd(a, full_matrices=False)`` calls are timed.
    """
    rng = np.random.default_rng(seed)
    cache: dict[tuple[int, int], np.ndarray] = {}
    total = 0.0
    for m, n in shapes:
        key = (int(m), int(n))
        a = cache.get(key)
        if a is None:
            a = rng.standard_normal(key) + 1j * rng.standard_normal(key)
            a = cache[key] = np.ascontiguousarray(a, dtype=dtype)
        t0 = time.perf_counter()
        np.linalg.svd(a, full_matrices=False)
        total += time.perf_counter() - t0
    return total


def _recorded_shapes(w: Workload, inputs: Inputs) -> np.ndarray:
    """The SVD shapes tensorbond factorizes in one run of the workload."""
    import tensorbond as tb

    opts: dict[str, Any] = {
        "max_bond": w.max_bond,
        "cutoff": w.cutoff,
        "cutoff_mode": w.cutoff_mode,
    }
    if w.kind == "kernel":
        case = inputs.kernel
        assert case is not None and case.state is not None
        s = case.state.copy()
        impl: Any = s._impl
        impl.record_svd_shapes(True)
        s.apply_gate(case.gate, (case.site, case.site + 1), **opts)
        return np.asarray(impl.svd_shapes())
    state = tb.MPS(inputs.circuit.num_qubits)
    first: Any = state._impl
    first.record_svd_shapes(True)
    state = tb.simulate(inputs.circuit, initial_state=state, **opts)
    out: Any = state._impl
    return np.asarray(out.svd_shapes())


# ------------------------------------------------------------------ workers
def _proc_status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0]) * 1024
    return out


def _reset_peak() -> tuple[int | None, str]:
    """Reset this process's peak RSS where Linux allows; the baseline and a note."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return _proc_status()["VmRSS"], "VmHWM - VmRSS of the run's fresh process"
    except OSError:
        pass
    try:
        return _proc_status()["VmHWM"], (
            "VmHWM growth of the run's fresh process (the "
            "peak could not be reset: a lower bound)"
        )
    except OSError:
        return None, "not measured (no /proc)"


def _measured_run(prep: Prepared, memory: bool) -> tuple[Any, dict[str, Any]]:
    """One run; its time and, with ``memory``, the peak resident growth."""
    import resource

    arg = prep.setup() if prep.setup is not None else None
    info: dict[str, Any] = {}
    if memory:
        gc.collect()
        base, info["peak_rss_note"] = _reset_peak()
        ru0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    out = prep.run(arg)
    dt = time.perf_counter() - t0
    info["extra"] = {}
    if isinstance(out, Timed):
        dt, info["extra"], out = out.seconds, out.extra, out.value
    info["time_s"] = dt
    if memory:
        ru1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        info["ru_maxrss_delta_bytes"] = ru1 - ru0
        if base is not None:
            info["peak_rss_bytes"] = max(0, _proc_status()["VmHWM"] - base)
    return out, info


def _describe(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()
    first = msg[0] if msg else ""
    if len(first) > 300:
        first = first[:300] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _threadpools() -> list[dict[str, Any]] | None:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [
        {k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "version")}
        for p in threadpool_info()
    ]


def _worker_main() -> int:
    """A contestant's process for one workload: ``python -m tensorbond.benchmark --worker``.

    JSON lines on stdin and stdout. The first line is the spec
    ``{"workload": {...}, "contestant": name, "kernel_path": path or null}``; the
    worker pins its threads, imports only its tool, warms it up on a 6-qubit
    circuit, prepares the workload (untimed) and answers ``{"status": "ok",
    "notes": [...]}`` or a status and reason. Then commands, one answer each:
    ``run`` (``memory``: also measure the peak resident growth), ``inspect``,
    ``tensors`` (``path``: save the output's site tensors), ``svd_shapes``
    (tensorbond), ``save_inputs`` (tensorbond kernel: ``path``) and ``exit``.
    Whatever else gets printed goes to stderr: the protocol keeps its own copy
    of stdout.
    """
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)

    def reply(obj: dict[str, Any]) -> None:
        proto.write(json.dumps(_jsonable(obj)) + "\n")
        proto.flush()

    spec = json.loads(sys.stdin.readline())
    w = Workload(**spec["workload"])
    name = spec["contestant"]
    try:
        pin_threads([name])
        why = _import_tools([name]).get(name)
        if why:
            reply({"status": "unavailable", "reason": why})
            return 0
        _warm_up_tool(name)
        inputs = load_inputs(w, kernel_path=spec.get("kernel_path"))
        prep = CONTESTANTS[name](w, inputs)
    except Unsupported as exc:
        reply({"status": "unsupported", "reason": str(exc)})
        return 0
    except NotImplementedError as exc:
        reply({"status": "unsupported", "reason": _describe(exc)})
        return 0
    except Exception as exc:  # noqa: BLE001 (recorded as the reason)
        reply({"status": "error", "reason": f"preparing: {_describe(exc)}"})
        return 0
    reply({"status": "ok", "notes": prep.notes, "threadpools": _threadpools()})
    out: Any = None
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg.get("cmd")
        try:
            if cmd == "run":
                out = None  # free the previous output before the next run
                out, info = _measured_run(prep, bool(msg.get("memory")))
                reply({"status": "ok", **info})
            elif cmd == "inspect":
                facts = prep.inspect(out) if prep.inspect is not None else {}
                reply({"status": "ok", "facts": facts})
            elif cmd == "tensors":
                if prep.tensors is None:
                    reply(
                        {
                            "status": "ok",
                            "saved": False,
                            "reason": "the tool's state is not available",
                        }
                    )
                else:
                    ts = prep.tensors(out)
                    arrays: dict[str, Any] = {f"t{i}": t for i, t in enumerate(ts)}
                    np.savez(msg["path"], **arrays)
                    reply({"status": "ok", "saved": True, "num_sites": len(ts)})
            elif cmd == "svd_shapes":
                reply({"status": "ok", "shapes": _recorded_shapes(w, inputs).tolist()})
            elif cmd == "save_inputs":
                assert inputs.kernel is not None
                inputs.kernel.save(msg["path"])
                reply({"status": "ok"})
            elif cmd == "exit":
                break
            else:
                reply({"status": "error", "reason": f"unknown command {cmd!r}"})
        except Exception as exc:  # noqa: BLE001 (recorded as the reason)
            reply({"status": "error", "reason": _describe(exc)})
    return 0


class _WorkerFailed(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _Worker:
    """The parent's handle on one contestant's process (see :func:`_worker_main`)."""

    def __init__(self, name: str, spec: dict[str, Any], log_dir: Path) -> None:
        self.name = name
        env = dict(os.environ)
        env.update({v: "1" for v in _THREAD_ENV})
        self._log = open(log_dir / f"{name}.log", "w+b")  # noqa: SIM115
        self._buf = b""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tensorbond.benchmark", "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            bufsize=0,
        )
        self._send(spec)

    def _send(self, obj: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write((json.dumps(obj) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            pass  # it died: receive() says how

    def _readline(self, timeout: float) -> str | None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return ""
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line.decode()

    def receive(self, timeout: float, what: str = "a run") -> dict[str, Any]:
        """The next answer; raises :class:`_WorkerFailed` on timeout, death or error."""
        line = self._readline(timeout)
        if line is None:
            self.kill()
            raise _WorkerFailed(
                "timeout", f"{what} took over the limit of {timeout:.3g} s"
            )
        if line == "":
            rc = self.proc.wait()
            raise _WorkerFailed(
                "error",
                f"the {self.name} process died ({_exit_text(rc)})" + self._log_tail(),
            )
        msg: dict[str, Any] = json.loads(line)
        if msg.get("status", "ok") != "ok":
            raise _WorkerFailed(msg["status"], msg.get("reason") or "")
        return msg

    def call(
        self, cmd: str, timeout: float, what: str = "", **kw: Any
    ) -> dict[str, Any]:
        """Send a command and wait for its answer (see :meth:`receive`)."""
        self._send({"cmd": cmd, **kw})
        return self.receive(timeout, what or cmd)

    def _log_tail(self) -> str:
        try:
            self._log.flush()
            self._log.seek(0)
            lines = [
                ln
                for ln in self._log.read().decode(errors="replace").splitlines()
                if ln.strip()
            ]
        except OSError:
            return ""
        return f": {lines[-1][:300]}" if lines else ""

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        if self.proc.poll() is None:
            self._send({"cmd": "exit"})
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                f.close()
        self._log.close()


def _exit_text(rc: int | None) -> str:
    if rc is not None and rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit status {rc}"


# ------------------------------------------------------------------ runner
@dataclass
class Settings:
    """How the suite runs (recorded in the JSON).

    Parameters
    ----------
    quick : bool
        The quick subset (recorded; results get a ``-quick`` suffix).
    repeats : int
        Timed repetitions per contestant after the first (warm-up) run.
    time_limit_s : float
        Longest a contestant's first run may take; the process is killed past it
        and the contestant recorded as ``"timeout"``.
    prepare_limit_s : float
        Longest the untimed start of a contestant's process may take.
    reference_budget_s : float
        Longest (estimated) reference run for the true fidelity.
    memory : bool
        Measure the peak memory of the first run.
    contestants : tuple of str
        Which contestants run.
    only : tuple of str
        The ``--only`` patterns that selected the workloads (recorded; a run
        with some is partial and does not replace the ``latest`` files).
    """

    quick: bool = False
    repeats: int = 3
    time_limit_s: float = 60.0
    prepare_limit_s: float = 240.0
    reference_budget_s: float = 60.0
    memory: bool = True
    contestants: tuple[str, ...] = CONTESTANT_NAMES
    only: tuple[str, ...] = ()


def run_suite(
    workloads: Sequence[Workload],
    *,
    settings: Settings | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the workloads through every contestant; the results as a JSON-ready dict.

    Each contestant runs each workload in a fresh process of its own (which
    imports only that tool): the first run there warms up, gives the peak memory
    and is killed past the time limit; then the contestants run interleaved
    (A B C D A B C D ...), one process at a time. The floor, the reference
    state and the fidelities are computed here, between the runs.

    Parameters
    ----------
    workloads : sequence of Workload
        From :func:`default_workloads` (possibly filtered).
    settings : Settings, optional
        Repeats, limits, memory, contestants.
    progress : bool
        A tqdm bar on stderr.

    Returns
    -------
    dict
        ``{"schema", "created", "machine", "settings", "method", "wall_time_s",
        "workloads": [...]}``, each workload :meth:`WorkloadReport.to_dict`.
    """
    import importlib.util
    import tempfile

    st = settings or Settings()
    if st.repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {st.repeats}")
    unknown = set(st.contestants) - set(CONTESTANTS)
    if unknown:
        raise ValueError(
            f"unknown contestants {sorted(unknown)}; known: {list(CONTESTANTS)}"
        )
    t_start = time.perf_counter()
    pin_notes = pin_threads(["tensorbond"])  # the parent runs the floor and references
    avail: dict[str, str | None] = {}
    for name in st.contestants:
        pkgs = {
            "quimb": ["quimb"],
            "aer": ["qiskit", "qiskit_aer"],
            "aer_lapack": ["qiskit", "qiskit_aer"],
        }.get(name, [])
        lacking = [p for p in pkgs if importlib.util.find_spec(p) is None]
        avail[name] = (
            f"{', '.join(lacking)} not installed (pip install tensorbond[bench])"
            if lacking
            else None
        )
    pools: dict[str, Any] = {"parent": _threadpools()}
    bar = _bar(len(workloads), progress)
    reports = []
    with tempfile.TemporaryDirectory(prefix="tensorbond-bench-") as tmp:
        for i, w in enumerate(workloads):
            bar.set_description(w.name)
            wdir = Path(tmp) / str(i)
            wdir.mkdir()
            reports.append(_run_workload(w, st, avail, wdir, bar, pools))
            shutil.rmtree(wdir, ignore_errors=True)
            bar.update(1)
    bar.close()
    machine = machine_info()
    machine["threadpools"] = pools
    return {
        "schema": SCHEMA_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine,
        "settings": {**asdict(st), "threads": 1, "pinning_notes": pin_notes},
        "method": METHOD,
        "wall_time_s": time.perf_counter() - t_start,
        "workloads": [r.to_dict() for r in reports],
    }


METHOD = (
    "Single-threaded: OMP/OPENBLAS/MKL_NUM_THREADS=1, tensorbond.set_num_threads(1), "
    "threadpoolctl threadpool_limits(1) over every loaded BLAS/OpenMP pool, aer "
    "max_parallel_threads=1. Same truncation for every tool: max_bond and a cutoff "
    "on the relative discarded weight (rsum2; quimb gate_opts cutoff_mode='rsum2'; "
    "aer matrix_product_state_truncation_threshold). Each tool runs each workload "
    "in a fresh process of its own; parsing, transpiling and building inputs are "
    "untimed. The first run there is the warm-up and gives the peak memory (VmHWM "
    "over VmRSS before it); then the tools run interleaved A B C D A B C D; median "
    "and min of the repetitions, wall time of the simulation only. The floor is the "
    "summed time of numpy's LAPACK SVDs (gesdd) of random matrices of exactly the "
    "shapes tensorbond factorized in that run. True fidelity: "
    "|<ref|psi>|^2/(<ref|ref><psi|psi>) against a tensorbond run at 4x max_bond and "
    "cutoff 1e-14, skipped when that run is estimated over the reference budget."
)


class _NoBar:
    def set_description(self, *_: Any) -> None: ...
    def set_postfix_str(self, *_: Any) -> None: ...
    def update(self, *_: Any) -> None: ...
    def close(self) -> None: ...


def _bar(total: int, enabled: bool) -> Any:
    if not enabled:
        return _NoBar()
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]
    except ImportError:
        return _NoBar()
    return tqdm(total=total, unit="workload", file=sys.stderr, dynamic_ncols=True)


def _run_workload(
    w: Workload,
    st: Settings,
    avail: dict[str, str | None],
    tmp: Path,
    bar: Any,
    pools: dict[str, Any],
) -> WorkloadReport:
    t0 = time.perf_counter()
    rep = WorkloadReport(workload=w)
    inputs = Inputs()
    if w.kind == "kernel":
        rep.num_qubits = 2 * max(1, math.ceil(math.log2(w.max_bond or 16))) + 2
        rep.num_gates = 1
    else:
        try:
            inputs = load_inputs(w)
        except Exception as exc:  # noqa: BLE001 (recorded as the reason)
            for name in st.contestants:
                rep.results[name] = Result(name, "error", f"inputs: {_describe(exc)}")
            return rep
        rep.num_qubits = inputs.circuit.num_qubits
        rep.num_gates = sum(op.kind == "gate" for op in inputs.circuit)
    kernel_path = tmp / "kernel.npz"
    workers: dict[str, _Worker] = {}

    def fail(name: str, f: _WorkerFailed) -> None:
        res = rep.results[name]
        res.status, res.reason = f.status, f.reason
        workers.pop(name).close()

    try:
        # start every contestant's process: imports, warm-up, untimed preparation
        for name in st.contestants:
            res = rep.results[name] = Result(name)
            if avail.get(name):
                res.status, res.reason = "unavailable", avail[name]
                continue
            bar.set_postfix_str(f"start {name}")
            spec = {
                "workload": asdict(w),
                "contestant": name,
                "kernel_path": str(kernel_path) if kernel_path.exists() else None,
            }
            workers[name] = _Worker(name, spec, tmp)
            try:
                ready = workers[name].receive(st.prepare_limit_s, "preparing")
            except _WorkerFailed as f:
                fail(name, f)
                continue
            res.notes = list(ready.get("notes") or [])
            pools.setdefault(name, ready.get("threadpools"))
            if w.kind == "kernel" and name == "tensorbond":
                try:  # the other tools start from the same tensors
                    workers[name].call(
                        "save_inputs", st.prepare_limit_s, path=str(kernel_path)
                    )
                except _WorkerFailed:
                    pass
        # first run: warm-up, peak memory, the time limit
        for name in list(workers):
            res = rep.results[name]
            bar.set_postfix_str(f"first run {name}")
            try:
                msg = workers[name].call(
                    "run", st.time_limit_s, "one run", memory=st.memory
                )
            except _WorkerFailed as f:
                fail(name, f)
                continue
            res.probe_s = msg["time_s"]
            if st.memory:
                res.peak_rss_bytes = msg.get("peak_rss_bytes")
                res.peak_rss_note = msg.get("peak_rss_note")
                res.extra["ru_maxrss_delta_bytes"] = msg.get("ru_maxrss_delta_bytes")
            else:
                res.peak_rss_note = "not measured (--no-memory)"
        # interleaved repetitions
        for k in range(st.repeats):
            for name in list(workers):
                res = rep.results[name]
                bar.set_postfix_str(f"run {k + 1}/{st.repeats} {name}")
                limit = max(2 * st.time_limit_s, 3 * (res.probe_s or 0.0))
                try:
                    msg = workers[name].call("run", limit, "one run")
                except _WorkerFailed as f:
                    fail(name, f)
                    continue
                res.times_s.append(msg["time_s"])
                for key, v in (msg.get("extra") or {}).items():
                    res.extra.setdefault(key, []).append(v)
        for name in list(workers):
            res = rep.results[name]
            res.median_s = statistics.median(res.times_s)
            res.min_s = min(res.times_s)
            try:
                facts = workers[name].call("inspect", 120.0)["facts"]
            except _WorkerFailed as f:
                res.notes.append(f"inspecting the output failed: {f.reason}")
                continue
            for key, v in facts.items():
                setattr(res, key, v)
        _floor(w, st, rep, workers, bar)
        if w.kind == "circuit":
            bar.set_postfix_str("reference")
            _true_fidelities(w, inputs, rep, workers, st, tmp)
        else:
            for res in rep.results.values():
                if res.status == "ok":
                    res.true_fidelity_note = f"not applicable ({w.kind} workload)"
    finally:
        for name in list(workers):
            workers.pop(name).close()
    rep.wall_s = time.perf_counter() - t0
    return rep


def _floor(
    w: Workload,
    st: Settings,
    rep: WorkloadReport,
    workers: dict[str, _Worker],
    bar: Any,
) -> None:
    """The LAPACK SVD floor of the shapes tensorbond factorized (in its process)."""
    if w.kind == "sampling":
        rep.floor_note = "no floor: sampling factorizes nothing"
        return
    if "tensorbond" not in workers:
        rep.floor_note = "no floor: tensorbond did not run"
        return
    bar.set_postfix_str("floor")
    tbr = rep.results["tensorbond"]
    try:
        shapes = workers["tensorbond"].call(
            "svd_shapes", max(60.0, 4 * (tbr.median_s or 0.0)), "recording the shapes"
        )["shapes"]
    except _WorkerFailed as f:
        rep.floor_note = f"no floor: {f.reason}"
        return
    rep.floor_num_svd = len(shapes)
    runs = [svd_floor(shapes)]
    if runs[0] < 2.0:
        runs += [svd_floor(shapes) for _ in range(max(0, st.repeats - 1))]
    rep.floor_s = statistics.median(runs)
    rep.floor_note = (
        f"numpy.linalg.svd (gesdd) of the {len(shapes)} shapes tensorbond "
        f"factorized; median of {len(runs)} pass(es)"
    )


def _true_fidelities(
    w: Workload,
    inputs: Inputs,
    rep: WorkloadReport,
    workers: dict[str, _Worker],
    st: Settings,
    tmp: Path,
) -> None:
    """Fidelity of each tool's state against a tensorbond run at 4x ``max_bond``."""
    import tensorbond as tb

    tbr = rep.results.get("tensorbond")
    ref_t = None
    if tbr is None or tbr.status != "ok" or tbr.median_s is None:
        rep.reference_note = "no reference: tensorbond did not run"
    else:
        saturated = w.max_bond is not None and (tbr.max_bond_reached or 0) >= w.max_bond
        est = tbr.median_s * (_REFERENCE_FACTOR**3 if saturated else 2.0)
        ref_bond = None if w.max_bond is None else _REFERENCE_FACTOR * w.max_bond
        if est > st.reference_budget_s:
            rep.reference_note = (
                f"no reference: a run at max_bond {ref_bond} is estimated at {est:.3g} s, "
                f"over the reference budget of {st.reference_budget_s:g} s"
            )
        else:
            try:
                t0 = time.perf_counter()
                ref = tb.simulate(
                    inputs.circuit, max_bond=ref_bond, cutoff=1e-14, cutoff_mode="rsum2"
                )
                dt = time.perf_counter() - t0
                ref_t = mps_site_tensors(ref)
                rep.reference = {
                    "tool": "tensorbond",
                    "max_bond": ref_bond,
                    "cutoff": 1e-14,
                    "fidelity_estimate": ref.fidelity_estimate,
                    "reliable": ref.fidelity_estimate >= _RELIABLE_REFERENCE,
                    "max_bond_reached": ref.max_bond_reached,
                    "time_s": dt,
                }
                del ref
            except Exception as exc:  # noqa: BLE001 (recorded as the reason)
                rep.reference_note = f"reference run failed: {_describe(exc)}"
    for name, res in rep.results.items():
        if res.status != "ok":
            continue
        if ref_t is None:
            res.true_fidelity_note = rep.reference_note
            continue
        path = tmp / f"{name}-state.npz"
        try:
            msg = workers[name].call(
                "tensors", 300.0, "saving the state", path=str(path)
            )
        except _WorkerFailed as f:
            res.true_fidelity_note = f"the state could not be read: {f.reason}"
            continue
        if not msg.get("saved"):
            res.true_fidelity_note = msg.get("reason")
            continue
        try:
            with np.load(path) as z:
                ts = [z[f"t{i}"] for i in range(int(msg["num_sites"]))]
            res.true_fidelity = state_fidelity(ref_t, ts)
        except Exception as exc:  # noqa: BLE001 (recorded as the reason)
            res.true_fidelity_note = f"overlap failed: {_describe(exc)}"
        finally:
            path.unlink(missing_ok=True)


# ------------------------------------------------------------------ output
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


def _fmt_t(t: float | None) -> str:
    if t is None:
        return "-"
    return f"{t:.3g}"


def _fmt_f(f: float | None) -> str:
    if f is None:
        return "-"
    if f >= 0.9999995 and f <= 1.0000005:
        return "1"
    return f"{f:.6g}" if f > 0.999 else f"{f:.3g}"


def _cell(r: dict[str, Any] | None) -> str:
    if r is None:
        return "-"
    if r["status"] != "ok":
        return f"({r['status']})"
    return _fmt_t(r["median_s"])


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b <= 0:
        return "-"
    q = a / b
    return f"{q:.3g}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def render_markdown(
    doc: dict[str, Any], *, plots: Sequence[tuple[str, str]] = ()
) -> str:
    """The results as markdown: header, time, accuracy and memory tables, failures.

    ``plots`` are ``(title, relative path)`` pairs embedded at the end.
    """
    m = doc["machine"]
    v = m.get("versions", {})
    s = doc["settings"]
    git = m.get("git") or {}
    names = list(s["contestants"])
    others = [c for c in names if c != "tensorbond"] if "tensorbond" in names else []
    wls = doc["workloads"]

    def res(wd: dict[str, Any], c: str) -> dict[str, Any]:
        return wd["results"].get(c) or {}

    def ok(wd: dict[str, Any], c: str, key: str) -> Any:
        r = res(wd, c)
        return r.get(key) if r.get("status") == "ok" else None

    lines = [
        f"# tensorbond benchmark, {doc['created'][:10]}, git {git.get('short') or '?'}"
        + (" (uncommitted changes)" if git.get("dirty") else ""),
        "",
        (
            f"{m.get('cpu_model')} ({m.get('cpu_count')} cores), {m.get('platform')}, "
            f"Python {m.get('python')}; tensorbond {v.get('tensorbond')}, numpy "
            f"{v.get('numpy')}, quimb {v.get('quimb')}, qiskit-aer {v.get('qiskit-aer')}. "
            f"{'The quick subset; ' if s['quick'] else ''}{s['repeats']} timed repetitions,"
            f" one thread, time limit {s['time_limit_s']:g} s per run; suite wall time "
            f"{doc.get('wall_time_s', 0):.0f} s."
        ),
        "",
        doc["method"],
        "",
        "## Time",
        "",
        (
            "Median seconds (minimum and every repetition in the JSON); `x/tb` is x's "
            "median over tensorbond's, `tb/floor` tensorbond's over the SVD floor."
        ),
        "",
    ]
    header = [
        "workload",
        "qubits",
        "max_bond",
        *names,
        "SVD floor",
        *(f"{c}/tb" for c in others),
    ] + (["tb/floor"] if others else [])
    rows = []
    for wd in wls:
        w = wd["workload"]
        tbm = ok(wd, "tensorbond", "median_s")
        row = [
            w["name"],
            str(wd.get("num_qubits") or "-"),
            str(w["max_bond"]) if w["max_bond"] else "-",
        ]
        row += [_cell(wd["results"].get(c)) for c in names]
        row.append(_fmt_t(wd.get("floor_s")))
        row += [_ratio(ok(wd, c, "median_s"), tbm) for c in others]
        if others:
            row.append(_ratio(tbm, wd.get("floor_s")))
        rows.append(row)
    lines += _table(header, rows)
    lines += [
        "",
        "## Accuracy",
        "",
        (
            "F est.: the tool's own fidelity estimate (quimb's is unreliable, aer reports "
            "none; for the kernel, the weight the split kept). F true: the fidelity "
            "against the reference state. Bond: the largest bond reached (tensorbond), the "
            "final largest bond (the others)."
        ),
        "",
    ]
    header = [
        "workload",
        *(f"{c} F est." for c in names if c in ("tensorbond", "quimb")),
        *(f"{c} F true" for c in names),
        *(f"{c} bond" for c in names),
        "reference",
    ]
    rows = []
    for wd in wls:
        row = [wd["workload"]["name"]]
        row += [
            _fmt_f(ok(wd, c, "fidelity_estimate"))
            for c in names
            if c in ("tensorbond", "quimb")
        ]
        ref = wd.get("reference")
        mark = " †" if ref and ref["fidelity_estimate"] < _RELIABLE_REFERENCE else ""
        row += [
            _fmt_f(f) + (mark if f is not None else "")
            for f in (ok(wd, c, "true_fidelity") for c in names)
        ]
        for c in names:
            b = ok(wd, c, "max_bond_reached") or ok(wd, c, "max_bond_final")
            row.append(str(b) if b is not None else "-")
        if ref:
            row.append(
                f"tensorbond, max_bond {ref['max_bond'] or 'none'}, F est. "
                f"{_fmt_f(ref['fidelity_estimate'])}"
            )
        elif wd["workload"]["kind"] == "circuit":
            row.append("none")
        else:
            row.append("n/a")
        rows.append(row)
    lines += _table(header, rows)
    if any(
        wd.get("reference") and wd["reference"]["fidelity_estimate"] < _RELIABLE_REFERENCE
        for wd in wls
    ):
        lines += [
            "",
            (
                f"†: the reference state is itself truncated (its F est. is below "
                f"{_RELIABLE_REFERENCE:g}), so this F true compares two approximations "
                "and says little about either."
            ),
        ]
    notes = sorted({wd.get("reference_note") for wd in wls if wd.get("reference_note")})
    if notes:
        lines += [
            "",
            "Workloads without a reference: "
            + "; ".join(
                f"{wd['workload']['name']}: {wd['reference_note']}"
                for wd in wls
                if wd.get("reference_note")
            )
            + ".",
        ]
    lines += [
        "",
        "## Memory",
        "",
        (
            "Peak resident growth (MiB) of one run in the tool's fresh process, and the "
            "bytes of tensorbond's state."
        ),
        "",
    ]
    rows = []
    for wd in wls:
        row = [wd["workload"]["name"]]
        for c in names:
            b = res(wd, c).get("peak_rss_bytes")
            row.append(f"{b / 2**20:.3g}" if b is not None else "-")
        sb = ok(wd, "tensorbond", "state_bytes")
        row.append(f"{sb / 2**20:.3g}" if sb is not None else "-")
        rows.append(row)
    lines += _table(["workload", *names, "tensorbond state MiB"], rows)
    fails = [
        (wd["workload"]["name"], c, r)
        for wd in wls
        for c, r in wd["results"].items()
        if r["status"] != "ok"
    ]
    lines += ["", "## Contestants that did not run", ""]
    if fails:
        lines += _table(
            ["workload", "contestant", "status", "reason"],
            [
                [wn, c, r["status"], (r.get("reason") or "").replace("|", "\\|")]
                for wn, c, r in fails
            ],
        )
    else:
        lines.append("None: every contestant ran every workload.")
    if plots:
        lines += ["", "## Plots", ""]
        for title, path in plots:
            lines += [f"![{title}]({path})", ""]
    return "\n".join(lines).rstrip() + "\n"


PLOT_NAMES = ("time_vs_bond", "speedup", "fidelity_vs_time")
_COLORS = {"tensorbond": "C0", "quimb": "C1", "aer": "C2", "aer_lapack": "C3"}


def _save_figure(fig: Any, path: Path) -> Path:
    """Plain tick labels on log axes, tight layout, write, close."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    for a in fig.axes:
        a.xaxis.set_minor_formatter(NullFormatter())
        a.yaxis.set_minor_formatter(NullFormatter())
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def make_plots(doc: dict[str, Any], prefix: Path) -> list[Path]:
    """Write ``<prefix>-time_vs_bond.png``, ``-speedup.png``, ``-fidelity_vs_time.png``.

    Raises
    ------
    ImportError
        Without matplotlib.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(doc["settings"]["contestants"])
    wls = doc["workloads"]
    written = []

    # time vs max_bond for the families swept over max_bond
    fams: dict[str, list[dict[str, Any]]] = {}
    for wd in wls:
        fams.setdefault(wd["workload"]["family"], []).append(wd)
    sweeps = {
        f: ws
        for f, ws in fams.items()
        if len({wd["workload"]["max_bond"] for wd in ws}) > 1
        and all(wd["workload"]["kind"] != "sampling" for wd in ws)
    }
    path = Path(f"{prefix}-time_vs_bond.png")
    fig, axes = plt.subplots(
        1, max(1, len(sweeps)), figsize=(5 * max(1, len(sweeps)), 4), squeeze=False
    )
    for ax, (fam, ws) in zip(axes[0], sweeps.items()):
        ws = sorted(ws, key=lambda wd: wd["workload"]["max_bond"])
        for c in names:
            pts = [
                (wd["workload"]["max_bond"], wd["results"][c]["median_s"])
                for wd in ws
                if c in wd["results"] and wd["results"][c]["status"] == "ok"
            ]
            if pts:
                ax.plot(*zip(*pts), "o-", label=c, color=_COLORS.get(c))
        pts = [
            (wd["workload"]["max_bond"], wd["floor_s"])
            for wd in ws
            if wd.get("floor_s")
        ]
        if pts:
            ax.plot(*zip(*pts), "k--", label="SVD floor")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("max_bond")
        ax.set_ylabel("seconds (median)")
        ax.set_title(fam)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    if not sweeps:
        axes[0][0].text(0.5, 0.5, "no max_bond sweep in this run", ha="center")
        axes[0][0].set_axis_off()
    written.append(_save_figure(fig, path))

    # speedup of tensorbond over each other tool, per workload
    others = [c for c in names if c != "tensorbond"]
    path = Path(f"{prefix}-speedup.png")
    labels = [wd["workload"]["name"] for wd in wls]
    fig, ax = plt.subplots(
        figsize=(min(22.0, max(6.0, 2 + 0.18 * len(labels) * max(1, len(others)))), 5)
    )
    width = 0.8 / max(1, len(others))
    for j, c in enumerate(others):
        xs, ys = [], []
        for i, wd in enumerate(wls):
            rt = wd["results"].get("tensorbond") or {}
            rc = wd["results"].get(c) or {}
            if rt.get("status") == "ok" and rc.get("status") == "ok" and rt["median_s"]:
                xs.append(i + (j - (len(others) - 1) / 2) * width)
                ys.append(rc["median_s"] / rt["median_s"])
        ax.bar(xs, ys, width=width, label=f"{c} / tensorbond", color=_COLORS.get(c))
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("time ratio (>1: tensorbond faster)")
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", which="both", alpha=0.3)
    written.append(_save_figure(fig, path))

    # fidelity vs time: the circuit sweeps as lines, the other circuits as points
    path = Path(f"{prefix}-fidelity_vs_time.png")
    circ_sweeps = {
        f: ws
        for f, ws in sweeps.items()
        if all(wd["workload"]["kind"] == "circuit" for wd in ws)
    }
    panels = [
        *circ_sweeps.items(),
        (
            "other circuits",
            [
                wd
                for wd in wls
                if wd["workload"]["kind"] == "circuit"
                and wd["workload"]["family"] not in circ_sweeps
            ],
        ),
    ]
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5 * len(panels), 4.2), squeeze=False
    )
    for ax, (title, ws) in zip(axes[0], panels):
        ws = sorted(ws, key=lambda wd: wd["workload"]["max_bond"] or 0)
        for c in names:
            true_pts, est_pts = [], []
            for wd in ws:
                r = wd["results"].get(c) or {}
                if r.get("status") != "ok":
                    continue
                if r.get("true_fidelity") is not None:
                    true_pts.append((r["median_s"], max(1e-16, 1 - r["true_fidelity"])))
                elif c == "tensorbond" and r.get("fidelity_estimate") is not None:
                    est_pts.append(
                        (r["median_s"], max(1e-16, 1 - r["fidelity_estimate"]))
                    )
            style = "o-" if title in circ_sweeps else "o"
            if true_pts:
                ax.plot(
                    *zip(*true_pts), style, label=c, color=_COLORS.get(c), alpha=0.8
                )
            if est_pts:
                ax.plot(
                    *zip(*est_pts),
                    "o",
                    mfc="none",
                    color=_COLORS.get(c),
                    label=f"{c} (own estimate)",
                )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("seconds (median)")
        ax.set_ylabel("1 - fidelity (floored at 1e-16)")
        ax.set_title(title if title not in circ_sweeps else f"{title}, max_bond sweep")
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    written.append(_save_figure(fig, path))
    return written


def write_outputs(
    doc: dict[str, Any],
    out_dir: str | os.PathLike[str],
    *,
    plots: bool = True,
    latest: bool | None = None,
) -> dict[str, Any]:
    """Write ``<date>-<sha>.json``, ``.md`` and PNGs (and the ``latest*`` copies).

    Quick runs get a ``-quick`` suffix, runs of selected workloads or
    contestants a ``-partial`` one; ``latest`` (default: neither of them) also
    copies the files to ``latest.json``, ``latest.md`` and ``latest-*.png``. Returns
    ``{"json", "md", "plots", "latest", "plot_error"}`` (paths as strings).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    git = doc["machine"].get("git") or {}
    st = doc["settings"]
    stem = f"{doc['created'][:10]}-{git.get('short') or 'nogit'}"
    if st.get("quick"):
        stem += "-quick"
    partial = bool(st.get("only")) or set(st.get("contestants", ())) != set(
        CONTESTANT_NAMES
    )
    if partial:
        stem += "-partial"
    if latest is None:
        latest = not st.get("quick") and not partial
    written: dict[str, Any] = {"plots": [], "latest": [], "plot_error": None}
    pngs: list[Path] = []
    if plots:
        try:
            pngs = make_plots(doc, out / stem)
        except ImportError as exc:
            written["plot_error"] = f"no plots: {exc} (pip install matplotlib)"
        except Exception as exc:  # noqa: BLE001 (a plot must not lose the results)
            written["plot_error"] = f"plotting failed: {_describe(exc)}"
    titles = dict(
        zip(
            PLOT_NAMES,
            (
                "time against max_bond",
                "time ratio per workload",
                "fidelity against time",
            ),
        )
    )
    jpath = out / f"{stem}.json"
    jpath.write_text(json.dumps(_jsonable(doc), indent=1) + "\n", encoding="utf-8")
    mpath = out / f"{stem}.md"
    mpath.write_text(
        render_markdown(
            doc, plots=[(titles[p.name[len(stem) + 1 : -4]], p.name) for p in pngs]
        ),
        encoding="utf-8",
    )
    written["json"], written["md"] = str(jpath), str(mpath)
    written["plots"] = [str(p) for p in pngs]
    if latest:
        for p in pngs:
            dst = out / f"latest-{p.name[len(stem) + 1 :]}"
            shutil.copyfile(p, dst)
            written["latest"].append(str(dst))
        shutil.copyfile(jpath, out / "latest.json")
        (out / "latest.md").write_text(
            render_markdown(
                doc,
                plots=[
                    (
                        titles[p.name[len(stem) + 1 : -4]],
                        f"latest-{p.name[len(stem) + 1 :]}",
                    )
                    for p in pngs
                ],
            ),
            encoding="utf-8",
        )
        written["latest"] += [str(out / "latest.json"), str(out / "latest.md")]
    return written


def default_out_dir() -> Path:
    """``./bench/results`` inside a checkout (a ``bench/`` folder here), else ``./bench-results``."""
    return Path("bench/results") if Path("bench").is_dir() else Path("bench-results")


def write_part(doc: dict[str, Any], out_dir: str | os.PathLike[str], stem: str,
               markdown: str) -> dict[str, Path]:
    """Write a suite part's ``<stem>.md`` and ``<stem>.json`` (``-quick``
    suffixed for quick runs) to ``out_dir``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if doc.get("quick"):
        stem += "-quick"
    md, js = out / f"{stem}.md", out / f"{stem}.json"
    md.write_text(markdown)
    js.write_text(json.dumps(doc, indent=1))
    return {"md": md, "json": js}


if __name__ == "__main__":  # a contestant's process, started by _Worker
    if sys.argv[1:] == ["--worker"]:
        sys.exit(_worker_main())
    print(
        "usage: tensorbond bench (this module's own entry is for its child processes)",
        file=sys.stderr,
    )
    sys.exit(2)
