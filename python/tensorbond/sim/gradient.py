"""Gradients of expectation values with respect to circuit parameters.

Two methods, both exact at full bond:

- ``"adjoint"``: one forward pass to ``|phi> = U|0>``, ``|lam> = H|phi>`` (the
  observable's MPO applied and compressed at the simulation's policy), then the
  gates undone one by one on both states; each parametrized gate ``U_k(x)``
  contributes ``2 Re <lam| (dU_k/dx) U_k^dag |phi>``, one local transition
  element between the two states. The overlap environments of ``<lam|.|phi>``
  are cached and only the sites a gate touched are recontracted, so the cost
  is a few forward passes whatever the number of parameters.
- ``"parameter-shift"``: each parametrized gate is shifted by its exact shift
  rule (two terms for gates whose expectation has one frequency, four where
  it has two); only the gates after it are rerun, from a stored copy of the
  state before it.

Parameters used by several gates, and affine expressions of them, get the
chain rule: ``d<H>/dp = sum_gates (dx_gate/dp) d<H>/dx_gate``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .._validate import as_state_dtype
from ..ir.gates import gate_matrix
from ..ir.parameters import Parameter, ParameterExpression, is_symbolic
from ..linalg import qr, svd
from ..memory import available_memory
from ..parallel import map as parallel_map
from ..truncation import SIMULATION_CUTOFF, CutoffMode, Truncation
from .circuit import Circuit
from .compile import (
    CompiledCircuit,
    Routing,
    apply_matrix,
    compile_circuit,
    rotation_generator,
    run_gates,
)
from .dense import DenseState
from .expectation import Engine, Observable, as_observables, choose_engine, parameter_points
from .mps import MPS
from .observables import MPO

__all__ = ["Gradient", "gradient", "shift_rule", "value_and_grad"]

Method = Literal["adjoint", "parameter-shift"]

# Frequency content of <H> as a function of one gate parameter: (R, w0) means
# the frequencies w0, 2 w0, ..., R w0. One-parameter rotations (exp(-i x P/2)
# and phase gates) have the single frequency 1; controlled rotations have 1/2
# and 1 (the identity block); the azimuth of r and xx+-yy enters twice.
_ONE = (1, 1.0)
_HALF_AND_ONE = (2, 0.5)
_ONE_AND_TWO = (2, 1.0)
_FREQUENCIES: dict[str, tuple[tuple[int, float], ...]] = {
    **dict.fromkeys(("rx", "ry", "rz", "p", "u1", "rxx", "ryy", "rzz", "rzx"), (_ONE,)),
    **dict.fromkeys(("cp", "cu1", "cphase"), (_ONE,)),
    "u2": (_ONE, _ONE),
    **dict.fromkeys(("u3", "u", "U"), (_ONE, _ONE, _ONE)),
    "r": (_ONE, _ONE_AND_TWO),
    **dict.fromkeys(("crx", "cry", "crz"), (_HALF_AND_ONE,)),
    "cu3": (_HALF_AND_ONE, _ONE, _ONE),
    "cu": (_HALF_AND_ONE, _ONE, _ONE, _ONE),
    **dict.fromkeys(("xx_plus_yy", "xx_minus_yy"), (_HALF_AND_ONE, _ONE_AND_TWO)),
}


def shift_rule(name: str, index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The exact parameter-shift rule of one gate parameter.

    ``d<H>/dx = sum_m coefficients[m] <H>(x + shifts[m])``, from the general
    rule for a trigonometric polynomial of frequencies ``w0, ..., R w0``
    (Wierichs et al., Quantum 6, 677 (2022)): ``2R`` shifts
    ``(2m - 1) pi / (2 R w0)``.

    Parameters
    ----------
    name : str
        A parametrized gate of :data:`tensorbond.GATES`.
    index : int
        Which of its parameters.

    Returns
    -------
    shifts, coefficients : ndarray

    Raises
    ------
    ValueError
        A gate without that parameter.

    Examples
    --------
    >>> shifts, coeffs = shift_rule("rx")
    >>> [round(float(s), 6) for s in shifts], [round(float(c), 12) for c in coeffs]
    ([1.570796, 4.712389], [0.5, -0.5])
    """
    rules = _FREQUENCIES.get(name)
    if rules is None or not 0 <= index < len(rules):
        raise ValueError(f"gate {name!r} has no parameter {index} with a known shift rule")
    r, w0 = rules[index]
    mu = np.arange(1, 2 * r + 1)
    x = (2 * mu - 1) * math.pi / (2 * r)
    coeffs = w0 * (-1.0) ** (mu - 1) / (4 * r * np.sin(x / 2) ** 2)
    return x / w0, coeffs


