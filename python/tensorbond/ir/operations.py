"""The operations a circuit is made of, and the program a reader returns.

Readers (:mod:`tensorbond.qasm`, :mod:`tensorbond.interop.qiskit`) produce a
:class:`Program`; :class:`tensorbond.Circuit` is built from one. Nothing here
knows the circuit or the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .gates import gate_matrix
from .parameters import Parameter, ParameterValue, parameters_of

__all__ = ["Condition", "OpKind", "Operation", "Program"]

OpKind = Literal["gate", "measure", "reset", "barrier"]


@dataclass(frozen=True, slots=True)
class Condition:
    """Classical control ``if (creg == value)``: the register's bits, LSB first."""

    clbits: tuple[int, ...]
    value: int
    register: str = ""

    def __str__(self) -> str:
        """``c == 3`` for a register, ``clbit 2 == 1`` for a single loose bit."""
        if self.register:
            return f"{self.register} == {self.value}"
        bits = ", ".join(str(b) for b in self.clbits)
        return f"clbit{'s' if len(self.clbits) > 1 else ''} {bits} == {self.value}"


@dataclass(frozen=True, slots=True)
class Operation:
    """One circuit instruction.

    ``kind`` is ``"gate"`` (``name`` from :data:`tensorbond.gates.GATES`, or
    ``"unitary"`` with an explicit ``matrix``), ``"measure"`` (``qubits[i]`` into
    ``clbits[i]``), ``"reset"`` or ``"barrier"``. A gate's ``params`` are
    floats, or :class:`~tensorbond.Parameter` / affine expressions of them until
    the circuit is bound.
    """

    kind: OpKind
    name: str
    qubits: tuple[int, ...]
    params: tuple[ParameterValue, ...] = ()
    clbits: tuple[int, ...] = ()
    condition: Condition | None = None
    matrix: np.ndarray | None = field(default=None, compare=False, repr=False)

    def unitary(self) -> np.ndarray:
        """The gate's matrix (complex128); first listed qubit most significant."""
        if self.kind != "gate":
            raise ValueError(f"{self.kind} is not a unitary operation")
        if self.matrix is not None:
            return self.matrix
        free = sorted({p.name for p in parameters_of(self.params)})
        if free:
            raise ValueError(
                f"gate {self.name!r} on qubits {self.qubits} has unbound parameters "
                f"{', '.join(free)}: bind them first (Circuit.bind)"
            )
        return gate_matrix(self.name, tuple(float(p) for p in self.params))


@dataclass(slots=True)
class Program:
    """What a reader hands to :meth:`tensorbond.Circuit.from_program`.

    ``qregs`` and ``cregs`` map a register's name to ``(first index, size)``.
    """

    num_qubits: int
    num_clbits: int = 0
    operations: list[Operation] = field(default_factory=list)
    qregs: dict[str, tuple[int, int]] = field(default_factory=dict)
    cregs: dict[str, tuple[int, int]] = field(default_factory=dict)
    global_phase: float = 0.0
    #: Input parameters the program declares (OpenQASM 3 ``input float``).
    parameters: tuple[Parameter, ...] = ()
