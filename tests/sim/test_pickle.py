"""Everything a worker returns pickles, and round trips exactly (issue 16,
part 1): states bit for bit (tensors, layout, centre, truncation history),
and a simulation continued after a round trip equals one continued without."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import tensorbond as tb


def _scrambled_state(dtype: str = "complex128") -> tb.MPS:
    rng = np.random.default_rng(4)
    c = tb.Circuit(8)
    for layer in range(6):
        for q in range(8):
            c.u3(*rng.normal(size=3), q)
        for q in range(layer % 2, 7, 2):
            c.cx(q, q + 1)
    c.cx(0, 7).cswap(1, 6, 3)  # lazy routing moves qubits: a non-trivial layout
    state = tb.simulate(c, max_bond=6, routing="lazy", dtype=dtype)
    state.clbit_map = {0: 3, 1: 5}
    return state


@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
@pytest.mark.parametrize("protocol", [4, 5])
def test_mps_round_trips_bit_for_bit(dtype: str, protocol: int) -> None:
    s = _scrambled_state(dtype)
    assert s.layout != list(range(8)) and s.fidelity_estimate < 1
    t = pickle.loads(pickle.dumps(s, protocol=protocol))
    assert t.dtype == s.dtype and t.layout == s.layout and t.center == s.center
    assert t.bond_dims == s.bond_dims and t.clbit_map == s.clbit_map
    assert t.fidelity_estimate == s.fidelity_estimate
    assert t.truncation_error == s.truncation_error
    assert t.num_truncations == s.num_truncations
    assert t.max_bond_reached == s.max_bond_reached
    for i in range(8):
        np.testing.assert_array_equal(t.site_tensor(i), s.site_tensor(i))
    np.testing.assert_array_equal(t.to_dense(), s.to_dense())


def test_a_simulation_continued_after_a_round_trip_is_identical() -> None:
    s = _scrambled_state()
    t = pickle.loads(pickle.dumps(s))
    more = tb.Circuit(8).h(2).cx(2, 5).rzz(0.4, 0, 6).cx(7, 1)
    a = tb.simulate(more, initial_state=s, max_bond=6)
    b = tb.simulate(more, initial_state=t, max_bond=6)
    np.testing.assert_array_equal(a.to_dense(), b.to_dense())
    assert a.fidelity_estimate == b.fidelity_estimate
    assert a.sample(50, seed=3) == b.sample(50, seed=3)


def test_the_other_results_round_trip() -> None:
    rng = np.random.default_rng(1)
    w = rng.normal(size=(64, 32))
    t = tb.Parameter("t")
    circ = tb.Circuit(2).rx(2 * t + 0.1, 0).cx(0, 1)
    prog = tb.compile_circuit(circ)
    p2 = pickle.loads(pickle.dumps(prog))
    assert p2.parameters == prog.parameters
    np.testing.assert_array_equal(p2.bind([0.3]), prog.bind([0.3]))
    c2 = pickle.loads(pickle.dumps(circ))
    assert c2.parameters == circ.parameters and len(c2) == len(circ)
    np.testing.assert_array_equal(
        tb.simulate(c2.bind([0.3])).to_dense(), tb.simulate(circ.bind([0.3])).to_dense()
    )
    res = tb.run(tb.Circuit(2, num_clbits=2).h(0).cx(0, 1).measure(0, 0), shots=64, seed=1)
    res2 = pickle.loads(pickle.dumps(res))
    assert res2.counts == res.counts and res2.fidelity_estimate == res.fidelity_estimate
    for f in (tb.TTMatrix.from_dense(w, max_bond=4), tb.LowRank.from_dense(w, max_bond=4)):
        g = pickle.loads(pickle.dumps(f))
        np.testing.assert_array_equal(g.to_dense(), f.to_dense())
        assert g.discarded_weight == f.discarded_weight
    ex = tb.expectation(circ, ["Z0", "X1"], [[0.1], [0.2]])
    ex2 = pickle.loads(pickle.dumps(ex))
    np.testing.assert_array_equal(ex2.values, ex.values)
    gr = tb.gradient(circ, "Z0", [0.2])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(gr)).grad, gr.grad)
    small, report = tb.compress({"a": w}, ratio=4)
    small2, report2 = pickle.loads(pickle.dumps((small, report)))
    np.testing.assert_array_equal(tb.to_dense(small2)["a"], tb.to_dense(small)["a"])
    assert str(report2) == str(report)
    mpo = tb.MPO.from_pauli_sum("Z0 Z1", 2)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(mpo)).to_dense(), mpo.to_dense())
