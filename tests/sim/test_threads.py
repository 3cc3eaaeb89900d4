"""The GIL is released in the kernels: two states evolve in two threads at once."""

from __future__ import annotations

import threading

import numpy as np

import tensorbond as tb
from tensorbond.sim.examples import brick

_H = np.array([[1, 1], [1, -1]]) / np.sqrt(2)


def test_two_threads_equal_serial() -> None:
    circuits = [brick(12, 8, seed=s) for s in (1, 2)]
    serial = [tb.simulate(c, max_bond=16).to_dense() for c in circuits]
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for _ in range(3):
                results[k] = tb.simulate(circuits[k], max_bond=16).to_dense()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for k in (0, 1):
        np.testing.assert_allclose(results[k], serial[k], rtol=0, atol=1e-12)


def test_sampling_in_threads_is_deterministic() -> None:
    psi = tb.simulate(brick(10, 6, seed=3))
    expected = psi.copy().sample(500, seed=11).bits
    copies = [psi.copy() for _ in range(2)]
    out: dict[int, np.ndarray] = {}

    def work(k: int) -> None:
        out[k] = copies[k].sample(500, seed=11).bits

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in (0, 1):
        np.testing.assert_array_equal(out[k], expected)


def test_threads_querying_one_state_match_serial() -> None:
    """Queries that need the centre elsewhere leave the shared state untouched."""
    psi = tb.simulate(brick(12, 10, seed=5), max_bond=8)
    strings = ["".join("01"[(k >> j) & 1] for j in range(12)) for k in range(0, 4096, 97)]
    terms = ["Z0 Z1", "X3 X4", "Y5 Z11", "Z6", "X0 Y11"]

    def queries() -> tuple[list[complex], list[float], np.ndarray, np.ndarray, np.ndarray]:
        amps = [psi.amplitude(s) for s in strings]
        exps = [psi.expectation(t) for t in terms]
        bits = psi.sample(300, seed=4).bits
        schmidt = psi.schmidt_values(7)
        rho = psi.reduced_density_matrix([2, 9])
        return amps, exps, bits, schmidt, rho

    center = psi.center
    serial = queries()
    assert psi.center == center  # queries do not move the centre
    out: list[tuple] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(6):
                out.append(queries())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(out) == 24
    for res in out:
        assert res[0] == serial[0]  # bit-identical
        assert res[1] == serial[1]
        for a, b in zip(res[2:], serial[2:], strict=False):
            np.testing.assert_array_equal(a, b)
    assert psi.center == center


def test_queries_wait_for_a_mutation_in_another_thread() -> None:
    """A gate applied in one thread while others query: no torn reads."""
    psi = tb.simulate(brick(10, 6, seed=8))
    before, after = psi.copy(), psi.copy().apply_gate(_H, [4])
    norms: list[float] = []

    def read() -> None:
        for _ in range(50):
            norms.append(psi.norm())
            psi.expectation("Z4")

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    psi.apply_gate(_H, [4])
    for t in readers:
        t.join()
    np.testing.assert_allclose(norms, 1.0, atol=1e-12)
    np.testing.assert_allclose(psi.to_dense(), after.to_dense(), atol=1e-12)
    assert abs(np.vdot(before.to_dense(), psi.to_dense())) < 1 - 1e-3  # the gate acted
