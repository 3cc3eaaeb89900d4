"""Compile once, bind many: simulate(compiled, params=...) refills only the
parametrized gates' matrices and gives the state of the bound circuit."""

from __future__ import annotations

import numpy as np
import pytest

import tensorbond as tb


def _ansatz(n: int = 6, layers: int = 3):
    w = tb.ParameterVector("w", n * layers)
    s = tb.Parameter("s")
    c = tb.Circuit(n, global_phase=0.4)
    for layer in range(layers):
        for q in range(n):
            c.ry(w[layer * n + q], q)
            c.rz(2 * s - w[layer * n + q] / 3, q)  # shared and derived parameters
        for q in range(layer % 2, n - 1, 2):
            c.cz(q, q + 1)
        c.rzz(s + 0.25, 0, n - 1).cx(1, 2).u(s, -s, 0.5, 3)
    return c


def test_each_point_equals_the_bound_circuit() -> None:
    c = _ansatz()
    prog = tb.compile_circuit(c)
    assert prog.parameters == c.parameters
    rng = np.random.default_rng(2)
    for _ in range(4):
        v = rng.uniform(-np.pi, np.pi, c.num_parameters)
        got = tb.simulate(prog, params=v).to_dense()
        want = tb.simulate(c.bind(v)).to_dense()
        np.testing.assert_allclose(got, want, atol=1e-12)
    named = {p.name: float(x) for p, x in zip(c.parameters, v, strict=True)}
    np.testing.assert_allclose(tb.simulate(c, params=named).to_dense(), want, atol=1e-12)


def test_the_compiled_program_is_not_changed_by_a_point() -> None:
    c = _ansatz(4, 2)
    prog = tb.compile_circuit(c)
    before = prog.matrices.copy()
    tb.simulate(prog, params=np.ones(c.num_parameters))
    np.testing.assert_array_equal(prog.matrices, before)


def test_parameter_errors() -> None:
    c = _ansatz(4, 1)
    prog = tb.compile_circuit(c)
    with pytest.raises(ValueError, match=r"unbound parameters s, w\[0\].*pass params="):
        tb.simulate(prog)
    with pytest.raises(ValueError, match=r"params must have shape \(5,\)"):
        tb.simulate(prog, params=[0.1, 0.2])
    with pytest.raises(
        ValueError, match=r"no value for the parameters w\[0\], w\[1\], w\[2\], w\[3\]"
    ):
        tb.simulate(prog, params={"s": 0.3})
    with pytest.raises(ValueError, match="'x' is not a parameter"):
        tb.simulate(prog, params={"x": 0.3})
    with pytest.raises(ValueError, match="the value of s must be finite"):
        tb.simulate(prog, params=[np.nan, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="the circuit has no parameters"):
        tb.simulate(tb.Circuit(1).h(0), params=[0.1])
