"""gauge="vidal": runs of adjacent gates by TEBD in the Lambda-B form, a layer's
gates on several threads. Checked against the exact state vector, against the
canonical gauge's truncation, and across thread counts."""

from __future__ import annotations

import numpy as np
import pytest

import tensorbond as tb
from _reference import statevector as sv
from _reference.tolerances import tol as tol_of
from tensorbond.sim.examples import brick


def brick_case(
    n: int,
    layers: int,
    rng: np.random.Generator,
    circ: tb.Circuit | None = None,
    ref: sv.StateVector | None = None,
) -> tuple[tb.Circuit, sv.StateVector]:
    """Random u3 + random two-qubit unitary bricks (adjacent gates, both qubit
    orders), appended to ``circ`` and the exact ``ref``."""
    circ = tb.Circuit(n) if circ is None else circ
    ref = sv.StateVector(n) if ref is None else ref
    for layer in range(layers):
        for q in range(n):
            a = tuple(rng.uniform(0, 2 * np.pi, 3))
            circ.u3(*a, q)
            ref.gate("u3", (q,), a)
        for q in range(layer % 2, n - 1, 2):
            u = sv.random_unitary(4, rng)
            qs = (q + 1, q) if rng.integers(2) else (q, q + 1)
            circ.unitary(u, qs)
            ref.unitary(u, qs)
    return circ, ref


def fidelity(psi: tb.MPS, exact: np.ndarray) -> float:
    v = psi.to_dense().astype(complex)
    return float(abs(np.vdot(exact, v)) ** 2 / np.vdot(v, v).real / np.vdot(exact, exact).real)


@pytest.fixture
def threads():
    """Restore the thread count a test changes."""
    old = tb.get_num_threads()
    yield tb.set_num_threads
    tb.set_num_threads(old)


@pytest.mark.parametrize("n", [2, 3, 6, 11])
@pytest.mark.parametrize("nthreads", [1, 2])
def test_untruncated_matches_the_state_vector(n, nthreads, dtype, threads):
    threads(nthreads)
    circ, ref = brick_case(n, 6, np.random.default_rng(n))
    exact = ref.psi
    # cutoff > 0 (nothing reaches it) so the TEBD block runs
    psi = tb.simulate(circ, cutoff=1e-14, gauge="vidal", dtype=dtype)
    np.testing.assert_allclose(psi.to_dense(), exact, **tol_of(dtype))
    assert psi.norm() == pytest.approx(1.0, abs=tol_of(dtype)["atol"] * 10)
    # the exact QR/LQ sweep at the block's end leaves a canonical state: queries work
    assert psi.probability("0" * n) == pytest.approx(abs(exact[0]) ** 2, abs=1e-5)


def test_mixed_with_distant_gates_and_an_entangled_start(rng, threads):
    """Blocks broken by distant and 3-qubit gates; the block after them enters
    from an entangled state (the SVD sweep into the Lambda-B form)."""
    threads(2)
    n = 8
    circ, ref = brick_case(n, 3, rng)
    circ.cx(0, 7).ccx(1, 4, 6)
    ref.gate("cx", (0, 7), ())
    ref.gate("ccx", (1, 4, 6), ())
    brick_case(n, 5, rng, circ, ref)  # 20 two-qubit gates >= 2n: long enough to re-enter
    psi = tb.simulate(circ, cutoff=1e-14, gauge="vidal")
    assert fidelity(psi, ref.psi) == pytest.approx(1.0, abs=1e-10)
    start = tb.simulate(brick(n, 3, seed=5), cutoff=0.0)
    tail = brick(n, 10, seed=6)
    a = tb.simulate(tail, initial_state=start, cutoff=1e-14, gauge="vidal")
    b = tb.simulate(tail, initial_state=start, cutoff=0.0)
    np.testing.assert_allclose(a.to_dense(), b.to_dense(), atol=1e-10)


def test_the_state_does_not_depend_on_the_thread_count(threads):
    circ = brick(24, 16, seed=2)
    states = []
    for nthreads in (1, 2, 1):
        threads(nthreads)
        psi = tb.simulate(circ, max_bond=24, cutoff=1e-10, gauge="vidal")
        states.append((psi.amplitude("0" * 24), psi))
    (a0, p0), (a1, p1), (_a2, p2) = states
    assert p0.fidelity_estimate == p1.fidelity_estimate == p2.fidelity_estimate
    assert p0.bond_dims == p1.bond_dims
    for s in range(24):
        np.testing.assert_allclose(p1.site_tensor(s), p0.site_tensor(s), rtol=0, atol=1e-12)
    assert a0 == pytest.approx(a1, abs=1e-13)


@pytest.mark.parametrize("chi", [6, 8, 12, 16, 24])
def test_truncation_close_to_canonical_and_the_estimate_conservative(chi, threads):
    """Truncating in the Lambda-B form, whose B's drift from orthonormal as
    truncations pile up: the true fidelity stays within 4% of the canonical
    gauge's (1% once it is above 0.8) and the estimate never claims more than
    the truth (16 qubits, 8 layers of random two-qubit unitaries; measured:
    0.969 of canonical at chi 6, 0.9998 at chi 24)."""
    threads(2)
    circ, ref = brick_case(16, 8, np.random.default_rng(777))
    exact = ref.psi
    vidal = tb.simulate(circ, max_bond=chi, cutoff=1e-12, gauge="vidal")
    canonical = tb.simulate(circ, max_bond=chi, cutoff=1e-12)
    assert max(vidal.bond_dims) <= chi and vidal.num_truncations > 0
    f_vidal, f_canonical = fidelity(vidal, exact), fidelity(canonical, exact)
    assert f_vidal >= (0.99 if f_canonical > 0.8 else 0.96) * f_canonical
    est = vidal.fidelity_estimate
    assert est <= f_vidal * (1 + 1e-3), (chi, est, f_vidal)
    if f_vidal > 0.9:
        assert f_vidal - est <= 0.02 * f_vidal, (chi, est, f_vidal)


@pytest.mark.parametrize("split", ["svd", "eig", "rand", "auto"])
def test_every_split_route_and_renormalize(split, threads):
    threads(2)
    circ, ref = brick_case(14, 10, np.random.default_rng(3))
    exact = ref.psi
    psi = tb.simulate(circ, max_bond=12, gauge="vidal", split=split, renormalize=True)
    assert psi.norm() == pytest.approx(1.0, abs=1e-12)
    f = fidelity(psi, exact)
    assert f >= 0.97 * tb.simulate(circ, max_bond=12).fidelity_estimate
    assert psi.fidelity_estimate <= f * (1 + 1e-3)
    stats = psi.split_stats()
    assert sum(stats[k] for k in ("svd", "eig", "rand", "qr")) > 0


def test_run_and_cli_take_the_gauge(threads, capsys):
    threads(2)
    c = tb.Circuit(4).h(0).cx(0, 1).cx(1, 2).cx(2, 3).measure_all()
    res = tb.run(c, shots=200, seed=1, max_bond=4, gauge="vidal")
    assert set(res.counts) == {"0000", "1111"}
    from tensorbond.cli import main

    argv = "simulate --example brick --qubits 12 --max-bond 8 --gauge vidal --json"
    assert main(argv.split()) == 0
    assert '"gauge": "vidal"' in capsys.readouterr().out


def test_unknown_gauge_is_refused():
    with pytest.raises(ValueError, match="gauge must be one of"):
        tb.simulate(tb.Circuit(2).h(0), gauge="gamma")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="gauge must be one of"):
        tb.Truncation(gauge="vidal ")  # type: ignore[arg-type]
