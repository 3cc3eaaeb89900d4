"""Circuits compiled for the core, and the only calls into the compiled state.

:class:`CompiledCircuit` holds a circuit's gates as flat arrays; the functions
below are the engine's verbs on an :class:`~tensorbond.MPS` (run compiled gates,
apply one matrix, project one qubit, read one qubit's density matrix). The
drivers (:mod:`.simulate`, :mod:`.run`) go through them, so this module and
:mod:`.mps` are the only ones that touch the compiled object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..errors import NotImplementedError as TbNotImplementedError
from ..ir.gates import GATES, gate_matrix
from ..ir.operations import Operation
from ..ir.parameters import Parameter, ParameterExpression, check_real, is_symbolic
from ..truncation import Truncation, core_routing
from .circuit import Circuit
from .mps import MPS

Routing = Literal["auto", "swap", "mpo", "lazy"]

__all__ = [
    "CompiledCircuit",
    "Routing",
    "apply_matrix",
    "apply_normalized",
    "check_bound",
    "compile_circuit",
    "local_density",
    "rotation_generator",
    "run_gates",
]


_ROTATIONS: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}


def rotation_generator(name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """``(V, w)`` with ``gate(x) = V diag(e^{i w x}) V^dag`` for every x, if the
    one-parameter gate ``name`` is such a group (rx, rzz, cp, crx, ...); else None.

    The generator comes from the gate's own matrices (``-i U'(0)``, exact by a
    four-point difference); the claim is checked at two angles to 1e-14.
    """
    if name in _ROTATIONS:
        return _ROTATIONS[name]
    found: tuple[np.ndarray, np.ndarray] | None = None
    spec = GATES.get(name)
    if spec is not None and spec.num_params == 1:
        a1 = (1 - np.sqrt(2)) / 4
        du = a1 * (gate_matrix(name, (np.pi,)) - gate_matrix(name, (-np.pi,))) + 0.5 * (
            gate_matrix(name, (np.pi / 2,)) - gate_matrix(name, (-np.pi / 2,))
        )
        k = -1j * du @ gate_matrix(name, (0.0,)).conj().T
        if np.allclose(k, k.conj().T, atol=1e-14):
            w, v = np.linalg.eigh((k + k.conj().T) / 2)
            ok = all(
                np.allclose(
                    (v * np.exp(1j * w * x)) @ v.conj().T, gate_matrix(name, (x,)), atol=1e-14
                )
                for x in (0.7, -2.3)
            )
            if ok and np.allclose(gate_matrix(name, (0.0,)), np.eye(v.shape[0]), atol=1e-15):
                found = (v, w)
    _ROTATIONS[name] = found
    return found


class CompiledCircuit:
    """A circuit's gates as flat arrays for the compiled simulator.

    ``qubits[k, :arity[k]]`` are gate k's qubits and its ``2^a x 2^a`` matrix
    starts at ``matrices[offsets[k]]``; identical gates share one matrix.
    ``clbit_map`` records final measurements ``{clbit: qubit}``. The circuit's
    global phase becomes a first gate ``e^{i phi} I`` on qubit 0, exact and free.

    A parametrized circuit compiles once: its symbolic gates get matrix slots
    that :meth:`bind` fills for each parameter point, the rest of the program
    (qubits, arities, offsets, the fixed matrices) staying as it is.
    """

    def __init__(
        self,
        num_qubits: int,
        gates: Sequence[Operation],
        *,
        global_phase: float = 0.0,
        clbit_map: Mapping[int, int] | None = None,
        parameters: Sequence[Parameter] = (),
    ) -> None:
        self.clbit_map = dict(clbit_map or {})
        #: The parameters, in the order :meth:`bind` takes an array in.
        self.parameters: tuple[Parameter, ...] = tuple(parameters)
        self._slots: list[tuple[int, str, tuple[Any, ...]]] = []  # symbolic gates
        #: ``(gate index, name, params)`` of every gate with symbolic parameters.
        self.symbolic: list[tuple[int, str, tuple[Any, ...]]] = []
        gates = list(gates)
        if global_phase:
            phase = np.exp(1j * global_phase) * np.eye(2, dtype=np.complex128)
            gates.insert(0, Operation("gate", "unitary", (0,), matrix=phase))
        n = len(gates)
        self.num_qubits = num_qubits
        self.qubits = np.zeros((n, 3), dtype=np.int64)
        self.arity = np.zeros(n, dtype=np.int64)
        self.offsets = np.zeros(n, dtype=np.int64)
        cache: dict[tuple[str, tuple[Any, ...]], int] = {}
        chunks: list[np.ndarray] = []
        size = 0
        for k, op in enumerate(gates):
            a = len(op.qubits)
            self.arity[k] = a
            self.qubits[k, :a] = op.qubits
            key = (op.name, op.params)
            if op.matrix is None and any(is_symbolic(p) for p in op.params):
                self.symbolic.append((k, op.name, op.params))
            off = cache.get(key) if op.matrix is None else None
            if off is None:
                if op.matrix is None and any(is_symbolic(p) for p in op.params):
                    m = np.zeros(4**a, dtype=np.complex128)  # filled by bind
                    self._slots.append((size, op.name, op.params))
                else:
                    m = op.unitary().ravel()
                off = size
                chunks.append(m)
                size += m.size
                if op.matrix is None:
                    cache[key] = off
            self.offsets[k] = off
        self.matrices = (
            np.ascontiguousarray(np.concatenate(chunks))
            if chunks
            else np.zeros(1, dtype=np.complex128)
        )
        self._plan_bind()

    def _plan_bind(self) -> None:
        """Group the symbolic slots for :meth:`bind`: one-parameter rotations of one
        name are filled together as ``V diag(e^{i w x}) V^dag`` (numpy, one call per
        gate name), the rest one by one; each slot's angle is an affine function
        of the parameters, kept as sparse rows."""
        index = {p: i for i, p in enumerate(self.parameters)}
        groups: dict[str, list[int]] = {}
        self._other: list[tuple[int, str, tuple[Any, ...]]] = []
        rows: list[int] = []
        cols: list[int] = []
        coefs: list[float] = []
        consts: list[float] = []
        for off, name, params in self._slots:
            if len(params) == 1 and rotation_generator(name) is not None:
                x = params[0]
                slot = len(consts)
                terms = x.terms if isinstance(x, ParameterExpression) else {x: 1.0}
                consts.append(x.constant if isinstance(x, ParameterExpression) else 0.0)
                for p, c in terms.items():
                    rows.append(slot)
                    cols.append(index[p])
                    coefs.append(c)
                groups.setdefault(name, []).append(off)
                groups[name].append(slot)
            else:
                self._other.append((off, name, params))
        self._groups = [
            (name, np.array(v[0::2], dtype=np.int64), np.array(v[1::2], dtype=np.int64))
            for name, v in groups.items()
        ]
        self._angle_rows = np.array(rows, dtype=np.int64)
        self._angle_cols = np.array(cols, dtype=np.int64)
        self._angle_coefs = np.array(coefs, dtype=np.float64)
        self._angle_consts = np.array(consts, dtype=np.float64)

    def __len__(self) -> int:
        return int(self.arity.shape[0])

    def gate_matrix(self, k: int, matrices: np.ndarray | None = None) -> np.ndarray:
        """Gate ``k``'s ``2^a x 2^a`` matrix (from ``matrices`` if given, a bound copy)."""
        m = self.matrices if matrices is None else matrices
        d = 1 << int(self.arity[k])
        off = int(self.offsets[k])
        return m[off : off + d * d].reshape(d, d)

    def inverse(self, matrices: np.ndarray | None = None) -> CompiledCircuit:
        """The inverse program: the gates in reverse order, each matrix its adjoint.

        Parameters
        ----------
        matrices : ndarray, optional
            The gate matrices to invert (from :meth:`bind`); default :attr:`matrices`.

        Returns
        -------
        CompiledCircuit
            With no parameters: its matrices are those of this point.
        """
        m = self.matrices if matrices is None else matrices
        out = np.empty_like(m)
        done = np.zeros(m.shape[0], dtype=bool)
        for a in (1, 2, 3):
            offs = np.unique(self.offsets[self.arity == a])
            if offs.size == 0:
                continue
            d = 1 << a
            idx = offs[:, None] + np.arange(d * d)[None, :]
            blocks = m[idx].reshape(-1, d, d)
            out[idx] = np.conj(np.swapaxes(blocks, 1, 2)).reshape(-1, d * d)
            done[idx] = True
        out[~done] = m[~done]
        inv = CompiledCircuit.__new__(CompiledCircuit)
        inv.clbit_map = {}
        inv.parameters = ()
        inv._slots = []
        inv._plan_bind()
        inv.symbolic = []
        inv.num_qubits = self.num_qubits
        inv.qubits = np.ascontiguousarray(self.qubits[::-1])
        inv.arity = np.ascontiguousarray(self.arity[::-1])
        inv.offsets = np.ascontiguousarray(self.offsets[::-1])
        inv.matrices = out
        return inv

    def point(self, values: Mapping[Parameter | str, float] | npt.ArrayLike) -> np.ndarray:
        """One parameter point as floats in :attr:`parameters` order.

        Parameters
        ----------
        values : mapping or array_like
            ``{parameter or name: value}`` for every parameter, or one value per
            parameter in :attr:`parameters` order.

        Returns
        -------
        ndarray
            Shape ``(P,)``, float64.

        Raises
        ------
        ValueError
            A missing or unknown parameter, the wrong number of values, a value
            that is not finite.
        TypeError
            Values that are not real numbers.
        """
        if isinstance(values, Mapping):
            by_name = {p.name: p for p in self.parameters}
            table: dict[Parameter, float] = {}
            for key, v in values.items():
                p = by_name.get(key) if isinstance(key, str) else key
                if p is None or p not in self.parameters:
                    raise ValueError(f"{key!r} is not a parameter of the circuit")
                table[p] = check_real(v, f"the value of {p.name}")
            missing = [p.name for p in self.parameters if p not in table]
            if missing:
                raise ValueError(f"no value for the parameters {', '.join(missing)}")
            return np.array([table[p] for p in self.parameters], dtype=np.float64)
        arr = np.asarray(values)
        if arr.ndim != 1 or arr.shape[0] != len(self.parameters):
            raise ValueError(
                f"params must have shape ({len(self.parameters)},), one value per "
                f"parameter, got {arr.shape}"
            )
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"parameter values must be real numbers, got dtype {arr.dtype}")
        for p, v in zip(self.parameters, arr.tolist(), strict=True):
            check_real(v, f"the value of {p.name}")
        return arr.astype(np.float64)

    def bind(self, values: Mapping[Parameter | str, float] | npt.ArrayLike) -> np.ndarray:
        """The gate matrices at one parameter point.

        Parameters
        ----------
        values : mapping or array_like
            As for :meth:`point`.

        Returns
        -------
        ndarray
            A copy of :attr:`matrices` with the symbolic gates' matrices filled.

        Raises
        ------
        ValueError
            A missing or unknown parameter, the wrong number of values, a value
            that is not finite.
        """
        row = self.point(values)
        out: np.ndarray = self.matrices.copy()
        if self._groups:
            angles = self._angle_consts + np.bincount(
                self._angle_rows,
                weights=self._angle_coefs * row[self._angle_cols],
                minlength=self._angle_consts.size,
            )
            for name, offs, slots in self._groups:
                v, w = rotation_generator(name)  # type: ignore[misc]
                d = v.shape[0]
                phases = np.exp(1j * angles[slots, None] * w[None, :])  # (m, d)
                mats = np.einsum("ij,mj,kj->mik", v, phases, v.conj())
                out[offs[:, None] + np.arange(d * d)[None, :]] = mats.reshape(-1, d * d)
        if self._other:
            table = dict(zip(self.parameters, row.tolist(), strict=True))
            for off, name, params in self._other:
                nums = tuple(float(x.bind(table)) if is_symbolic(x) else float(x) for x in params)
                m = gate_matrix(name, nums).ravel()
                out[off : off + m.size] = m
        return out