def _tangent(name: str, nums: Sequence[float], j: int, u: np.ndarray) -> np.ndarray:
    """``(dU/dx_j) U^dag``: for a one-parameter rotation ``V diag(e^{iwx}) V^dag``
    the constant ``i V diag(w) V^dag``, else from :func:`_derivative`."""
    group = rotation_generator(name) if len(nums) == 1 else None
    if group is not None:
        v, w = group
        out: np.ndarray = (v * (1j * w)) @ v.conj().T
        return out
    general: np.ndarray = _derivative(name, nums, j) @ u.conj().T
    return general


def _derivative(name: str, nums: Sequence[float], j: int) -> np.ndarray:
    """``dU/dx_j``, exact: every entry of every gate is a trigonometric
    polynomial of frequencies 0, 1/2 and 1 in each parameter, which a
    four-point difference at shifts pi and pi/2 differentiates exactly."""

    def at(shift: float) -> np.ndarray:
        shifted = list(nums)
        shifted[j] += shift
        return gate_matrix(name, shifted)

    a1 = (1 - math.sqrt(2)) / 4
    out: np.ndarray = a1 * (at(math.pi) - at(-math.pi)) + 0.5 * (at(math.pi / 2) - at(-math.pi / 2))
    return out


@dataclass(frozen=True)
class _GateParam:
    """One symbolic parameter slot of one gate: the chain rule's bookkeeping."""

    gate: int  # index in the compiled program
    name: str
    slot: int  # which of the gate's parameters
    constant: float
    weights: dict[int, float]  # circuit-parameter index -> d slot / d parameter


def _gate_params(prog: CompiledCircuit) -> list[_GateParam]:
    index = {p: i for i, p in enumerate(prog.parameters)}
    out = []
    for k, name, params in prog.symbolic:
        for j, x in enumerate(params):
            if not is_symbolic(x):
                continue
            if isinstance(x, Parameter):
                out.append(_GateParam(k, name, j, 0.0, {index[x]: 1.0}))
            else:
                assert isinstance(x, ParameterExpression)
                terms = {index[p]: c for p, c in x.terms.items()}
                out.append(_GateParam(k, name, j, x.constant, terms))
    return out


def _by_gate(gps: list[_GateParam]) -> dict[int, list[_GateParam]]:
    """The symbolic parameter slots grouped by the gate they belong to."""
    out: dict[int, list[_GateParam]] = {}
    for gp in gps:
        out.setdefault(gp.gate, []).append(gp)
    return out


def _gate_numbers(
    prog: CompiledCircuit, gps: list[_GateParam], row: np.ndarray
) -> dict[int, list[float]]:
    """Every symbolic gate's numeric parameters at ``row``."""
    table = dict(zip(prog.parameters, row.tolist(), strict=True))
    return {
        k: [float(x.bind(table)) if is_symbolic(x) else float(x) for x in params]
        for k, _, params in prog.symbolic
    }


