"""Shots per second of dynamic and noisy circuits: tensorbond's tb.run against
qiskit-aer's matrix_product_state method with the same circuit, noise model,
bond limit and shot count, single-threaded.

- cc_n64 (QASMBench counterfeit-coin finding: mid-circuit measurement and
  ``if``), converted with ``Circuit.to_qiskit`` (``if_test`` blocks).
- brick_50x10: 50 qubits, depth 10 (u3 layers and cz bricks), depolarizing
  noise after every gate (1q p1, 2q p2), all qubits measured at the end.

Each contestant runs each case ``--repeats`` times (median shots/s). As a
check that both sample the same distribution, the mean number of ones per
shot is reported beside the rate.

    python bench/bench_dynamic.py [--shots 1000] [--repeats 3]

Writes bench/results/dynamic.md and dynamic.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import numpy as np

import tensorbond as tb
from tensorbond.examples import brick

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"


def mean_ones(counts: dict[str, int]) -> float:
    shots = sum(counts.values())
    return sum(k.count("1") * v for k, v in counts.items()) / shots


def noisy_brick(p1: float, p2: float) -> tuple[tb.Circuit, tb.NoiseModel]:
    c = brick(50, 10, seed=0)
    c.measure_all()
    noise = tb.NoiseModel().add(tb.depolarizing(p1), gates=["u3"])
    noise.add(tb.depolarizing(p2, 2), gates=["cz"])
    return c, noise


def aer_noise(p1: float, p2: float):
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    nm = NoiseModel()
    nm.add_all_qubit_quantum_error(depolarizing_error(p1, 1), ["u"])
    nm.add_all_qubit_quantum_error(depolarizing_error(p2, 2), ["cz"])
    return nm


def time_tb(c: tb.Circuit, noise, shots: int, max_bond: int, repeats: int) -> dict:
    runs = []
    for r in range(repeats):
        t0 = time.perf_counter()
        res = tb.run(c, shots=shots, seed=r, noise=noise, max_bond=max_bond, cutoff=1e-10)
        runs.append((time.perf_counter() - t0, res))
    t = statistics.median(x for x, _ in runs)
    res = runs[-1][1]
    return {"seconds": t, "shots_per_s": shots / t, "branches": res.branches,
            "mean_ones": mean_ones(res.counts), "fidelity_estimate": res.fidelity_estimate}


def time_aer(c: tb.Circuit, noise, shots: int, max_bond: int, repeats: int) -> dict:
    try:
        from qiskit import transpile
        from qiskit_aer import AerSimulator
    except ImportError as exc:
        return {"status": f"unavailable ({exc.name})"}
    sim = AerSimulator(method="matrix_product_state", matrix_product_state_max_bond_dimension=
                       max_bond, matrix_product_state_truncation_threshold=1e-10,
                       max_parallel_threads=1, max_parallel_experiments=1,
                       max_parallel_shots=1, noise_model=noise)
    qc = c.to_qiskit()
    basis = set(sim.configuration().basis_gates) | {"measure", "barrier", "reset", "if_else"}
    if {inst.operation.name for inst in qc.data} - basis:  # aer's target caps qubits at 63
        qc = transpile(qc, sim, optimization_level=0)
    times, counts = [], {}
    for r in range(repeats):
        t0 = time.perf_counter()
        result = sim.run(qc, shots=shots, seed_simulator=r).result()
        times.append(time.perf_counter() - t0)
        if not result.success:
            return {"status": f"error: {result.status}"}
        counts = result.get_counts()
    t = statistics.median(times)
    return {"seconds": t, "shots_per_s": shots / t, "mean_ones": mean_ones(counts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-bond", type=int, default=32)
    parser.add_argument("--p1", type=float, default=0.001)
    parser.add_argument("--p2", type=float, default=0.01)
    args = parser.parse_args()
    tb.set_num_threads(1)
    cases = []
    cc = tb.Circuit.from_qasm(SHARED / "qasmbench" / "large" / "cc_n64.qasm")
    cases.append(("cc_n64", cc, None, None))
    c, noise = noisy_brick(args.p1, args.p2)
    cases.append((f"brick_50x10 depolarizing p1={args.p1:g} p2={args.p2:g}", c, noise,
                  aer_noise(args.p1, args.p2)))
    rows = []
    for name, circ, tb_noise, aer_nm in cases:
        ours = time_tb(circ, tb_noise, args.shots, args.max_bond, args.repeats)
        theirs = time_aer(circ, aer_nm, args.shots, args.max_bond, args.repeats)
        rows.append({"case": name, "shots": args.shots, "max_bond": args.max_bond,
                     "tensorbond": ours, "aer": theirs})
        ratio = (ours["shots_per_s"] / theirs["shots_per_s"]) if "shots_per_s" in theirs else None
        print(f"{name}: tensorbond {ours['shots_per_s']:.1f} shots/s ({ours['branches']} "
              f"branches), aer {theirs.get('shots_per_s', theirs.get('status'))}"
              + (f" shots/s: {ratio:.1f}x" if ratio else ""), flush=True)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "dynamic.json").write_text(json.dumps(rows, indent=1))
    md = ["# Dynamic and noisy circuits: shots per second", "",
          f"`python bench/bench_dynamic.py`, {args.shots} shots, max_bond {args.max_bond}, "
          f"cutoff 1e-10, one thread, median of {args.repeats} runs. Mean ones per shot: "
          "both tools should agree within sampling noise.", "",
          "| case | tensorbond shots/s | branches | aer shots/s | speed-up | mean ones tb / aer |",
          "|---|---|---|---|---|---|"]
    for r in rows:
        o, a = r["tensorbond"], r["aer"]
        sp = f"{o['shots_per_s'] / a['shots_per_s']:.1f}x" if "shots_per_s" in a else "-"
        md.append(f"| {r['case']} | {o['shots_per_s']:.1f} | {o['branches']} | "
                  f"{a.get('shots_per_s', a.get('status'))!s:.8} | {sp} | "
                  f"{o['mean_ones']:.3f} / {a.get('mean_ones', float('nan')):.3f} |")
    (out / "dynamic.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