def compile_circuit(circuit: Circuit) -> CompiledCircuit:
    """Flatten ``circuit`` for :func:`simulate` (done once; reuse for repeated runs).

    Raises
    ------
    NotImplementedError
        For reset, classically controlled operations and mid-circuit measurement,
        naming the operation.
    """
    if not isinstance(circuit, Circuit):
        raise TypeError(f"expected a tensorbond.Circuit, got {type(circuit).__name__}")
    ops = circuit.operations
    measured_at: dict[int, int] = {}
    clbit_map: dict[int, int] = {}
    for i, op in enumerate(ops):
        if op.condition is not None:
            raise TbNotImplementedError(
                f"classically controlled operation 'if ({op.condition}) {op.name}' "
                f"(operation {i}): a dynamic "
                "circuit has no single final state: run its shots with tensorbond.run"
            )
        if op.kind == "reset":
            raise TbNotImplementedError(
                f"reset of qubit {op.qubits[0]} (operation {i}): a dynamic circuit has "
                "no single final state: run its shots with tensorbond.run"
            )
        if op.kind == "measure":
            measured_at.setdefault(op.qubits[0], i)
            clbit_map[op.clbits[0]] = op.qubits[0]
        elif op.kind == "gate":
            for q in op.qubits:
                if q in measured_at:
                    raise TbNotImplementedError(
                        f"mid-circuit measurement: qubit {q} is measured at operation "
                        f"{measured_at[q]} and then used by {op.name} at operation {i}; "
                        "a dynamic circuit has no single final state: run its "
                        "shots with tensorbond.run"
                    )
    gates = [op for op in ops if op.kind == "gate"]
    return CompiledCircuit(
        circuit.num_qubits,
        gates,
        global_phase=circuit.global_phase,
        clbit_map=clbit_map,
        parameters=circuit.parameters,
    )


