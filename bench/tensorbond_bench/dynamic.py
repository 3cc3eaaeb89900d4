"""The dynamic-circuit part of the benchmark suite: shots per second of
``tensorbond.run`` against qiskit-aer's ``matrix_product_state`` method with the
same circuit, noise model, bond limit and shot count, single-threaded.

- **cc_n64** (QASMBench counterfeit-coin finding: mid-circuit measurement and
  ``if``), given to aer through ``Circuit.to_qiskit`` (``if_test`` blocks).
- **noisy brick**: 50 qubits, depth 10 (u3 layers and cz bricks), depolarizing
  noise after every gate (1q ``p1``, 2q ``p2``), every qubit measured at the end.

Each contestant runs each case ``repeats`` times with the two interleaved
(median shots/s). As a check that both sample the same distribution, the mean
number of ones per shot is reported beside the rate. Run as ``tensorbond bench
--suite dynamic`` (part of a plain ``tensorbond bench``); writes ``dynamic.md``
and ``dynamic.json`` to the results folder.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

import tensorbond as tb

from . import environment
from .paths import find_shared
from .report import write_part
from .workloads import brick

__all__ = ["render_markdown", "run", "write"]


def mean_ones(counts: dict[str, int]) -> float:
    """Mean number of 1 bits per shot (register separators ignored)."""
    shots = sum(counts.values())
    return sum(k.count("1") * v for k, v in counts.items()) / max(shots, 1)


def ones_stderr(counts: dict[str, int]) -> float:
    """Standard error of :func:`mean_ones`."""
    shots = sum(counts.values())
    mean = mean_ones(counts)
    var = sum((k.count("1") - mean) ** 2 * v for k, v in counts.items()) / max(shots - 1, 1)
    return (var / max(shots, 1)) ** 0.5


def noisy_brick(qubits: int, depth: int, p1: float, p2: float) -> tuple[tb.Circuit, Any]:
    """The brick circuit measured at the end, with its tensorbond noise model."""
    c = brick(qubits, depth, seed=0)
    c.measure_all()
    noise = tb.NoiseModel().add(tb.depolarizing(p1), gates=["u3"])
    noise.add(tb.depolarizing(p2, 2), gates=["cz"])
    return c, noise


def _aer_noise(p1: float, p2: float) -> Any:
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    nm = NoiseModel()
    nm.add_all_qubit_quantum_error(depolarizing_error(p1, 1), ["u"])
    nm.add_all_qubit_quantum_error(depolarizing_error(p2, 2), ["cz"])
    return nm


def _aer_runner(circuit: tb.Circuit, noise: Any, shots: int, max_bond: int) -> Any:
    """A closure running the circuit once on aer (counts, or a status string)."""
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    sim = AerSimulator(
        method="matrix_product_state",
        matrix_product_state_max_bond_dimension=max_bond,
        matrix_product_state_truncation_threshold=1e-10,
        max_parallel_threads=1,
        max_parallel_experiments=1,
        max_parallel_shots=1,
        noise_model=noise,
    )
    qc = circuit.to_qiskit()
    basis = set(sim.configuration().basis_gates) | {"measure", "barrier", "reset", "if_else"}
    if {inst.operation.name for inst in qc.data} - basis:  # aer's target caps qubits at 63
        qc = transpile(qc, sim, optimization_level=0)

    def once(seed: int) -> Any:
        result = sim.run(qc, shots=shots, seed_simulator=seed).result()
        return result.get_counts() if result.success else f"error: {result.status}"

    return once


def _case(
    name: str,
    circuit: tb.Circuit,
    noise: Any,
    aer_noise: Any,
    *,
    shots: int,
    max_bond: int,
    repeats: int,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "case": name,
        "qubits": circuit.num_qubits,
        "shots": shots,
        "max_bond": max_bond,
    }
    try:
        aer = _aer_runner(circuit, aer_noise, shots, max_bond)
    except ImportError as exc:
        aer, row["aer"] = None, {"status": f"unavailable ({exc.name})"}
    ours: list[float] = []
    theirs: list[float] = []
    res = None
    counts: Any = None
    for r in range(repeats):  # interleaved, so drifts hit both alike
        t0 = time.perf_counter()
        res = tb.run(circuit, shots=shots, seed=r, noise=noise, max_bond=max_bond, cutoff=1e-10)
        ours.append(time.perf_counter() - t0)
        if aer is not None:
            t0 = time.perf_counter()
            counts = aer(r)
            theirs.append(time.perf_counter() - t0)
            if isinstance(counts, str):
                row["aer"], aer = {"status": counts}, None
    assert res is not None
    t = statistics.median(ours)
    row["tensorbond"] = {
        "seconds": t,
        "shots_per_s": shots / t,
        "branches": res.branches,
        "mean_ones": mean_ones(res.counts),
        "ones_stderr": ones_stderr(res.counts),
        "fidelity_estimate": res.fidelity_estimate,
    }
    if aer is not None and theirs:
        ta = statistics.median(theirs)
        row["aer"] = {
            "seconds": ta,
            "shots_per_s": shots / ta,
            "mean_ones": mean_ones(counts),
            "ones_stderr": ones_stderr(counts),
        }
        row["speedup"] = ta / t
        # How far apart the two means are, in standard errors of their difference.
        se = (row["tensorbond"]["ones_stderr"] ** 2 + row["aer"]["ones_stderr"] ** 2) ** 0.5
        row["ones_z"] = abs(row["tensorbond"]["mean_ones"] - row["aer"]["mean_ones"]) / max(
            se, 1e-300
        )
    return row


def run(
    *,
    quick: bool = False,
    shared: str | os.PathLike[str] | None = None,
    shots: int | None = None,
    repeats: int | None = None,
    max_bond: int = 32,
    p1: float = 0.001,
    p2: float = 0.01,
) -> dict[str, Any]:
    """Run the dynamic-circuit benchmarks; returns the JSON-ready results.

    Defaults: 200 shots, 3 repeats (aer takes about 100 s per run of the
    50-qubit brick). ``quick`` takes 100 shots, one repeat and a 20-qubit
    depth-6 brick.
    """
    notes = environment.pin_threads(("tensorbond", "qiskit-aer"))
    shots = shots or (100 if quick else 200)
    repeats = repeats or (1 if quick else 3)
    rows = []
    qasm = find_shared(shared) / "qasmbench" / "large" / "cc_n64.qasm"
    if qasm.exists():
        rows.append(
            _case(
                "cc_n64",
                tb.Circuit.from_qasm(qasm),
                None,
                None,
                shots=shots,
                max_bond=max_bond,
                repeats=repeats,
            )
        )
    else:
        notes.append(f"{qasm} not found: cc_n64 skipped")
    n, depth = (20, 6) if quick else (50, 10)
    circuit, noise = noisy_brick(n, depth, p1, p2)
    try:
        aer_nm = _aer_noise(p1, p2)
    except ImportError:
        aer_nm = None
    rows.append(
        _case(
            f"brick_{n}x{depth} depolarizing p1={p1:g} p2={p2:g}",
            circuit,
            noise,
            aer_nm,
            shots=shots,
            max_bond=max_bond,
            repeats=repeats,
        )
    )
    return {
        "machine": environment.machine_info(),
        "quick": quick,
        "shots": shots,
        "repeats": repeats,
        "max_bond": max_bond,
        "rows": rows,
        "notes": notes,
    }


def render_markdown(doc: dict[str, Any]) -> str:
    """The results as a markdown table."""
    md = [
        "# Dynamic and noisy circuits: shots per second",
        "",
        f"`tensorbond bench --suite dynamic`{' --quick' if doc['quick'] else ''}: "
        f"{doc['shots']} shots, max_bond {doc['max_bond']}, cutoff 1e-10, one thread, "
        f"median of {doc['repeats']} interleaved runs, qiskit-aer's matrix_product_state "
        "method with the same noise model. Mean ones per shot: both tools sample the same "
        "distribution when the means agree within a few standard errors of their "
        "difference (z).",
        "",
        "| case | qubits | tensorbond shots/s | branches | aer shots/s | speed-up "
        "| mean ones tb / aer | z |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in doc["rows"]:
        o, a = r["tensorbond"], r["aer"]
        rate = f"{a['shots_per_s']:.1f}" if "shots_per_s" in a else a.get("status", "-")
        sp = f"{r['speedup']:.1f}x" if "speedup" in r else "-"
        md.append(
            f"| {r['case']} | {r['qubits']} | {o['shots_per_s']:.1f} | {o['branches']} "
            f"| {rate} | {sp} | {o['mean_ones']:.3f} / "
            f"{a.get('mean_ones', float('nan')):.3f} | {r.get('ones_z', float('nan')):.1f} |"
        )
    m = doc["machine"]
    git = m.get("git") or {}
    rev = (
        git.get("short", "?") + ("+dirty" if git.get("dirty") else "")
        if isinstance(git, dict)
        else str(git)
    )
    md += [
        "",
        f"Machine: {m.get('cpu_model')}, {m.get('cpu_count')} cores, Python "
        f"{m.get('python')}, tensorbond git {rev}.",
    ]
    md += [f"- {n}" for n in doc["notes"]]
    return "\n".join(md) + "\n"


def write(doc: dict[str, Any], out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``dynamic.md`` and ``dynamic.json`` (``-quick`` suffixed for quick
    runs) to ``out_dir``; returns their paths."""
    return write_part(doc, out_dir, "dynamic", render_markdown(doc))
