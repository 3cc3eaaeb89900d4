"""Conversions between tensorbond and other libraries: qiskit circuits
(:mod:`.qiskit`) and quimb matrix product states (:mod:`.quimb`).

They speak the engine's plain data (a :class:`~tensorbond.ir.operations.Program`,
lists of site tensors), never the Circuit or MPS classes, which call them.
"""

from __future__ import annotations

from .qiskit import MAX_DEFINITION_DEPTH, circuit_to_qiskit, program_from_qiskit
from .quimb import site_tensors_from_quimb, to_quimb

__all__ = [
    "MAX_DEFINITION_DEPTH",
    "circuit_to_qiskit",
    "program_from_qiskit",
    "site_tensors_from_quimb",
    "to_quimb",
]
