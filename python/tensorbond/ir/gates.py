"""Gate matrices, exactly as OpenQASM 2's ``qelib1.inc`` defines them.

Global phases are kept (so ``rz(t) = diag(e^{-it/2}, e^{it/2})`` differs from
``u1(t) = diag(1, e^{it})``). A multi-qubit matrix acts on its qubits in the
order they are listed, the first listed qubit being the most significant bit
(``cx(c, t)`` is ``[[1,0,0,0],[0,1,0,0],[0,0,0,1],[0,0,1,0]]``).
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["GATES", "GateSpec", "gate_matrix"]

_I2 = np.eye(2, dtype=np.complex128)


def _m(rows: list[list[complex]]) -> np.ndarray:
    return np.array(rows, dtype=np.complex128)


def _u3(theta: float, phi: float, lam: float) -> np.ndarray:
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return _m(
        [
            [c, -cmath.exp(1j * lam) * s],
            [cmath.exp(1j * phi) * s, cmath.exp(1j * (phi + lam)) * c],
        ]
    )


def _controlled(u: np.ndarray, num_controls: int = 1) -> np.ndarray:
    """|1..1><1..1| (x) u + (1 - |1..1><1..1|) (x) I, controls first."""
    dim = u.shape[0] << num_controls
    out = np.eye(dim, dtype=np.complex128)
    out[dim - u.shape[0] :, dim - u.shape[0] :] = u
    return out


def _rx(t: float) -> np.ndarray:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return _m([[c, -1j * s], [-1j * s, c]])


def _ry(t: float) -> np.ndarray:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return _m([[c, -s], [s, c]])


def _rz(t: float) -> np.ndarray:
    return _m([[cmath.exp(-0.5j * t), 0], [0, cmath.exp(0.5j * t)]])


def _p(lam: float) -> np.ndarray:
    return _m([[1, 0], [0, cmath.exp(1j * lam)]])


def _r(theta: float, phi: float) -> np.ndarray:
    # qiskit's RGate: u3(theta, phi - pi/2, -phi + pi/2)
    return _u3(theta, phi - math.pi / 2, -phi + math.pi / 2)


_X = _m([[0, 1], [1, 0]])
_Y = _m([[0, -1j], [1j, 0]])
_Z = _m([[1, 0], [0, -1]])
_H = _m([[1, 1], [1, -1]]) / math.sqrt(2)
_SX = 0.5 * _m([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]])


def _two_axis(pauli: np.ndarray, t: float) -> np.ndarray:
    """exp(-i t/2 P (x) P) for an involutory P (P (x) P squares to identity)."""
    pp = np.kron(pauli, pauli)
    return math.cos(t / 2) * np.eye(4) - 1j * math.sin(t / 2) * pp


def _rzx(t: float) -> np.ndarray:
    # exp(-i t/2 Z (x) X), Z on the first listed qubit (qiskit's RZXGate)
    return math.cos(t / 2) * np.eye(4) - 1j * math.sin(t / 2) * np.kron(_Z, _X)


def _ecr() -> np.ndarray:
    # qiskit's ecr a,b { rzx(pi/4) a,b; x a; rzx(-pi/4) a,b; } = (X(x)I - Y(x)X)/sqrt 2,
    # with the first listed qubit as the most significant bit
    return (1 / math.sqrt(2)) * _m([[0, 0, 1, 1j], [0, 0, 1j, 1], [1, -1j, 0, 0], [-1j, 1, 0, 0]])


def _xx_plus_yy(theta: float, beta: float = 0.0) -> np.ndarray:
    # qiskit's XXPlusYYGate with its qubit order mapped to ours (first = MSB)
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return _m(
        [
            [1, 0, 0, 0],
            [0, c, -1j * s * cmath.exp(1j * beta), 0],
            [0, -1j * s * cmath.exp(-1j * beta), c, 0],
            [0, 0, 0, 1],
        ]
    )


def _xx_minus_yy(theta: float, beta: float = 0.0) -> np.ndarray:
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return _m(
        [
            [c, 0, 0, -1j * s * cmath.exp(-1j * beta)],
            [0, 1, 0, 0],
            [0, 0, 1, 0],
            [-1j * s * cmath.exp(1j * beta), 0, 0, c],
        ]
    )


def _swap() -> np.ndarray:
    return _m([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]])


def _iswap() -> np.ndarray:
    return _m([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]])


def _cswap() -> np.ndarray:
    return _controlled(_swap())


def _cu(theta: float, phi: float, lam: float, gamma: float) -> np.ndarray:
    return _controlled(cmath.exp(1j * gamma) * _u3(theta, phi, lam))


@dataclass(frozen=True, slots=True)
class GateSpec:
    """A named gate: its qubit count, parameter count and matrix builder."""

    num_qubits: int
    num_params: int
    matrix: Callable[..., np.ndarray]


def _fixed(m: np.ndarray) -> Callable[[], np.ndarray]:
    m = m.copy()
    m.setflags(write=False)
    return lambda: m


GATES: dict[str, GateSpec] = {
    # one qubit, fixed
    "id": GateSpec(1, 0, _fixed(_I2)),
    "x": GateSpec(1, 0, _fixed(_X)),
    "y": GateSpec(1, 0, _fixed(_Y)),
    "z": GateSpec(1, 0, _fixed(_Z)),
    "h": GateSpec(1, 0, _fixed(_H)),
    "s": GateSpec(1, 0, _fixed(_p(math.pi / 2))),
    "sdg": GateSpec(1, 0, _fixed(_p(-math.pi / 2))),
    "t": GateSpec(1, 0, _fixed(_p(math.pi / 4))),
    "tdg": GateSpec(1, 0, _fixed(_p(-math.pi / 4))),
    "sx": GateSpec(1, 0, _fixed(_SX)),
    "sxdg": GateSpec(1, 0, _fixed(_SX.conj().T)),
    # one qubit, parametrized
    "rx": GateSpec(1, 1, _rx),
    "ry": GateSpec(1, 1, _ry),
    "rz": GateSpec(1, 1, _rz),
    "p": GateSpec(1, 1, _p),
    "u1": GateSpec(1, 1, _p),
    "u2": GateSpec(1, 2, lambda phi, lam: _u3(math.pi / 2, phi, lam)),
    "u3": GateSpec(1, 3, _u3),
    "u": GateSpec(1, 3, _u3),
    "U": GateSpec(1, 3, _u3),
    "r": GateSpec(1, 2, _r),
    # two qubits
    "cx": GateSpec(2, 0, _fixed(_controlled(_X))),
    "CX": GateSpec(2, 0, _fixed(_controlled(_X))),
    "cy": GateSpec(2, 0, _fixed(_controlled(_Y))),
    "cz": GateSpec(2, 0, _fixed(_controlled(_Z))),
    "ch": GateSpec(2, 0, _fixed(_controlled(_H))),
    "csx": GateSpec(2, 0, _fixed(_controlled(_SX))),
    "swap": GateSpec(2, 0, _fixed(_swap())),
    "iswap": GateSpec(2, 0, _fixed(_iswap())),
    "ecr": GateSpec(2, 0, _fixed(_ecr())),
    "dcx": GateSpec(2, 0, _fixed(_swap() @ _controlled(_X) @ _swap() @ _controlled(_X))),
    "cp": GateSpec(2, 1, lambda lam: _controlled(_p(lam))),
    "cu1": GateSpec(2, 1, lambda lam: _controlled(_p(lam))),
    "cphase": GateSpec(2, 1, lambda lam: _controlled(_p(lam))),
    "crx": GateSpec(2, 1, lambda t: _controlled(_rx(t))),
    "cry": GateSpec(2, 1, lambda t: _controlled(_ry(t))),
    "crz": GateSpec(2, 1, lambda t: _controlled(_rz(t))),
    "cu3": GateSpec(2, 3, lambda t, p, l: _controlled(_u3(t, p, l))),
    "cu": GateSpec(2, 4, _cu),
    "rxx": GateSpec(2, 1, lambda t: _two_axis(_X, t)),
    "ryy": GateSpec(2, 1, lambda t: _two_axis(_Y, t)),
    "rzz": GateSpec(2, 1, lambda t: _two_axis(_Z, t)),
    "rzx": GateSpec(2, 1, _rzx),
    "xx_plus_yy": GateSpec(2, 2, _xx_plus_yy),
    "xx_minus_yy": GateSpec(2, 2, _xx_minus_yy),
    # three qubits
    "ccx": GateSpec(3, 0, _fixed(_controlled(_X, 2))),
    "ccz": GateSpec(3, 0, _fixed(_controlled(_Z, 2))),
    "cswap": GateSpec(3, 0, _fixed(_cswap())),
}


def _rccx() -> np.ndarray:
    # qelib1: u2(0,pi) c; u1(pi/4) c; cx b,c; u1(-pi/4) c; cx a,c; u1(pi/4) c;
    #         cx b,c; u1(-pi/4) c; u2(0,pi) c;   on (a, b, c), a = MSB
    def one(m: np.ndarray, q: int) -> np.ndarray:
        ops = [_I2, _I2, _I2]
        ops[q] = m
        return np.kron(np.kron(ops[0], ops[1]), ops[2])

    def cx(c: int, t: int) -> np.ndarray:
        out = np.zeros((8, 8), dtype=np.complex128)
        for i in range(8):
            bits = [(i >> (2 - k)) & 1 for k in range(3)]
            if bits[c]:
                bits[t] ^= 1
            j = (bits[0] << 2) | (bits[1] << 1) | bits[2]
            out[j, i] = 1
        return out

    u2 = _u3(math.pi / 2, 0, math.pi)
    seq = [
        one(u2, 2), one(_p(math.pi / 4), 2), cx(1, 2), one(_p(-math.pi / 4), 2),
        cx(0, 2), one(_p(math.pi / 4), 2), cx(1, 2), one(_p(-math.pi / 4), 2),
        one(u2, 2),
    ]  # fmt: skip
    out = np.eye(8, dtype=np.complex128)
    for g in seq:
        out = g @ out
    return out


GATES["rccx"] = GateSpec(3, 0, _fixed(_rccx()))


def gate_matrix(name: str, params: tuple[float, ...] | list[float] = ()) -> np.ndarray:
    """The unitary of gate ``name`` with ``params`` (complex128, row-major).

    Raises
    ------
    ValueError
        If the gate is unknown or the number of parameters is wrong.
    """
    spec = GATES.get(name)
    if spec is None:
        raise ValueError(f"unknown gate {name!r}")
    if len(params) != spec.num_params:
        raise ValueError(f"gate {name!r} takes {spec.num_params} parameter(s), got {len(params)}")
    return spec.matrix(*[float(p) for p in params])
