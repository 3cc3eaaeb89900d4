"""An independent dense state-vector simulator: the tests' exact reference.

Plain numpy, written from the definitions and sharing nothing with tensorbond
(do not import it here). Qubit 0 is the most significant bit of a dense index;
a gate's matrix acts on its qubits in the order they are listed, the first
listed qubit being the most significant bit of the matrix's row/column index.

Gate matrices follow OpenQASM 2's ``qelib1.inc`` (and qiskit's extensions of
it) with the global phases tensorbond fixes: ``u3(t,p,l)``, ``u1 = p``,
``rz(t) = diag(e^{-it/2}, e^{it/2})``, ``rzz(t) = exp(-i t/2 Z(x)Z)``, ...
Several are built from their defining formula (a matrix exponential, a
sequence of simpler gates) rather than written out, so that a transcription
slip in tensorbond's table cannot be repeated here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np

__all__ = [
    "GATE_DEFS",
    "StateVector",
    "apply",
    "entropies",
    "expectation",
    "gate",
    "kron_ops",
    "random_unitary",
    "simulate_ops",
    "zero_state",
]

_I = np.eye(2, dtype=complex)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.array([[1, 0], [0, -1]], dtype=complex)
PAULIS = {"I": _I, "X": _X, "Y": _Y, "Z": _Z}


# ------------------------------------------------------------------ building blocks
def kron_ops(*ops: np.ndarray) -> np.ndarray:
    """Kronecker product, first factor = most significant bit."""
    out = np.eye(1, dtype=complex)
    for op in ops:
        out = np.kron(out, op)
    return out


def _expi(h: np.ndarray, t: float) -> np.ndarray:
    """exp(-i t h) for a Hermitian h, by eigendecomposition."""
    w, v = np.linalg.eigh(h)
    return (v * np.exp(-1j * t * w)) @ v.conj().T


def _controlled(u: np.ndarray, controls: int = 1) -> np.ndarray:
    """Controls first (most significant), then the target block ``u``."""
    d = u.shape[0]
    n = d << controls
    out = np.eye(n, dtype=complex)
    out[n - d :, n - d :] = u
    return out


def _embed(m: np.ndarray, where: Sequence[int], n: int) -> np.ndarray:
    """The 2^n matrix of ``m`` acting on qubits ``where`` of an n-qubit register."""
    cols = np.eye(2**n, dtype=complex)
    return np.stack([apply(cols[:, j], m, where, n) for j in range(2**n)], axis=1)


def _sequence(n: int, steps: Iterable[tuple[np.ndarray, Sequence[int]]]) -> np.ndarray:
    """The product of gates applied in order (first step acts first)."""
    out = np.eye(2**n, dtype=complex)
    for m, where in steps:
        out = _embed(m, where, n) @ out
    return out


# ------------------------------------------------------------------ one qubit
def u3(theta: float, phi: float, lam: float) -> np.ndarray:
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return np.array(
        [
            [c, -np.exp(1j * lam) * s],
            [np.exp(1j * phi) * s, np.exp(1j * (phi + lam)) * c],
        ],
        dtype=complex,
    )


def phase(lam: float) -> np.ndarray:
    return np.diag([1.0, np.exp(1j * lam)]).astype(complex)


def rx(t: float) -> np.ndarray:
    return _expi(_X, t / 2)


def ry(t: float) -> np.ndarray:
    return _expi(_Y, t / 2)


def rz(t: float) -> np.ndarray:
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


def r(theta: float, phi: float) -> np.ndarray:
    """qiskit's RGate: exp(-i theta/2 (cos(phi) X + sin(phi) Y))."""
    return _expi(math.cos(phi) * _X + math.sin(phi) * _Y, theta / 2)


_H = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)
_SX = 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]])


# ------------------------------------------------------------------ two qubits
_SWAP = np.eye(4, dtype=complex)[[0, 2, 1, 3]]
_ISWAP = np.array([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]], dtype=complex)
_CX = _controlled(_X)


def _pp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """exp(-i t/2 a(x)b), a on the first listed qubit."""
    return _expi(np.kron(a, b), t / 2)


def rzx(t: float) -> np.ndarray:
    return _pp(_Z, _X, t)


def _ecr() -> np.ndarray:
    # qiskit: gate ecr a, b { rzx(pi/4) a, b; x a; rzx(-pi/4) a, b; }
    return _sequence(2, [(rzx(math.pi / 4), (0, 1)), (_X, (0,)), (rzx(-math.pi / 4), (0, 1))])


def xx_plus_yy(theta: float, beta: float) -> np.ndarray:
    # qiskit: RZ_0(-beta) exp(-i theta/2 (XX+YY)/2) RZ_0(beta), qubit 0 = first listed
    core = _expi((np.kron(_X, _X) + np.kron(_Y, _Y)) / 2, theta / 2)
    return np.kron(rz(-beta), _I) @ core @ np.kron(rz(beta), _I)


