"""Quantum circuits: an ordered list of operations on qubits and classical bits."""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .._validate import as_count as _as_count
from .._validate import as_tolerance
from ..interop.qiskit import circuit_to_qiskit, program_from_qiskit
from ..ir.gates import GATES
from ..ir.operations import Condition, Operation, Program
from ..ir.parameters import (
    Parameter,
    ParameterExpression,
    check_real,
    is_symbolic,
    parameters_of,
)
from ..qasm import read_qasm
from .gate_methods import GateMethods

__all__ = ["Circuit", "Condition", "Operation"]


class Circuit(GateMethods):
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
        self._params: dict[Parameter, None] = {}  # an ordered set
        self._param_names: dict[str, Parameter] = {}
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

        Parameters
        ----------
        name : str
            The gate's name, e.g. ``"cx"``.
        qubits : sequence of int
            The qubits it acts on, in the gate's order (the first listed is the
            most significant bit of its matrix; controls come first).
        params : sequence of float
            Its angles in radians, as many as the gate takes.
        condition : Condition, optional
            Apply the gate only if the classical bits hold the given value.

        Returns
        -------
        Circuit
            This circuit (calls chain).

        Raises
        ------
        ValueError
            Unknown gate, wrong number of qubits or parameters, non-finite
            parameter, repeated qubit.
        IndexError
            A qubit outside the circuit, or a condition bit outside its
            classical bits.
        TypeError
            A qubit or condition bit that is not an int.
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
        ps = tuple(_gate_parameter(p, name) for p in params)
        qs = self._check_qubits(qubits, name)
        if condition is not None:
            for c in condition.clbits:
                self._check_clbit(c, "condition")
        self._note_parameters(ps)
        self._ops.append(Operation("gate", name, qs, ps, condition=condition))
        return self

    # ------------------------------------------------------------ parameters
    def _note_parameters(self, params: Sequence[Any]) -> None:
        for p in parameters_of(params):
            if p in self._params:
                continue
            twin = self._param_names.get(p.name)
            if twin is not None and twin is not p:
                raise ValueError(f"the circuit already has a different parameter named {p.name!r}")
            self._params[p] = None
            self._param_names[p.name] = p

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """The circuit's unbound parameters, ordered by name (the elements of a
        :class:`~tensorbond.ParameterVector` by index): the order :meth:`bind`
        takes an array in."""
        return tuple(sorted(self._params, key=lambda p: p.sort_key))

    @property
    def num_parameters(self) -> int:
        """How many unbound parameters the circuit has."""
        return len(self._params)

    def bind(self, values: Mapping[Parameter | str, float] | npt.ArrayLike) -> Circuit:
        """A copy of the circuit with parameters replaced by numbers.

        Parameters
        ----------
        values : mapping or array_like
            ``{parameter: value}`` (or ``{name: value}``) for some or all of the
            parameters, or one value per parameter in :attr:`parameters` order.

        Returns
        -------
        Circuit
            The bound circuit; parameters without a value stay symbolic.

        Raises
        ------
        ValueError
            An array of the wrong length, a value that is not finite, a key that
            is not a parameter of the circuit.
        TypeError
            A value that is not a real number.
        """
        order = self.parameters
        if isinstance(values, Mapping):
            table: dict[Parameter, float] = {}
            for key, v in values.items():
                p = self._param_names.get(key) if isinstance(key, str) else key
                if not isinstance(p, Parameter) or p not in self._params:
                    raise ValueError(f"{key!r} is not a parameter of the circuit")
                table[p] = check_real(v, f"the value of {p.name}")
        else:
            arr = np.asarray(values)
            if arr.ndim != 1 or arr.shape[0] != len(order):
                raise ValueError(
                    f"an array of values must have shape ({len(order)},), one per "
                    f"parameter, got {arr.shape}"
                )
            if arr.dtype.kind not in "iuf":
                raise TypeError(f"parameter values must be real numbers, got dtype {arr.dtype}")
            table = {}
            for p, v in zip(order, arr.tolist(), strict=True):
                table[p] = check_real(v, f"the value of {p.name}")
        out = Circuit(self.num_qubits, num_clbits=self.num_clbits, global_phase=self.global_phase)
        out.qregs.update(self.qregs)
        out.cregs.update(self.cregs)
        for op in self._ops:
            if op.kind == "gate" and any(is_symbolic(x) for x in op.params):
                ps = tuple(
                    x.bind(table) if isinstance(x, (Parameter, ParameterExpression)) else x
                    for x in op.params
                )
                op = Operation(op.kind, op.name, op.qubits, ps, op.clbits, op.condition)
                out._note_parameters(ps)
            out._ops.append(op)
        return out

    def unitary(self, matrix: np.ndarray, qubits: Sequence[int], *, atol: float = 1e-8) -> Circuit:
        """Append an arbitrary 1-, 2- or 3-qubit unitary.

        ``matrix`` has shape ``(2**k, 2**k)`` for ``k = len(qubits)``; the first
        listed qubit is the most significant bit of its row and column index.

        Parameters
        ----------
        matrix : array_like
            The ``(2**k, 2**k)`` unitary; stored as a read-only complex128 copy.
        qubits : sequence of int
            The 1 to 3 qubits it acts on, most significant first.
        atol : float
            Largest entry of ``|U U^dag - I|`` accepted.

        Returns
        -------
        Circuit
            This circuit (calls chain).

        Raises
        ------
        TypeError
            ``matrix`` is not numeric (a string, say), ``atol`` not a real number,
            a qubit not an int.
        ValueError
            Wrong shape, non-finite entries, a matrix that is not unitary
            within ``atol``, or an ``atol`` that is negative or not finite;
            repeated qubits.
        IndexError
            A qubit outside the circuit.
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
        """Measure ``qubit`` in the computational basis into ``clbit``.

        Parameters
        ----------
        qubit : int
            The qubit measured.
        clbit : int
            The classical bit that receives the result.

        Returns
        -------
        Circuit
            This circuit (calls chain).

        Raises
        ------
        TypeError
            A qubit or bit that is not an int.
        IndexError
            A qubit or classical bit outside the circuit.
        """
        (q,) = self._check_qubits([qubit], "measure")
        c = self._check_clbit(clbit, "measure")
        self._ops.append(Operation("measure", "measure", (q,), clbits=(c,)))
        return self

    def measure_all(self) -> Circuit:
        """Add as many classical bits as qubits and measure qubit i into bit i.

        The new bits form the classical register ``"meas"``, appended after the
        existing bits (so qubit i goes to bit ``num_clbits + i`` of the old count).

        Returns
        -------
        Circuit
            This circuit (calls chain).

        Raises
        ------
        ValueError
            A classical register named ``"meas"`` already exists.
        """
        start = self.add_creg("meas", self.num_qubits)
        for q in range(self.num_qubits):
            self.measure(q, start + q)
        return self

    def reset(self, qubit: int) -> Circuit:
        """Reset ``qubit`` to ``|0>``.

        Parameters
        ----------
        qubit : int
            The qubit reset.

        Returns
        -------
        Circuit
            This circuit (calls chain).

        Raises
        ------
        TypeError
            A qubit that is not an int.
        IndexError
            A qubit outside the circuit.
        """
        (q,) = self._check_qubits([qubit], "reset")
        self._ops.append(Operation("reset", "reset", (q,)))
        return self

    def barrier(self, *qubits: int) -> Circuit:
        """A barrier (no effect on the state; kept for round trips).

        Parameters
        ----------
        *qubits : int
            The qubits it spans; all qubits when none are given.

        Returns
        -------
        Circuit
            This circuit (calls chain).

        Raises
        ------
        TypeError
            A qubit that is not an int.
        IndexError
            A qubit outside the circuit.
        ValueError
            Repeated qubits.
        """
        qs = self._check_qubits(qubits or range(self.num_qubits), "barrier")
        self._ops.append(Operation("barrier", "barrier", qs))
        return self

    @classmethod
    def from_qiskit(cls, qc: Any) -> Circuit:
        """A circuit from a ``qiskit.QuantumCircuit`` (see
        :func:`tensorbond.interop.qiskit.program_from_qiskit`).

        Parameters
        ----------
        qc : qiskit.QuantumCircuit
            The circuit; qiskit's qubit ``i`` becomes qubit ``i``, its classical
            bits and registers are kept.

        Returns
        -------
        Circuit

        Raises
        ------
        NotImplementedError
            Instructions tensorbond cannot represent (see
            :func:`~tensorbond.interop.qiskit.program_from_qiskit`).
        ValueError
            Unbound parameters, or an instruction with neither a matrix nor a
            definition.
        """
        return cls.from_program(program_from_qiskit(qc))

    def to_qiskit(self) -> Any:
        """This circuit as a ``qiskit.QuantumCircuit``: gates, registers,
        measurements, resets, barriers and conditions (``if_test`` blocks).

        Returns
        -------
        qiskit.QuantumCircuit
            Qubit ``i`` is qiskit's qubit ``i``; the global phase is kept.

        Raises
        ------
        ValueError
            A condition on bits that are not one register of the circuit.
        """
        return circuit_to_qiskit(self)

    @classmethod
    def from_program(cls, program: Program) -> Circuit:
        """A circuit holding a reader's :class:`~tensorbond.ir.operations.Program`,
        every operation checked as :meth:`append` and friends check theirs.

        Parameters
        ----------
        program : Program
            Qubit and bit counts, registers, global phase and operations.

        Returns
        -------
        Circuit

        Raises
        ------
        ValueError, IndexError, TypeError
            The first operation that the circuit would refuse, by index.
        ValueError
            A classical register that lies outside the program's classical bits.
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
            for p in op.params:
                if not is_symbolic(p):
                    check_real(p, f"parameter of gate {op.name!r}")
            self._note_parameters(op.params)
        elif op.kind not in ("reset", "barrier"):
            raise ValueError(f"unknown operation kind {op.kind!r}")

    def add_creg(self, name: str, size: int) -> int:
        """Append ``size`` classical bits as register ``name``; returns its first index.

        Parameters
        ----------
        name : str
            The register's name.
        size : int
            Number of bits.

        Returns
        -------
        int
            Index of the register's first bit (the previous ``num_clbits``).

        Raises
        ------
        ValueError
            A register named ``name`` already exists.
        """
        if name in self.cregs:
            raise ValueError(f"classical register {name!r} already exists")
        start = self.num_clbits
        self.cregs[name] = (start, size)
        self.num_clbits += size
        return start

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
        """How often each operation name occurs.

        Returns
        -------
        dict of str to int
            Operation name (``"cx"``, ``"measure"``, ``"unitary"``, ...) to its count.
        """
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

        Parameters
        ----------
        source : str or os.PathLike
            A path to an OpenQASM file, or the program text itself (see
            :func:`tensorbond.qasm.read_qasm_source` for how a ``str`` is told apart).

        Returns
        -------
        Circuit

        Raises
        ------
        tensorbond.QasmError
            Syntax or semantic errors, with file, line and column.
        FileNotFoundError
            ``source`` is neither an existing file nor program text.
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
        if program.parameters:  # only then can an operation hold one
            for op in circ._ops:
                if op.params:
                    circ._note_parameters(op.params)
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


def _gate_parameter(p: Any, gate: str) -> Any:
    """A symbolic parameter as it is, anything else as a finite float (numpy
    scalars and 0-d arrays too; strings are refused, not parsed)."""
    if is_symbolic(p):
        return p
    if isinstance(p, (str, bytes, bool)):
        raise TypeError(f"a parameter of gate {gate!r} must be a real number, got {p!r}")
    try:
        x = float(p)
    except (TypeError, ValueError):
        raise TypeError(f"a parameter of gate {gate!r} must be a real number, got {p!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"gate {gate!r} has a non-finite parameter {x!r}")
    return x
