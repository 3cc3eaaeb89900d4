"""Quantum circuits: an ordered list of operations on qubits and classical bits."""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .._validate import as_count as _as_count
from .._validate import as_tolerance
from ..interop.qiskit import circuit_to_qiskit, program_from_qiskit
from ..ir.gates import GATES
from ..ir.operations import Condition, Operation, Program
from ..qasm import read_qasm

__all__ = ["Circuit", "Condition", "Operation"]


class Circuit:
    """A quantum circuit on ``num_qubits`` qubits (qubit 0 = leftmost bit).

    Build it gate by gate (every method returns the circuit, so calls chain) or
    read OpenQASM 2 with :meth:`from_qasm`.

    Parameters
    ----------
    num_qubits : int
        Number of qubits, at least 1.
    num_clbits : int, optional
        Number of classical bits (measurement results), default 0.
    global_phase : float, optional
        A phase ``phi``: the circuit's unitary is ``e^{i phi}`` times its gates'
        product, as in qiskit. :func:`~tensorbond.simulate` puts it in the state,
        so amplitudes and ``to_dense`` equal qiskit's exactly.

    Examples
    --------
    >>> import tensorbond as tb
    >>> circ = tb.Circuit(3).h(0).cx(0, 1).cx(1, 2)
    >>> len(circ)
    3
    """

    def __init__(self, num_qubits: int, *, num_clbits: int = 0, global_phase: float = 0.0) -> None:
        num_qubits = _as_count(num_qubits, "num_qubits")
        if num_qubits < 1:
            raise ValueError(f"num_qubits must be at least 1, got {num_qubits}")
        self.num_qubits = num_qubits
        self.num_clbits = _as_count(num_clbits, "num_clbits")
        self.qregs: dict[str, tuple[int, int]] = {}
        self.cregs: dict[str, tuple[int, int]] = {}
        self._ops: list[Operation] = []
        self.global_phase = global_phase

    @property
    def global_phase(self) -> float:
        """The global phase ``phi`` in radians, reduced to ``[0, 2 pi)``."""
        return self._global_phase

    @global_phase.setter
    def global_phase(self, phi: float) -> None:
        if isinstance(phi, bool) or not isinstance(phi, (int, float, np.floating, np.integer)):
            raise TypeError(f"global_phase must be a real number, got {phi!r}")
        if not math.isfinite(phi):
            raise ValueError(f"global_phase must be finite, got {phi!r}")
        self._global_phase = float(phi) % (2 * math.pi)

    # ------------------------------------------------------------ construction
    def _check_qubits(self, qubits: Sequence[int], name: str) -> tuple[int, ...]:
        qs = tuple(_as_index(q, f"qubit of {name}") for q in qubits)
        for q in qs:
            if not 0 <= q < self.num_qubits:
                raise IndexError(f"{name} on qubit {q}: the circuit has {self.num_qubits} qubits")
        if len(set(qs)) != len(qs):
            raise ValueError(f"{name} applied to repeated qubits {qs}")
        return qs

    def _check_clbit(self, c: int, name: str) -> int:
        c = _as_index(c, f"classical bit of {name}")
        if not 0 <= c < self.num_clbits:
            raise IndexError(f"{name} to classical bit {c}: the circuit has {self.num_clbits}")
        return c

    def append(
        self,
        name: str,
        qubits: Sequence[int],
        params: Sequence[float] = (),
        *,
        condition: Condition | None = None,
    ) -> Circuit:
        """Append the named gate from :data:`tensorbond.gates.GATES`.

        Raises
        ------
        ValueError
            Unknown gate, wrong number of qubits or parameters, non-finite
            parameter, repeated qubit.
        IndexError
            A qubit outside the circuit.
        """
        spec = GATES.get(name)
        if spec is None:
            raise ValueError(f"unknown gate {name!r}")
        if len(qubits) != spec.num_qubits:
            raise ValueError(f"gate {name!r} acts on {spec.num_qubits} qubit(s), got {len(qubits)}")
        if len(params) != spec.num_params:
            raise ValueError(
                f"gate {name!r} takes {spec.num_params} parameter(s), got {len(params)}"
            )
        ps = tuple(float(p) for p in params)
        if not all(np.isfinite(ps)):
            raise ValueError(f"gate {name!r} has a non-finite parameter {ps}")
        qs = self._check_qubits(qubits, name)
        if condition is not None:
            for c in condition.clbits:
                self._check_clbit(c, "condition")
        self._ops.append(Operation("gate", name, qs, ps, condition=condition))
        return self

    def unitary(self, matrix: np.ndarray, qubits: Sequence[int], *, atol: float = 1e-8) -> Circuit:
        """Append an arbitrary 1-, 2- or 3-qubit unitary.

        ``matrix`` has shape ``(2**k, 2**k)`` for ``k = len(qubits)``; the first
        listed qubit is the most significant bit of its row and column index.

        Raises
        ------
        TypeError
            ``matrix`` is not numeric (a string, say), ``atol`` not a real number.
        ValueError
            Wrong shape, non-finite entries, a matrix that is not unitary
            within ``atol``, or an ``atol`` that is negative or not finite.
        """
        tol = as_tolerance(atol, "atol")
        m = _as_complex_matrix(matrix, "unitary matrix")
        k = len(qubits)
        if k not in (1, 2, 3):
            raise ValueError(f"unitary acts on 1 to 3 qubits, got {k}")
        if m.shape != (2**k, 2**k):
            raise ValueError(f"unitary on {k} qubit(s) needs shape {(2**k, 2**k)}, got {m.shape}")
        if not np.all(np.isfinite(m)):
            raise ValueError("unitary matrix contains NaN or infinite values")
        err = float(np.max(np.abs(m @ m.conj().T - np.eye(2**k))))
        if err > tol:
            raise ValueError(f"matrix is not unitary: max |U U^dag - I| = {err:.3g}")
        qs = self._check_qubits(qubits, "unitary")
        m.setflags(write=False)
        self._ops.append(Operation("gate", "unitary", qs, matrix=m))
        return self

    def measure(self, qubit: int, clbit: int) -> Circuit:
        """Measure ``qubit`` in the computational basis into ``clbit``."""
        (q,) = self._check_qubits([qubit], "measure")
        c = self._check_clbit(clbit, "measure")
        self._ops.append(Operation("measure", "measure", (q,), clbits=(c,)))
        return self

    def measure_all(self) -> Circuit:
        """Add as many classical bits as qubits and measure qubit i into bit i."""
        start = self.add_creg("meas", self.num_qubits)
        for q in range(self.num_qubits):
            self.measure(q, start + q)
        return self

    def reset(self, qubit: int) -> Circuit:
        """Reset ``qubit`` to ``|0>``."""
        (q,) = self._check_qubits([qubit], "reset")
        self._ops.append(Operation("reset", "reset", (q,)))
        return self

    def barrier(self, *qubits: int) -> Circuit:
        """A barrier (no effect on the state; kept for round trips)."""
        qs = self._check_qubits(qubits or range(self.num_qubits), "barrier")
        self._ops.append(Operation("barrier", "barrier", qs))
        return self

    @classmethod
    def from_qiskit(cls, qc: Any) -> Circuit:
        """A circuit from a ``qiskit.QuantumCircuit`` (see
        :func:`tensorbond.interop.qiskit.program_from_qiskit`)."""
        return cls.from_program(program_from_qiskit(qc))

    def to_qiskit(self) -> Any:
        """This circuit as a ``qiskit.QuantumCircuit``: gates, registers,
        measurements, resets, barriers and conditions (``if_test`` blocks)."""
        return circuit_to_qiskit(self)

    @classmethod
    def from_program(cls, program: Program) -> Circuit:
        """A circuit holding a reader's :class:`~tensorbond.ir.operations.Program`,
        every operation checked as :meth:`append` and friends check theirs.

        Raises
        ------
        ValueError, IndexError, TypeError
            The first operation that the circuit would refuse, by index.
        """
        circ = cls(
            program.num_qubits, num_clbits=program.num_clbits, global_phase=program.global_phase
        )
        for name, (start, size) in program.cregs.items():
            if start < 0 or size < 0 or start + size > circ.num_clbits:
                raise ValueError(
                    f"classical register {name!r} = bits [{start}, {start + size})"
                    f" lies outside the {circ.num_clbits} bits"
                )
        circ.qregs.update(program.qregs)
        circ.cregs.update(program.cregs)
        for i, op in enumerate(program.operations):
            try:
                circ._check_operation(op)
            except (ValueError, IndexError, TypeError) as exc:
                raise type(exc)(f"operation {i} ({op.name}): {exc}") from None
            circ._ops.append(op)
        return circ

    def _check_operation(self, op: Operation) -> None:
        if not isinstance(op, Operation):
            raise TypeError(f"expected an Operation, got {type(op).__name__}")
        self._check_qubits(op.qubits, op.name)
        for c in op.clbits:
            self._check_clbit(c, op.name)
        if op.condition is not None:
            for c in op.condition.clbits:
                self._check_clbit(c, "condition")
        if op.kind == "measure":
            if len(op.clbits) != len(op.qubits):
                raise ValueError(
                    f"measure of {len(op.qubits)} qubit(s) into {len(op.clbits)} bit(s)"
                )
        elif op.kind == "gate" and op.name == "unitary":
            m = op.matrix
            k = len(op.qubits)
            if m is None or m.shape != (2**k, 2**k) or not np.all(np.isfinite(m)):
                raise ValueError(f"a unitary on {k} qubit(s) needs a finite {(2**k, 2**k)} matrix")
            err = float(np.max(np.abs(m @ m.conj().T - np.eye(2**k))))
            if err > 1e-8:
                raise ValueError(f"matrix is not unitary: max |U U^dag - I| = {err:.3g}")
        elif op.kind == "gate":
            spec = GATES.get(op.name)
            if spec is None:
                raise ValueError(f"unknown gate {op.name!r}")
            if len(op.qubits) != spec.num_qubits or len(op.params) != spec.num_params:
                raise ValueError(
                    f"gate {op.name!r} takes {spec.num_qubits} qubit(s) and "
                    f"{spec.num_params} parameter(s), got {len(op.qubits)} and "
                    f"{len(op.params)}"
                )
            if not all(math.isfinite(p) for p in op.params):
                raise ValueError(f"gate {op.name!r} has a non-finite parameter {op.params}")
        elif op.kind not in ("reset", "barrier"):
            raise ValueError(f"unknown operation kind {op.kind!r}")

    def add_creg(self, name: str, size: int) -> int:
        """Append ``size`` classical bits as register ``name``; returns its first index."""
        if name in self.cregs:
            raise ValueError(f"classical register {name!r} already exists")
        start = self.num_clbits
        self.cregs[name] = (start, size)
        self.num_clbits += size
        return start

    # -------------------------------------------------------------- gates
    def h(self, q: int) -> Circuit:
        """Hadamard."""
        return self.append("h", [q])

    def x(self, q: int) -> Circuit:
        """Pauli X."""
        return self.append("x", [q])

    def y(self, q: int) -> Circuit:
        """Pauli Y."""
        return self.append("y", [q])

    def z(self, q: int) -> Circuit:
        """Pauli Z."""
        return self.append("z", [q])

    def s(self, q: int) -> Circuit:
        """S = diag(1, i)."""
        return self.append("s", [q])

    def sdg(self, q: int) -> Circuit:
        """S dagger."""
        return self.append("sdg", [q])

    def t(self, q: int) -> Circuit:
        """T = diag(1, e^{i pi/4})."""
        return self.append("t", [q])

    def tdg(self, q: int) -> Circuit:
        """T dagger."""
        return self.append("tdg", [q])

    def sx(self, q: int) -> Circuit:
        """Square root of X."""
        return self.append("sx", [q])

    def sxdg(self, q: int) -> Circuit:
        """Inverse square root of X."""
        return self.append("sxdg", [q])

    def id(self, q: int) -> Circuit:
        """Identity (kept as an operation)."""
        return self.append("id", [q])

    def rx(self, theta: float, q: int) -> Circuit:
        """exp(-i theta X / 2)."""
        return self.append("rx", [q], [theta])

    def ry(self, theta: float, q: int) -> Circuit:
        """exp(-i theta Y / 2)."""
        return self.append("ry", [q], [theta])

    def rz(self, theta: float, q: int) -> Circuit:
        """exp(-i theta Z / 2) = diag(e^{-i theta/2}, e^{i theta/2})."""
        return self.append("rz", [q], [theta])

    def p(self, lam: float, q: int) -> Circuit:
        """Phase gate diag(1, e^{i lam})."""
        return self.append("p", [q], [lam])

    def u1(self, lam: float, q: int) -> Circuit:
        """qelib1 u1, equal to :meth:`p`."""
        return self.append("u1", [q], [lam])

    def u2(self, phi: float, lam: float, q: int) -> Circuit:
        """qelib1 u2(phi, lam) = u3(pi/2, phi, lam)."""
        return self.append("u2", [q], [phi, lam])

    def u3(self, theta: float, phi: float, lam: float, q: int) -> Circuit:
        """qelib1 u3(theta, phi, lam)."""
        return self.append("u3", [q], [theta, phi, lam])

    def u(self, theta: float, phi: float, lam: float, q: int) -> Circuit:
        """Alias of :meth:`u3`."""
        return self.append("u", [q], [theta, phi, lam])

    def r(self, theta: float, phi: float, q: int) -> Circuit:
        """Rotation by theta about cos(phi) X + sin(phi) Y."""
        return self.append("r", [q], [theta, phi])

    def cx(self, control: int, target: int) -> Circuit:
        """Controlled X."""
        return self.append("cx", [control, target])

    def cy(self, control: int, target: int) -> Circuit:
        """Controlled Y."""
        return self.append("cy", [control, target])

    def cz(self, control: int, target: int) -> Circuit:
        """Controlled Z."""
        return self.append("cz", [control, target])

    def ch(self, control: int, target: int) -> Circuit:
        """Controlled Hadamard."""
        return self.append("ch", [control, target])

    def swap(self, a: int, b: int) -> Circuit:
        """Swap two qubits."""
        return self.append("swap", [a, b])

    def iswap(self, a: int, b: int) -> Circuit:
        """iSWAP."""
        return self.append("iswap", [a, b])

    def ecr(self, a: int, b: int) -> Circuit:
        """Echoed cross-resonance gate."""
        return self.append("ecr", [a, b])

    def cp(self, lam: float, control: int, target: int) -> Circuit:
        """Controlled phase diag(1, 1, 1, e^{i lam})."""
        return self.append("cp", [control, target], [lam])

    def cu1(self, lam: float, control: int, target: int) -> Circuit:
        """qelib1 cu1, equal to :meth:`cp`."""
        return self.append("cu1", [control, target], [lam])

    def crx(self, theta: float, control: int, target: int) -> Circuit:
        """Controlled rx."""
        return self.append("crx", [control, target], [theta])

    def cry(self, theta: float, control: int, target: int) -> Circuit:
        """Controlled ry."""
        return self.append("cry", [control, target], [theta])

    def crz(self, theta: float, control: int, target: int) -> Circuit:
        """Controlled rz (not equal to cu1: rz carries a relative phase)."""
        return self.append("crz", [control, target], [theta])

    def cu3(self, theta: float, phi: float, lam: float, control: int, target: int) -> Circuit:
        """Controlled u3."""
        return self.append("cu3", [control, target], [theta, phi, lam])

    def cu(
        self, theta: float, phi: float, lam: float, gamma: float, control: int, target: int
    ) -> Circuit:
        """Controlled e^{i gamma} u3(theta, phi, lam) (qiskit's CUGate)."""
        return self.append("cu", [control, target], [theta, phi, lam, gamma])

    def rxx(self, theta: float, a: int, b: int) -> Circuit:
        """exp(-i theta/2 X (x) X)."""
        return self.append("rxx", [a, b], [theta])

    def ryy(self, theta: float, a: int, b: int) -> Circuit:
        """exp(-i theta/2 Y (x) Y)."""
        return self.append("ryy", [a, b], [theta])

    def rzz(self, theta: float, a: int, b: int) -> Circuit:
        """exp(-i theta/2 Z (x) Z)."""
        return self.append("rzz", [a, b], [theta])

    def rzx(self, theta: float, a: int, b: int) -> Circuit:
        """exp(-i theta/2 Z (x) X), Z on ``a``."""
        return self.append("rzx", [a, b], [theta])

    def xx_plus_yy(self, theta: float, beta: float, a: int, b: int) -> Circuit:
        """exp(-i theta/4 (XX + YY)) with phase beta (qiskit's XXPlusYYGate)."""
        return self.append("xx_plus_yy", [a, b], [theta, beta])

    def xx_minus_yy(self, theta: float, beta: float, a: int, b: int) -> Circuit:
        """exp(-i theta/4 (XX - YY)) with phase beta (qiskit's XXMinusYYGate)."""
        return self.append("xx_minus_yy", [a, b], [theta, beta])

    def ccx(self, c1: int, c2: int, target: int) -> Circuit:
        """Toffoli."""
        return self.append("ccx", [c1, c2, target])

    def ccz(self, c1: int, c2: int, target: int) -> Circuit:
        """Doubly controlled Z."""
        return self.append("ccz", [c1, c2, target])

    def cswap(self, control: int, a: int, b: int) -> Circuit:
        """Fredkin (controlled swap)."""
        return self.append("cswap", [control, a, b])

    # ------------------------------------------------------------ inspection
    @property
    def operations(self) -> tuple[Operation, ...]:
        """All operations in order."""
        return tuple(self._ops)

    def __len__(self) -> int:
        return len(self._ops)

    def __iter__(self) -> Iterator[Operation]:
        return iter(self._ops)

    def count_ops(self) -> dict[str, int]:
        """How often each operation name occurs."""
        return dict(Counter(op.name for op in self._ops))

    @property
    def num_gates(self) -> int:
        """Number of unitary gates (barriers, measurements and resets excluded)."""
        return sum(op.kind == "gate" for op in self._ops)

    def __repr__(self) -> str:
        return (
            f"Circuit(num_qubits={self.num_qubits}, num_clbits={self.num_clbits}, "
            f"operations={len(self._ops)}"
            + (f", global_phase={self.global_phase:.6g})" if self.global_phase else ")")
        )

    @classmethod
    def from_qasm(cls, source: str | os.PathLike[str]) -> Circuit:
        """Read an OpenQASM 2 program (or OpenQASM 3's common subset) from a file
        path or from its text.

        Raises
        ------
        tensorbond.QasmError
            Syntax or semantic errors, with file, line and column.
        """
        return cls._adopt(read_qasm(source))

    @classmethod
    def _adopt(cls, program: Program) -> Circuit:
        """A circuit taking ``program``'s operations as they are: the QASM reader
        checks each one as it reads it, and millions would cost seconds twice."""
        circ = cls(
            program.num_qubits, num_clbits=program.num_clbits, global_phase=program.global_phase
        )
        circ.qregs.update(program.qregs)
        circ.cregs.update(program.cregs)
        circ._ops = program.operations
        return circ


def _as_complex_matrix(matrix: Any, what: str) -> np.ndarray:
    """``matrix`` as a new complex128 array; TypeError for non-numeric input."""
    bad = TypeError(f"{what} must be a numeric array, got {type(matrix).__name__} {matrix!r}"[:200])
    if isinstance(matrix, (str, bytes)):
        raise bad
    try:
        x = np.asarray(matrix)
        if x.dtype.kind not in "biufcO":
            raise bad
        return np.array(x, dtype=np.complex128)
    except (TypeError, ValueError):
        raise bad from None


def _as_index(v: object, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{what} must be an int, got {type(v).__name__}")
    return int(v)