@dataclass(frozen=True)
class Gradient:
    """Values and gradients over a batch of parameter points."""

    #: ``(...)``: ``<H>`` at each point.
    value: np.ndarray
    #: ``(..., P)``: ``d<H>/dp`` in ``circuit.parameters`` order.
    grad: np.ndarray
    #: ``(...)``: the forward state's fidelity estimate at each point.
    fidelity: np.ndarray
    #: ``(...)``: the weight the whole computation discarded, ``1 - prod F`` over
    #: every truncated state it made (forward, ``H|phi>``, the undone states);
    #: 0 when nothing was truncated, where the gradient is exact.
    error_estimate: np.ndarray
    method: str


def _trunc_kwargs(trunc: Truncation) -> dict[str, Any]:
    return {
        "max_bond": trunc.max_bond,
        "cutoff": trunc.cutoff,
        "cutoff_mode": trunc.cutoff_mode,
    }


# ------------------------------------------------------------------ H |phi>
def _apply_mpo(state: MPS, mpo: MPO, trunc: Truncation) -> tuple[MPS, float]:
    """``mpo |state>`` compressed with ``trunc``: an exact QR sweep left to right,
    then truncated SVDs right to left. Returns the state and the kept weight
    fraction of the compression. The state's layout must be the identity."""
    cores = []
    for i, w in enumerate(mpo.tensors):
        a = state.site_tensor(i).astype(np.complex128)
        lk, rm = a.shape[0] * w.shape[0], a.shape[2] * w.shape[3]
        cores.append(np.einsum("kstm,atb->aksbm", w, a, optimize=True).reshape(lk, 2, rm))
    n = len(cores)
    for i in range(n - 1):  # left-orthonormal sweep
        l, d, r = cores[i].shape
        q, rr = qr(cores[i].reshape(l * d, r))
        cores[i] = q.reshape(l, d, -1)
        cores[i + 1] = np.einsum("ab,bsc->asc", rr, cores[i + 1])
    norm2 = float(np.vdot(cores[-1], cores[-1]).real)
    discarded = 0.0
    for i in range(n - 1, 0, -1):  # truncating sweep back
        l, d, r = cores[i].shape
        u, s, vh, dw = svd(
            cores[i].reshape(l, d * r),
            max_bond=trunc.max_bond,
            cutoff=trunc.cutoff,
            cutoff_mode=trunc.cutoff_mode,
        )
        discarded += dw
        cores[i] = vh.reshape(-1, d, r)
        cores[i - 1] = np.einsum("asb,bc->asc", cores[i - 1], u * s)
    kept = 1.0 - discarded / norm2 if norm2 > 0 else 1.0
    return MPS.from_site_tensors(cores, dtype=state.dtype), max(kept, 0.0)