def xx_minus_yy(theta: float, beta: float) -> np.ndarray:
    # qiskit: RZ_1(beta) exp(-i theta/2 (XX-YY)/2) RZ_1(-beta), qubit 1 = second listed
    core = _expi((np.kron(_X, _X) - np.kron(_Y, _Y)) / 2, theta / 2)
    return np.kron(_I, rz(beta)) @ core @ np.kron(_I, rz(-beta))


def _rccx() -> np.ndarray:
    # qelib1: gate rccx a,b,c { u2(0,pi) c; u1(pi/4) c; cx b,c; u1(-pi/4) c;
    #   cx a,c; u1(pi/4) c; cx b,c; u1(-pi/4) c; u2(0,pi) c; }
    u2 = u3(math.pi / 2, 0, math.pi)
    t, tdg = phase(math.pi / 4), phase(-math.pi / 4)
    steps = [
        (u2, (2,)), (t, (2,)), (_CX, (1, 2)), (tdg, (2,)), (_CX, (0, 2)),
        (t, (2,)), (_CX, (1, 2)), (tdg, (2,)), (u2, (2,)),
    ]  # fmt: skip
    return _sequence(3, steps)


def _const(m: np.ndarray) -> Callable[[], np.ndarray]:
    return lambda: m


#: name -> (number of qubits, number of parameters, matrix builder)
GATE_DEFS: dict[str, tuple[int, int, Callable[..., np.ndarray]]] = {
    "id": (1, 0, _const(_I)),
    "x": (1, 0, _const(_X)),
    "y": (1, 0, _const(_Y)),
    "z": (1, 0, _const(_Z)),
    "h": (1, 0, _const(_H)),
    "s": (1, 0, _const(np.diag([1, 1j]))),
    "sdg": (1, 0, _const(np.diag([1, -1j]))),
    "t": (1, 0, _const(np.diag([1, np.exp(0.25j * math.pi)]))),
    "tdg": (1, 0, _const(np.diag([1, np.exp(-0.25j * math.pi)]))),
    "sx": (1, 0, _const(_SX)),
    "sxdg": (1, 0, _const(_SX.conj().T)),
    "rx": (1, 1, rx),
    "ry": (1, 1, ry),
    "rz": (1, 1, rz),
    "p": (1, 1, phase),
    "u1": (1, 1, phase),
    "u2": (1, 2, lambda phi, lam: u3(math.pi / 2, phi, lam)),
    "u3": (1, 3, u3),
    "u": (1, 3, u3),
    "U": (1, 3, u3),
    "r": (1, 2, r),
    "cx": (2, 0, _const(_CX)),
    "CX": (2, 0, _const(_CX)),
    "cy": (2, 0, _const(_controlled(_Y))),
    "cz": (2, 0, _const(np.diag([1, 1, 1, -1]).astype(complex))),
    "ch": (2, 0, _const(_controlled(_H))),
    "csx": (2, 0, _const(_controlled(_SX))),
    "swap": (2, 0, _const(_SWAP)),
    "iswap": (2, 0, _const(_ISWAP)),
    "ecr": (2, 0, _ecr),
    # gate dcx a, b { cx a, b; cx b, a; }
    "dcx": (2, 0, lambda: _sequence(2, [(_CX, (0, 1)), (_CX, (1, 0))])),
    "cp": (2, 1, lambda lam: np.diag([1, 1, 1, np.exp(1j * lam)])),
    "cu1": (2, 1, lambda lam: np.diag([1, 1, 1, np.exp(1j * lam)])),
    "cphase": (2, 1, lambda lam: np.diag([1, 1, 1, np.exp(1j * lam)])),
    "crx": (2, 1, lambda t: _controlled(rx(t))),
    "cry": (2, 1, lambda t: _controlled(ry(t))),
    "crz": (2, 1, lambda t: _controlled(rz(t))),
    "cu3": (2, 3, lambda t, p, l: _controlled(u3(t, p, l))),
    "cu": (2, 4, lambda t, p, l, g: _controlled(np.exp(1j * g) * u3(t, p, l))),
    "rxx": (2, 1, lambda t: _pp(_X, _X, t)),
    "ryy": (2, 1, lambda t: _pp(_Y, _Y, t)),
    "rzz": (2, 1, lambda t: _pp(_Z, _Z, t)),
    "rzx": (2, 1, rzx),
    "xx_plus_yy": (2, 2, xx_plus_yy),
    "xx_minus_yy": (2, 2, xx_minus_yy),
    "ccx": (3, 0, _const(_controlled(_X, 2))),
    "ccz": (3, 0, _const(np.diag([1, 1, 1, 1, 1, 1, 1, -1]).astype(complex))),
    "cswap": (3, 0, _const(_controlled(_SWAP))),
    "rccx": (3, 0, _rccx),
}


