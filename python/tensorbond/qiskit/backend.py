"""A qiskit ``BackendV2`` that runs circuits on tensorbond: :class:`MPSBackend`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
from qiskit.circuit import IfElseOp, QuantumCircuit
from qiskit.circuit.library import UnitaryGate, get_standard_gate_name_mapping
from qiskit.providers import BackendV2, Options
from qiskit.result import Result
from qiskit.transpiler import Target

from .._validate import as_count, as_generator
from ..sim.circuit import Circuit
from .convert import convert_circuit
from .job import MPSJob
from .options import SamplerOptions
from .sampler import run_bits

__all__ = ["MPSBackend", "native_gates"]

#: Instructions tensorbond runs besides gates (``barrier`` needs no entry).
_NON_GATES = ("measure", "reset", "delay")


def native_gates() -> list[str]:
    """qiskit's standard gates that :meth:`tensorbond.Circuit.from_qiskit` turns
    into a built-in tensorbond gate (rather than an explicit matrix), by name."""
    out = []
    for name, gate in get_standard_gate_name_mapping().items():
        if name in _NON_GATES or gate.num_clbits or gate.num_qubits == 0:
            continue
        qc = QuantumCircuit(gate.num_qubits)
        qc.append(gate, range(gate.num_qubits))
        try:
            ops = Circuit.from_qiskit(qc).operations
        except (ValueError, NotImplementedError):  # pragma: no cover - qiskit's gate set
            continue
        if len(ops) == 1 and ops[0].name != "unitary":
            out.append(name)
    return sorted(out)


class MPSBackend(BackendV2):  # type: ignore[misc]
    """A qiskit backend simulating circuits as matrix product states.

    Its :attr:`target` has the gates tensorbond supports natively (see
    :func:`native_gates`), ``unitary``, ``measure``, ``reset``, ``delay`` and
    ``if_else``, on every qubit and pair (no coupling map), so
    ``transpile(qc, backend)`` only rewrites gates. :meth:`run` returns a job
    whose ``result()`` has aer-style counts (``get_counts``) and, with
    ``memory=True``, one outcome per shot (``get_memory``).

    Parameters
    ----------
    max_bond : int, optional
        Largest MPS bond (None: unlimited, exact).
    cutoff : float
        Discarded-weight cutoff of each split, as for :func:`tensorbond.run`.
    cutoff_mode : str
        How ``cutoff`` is read (see :mod:`tensorbond.truncation`).
    seed : int, optional
        Default ``seed_simulator``.
    num_qubits : int
        Qubits of the target (the MPS needs no memory for qubits a circuit
        does not use).

    Examples
    --------
    >>> from qiskit import QuantumCircuit, transpile
    >>> qc = QuantumCircuit(2, 2)
    >>> _ = qc.h(0)
    >>> _ = qc.cx(0, 1)
    >>> _ = qc.measure([0, 1], [0, 1])
    >>> backend = MPSBackend(seed=1)
    >>> sorted(backend.run(transpile(qc, backend), shots=100).result().get_counts())
    ['00', '11']
    """

    def __init__(
        self,
        *,
        max_bond: int | None = None,
        cutoff: float | None = None,
        cutoff_mode: str = "rsum2",
        seed: int | None = None,
        num_qubits: int = 1000,
    ) -> None:
        super().__init__(
            name="tensorbond_mps",
            description="tensorbond matrix product state simulator",
            backend_version="0.1.0",
        )
        truncation: dict[str, Any] = {"max_bond": max_bond, "cutoff_mode": cutoff_mode}
        if cutoff is not None:
            truncation["cutoff"] = cutoff
        self._truncation = SamplerOptions(**truncation)
        as_generator(seed)
        self._num_qubits = as_count(num_qubits, "num_qubits", minimum=1)
        self.options.update_options(seed_simulator=seed)
        self._target: Target | None = None

    @classmethod
    def _default_options(cls) -> Options:
        return Options(shots=1024, seed_simulator=None, memory=False)

    @property
    def truncation(self) -> SamplerOptions:
        """``max_bond``, ``cutoff`` and ``cutoff_mode`` of every run."""
        return self._truncation

    @property
    def max_circuits(self) -> None:
        """No limit."""
        return None

    @property
    def target(self) -> Target:
        """All-to-all target of the gates tensorbond runs."""
        if self._target is None:
            target = Target(description="tensorbond MPS", num_qubits=self._num_qubits)
            mapping = get_standard_gate_name_mapping()
            for name in [*native_gates(), *_NON_GATES]:
                target.add_instruction(mapping[name], properties=None, name=name)
            target.add_instruction(UnitaryGate, name="unitary")
            target.add_instruction(IfElseOp, name="if_else")
            self._target = target
        return self._target

    def run(self, run_input: Any, **options: Any) -> MPSJob:
        """Run circuits.

        Parameters
        ----------
        run_input : QuantumCircuit or list of QuantumCircuit
            Bound circuits (transpiled or not: any gate ``Circuit.from_qiskit``
            reads runs).
        **options
            ``shots`` (default 1024), ``seed_simulator`` (default: the
            backend's seed), ``memory`` (default False).

        Returns
        -------
        MPSJob
            Already done; ``job.result()`` is a ``qiskit.result.Result``.

        Raises
        ------
        ValueError
            Unknown options, circuits with unbound parameters, instructions
            tensorbond cannot represent.
        """
        unknown = sorted(set(options) - {"shots", "seed_simulator", "memory"})
        if unknown:
            raise ValueError(
                f"unknown run options {unknown}; MPSBackend.run takes shots, "
                "seed_simulator and memory"
            )
        opts = {**self.options.__dict__, **options}
        shots = as_count(opts["shots"], "shots", minimum=1)
        memory = bool(opts["memory"])
        seed = opts["seed_simulator"]
        rng = as_generator(seed)
        circuits = [run_input] if isinstance(run_input, QuantumCircuit) else list(run_input)
        for i, qc in enumerate(circuits):
            if not isinstance(qc, QuantumCircuit):
                raise TypeError(f"run_input[{i}] is a {type(qc).__name__}, not a QuantumCircuit")
            if qc.parameters:
                names = ", ".join(p.name for p in qc.parameters)
                raise ValueError(
                    f"circuit {i} ({qc.name}) has unbound parameters {names}: assign them first"
                )
        job_id = str(uuid.uuid4())
        start = time.perf_counter()
        results = [self._experiment(qc, shots, rng, memory, seed) for qc in circuits]
        return MPSJob(
            self,
            job_id,
            Result.from_dict(
                {
                    "backend_name": self.name,
                    "backend_version": self.backend_version,
                    "job_id": job_id,
                    "results": results,
                    "status": "COMPLETED",
                    "success": True,
                    "time_taken": time.perf_counter() - start,
                }
            ),
        )

    def _experiment(
        self, qc: Any, shots: int, rng: np.random.Generator, memory: bool, seed: Any
    ) -> dict[str, Any]:
        start = time.perf_counter()
        conv = convert_circuit(qc, drop_global_phase=True, compile=False)
        circ = conv.bound(np.zeros(0))
        bits, res = run_bits(circ, shots, rng, self._truncation)
        # Each distinct outcome as hex (classical bit 0 least significant), once.
        rows, inverse, freq = np.unique(bits, axis=0, return_inverse=True, return_counts=True)
        hexes = [hex(int("".join(map(str, row[::-1].tolist())) or "0", 2)) for row in rows]
        data: dict[str, Any] = {"counts": dict(zip(hexes, freq.tolist(), strict=True))}
        if memory:
            data["memory"] = [hexes[j] for j in inverse.ravel().tolist()]
        return {
            "name": qc.name,
            "seed_simulator": seed,
            "shots": shots,
            "data": data,
            "status": "DONE",
            "success": True,
            "header": _header(qc),
            "time_taken": time.perf_counter() - start,
            "metadata": {
                "simulator": "tensorbond.mps",
                "fidelity_estimate": res.fidelity_estimate,
                "min_fidelity_estimate": res.min_fidelity_estimate,
                "max_bond_reached": res.max_bond_reached,
                "branches": res.branches,
            },
        }


def _header(qc: Any) -> dict[str, Any]:
    """What ``Result.get_counts`` reads to format keys by register."""
    regs: Sequence[Any] = qc.cregs
    return {
        "name": qc.name,
        "n_qubits": qc.num_qubits,
        "qreg_sizes": [[r.name, r.size] for r in qc.qregs],
        "creg_sizes": [[r.name, r.size] for r in regs],
        "qubit_labels": [[r.name, j] for r in qc.qregs for j in range(r.size)],
        "clbit_labels": [[r.name, j] for r in regs for j in range(r.size)],
        "memory_slots": qc.num_clbits,
        "global_phase": float(qc.global_phase) if not qc.parameters else 0.0,
        "metadata": qc.metadata if qc.metadata is not None else {},
    }
