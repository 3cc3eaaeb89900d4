"""qiskit primitives and a backend running on tensorbond's MPS simulator.

Installed with ``pip install tensorbond[qiskit]``. :class:`EstimatorV2` and
:class:`SamplerV2` implement qiskit's V2 primitive interfaces (so
qiskit-machine-learning's QNNs and other primitive users run unchanged);
:class:`MPSBackend` is a ``BackendV2`` for ``transpile`` + ``backend.run``.

Qubit order: tensorbond's qubit ``i`` is qiskit's qubit ``i``.
"""

from __future__ import annotations

try:
    import qiskit  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "tensorbond.qiskit needs qiskit: pip install 'tensorbond[qiskit]' (or pip install qiskit)"
    ) from exc

from .backend import MPSBackend
from .convert import pauli_sum
from .estimator import EstimatorV2
from .job import MPSJob, PrimitiveJob
from .options import EstimatorOptions, SamplerOptions
from .sampler import SamplerV2

__all__ = [
    "EstimatorOptions",
    "EstimatorV2",
    "MPSBackend",
    "MPSJob",
    "PrimitiveJob",
    "SamplerOptions",
    "SamplerV2",
    "pauli_sum",
]
