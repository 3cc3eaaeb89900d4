"""The contestants: tensorbond, quimb ``CircuitMPS`` and qiskit-aer's MPS method.

Each ``prepare_<tool>(workload, inputs)`` does the untimed set-up and returns a
:class:`~tensorbond_bench.model.Prepared` whose ``run`` is the timed part.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .model import Inputs, Prepared, Timed, Unsupported, Workload
from .overlap import aer_site_tensors, mps_site_tensors, quimb_site_tensors
from .workloads import load_inputs

#: Our gate names that quimb has under its own name (same matrix up to phase).
QUIMB_GATE_NAMES = {
    "id": "IDEN",
    "x": "X",
    "y": "Y",
    "z": "Z",
    "h": "H",
    "s": "S",
    "sdg": "SDG",
    "t": "T",
    "tdg": "TDG",
    "sx": "SX",
    "rx": "RX",
    "ry": "RY",
    "rz": "RZ",
    "p": "U1",
    "u1": "U1",
    "u2": "U2",
    "u3": "U3",
    "u": "U3",
    "U": "U3",
    "cx": "CX",
    "CX": "CX",
    "cy": "CY",
    "cz": "CZ",
    "swap": "SWAP",
    "iswap": "ISWAP",
    "cp": "CU1",
    "cu1": "CU1",
    "cphase": "CU1",
    "crx": "CRX",
    "cry": "CRY",
    "crz": "CRZ",
    "cu3": "CU3",
    "rxx": "RXX",
    "ryy": "RYY",
    "rzz": "RZZ",
    "xx_plus_yy": "XXPLUSYY",
    "xx_minus_yy": "XXMINUSYY",
    "ccx": "CCX",
    "ccz": "CCZ",
    "cswap": "CSWAP",
}


def quimb_gates(circuit: Any) -> tuple[list[Any], list[str]]:
    """The circuit's gates as quimb ``Gate`` objects, and the names passed raw.

    Gates quimb knows by name (:data:`QUIMB_GATE_NAMES`) become
    ``(NAME, *params, *qubits)``; others (and explicit unitaries) become raw
    matrices, which quimb applies the same way.

    Raises
    ------
    Unsupported
        Measurements before the end, resets and classical control (quimb's gates
        cannot express them).
    """
    from quimb.tensor.circuit import parse_to_gate  # type: ignore[import-untyped]

    _check_static(circuit, "quimb CircuitMPS")
    gates = []
    raw: set[str] = set()
    for op in circuit:
        if op.kind != "gate":
            continue
        qname = QUIMB_GATE_NAMES.get(op.name) if op.matrix is None else None
        if qname is None:
            raw.add(op.name)
            gates.append(parse_to_gate((op.unitary(), *op.qubits)))
        else:
            gates.append(parse_to_gate((qname, *op.params, *op.qubits)))
    return gates, sorted(raw)


def _check_static(circuit: Any, tool: str) -> None:
    measured: set[int] = set()
    for i, op in enumerate(circuit):
        if op.kind == "reset":
            raise Unsupported(f"{tool} runs no reset (operation {i})")
        if op.condition is not None:
            raise Unsupported(f"{tool} runs no classically controlled gate (operation {i})")
        if op.kind == "measure":
            measured.update(op.qubits)
        elif op.kind == "gate" and measured.intersection(op.qubits):
            raise Unsupported(f"{tool} runs no mid-circuit measurement (operation {i})")


def circuit_to_qiskit(circuit: Any) -> Any:
    """A qiskit ``QuantumCircuit`` with the circuit's gates (measurements dropped),
    through the one conversion helper, :meth:`tensorbond.Circuit.to_qiskit`."""
    import tensorbond as tb

    _check_static(circuit, "the qiskit conversion")
    gates = tb.Circuit(circuit.num_qubits)
    for op in circuit:
        if op.kind != "gate":
            continue
        if op.matrix is not None:  # op.name == "unitary": an explicit matrix
            gates.unitary(op.matrix, op.qubits)
        else:
            gates.append(op.name, op.qubits, op.params)
    return gates.to_qiskit()


def _qiskit_circuit(inputs: Inputs) -> Any:
    from qiskit import QuantumCircuit

    if inputs.qasm_path is not None:
        return QuantumCircuit.from_qasm_file(str(inputs.qasm_path))
    return circuit_to_qiskit(inputs.circuit)


# --------------------------------------------------------------- contestants
def prepare_tensorbond(w: Workload, inputs: Inputs) -> Prepared:
    """tensorbond: ``simulate`` of a precompiled circuit, ``sample``, ``apply_gate``."""
    import tensorbond as tb

    opts: dict[str, Any] = {
        "max_bond": w.max_bond,
        "cutoff": w.cutoff,
        "cutoff_mode": w.cutoff_mode,
    }

    def inspect(state: Any) -> dict[str, Any]:
        return {
            "fidelity_estimate": state.fidelity_estimate,
            "max_bond_reached": state.max_bond_reached,
            "max_bond_final": state.max_bond,
            "state_bytes": state.memory_bytes,
        }

    if w.kind == "kernel":
        case = inputs.kernel
        if case is None or case.state is None:
            raise ValueError("the tensorbond kernel needs the built state")
        ks = case.site
        f0 = case.state.fidelity_estimate

        def inspect_kernel(s: Any) -> dict[str, Any]:
            return {
                "fidelity_estimate": s.fidelity_estimate / f0,
                "fidelity_estimate_note": "weight kept by this split",
                "max_bond_reached": s.bond_dims[ks],
                "max_bond_final": s.max_bond,
                "state_bytes": s.memory_bytes,
            }

        return Prepared(
            setup=case.state.copy,
            run=lambda s: s.apply_gate(case.gate, (ks, ks + 1), **opts),
            inspect=inspect_kernel,
            notes=[
                (
                    f"MPS.apply_gate on sites ({ks}, {ks + 1}) of "
                    f"{case.state.num_qubits}, centre already there"
                )
            ],
        )
    prog = tb.compile_circuit(inputs.circuit)
    if w.kind == "sampling":
        state = tb.simulate(prog, **opts)
        seeds = iter(range(10**9))
        return Prepared(
            run=lambda _: state.sample(w.shots, seed=next(seeds)),
            inspect=lambda _: inspect(state),
            notes=["MPS.sample of the prepared state (bits as a uint8 array)"],
        )
    return Prepared(
        run=lambda _: tb.simulate(prog, **opts),
        inspect=inspect,
        tensors=mps_site_tensors,
        notes=["simulate(compile_circuit(circuit)), routing='auto'"],
    )


def prepare_quimb(w: Workload, inputs: Inputs) -> Prepared:
    """quimb: ``CircuitMPS.apply_gates``, ``CircuitMPS.sample``, ``MPS.gate_split``."""
    import quimb.tensor as qtn

    compress = {
        "max_bond": w.max_bond,
        "cutoff": w.cutoff,
        "cutoff_mode": w.cutoff_mode,
    }
    est_note = (
        "quimb's fidelity_estimate() is norm-based and unreliable (it can "
        "exceed 1); recorded, not trusted"
    )

    def inspect(circ: Any) -> dict[str, Any]:
        psi = circ.psi
        return {
            "fidelity_estimate": float(circ.fidelity_estimate()),
            "fidelity_estimate_note": est_note,
            "max_bond_final": psi.max_bond(),
            "state_bytes": int(sum(t.data.nbytes for t in psi)),
        }

    if w.kind == "kernel":
        case = inputs.kernel
        assert case is not None
        arrays = list(case.site_tensors())
        arrays[0] = arrays[0][0]
        arrays[-1] = arrays[-1][..., 0]
        psi0 = qtn.MatrixProductState(arrays, shape="lpr")
        ks = case.site
        return Prepared(
            setup=psi0.copy,
            run=lambda p: p.gate_split_(case.gate, (ks, ks + 1), **compress),
            inspect=lambda p: {
                "max_bond_reached": p.bond_size(ks, ks + 1),
                "max_bond_final": p.max_bond(),
                "state_bytes": int(sum(t.data.nbytes for t in p)),
            },
            notes=["MatrixProductState.gate_split_ on the same tensors"],
        )
    gates, raw = quimb_gates(inputs.circuit)
    notes = [
        (
            "CircuitMPS(max_bond, cutoff, gate_opts={'cutoff_mode': 'rsum2'})"
            ".apply_gates(pre-parsed Gate objects)"
        )
    ]
    if raw:
        notes.append(f"passed to quimb as raw matrices: {', '.join(raw)}")
    n = inputs.circuit.num_qubits

    def build() -> Any:
        c = qtn.CircuitMPS(
            n,
            max_bond=w.max_bond,
            cutoff=w.cutoff,
            gate_opts={"cutoff_mode": w.cutoff_mode},
        )
        c.apply_gates(gates)
        return c

    if w.kind == "sampling":
        circ = build()
        seeds = iter(range(10**9))
        notes.append("list(CircuitMPS.sample(shots)) of the prepared state (bitstrings)")
        return Prepared(
            run=lambda _: list(circ.sample(w.shots, seed=next(seeds))),
            inspect=lambda _: inspect(circ),
            notes=notes,
        )
    return Prepared(
        run=lambda _: build(),
        inspect=inspect,
        tensors=lambda c: quimb_site_tensors(c.psi),
        notes=notes,
    )


def prepare_aer(w: Workload, inputs: Inputs, *, lapack: bool = False) -> Prepared:
    """qiskit-aer's MPS method (``lapack``: ``mps_lapack=True``), one thread.

    Circuits end in ``save_matrix_product_state`` (the state comes back for the
    fidelity) and run with ``shots=1``. Sampling runs the circuit with
    ``measure_all``: the time is ``wall(shots) - wall(1 shot)``, both measured in
    each repetition, back to back.
    """
    from qiskit import transpile
    from qiskit_aer import AerSimulator

    if w.kind == "kernel":
        raise Unsupported("aer has no API to apply one gate to a given MPS")
    opts: dict[str, Any] = {
        "method": "matrix_product_state",
        "max_parallel_threads": 1,
        "max_parallel_experiments": 1,
        "max_parallel_shots": 1,
        "matrix_product_state_truncation_threshold": w.cutoff,
        "mps_lapack": lapack,
    }
    if w.max_bond is not None:
        opts["matrix_product_state_max_bond_dimension"] = w.max_bond
    sim = AerSimulator(**opts)
    qc = _qiskit_circuit(inputs)
    notes = [
        (
            f"AerSimulator(method='matrix_product_state', mps_lapack={lapack}, "
            "max_parallel_threads=1, truncation_threshold=cutoff)"
        )
    ]
    basis = set(sim.configuration().basis_gates) | {"measure", "barrier", "reset"}
    foreign = sorted({inst.operation.name for inst in qc.data} - basis)
    if foreign:
        qc = transpile(qc, sim, optimization_level=0)
        notes.append(f"transpiled (optimization_level=0) to unroll {', '.join(foreign)}")

    def inspect_saved(res: Any) -> dict[str, Any]:
        saved = res.data(0)["matrix_product_state"]
        bonds = [len(x) for x in saved[1]]
        nbytes = sum(np.asarray(g).nbytes for pair in saved[0] for g in pair)
        return {
            "fidelity_estimate_note": "aer reports no fidelity or discarded weight",
            "max_bond_final": max(bonds, default=1),
            "state_bytes": int(nbytes),
        }

    if w.kind == "sampling":
        qs = qc.remove_final_measurements(inplace=False)
        qs.measure_all()
        seeds = iter(range(10**9))
        notes.append("time = wall(shots) - wall(1 shot), both per repetition")

        def run_sampling(_: Any) -> Timed:
            seed = next(seeds)
            t0 = time.perf_counter()
            sim.run(qs, shots=1, seed_simulator=seed).result()
            t1 = time.perf_counter()
            res = sim.run(qs, shots=w.shots, seed_simulator=seed).result()
            t2 = time.perf_counter()
            return Timed(
                res,
                (t2 - t1) - (t1 - t0),
                {"wall_shots_s": t2 - t1, "wall_1shot_s": t1 - t0},
            )

        return Prepared(
            run=run_sampling,
            notes=notes,
            inspect=lambda _: {
                "fidelity_estimate_note": "aer reports no fidelity or discarded weight"
            },
        )
    qc = qc.remove_final_measurements(inplace=False)
    qc.save_matrix_product_state()
    return Prepared(
        run=lambda _: sim.run(qc, shots=1).result(),
        inspect=inspect_saved,
        tensors=lambda res: aer_site_tensors(res.data(0)["matrix_product_state"]),
        notes=notes,
    )


def prepare_aer_lapack(w: Workload, inputs: Inputs) -> Prepared:
    """qiskit-aer's MPS method with ``mps_lapack=True``."""
    return prepare_aer(w, inputs, lapack=True)


