"""qiskit observables and parametrized circuits as tensorbond takes them.

Qubit order: tensorbond's qubit ``i`` is qiskit's qubit ``i``. qiskit's Pauli
labels are little-endian (``"XIZ"`` is Z on qubit 0, X on qubit 2); the
tensorbond strings made here name the qubits (``"Z0 X2"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..sim.circuit import Circuit
from ..sim.compile import CompiledCircuit, compile_circuit

__all__ = [
    "PauliSum",
    "QiskitCircuit",
    "coerce_pubs",
    "convert_circuit",
    "pauli_sum",
    "point_rows",
    "sparse_terms",
]

#: A Pauli sum as ``((coefficient, "X0 Z3"), ...)``: hashable, so equal
#: observables can be evaluated once.
PauliSum = tuple[tuple[float, str], ...]


def pauli_sum(observable: Any, num_qubits: int | None = None) -> PauliSum:
    """An observable that qiskit's estimators accept, as tensorbond Pauli terms.

    Parameters
    ----------
    observable
        A ``SparsePauliOp``, ``Pauli``, ``SparseObservable`` (projectors such as
        ``"0"``, ``"1"``, ``"+"`` are expanded into Paulis), a label
        (``"XIZ"``, little-endian: its last character is qubit 0) or a dict
        ``{label: coefficient}``: anything ``ObservablesArray.coerce_observable``
        takes.
    num_qubits : int, optional
        The circuit's qubit count: an observable on more qubits is refused.

    Returns
    -------
    tuple of (float, str)
        ``(coefficient, "X0 Z3")`` pairs, identity terms as ``""``, sorted and
        with equal strings combined; real coefficients (qiskit's coercion
        refuses non-Hermitian observables).

    Raises
    ------
    ValueError
        A non-Hermitian observable, an unreadable label, or one acting on a
        qubit at or above ``num_qubits``.

    Examples
    --------
    >>> from qiskit.quantum_info import SparsePauliOp
    >>> pauli_sum(SparsePauliOp(["IXZ", "ZII"], [0.5, 2.0]))
    ((0.5, 'Z0 X1'), (2.0, 'Z2'))
    """
    from qiskit.primitives.containers.observables_array import ObservablesArray

    obs = ObservablesArray.coerce_observable(observable)
    return sparse_terms(obs, num_qubits)


def sparse_terms(obs: Any, num_qubits: int | None = None) -> PauliSum:
    """:func:`pauli_sum` of a qiskit ``SparseObservable`` (no coercion).

    Raises
    ------
    ValueError
        An observable acting on a qubit at or above ``num_qubits``.
    """
    if num_qubits is not None and obs.num_qubits > num_qubits:
        used = sorted({int(q) for _, qs, _ in obs.to_sparse_list() for q in qs})
        beyond = [q for q in used if q >= num_qubits]
        where = f"acts on qubit {beyond[0]}" if beyond else f"has {obs.num_qubits} qubits"
        raise ValueError(
            f"the observable {where}, but the circuit has {num_qubits} qubits (0..{num_qubits - 1})"
        )
    table: dict[str, float] = {}
    for letters, qubits, coeff in obs.as_paulis().to_sparse_list():
        order = sorted(zip((int(q) for q in qubits), letters, strict=True))
        key = " ".join(f"{p}{q}" for q, p in order)
        table[key] = table.get(key, 0.0) + float(np.real(coeff))
    terms = tuple(sorted((k, c) for k, c in table.items() if c != 0.0))
    if not terms:
        return ((0.0, ""),)
    return tuple((c, k) for k, c in terms)


#: A gate parameter tensorbond cannot hold symbolically (not affine), stood in
#: for by a fresh parameter: (its column in the tensorbond circuit's
#: parameters, the qiskit expression, its qiskit parameters with their columns
#: among the qiskit circuit's parameters).
Substitution = tuple[int, Any, tuple[tuple[Any, int], ...]]


@dataclass(frozen=True)
class QiskitCircuit:
    """A qiskit circuit converted once for many parameter points.

    Attributes
    ----------
    qiskit : qiskit.QuantumCircuit
        The original circuit.
    circuit : Circuit or None
        The tensorbond circuit with symbolic parameters, or None when it could
        not be made (a non-affine expression inside a gate's definition): then
        :meth:`bound` converts each point.
    compiled : CompiledCircuit or None
        ``circuit``, compiled.
    columns : numpy.ndarray
        For each parameter of ``circuit`` (``circuit.parameters`` order), its
        column among the qiskit circuit's ``parameters``, or -1 for a stand-in.
    substitutions : tuple
        The stand-ins for non-affine gate parameters (such as
        ``zz_feature_map``'s products), evaluated at each point.
    """

    qiskit: Any
    circuit: Circuit | None
    compiled: CompiledCircuit | None
    columns: np.ndarray
    substitutions: tuple[Substitution, ...] = ()

    def rows(self, points: np.ndarray) -> np.ndarray:
        """Points ``(N, P_qiskit)`` in qiskit's order as rows ``(N, P)`` for
        ``circuit``."""
        out = points[:, np.maximum(self.columns, 0)]
        for col, expr, deps in self.substitutions:
            out[:, col] = [
                float(expr.bind({p: float(row[c]) for p, c in deps}).numeric()) for row in points
            ]
        return out

    def bound(self, point: np.ndarray) -> Circuit:
        """The tensorbond circuit at one point (qiskit's parameter order)."""
        if self.circuit is not None:
            if not self.circuit.parameters:
                return self.circuit
            return self.circuit.bind(self.rows(point[None, :])[0])
        qc = self.qiskit.assign_parameters(point.tolist()) if point.size else self.qiskit
        return Circuit.from_qiskit(qc)


def _is_affine(expr: Any) -> bool:
    return not any(getattr(expr.gradient(p), "parameters", None) for p in expr.parameters)


def _stand_ins(qc: Any) -> tuple[Any, list[tuple[Any, Any]]]:
    """``qc`` with each non-affine parameter of its top-level instructions
    replaced by a fresh parameter, and the (stand-in, expression) pairs."""
    from qiskit.circuit import Parameter as QParameter

    taken = {p.name for p in qc.parameters}
    pairs: list[tuple[Any, Any]] = []
    out = qc.copy_empty_like()
    for ins in qc.data:
        op = ins.operation
        params = list(op.params)
        changed = False
        for i, p in enumerate(params):
            if getattr(p, "parameters", None) and not _is_affine(p):
                name = f"_tb_expr{len(pairs)}"
                while name in taken:
                    name += "_"
                stand_in = QParameter(name)
                pairs.append((stand_in, p))
                params[i], changed = stand_in, True
        if changed:
            op = op.copy()
            op.params = params
        out.append(op, ins.qubits, ins.clbits, copy=False)
    return out, pairs


def convert_circuit(
    qc: Any, *, drop_global_phase: bool = False, compile: bool = True
) -> QiskitCircuit:
    """Convert a qiskit circuit once, its parameters kept symbolic.

    Gate parameters that tensorbond cannot hold (expressions that are not
    affine in the parameters) get a stand-in parameter each, whose value
    :meth:`QiskitCircuit.rows` computes at each point; where even that fails
    (inside a gate's definition) each point is converted on its own.

    Parameters
    ----------
    qc : qiskit.QuantumCircuit
        The circuit.
    drop_global_phase : bool
        Set the global phase to 0 first (expectation values and samples do not
        see it, and a symbolic one cannot be converted).
    compile : bool
        Also compile it (for :func:`tensorbond.expectation`; a dynamic circuit
        cannot be compiled).

    Returns
    -------
    QiskitCircuit

    Raises
    ------
    NotImplementedError, ValueError
        What :meth:`tensorbond.Circuit.from_qiskit` raises for instructions
        tensorbond cannot represent; with ``compile``, what
        :func:`tensorbond.compile_circuit` raises for a dynamic circuit.
    """
    if drop_global_phase and qc.global_phase != 0:
        qc = qc.copy()
        qc.global_phase = 0
    names = [p.name for p in qc.parameters]
    where = {n: i for i, n in enumerate(names)}
    pairs: list[tuple[Any, Any]] = []
    try:
        circ = Circuit.from_qiskit(qc)
    except ValueError as exc:
        if not names or "not affine" not in str(exc):
            raise
        substituted, pairs = _stand_ins(qc)
        try:
            circ = Circuit.from_qiskit(substituted)
        except ValueError as again:
            if "not affine" not in str(again):
                raise
            # Bound point by point instead; the first point shows any other problem.
            return QiskitCircuit(qc, None, None, np.arange(len(names)))
    order = [p.name for p in circ.parameters]
    columns = np.array([where.get(n, -1) for n in order], dtype=np.intp)
    subs = tuple(
        (order.index(s.name), expr, tuple((p, where[p.name]) for p in expr.parameters))
        for s, expr in pairs
        if s.name in order
    )
    return QiskitCircuit(qc, circ, compile_circuit(circ) if compile else None, columns, subs)


def point_rows(values: Any, qc: Any) -> tuple[np.ndarray, tuple[int, ...]]:
    """A PUB's ``BindingsArray`` as rows ``(N, P)`` in ``qc.parameters`` order,
    and its shape.

    Raises
    ------
    ValueError
        A value that is not finite (the parameter named).
    """
    shape = tuple(values.shape)
    params: Sequence[Any] = list(qc.parameters)
    arr = np.asarray(values.as_array(params), dtype=np.float64)
    rows = arr.reshape(int(np.prod(shape, dtype=np.int64)), len(params))
    if not np.all(np.isfinite(rows)):
        point, col = (int(i) for i in np.argwhere(~np.isfinite(rows))[0])
        index = np.unravel_index(point, shape) if shape else ()
        raise ValueError(
            f"parameter value of {params[col].name!r} at point {tuple(int(i) for i in index)} "
            f"is not finite ({rows[point, col]})"
        )
    return rows, shape


def coerce_pubs(kind: Any, pubs: Any, default: Any) -> list[Any]:
    """``kind.coerce`` (``EstimatorPub`` or ``SamplerPub``) of each PUB, then
    ``validate``, and a check that every parameter value is finite; qiskit's
    errors get the PUB's index and, for parameter values of the wrong width,
    the circuit's parameter count.

    Raises
    ------
    ValueError
        A PUB that qiskit refuses, or a parameter value that is not finite.
    """
    out = []
    for i, pub in enumerate(pubs):
        try:
            coerced = kind.coerce(pub, default)
            coerced.validate()
        except ValueError as exc:
            circuit = getattr(pub, "circuit", None)
            if circuit is None and isinstance(pub, tuple) and pub:
                circuit = pub[0]
            extra = ""
            if "inconsistent with last dimension" in str(exc) and circuit is not None:
                extra = (
                    f" (the circuit has {circuit.num_parameters} parameters: the last axis of "
                    "the parameter values must have that length)"
                )
            raise ValueError(f"PUB {i}: {exc}{extra}") from exc
        try:
            point_rows(coerced.parameter_values, coerced.circuit)
        except ValueError as exc:
            raise ValueError(f"PUB {i}: {exc}") from None
        out.append(coerced)
    return out
