"""True fidelity per second on QAOA small enough to have an exact state.

qaoa_40's states cannot be checked against the exact state (bond 2^20), and a
reference at 4x max_bond has fidelity ~1e-3 itself: fidelities against it rank
nothing. So the same kind of circuit (QAOA p=2 on random 3-regular graphs,
rzz between distant qubits) at 18-22 qubits, where the dense state is exact:
tensorbond (routing "auto" and "lazy", split "auto") and qiskit-aer's MPS
method (swap and swap back), same max_bond and cutoff, single-threaded, median
of 3 runs. F true = |<exact|psi>|^2 of the normalized states. Run:

    python bench/bench_qaoa_truth.py

Prints a markdown table and writes bench/results/qaoa_truth.md.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

import tensorbond as tb
from tensorbond.sim.dense import DenseState

CUTOFF = 1e-10
CASES = ((18, 3), (20, 1), (22, 2))  # (qubits, graph seed)
BONDS = (8, 16, 32)


def regular3(n: int, seed: int) -> list[tuple[int, int]]:
    """A random 3-regular simple graph on n vertices (configuration model)."""
    rng = np.random.default_rng(seed)
    while True:
        ends = rng.permutation(np.repeat(np.arange(n), 3)).reshape(-1, 2)
        edges = {(int(min(a, b)), int(max(a, b))) for a, b in ends}
        if len(edges) == len(ends) and all(a != b for a, b in edges):
            return sorted(edges)


def qaoa(n: int, seed: int) -> tb.Circuit:
    c = tb.Circuit(n)
    for q in range(n):
        c.h(q)
    for g, b in ((0.8, 0.4), (0.6, 0.3)):
        for a, bb in regular3(n, seed):
            c.rzz(g, a, bb)
        for q in range(n):
            c.rx(b, q)
    return c


def fidelity(exact: np.ndarray, v: np.ndarray) -> float:
    return float(abs(np.vdot(exact, v)) ** 2 / np.vdot(v, v).real / np.vdot(exact, exact).real)


def run_tb(prog: Any, chi: int, routing: str) -> tuple[float, np.ndarray]:
    times, psi = [], None
    for _ in range(3):
        t0 = time.perf_counter()
        psi = tb.simulate(prog, max_bond=chi, cutoff=CUTOFF, routing=routing)
        times.append(time.perf_counter() - t0)
    assert psi is not None
    return statistics.median(times), psi.to_dense()


def run_aer(circ: tb.Circuit, chi: int) -> tuple[float, np.ndarray]:
    from qiskit_aer import AerSimulator

    sim = AerSimulator(
        method="matrix_product_state",
        max_parallel_threads=1,
        matrix_product_state_truncation_threshold=CUTOFF,
        matrix_product_state_max_bond_dimension=chi,
    )
    timed_qc = circ.to_qiskit()
    timed_qc.save_matrix_product_state()
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        sim.run(timed_qc, shots=1).result()
        times.append(time.perf_counter() - t0)
    qc = circ.to_qiskit()
    qc.save_statevector()
    vec = sim.run(qc, shots=1).result().data(0)["statevector"]
    # qiskit orders qubits little-endian: reverse to tensorbond's (qubit 0 first)
    n = circ.num_qubits
    v = np.asarray(vec).reshape([2] * n).transpose(range(n - 1, -1, -1)).reshape(-1)
    return statistics.median(times), v


def main() -> None:
    tb.set_num_threads(1)
    lines = [
        "# QAOA against the exact state",
        "",
        f"QAOA p=2 on random 3-regular graphs, cutoff {CUTOFF} (rsum2), single-threaded, "
        "median of 3 runs (aer: wall time of run().result() ending in "
        "save_matrix_product_state; its state vector comes from a separate untimed run). "
        "F true against the dense exact state; F/s = F true per second.",
        "",
        "| qubits | max_bond | tool | time s | F est. | F true | F/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for n, seed in CASES:
        circ = qaoa(n, seed)
        prog = tb.compile_circuit(circ)
        dense = DenseState(n)
        dense.run(prog, 0, len(prog))
        exact = dense.amplitudes()
        for chi in BONDS:
            rows: list[tuple[str, float, float | None, float]] = []
            for routing in ("auto", "lazy"):
                t, v = run_tb(prog, chi, routing)
                est = tb.simulate(prog, max_bond=chi, cutoff=CUTOFF, routing=routing)
                rows.append((f"tensorbond {routing}", t, est.fidelity_estimate, fidelity(exact, v)))
            t, v = run_aer(circ, chi)
            rows.append(("aer", t, None, fidelity(exact, v)))
            for tool, t, est_f, f in rows:
                est_s = "-" if est_f is None else f"{est_f:.4g}"
                lines.append(
                    f"| {n} | {chi} | {tool} | {t:.3g} | {est_s} | {f:.4g} | {f / t:.3g} |"
                )
                print(lines[-1], flush=True)
    out = Path(__file__).parent / "results" / "qaoa_truth.md"
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
