"""Expectation values of observables over many parameter points: compile once,
bind and simulate per point, evaluate every observable on each final state."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ..ir.parameters import Parameter
from ..ir.pauli import parse_pauli_sum
from ..parallel import map as parallel_map
from ..truncation import SIMULATION_CUTOFF, CutoffMode
from .circuit import Circuit
from .compile import CompiledCircuit, Routing, compile_circuit
from .dense import MAX_DENSE_QUBITS, DenseState, Masks, pauli_masks
from .mps import MPS
from .observables import MPO, is_hermitian, mpo_expectation
from .simulate import simulate

__all__ = [
    "Engine",
    "Expectation",
    "Observable",
    "as_observables",
    "choose_engine",
    "expectation",
    "parameter_points",
]

Engine = Literal["auto", "mps", "statevector"]

#: Above this many Pauli terms an observable is evaluated as one MPO contraction
#: rather than one compiled sweep per term.
_MPO_TERMS = 8


@dataclass(frozen=True)
class Observable:
    """One observable on ``num_qubits`` qubits: a Pauli sum or an MPO.

    Build these with :func:`as_observables`; :meth:`value` evaluates one on a
    state and :meth:`mpo` gives the operator as an MPO (built once).
    """

    num_qubits: int
    terms: tuple[tuple[complex, dict[int, str]], ...] | None = None
    operator: MPO | None = None
    #: Every coefficient real: the operator is Hermitian, its values are real.
    real: bool = True
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def mpo(self) -> MPO:
        """The operator as an :class:`~tensorbond.MPO` (compressed; cached)."""
        if self.operator is not None:
            return self.operator
        if "mpo" not in self._cache:
            assert self.terms is not None
            self._cache["mpo"] = MPO.from_pauli_sum(list(self.terms), self.num_qubits)
        mpo: MPO = self._cache["mpo"]
        return mpo

    def masks(self) -> Masks:
        """The Pauli sum as bit masks for a :class:`DenseState` (cached)."""
        if "masks" not in self._cache:
            assert self.terms is not None
            self._cache["masks"] = pauli_masks(self.terms, self.num_qubits)
        masks: Masks = self._cache["masks"]
        return masks

    def value(self, state: MPS | DenseState) -> complex:
        """``<psi|O|psi> / <psi|psi>``."""
        if isinstance(state, DenseState):
            return state.expectation(self.masks())
        if self.terms is not None and len(self.terms) <= _MPO_TERMS:
            return complex(state.expectation([(c, t) for c, t in self.terms]))
        return mpo_expectation(state, self.mpo())


def _is_single(obs: Any) -> bool:
    if isinstance(obs, (str, Mapping, MPO)):
        return True
    if isinstance(obs, Sequence) and obs:
        first = obs[0]
        return (
            isinstance(first, tuple)
            and len(first) == 2
            and isinstance(first[0], (int, float, complex, np.number))
            and not isinstance(first[0], bool)
        )
    return False


def _one(obs: Any, n: int, index: int | None) -> Observable:
    where = "" if index is None else f"observable {index}: "
    if isinstance(obs, MPO):
        if obs.num_qubits != n:
            raise ValueError(f"{where}the MPO has {obs.num_qubits} sites, the circuit {n} qubits")
        return Observable(n, operator=obs, real=is_hermitian(obs))
    try:
        terms = parse_pauli_sum(obs)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{where}{exc}") from None
    if not terms:
        raise ValueError(f"{where}an observable needs at least one term")
    for _, term in terms:
        for q in term:
            if not 0 <= q < n:
                raise ValueError(
                    f"{where}Pauli term on qubit {q}, but the circuit has {n} qubits (0..{n - 1})"
                )
    real = all(complex(c).imag == 0 for c, _ in terms)
    return Observable(n, terms=tuple(terms), real=real)


def as_observables(observables: Any, num_qubits: int) -> tuple[list[Observable], bool]:
    """Read one observable or a list of them.

    Parameters
    ----------
    observables
        A Pauli string (``"Z0 Z1"``), a dict ``{string: coefficient}``, a list
        of ``(coefficient, string)`` pairs, an :class:`~tensorbond.MPO`, or a
        list of any of these.
    num_qubits : int
        The circuit's qubit count; every term must act below it.

    Returns
    -------
    list of Observable, bool
        The observables, and whether a single one was given.

    Raises
    ------
    ValueError
        No observables, a malformed one, or one on a qubit the circuit lacks
        (its position in the list named).
    """
    if isinstance(observables, Observable):
        return [observables], True
    if _is_single(observables):
        return [_one(observables, num_qubits, None)], True
    if isinstance(observables, np.ndarray) and observables.dtype == object:
        observables = list(observables.ravel())
    if not isinstance(observables, Sequence) or isinstance(observables, (bytes, bytearray)):
        raise TypeError(
            "observables must be a Pauli string, a dict, a list of (coefficient, string) "
            f"pairs, an MPO, or a list of these; got {type(observables).__name__}"
        )
    if not observables:
        raise ValueError("no observables given")
    out = [
        o if isinstance(o, Observable) else _one(o, num_qubits, i)
        for i, o in enumerate(observables)
    ]
    return out, False


def parameter_points(
    prog: CompiledCircuit, params: Mapping[Parameter | str, float] | npt.ArrayLike | None
) -> tuple[np.ndarray, tuple[int, ...]]:
    """Parameter points as rows ``(N, P)`` in ``prog.parameters`` order, and the
    batch shape they came in (``()`` for one point).

    Raises
    ------
    ValueError
        Values for a circuit without parameters, none for one with them, or a
        last axis that is not the parameter count.
    TypeError
        Values that are not real numbers.
    """
    num = len(prog.parameters)
    if params is None:
        if num:
            names = ", ".join(p.name for p in prog.parameters)
            raise ValueError(f"the circuit has unbound parameters {names}: pass params=")
        return np.zeros((1, 0)), ()
    if isinstance(params, Mapping):
        if not num:
            raise ValueError("params= given, but the circuit has no parameters")
        row = prog.point(params)
        return row[None, :], ()
    arr = np.asarray(params)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"parameter values must be real numbers, got dtype {arr.dtype}")
    if not num:
        raise ValueError("params= given, but the circuit has no parameters")
    if arr.ndim == 0 or arr.shape[-1] != num:
        raise ValueError(
            f"params must have shape (..., {num}), one value per parameter in "
            f"circuit.parameters order, got {arr.shape}"
        )
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"parameter value at index {tuple(int(i) for i in bad)} is not finite "
            f"({prog.parameters[int(bad[-1])].name})"
        )
    return arr.reshape(-1, num), arr.shape[:-1]


def choose_engine(
    engine: str, num_qubits: int, max_bond: int | None, dtype: Any, obs: Sequence[Observable]
) -> bool:
    """Whether to simulate densely: ``"statevector"`` always (refusing what it
    cannot do), ``"auto"`` for at most :data:`MAX_DENSE_QUBITS` qubits when the
    truncation could not cut anything (no ``max_bond``, or one at least
    ``2^(n/2)``), complex128, and every observable a Pauli sum.

    Raises
    ------
    ValueError
        An unknown engine, or ``"statevector"`` for an MPO observable or more
        than 30 qubits.
    """
    if engine not in ("auto", "mps", "statevector"):
        raise ValueError(f"engine must be 'auto', 'mps' or 'statevector', got {engine!r}")
    if engine == "mps":
        return False
    paulis = all(o.terms is not None for o in obs)
    if engine == "statevector":
        if not paulis:
            raise ValueError("engine='statevector' takes Pauli-sum observables, not MPOs")
        if num_qubits > 30:
            raise ValueError(f"engine='statevector' holds at most 30 qubits, not {num_qubits}")
        return True
    exact = max_bond is None or max_bond >= 2 ** (num_qubits // 2)
    return num_qubits <= MAX_DENSE_QUBITS and exact and paulis and np.dtype(dtype) == np.complex128


@dataclass(frozen=True)
class Expectation:
    """Expectation values over a batch of parameter points.

    ``np.asarray(result)`` is :attr:`values`.
    """

    #: ``(..., n_obs)`` for a list of observables, ``(...)`` for a single one;
    #: float64 when every observable is Hermitian (real coefficients), else complex.
    values: np.ndarray
    #: ``(...)``: each point's fidelity estimate (the product of kept weights).
    fidelity: np.ndarray
    #: ``(...)``: the largest bond each point's state reached (0 on the dense engine).
    max_bond: np.ndarray
    #: ``"mps"`` or ``"statevector"``: the engine that ran.
    engine: str = "mps"

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of :attr:`values`."""
        return tuple(self.values.shape)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        return self.values if dtype is None else self.values.astype(dtype)

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, key: Any) -> Any:
        return self.values[key]