def gate(name: str, params: Sequence[float] = ()) -> np.ndarray:
    """The matrix of a named gate (first listed qubit most significant)."""
    _, npar, fn = GATE_DEFS[name]
    if len(params) != npar:
        raise ValueError(f"{name} takes {npar} parameters, got {len(params)}")
    return np.asarray(fn(*[float(p) for p in params]), dtype=complex)


def random_unitary(dim: int, rng: np.random.Generator) -> np.ndarray:
    """Haar-random unitary (QR of a complex Ginibre matrix, phases fixed)."""
    z = (rng.standard_normal((dim, dim)) + 1j * rng.standard_normal((dim, dim))) / 2**0.5
    q, rr = np.linalg.qr(z)
    d = np.diag(rr)
    return q * (d / np.abs(d))


# ------------------------------------------------------------------ states
def zero_state(n: int) -> np.ndarray:
    psi = np.zeros(2**n, dtype=complex)
    psi[0] = 1.0
    return psi


def apply(psi: np.ndarray, m: np.ndarray, qubits: Sequence[int], n: int) -> np.ndarray:
    """Return ``m`` applied to ``qubits`` of the n-qubit vector ``psi`` (new array).

    Plain elementwise numpy on strided views (no BLAS, so no thread pool to
    fight over): out[..i..] = sum_j m[i, j] psi[..j..], zero entries skipped.
    """
    k = len(qubits)
    if len(set(qubits)) != k or m.shape != (2**k, 2**k):
        raise ValueError(f"bad gate: qubits {tuple(qubits)}, matrix {m.shape}")
    # a trailing unit axis keeps every index a view, even when k == n
    t = np.asarray(psi, dtype=complex).reshape((2,) * n + (1,))
    out = np.zeros_like(t)
    views = []
    for i in range(2**k):
        idx: list = [slice(None)] * (n + 1)
        for j, q in enumerate(qubits):
            idx[q] = (i >> (k - 1 - j)) & 1
        views.append(tuple(idx))
    for i in range(2**k):
        o = out[views[i]]  # a view: += writes into out
        for j in range(2**k):
            c = m[i, j]
            if c != 0:
                o += c * t[views[j]]
    return out.reshape(-1)


class StateVector:
    """A mutable dense state, for building reference states step by step."""

    def __init__(self, n: int, psi: np.ndarray | None = None) -> None:
        self.n = n
        self.psi = zero_state(n) if psi is None else np.array(psi, dtype=complex)
        if self.psi.shape != (2**n,):
            raise ValueError(f"state of {n} qubits needs length {2**n}")

    def gate(self, name: str, qubits: Sequence[int], params: Sequence[float] = ()) -> StateVector:
        self.psi = apply(self.psi, gate(name, params), qubits, self.n)
        return self

    def unitary(self, m: np.ndarray, qubits: Sequence[int]) -> StateVector:
        self.psi = apply(self.psi, np.asarray(m, dtype=complex), qubits, self.n)
        return self


def simulate_ops(n: int, ops: Iterable, psi0: np.ndarray | None = None) -> np.ndarray:
    """Run circuit operations (objects with kind/name/qubits/params/unitary()).

    Named gates use this module's matrices; only ``name == "unitary"`` reads the
    operation's own matrix. Barriers and measurements are skipped (the caller
    is responsible for only passing final measurements); anything else raises.
    """
    sv = StateVector(n, psi0)
    for op in ops:
        if op.kind in ("barrier", "measure"):
            continue
        if op.kind != "gate" or getattr(op, "condition", None) is not None:
            raise ValueError(f"the reference simulator cannot run {op.kind} {op.name}")
        if op.name == "unitary":
            sv.unitary(op.unitary(), op.qubits)
        else:
            sv.gate(op.name, op.qubits, op.params)
    return sv.psi


# ------------------------------------------------------------------ observables
def expectation(psi: np.ndarray, term: dict[int, str], n: int) -> complex:
    """<psi| P |psi> / <psi|psi> for the Pauli string ``{qubit: "X"}``."""
    phi = psi
    for q, p in term.items():
        phi = apply(phi, PAULIS[p.upper()], [q], n)
    return complex(np.vdot(psi, phi) / np.vdot(psi, psi))


def entropies(psi: np.ndarray, n: int) -> np.ndarray:
    """Von Neumann entropy (log2) across each of the n-1 bonds."""
    out = []
    for b in range(n - 1):
        s = np.linalg.svd(psi.reshape(2 ** (b + 1), -1), compute_uv=False)
        p = s**2 / np.sum(s**2)
        p = p[p > 1e-300]
        out.append(float(-np.sum(p * np.log2(p))))
    return np.array(out)
