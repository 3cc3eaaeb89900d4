"""PennyLane tapes and observables as tensorbond circuits and operators.

:func:`tape_to_circuit` turns a tape's operations into a :class:`~tensorbond.Circuit`
on qubits ``0..n-1`` (the device's wire order), the trainable parameters as
:class:`~tensorbond.Parameter` objects when asked, so that one compiled circuit
serves the value and the gradient. :func:`to_operator` turns an observable into a
Pauli sum where it has one (``op.pauli_rep``) and otherwise into an
:class:`~tensorbond.MPO` (dense matrices of small supports, summed with the
Pauli part).

Gate conventions agree: PennyLane's first listed wire, like tensorbond's first
listed qubit, is the most significant bit of a gate's matrix and of a state
vector.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pennylane as qml

from ..ir.parameters import Parameter
from ..sim.circuit import Circuit
from ..sim.observables import MPO, direct_sum

__all__ = [
    "MAX_DENSE_QUBITS",
    "NATIVE_OPERATIONS",
    "Converted",
    "Operator",
    "dense_mpo",
    "mpo_sum",
    "supports_operation",
    "tape_to_circuit",
    "to_operator",
]

#: Largest support of an operation or observable taken as a dense matrix.
MAX_DENSE_QUBITS = 3
#: Largest support of a non-Pauli observable turned into an MPO from its matrix.
MAX_DENSE_OBSERVABLE_QUBITS = 10

_FIXED: dict[str, str] = {
    "PauliX": "x",
    "PauliY": "y",
    "PauliZ": "z",
    "Hadamard": "h",
    "S": "s",
    "T": "t",
    "SX": "sx",
    "Adjoint(S)": "sdg",
    "Adjoint(T)": "tdg",
    "Adjoint(SX)": "sxdg",
    "CNOT": "cx",
    "CY": "cy",
    "CZ": "cz",
    "CH": "ch",
    "SWAP": "swap",
    "ISWAP": "iswap",
    "ECR": "ecr",
    "Toffoli": "ccx",
    "CCZ": "ccz",
    "CSWAP": "cswap",
}

# PennyLane gates whose parameters a tensorbond gate takes as they are.
_DIRECT: dict[str, str] = {
    "RX": "rx",
    "RY": "ry",
    "RZ": "rz",
    "PhaseShift": "p",
    "U1": "p",
    "U2": "u2",
    "U3": "u3",
    "CRX": "crx",
    "CRY": "cry",
    "CRZ": "crz",
    "ControlledPhaseShift": "cp",
    "IsingXX": "rxx",
    "IsingYY": "ryy",
    "IsingZZ": "rzz",
}

_Emit = Callable[[Circuit, Sequence[Any], tuple[int, ...]], None]


def _rot(c: Circuit, p: Sequence[Any], q: tuple[int, ...]) -> None:
    # Rot(phi, theta, omega) = RZ(omega) RY(theta) RZ(phi)
    c.rz(p[0], q[0]).ry(p[1], q[0]).rz(p[2], q[0])


def _crot(c: Circuit, p: Sequence[Any], q: tuple[int, ...]) -> None:
    # the controlled product is the product of the controlled factors
    c.crz(p[0], q[0], q[1]).cry(p[1], q[0], q[1]).crz(p[2], q[0], q[1])


def _isingxy(c: Circuit, p: Sequence[Any], q: tuple[int, ...]) -> None:
    # IsingXY(phi) has i sin(phi/2) off the diagonal; xx_plus_yy(theta, 0) has -i sin(theta/2)
    c.xx_plus_yy(-p[0], 0.0, q[0], q[1])


_COMPOSITE: dict[str, _Emit] = {"Rot": _rot, "CRot": _crot, "IsingXY": _isingxy}

#: Operation names the device applies as tensorbond gates (parameters trainable).
NATIVE_OPERATIONS: frozenset[str] = frozenset(
    {*_FIXED, *_DIRECT, *_COMPOSITE, "GlobalPhase", "Identity"}
)


def _trainable(op: Any) -> bool:
    return any(qml.math.requires_grad(d) for d in op.data)


def supports_operation(op: Any) -> bool:
    """Whether the device applies ``op`` without decomposing it.

    Named gates with a tensorbond equivalent always; any other operation with a
    matrix on at most :data:`MAX_DENSE_QUBITS` wires as a dense unitary, when
    none of its parameters is trainable (a dense matrix has no parameter to
    differentiate).

    Parameters
    ----------
    op : pennylane.operation.Operator
        The operation.

    Returns
    -------
    bool
    """
    name = getattr(op, "name", None)
    if name in NATIVE_OPERATIONS:
        return True
    if isinstance(op, (qml.measurements.MidMeasureMP, qml.ops.Conditional)):
        return False
    return bool(op.has_matrix) and len(op.wires) <= MAX_DENSE_QUBITS and not _trainable(op)


@dataclass(frozen=True)
class Converted:
    """A tape as a circuit.

    ``parameters[k]`` stands for the tape's ``k``-th trainable parameter and
    ``values[k]`` is its value; the circuit may not use every one of them (a
    trainable global phase has no gate), so gradients are mapped by name.
    """

    circuit: Circuit
    parameters: tuple[Parameter, ...]
    values: np.ndarray

    def columns(self) -> np.ndarray:
        """Index into :attr:`parameters` of each of ``circuit.parameters``."""
        index = {p.name: k for k, p in enumerate(self.parameters)}
        return np.array([index[p.name] for p in self.circuit.parameters], dtype=np.int64)


def _real(x: Any, what: str) -> float:
    v = np.asarray(qml.math.unwrap(x))
    if v.ndim != 0:
        raise ValueError(
            f"{what}: expected a scalar parameter, got shape {v.shape} (parameter "
            "broadcasting is expanded before execution)"
        )
    if np.iscomplexobj(v):
        if abs(v.imag) > 1e-12:
            raise ValueError(f"{what}: a gate angle must be real, got {complex(v)}")
        v = v.real
    return float(v)


def tape_to_circuit(
    tape: Any, wire_map: Mapping[Any, int], num_qubits: int, *, symbolic: bool = False
) -> Converted:
    """The tape's operations as a :class:`~tensorbond.Circuit`.

    Parameters
    ----------
    tape : pennylane.tape.QuantumScript
        A tape whose operations pass :func:`supports_operation` (the device's
        preprocessing decomposes the rest).
    wire_map : mapping
        Wire label -> qubit index.
    num_qubits : int
        The circuit's qubit count.
    symbolic : bool
        Put a :class:`~tensorbond.Parameter` (named ``p000000``, ``p000001``, ...
        in trainable order, so ``circuit.parameters`` keeps that order) in place
        of each trainable parameter.

    Returns
    -------
    Converted

    Raises
    ------
    ValueError
        An operation the device does not support, or a wire outside ``wire_map``.
    """
    circ = Circuit(num_qubits)
    trainable = set(tape.trainable_params) if symbolic else set()
    order = {idx: k for k, idx in enumerate(sorted(trainable))}
    params = tuple(Parameter(f"p{k:06d}") for k in range(len(order)))
    values = np.zeros(len(order))
    phase = 0.0
    index = 0  # position in the tape's parameter list (operations come first)
    for op in tape.operations:
        try:
            qs = tuple(wire_map[w] for w in op.wires)
        except KeyError as exc:
            raise ValueError(
                f"{op.name} acts on wire {exc.args[0]!r}, not among the device's wires"
            ) from None
        name = op.name
        if name not in NATIVE_OPERATIONS:
            if any(index + j in order for j in range(len(op.data))):
                raise ValueError(
                    f"{name} has a trainable parameter but no tensorbond gate to "
                    "differentiate; decompose it first"
                )
            index += len(op.data)
            if not (op.has_matrix and len(qs) <= MAX_DENSE_QUBITS):
                raise ValueError(f"operation {name} on wires {list(op.wires)} is not supported")
            circ.unitary(np.asarray(qml.matrix(op, wire_order=op.wires)), qs)
            continue
        args: list[Any] = []
        for d in op.data:
            x = _real(d, name)
            if index in order:
                k = order[index]
                values[k] = x
                args.append(params[k])
            else:
                args.append(x)
            index += 1
        if name in _FIXED:
            circ.append(_FIXED[name], qs)
        elif name in _DIRECT:
            circ.append(_DIRECT[name], qs, args)
        elif name in _COMPOSITE:
            _COMPOSITE[name](circ, args, qs)
        elif name == "GlobalPhase":
            # e^{-i phi}: its derivative changes no expectation value
            phase -= _real(op.data[0], name)
        # Identity: nothing to apply
    circ.global_phase = phase
    return Converted(circ, params, values)


# ---------------------------------------------------------------- observables
@dataclass(frozen=True)
class Operator:
    """An observable for tensorbond: ``constant + op``.

    ``op`` is a list of ``(coefficient, "X0 Z3")`` pairs, an :class:`~tensorbond.MPO`,
    or None when the observable is a multiple of the identity.
    """

    constant: complex
    op: list[tuple[complex, str]] | MPO | None

    @property
    def hermitian(self) -> bool:
        """Whether every coefficient is real (for Pauli sums), or for an MPO True."""
        if isinstance(self.op, list):
            return all(complex(c).imag == 0 for c, _ in self.op)
        return True


def _coefficient(c: Any) -> complex:
    z = complex(qml.math.unwrap(c))
    return complex(z.real) if abs(z.imag) <= 1e-14 * max(1.0, abs(z)) else z


def _pauli_terms(
    sentence: Any, wire_map: Mapping[Any, int]
) -> tuple[complex, list[tuple[complex, str]]]:
    constant = 0j
    terms: list[tuple[complex, str]] = []
    for word, c in sentence.items():
        coeff = _coefficient(c)
        if not word:
            constant += coeff
            continue
        terms.append((coeff, " ".join(f"{p}{_qubit(wire_map, w)}" for w, p in word.items())))
    return constant, terms


def _qubit(wire_map: Mapping[Any, int], w: Any) -> int:
    try:
        return wire_map[w]
    except KeyError:
        raise ValueError(f"observable on wire {w!r}, not among the device's wires") from None


def _pieces(
    obs: Any, wire_map: Mapping[Any, int], scale: complex
) -> tuple[complex, list[tuple[complex, str]], list[tuple[np.ndarray, list[int]]]]:
    """``constant, pauli terms, [(matrix, qubits)]`` of ``scale * obs``."""
    sentence = obs.pauli_rep
    if sentence is not None:
        c, words = _pauli_terms(sentence, wire_map)
        return scale * c, [(scale * t, s) for t, s in words], []
    if isinstance(obs, qml.ops.SProd):
        return _pieces(obs.base, wire_map, scale * _coefficient(obs.scalar))
    if isinstance(obs, qml.ops.Sum):
        constant = 0j
        terms: list[tuple[complex, str]] = []
        dense: list[tuple[np.ndarray, list[int]]] = []
        for summand in obs.operands:
            c, t, d = _pieces(summand, wire_map, scale)
            constant += c
            terms += t
            dense += d
        return constant, terms, dense
    wires = list(obs.wires)
    qubits = [_qubit(wire_map, w) for w in wires]
    if not obs.has_matrix:
        raise ValueError(f"observable {obs} has no matrix and no Pauli representation")
    if len(wires) > MAX_DENSE_OBSERVABLE_QUBITS:
        raise ValueError(
            f"observable {obs.name} on {len(wires)} wires has no Pauli representation, and "
            f"a dense matrix is taken only up to {MAX_DENSE_OBSERVABLE_QUBITS} wires"
        )
    m = np.asarray(qml.matrix(obs, wire_order=wires), dtype=np.complex128)
    return 0j, [], [(scale * m, qubits)]


def to_operator(obs: Any, wire_map: Mapping[Any, int], num_qubits: int) -> Operator:
    """A PennyLane observable as an :class:`Operator`.

    Parameters
    ----------
    obs : pennylane.operation.Operator
        The observable: anything with a Pauli representation (Pauli words,
        their products, sums and scalar multiples, Hamiltonians), or Hermitian
        matrices, projectors and other operators with a matrix on at most
        :data:`MAX_DENSE_OBSERVABLE_QUBITS` wires, and sums of these.
    wire_map : mapping
        Wire label -> qubit index.
    num_qubits : int
        The state's qubit count.

    Returns
    -------
    Operator

    Raises
    ------
    ValueError
        A wire outside ``wire_map``, or an observable without a Pauli
        representation on too many wires.
    """
    constant, terms, dense = _pieces(obs, wire_map, 1.0)
    terms = [(c, s) for c, s in terms if c != 0]
    if not dense:
        return Operator(constant, terms or None)
    mpos = [dense_mpo(m, q, num_qubits) for m, q in dense]
    if terms:
        mpos.append(MPO.from_pauli_sum(terms, num_qubits))
    return Operator(constant, mpo_sum(mpos))


def dense_mpo(matrix: np.ndarray, qubits: Sequence[int], num_qubits: int) -> MPO:
    """The MPO of a ``2^k x 2^k`` matrix on ``qubits`` (first = most significant),
    identity elsewhere: SVDs split it site by site, identities carry the bond
    across the sites between its qubits.

    Parameters
    ----------
    matrix : ndarray
        The operator.
    qubits : sequence of int
        Distinct qubits below ``num_qubits``, in the matrix's order.
    num_qubits : int
        Sites of the MPO.

    Returns
    -------
    MPO
    """
    k = len(qubits)
    perm = np.argsort(qubits)
    sites = [int(qubits[i]) for i in perm]
    t = np.asarray(matrix, dtype=np.complex128).reshape((2,) * (2 * k))
    t = t.transpose([*perm, *(k + perm)])  # out bits, in bits, in site order
    t = t.transpose([x for j in range(k) for x in (j, k + j)])  # (out0, in0, out1, in1, ...)
    factors: list[np.ndarray] = []
    left = 1
    rest = t.reshape(1, -1)
    for _ in range(k - 1):
        rest = rest.reshape(left * 4, -1)
        u, s, vh = np.linalg.svd(rest, full_matrices=False)
        keep = max(1, int(np.sum(s > 1e-14 * s[0]))) if s[0] > 0 else 1
        factors.append(u[:, :keep].reshape(left, 2, 2, keep))
        rest = s[:keep, None] * vh[:keep]
        left = keep
    factors.append(rest.reshape(left, 2, 2, 1))
    eye = np.eye(2, dtype=np.complex128)
    tensors: list[np.ndarray] = []
    bond = 1
    at = dict(zip(sites, factors, strict=True))
    for q in range(num_qubits):
        if q in at:
            tensors.append(at[q])
            bond = at[q].shape[3]
        else:
            tensors.append(np.einsum("ab,st->astb", np.eye(bond), eye))
    return MPO(tensors)


def mpo_sum(mpos: Sequence[MPO]) -> MPO:
    """The sum of MPOs on the same sites (bonds add up), then compressed.

    Parameters
    ----------
    mpos : sequence of MPO
        At least one, all with the same number of sites.

    Returns
    -------
    MPO
    """
    if len(mpos) == 1:
        return mpos[0]  # compress works in place: leave a lone operand as it is
    return direct_sum(mpos).compress()
