"""Circuits to and from qiskit.

qiskit is optional: each function imports it on use and raises an
ImportError that says how to install it.

Qubit order: tensorbond's qubit ``i`` is qiskit's qubit ``i`` and quimb's site
``i``. qiskit orders a unitary's qubits least significant first, tensorbond
most significant first, so explicit unitaries are passed with reversed qubit
lists in both directions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ir.gates import GATES
from ..ir.operations import Condition, Operation, Program
from ..ir.parameters import Parameter, ParameterExpression, parameters_of

__all__ = ["MAX_DEFINITION_DEPTH", "circuit_to_qiskit", "program_from_qiskit"]

# qiskit name -> tensorbond name, where they differ
_FROM_QISKIT = {
    "cx": "cx",
    "u": "u3",
    "p": "u1",
    "cp": "cu1",
    "cphase": "cu1",
    "i": "id",
    "ccx": "ccx",
    "mcx": "ccx",
}
_TO_QISKIT = {"u3": "u", "u1": "p", "cu1": "cp", "id": "id", "CX": "cx", "U": "u", "cphase": "cp"}


def _qiskit() -> Any:
    try:
        import qiskit
    except ImportError as exc:
        raise ImportError("this conversion needs qiskit: pip install qiskit") from exc
    return qiskit


def circuit_to_qiskit(circuit: Any) -> Any:
    """A ``qiskit.QuantumCircuit`` with the same gates, registers, measurements,
    resets, barriers and ``if (creg == n)`` conditions (as ``if_test`` blocks).

    Parameters
    ----------
    circuit : tensorbond.Circuit or Program
        Anything with ``num_qubits``, ``num_clbits``, ``qregs``, ``cregs``,
        ``global_phase`` and its operations in order (``operations``).

    Returns
    -------
    qiskit.QuantumCircuit

    Raises
    ------
    ValueError
        A condition on bits that are not one register of the circuit.
    """
    qiskit = _qiskit()
    from qiskit.circuit import ClassicalRegister, QuantumRegister
    from qiskit.circuit.library import UnitaryGate, get_standard_gate_name_mapping

    std = get_standard_gate_name_mapping()
    qregs = sorted(circuit.qregs.items(), key=lambda kv: kv[1][0])
    if qregs and sum(n for _, (_, n) in qregs) == circuit.num_qubits:
        qrs = [QuantumRegister(n, name) for name, (_, n) in qregs]
    else:
        qrs = [QuantumRegister(circuit.num_qubits, "q")]
    cregs = sorted(circuit.cregs.items(), key=lambda kv: kv[1][0])
    if cregs and sum(n for _, (_, n) in cregs) == circuit.num_clbits:
        crs = [ClassicalRegister(n, name) for name, (_, n) in cregs]
    else:
        crs = [ClassicalRegister(circuit.num_clbits, "c")] if circuit.num_clbits else []
    qc = qiskit.QuantumCircuit(*qrs, *crs, global_phase=circuit.global_phase)
    by_name = {r.name: r for r in crs}
    to_q = _qiskit_parameters(circuit.operations)

    def add(op: Operation) -> None:
        if op.kind == "measure":
            qc.measure(list(op.qubits), list(op.clbits))
        elif op.kind == "reset":
            qc.reset(list(op.qubits))
        elif op.kind == "barrier":
            qc.barrier(list(op.qubits))
        else:
            name = _TO_QISKIT.get(op.name, op.name)
            g = std.get(name) if op.matrix is None else None
            if g is not None and len(g.params) == len(op.params) and g.num_qubits == len(op.qubits):
                qc.append(type(g)(*(to_q(p) for p in op.params)), list(op.qubits))
            else:
                qc.append(UnitaryGate(np.array(op.unitary())), list(reversed(op.qubits)))

    for op in circuit.operations:
        cond = op.condition
        if cond is None:
            add(op)
            continue
        reg = by_name.get(cond.register)
        if reg is not None and [qc.find_bit(b).index for b in reg] == list(cond.clbits):
            target: Any = reg
        elif len(cond.clbits) == 1:
            target = qc.clbits[cond.clbits[0]]
        else:
            raise ValueError(f"condition on bits {cond.clbits} is not a register of the circuit")
        with qc.if_test((target, cond.value)):
            add(op)
    return qc


def _qiskit_parameters(ops: Any) -> Any:
    """A function taking our gate parameters to qiskit's: one qiskit Parameter per
    parameter, and our vectors' elements as elements of qiskit ParameterVectors."""
    from qiskit.circuit import Parameter as QParameter
    from qiskit.circuit import ParameterVector as QVector

    ours = {p: None for op in ops for p in parameters_of(op.params)}
    sizes: dict[str, int] = {}
    for p in ours:
        if p.vector is not None:
            sizes[p.vector] = max(sizes.get(p.vector, 0), p.index + 1)
    vectors = {name: QVector(name, n) for name, n in sizes.items()}
    table = {
        p: vectors[p.vector][p.index] if p.vector is not None else QParameter(p.name) for p in ours
    }

    def convert(value: Any) -> Any:
        if isinstance(value, Parameter):
            return table[value]
        if isinstance(value, ParameterExpression):
            out: Any = value.constant
            for p, c in value.terms.items():
                out = out + c * table[p]
            return out
        return value

    return convert


