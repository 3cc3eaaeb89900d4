"""Engine figures for the closing note: tensorbond vs quimb vs qiskit-aer.

Single-threaded (BLAS pinned to 1 thread for every tool), same truncation
policy for each tool, wall time of the simulation only (parsing outside),
median and min over repeats, contestants interleaved, all in this one process
(the suite proper, ``tensorbond bench``, isolates each tool in a process of its
own). The contestants, the thread pinning, the SVD floor and the paths are the
suite's own (package ``tensorbond_bench`` beside this script); what this adds is
tensorbond's four routings side by side. Run:

    python bench/bench_engine.py [--quick] [--only NAME] [--shared DIR] [--out DIR]

Prints a markdown table and writes engine.json to the results folder
(default bench/results).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

# one thread for every BLAS and OpenMP pool, set before numpy is imported
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import tensorbond as tb  # noqa: E402
from tensorbond_bench import environment  # noqa: E402  (bench/ is this script's folder)
from tensorbond_bench.contestants import prepare_aer, prepare_quimb  # noqa: E402
from tensorbond_bench.floor import recorded_shapes, svd_floor  # noqa: E402
from tensorbond_bench.model import Inputs, Workload  # noqa: E402
from tensorbond_bench.paths import default_out_dir, find_shared  # noqa: E402


def _time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def _workload(path: Path, chi, cutoff) -> Workload:
    return Workload(
        name=path.stem,
        group="circuits",
        family=path.stem,
        kind="circuit",
        source=str(path),
        max_bond=chi,
        cutoff=cutoff,
    )


def run_tb(circ, chi, cutoff, routing="auto"):
    prog = tb.compile_circuit(circ)
    return lambda: tb.simulate(
        prog, max_bond=chi, cutoff=cutoff, cutoff_mode="rsum2", routing=routing
    )


def run_quimb(w: Workload, inputs: Inputs):
    """The suite's quimb contestant (``CircuitMPS.apply_gates``), run here."""
    prep = prepare_quimb(w, inputs)
    return lambda: prep.run(None)


def run_aer(w: Workload, inputs: Inputs, lapack=False):
    """The suite's qiskit-aer contestant (``mps_lapack`` or not), run here."""
    prep = prepare_aer(w, inputs, lapack=lapack)
    return lambda: prep.run(None)


def floor(w: Workload, inputs: Inputs):
    """Time of numpy's LAPACK SVDs of exactly the shapes tensorbond factorized."""
    shapes = recorded_shapes(w, inputs)
    return svd_floor(shapes), len(shapes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", help="run only this workload name")
    ap.add_argument("--shared", help="folder with circuits/ (default: as tensorbond bench)")
    ap.add_argument("--out", help="results folder (default bench/results)")
    args = ap.parse_args()
    circuits = find_shared(args.shared) / "circuits"
    environment.pin_threads(("tensorbond", "quimb", "aer"))
    work = [
        ("ghz_100", None, 1e-10),
        ("qft_30", None, 1e-10),
        ("qaoa_40", 32, 1e-10),
        ("brick_50x20", 64, 1e-10),
        ("brick_50x20", 128, 1e-10),
    ]
    if args.quick:
        work = work[:2]
    if args.only:
        work = [w for w in work if w[0] == args.only]
    rows = []
    for name, chi, cutoff in work:
        path = circuits / f"{name}.qasm"
        circ = tb.Circuit.from_qasm(path)
        w, inputs = _workload(path, chi, cutoff), Inputs(circuit=circ, qasm_path=path)
        reps = 3 if name.startswith(("brick", "qaoa")) else 10
        fns = {
            "tensorbond": run_tb(circ, chi, cutoff),
            "tb_swap": run_tb(circ, chi, cutoff, "swap"),
            "tb_mpo": run_tb(circ, chi, cutoff, "mpo"),
            "tb_lazy": run_tb(circ, chi, cutoff, "lazy"),
            "quimb": run_quimb(w, inputs),
            "aer": run_aer(w, inputs),
            "aer_lapack": run_aer(w, inputs, lapack=True),
        }
        times = {k: [] for k in fns}
        outs = {}
        for f in fns.values():  # warm-up
            f()
        for _ in range(reps):  # interleaved A B C A B C
            for k, f in fns.items():
                ts, outs[k] = _time(f, 1)
                times[k] += ts
        state = outs["tensorbond"]
        floor_s, nsvd = floor(w, inputs)
        row = {
            "workload": name,
            "max_bond": chi,
            "cutoff": cutoff,
            "tb_max_bond_reached": state.max_bond_reached,
            "tb_final_max_bond": state.max_bond,
            "quimb_final_max_bond": outs["quimb"].psi.max_bond(),
            "tb_fidelity_estimate": state.fidelity_estimate,
            "tb_swap_fidelity_estimate": outs["tb_swap"].fidelity_estimate,
            "tb_mpo_fidelity_estimate": outs["tb_mpo"].fidelity_estimate,
            "tb_swap_max_bond_reached": outs["tb_swap"].max_bond_reached,
            "tb_mpo_max_bond_reached": outs["tb_mpo"].max_bond_reached,
            "tb_lazy_fidelity_estimate": outs["tb_lazy"].fidelity_estimate,
            "tb_lazy_max_bond_reached": outs["tb_lazy"].max_bond_reached,
            "svd_floor_s": floor_s,
            "num_svd": nsvd,
        }
        for k, ts in times.items():
            row[f"{k}_median_s"] = statistics.median(ts)
            row[f"{k}_min_s"] = min(ts)
        rows.append(row)
        print(json.dumps(row))
    print()
    print(
        "| workload | chi | tensorbond s | quimb s | aer s | aer lapack s | SVD floor s "
        "| quimb/tb | aer/tb | tb/floor | tb bond (final) | quimb bond (final) |"
    )
    print("|---" * 12 + "|")
    for r in rows:
        t = r["tensorbond_median_s"]
        print(
            f"| {r['workload']} | {r['max_bond']} | {t:.4g} | {r['quimb_median_s']:.4g} "
            f"| {r['aer_median_s']:.4g} | {r['aer_lapack_median_s']:.4g} "
            f"| {r['svd_floor_s']:.4g} | {r['quimb_median_s'] / t:.1f} "
            f"| {r['aer_median_s'] / t:.1f} | {t / r['svd_floor_s']:.2f} "
            f"| {r['tb_max_bond_reached']} ({r['tb_final_max_bond']}) "
            f"| {r['quimb_final_max_bond']} |"
        )
    print()
    print(
        "| workload | chi | routing auto s | swap s | mpo s | lazy s | auto F | swap F "
        "| mpo F | lazy F |"
    )
    print("|---" * 10 + "|")
    for r in rows:
        print(
            f"| {r['workload']} | {r['max_bond']} | {r['tensorbond_median_s']:.4g} "
            f"| {r['tb_swap_median_s']:.4g} | {r['tb_mpo_median_s']:.4g} "
            f"| {r['tb_lazy_median_s']:.4g} "
            f"| {r['tb_fidelity_estimate']:.6g} | {r['tb_swap_fidelity_estimate']:.6g} "
            f"| {r['tb_mpo_fidelity_estimate']:.6g} "
            f"| {r['tb_lazy_fidelity_estimate']:.6g} |"
        )
    out = Path(args.out) if args.out else default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    rev = environment._git_revision()["short"]
    meta = {
        "machine": platform.machine(),
        "processor": platform.processor(),
        "python": platform.python_version(),
        "git": rev,
        "tensorbond": tb.__version__,
    }
    name = f"engine-{args.only}.json" if args.only else "engine.json"
    (out / name).write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