# ----------------------------------------------------- <lam| . |phi>, cached
class _Overlap:
    """Left and right environments of ``<bra|ket>``, recontracted lazily where
    the states changed (:meth:`touched`)."""

    def __init__(self, bra: MPS, ket: MPS) -> None:
        self.bra, self.ket = bra, ket
        n = bra.num_qubits
        self.n = n
        one = np.ones((1, 1), dtype=np.complex128)
        self.left: list[np.ndarray] = [one] + [one] * n
        self.right: list[np.ndarray] = [one] * n + [one]
        self.left_valid = 0  # left[0..left_valid] are current
        self.right_valid = n  # right[right_valid..n] are current

    def touched(self, lo: int, hi: int) -> None:
        """Sites ``lo..hi`` of either state changed."""
        self.left_valid = min(self.left_valid, lo)
        self.right_valid = max(self.right_valid, hi + 1)

    def _site(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        return (
            self.bra.site_tensor(i).astype(np.complex128, copy=False),
            self.ket.site_tensor(i).astype(np.complex128, copy=False),
        )

    def env_left(self, i: int) -> np.ndarray:
        while self.left_valid < i:
            j = self.left_valid
            b, k = self._site(j)
            t = np.tensordot(self.left[j], b.conj(), axes=(0, 0))  # (ket_l, s, bra_r)
            self.left[j + 1] = np.tensordot(t, k, axes=([0, 1], [0, 1]))  # (bra_r, ket_r)
            self.left_valid = j + 1
        return self.left[i]

    def env_right(self, i: int) -> np.ndarray:
        while self.right_valid > i:
            j = self.right_valid - 1
            b, k = self._site(j)
            t = np.tensordot(k, self.right[j + 1], axes=(2, 1))  # (ket_l, s, bra_r)
            self.right[j] = np.tensordot(b.conj(), t, axes=([1, 2], [1, 2]))
            self.right_valid = j
        return self.right[i]

    def element(self, sites: Sequence[int], op: np.ndarray) -> complex:
        """``<bra| op |ket>`` for a ``2^a x 2^a`` operator on ``sites`` (first
        listed = most significant), any order, any distance."""
        a = len(sites)
        order = np.argsort(sites)
        srt = [int(sites[i]) for i in order]
        # Operator in site order, then its MPO over the span by SVDs.
        t = op.reshape((2,) * (2 * a))
        perm = [int(i) for i in order] + [a + int(i) for i in order]
        t = t.transpose(perm)
        # interleave (out_0, in_0, out_1, in_1, ...)
        t = t.transpose([x for j in range(a) for x in (j, a + j)])
        mpo: dict[int, np.ndarray] = {}
        rest = t.reshape(1, -1)
        for j in range(a - 1):
            m = rest.reshape(rest.shape[0] * 4, -1)
            u, s, vh = np.linalg.svd(m, full_matrices=False)
            keep = int(np.sum(s > s[0] * 1e-15)) if s.size and s[0] > 0 else 1
            mpo[srt[j]] = u[:, :keep].reshape(-1, 2, 2, keep)
            rest = s[:keep, None] * vh[:keep]
        mpo[srt[-1]] = rest.reshape(-1, 2, 2, 1)
        lo, hi = srt[0], srt[-1]
        env = self.env_left(lo)[:, None, :]  # (bra, op, ket)
        for i in range(lo, hi + 1):
            b, k = self._site(i)
            w = mpo.get(i)
            if w is None:  # identity, carrying the operator bond
                t1 = np.tensordot(env, b.conj(), axes=(0, 0))  # (op, ket, s, bra_r)
                env = np.tensordot(t1, k, axes=([1, 2], [0, 1])).transpose(1, 0, 2)
            else:
                t1 = np.tensordot(env, b.conj(), axes=(0, 0))  # (op, ket, s, bra_r)
                t2 = np.tensordot(t1, w, axes=([0, 2], [0, 1]))  # (ket, bra_r, in, op_r)
                env = np.tensordot(t2, k, axes=([0, 2], [0, 1]))  # (bra_r, op_r, ket_r)
        return complex(np.tensordot(env[:, 0, :], self.env_right(hi + 1), axes=([0, 1], [0, 1])))


def _touched_range(
    state: MPS, prog: CompiledCircuit, start: int, stop: int, c0: int
) -> tuple[int, int]:
    site_of = np.argsort(np.asarray(state.layout))
    ar = prog.arity[start:stop]
    q = prog.qubits[start:stop]
    mask = np.arange(3)[None, :] < ar[:, None]
    sites = site_of[q[mask]]
    c1 = state.center
    if int(ar.max()) == 1:  # one-qubit gates change their site only, never the centre
        return int(sites.min()), int(sites.max())
    lo = min(int(sites.min()), c0, c1)
    hi = max(int(sites.max()), c0, c1)
    return lo, hi


def _adjoint_point(
    prog: CompiledCircuit,
    gps: list[_GateParam],
    obs: Observable,
    row: np.ndarray,
    trunc: Truncation,
    routing: Routing,
    dt: np.dtype,
) -> tuple[float, np.ndarray, float, float]:
    mats = prog.bind(row) if prog.parameters else prog.matrices
    phi = MPS(prog.num_qubits, dtype=dt)
    run_gates(phi, prog, 0, len(prog), trunc, routing, mats)
    fid = phi.fidelity_estimate
    value = obs.value(phi).real
    grad = np.zeros(len(prog.parameters))
    if not gps:
        return value, grad, fid, 1.0 - fid
    if phi.layout != list(range(phi.num_qubits)):
        phi.restore_layout(max_bond=trunc.max_bond, cutoff=trunc.cutoff)
    lam, kept = _apply_mpo(phi, obs.mpo(), trunc)
    norm2 = phi.norm() ** 2
    inv = prog.inverse(mats)
    nums = _gate_numbers(prog, gps, row)
    env = _Overlap(lam, phi)
    total = len(prog)
    pos = 0  # next gate of the inverse program to apply
    by_gate = _by_gate(gps)
    f_phi0, f_lam0 = phi.fidelity_estimate, lam.fidelity_estimate
    for k in sorted(by_gate, reverse=True):
        stop = total - 1 - k  # inverse index of gate k: apply everything before it
        if stop > pos:
            for s in (phi, lam):
                c0 = s.center
                run_gates(s, inv, pos, stop, trunc, "mpo")
                env.touched(*_touched_range(s, inv, pos, stop, c0))
            pos = stop
        site_of = np.argsort(np.asarray(phi.layout))
        a = int(prog.arity[k])
        sites = [int(site_of[q]) for q in prog.qubits[k, :a]]
        name = by_gate[k][0].name
        u = prog.gate_matrix(k, mats)
        for gp in by_gate[k]:
            d = _tangent(name, nums[k], gp.slot, u)
            g = 2.0 * env.element(sites, d).real / norm2
            for i, c in gp.weights.items():
                grad[i] += c * g
    kept_all = fid * kept * (phi.fidelity_estimate / f_phi0) * (lam.fidelity_estimate / f_lam0)
    return value, grad, fid, max(1.0 - kept_all, 0.0)


def _fresh(prog: CompiledCircuit, dt: np.dtype | None) -> MPS | DenseState:
    """``|0...0>``: an MPS of dtype ``dt``, or a dense state for ``dt=None``."""
    return DenseState(prog.num_qubits) if dt is None else MPS(prog.num_qubits, dtype=dt)


def _run(
    s: MPS | DenseState,
    prog: CompiledCircuit,
    start: int,
    stop: int,
    trunc: Truncation,
    routing: Routing,
    mats: np.ndarray,
) -> None:
    if isinstance(s, DenseState):
        s.run(prog, start, stop, mats)
    else:
        run_gates(s, prog, start, stop, trunc, routing, mats)


def _dense_adjoint_point(
    prog: CompiledCircuit,
    gps: list[_GateParam],
    obs: Observable,
    row: np.ndarray,
) -> tuple[float, np.ndarray, float, float]:
    """The adjoint on dense states: exact, no environments needed."""
    mats = prog.bind(row) if prog.parameters else prog.matrices
    total = len(prog)
    phi = DenseState(prog.num_qubits)
    phi.run(prog, 0, total, mats)
    value = obs.value(phi).real
    grad = np.zeros(len(prog.parameters))
    if not gps:
        return value, grad, 1.0, 0.0
    lam = phi.apply_paulis(obs.masks())
    inv = prog.inverse(mats)
    nums = _gate_numbers(prog, gps, row)
    by_gate = _by_gate(gps)
    pos = 0
    for k in sorted(by_gate, reverse=True):
        stop = total - 1 - k
        if stop > pos:
            phi.run(inv, pos, stop)
            lam.run(inv, pos, stop)
            pos = stop
        a = int(prog.arity[k])
        qubits = [int(q) for q in prog.qubits[k, :a]]
        u = prog.gate_matrix(k, mats)
        for gp in by_gate[k]:
            tmp = phi.copy()
            tmp.apply(qubits, _tangent(gp.name, nums[k], gp.slot, u))
            g = 2.0 * lam.inner(tmp).real
            for i, c in gp.weights.items():
                grad[i] += c * g
    return value, grad, 1.0, 0.0


def _shift_point(
    prog: CompiledCircuit,
    gps: list[_GateParam],
    obs: Observable,
    row: np.ndarray,
    trunc: Truncation,
    routing: Routing,
    dt: np.dtype | None,
) -> tuple[float, np.ndarray, float, float]:
    """Parameter-shift at one point; ``dt=None`` runs dense states."""
    mats = prog.bind(row) if prog.parameters else prog.matrices
    total = len(prog)
    gates = sorted({gp.gate for gp in gps})
    nums = _gate_numbers(prog, gps, row)
    # Forward pass, keeping the state before each parametrized gate while memory
    # allows (half of what is free); past that, rerun from the last one kept.
    budget = available_memory() // 2
    snapshots: dict[int, MPS | DenseState] = {}
    state = _fresh(prog, dt)
    pos = 0
    used = 0
    for k in gates:
        _run(state, prog, pos, k, trunc, routing, mats)
        pos = k
        if used + state.memory_bytes <= budget:
            snapshots[k] = state.copy()
            used += state.memory_bytes
    _run(state, prog, pos, total, trunc, routing, mats)
    fid = state.fidelity_estimate
    worst = fid
    value = obs.value(state).real
    grad = np.zeros(len(prog.parameters))
    kept = sorted(snapshots)
    for gp in gps:
        k = gp.gate
        base_k = max((s for s in kept if s <= k), default=None)
        a = int(prog.arity[k])
        qubits = [int(q) for q in prog.qubits[k, :a]]
        shifts, coeffs = shift_rule(gp.name, gp.slot)
        g = 0.0
        for shift, coeff in zip(shifts, coeffs, strict=True):
            if base_k is None:
                s = _fresh(prog, dt)
                _run(s, prog, 0, k, trunc, routing, mats)
            else:
                s = snapshots[base_k].copy()
                _run(s, prog, base_k, k, trunc, routing, mats)
            shifted = list(nums[k])
            shifted[gp.slot] += float(shift)
            if isinstance(s, DenseState):
                s.apply(qubits, gate_matrix(gp.name, shifted))
            else:
                apply_matrix(s, qubits, gate_matrix(gp.name, shifted), trunc, routing)
            _run(s, prog, k + 1, total, trunc, routing, mats)
            worst = min(worst, s.fidelity_estimate)
            g += float(coeff) * obs.value(s).real
        for i, c in gp.weights.items():
            grad[i] += c * g
    return value, grad, fid, max(1.0 - worst, 0.0)


def _point(
    prog: CompiledCircuit,
    gps: list[_GateParam],
    obs: Observable,
    method: Method,
    dense: bool,
    trunc: Truncation,
    routing: Routing,
    dt: np.dtype,
    row: np.ndarray,
) -> tuple[float, np.ndarray, float, float]:
    """Value, gradient, fidelity and error estimate at one point."""
    if dense and method == "adjoint":
        return _dense_adjoint_point(prog, gps, obs, row)
    if dense:
        return _shift_point(prog, gps, obs, row, trunc, routing, None)
    if method == "adjoint":
        return _adjoint_point(prog, gps, obs, row, trunc, routing, dt)
    return _shift_point(prog, gps, obs, row, trunc, routing, dt)


def gradient(
    circuit: Circuit | CompiledCircuit,
    observable: Any,
    params: Mapping[Parameter | str, float] | npt.ArrayLike,
    *,
    method: Method = "adjoint",
    max_bond: int | None = None,
    cutoff: float = SIMULATION_CUTOFF,
    cutoff_mode: CutoffMode = "rsum2",
    dtype: Any = "complex128",
    routing: Routing = "auto",
    engine: Engine = "auto",
    executor: Any = None,
    progress: bool = False,
) -> Gradient:
    """``<H>`` and its gradient with respect to the circuit's parameters.

    Parameters
    ----------
    circuit : Circuit or CompiledCircuit
        A parametrized circuit (final measurements are ignored).
    observable
        One Hermitian observable: a Pauli string, a dict ``{string: coefficient}``
        or a list of ``(coefficient, string)`` pairs with real coefficients, or
        a Hermitian :class:`~tensorbond.MPO`.
    params : array_like or mapping
        Shape ``(..., P)`` in ``circuit.parameters`` order, or a mapping for
        one point.
    method : {"adjoint", "parameter-shift"}
        See the module docstring. Both are exact at full bond; with truncation
        ``error_estimate`` says how much weight was discarded.
    max_bond, cutoff, cutoff_mode, dtype, routing
        As for :func:`~tensorbond.simulate`; the adjoint's ``H|phi>`` and its
        undone states are truncated with the same policy.
    engine : {"auto", "mps", "statevector"}
        As for :func:`~tensorbond.expectation`: small circuits that nothing
        would truncate run on dense state vectors.
    executor : None, int, Executor, dask Client or str
        Where the points run (see :func:`tensorbond.map`).
    progress : bool
        A progress bar over completed points.

    Returns
    -------
    Gradient
        ``value`` ``(...)``, ``grad`` ``(..., P)``, ``fidelity`` and
        ``error_estimate`` ``(...)``.

    Raises
    ------
    ValueError
        A non-Hermitian observable, an unknown method, bad parameter values, an
        observable on a qubit the circuit lacks.

    Examples
    --------
    >>> import numpy as np, tensorbond as tb
    >>> t = tb.Parameter("t")
    >>> g = tb.gradient(tb.Circuit(1).rx(t, 0), "Z0", [0.3])
    >>> bool(np.isclose(g.grad[0], -np.sin(0.3)))
    True
    """
    if method not in ("adjoint", "parameter-shift"):
        raise ValueError(f"method must be 'adjoint' or 'parameter-shift', got {method!r}")
    prog = circuit if isinstance(circuit, CompiledCircuit) else compile_circuit(circuit)
    obs_list, single = as_observables(observable, prog.num_qubits)
    if not single:
        raise ValueError(
            "gradient takes one observable; for several, call it per observable or "
            "combine them with weights into one sum"
        )
    obs = obs_list[0]
    if not obs.real:
        raise ValueError("the observable must be Hermitian (real coefficients)")
    rows, batch = parameter_points(prog, params)
    trunc = Truncation(max_bond, cutoff, cutoff_mode)
    if routing not in ("auto", "swap", "mpo", "lazy"):
        raise ValueError(f"routing must be 'auto', 'swap', 'mpo' or 'lazy', got {routing!r}")
    dt = as_state_dtype(dtype)
    gps = _gate_params(prog)
    dense = choose_engine(engine, prog.num_qubits, max_bond, dt, [obs])
    n = rows.shape[0]
    value = np.empty(n)
    grad = np.empty((n, len(prog.parameters)))
    fid = np.empty(n)
    err = np.empty(n)
    one = functools.partial(_point, prog, gps, obs, method, dense, trunc, routing, dt)
    points = parallel_map(
        one,
        list(rows),
        executor=executor,
        progress=progress,
        desc="points",
        index_errors=executor is not None,
    )
    for i, out in enumerate(points):
        value[i], grad[i], fid[i], err[i] = out
    return Gradient(
        value.reshape(batch),
        grad.reshape((*batch, len(prog.parameters))),
        fid.reshape(batch),
        err.reshape(batch),
        method,
    )


def value_and_grad(
    circuit: Circuit | CompiledCircuit,
    observable: Any,
    params: Mapping[Parameter | str, float] | npt.ArrayLike,
    **options: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """``(value, grad)`` of :func:`gradient` (same arguments).

    Examples
    --------
    >>> import tensorbond as tb
    >>> t = tb.Parameter("t")
    >>> v, g = tb.value_and_grad(tb.Circuit(1).ry(t, 0), "X0", [0.0])
    >>> round(float(v), 12), round(float(g[0]), 12)
    (0.0, 1.0)
    """
    res = gradient(circuit, observable, params, **options)
    return res.value, res.grad
