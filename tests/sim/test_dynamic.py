"""tb.run: mid-circuit measurement, reset, classical control and noise, against an
exact calculation written here: an ensemble of (classical bits, unnormalized
density matrix) pairs that branches at every measurement."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import tensorbond as tb
from _reference.paths import QASMBENCH
from tensorbond import Operation


# ------------------------------------------------------------ exact reference
def _embed(m: np.ndarray, qubits: tuple[int, ...], n: int) -> np.ndarray:
    """The 2^n operator of ``m`` on ``qubits`` (qubit 0 most significant)."""
    k = len(qubits)
    t = m.reshape((2,) * (2 * k))
    full = np.eye(2**n, dtype=complex).reshape((2,) * (2 * n))
    # Contract m's input legs with the identity's output legs on those qubits.
    out = np.moveaxis(
        np.tensordot(t, full, axes=(list(range(k, 2 * k)), list(qubits))),
        list(range(k)),
        list(qubits),
    )
    return out.reshape(2**n, 2**n)


def _exact(circuit: tb.Circuit, noise: tb.NoiseModel | None = None) -> dict[str, float]:
    n, nc = circuit.num_qubits, circuit.num_clbits
    ens: dict[tuple[int, ...], np.ndarray] = {(0,) * nc: np.zeros((2**n, 2**n), complex)}
    ens[(0,) * nc][0, 0] = 1
    p0 = np.array([[1, 0], [0, 0]], complex)
    p1 = np.array([[0, 0], [0, 1]], complex)

    def holds(op: Operation, bits: tuple[int, ...]) -> bool:
        if op.condition is None:
            return True
        return sum(bits[c] << i for i, c in enumerate(op.condition.clbits)) == op.condition.value

    for op in circuit.operations:
        new: dict[tuple[int, ...], np.ndarray] = defaultdict(
            lambda: np.zeros((2**n, 2**n), complex)
        )
        for bits, rho in ens.items():
            if not holds(op, bits) or op.kind == "barrier":
                new[bits] += rho
                continue
            if op.kind == "gate":
                u = _embed(op.unitary(), op.qubits, n)
                rho = u @ rho @ u.conj().T
                for ch, qs in noise.channels_after(op.name, op.qubits) if noise else []:
                    rho = sum(_embed(k, qs, n) @ rho @ _embed(k, qs, n).conj().T for k in ch.kraus)
                new[bits] += rho
            elif op.kind == "reset":
                q = op.qubits
                x = np.array([[0, 1], [1, 0]], complex)
                a, b = _embed(p0, q, n), _embed(x @ p1, q, n)
                new[bits] += a @ rho @ a.conj().T + b @ rho @ b.conj().T
            else:  # measure
                q, c = op.qubits, op.clbits[0]
                ro = noise.readout(q[0]) if noise else None
                for outcome, proj in ((0, p0), (1, p1)):
                    pm = _embed(proj, q, n)
                    branch = pm @ rho @ pm
                    flip = ro.flip_probability(outcome) if ro else 0.0
                    for read, w in ((outcome, 1 - flip), (1 - outcome, flip)):
                        if w:
                            nb = list(bits)
                            nb[c] = read
                            new[tuple(nb)] += w * branch
        ens = dict(new)
    out: dict[str, float] = defaultdict(float)
    for bits, rho in ens.items():
        out[_key(circuit, bits)] += float(np.real(np.trace(rho)))
    return dict(out)


def _apply_sv(psi: np.ndarray, m: np.ndarray, qubits: tuple[int, ...]) -> np.ndarray:
    k = len(qubits)
    t = np.tensordot(m.reshape((2,) * (2 * k)), psi, axes=(list(range(k, 2 * k)), list(qubits)))
    return np.moveaxis(t, list(range(k)), list(qubits))


def _exact_sv(circuit: tb.Circuit) -> dict[str, float]:
    """Noiseless reference by branching state vectors (a list: reset branches are
    incoherent)."""
    n = circuit.num_qubits
    psi0 = np.zeros((2,) * n, complex)
    psi0[(0,) * n] = 1
    ens = [((0,) * circuit.num_clbits, psi0)]
    proj = [np.array([[1, 0], [0, 0]], complex), np.array([[0, 0], [0, 1]], complex)]
    x = np.array([[0, 1], [1, 0]], complex)
    for op in circuit.operations:
        new = []
        for bits, psi in ens:
            cond = op.condition
            if op.kind == "barrier" or (
                cond is not None
                and sum(bits[c] << i for i, c in enumerate(cond.clbits)) != cond.value
            ):
                new.append((bits, psi))
            elif op.kind == "gate":
                new.append((bits, _apply_sv(psi, op.unitary(), op.qubits)))
            else:
                for outcome in (0, 1):
                    branch = _apply_sv(psi, proj[outcome], op.qubits)
                    if np.vdot(branch, branch).real < 1e-14:
                        continue
                    if op.kind == "reset":
                        new.append((bits, _apply_sv(branch, x, op.qubits) if outcome else branch))
                    else:
                        nb = list(bits)
                        nb[op.clbits[0]] = outcome
                        new.append((tuple(nb), branch))
        ens = new
    out: dict[str, float] = defaultdict(float)
    for bits, psi in ens:
        out[_key(circuit, bits)] += float(np.vdot(psi, psi).real)
    return dict(out)


def _key(circuit: tb.Circuit, bits: tuple[int, ...]) -> str:
    regs = sorted(circuit.cregs.items(), key=lambda kv: kv[1][0])
    if not regs:
        return "".join(str(b) for b in reversed(bits))
    return " ".join(
        "".join(str(bits[c]) for c in range(s + m - 1, s - 1, -1)) for _, (s, m) in reversed(regs)
    )


def _tvd(counts: dict[str, int], exact: dict[str, float]) -> float:
    shots = sum(counts.values())
    keys = set(counts) | set(exact)
    return 0.5 * sum(abs(counts.get(k, 0) / shots - exact.get(k, 0.0)) for k in keys)


def _random_dynamic(rng: np.random.Generator, n: int, depth: int) -> tb.Circuit:
    c = tb.Circuit(n)
    c.add_creg("a", 2)
    c.add_creg("b", n - 1)
    for _ in range(depth):
        for q in range(n):
            name = ["h", "sx", "t", "s"][rng.integers(4)]
            c.append(name, [q])
            c.append("ry", [q], [float(rng.uniform(0, np.pi))])
        for q in range(int(rng.integers(2)), n - 1, 2):
            c.cx(q, q + 1)
        kind = rng.integers(3)
        q = int(rng.integers(n))
        if kind == 0:
            c.measure(q, int(rng.integers(2)))
        elif kind == 1:
            c.reset(q)
        cond = tb.Condition((0, 1), int(rng.integers(4)), "a")
        c.append("x", [int(rng.integers(n))], condition=cond)
    for q in range(n - 1):
        c.measure(q, 2 + q)
    c.measure(n - 1, 0)
    return c


# ----------------------------------------------------------------- the tests
@pytest.mark.parametrize("seed", range(6))
def test_random_dynamic_circuits_match_the_exact_distribution(seed: int) -> None:
    rng = np.random.default_rng(seed)
    c = _random_dynamic(rng, 4 + seed % 3, 4)
    exact = _exact(c)
    nonzero = {k: p for k, p in exact.items() if p > 1e-12}
    assert _exact_sv(c) == pytest.approx(nonzero, abs=1e-9)  # the two references agree
    result = tb.run(c, shots=20_000, seed=seed)
    assert sum(result.counts.values()) == 20_000
    assert _tvd(result.counts, exact) < 0.02
    assert set(result.counts) <= {k for k, p in exact.items() if p > 1e-12}


def test_static_circuit_is_simulated_once_and_sampled() -> None:
    c = tb.Circuit(5).h(0).cx(0, 1).cx(1, 2).ry(0.7, 3).cx(3, 4)
    c.measure_all()
    result = tb.run(c, shots=20_000, seed=3)
    assert result.branches == 1
    assert _tvd(result.counts, _exact(c)) < 0.02


def _teleport(theta: float, phi: float) -> tb.Circuit:
    """Teleport ry(theta) rz(phi)|0> from qubit 0 to 2, undo the preparation on
    qubit 2 and measure it: always 0."""
    c = tb.Circuit(3)
    c.add_creg("m0", 1)
    c.add_creg("m1", 1)
    c.add_creg("out", 1)
    c.ry(theta, 0).rz(phi, 0).h(1).cx(1, 2).cx(0, 1).h(0)
    c.measure(0, 0).measure(1, 1)
    c.append("x", [2], condition=tb.Condition((1,), 1, "m1"))
    c.append("z", [2], condition=tb.Condition((0,), 1, "m0"))
    c.rz(-phi, 2).ry(-theta, 2).measure(2, 2)
    return c


def test_teleportation_is_deterministic_with_four_branches() -> None:
    result = tb.run(_teleport(1.1, 0.4), shots=5000, seed=0)
    assert {k.split()[0] for k in result.counts} == {"0"}  # the teleported qubit
    assert len(result.counts) == 4 and result.branches == 4
    assert _tvd(result.counts, _exact(_teleport(1.1, 0.4))) < 0.03


def test_reset_and_conditional_reset() -> None:
    c = tb.Circuit(2, num_clbits=2).h(0).cx(0, 1).reset(0).measure(0, 0).measure(1, 1)
    counts = tb.run(c, shots=4000, seed=1).counts
    assert set(counts) <= {"00", "10"} and _tvd(counts, _exact(c)) < 0.03


def test_memory_and_result_metadata() -> None:
    c = tb.Circuit(2, num_clbits=2).h(0).measure(0, 0)
    c.append("x", [1], condition=tb.Condition((0,), 1)).measure(1, 1)
    r = tb.run(c, shots=300, seed=2, memory=True)
    assert r.memory is not None and len(r.memory) == 300
    assert {k: r.memory.count(k) for k in set(r.memory)} == r.counts
    assert set(r.counts) == {"00", "11"}
    assert sum(r.probabilities().values()) == pytest.approx(1.0)
    assert r.fidelity_estimate == 1.0 and r.max_bond_reached >= 1
    again = tb.run(c, shots=300, seed=2, memory=True)
    assert again.counts == r.counts and again.memory == r.memory  # seeded


@pytest.mark.parametrize(
    "name, build",
    [
        (
            "depolarizing",
            lambda: tb.NoiseModel()
            .add(tb.depolarizing(0.08))
            .add(tb.depolarizing(0.1, 2), gates=["cx"]),
        ),
        (
            "damping",
            lambda: tb.NoiseModel()
            .add(tb.amplitude_damping(0.15))
            .add(tb.phase_damping(0.2), gates=["h"]),
        ),
        (
            "flips+readout",
            lambda: tb.NoiseModel()
            .add(tb.bit_flip(0.05), qubits=[0, 2])
            .add(tb.phase_flip(0.1))
            .add_readout_error(0.03, 0.08),
        ),
        (
            "kraus2",
            lambda: tb.NoiseModel().add(
                tb.kraus(
                    [
                        np.kron(k0, k1)
                        for k0 in tb.amplitude_damping(0.2).kraus
                        for k1 in tb.phase_damping(0.3).kraus
                    ]
                ),
                gates=["cx"],
            ),
        ),
    ],
)
def test_noise_trajectories_match_the_density_matrix(name: str, build) -> None:
    noise = build()
    c = tb.Circuit(3, num_clbits=3).h(0).cx(0, 1).ry(0.9, 2).cx(1, 2).h(1)
    c.measure(1, 1)
    c.append("x", [2], condition=tb.Condition((1,), 1)).measure(0, 0).measure(2, 2)
    exact = _exact(c, noise)
    result = tb.run(c, shots=20_000, seed=5, noise=noise)
    assert _tvd(result.counts, exact) < 0.02, name
    # And per outcome within 4 standard errors of the exact probability.
    for k, p in exact.items():
        se = np.sqrt(max(p * (1 - p), 1e-12) / 20_000)
        assert abs(result.counts.get(k, 0) / 20_000 - p) < 4 * se + 1e-9, (name, k)
    # Observables: each bit's <Z> = P(0) - P(1), within 3 standard errors.
    for bit in range(3):

        def z(counts: dict[str, float], bit: int = bit) -> float:
            total = sum(counts.values())
            return sum(v * (1 if k[-1 - bit] == "0" else -1) for k, v in counts.items()) / total

        m, exact_z = z(result.counts), z(exact)
        se = np.sqrt(max(1 - m * m, 1e-12) / 20_000)
        assert abs(m - exact_z) < 3 * se + 1e-9, (name, bit, m, exact_z)


def test_bad_input() -> None:
    c = tb.Circuit(2, num_clbits=1).h(0).measure(0, 0)
    with pytest.raises(ValueError, match="shots"):
        tb.run(c, shots=-1)
    with pytest.raises(TypeError, match="shots"):
        tb.run(c, shots=1.5)
    with pytest.raises(IndexError, match="qubit 5"):
        tb.run(c, noise=tb.NoiseModel().add(tb.bit_flip(0.1), qubits=[5]))
    with pytest.raises(ValueError, match="trace preserving"):
        tb.kraus([np.eye(2) * 0.9])
    with pytest.raises(ValueError, match="probability"):
        tb.depolarizing(1.5)
    with pytest.raises(IndexError, match="qubit 3"):
        c.measure(3, 0)
    with pytest.raises(TypeError, match="NoiseModel"):
        tb.run(c, noise="depolarizing")


@pytest.mark.parametrize(
    "name, expect",
    [
        ("ipea_n2", {"0011": 1.0}),
        ("inverseqft_n4", {"0 0 0 0": 1.0}),
        ("qec9xz_n17", {"00000000": 1.0}),
    ],
)
def test_qasmbench_dynamic_files_give_their_deterministic_outcome(name: str, expect) -> None:
    path = next(QASMBENCH.glob(f"*/{name}.qasm"), None)
    if path is None:
        pytest.skip("../shared/qasmbench is not beside the checkout")
    c = tb.Circuit.from_qasm(path)
    result = tb.run(c, shots=2000, seed=0)
    assert result.probabilities() == expect
    exact = {k: p for k, p in _exact_sv(c).items() if p > 1e-12}
    assert exact == pytest.approx(expect, abs=1e-9)


def test_cc_n12_matches_the_exact_distribution() -> None:
    path = QASMBENCH / "medium" / "cc_n12.qasm"
    if not path.exists():
        pytest.skip("../shared/qasmbench is not beside the checkout")
    c = tb.Circuit.from_qasm(path)
    result = tb.run(c, shots=20_000, seed=4)
    assert result.branches <= 4
    assert _tvd(result.counts, _exact_sv(c)) < 0.02


def test_cli_simulates_a_dynamic_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from tensorbond.cli import main

    qasm = tmp_path / "tele.qasm"
    qasm.write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[1];\ncreg d[1];\n'
        "h q[0];\nmeasure q[0] -> c[0];\nif (c == 1) x q[1];\n"
        "measure q[1] -> d[0];\n"
    )
    assert main(["simulate", str(qasm), "--shots", "500", "--seed", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["dynamic"] and doc["branches"] == 2
    assert set(doc["counts"]) == {"0 0", "1 1"} and sum(doc["counts"].values()) == 500
    assert doc["registers"] == [["d", 1], ["c", 1]]


@pytest.mark.parametrize(
    "name", ["shor_n5", "qec_sm_n5", "qaoa_n3", "qpe_n9", "bb84_n8", "seca_n11", "qf21_n15"]
)
def test_qasmbench_dynamic_files_match_the_exact_distribution(name: str) -> None:
    """Every dynamic QASMBench file whose exact branching state vector takes
    seconds (the three larger ones take minutes; cc_n12 and the deterministic
    ones are tested above)."""
    path = next(QASMBENCH.glob(f"*/{name}.qasm"), None)
    if path is None:
        pytest.skip("../shared/qasmbench is not beside the checkout")
    c = tb.Circuit.from_qasm(path)
    exact = _exact_sv(c)
    shots = 20_000
    result = tb.run(c, shots=shots, seed=0)
    support = [k for k, p in exact.items() if p > 1e-12]
    assert set(result.counts) <= set(support)  # nothing impossible is ever drawn
    if len(support) <= 32:  # beyond that, sampling noise alone nears 0.02
        assert _tvd(result.counts, exact) < 0.02
    for k in support:
        p = exact[k]
        se = np.sqrt(p * (1 - p) / shots)
        assert abs(result.counts.get(k, 0) / shots - p) < 5 * se + 1e-9, k
