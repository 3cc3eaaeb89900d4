"""tensorbond: tensor networks in C++ for quantum circuit simulation (MPS) and
neural-network compression (TT-matrices).

>>> import tensorbond as tb
>>> psi = tb.simulate(tb.Circuit(3).h(0).cx(0, 1).cx(1, 2), max_bond=32)
>>> psi.fidelity_estimate
1.0
"""

import scipy_openblas32 as _scipy_openblas32  # noqa: F401  (loads the BLAS _core links)

from . import _core  # noqa: F401  (tb._core: the compiled module, for diagnostics)
from ._core import get_num_threads, set_num_threads
from .compress import (
    Candidate,
    CompressionReport,
    ContractionPlan,
    LayerReport,
    LowRank,
    TTMatrix,
    compress,
    factor_modes,
    load_compressed,
    save_compressed,
    to_dense,
)
from .compress.heal import HealReport, heal
from .errors import LinAlgError, NotImplementedError, QasmError
from .ir import (
    GATES,
    Condition,
    Operation,
    Parameter,
    ParameterExpression,
    ParameterVector,
    gate_matrix,
)
from .linalg import SVDResult, einsum, qr, singular_values, svd, tensordot
from .memory import available_memory, get_max_memory, set_max_memory
from .parallel import ItemError, child_seeds, map
from .sim import (
    MPO,
    MPS,
    Channel,
    Circuit,
    CompiledCircuit,
    Expectation,
    Gradient,
    NoiseModel,
    ReadoutError,
    RunResult,
    Samples,
    amplitude_damping,
    bit_flip,
    compile_circuit,
    depolarizing,
    expectation,
    gradient,
    kraus,
    phase_damping,
    phase_flip,
    run,
    simulate,
    value_and_grad,
)
from .truncation import Truncation

__version__ = "0.1.0"

_TORCH_NAMES = {"TTLinear", "LowRankLinear"}


def __getattr__(name: str) -> object:
    # The torch layers import torch, an optional dependency: only on first use.
    if name in _TORCH_NAMES:
        from .compress import layers

        return getattr(layers, name)
    raise AttributeError(f"module 'tensorbond' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The lazily imported torch layers too, for tab completion.
    return sorted(set(globals()) | _TORCH_NAMES)


__all__ = [
    "GATES",
    "MPO",
    "MPS",
    "Candidate",
    "Channel",
    "Circuit",
    "CompiledCircuit",
    "CompressionReport",
    "Condition",
    "ContractionPlan",
    "Expectation",
    "Gradient",
    "HealReport",
    "ItemError",
    "LayerReport",
    "LinAlgError",
    "LowRank",
    "LowRankLinear",
    "NoiseModel",
    "NotImplementedError",
    "Operation",
    "Parameter",
    "ParameterExpression",
    "ParameterVector",
    "QasmError",
    "ReadoutError",
    "RunResult",
    "SVDResult",
    "Samples",
    "TTLinear",
    "TTMatrix",
    "Truncation",
    "amplitude_damping",
    "available_memory",
    "bit_flip",
    "child_seeds",
    "compile_circuit",
    "compress",
    "depolarizing",
    "einsum",
    "expectation",
    "factor_modes",
    "gate_matrix",
    "get_max_memory",
    "get_num_threads",
    "gradient",
    "heal",
    "kraus",
    "load_compressed",
    "map",
    "phase_damping",
    "phase_flip",
    "qr",
    "run",
    "save_compressed",
    "set_max_memory",
    "set_num_threads",
    "simulate",
    "singular_values",
    "svd",
    "tensordot",
    "to_dense",
    "value_and_grad",
]
