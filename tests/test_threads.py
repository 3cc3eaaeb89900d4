"""The GIL is released in the kernels: two states evolve in two threads at once."""

from __future__ import annotations

import threading

import numpy as np

import tensorbond as tb
from tensorbond.examples import brick


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
