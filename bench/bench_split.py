"""How tensorbond factorizes a truncated split: the five split routes compared,
and the two-core speed-up.

Each route (``split="svd" | "eig" | "rand" | "qr" | "auto"``) runs the suite's
saturating circuits (brick_50x20, qaoa_40) single-threaded, interleaved, median
of the repetitions; beside each time the fidelity estimate, the routes the splits
took (``MPS.split_stats``) and the floors: numpy's gesdd of the shapes factorized
(SVD floor) and the routes' GEMM/QR multiply-adds at numpy's measured GEMM rate
(GEMM floor). Then ``split="auto"`` on 1 and 2 threads in the canonical gauge
and in ``gauge="vidal"``. This is the measurement behind ``split="auto"``'s cost
model and the two-core figures. Run:

    python bench/bench_split.py [--repeats 3]

Prints markdown tables and writes bench/results/split.md and split.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import tensorbond as tb
from tensorbond.sim import examples
from tensorbond_bench.contestants import CONTESTANTS, _run_once
from tensorbond_bench.environment import pin_threads
from tensorbond_bench.floor import gemm_rate, svd_floor
from tensorbond_bench.model import Workload
from tensorbond_bench.paths import default_shared
from tensorbond_bench.workloads import load_inputs

SPLITS = ("svd", "eig", "rand", "qr", "auto")
CUTOFF = 1e-10  # the suite's cutoff (rsum2)


def circuits(shared: Path) -> list[tuple[str, Any, tuple[int, ...]]]:
    qaoa = tb.Circuit.from_qasm(shared / "circuits" / "qaoa_40.qasm")
    return [
        ("brick_50x20", examples.brick(50, 20), (64, 128, 256)),
        ("qaoa_40", qaoa, (16, 32, 64)),
    ]


def timed(
    prog: Any, chi: int, split: str, gauge: str = "canonical", order: str = "sweep"
) -> tuple[float, tb.MPS]:
    t0 = time.perf_counter()
    psi = tb.simulate(prog, max_bond=chi, cutoff=CUTOFF, split=split, gauge=gauge, order=order)
    return time.perf_counter() - t0, psi


def measure_routes(prog: Any, chi: int, repeats: int, rate: float) -> list[dict[str, Any]]:
    times: dict[str, list[float]] = {s: [] for s in SPLITS}
    states: dict[str, tb.MPS] = {}
    for _ in range(repeats):  # interleaved: A B C D E A B C D E ...
        for s in SPLITS:
            dt, states[s] = timed(prog, chi, s)
            times[s].append(dt)
    rows = []
    for s in SPLITS:
        rec = tb.MPS(prog.num_qubits)
        rec.record_svd_shapes()
        psi = tb.simulate(prog, max_bond=chi, cutoff=CUTOFF, split=s, initial_state=rec)
        stats = psi.split_stats()
        svd_s = svd_floor(psi.svd_shapes())
        gemm_s = float(stats["madds"]) / rate
        med = statistics.median(times[s])
        rows.append(
            {
                "split": s,
                "median_s": med,
                "times_s": times[s],
                "fidelity_estimate": states[s].fidelity_estimate,
                "routes": {k: int(stats[k]) for k in ("svd", "eig", "rand", "qr")},
                "fallbacks": int(stats["fallbacks"]),
                "svd_floor_s": svd_s,
                "gemm_floor_s": gemm_s,
                "floor_s": min(svd_s, gemm_s),
            }
        )
    return rows


ORDER_RUNS = (("svd", "circuit"), ("svd", "sweep"), ("auto", "circuit"), ("auto", "sweep"),
              ("qr", "sweep"))  # fmt: skip


def measure_order(prog: Any, chi: int, repeats: int) -> dict[str, Any]:
    """Gate order x split, single-threaded, interleaved."""
    times: dict[str, list[float]] = {f"{s}_{o}": [] for s, o in ORDER_RUNS}
    est: dict[str, float] = {}
    for _ in range(repeats):
        for s, o in ORDER_RUNS:
            dt, psi = timed(prog, chi, s, order=o)
            times[f"{s}_{o}"].append(dt)
            est[f"{s}_{o}"] = psi.fidelity_estimate
    out: dict[str, Any] = {"times_s": times, "fidelity_estimate": est}
    out.update({f"{k}_s": statistics.median(v) for k, v in times.items()})
    return out


TB_RUNS = (("svd", "circuit"), ("auto", "sweep"), ("qr", "sweep"))
PEERS = ("quimb", "aer", "aer_lapack")


def measure_peers(path: Path, chi: int, repeats: int) -> dict[str, Any]:
    """The suite's workload (same QASM file, max_bond, cutoff) through tensorbond's
    settings and the peers, in this one process, interleaved, single-threaded."""
    w = Workload(
        name=f"{path.stem}:chi={chi}",
        group="circuits",
        family=path.stem,
        kind="circuit",
        source=str(path),
        max_bond=chi,
        cutoff=CUTOFF,
    )
    preps = {p: CONTESTANTS[p](w, load_inputs(w)) for p in PEERS}
    prog = tb.compile_circuit(tb.Circuit.from_qasm(path))
    for p in PEERS:  # warm-up (first-call costs)
        _run_once(preps[p])
    times: dict[str, list[float]] = {f"{s}_{o}": [] for s, o in TB_RUNS}
    times.update({p: [] for p in PEERS})
    est: dict[str, float] = {}
    for _ in range(repeats):
        for s, o in TB_RUNS:
            dt, psi = timed(prog, chi, s, order=o)
            times[f"{s}_{o}"].append(dt)
            est[f"{s}_{o}"] = psi.fidelity_estimate
        for p in PEERS:
            times[p].append(_run_once(preps[p])[0])
    out: dict[str, Any] = {"times_s": times, "fidelity_estimate": est}
    out.update({f"{k}_s": statistics.median(v) for k, v in times.items()})
    return out


THREAD_RUNS = (("canonical", 1), ("canonical", 2), ("vidal", 1), ("vidal", 2))


def measure_threads(prog: Any, chi: int, repeats: int) -> dict[str, Any]:
    """split='auto' in both gauges on 1 and 2 threads, interleaved."""
    times: dict[str, list[float]] = {f"{g}{n}": [] for g, n in THREAD_RUNS}
    est: dict[str, float] = {}
    for _ in range(repeats):
        for g, n in THREAD_RUNS:
            tb.set_num_threads(n)
            dt, psi = timed(prog, chi, "auto", g)
            times[f"{g}{n}"].append(dt)
            est[f"{g}{n}"] = psi.fidelity_estimate
    tb.set_num_threads(1)
    out: dict[str, Any] = {"times_s": times, "fidelity_estimate": est}
    out.update({f"{k}_s": statistics.median(v) for k, v in times.items()})
    out["speedup"] = out["canonical1_s"] / out["vidal2_s"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    ap.add_argument(
        "--parts",
        nargs="+",
        default=["routes", "order", "peers", "threads"],
        choices=["routes", "order", "peers", "threads"],
    )
    args = ap.parse_args()
    pin_threads()
    tb.set_num_threads(1)
    rate = gemm_rate()
    doc: dict[str, Any] = {"gemm_rate_madds_per_s": rate, "cutoff": CUTOFF, "cases": []}
    lines = ["# Split routes"]
    if "routes" in args.parts:
        lines += [
            "",
            f"Single-threaded, median of {args.repeats} interleaved runs, cutoff {CUTOFF} "
            f"(rsum2). GEMM rate {rate / 1e9:.2f} G complex multiply-adds/s (numpy, n=384). "
            "Floor: the better of the SVD floor (gesdd of the shapes) and the GEMM floor "
            "(the route's GEMM/QR multiply-adds at that rate). Routes: splits per route "
            "taken (svd/eig/rand/qr), fallbacks to the SVD.",
            "",
            "| circuit | max_bond | split | time s | x svd | F est. | routes s/e/r/q (fb) "
            "| SVD floor | GEMM floor | tb/floor |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, circ, chis in circuits(default_shared()):
            prog = tb.compile_circuit(circ)
            for chi in chis:
                rows = measure_routes(prog, chi, args.repeats, rate)
                base = rows[0]["median_s"]
                for r in rows:
                    ro = r["routes"]
                    lines.append(
                        f"| {name} | {chi} | {r['split']} | {r['median_s']:.3g} "
                        f"| {base / r['median_s']:.2f} | {r['fidelity_estimate']:.6g} "
                        f"| {ro['svd']}/{ro['eig']}/{ro['rand']}/{ro['qr']} ({r['fallbacks']}) "
                        f"| {r['svd_floor_s']:.3g} | {r['gemm_floor_s']:.3g} "
                        f"| {r['median_s'] / r['floor_s']:.2f} |"
                    )
                doc["cases"].append({"circuit": name, "max_bond": chi, "routes": rows})
                print("\n".join(lines[-len(rows) :]), flush=True)
    if "order" in args.parts:
        lines += [
            "",
            "## Gate order",
            "",
            "Single-threaded, median of interleaved runs. order='circuit': the circuit's "
            "order (quimb's, aer's); order='sweep' (default): each layer of disjoint "
            "adjacent pairs from the end nearest the orthogonality centre. Speed-ups over "
            "split='svd' in circuit order (quimb's truncation).",
            "",
            "| circuit | max_bond | svd circuit s | svd sweep s | auto circuit s | auto sweep s "
            "| qr sweep s | auto sweep x | qr sweep x | F est. svd circuit | F est. auto sweep "
            "| F est. qr sweep |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        doc["order"] = []
        for name, circ, chis in circuits(default_shared()):
            prog = tb.compile_circuit(circ)
            for chi in chis:
                t = measure_order(prog, chi, args.repeats)
                doc["order"].append({"circuit": name, "max_bond": chi, **t})
                e = t["fidelity_estimate"]
                base = t["svd_circuit_s"]
                lines.append(
                    f"| {name} | {chi} | {base:.3g} | {t['svd_sweep_s']:.3g} "
                    f"| {t['auto_circuit_s']:.3g} | {t['auto_sweep_s']:.3g} "
                    f"| {t['qr_sweep_s']:.3g} "
                    f"| {base / t['auto_sweep_s']:.2f} | {base / t['qr_sweep_s']:.2f} "
                    f"| {e['svd_circuit']:.8g} | {e['auto_sweep']:.8g} | {e['qr_sweep']:.8g} |"
                )
                print(lines[-1], flush=True)
    if "peers" in args.parts:
        lines += [
            "",
            "## Against the peers",
            "",
            "The suite's brick_50x20 (shared/circuits/brick_50x20.qasm, cutoff 1e-10 rsum2) "
            "in one process, single-threaded (BLAS pools pinned to 1), interleaved, median: "
            "tensorbond's settings against quimb CircuitMPS and qiskit-aer's MPS (default "
            "SVD, and mps_lapack). Ratios: peer time over tensorbond's.",
            "",
            "| max_bond | tb svd circuit s | tb auto sweep s | tb qr sweep s | quimb s | aer s "
            "| aer_lapack s | aer_lapack/auto | aer_lapack/qr | quimb/qr | F est. auto "
            "| F est. qr |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        doc["peers"] = []
        brick_qasm = default_shared() / "circuits" / "brick_50x20.qasm"
        for chi in (128, 256):
            t = measure_peers(brick_qasm, chi, args.repeats)
            doc["peers"].append({"circuit": "brick_50x20", "max_bond": chi, **t})
            e = t["fidelity_estimate"]
            lines.append(
                f"| {chi} | {t['svd_circuit_s']:.3g} | {t['auto_sweep_s']:.3g} "
                f"| {t['qr_sweep_s']:.3g} | {t['quimb_s']:.3g} | {t['aer_s']:.3g} "
                f"| {t['aer_lapack_s']:.3g} | {t['aer_lapack_s'] / t['auto_sweep_s']:.2f} "
                f"| {t['aer_lapack_s'] / t['qr_sweep_s']:.2f} "
                f"| {t['quimb_s'] / t['qr_sweep_s']:.2f} "
                f"| {e['auto_sweep']:.8g} | {e['qr_sweep']:.8g} |"
            )
            print(lines[-1], flush=True)
    if "threads" in args.parts:
        lines += [
            "",
            "## Two cores",
            "",
            "split='auto', tensorbond.set_num_threads(n), median of interleaved runs. "
            "Canonical gauge: BLAS threads in every GEMM and factorization (gates run "
            "one after another, each truncating at the orthogonality centre). "
            "gauge='vidal': runs of adjacent gates by TEBD in the Lambda-B form, a "
            "layer's disjoint gates on the threads, each BLAS call serial. Speed-up: "
            "canonical on 1 thread over vidal on 2.",
            "",
            "| circuit | max_bond | canonical 1 s | canonical 2 s | vidal 1 s | vidal 2 s "
            "| speed-up | F est. canonical | F est. vidal |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        doc["threads"] = []
        for name, circ, chis in circuits(default_shared()):
            prog = tb.compile_circuit(circ)
            for chi in chis[-2:]:
                t = measure_threads(prog, chi, args.repeats)
                doc["threads"].append({"circuit": name, "max_bond": chi, **t})
                e = t["fidelity_estimate"]
                lines.append(
                    f"| {name} | {chi} | {t['canonical1_s']:.3g} | {t['canonical2_s']:.3g} "
                    f"| {t['vidal1_s']:.3g} | {t['vidal2_s']:.3g} | {t['speedup']:.2f} "
                    f"| {e['canonical1']:.8g} | {e['vidal2']:.8g} |"
                )
                print(lines[-1], flush=True)
    partial = "" if len(args.parts) == 4 else "-partial"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"split{partial}.md").write_text("\n".join(lines) + "\n")
    (args.out / f"split{partial}.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
