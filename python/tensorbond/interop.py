"""Conversions to and from qiskit circuits and quimb matrix product states.

Both libraries are optional: each function imports its library on use and
raises an ImportError that says how to install it.

Qubit order: tensorbond's qubit ``i`` is qiskit's qubit ``i`` and quimb's site
``i``. qiskit orders a unitary's qubits least significant first, tensorbond
most significant first, so explicit unitaries are passed with reversed qubit
lists in both directions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .circuit import Circuit, Condition, Operation
from .gates import GATES

__all__ = ["circuit_from_qiskit", "circuit_to_qiskit", "mps_from_quimb", "mps_to_quimb"]

# qiskit name -> tensorbond name, where they differ
_FROM_QISKIT = {"cx": "cx", "u": "u3", "p": "u1", "cp": "cu1", "cphase": "cu1", "i": "id",
                "ccx": "ccx", "mcx": "ccx"}
_TO_QISKIT = {"u3": "u", "u1": "p", "cu1": "cp", "id": "id", "CX": "cx", "U": "u",
              "cphase": "cp"}


def _qiskit() -> Any:
    try:
        import qiskit
    except ImportError as exc:
        raise ImportError("this conversion needs qiskit: pip install qiskit") from exc
    return qiskit


def circuit_to_qiskit(circuit: Circuit) -> Any:
    """A ``qiskit.QuantumCircuit`` with the same gates, registers, measurements,
    resets, barriers and ``if (creg == n)`` conditions (as ``if_test`` blocks)."""
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
    qc = qiskit.QuantumCircuit(*qrs, *crs)
    by_name = {r.name: r for r in crs}

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
            if g is not None and len(g.params) == len(op.params) and \
                    g.num_qubits == len(op.qubits):
                qc.append(type(g)(*op.params), list(op.qubits))
            else:
                qc.append(UnitaryGate(np.array(op.unitary())), list(reversed(op.qubits)))

    for op in circuit:
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


def circuit_from_qiskit(qc: Any) -> Circuit:
    """A :class:`Circuit` from a ``qiskit.QuantumCircuit``.

    Standard gates keep their names; any other gate with a matrix (up to three
    qubits) becomes an explicit unitary. ``if_test`` blocks become conditions on
    every operation inside; an else block on one bit becomes the opposite
    condition.

    Raises
    ------
    NotImplementedError
        Instructions tensorbond cannot represent (named): an else branch on a
        whole register, nested or expression conditions, loops, gates on more
        than three qubits without a standard name.
    ValueError
        Gates with unbound parameters.
    """
    _qiskit()
    circuit = Circuit(qc.num_qubits, num_clbits=0)
    for reg in qc.qregs:
        circuit.qregs[reg.name] = (qc.find_bit(reg[0]).index if len(reg) else 0, len(reg))
    for reg in qc.cregs:
        start = circuit.add_creg(reg.name, len(reg))
        if len(reg) and qc.find_bit(reg[0]).index != start:
            raise NotImplementedError("classical registers that share or skip bits")
    if circuit.num_clbits < qc.num_clbits:  # loose classical bits after the registers
        circuit.num_clbits = qc.num_clbits

    def condition(cond: Any) -> Condition:
        if not (isinstance(cond, tuple) and len(cond) == 2):
            raise NotImplementedError(f"if_test on a classical expression ({cond}); tensorbond "
                                      "conditions compare a register or a bit with a value")
        target, value = cond
        if hasattr(target, "_bits") or hasattr(target, "size"):  # a register
            bits = tuple(qc.find_bit(b).index for b in target)
            return Condition(bits, int(value), target.name)
        return Condition((qc.find_bit(target).index,), int(value), "")

    def convert(instructions: Any, cond: Condition | None, outer: Any) -> None:
        for ins in instructions:
            op = ins.operation
            qs = [outer.find_bit(q).index for q in ins.qubits]
            cs = [outer.find_bit(c).index for c in ins.clbits]
            name = op.name
            if name == "if_else":
                if cond is not None:
                    raise NotImplementedError("nested if_test blocks")
                test = condition(op.condition)
                branches = [(op.params[0], test)]
                if op.params[1] is not None:
                    if len(test.clbits) != 1:
                        raise NotImplementedError(
                            "if_else with an else branch on a whole register (tensorbond "
                            "conditions test equality; on one bit the else is the other value)")
                    branches.append((op.params[1], Condition(test.clbits, 1 - test.value,
                                                             test.register)))
                for body, c in branches:
                    qmap = dict(zip(body.qubits, ins.qubits, strict=True))
                    cmap = dict(zip(body.clbits, ins.clbits, strict=True))
                    inner = [type(i)(i.operation, [qmap[q] for q in i.qubits],
                                     [cmap[b] for b in i.clbits]) for i in body.data]
                    convert(inner, c, outer)
                continue
            if name == "measure":
                circuit._ops.append(Operation("measure", "measure", tuple(qs),
                                              clbits=tuple(cs), condition=cond))
            elif name == "reset":
                circuit._ops.append(Operation("reset", "reset", tuple(qs), condition=cond))
            elif name == "barrier":
                if cond is None:
                    circuit.barrier(*qs)
            elif name in ("delay", "global_phase"):
                continue  # no effect on the simulated distribution
            else:
                tb_name = _FROM_QISKIT.get(name, name)
                params: list[float] | None = []
                for p in op.params:
                    if getattr(p, "parameters", None):
                        raise ValueError(f"qiskit gate {name!r} has unbound parameters "
                                         f"{sorted(str(x) for x in p.parameters)}; bind them "
                                         "(qc.assign_parameters) first")
                    try:
                        params.append(float(p))  # type: ignore[union-attr]
                    except (TypeError, ValueError):
                        params = None  # e.g. a matrix parameter: use to_matrix()
                        break
                spec = GATES.get(tb_name)
                if spec is not None and params is not None and \
                        spec.num_qubits == len(qs) and spec.num_params == len(params):
                    circuit.append(tb_name, qs, params, condition=cond)
                elif hasattr(op, "to_matrix") and len(qs) <= 3:
                    m = np.asarray(op.to_matrix(), dtype=np.complex128)
                    circuit.unitary(m, list(reversed(qs)))
                    if cond is not None:
                        last = circuit._ops.pop()
                        circuit._ops.append(Operation("gate", "unitary", last.qubits,
                                                      condition=cond, matrix=last.matrix))
                else:
                    raise NotImplementedError(f"qiskit instruction {name!r} on {len(qs)} "
                                              "qubit(s) has no tensorbond equivalent")

    convert(qc.data, None, qc)
    return circuit


def _quimb() -> Any:
    try:
        import quimb.tensor as qtn
    except ImportError as exc:
        raise ImportError("this conversion needs quimb: pip install 'tensorbond[reference]'"
                          ) from exc
    return qtn


def mps_to_quimb(state: Any) -> Any:
    """A ``quimb.tensor.MatrixProductState`` equal to ``state`` (site i = qubit i).

    A state whose routing moved qubits is restored to the identity layout
    first, exactly, on a copy.
    """
    qtn = _quimb()
    s = state
    if s.layout != list(range(s.num_qubits)):
        s = state.copy().restore_layout(max_bond=None)
    arrays = [s.site_tensor(i) for i in range(s.num_qubits)]
    if len(arrays) == 1:
        return qtn.MatrixProductState([arrays[0].reshape(2)], shape="p")
    arrays[0] = arrays[0][0]  # (2, r)
    arrays[-1] = arrays[-1][:, :, 0]  # (l, 2)
    arrays[0] = arrays[0].T  # quimb's 'lrp': first (r, p), middle (l, r, p), last (l, p)
    mids = [a.transpose(0, 2, 1) for a in arrays[1:-1]]
    return qtn.MatrixProductState([arrays[0], *mids, arrays[-1]], shape="lrp")


def mps_from_quimb(psi: Any, dtype: Any = "complex128") -> Any:
    """A tensorbond :class:`~tensorbond.MPS` equal to quimb's ``psi`` (site i = qubit i)."""
    qtn = _quimb()
    from .mps import MPS, _as_dtype

    if not isinstance(psi, qtn.MatrixProductState):
        raise TypeError(f"expected a quimb MatrixProductState, got {type(psi).__name__}")
    if any(d != 2 for d in (psi.phys_dim(i) for i in range(psi.L))):
        raise ValueError("only qubit states (physical dimension 2) convert")
    dt = _as_dtype(dtype)
    tensors = []
    for i in range(psi.L):
        t = psi[i]
        left = list(t.bonds(psi[i - 1])) if i > 0 else []
        right = list(t.bonds(psi[i + 1])) if i < psi.L - 1 else []
        arr = np.asarray(t.transpose(*left, psi.site_ind(i), *right).data)
        arr = arr.reshape(int(np.prod([t.ind_size(x) for x in left])) if left else 1, 2,
                          int(np.prod([t.ind_size(x) for x in right])) if right else 1)
        tensors.append(np.ascontiguousarray(arr, dtype=dt))
    return MPS.from_site_tensors(tensors, dtype=dt)
