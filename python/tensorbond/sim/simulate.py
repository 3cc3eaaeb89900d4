"""Run a circuit on a matrix product state."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from .._validate import as_count, as_state_dtype
from ..ir.parameters import Parameter
from ..memory import check_allocation, format_bytes
from ..parallel import map as parallel_map
from ..truncation import SIMULATION_CUTOFF, CutoffMode, GateOrder, Gauge, SplitMethod, Truncation
from .circuit import Circuit
from .compile import CompiledCircuit, Routing, compile_circuit, run_gates
from .mps import MPS

__all__ = ["simulate"]


#: Bytes per site of an MPS beyond its tensor entries (vectors, bonds, layout).
_SITE_OVERHEAD = 96


def _check_fits(num_qubits: int, max_bond: int | None, dt: np.dtype) -> None:
    """Refuse a simulation whose state cannot exist in memory, before starting it.

    Two figures are certain: the product state it starts from, and one two-qubit
    gate at the requested bond (its (2 chi, 2 chi) matrix and the SVD's factors
    and workspace: about four such matrices). Without ``max_bond`` the bond is
    what the circuit's entanglement makes it, so only the first applies.
    """
    start = num_qubits * (2 * dt.itemsize + _SITE_OVERHEAD)
    check_allocation(start, f"the initial state of {num_qubits} qubits")
    if max_bond is None:
        return
    chi = max_bond if num_qubits >= 126 else min(max_bond, 2 ** (num_qubits // 2))
    gate = 4 * (2 * chi) ** 2 * dt.itemsize
    state = num_qubits * 2 * chi * chi * dt.itemsize
    check_allocation(
        gate,
        f"one two-qubit gate at max_bond={max_bond} (the state at that bond: up to "
        f"{format_bytes(state)})",
    )


@overload
def simulate(
    circuit: Circuit | CompiledCircuit,
    *,
    max_bond: int | None = ...,
    cutoff: float = ...,
    cutoff_mode: CutoffMode = ...,
    renormalize: bool = ...,
    dtype: Any = ...,
    initial_state: MPS | None = ...,
    routing: Routing = ...,
    split: SplitMethod = ...,
    gauge: Gauge = ...,
    order: GateOrder = ...,
    progress: Callable[[int, int], None] | None = ...,
    chunk: int = ...,
    params: Mapping[Parameter | str, float] | npt.ArrayLike | None = ...,
    executor: Any = ...,
) -> MPS: ...
@overload
def simulate(
    circuit: Sequence[Circuit | CompiledCircuit],
    *,
    max_bond: int | None = ...,
    cutoff: float = ...,
    cutoff_mode: CutoffMode = ...,
    renormalize: bool = ...,
    dtype: Any = ...,
    initial_state: MPS | None = ...,
    routing: Routing = ...,
    split: SplitMethod = ...,
    gauge: Gauge = ...,
    order: GateOrder = ...,
    progress: Callable[[int, int], None] | None = ...,
    chunk: int = ...,
    params: Mapping[Parameter | str, float] | npt.ArrayLike | None = ...,
    executor: Any = ...,
) -> list[MPS]: ...
def simulate(
    circuit: Circuit | CompiledCircuit | Sequence[Circuit | CompiledCircuit],
    *,
    max_bond: int | None = None,
    cutoff: float = SIMULATION_CUTOFF,
    cutoff_mode: CutoffMode = "rsum2",
    renormalize: bool = False,
    dtype: Any = "complex128",
    initial_state: MPS | None = None,
    routing: Routing = "auto",
    split: SplitMethod = "auto",
    gauge: Gauge = "canonical",
    order: GateOrder = "sweep",
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 512,
    params: Mapping[Parameter | str, float] | npt.ArrayLike | None = None,
    executor: Any = None,
) -> MPS | list[MPS]:
    """Simulate ``circuit`` as an MPS, truncating bonds with the given policy.

    Gates run in compiled code with the GIL released. Distant two-qubit and
    three-qubit gates are routed by swaps; all truncation happens at the
    orthogonality centre, so ``fidelity_estimate`` is the product of the kept
    weight fractions.

    Parameters
    ----------
    circuit : Circuit or CompiledCircuit
        The circuit; final measurements are recorded in ``MPS.clbit_map``.
    max_bond : int, optional
        Largest bond dimension (``None``: unlimited).
    cutoff : float
        Singular value cutoff, interpreted by ``cutoff_mode``.
    cutoff_mode : {"rsum2", "sum2", "rel", "abs"}
        See :mod:`tensorbond.truncation`.
    renormalize : bool
        Rescale after each truncation to keep the norm at 1.
    dtype : {"complex128", "complex64"}
        Scalar type of the state.
    initial_state : MPS, optional
        Start from a copy of this state instead of ``|0...0>``.
    routing : {"auto", "swap", "mpo", "lazy"}
        How gates on distant qubits are applied: ``"swap"`` swaps them next to
        each other and back (2d-1 truncated SVDs for distance d); ``"mpo"`` applies
        the gate as a small MPO over the span and compresses in one sweep (d SVDs);
        ``"lazy"`` swaps them next to each other and leaves them there (d SVDs),
        tracking which site holds which qubit (``MPS.layout``); ``"auto"`` is lazy
        for gates of operator Schmidt rank 4 (cswap, generic unitaries), and for
        gates of rank <= 2 (controlled gates, rzz, ccx) uses the MPO route, which keeps
        the layout, until every bond of the span has reached ``max_bond``, then
        lazy swaps; the choices measured in ``bench/bench_routing.py``. SWAP gates
        never move data: they relabel the layout.
    split : {"svd", "eig", "rand", "qr", "auto"}
        How truncated splits factorize (:data:`tensorbond.truncation.SplitMethod`):
        ``"auto"`` (the default) takes the cheapest route per shape; ``"svd"``
        is quimb's truncation to the last digit.
    gauge : {"canonical", "vidal"}
        How the state's gauge is kept (:data:`tensorbond.truncation.Gauge`):
        ``"canonical"`` (the default) truncates at an exact orthogonality
        centre; ``"vidal"`` keeps Schmidt values on every bond, so the disjoint
        adjacent gates of a layer run at once on :func:`tensorbond.set_num_threads`
        threads (brick circuits: ~2x on 2 cores), with TEBD's truncation and the
        same state for every thread count.
    order : {"sweep", "circuit"}
        The order commuting gates run in (:data:`tensorbond.truncation.GateOrder`):
        ``"sweep"`` (the default) takes a layer's disjoint adjacent pairs from the
        end nearest the orthogonality centre, sparing the centre's trip back
        across the chain; ``"circuit"`` keeps the circuit's order (quimb's
        truncated states to the last digit, with ``split="svd"``).
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk of gates.
    chunk : int
        Gates per compiled call when ``progress`` is given (>= 1).
    params : mapping or array_like, optional
        Values of the circuit's parameters (``{parameter or name: value}``, or
        an array in ``circuit.parameters`` order). With a
        :class:`CompiledCircuit` only the parametrized gates' matrices are
        rebuilt: compile once, then simulate at many points.
    executor : None, int, Executor, dask Client or str
        For a list of circuits: where they run (see :func:`tensorbond.map`);
        the states come back in order (they pickle exactly).

    Returns
    -------
    MPS
        (a list of them for a list of circuits)

    Raises
    ------
    NotImplementedError
        Reset, ``if`` and mid-circuit measurement (named).
    ValueError
        Bad truncation options, ``chunk < 1``, or an initial state of the wrong
        size or dtype.
    MemoryError
        Before anything runs, when the initial state or one two-qubit gate at
        ``max_bond`` needs more memory than is available (the message gives both).

    Examples
    --------
    >>> import tensorbond as tb
    >>> psi = tb.simulate(tb.Circuit(2).h(0).cx(0, 1))
    >>> round(psi.probability("11"), 12)
    0.5
    """
    if isinstance(circuit, (list, tuple)):
        if progress is not None:
            raise ValueError("progress= is per circuit; for a list of circuits use tb.map")
        one = functools.partial(
            simulate,
            max_bond=max_bond,
            cutoff=cutoff,
            cutoff_mode=cutoff_mode,
            renormalize=renormalize,
            dtype=dtype,
            initial_state=initial_state,
            routing=routing,
            split=split,
            gauge=gauge,
            order=order,
            chunk=chunk,
            params=params,
        )
        return parallel_map(one, circuit, executor=executor, index_errors=executor is not None)
    if isinstance(circuit, CompiledCircuit):
        prog = circuit
    elif isinstance(circuit, Circuit):
        prog = compile_circuit(circuit)
    else:
        raise TypeError(
            "expected a tensorbond.Circuit, a CompiledCircuit or a list of them, got "
            f"{type(circuit).__name__}"
        )
    if prog.parameters:
        if params is None:
            names = ", ".join(p.name for p in prog.parameters)
            raise ValueError(
                f"the circuit has unbound parameters {names}: pass params= or bind them "
                "first (circuit.bind)"
            )
        matrices: np.ndarray | None = prog.bind(params)
    elif params is not None:
        raise ValueError("params= given, but the circuit has no parameters")
    else:
        matrices = None
    trunc = Truncation(max_bond, cutoff, cutoff_mode, renormalize, split, gauge, order)
    step = as_count(chunk, "chunk", minimum=1)
    if routing not in ("auto", "swap", "mpo", "lazy"):
        raise ValueError(f"routing must be 'auto', 'swap', 'mpo' or 'lazy', got {routing!r}")
    dt = as_state_dtype(dtype)
    _check_fits(prog.num_qubits, trunc.max_bond, dt)
    if initial_state is not None:
        if initial_state.num_qubits != prog.num_qubits:
            raise ValueError(
                f"initial state has {initial_state.num_qubits} qubits, the circuit "
                f"{prog.num_qubits}"
            )
        if initial_state.dtype != dt:
            raise ValueError(f"initial state has dtype {initial_state.dtype}, asked for {dt}")
        state = initial_state.copy()
    else:
        state = MPS(prog.num_qubits, dtype=dt)
    state.clbit_map = dict(prog.clbit_map)
    total = len(prog)
    if progress is None:
        run_gates(state, prog, 0, total, trunc, routing, matrices)
        return state
    for start in range(0, total, step):
        stop = min(total, start + step)
        run_gates(state, prog, start, stop, trunc, routing, matrices)
        progress(stop, total)
    return state
