"""Engine figures for the closing note: tensorbond vs quimb vs qiskit-aer.

Single-threaded (BLAS pinned to 1 thread for every tool), same truncation
policy for each tool, wall time of the simulation only (parsing outside),
median and min over repeats, contestants interleaved. Run:

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 python bench/bench_engine.py [--quick]

Prints a markdown table and writes bench/results/engine.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import tensorbond as tb  # noqa: E402

CIRCUITS = Path(__file__).resolve().parents[2] / "shared" / "circuits"


def _time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def run_tb(circ, chi, cutoff, routing="auto"):
    prog = tb.compile_circuit(circ)
    return lambda: tb.simulate(prog, max_bond=chi, cutoff=cutoff, cutoff_mode="rsum2",
                               routing=routing)


def quimb_gates(circ):
    """Our operations as quimb gate tuples (quimb's QASM reader lacks rzz)."""
    return [(op.name.upper(), *op.params, *op.qubits) for op in circ if op.kind == "gate"]


def run_quimb(circ, n, chi, cutoff):
    import quimb.tensor as qtn

    gates = quimb_gates(circ)

    def go():
        c = qtn.CircuitMPS(n, max_bond=chi, cutoff=cutoff,
                           gate_opts={"cutoff_mode": "rsum2"})
        c.apply_gates(gates)
        return c

    return go


def run_aer(path, chi, cutoff, lapack=False):
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator

    qc = QuantumCircuit.from_qasm_file(str(path))
    qc.remove_final_measurements()
    qc.save_matrix_product_state()
    opts = dict(method="matrix_product_state",
                matrix_product_state_truncation_threshold=cutoff,
                max_parallel_threads=1, mps_lapack=lapack)
    if chi:
        opts["matrix_product_state_max_bond_dimension"] = chi
    sim = AerSimulator(**opts)

    def go():
        return sim.run(qc, shots=1).result()

    return go


def svd_floor(circ, chi, cutoff):
    """Time of numpy's LAPACK SVDs of exactly the shapes tensorbond factorized."""
    state = tb.MPS(circ.num_qubits)
    state._impl.record_svd_shapes(True)
    state = tb.simulate(circ, max_bond=chi, cutoff=cutoff, initial_state=state)
    shapes = state._impl.svd_shapes()
    rng = np.random.default_rng(0)
    total = 0.0
    for m, n in shapes:
        a = rng.standard_normal((m, n)) + 1j * rng.standard_normal((m, n))
        t0 = time.perf_counter()
        np.linalg.svd(a, full_matrices=False)
        total += time.perf_counter() - t0
    return total, len(shapes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", help="run only this workload name")
    args = ap.parse_args()
    tb.set_num_threads(1)
    work = [("ghz_100", None, 1e-10), ("qft_30", None, 1e-10), ("qaoa_40", 32, 1e-10),
            ("brick_50x20", 64, 1e-10), ("brick_50x20", 128, 1e-10)]
    if args.quick:
        work = work[:2]
    if args.only:
        work = [w for w in work if w[0] == args.only]
    rows = []
    for name, chi, cutoff in work:
        path = CIRCUITS / f"{name}.qasm"
        circ = tb.Circuit.from_qasm(path)
        reps = 3 if name.startswith(("brick", "qaoa")) else 10
        fns = {"tensorbond": run_tb(circ, chi, cutoff),
               "tb_swap": run_tb(circ, chi, cutoff, "swap"),
               "tb_mpo": run_tb(circ, chi, cutoff, "mpo"),
               "tb_lazy": run_tb(circ, chi, cutoff, "lazy"),
               "quimb": run_quimb(circ, circ.num_qubits, chi, cutoff),
               "aer": run_aer(path, chi, cutoff),
               "aer_lapack": run_aer(path, chi, cutoff, lapack=True)}
        times = {k: [] for k in fns}
        outs = {}
        for k, f in fns.items():  # warm-up
            f()
        for _ in range(reps):  # interleaved A B C A B C
            for k, f in fns.items():
                ts, outs[k] = _time(f, 1)
                times[k] += ts
        state = outs["tensorbond"]
        floor, nsvd = svd_floor(circ, chi, cutoff)
        row = {"workload": name, "max_bond": chi, "cutoff": cutoff,
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
               "svd_floor_s": floor, "num_svd": nsvd}
        for k, ts in times.items():
            row[f"{k}_median_s"] = statistics.median(ts)
            row[f"{k}_min_s"] = min(ts)
        rows.append(row)
        print(json.dumps(row))
    print()
    print("| workload | chi | tensorbond s | quimb s | aer s | aer lapack s | SVD floor s "
          "| quimb/tb | aer/tb | tb/floor | tb bond (final) | quimb bond (final) |")
    print("|---" * 12 + "|")
    for r in rows:
        t = r["tensorbond_median_s"]
        print(f"| {r['workload']} | {r['max_bond']} | {t:.4g} | {r['quimb_median_s']:.4g} "
              f"| {r['aer_median_s']:.4g} | {r['aer_lapack_median_s']:.4g} "
              f"| {r['svd_floor_s']:.4g} | {r['quimb_median_s'] / t:.1f} "
              f"| {r['aer_median_s'] / t:.1f} | {t / r['svd_floor_s']:.2f} "
              f"| {r['tb_max_bond_reached']} ({r['tb_final_max_bond']}) "
              f"| {r['quimb_final_max_bond']} |")
    print()
    print("| workload | chi | routing auto s | swap s | mpo s | lazy s | auto F | swap F "
          "| mpo F | lazy F |")
    print("|---" * 10 + "|")
    for r in rows:
        print(f"| {r['workload']} | {r['max_bond']} | {r['tensorbond_median_s']:.4g} "
              f"| {r['tb_swap_median_s']:.4g} | {r['tb_mpo_median_s']:.4g} "
              f"| {r['tb_lazy_median_s']:.4g} "
              f"| {r['tb_fidelity_estimate']:.6g} | {r['tb_swap_fidelity_estimate']:.6g} "
              f"| {r['tb_mpo_fidelity_estimate']:.6g} "
              f"| {r['tb_lazy_fidelity_estimate']:.6g} |")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True, cwd=Path(__file__).parent).stdout.strip()
    meta = {"machine": platform.machine(), "processor": platform.processor(),
            "python": platform.python_version(), "git": rev, "tensorbond": tb.__version__}
    name = f"engine-{args.only}.json" if args.only else "engine.json"
    (out / name).write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
