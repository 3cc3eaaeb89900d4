"""tensorbond: tensor networks in C++ for quantum circuit simulation (MPS).

>>> import tensorbond as tb
>>> psi = tb.simulate(tb.Circuit(3).h(0).cx(0, 1).cx(1, 2), max_bond=32)
>>> psi.fidelity_estimate
1.0
"""

from __future__ import annotations

import scipy_openblas32  # noqa: F401  (loads the BLAS that _core links against)

from . import _core
from ._core import get_num_threads, set_num_threads
from .circuit import Circuit, Condition, Operation
from .errors import LinAlgError, NotImplementedError, QasmError  # noqa: A004
from .gates import GATES, gate_matrix
from .linalg import SVDResult, einsum, qr, singular_values, svd, tensordot
from .mps import MPS, Samples
from .simulate import CompiledCircuit, compile_circuit, simulate
from .truncation import Truncation
from .tt import ContractionPlan, LowRank, TTMatrix, factor_modes

__version__ = "0.1.0"

__all__ = [
    "GATES",
    "MPS",
    "Circuit",
    "CompiledCircuit",
    "Condition",
    "ContractionPlan",
    "LinAlgError",
    "LowRank",
    "NotImplementedError",
    "Operation",
    "QasmError",
    "SVDResult",
    "Samples",
    "TTMatrix",
    "Truncation",
    "compile_circuit",
    "einsum",
    "factor_modes",
    "gate_matrix",
    "get_num_threads",
    "qr",
    "set_num_threads",
    "simulate",
    "singular_values",
    "svd",
    "tensordot",
]
