"""Symbolic parameters: affine expressions, vectors, binding, and the errors of
circuits that are not bound."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorbond as tb


def test_affine_arithmetic_and_printing() -> None:
    t, u = tb.Parameter("t"), tb.Parameter("u")
    e = 2 * t + 0.1 - u / 4
    assert e.coefficient(t) == 2.0 and e.coefficient(u) == -0.25 and e.constant == 0.1
    assert e.bind({t: 1.0, u: 2.0}) == pytest.approx(1.6)
    assert (e.bind({t: 1.0}) - (-u / 4 + 2.1)).parameters == frozenset()
    assert repr(2 * t + 0.1) == "2*t + 0.1" and repr(1 - t) == "-t + 1"
    assert (t + t - 2 * t).parameters == frozenset()
    assert float(t - t + 3) == 3.0


def test_products_of_parameters_and_bad_numbers_are_refused() -> None:
    t, u = tb.Parameter("t"), tb.Parameter("u")
    with pytest.raises(TypeError, match="not affine"):
        _ = t * u
    with pytest.raises(TypeError, match="not affine"):
        _ = 1 / t
    with pytest.raises(ValueError, match="finite"):
        _ = t + math.nan
    with pytest.raises(TypeError, match="unbound parameters: t"):
        float(2 * t)
    with pytest.raises(TypeError, match="non-empty str"):
        tb.Parameter("")


def test_parameters_are_distinct_objects() -> None:
    a, b = tb.Parameter("a"), tb.Parameter("a")
    assert a != b and len({a, b}) == 2
    with pytest.raises(ValueError, match="different parameter named 'a'"):
        tb.Circuit(1).rx(a, 0).ry(b, 0)


def test_circuit_parameters_are_ordered_by_name_and_vector_index() -> None:
    w = tb.ParameterVector("w", 12)
    theta = tb.Parameter("theta")
    c = tb.Circuit(2).rx(w[10], 0).ry(theta, 1).rz(w[2] + w[10], 0).cx(0, 1)
    assert c.parameters == (theta, w[2], w[10])
    assert c.num_parameters == 3 and len(w) == 12 and w[3].name == "w[3]"


def _all_parametrized_gates(rng: np.random.Generator, n: int = 3):
    """A circuit using every gate with parameters, each on expressions of two shared
    parameters, and the same circuit with the numbers written in."""
    a, b = tb.Parameter("a"), tb.Parameter("b")
    va, vb = rng.uniform(-3, 3, 2)
    sym, num = tb.Circuit(n), tb.Circuit(n)
    for q in range(n):
        sym.h(q)
        num.h(q)
    for name in sorted(tb.GATES):
        spec = tb.GATES[name]
        if not spec.num_params or spec.num_qubits > n:
            continue
        qs = [int(q) for q in rng.permutation(n)[: spec.num_qubits]]
        cs = rng.uniform(-2, 2, (spec.num_params, 3))
        sym.append(name, qs, [c0 * a + c1 * b + c2 for c0, c1, c2 in cs])
        num.append(name, qs, [c0 * va + c1 * vb + c2 for c0, c1, c2 in cs])
    return sym, num, {a: va, b: vb}


def test_a_bound_circuit_is_the_numeric_one() -> None:
    rng = np.random.default_rng(7)
    sym, num, values = _all_parametrized_gates(rng)
    assert set(sym.parameters) == set(values)
    by_dict = sym.bind(values)
    by_array = sym.bind([values[p] for p in sym.parameters])
    by_name = sym.bind({p.name: v for p, v in values.items()})
    want = tb.simulate(num).to_dense()
    for bound in (by_dict, by_array, by_name):
        assert bound.num_parameters == 0
        np.testing.assert_allclose(tb.simulate(bound).to_dense(), want, atol=1e-12)
    assert sym.num_parameters == 2  # binding makes a copy


def test_partial_binding_keeps_the_rest() -> None:
    t, u = tb.Parameter("t"), tb.Parameter("u")
    c = tb.Circuit(1).rx(t + u, 0)
    half = c.bind({t: 0.5})
    assert half.parameters == (u,)
    np.testing.assert_allclose(
        tb.simulate(half.bind({u: 0.25})).to_dense(),
        tb.simulate(tb.Circuit(1).rx(0.75, 0)).to_dense(),
        atol=1e-14,
    )


def test_bad_bindings_are_clear_errors() -> None:
    t, u = tb.Parameter("t"), tb.Parameter("u")
    c = tb.Circuit(1).rx(t, 0).ry(u, 0)
    with pytest.raises(ValueError, match=r"shape \(2,\), one per parameter, got \(3,\)"):
        c.bind([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="the value of u must be finite"):
        c.bind([1.0, math.nan])
    with pytest.raises(ValueError, match="'v' is not a parameter of the circuit"):
        c.bind({"v": 1.0})
    with pytest.raises(ValueError, match="is not a parameter of the circuit"):
        c.bind({tb.Parameter("t"): 1.0})  # same name, another parameter
    with pytest.raises(TypeError, match="real numbers"):
        c.bind(np.array([1j, 2j]))
    with pytest.raises(TypeError, match="real number"):
        c.bind({t: "1"})


def test_unbound_circuits_are_refused_by_name() -> None:
    w = tb.ParameterVector("w", 2)
    c = tb.Circuit(2).rx(w[0], 0).cx(0, 1).rz(2 * w[1], 1).measure_all()
    with pytest.raises(
        ValueError, match=r"unbound parameters w\[0\], w\[1\]: pass params= or bind them"
    ):
        tb.simulate(c)
    with pytest.raises(ValueError, match=r"unbound parameters w\[0\], w\[1\]"):
        tb.run(c, shots=10)
    with pytest.raises(
        ValueError, match=r"gate 'rx' on qubits \(0,\) has unbound parameters w\[0\]"
    ):
        c.operations[0].unitary()
    assert tb.run(c.bind([0.0, 0.0]), shots=10, seed=1).counts == {"00": 10}


def test_numeric_parameters_are_still_checked() -> None:
    with pytest.raises(ValueError, match="non-finite parameter inf"):
        tb.Circuit(1).rx(math.inf, 0)
    with pytest.raises(TypeError, match="real number"):
        tb.Circuit(1).rx("0.3", 0)  # type: ignore[arg-type]