#: How deep ``circuit_from_qiskit`` follows instructions' definitions.
MAX_DEFINITION_DEPTH = 64


def _standard_classes() -> dict[str, type[Any]]:
    """qiskit's standard gate name -> its class (the only gates trusted by name)."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    return {name: type(g) for name, g in get_standard_gate_name_mapping().items()}


def _is_standard(op: Any, classes: dict[str, type[Any]]) -> bool:
    """``op`` is qiskit's own standard gate of its name: the exact class, with
    the default (all ones) control state; a user gate that merely borrows the
    name is not."""
    cls = classes.get(op.name)
    if cls is None or type(op) is not cls:
        return False
    ctrl = getattr(op, "ctrl_state", None)
    return ctrl is None or ctrl == (1 << op.num_ctrl_qubits) - 1


def program_from_qiskit(qc: Any) -> Program:
    """The :class:`~tensorbond.ir.operations.Program` of a ``qiskit.QuantumCircuit``
    (:meth:`tensorbond.Circuit.from_qiskit` checks and holds it).

    qiskit's own standard gates (checked by class, not by name) become the
    built-in gates of the same meaning. Any other instruction on up to three
    qubits whose matrix qiskit can compute becomes an explicit unitary; the
    rest (more qubits, or definitions with resets) are expanded through their
    ``definition``, recursively, up to :data:`MAX_DEFINITION_DEPTH` levels.
    The circuit's and definitions' global phases are kept. ``delay`` and
    ``barrier`` act as the identity. ``if_test`` blocks become conditions on
    every operation inside; an else block on one bit becomes the opposite
    condition.

    Parameters
    ----------
    qc : qiskit.QuantumCircuit
        The circuit; its qubit ``i`` becomes qubit ``i``, its classical bits
        keep their indices and its registers their names.

    Returns
    -------
    Program
        Not yet checked: pass it to :meth:`tensorbond.Circuit.from_program`.

    Raises
    ------
    NotImplementedError
        Instructions tensorbond cannot represent (named): an else branch on a
        whole register, nested or expression conditions, loops and other
        control flow; classical registers that share bits or are not contiguous.
    ValueError
        Gates with unbound parameters; an instruction with neither a matrix
        (up to three qubits) nor a definition; definitions nested deeper than
        :data:`MAX_DEFINITION_DEPTH`.
    """
    _qiskit()
    from qiskit.circuit import ControlFlowOp
    from qiskit.circuit.library import MCXGate

    classes = _standard_classes()
    prog = Program(qc.num_qubits)
    ops = prog.operations
    for reg in qc.qregs:
        prog.qregs[reg.name] = (qc.find_bit(reg[0]).index if len(reg) else 0, len(reg))
    in_registers = {qc.find_bit(b).index for reg in qc.cregs for b in reg}
    for reg in qc.cregs:
        first = qc.find_bit(reg[0]).index if len(reg) else prog.num_clbits
        if first > prog.num_clbits and not (in_registers & set(range(prog.num_clbits, first))):
            prog.num_clbits = first  # loose bits declared before this register
        start = prog.num_clbits
        prog.cregs[reg.name] = (start, len(reg))
        prog.num_clbits += len(reg)
        if [qc.find_bit(b).index for b in reg] != list(range(start, start + len(reg))):
            raise NotImplementedError(
                f"classical register {reg.name!r} shares bits with another register or "
                "is not contiguous"
            )
    if prog.num_clbits < qc.num_clbits:  # loose classical bits after the registers
        prog.num_clbits = qc.num_clbits

    symbols: dict[Any, Parameter] = {}  # qiskit Parameter -> ours

    def symbol(p: Any) -> Parameter:
        ours = symbols.get(p)
        if ours is None:
            vec = getattr(p, "vector", None)
            ours = (
                Parameter(p.name, vector=vec.name, index=int(p.index))
                if vec is not None
                else Parameter(p.name)
            )
            symbols[p] = ours
        return ours

    def float_params(op: Any) -> list[Any] | None:
        params: list[Any] = []
        for p in op.params:
            if getattr(p, "parameters", None):
                params.append(affine(p, op.name))
                continue
            try:
                params.append(float(p))
            except (TypeError, ValueError):
                return None  # e.g. a matrix or complex parameter
        return params

    def affine(expr: Any, gate: str) -> ParameterExpression:
        """A qiskit ParameterExpression as ours, if it is affine."""
        free = list(expr.parameters)
        terms: dict[Parameter, float] = {}
        for p in free:
            d = expr.gradient(p)
            if getattr(d, "parameters", None):
                raise ValueError(
                    f"qiskit gate {gate!r} has the parameter expression {expr}, which is not "
                    "affine in its parameters; tensorbond keeps sums of parameters times "
                    "numbers (bind this one first: qc.assign_parameters)"
                )
            terms[symbol(p)] = float(complex(d).real)
        const = expr.bind(dict.fromkeys(free, 0.0))
        return ParameterExpression(terms, float(complex(const).real))

    def phase(phi: Any, what: str) -> float:
        if getattr(phi, "parameters", None):
            raise ValueError(
                f"{what} has a global phase with unbound parameters "
                f"{sorted(str(x) for x in phi.parameters)}; bind them "
                "(qc.assign_parameters) first"
            )
        return float(phi)

    def add_unitary(m: np.ndarray, qs: list[int], cond: Condition | None) -> None:
        # qiskit's matrices are least significant qubit first: reverse the list.
        m = np.array(m, dtype=np.complex128)
        m.setflags(write=False)
        ops.append(Operation("gate", "unitary", tuple(reversed(qs)), condition=cond, matrix=m))

    def add_phase(phi: float, qs: list[int], cond: Condition | None) -> None:
        phi = float(phi)
        if phi == 0.0:
            return
        if cond is None:
            prog.global_phase += phi
        else:  # a phase on one branch only: e^{i phi} I on some qubit, conditioned
            add_unitary(np.exp(1j * phi) * np.eye(2, dtype=np.complex128), qs[:1] or [0], cond)

    def matrix(op: Any, nq: int) -> np.ndarray | None:
        """qiskit's matrix of ``op`` (computed through its definition where the
        instruction has no ``to_matrix``), or None."""
        if nq > 3 or nq < 1:
            return None
        try:
            m = op.to_matrix() if hasattr(op, "to_matrix") else None
        except Exception:
            m = None
        if m is None and getattr(op, "definition", None) is not None:
            from qiskit.quantum_info import Operator

            try:
                m = Operator(op).data
            except Exception:
                m = None
        if m is None:
            return None
        m = np.asarray(m, dtype=np.complex128)
        return m if m.shape == (1 << nq, 1 << nq) else None

    def condition(cond: Any, cmap: dict[Any, int]) -> Condition:
        if not (isinstance(cond, tuple) and len(cond) == 2):
            raise NotImplementedError(
                f"if_test on a classical expression ({cond}); tensorbond "
                "conditions compare a register or a bit with a value"
            )
        target, value = cond
        if hasattr(target, "_bits") or hasattr(target, "size"):  # a register
            bits = tuple(cmap[b] for b in target)
            return Condition(bits, int(value), target.name)
        return Condition((cmap[target],), int(value), "")

    def convert(
        body: Any,
        qmap: dict[Any, int],
        cmap: dict[Any, int],
        cond: Condition | None,
        depth: int,
        path: tuple[str, ...],
    ) -> None:
        """Append ``body``'s instructions; ``qmap``/``cmap`` send its bits to
        the top circuit's indices."""
        for ins in body.data:
            op = ins.operation
            qs = [qmap[q] for q in ins.qubits]
            cs = [cmap[c] for c in ins.clbits]
            name = op.name
            if name == "if_else":
                if cond is not None:
                    raise NotImplementedError("nested if_test blocks")
                test = condition(op.condition, cmap)
                branches = [(op.params[0], test)]
                if op.params[1] is not None:
                    if len(test.clbits) != 1:
                        raise NotImplementedError(
                            "if_else with an else branch on a whole register (tensorbond "
                            "conditions test equality; on one bit the else is the other value)"
                        )
                    branches.append(
                        (op.params[1], Condition(test.clbits, 1 - test.value, test.register))
                    )
                for block, c in branches:
                    convert(
                        block,
                        dict(zip(block.qubits, qs, strict=True)),
                        dict(zip(block.clbits, cs, strict=True)),
                        c,
                        depth,
                        path,
                    )
                continue
            if name == "box":  # a scope, no effect of its own
                block = op.blocks[0]
                convert(
                    block,
                    dict(zip(block.qubits, qs, strict=True)),
                    dict(zip(block.clbits, cs, strict=True)),
                    cond,
                    depth,
                    path,
                )
                continue
            if isinstance(op, ControlFlowOp):
                raise NotImplementedError(
                    f"qiskit control flow {name!r} (tensorbond supports if_test blocks only)"
                )
            if name == "measure":
                ops.append(
                    Operation("measure", "measure", tuple(qs), clbits=tuple(cs), condition=cond)
                )
                continue
            if name == "reset":
                ops.append(Operation("reset", "reset", tuple(qs), condition=cond))
                continue
            if name == "barrier" and not cs:
                if cond is None and qs:
                    ops.append(Operation("barrier", "barrier", tuple(qs)))
                continue
            if name == "delay" and not cs:
                continue  # the identity
            params = float_params(op)
            if name == "global_phase" and not qs and params is not None and len(params) == 1:
                add_phase(params[0], qs, cond)
                continue
            if not cs:
                tb_name = _FROM_QISKIT.get(name, name)
                spec = GATES.get(tb_name)
                standard = _is_standard(op, classes) or (
                    name == "mcx" and type(op) is MCXGate and op.num_ctrl_qubits == 2
                )
                if (
                    standard
                    and spec is not None
                    and params is not None
                    and spec.num_qubits == len(qs)
                    and spec.num_params == len(params)
                ):
                    ops.append(Operation("gate", tb_name, tuple(qs), tuple(params), condition=cond))
                    continue
                m = matrix(op, len(qs))
                if m is not None:
                    add_unitary(m, qs, cond)
                    continue
            names = list(reversed(path))
            if len(names) > 4:
                names = [*names[:2], f"... {len(names) - 3} more", names[-1]]
            where = " inside ".join(names) if names else "the circuit"
            defn = getattr(op, "definition", None)
            if defn is None:
                raise ValueError(
                    f"qiskit instruction {name!r} on {len(qs)} qubit(s) (in "
                    f"{where}) has neither a matrix (up to 3 qubits) nor a "
                    "definition; tensorbond cannot simulate it"
                )
            if depth >= MAX_DEFINITION_DEPTH:
                raise ValueError(
                    f"qiskit instruction {name!r} (in {where}) is defined more "
                    f"than {MAX_DEFINITION_DEPTH} levels deep; tensorbond stops "
                    "expanding definitions there"
                )
            if len(defn.qubits) != len(qs) or len(defn.clbits) != len(cs):
                raise ValueError(
                    f"qiskit instruction {name!r}'s definition has "
                    f"{len(defn.qubits)} qubit(s) and {len(defn.clbits)} "
                    f"clbit(s), the instruction {len(qs)} and {len(cs)}"
                )
            what = f"qiskit instruction {name!r}'s definition"
            add_phase(phase(defn.global_phase, what), qs, cond)
            convert(
                defn,
                dict(zip(defn.qubits, qs, strict=False)),
                dict(zip(defn.clbits, cs, strict=False)),
                cond,
                depth + 1,
                (*path, name),
            )

    prog.global_phase = phase(qc.global_phase, "the qiskit circuit")
    convert(
        qc,
        {q: i for i, q in enumerate(qc.qubits)},
        {c: i for i, c in enumerate(qc.clbits)},
        None,
        0,
        (),
    )
    return prog