#: The contestants: ``name -> prepare(workload, inputs) -> Prepared``.
CONTESTANTS: dict[str, Callable[[Workload, Inputs], Prepared]] = {
    "tensorbond": prepare_tensorbond,
    "quimb": prepare_quimb,
    "aer": prepare_aer,
    "aer_lapack": prepare_aer_lapack,
}


def _warm_up_tool(name: str) -> None:
    """Run a contestant once on a 6-qubit circuit (imports, JIT, first-call costs).

    Not aer: after a run on a smaller circuit (with the default SVD, or with
    ``mps_lapack`` and a binding bond limit), an ``mps_lapack`` run on a larger
    circuit crashes with SIGSEGV (qiskit-aer 0.18.2); aer's first-call costs go
    into the first run of each workload, which is not timed.
    """
    if name.startswith("aer"):
        return
    w = Workload(
        name="warm-up",
        group="-",
        family="-",
        kind="circuit",
        source="example:brick:6:4",
        max_bond=4,
    )
    prep = CONTESTANTS[name](w, load_inputs(w))
    _run_once(prep)


def _run_once(prep: Prepared) -> tuple[float, Any, dict[str, float]]:
    arg = prep.setup() if prep.setup is not None else None
    t0 = time.perf_counter()
    out = prep.run(arg)
    dt = time.perf_counter() - t0
    if isinstance(out, Timed):
        return out.seconds, out.value, out.extra
    return dt, out, {}
