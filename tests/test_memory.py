"""Impossible allocations are refused up front, with both figures."""

from __future__ import annotations

import numpy as np
import pytest

import tensorbond as tb


@pytest.fixture
def small_limit():
    tb.set_max_memory(1 << 20)  # 1 MiB
    yield
    tb.set_max_memory(None)


def test_mps_to_dense_refused_beyond_the_limit(small_limit: None) -> None:
    psi = tb.MPS(20)  # 2^20 amplitudes: 16 MiB
    with pytest.raises(MemoryError, match=r"to_dense of 20 qubits needs 48 MiB, but 1 MiB"):
        psi.to_dense()
    assert tb.MPS(10).to_dense()[0] == 1  # 16 KiB fits


def test_tt_and_lowrank_to_dense_refused(small_limit: None) -> None:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((64, 64))
    tt = tb.TTMatrix.from_dense(w, max_bond=4)
    np.testing.assert_equal(tt.to_dense().shape, (64, 64))
    big = tb.LowRank.from_factors(np.ones((4096, 1)), np.ones((1, 4096)))  # 256 MiB dense
    with pytest.raises(MemoryError, match=r"to_dense of a \d+ x \d+ matrix needs"):
        big.to_dense()


def test_default_limit_is_what_the_machine_has() -> None:
    assert 0 < tb.available_memory() == tb.get_max_memory()
    psi = tb.MPS(30, dtype="complex64")  # 8 GiB, 24 GiB with the workspace
    if tb.available_memory() < 3 * 2**30 * 8:
        with pytest.raises(MemoryError, match="is available"):
            psi.to_dense()


def test_set_max_memory_validates() -> None:
    with pytest.raises(ValueError, match="max_memory must be positive"):
        tb.set_max_memory(0)
    with pytest.raises(TypeError, match="max_memory must be an int"):
        tb.set_max_memory(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got a bool"):
        tb.set_max_memory(True)
    tb.set_max_memory(np.int64(1 << 40))
    assert tb.get_max_memory() == 1 << 40
    tb.set_max_memory(None)


def test_simulate_refuses_a_bond_that_cannot_fit() -> None:
    circ = tb.Circuit(1000).h(0).cx(0, 1)
    with pytest.raises(
        MemoryError,
        match=r"one two-qubit gate at max_bond=10000000 \(the state at that bond: "
        r"up to .* PiB\) needs 22.7 PiB",
    ):
        tb.simulate(circ, max_bond=10**7)
    assert tb.simulate(circ, max_bond=64).bond_dims[0] == 2  # a bond that fits runs


def test_simulate_refuses_an_initial_state_that_cannot_fit(small_limit: None) -> None:
    with pytest.raises(MemoryError, match=r"the initial state of 100000 qubits needs"):
        tb.simulate(tb.Circuit(100_000))
    assert tb.simulate(tb.Circuit(100)).num_qubits == 100


def test_a_dense_state_that_cannot_fit_is_refused_before_allocating() -> None:
    tb.set_max_memory(1 << 20)  # 1 MiB: 2^16 amplitudes fit, 2^20 do not
    try:
        with pytest.raises(MemoryError, match="a dense state vector of 20 qubits"):
            tb.expectation(tb.Circuit(20).h(0), "Z0", engine="statevector")
        assert tb.expectation(tb.Circuit(14).h(0), "X0", engine="statevector").values == 1.0
    finally:
        tb.set_max_memory(None)


def test_a_bad_shot_block_is_refused_even_when_unused() -> None:
    with pytest.raises(ValueError, match="shot_block"):
        tb.run(tb.Circuit(1, num_clbits=1).h(0).measure(0, 0), shots=10, shot_block=0)
