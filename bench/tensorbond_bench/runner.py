"""The runner: every workload through every contestant, the floor, the fidelities."""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import environment
from .contestants import CONTESTANTS
from .environment import _threadpools, machine_info
from .floor import gemm_floor, svd_floor
from .model import (
    _RELIABLE_REFERENCE,
    CONTESTANT_NAMES,
    SCHEMA_VERSION,
    Inputs,
    Result,
    Workload,
    WorkloadReport,
    _describe,
)
from .overlap import mps_site_tensors, state_fidelity
from .workers import _Worker, _WorkerFailed
from .workloads import load_inputs

# the reference state of the true fidelity runs at this multiple of max_bond
_REFERENCE_FACTOR = 4


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
        raise ValueError(f"unknown contestants {sorted(unknown)}; known: {list(CONTESTANTS)}")
    t_start = time.perf_counter()
    pin_notes = environment.pin_threads(["tensorbond"])  # the parent runs the floor and references
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
    "better of the summed time of numpy's LAPACK SVDs (gesdd) of random matrices of "
    "exactly the shapes tensorbond factorized in that run, and the GEMM/QR "
    "multiply-adds of the split routes it took (MPS.split_stats) at numpy's "
    "measured GEMM rate. tensorbond runs its defaults (split='auto', "
    "routing='auto'). True fidelity: "
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
        except Exception as exc:
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
                with contextlib.suppress(_WorkerFailed):  # the others start from these tensors
                    workers[name].call("save_inputs", st.prepare_limit_s, path=str(kernel_path))
        # first run: warm-up, peak memory, the time limit
        for name in list(workers):
            res = rep.results[name]
            bar.set_postfix_str(f"first run {name}")
            try:
                msg = workers[name].call("run", st.time_limit_s, "one run", memory=st.memory)
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
    """The floor of what tensorbond factorized (in its process): SVD and GEMM."""
    if w.kind == "sampling":
        rep.floor_note = "no floor: sampling factorizes nothing"
        return
    if "tensorbond" not in workers:
        rep.floor_note = "no floor: tensorbond did not run"
        return
    bar.set_postfix_str("floor")
    tbr = rep.results["tensorbond"]
    try:
        answer = workers["tensorbond"].call(
            "svd_shapes", max(60.0, 4 * (tbr.median_s or 0.0)), "recording the shapes"
        )
    except _WorkerFailed as f:
        rep.floor_note = f"no floor: {f.reason}"
        return
    shapes = answer["shapes"]
    rep.floor_num_svd = len(shapes)
    runs = [svd_floor(shapes)]
    if runs[0] < 2.0:
        runs += [svd_floor(shapes) for _ in range(max(0, st.repeats - 1))]
    rep.floor_svd_s = statistics.median(runs)
    madds = float(answer.get("madds") or 0.0)
    rep.floor_gemm_s = gemm_floor(madds) if madds > 0 else None
    rep.floor_s = min(x for x in (rep.floor_svd_s, rep.floor_gemm_s) if x is not None)
    which = "GEMM" if rep.floor_s == rep.floor_gemm_s else "SVD"
    rep.floor_note = (
        f"{which} floor: the better of numpy.linalg.svd (gesdd) of the {len(shapes)} "
        f"shapes tensorbond factorized (median of {len(runs)} pass(es)) and the "
        f"{madds:.3g} GEMM/QR multiply-adds of the split routes it took at numpy's "
        "measured GEMM rate"
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
            except Exception as exc:
                rep.reference_note = f"reference run failed: {_describe(exc)}"
    for name, res in rep.results.items():
        if res.status != "ok":
            continue
        if ref_t is None:
            res.true_fidelity_note = rep.reference_note
            continue
        path = tmp / f"{name}-state.npz"
        try:
            msg = workers[name].call("tensors", 300.0, "saving the state", path=str(path))
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
        except Exception as exc:
            res.true_fidelity_note = f"overlap failed: {_describe(exc)}"
        finally:
            path.unlink(missing_ok=True)
