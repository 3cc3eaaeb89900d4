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

Run it as ``tensorbond bench``, ``python bench/run_suite.py`` or
``python -m tensorbond_bench`` (with ``bench/`` on the path, or after
``pip install ./bench``); see ``bench/README.md`` for the method in full. Needs
the ``bench`` extra (``pip install tensorbond[bench]``: quimb, qiskit,
qiskit-aer, threadpoolctl, matplotlib); contestants whose package is missing
are recorded as unavailable.

Modules
-------
``workloads``   the workloads, their inputs, the kernel case
``contestants`` tensorbond, quimb and qiskit-aer set up for a workload
``workers``     one process per contestant and workload
``floor``       the SVD and GEMM floors
``overlap``     site tensors and MPS overlaps (the true fidelity)
``runner``      :func:`run_suite`: everything above, for a list of workloads
``report``      JSON and markdown output
``plots``       the PNG plots
``environment`` thread pinning, tool availability, machine facts
``paths``       the data and results folders
``cli``         ``tensorbond bench`` / ``python -m tensorbond_bench``
``tt``          the compression part (``--suite compression``)
``dynamic``     the dynamic-circuit part (``--suite dynamic``)
"""

from __future__ import annotations

from .contestants import CONTESTANTS, QUIMB_GATE_NAMES, circuit_to_qiskit, quimb_gates
from .environment import machine_info, pin_threads
from .floor import gemm_floor, gemm_rate, recorded_shapes, recorded_work, svd_floor
from .model import (
    CONTESTANT_NAMES,
    SCHEMA_VERSION,
    Inputs,
    Prepared,
    Result,
    Timed,
    Unsupported,
    Workload,
    WorkloadReport,
)
from .overlap import (
    aer_site_tensors,
    mps_overlap,
    mps_site_tensors,
    quimb_site_tensors,
    state_fidelity,
)
from .paths import default_out_dir, default_shared, find_shared
from .plots import PLOT_NAMES, make_plots
from .report import render_markdown, write_outputs, write_part
from .runner import METHOD, Settings, run_suite
from .workloads import (
    KernelCase,
    default_workloads,
    load_inputs,
    make_kernel_case,
    select_workloads,
)

__all__ = [
    "CONTESTANTS",
    "CONTESTANT_NAMES",
    "METHOD",
    "PLOT_NAMES",
    "QUIMB_GATE_NAMES",
    "SCHEMA_VERSION",
    "Inputs",
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
    "default_shared",
    "default_workloads",
    "find_shared",
    "gemm_floor",
    "gemm_rate",
    "load_inputs",
    "machine_info",
    "make_kernel_case",
    "make_plots",
    "mps_overlap",
    "mps_site_tensors",
    "pin_threads",
    "quimb_gates",
    "quimb_site_tensors",
    "recorded_shapes",
    "recorded_work",
    "render_markdown",
    "run_suite",
    "select_workloads",
    "state_fidelity",
    "svd_floor",
    "write_outputs",
    "write_part",
]