def _point(
    prog: CompiledCircuit,
    obs: list[Observable],
    dense: bool,
    options: dict[str, Any],
    row: np.ndarray,
) -> tuple[np.ndarray, float, int]:
    """Every observable at one parameter point: values, fidelity, bond reached."""
    if dense:
        d = DenseState(prog.num_qubits)
        d.run(prog, 0, len(prog), prog.bind(row) if prog.parameters else None)
        return np.array([o.value(d) for o in obs]), 1.0, 0
    state = simulate(prog, params=row if prog.parameters else None, **options)
    vals = np.array([o.value(state) for o in obs], dtype=np.complex128)
    return vals, state.fidelity_estimate, state.max_bond_reached


def expectation(
    circuit: Circuit | CompiledCircuit,
    observables: Any,
    params: Mapping[Parameter | str, float] | npt.ArrayLike | None = None,
    *,
    max_bond: int | None = None,
    cutoff: float = SIMULATION_CUTOFF,
    cutoff_mode: CutoffMode = "rsum2",
    dtype: Any = "complex128",
    routing: Routing = "auto",
    engine: Engine = "auto",
    executor: Any = None,
    progress: bool = False,
) -> Expectation:
    """Expectation values of observables at many parameter points.

    The circuit compiles once; each point refills only the parametrized gates'
    matrices, runs the compiled gates, and evaluates every observable on the
    final state (normalized by its norm).

    Parameters
    ----------
    circuit : Circuit or CompiledCircuit
        The circuit, parametrized or not (final measurements are ignored).
    observables
        One observable or a list of them: Pauli strings (``"Z0 Z1"``), dicts
        ``{string: coefficient}``, lists of ``(coefficient, string)`` pairs, or
        :class:`~tensorbond.MPO` objects.
    params : array_like or mapping, optional
        Shape ``(..., P)``, one row per point in ``circuit.parameters`` order,
        or a ``{parameter or name: value}`` mapping for one point.
    max_bond, cutoff, cutoff_mode, dtype, routing
        As for :func:`~tensorbond.simulate`.
    engine : {"auto", "mps", "statevector"}
        ``"auto"`` simulates a dense state vector where that is exact and
        cheaper (see :func:`choose_engine`), else the MPS.
    executor : None, int, Executor, dask Client or str
        Where the points run (see :func:`tensorbond.map`); results are the same
        on any executor.
    progress : bool
        A progress bar over completed points.

    Returns
    -------
    Expectation
        ``values`` of shape ``(..., n_obs)`` (``(...)`` for one observable), and
        ``fidelity`` and ``max_bond`` of shape ``(...)``.

    Raises
    ------
    ValueError
        Missing, superfluous or non-finite parameter values, a parameter array
        of the wrong width, an observable on a qubit the circuit lacks.

    Examples
    --------
    >>> import numpy as np, tensorbond as tb
    >>> t = tb.Parameter("t")
    >>> circ = tb.Circuit(1).ry(t, 0)
    >>> res = tb.expectation(circ, ["Z0", "X0"], np.array([[0.0], [np.pi / 2]]))
    >>> np.round(res.values, 12) + 0.0
    array([[1., 0.],
           [0., 1.]])
    """
    prog = circuit if isinstance(circuit, CompiledCircuit) else compile_circuit(circuit)
    obs, single = as_observables(observables, prog.num_qubits)
    rows, batch = parameter_points(prog, params)
    real = all(o.real for o in obs)
    values = np.empty((rows.shape[0], len(obs)), dtype=np.complex128)
    fidelity = np.empty(rows.shape[0])
    bonds = np.empty(rows.shape[0], dtype=np.int64)
    options: dict[str, Any] = {
        "max_bond": max_bond,
        "cutoff": cutoff,
        "cutoff_mode": cutoff_mode,
        "dtype": dtype,
        "routing": routing,
    }
    dense = choose_engine(engine, prog.num_qubits, max_bond, dtype, obs)
    one = functools.partial(_point, prog, obs, dense, options)
    for i, (vals, fid, bond) in enumerate(
        parallel_map(
            one,
            list(rows),
            executor=executor,
            progress=progress,
            desc="points",
            index_errors=executor is not None,
        )
    ):
        values[i], fidelity[i], bonds[i] = vals, fid, bond
    out = values.real.copy() if real else values
    shape = batch if single else (*batch, len(obs))
    return Expectation(
        out.reshape(shape),
        fidelity.reshape(batch),
        bonds.reshape(batch),
        "statevector" if dense else "mps",
    )