def check_bound(circuit: Circuit) -> None:
    """Refuse a circuit with unbound parameters, naming them.

    Raises
    ------
    ValueError
        The circuit still has parameters.
    """
    if circuit.num_parameters:
        names = ", ".join(p.name for p in circuit.parameters)
        raise ValueError(
            f"the circuit has unbound parameters {names}: bind them first "
            "(circuit.bind({...}) or circuit.bind(values) in circuit.parameters order)"
        )


# ------------------------------------------------------------ the engine's verbs
def run_gates(
    state: MPS,
    prog: CompiledCircuit,
    start: int,
    stop: int,
    trunc: Truncation,
    routing: Routing,
    matrices: np.ndarray | None = None,
) -> None:
    """Apply gates ``start:stop`` of ``prog`` to ``state`` in compiled code (GIL
    released), with ``matrices`` (from :meth:`CompiledCircuit.bind`) if given."""
    state._impl.run(
        prog.qubits,
        prog.arity,
        prog.offsets,
        prog.matrices if matrices is None else matrices,
        start,
        stop,
        trunc.to_core(),
        core_routing(routing),
    )


def apply_matrix(
    state: MPS, qubits: Sequence[int], matrix: np.ndarray, trunc: Truncation, routing: Routing
) -> None:
    """Apply one ``2^k x 2^k`` matrix (unitary or not: a Kraus operator) to ``qubits``."""
    state._impl.apply_gate(
        list(qubits),
        np.ascontiguousarray(matrix, dtype=np.complex128),
        trunc.to_core(),
        core_routing(routing),
    )


def apply_normalized(state: MPS, qubit: int, matrix: np.ndarray) -> None:
    """Apply a 2x2 matrix (a projector, a Kraus operator) to ``qubit`` and
    rescale the state to norm 1: a measurement outcome or a channel branch."""
    state._impl.apply_local_normalized(qubit, np.ascontiguousarray(matrix, dtype=np.complex128))


def local_density(state: MPS, qubit: int) -> np.ndarray:
    """The 2x2 reduced density matrix of one qubit (normalized)."""
    return np.asarray(state._impl.local_density(qubit))
