"""The data every layer speaks: the gate table, the operations of a circuit and
the program a reader returns, Pauli strings. Nothing here simulates."""

from __future__ import annotations

from .gates import GATES, GateSpec, gate_matrix
from .operations import Condition, Operation, Program
from .parameters import Parameter, ParameterExpression, ParameterVector
from .pauli import PAULI, PauliTerm, parse_pauli_sum, parse_term

__all__ = [
    "GATES",
    "PAULI",
    "Condition",
    "GateSpec",
    "Operation",
    "Parameter",
    "ParameterExpression",
    "ParameterVector",
    "PauliTerm",
    "Program",
    "gate_matrix",
    "parse_pauli_sum",
    "parse_term",
]
