"""How tensorbond applies gates on distant qubits: the four routings compared.

Each routing runs the same circuits (the shared workloads with long-range gates
and the QASMBench files with 3-qubit gates), single-threaded, interleaved,
median of the repetitions; beside each time the fidelity estimate and the
largest bond reached. This is the measurement behind ``routing="auto"``. Run:

    python bench/bench_routing.py

Prints a markdown table and writes bench/results/routing.md.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import tensorbond as tb
from tensorbond_bench.paths import default_shared

SHARED = default_shared()  # $TENSORBOND_SHARED, else <repo>/../shared
ROUTINGS = ("auto", "swap", "mpo", "lazy")
# (file, max_bond): long-range controlled gates, rank-4 gates (cswap), both.
WORK = [
    ("circuits/qft_30.qasm", None),
    ("circuits/qaoa_40.qasm", 16),
    ("circuits/qaoa_40.qasm", 32),
    ("qasmbench/large/dnn_n51.qasm", 64),
    ("qasmbench/large/qugan_n71.qasm", 64),
    ("qasmbench/large/swap_test_n115.qasm", 64),
    ("qasmbench/large/knn_n67.qasm", 64),
    ("qasmbench/large/adder_n118.qasm", 64),
    ("qasmbench/large/bv_n140.qasm", 64),
    ("qasmbench/large/qft_n63.qasm", 64),
]


def main() -> None:
    tb.set_num_threads(1)
    lines = [
        "| circuit | max_bond | "
        + " | ".join(f"{r} s" for r in ROUTINGS)
        + " | "
        + " | ".join(f"{r} F est. / bond" for r in ROUTINGS)
        + " |",
        "|---" * (2 + 2 * len(ROUTINGS)) + "|",
    ]
    for rel, chi in WORK:
        prog = tb.compile_circuit(tb.Circuit.from_qasm(SHARED / rel))
        times: dict[str, list[float]] = {r: [] for r in ROUTINGS}
        result: dict[str, tb.MPS] = {}
        reps = 3
        for rep in range(reps + 1):  # the first round is the warm-up
            for r in ROUTINGS:
                t0 = time.perf_counter()
                result[r] = tb.simulate(prog, max_bond=chi, cutoff=1e-10, routing=r)
                if rep:
                    times[r].append(time.perf_counter() - t0)
        med = {r: statistics.median(times[r]) for r in ROUTINGS}
        best = min(med.values())
        cells = [f"**{med[r]:.3g}**" if med[r] == best else f"{med[r]:.3g}" for r in ROUTINGS]
        acc = [
            f"{result[r].fidelity_estimate:.3g} / {result[r].max_bond_reached}" for r in ROUTINGS
        ]
        lines.append(
            f"| {Path(rel).stem} | {chi or '-'} | "
            + " | ".join(cells)
            + " | "
            + " | ".join(acc)
            + " |"
        )
        print(lines[-1], flush=True)
    text = (
        "# Routing of distant gates (tensorbond only)\n\nMedian seconds of 3 interleaved "
        "runs after a warm-up, one thread, cutoff 1e-10 (rsum2); fastest in bold. "
        "F est.: fidelity estimate; bond: largest bond reached.\n\n" + "\n".join(lines) + "\n"
    )
    out = Path(__file__).parent / "results" / "routing.md"
    out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
