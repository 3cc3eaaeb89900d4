"""Circuit simulation with matrix product states: the circuit, the state, the
observables, and the drivers that run one on the other (:func:`simulate` for
one final state, :func:`run` for shots of noisy and dynamic circuits).
"""

from __future__ import annotations

from .circuit import Circuit
from .compile import CompiledCircuit, compile_circuit
from .expectation import Expectation, expectation
from .gradient import Gradient, gradient, value_and_grad
from .mps import MPS, Samples
from .noise import (
    Channel,
    NoiseModel,
    ReadoutError,
    amplitude_damping,
    bit_flip,
    depolarizing,
    kraus,
    phase_damping,
    phase_flip,
)
from .observables import MPO
from .run import RunResult, run
from .simulate import simulate

__all__ = [
    "MPO",
    "MPS",
    "Channel",
    "Circuit",
    "CompiledCircuit",
    "Expectation",
    "Gradient",
    "NoiseModel",
    "ReadoutError",
    "RunResult",
    "Samples",
    "amplitude_damping",
    "bit_flip",
    "compile_circuit",
    "depolarizing",
    "expectation",
    "gradient",
    "kraus",
    "phase_damping",
    "phase_flip",
    "run",
    "simulate",
    "value_and_grad",
]
