"""Run a circuit on a matrix product state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from .circuit import Circuit, Operation
from .errors import NotImplementedError as TbNotImplementedError
from .memory import check_allocation, format_bytes
from ._validate import as_count
from .mps import MPS, _as_dtype
from .truncation import CutoffMode, Truncation

Routing = Literal["auto", "swap", "mpo", "lazy"]

__all__ = ["CompiledCircuit", "compile_circuit", "simulate"]


class CompiledCircuit:
    """A circuit's gates as flat arrays for the compiled simulator.

    ``qubits[k, :arity[k]]`` are gate k's qubits and its ``2^a x 2^a`` matrix
    starts at ``matrices[offsets[k]]``; identical gates share one matrix.
    ``clbit_map`` records final measurements ``{clbit: qubit}``. The circuit's
    global phase becomes a first gate ``e^{i phi} I`` on qubit 0, exact and free.
    """

    def __init__(self, circuit: Circuit) -> None:
        ops = circuit.operations
        measured_at: dict[int, int] = {}
        self.clbit_map: dict[int, int] = {}
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
                self.clbit_map[op.clbits[0]] = op.qubits[0]
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
        if circuit.global_phase:
            phase = np.exp(1j * circuit.global_phase) * np.eye(2, dtype=np.complex128)
            gates.insert(0, Operation("gate", "unitary", (0,), matrix=phase))
        n = len(gates)
        self.num_qubits = circuit.num_qubits
        self.qubits = np.zeros((n, 3), dtype=np.int64)
        self.arity = np.zeros(n, dtype=np.int64)
        self.offsets = np.zeros(n, dtype=np.int64)
        cache: dict[tuple[str, tuple[float, ...]], int] = {}
        chunks: list[np.ndarray] = []
        size = 0
        for k, op in enumerate(gates):
            a = len(op.qubits)
            self.arity[k] = a
            self.qubits[k, :a] = op.qubits
            key = (op.name, op.params)
            off = cache.get(key) if op.matrix is None else None
            if off is None:
                m = op.unitary().ravel()
                off = size
                chunks.append(m)
                size += m.size
                if op.matrix is None:
                    cache[key] = off
            self.offsets[k] = off
        self.matrices = (
            np.ascontiguousarray(np.concatenate(chunks)) if chunks
            else np.zeros(1, dtype=np.complex128)
        )

    def __len__(self) -> int:
        return int(self.arity.shape[0])


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
    return CompiledCircuit(circuit)


def simulate(
    circuit: Circuit | CompiledCircuit,
    *,
    max_bond: int | None = None,
    cutoff: float = 1e-12,
    cutoff_mode: CutoffMode = "rsum2",
    renormalize: bool = False,
    dtype: Any = "complex128",
    initial_state: MPS | None = None,
    routing: Routing = "auto",
    progress: Callable[[int, int], None] | None = None,
    chunk: int = 512,
) -> MPS:
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
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk of gates.
    chunk : int
        Gates per compiled call when ``progress`` is given (>= 1).

    Returns
    -------
    MPS

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
    prog = circuit if isinstance(circuit, CompiledCircuit) else compile_circuit(circuit)
    trunc = Truncation(max_bond, cutoff, cutoff_mode, renormalize)
    step = as_count(chunk, "chunk", minimum=1)
    if routing not in ("auto", "swap", "mpo", "lazy"):
        raise ValueError(
            f"routing must be 'auto', 'swap', 'mpo' or 'lazy', got {routing!r}"
        )
    dt = _as_dtype(dtype)
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
    args = (*trunc._args(), routing)
    if progress is None:
        state._impl.run(prog.qubits, prog.arity, prog.offsets, prog.matrices, 0, total, *args)
        return state
    for start in range(0, total, step):
        stop = min(total, start + step)
        state._impl.run(prog.qubits, prog.arity, prog.offsets, prog.matrices, start, stop,
                        *args)
        progress(stop, total)
    return state
