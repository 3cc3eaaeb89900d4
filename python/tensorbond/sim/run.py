"""Shots of a circuit with mid-circuit measurement, reset, classical control and
noise: :func:`run`.

Shots are simulated as a tree of branches, never one trajectory per shot
unless they differ. All shots start together; where the circuit makes them
differ (a measurement outcome, a reset, a sampled Kraus operator, a readout
flip) the shots still in that branch are split by a binomial or multinomial
draw with the exact probabilities, and each non-empty child continues with its
own state and classical bits. A circuit whose only measurements are final is
therefore simulated once and sampled, a teleportation circuit costs two or
four branches whatever the shot count, and noisy shots share every prefix that
their noise draws share.

Memory stays bounded: the children of a split share the parent's state, copied
only for children other than the last, and the smallest child runs first, so at
most about ``log2(shots)`` parent states are alive at once.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from .._validate import as_count, as_generator, as_seed, as_state_dtype
from ..ir.operations import Condition, Operation
from ..parallel import map as parallel_map
from ..truncation import SIMULATION_CUTOFF, CutoffMode, GateOrder, Gauge, SplitMethod, Truncation
from .circuit import Circuit
from .compile import (
    CompiledCircuit,
    Routing,
    apply_matrix,
    apply_normalized,
    check_bound,
    local_density,
    run_gates,
)
from .mps import MAX_SAMPLE_BYTES, MPS
from .noise import Channel, NoiseModel, ReadoutError

__all__ = ["RunResult", "is_dynamic", "run"]

_P0 = np.array([[1, 0], [0, 0]], dtype=np.complex128)
_P1 = np.array([[0, 0], [0, 1]], dtype=np.complex128)
_RESET1 = np.array([[0, 1], [0, 0]], dtype=np.complex128)  # X P1: |1> -> |0>
_EYE2 = np.eye(2, dtype=np.complex128)


@dataclass
class RunResult:
    """Counts of the classical registers over all shots, and how they were made.

    Attributes
    ----------
    counts : dict of str to int
        Outcome -> shots. Keys follow OpenQASM (and qiskit): each register's bits
        with its highest bit on the left, registers separated by spaces, the first
        declared register on the right. So for ``measure q[i] -> c[i]`` qubit 0 is
        the *rightmost* character: the reverse of tensorbond's qubit order (qubit
        0 leftmost), which ``MPS.sample(...).counts()`` uses;
        ``counts(order="qiskit")`` there gives this order.
    shots : int
    memory : list of str or None
        One key per shot (``memory=True``), in random order.
    branches : int
        Distinct branches simulated (1 for a circuit without dynamic features or noise).
    fidelity_estimate : float
        Shot-weighted mean of the branches' fidelity estimates (truncation only).
    min_fidelity_estimate : float
        The worst branch's estimate.
    max_bond_reached : int
        Largest bond any branch reached.
    seconds : float
        Wall time of the run.
    registers : list of (str, int)
        The classical registers as they appear in the keys, left to right, with
        their sizes.
    """

    counts: dict[str, int]
    shots: int
    memory: list[str] | None = None
    branches: int = 1
    fidelity_estimate: float = 1.0
    min_fidelity_estimate: float = 1.0
    max_bond_reached: int = 1
    seconds: float = 0.0
    registers: list[tuple[str, int]] = field(default_factory=list)

    def probabilities(self) -> dict[str, float]:
        """Counts divided by the number of shots."""
        return {k: v / self.shots for k, v in self.counts.items()} if self.shots else {}

    def most_common(self, n: int = 10) -> list[tuple[str, int]]:
        """The ``n`` most frequent outcomes."""
        return Counter(self.counts).most_common(n)


# --------------------------------------------------------------- the program
@dataclass
class _Step:
    kind: str  # gates, gate, measure, reset, channel, final
    condition: Condition | None = None
    start: int = 0
    stop: int = 0
    op: Operation | None = None
    qubits: tuple[int, ...] = ()
    clbit: int = -1
    channel: Channel | None = None
    readout: ReadoutError | None = None
    finals: list[tuple[int, int, ReadoutError | None]] = field(default_factory=list)


def _program(circuit: Circuit, noise: NoiseModel | None) -> tuple[list[_Step], CompiledCircuit]:
    """Steps of the run; runs of unconditional, noiseless gates are compiled."""
    ops = circuit.operations
    # The tail of final measurements: from the last op that is not a measurement
    # or barrier (measured qubits untouched after), everything is sampled at once.
    tail = len(ops)
    while (
        tail > 0
        and ops[tail - 1].kind in ("measure", "barrier")
        and ops[tail - 1].condition is None
    ):
        tail -= 1
    compiled_ops: list[Operation] = []
    steps: list[_Step] = []

    def gate_step(op: Operation) -> None:
        if op.condition is None:
            if steps and steps[-1].kind == "gates" and steps[-1].stop == len(compiled_ops):
                steps[-1].stop += 1
            else:
                steps.append(_Step("gates", start=len(compiled_ops), stop=len(compiled_ops) + 1))
            compiled_ops.append(op)
        else:
            steps.append(_Step("gate", condition=op.condition, op=op))
        if noise:
            for ch, qs in noise.channels_after(op.name, op.qubits):
                steps.append(_Step("channel", condition=op.condition, channel=ch, qubits=qs))

    for i, op in enumerate(ops[:tail]):
        if op.kind == "gate":
            gate_step(op)
        elif op.kind == "measure":
            for q, c in zip(op.qubits, op.clbits, strict=True):
                steps.append(
                    _Step(
                        "measure",
                        condition=op.condition,
                        qubits=(q,),
                        clbit=c,
                        readout=noise.readout(q) if noise else None,
                    )
                )
        elif op.kind == "reset":
            for q in op.qubits:
                steps.append(_Step("reset", condition=op.condition, qubits=(q,)))
        elif op.kind != "barrier":  # pragma: no cover - Circuit allows no other kinds
            raise ValueError(f"operation {i} has unknown kind {op.kind!r}")
    finals = [
        (q, c, noise.readout(q) if noise else None)
        for op in ops[tail:]
        if op.kind == "measure"
        for q, c in zip(op.qubits, op.clbits, strict=True)
    ]
    steps.append(_Step("final", finals=finals))
    return steps, CompiledCircuit(circuit.num_qubits, compiled_ops)


def is_dynamic(circuit: Circuit) -> bool:
    """Whether shots of ``circuit`` can differ before the final measurements: a
    reset, a classically controlled operation, or a measured qubit used again."""
    measured: set[int] = set()
    for op in circuit.operations:
        if op.condition is not None or op.kind == "reset":
            return True
        if op.kind == "measure":
            measured.update(op.qubits)
        elif op.kind == "gate" and measured.intersection(op.qubits):
            return True
    return False


def _condition_holds(cond: Condition | None, clbits: np.ndarray) -> bool:
    if cond is None:
        return True
    value = 0
    for i, c in enumerate(cond.clbits):
        value |= int(clbits[c]) << i
    return value == cond.value


def _register_layout(circuit: Circuit) -> list[tuple[str, list[int]]]:
    """Groups of clbits for the count keys, in key order (left to right)."""
    covered = sorted(c for _, (s, n) in circuit.cregs.items() for c in range(s, s + n))
    if circuit.cregs and covered == list(range(circuit.num_clbits)):
        regs = sorted(circuit.cregs.items(), key=lambda kv: kv[1][0])
        return [(name, list(range(s + n - 1, s - 1, -1))) for name, (s, n) in reversed(regs)]
    return [("c", list(range(circuit.num_clbits - 1, -1, -1)))]


# ------------------------------------------------------------------ the run
class _Shared:
    """A parent state shared by the children of a split (copied for all but the last)."""

    __slots__ = ("refs", "state")

    def __init__(self, state: MPS, refs: int) -> None:
        self.state, self.refs = state, refs

    def take(self) -> MPS:
        self.refs -= 1
        return self.state if self.refs == 0 else self.state.copy()


Action = Callable[[MPS], MPS] | None


def _local(qubit: int, m: np.ndarray) -> Callable[[MPS], MPS]:
    def act(s: MPS) -> MPS:
        apply_normalized(s, qubit, m)
        return s

    return act


def _run_in_blocks(
    circuit: Circuit,
    shots: int,
    seed: Any,
    shot_block: int | None,
    executor: Any,
    progress: bool,
    options: dict[str, Any],
) -> RunResult:
    """``shots`` as seeded blocks on ``executor``, merged into one result."""
    t0 = time.perf_counter()
    size = (
        as_count(shot_block, "shot_block", minimum=1)
        if shot_block is not None
        else max(1000, -(-shots // 64))
    )
    blocks = [min(size, shots - start) for start in range(0, shots, size)]
    root = seed if seed is None or isinstance(seed, (int, np.integer)) else as_seed(seed)
    if root is None:
        root = as_seed(None)  # fresh entropy, then spawned as for a given seed
    one = functools.partial(_block, circuit, options)
    parts: list[RunResult] = parallel_map(
        one, blocks, executor=executor, seed=root, progress=progress, desc="shot blocks"
    )
    counts: Counter[str] = Counter()
    for part in parts:
        counts.update(part.counts)
    memory = [m for part in parts for m in (part.memory or [])] if options["memory"] else None
    return RunResult(
        counts=dict(counts),
        shots=shots,
        memory=memory,
        branches=sum(p.branches for p in parts),
        fidelity_estimate=sum(p.fidelity_estimate * p.shots for p in parts) / shots,
        min_fidelity_estimate=min(p.min_fidelity_estimate for p in parts),
        max_bond_reached=max(p.max_bond_reached for p in parts),
        seconds=time.perf_counter() - t0,
        registers=parts[0].registers,
    )


def _block(circuit: Circuit, options: dict[str, Any], shots: int, *, seed: int) -> RunResult:
    """One shot block (a module-level function: it travels to workers)."""
    return run(circuit, shots, seed=seed, **options)


@overload
def run(
    circuit: Circuit,
    shots: int = ...,
    *,
    seed: int | np.random.Generator | None = ...,
    noise: NoiseModel | None = ...,
    max_bond: int | None = ...,
    cutoff: float = ...,
    cutoff_mode: CutoffMode = ...,
    dtype: Any = ...,
    routing: Routing = ...,
    split: SplitMethod = ...,
    gauge: Gauge = ...,
    order: GateOrder = ...,
    memory: bool = ...,
    executor: Any = ...,
    progress: bool = ...,
    shot_block: int | None = ...,
) -> RunResult: ...
@overload
def run(
    circuit: Sequence[Circuit],
    shots: int = ...,
    *,
    seed: int | np.random.Generator | None = ...,
    noise: NoiseModel | None = ...,
    max_bond: int | None = ...,
    cutoff: float = ...,
    cutoff_mode: CutoffMode = ...,
    dtype: Any = ...,
    routing: Routing = ...,
    split: SplitMethod = ...,
    gauge: Gauge = ...,
    order: GateOrder = ...,
    memory: bool = ...,
    executor: Any = ...,
    progress: bool = ...,
    shot_block: int | None = ...,
) -> list[RunResult]: ...
def run(
    circuit: Circuit | Sequence[Circuit],
    shots: int = 1024,
    *,
    seed: int | np.random.Generator | None = None,
    noise: NoiseModel | None = None,
    max_bond: int | None = None,
    cutoff: float = SIMULATION_CUTOFF,
    cutoff_mode: CutoffMode = "rsum2",
    dtype: Any = "complex128",
    routing: Routing = "auto",
    split: SplitMethod = "auto",
    gauge: Gauge = "canonical",
    order: GateOrder = "sweep",
    memory: bool = False,
    executor: Any = None,
    progress: bool = False,
    shot_block: int | None = None,
) -> RunResult | list[RunResult]:
    """Run ``shots`` shots of ``circuit`` and count its classical registers.

    Mid-circuit measurement (outcomes drawn from the state, which collapses and
    is renormalized), ``reset``, ``if (creg == n)`` on gates, measurements and
    resets, and noise by quantum trajectories are all supported. Shots are
    simulated as branches that split only where they differ (see the module
    docstring): a circuit whose measurements are all final is simulated once
    and sampled.

    Parameters
    ----------
    circuit : Circuit
        The circuit, with its classical registers.
    shots : int
        Number of shots (>= 0), at most ``2**34`` bytes of outcomes: ``shots``
        times the larger of the qubit and classical bit counts.
    seed : int or numpy.random.Generator, optional
        Seed of every random draw (outcomes, Kraus operators, readout flips).
    noise : NoiseModel, optional
        Channels after gates and readout errors.
    max_bond, cutoff, cutoff_mode
        Truncation of every branch, as for :func:`tensorbond.simulate`.
    dtype : {"complex128", "complex64"}
    routing : {"auto", "swap", "mpo", "lazy"}
    split : {"svd", "eig", "rand", "qr", "auto"}
        How truncated splits factorize, as for :func:`tensorbond.simulate`.
    gauge : {"canonical", "vidal"}
        How the state's gauge is kept, as for :func:`tensorbond.simulate`.
    order : {"sweep", "circuit"}
        The order commuting gates run in, as for :func:`tensorbond.simulate`.
    memory : bool
        Also return one outcome per shot.
    executor : None, int, Executor, dask Client or str
        For a list of circuits: where they run (see :func:`tensorbond.map`);
        each circuit's seed is spawned from ``seed`` by its index, so the counts
        are the same on any executor.
    progress : bool
        A progress bar over completed circuits (a list) or shot blocks.
    shot_block : int, optional
        With an ``executor``, a noisy or dynamic circuit's shots are split into
        blocks of this many (default: ``shots / 64``, at least 1,000), each run
        with its own seed spawned from ``seed`` by the block's index, and merged
        into one result: the same counts on any executor or worker count. A
        circuit whose measurements are all final is simulated once and sampled,
        never split.

    Returns
    -------
    RunResult
        (a list of them, in order, for a list of circuits)
        Its ``counts`` keys are in OpenQASM/qiskit bit order (first clbit
        rightmost), unlike ``MPS.sample(...).counts()`` (qubit 0 leftmost).

    Raises
    ------
    TypeError, ValueError
        Bad shots (too many for one call, see above), seed (a negative int) or
        options.
    IndexError
        A noise rule on a qubit outside the circuit.

    Examples
    --------
    >>> import tensorbond as tb
    >>> c = tb.Circuit(2, num_clbits=2).h(0).measure(0, 0)
    >>> c = c.append("x", [1], condition=tb.Condition((0,), 1)).measure(1, 1)
    >>> sorted(tb.run(c, shots=100, seed=1).counts)
    ['00', '11']
    """
    if isinstance(circuit, (list, tuple)):
        one = functools.partial(
            run,
            shots=shots,
            noise=noise,
            max_bond=max_bond,
            cutoff=cutoff,
            cutoff_mode=cutoff_mode,
            dtype=dtype,
            routing=routing,
            split=split,
            gauge=gauge,
            order=order,
            memory=memory,
        )
        # An int seeds the batch as it is (item i gets tb.child_seeds(seed, n)[i]);
        # a Generator gives one draw to spawn from.
        root = seed if seed is None or isinstance(seed, (int, np.integer)) else as_seed(seed)
        return parallel_map(
            one,
            circuit,
            executor=executor,
            seed=root,
            progress=progress,
            index_errors=executor is not None,
        )
    t0 = time.perf_counter()
    if not isinstance(circuit, Circuit):
        raise TypeError(f"expected a tensorbond.Circuit, got {type(circuit).__name__}")
    shots = as_count(shots, "shots")
    width = max(1, circuit.num_qubits, circuit.num_clbits)
    if shots * width > MAX_SAMPLE_BYTES:
        raise ValueError(
            f"shots={shots} of a circuit of {circuit.num_qubits} qubits and "
            f"{circuit.num_clbits} classical bits need {shots * width / 2**30:.3g} GiB of "
            f"outcomes; run at most {MAX_SAMPLE_BYTES // width} shots per call"
        )
    if shot_block is not None:
        as_count(shot_block, "shot_block", minimum=1)
    if executor is not None and shots > 1 and (noise is not None or is_dynamic(circuit)):
        return _run_in_blocks(
            circuit,
            shots,
            seed,
            shot_block,
            executor,
            progress,
            {
                "noise": noise,
                "max_bond": max_bond,
                "cutoff": cutoff,
                "cutoff_mode": cutoff_mode,
                "dtype": dtype,
                "routing": routing,
                "split": split,
                "gauge": gauge,
                "order": order,
                "memory": memory,
            },
        )
    rng = as_generator(seed)
    if noise is not None:
        if not isinstance(noise, NoiseModel):
            raise TypeError(f"noise must be a NoiseModel, got {type(noise).__name__}")
        noise.check(circuit.num_qubits)
    trunc = Truncation(max_bond, cutoff, cutoff_mode, False, split, gauge, order)
    if routing not in ("auto", "swap", "mpo", "lazy"):
        raise ValueError(f"routing must be 'auto', 'swap', 'mpo' or 'lazy', got {routing!r}")
    check_bound(circuit)
    steps, prog = _program(circuit, noise)
    layout = _register_layout(circuit)
    counts: Counter[str] = Counter()
    per_shot: list[str] = []
    stats = {"branches": 0, "fid": 0.0, "min_fid": 1.0, "bond": 1}

    def key_rows(bits: np.ndarray) -> list[str]:
        cols = [c for _, group in layout for c in group]
        text = bits[:, cols].astype(np.uint8) + ord("0")
        out = [row.tobytes().decode() for row in np.ascontiguousarray(text)]
        if len(layout) > 1:
            cuts = np.cumsum([len(g) for _, g in layout])[:-1]
            out = [
                " ".join(s[a:b] for a, b in zip([0, *cuts], [*cuts, len(s)], strict=True))
                for s in out
            ]
        return out

    def finish(state: MPS, step: _Step, clbits: np.ndarray, k: int) -> None:
        stats["branches"] += 1
        stats["fid"] += k * state.fidelity_estimate
        stats["min_fid"] = min(stats["min_fid"], state.fidelity_estimate)
        stats["bond"] = max(stats["bond"], state.max_bond_reached)
        bits = np.repeat(clbits[None, :], k, axis=0)
        if step.finals:
            sampled = np.asarray(state.sample(k, seed=rng).bits)
            for q, c, ro in step.finals:
                col = sampled[:, q].copy()
                if ro is not None:
                    flip_p = np.where(col == 0, ro.p01, ro.p10)
                    col ^= (rng.random(k) < flip_p).astype(col.dtype)
                bits[:, c] = col
        keys = key_rows(bits)
        counts.update(keys)
        if memory:
            per_shot.extend(keys)

    def children(
        state: MPS, step: _Step, clbits: np.ndarray, k: int
    ) -> list[tuple[Action, np.ndarray, int]]:
        """The non-empty branches a splitting step makes: (action, clbits, shots)."""
        if step.kind in ("measure", "reset"):
            q = step.qubits[0]
            rho = local_density(state, q)
            p1 = min(max(float(rho[1, 1].real), 0.0), 1.0)
            k1 = int(rng.binomial(k, p1))
            out: list[tuple[Action, np.ndarray, int]] = []
            for outcome, ko in ((0, k - k1), (1, k1)):
                if ko == 0:
                    continue
                if step.kind == "reset":
                    out.append((_local(q, _RESET1 if outcome else _P0), clbits, ko))
                    continue
                act = _local(q, _P1 if outcome else _P0)
                flips = (
                    int(rng.binomial(ko, step.readout.flip_probability(outcome)))
                    if step.readout is not None
                    else 0
                )
                for read, kr in ((outcome, ko - flips), (1 - outcome, flips)):
                    if kr:
                        cb = clbits.copy()
                        cb[step.clbit] = read
                        out.append((act, cb, kr))
            return out
        ch = step.channel
        assert ch is not None
        qs = step.qubits
        if ch.mixture is not None:
            probs = np.array([p for p, _ in ch.mixture])
            draws = rng.multinomial(k, probs / probs.sum())
            out = []
            for (_, u), kk in zip(ch.mixture, draws, strict=True):
                if kk == 0:
                    continue
                if np.allclose(u, u[0, 0] * np.eye(u.shape[0]), atol=1e-14):
                    out.append((None, clbits, int(kk)))  # identity (up to phase)
                elif len(qs) == 1:
                    out.append((_local(qs[0], u), clbits, int(kk)))
                else:

                    def act(s: MPS, u: np.ndarray = u) -> MPS:
                        apply_matrix(s, qs, u, trunc, routing)
                        return s

                    out.append((act, clbits, int(kk)))
            return out
        if len(qs) == 1:
            rho = local_density(state, qs[0])
            probs = np.array(
                [max(float(np.real(np.trace(m @ rho @ m.conj().T))), 0.0) for m in ch.kraus]
            )
            draws = rng.multinomial(k, probs / probs.sum())
            return [
                (_local(qs[0], m), clbits, int(kk))
                for m, kk in zip(ch.kraus, draws, strict=True)
                if kk
            ]
        # A general two-qubit channel: each operator's weight from a trial copy.
        trials = []
        for m in ch.kraus:
            t = state.copy()
            apply_matrix(t, qs, m, trunc, routing)
            trials.append(t)
        probs = np.array([t.norm() ** 2 for t in trials])
        draws = rng.multinomial(k, probs / probs.sum())
        out = []
        for t, kk in zip(trials, draws, strict=True):
            if kk:

                def take(_: MPS, t: MPS = t) -> MPS:
                    apply_normalized(t, qs[0], _EYE2)
                    return t

                out.append((take, clbits, int(kk)))
        return out

    dt = as_state_dtype(dtype)
    if shots > 0:
        stack: list[tuple[_Shared, Action, int, np.ndarray, int]] = [
            (
                _Shared(MPS(circuit.num_qubits, dtype=dt), 1),
                None,
                0,
                np.zeros(circuit.num_clbits, dtype=np.uint8),
                int(shots),
            )
        ]
        while stack:
            shared, action, i, clbits, k = stack.pop()
            state = shared.take()
            if action is not None:
                state = action(state)
            while True:
                step = steps[i]
                if step.kind == "final":
                    finish(state, step, clbits, k)
                    break
                i += 1
                if not _condition_holds(step.condition, clbits):
                    continue
                if step.kind == "gates":
                    run_gates(state, prog, step.start, step.stop, trunc, routing)
                    continue
                if step.kind == "gate":
                    assert step.op is not None
                    apply_matrix(state, step.op.qubits, step.op.unitary(), trunc, routing)
                    continue
                kids = children(state, step, clbits, k)
                if len(kids) == 1:
                    act, clbits, k = kids[0]
                    if act is not None:
                        state = act(state)
                    continue
                shared = _Shared(state, len(kids))
                # Largest pushed first, smallest on top: small children run first
                # and the largest takes the parent state without a copy.
                for act, cb, kk in sorted(kids, key=lambda c: -c[2]):
                    stack.append((shared, act, i, cb, kk))
                break
    result_memory = None
    if memory:
        shuffle = rng.permutation(len(per_shot))
        result_memory = [per_shot[j] for j in shuffle]
    return RunResult(
        counts=dict(counts),
        shots=int(shots),
        memory=result_memory,
        branches=int(stats["branches"]),
        fidelity_estimate=stats["fid"] / shots if shots else 1.0,
        min_fidelity_estimate=stats["min_fid"],
        max_bond_reached=int(stats["bond"]),
        seconds=time.perf_counter() - t0,
        registers=[(name, len(g)) for name, g in layout],
    )
