"""tb.gradient (adjoint and parameter-shift) against central finite differences
of tb.expectation, against each other, and the value against the dense reference."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import tensorbond as tb
from _reference import statevector as sv
from _reference.tolerances import tol
from tensorbond.sim.gradient import shift_rule

#: Every parametrized gate, with its parameter count from tb.GATES.
PARAM_GATES = sorted(name for name, spec in tb.GATES.items() if spec.num_params)
EXPECTED_PARAM_GATES = {
    "rx": 1, "ry": 1, "rz": 1, "p": 1, "u1": 1, "u2": 2, "u3": 3, "u": 3, "U": 3, "r": 2,
    "cp": 1, "cu1": 1, "cphase": 1, "crx": 1, "cry": 1, "crz": 1, "cu3": 3, "cu": 4,
    "rxx": 1, "ryy": 1, "rzz": 1, "rzx": 1, "xx_plus_yy": 2, "xx_minus_yy": 2,
}  # fmt: skip
FD_STEP = 1e-6


# ------------------------------------------------------------------ helpers
def _term(text: str) -> dict[int, str]:
    return {int(q): p for p, q in re.findall(r"([XYZ])(\d+)", text)}


def _random_sum(n: int, rng: np.random.Generator, k: int) -> list[tuple[float, str]]:
    out = []
    for _ in range(k):
        m = int(rng.integers(1, min(n, 3) + 1))
        qs = sorted(int(q) for q in rng.choice(n, m, replace=False))
        out.append((float(rng.normal()), " ".join(f"{rng.choice(list('XYZ'))}{q}" for q in qs)))
    return out


def _scale(obs: list[tuple[float, str]]) -> float:
    """A bound on ||O||: absolute tolerances are relative to it."""
    return max(1.0, sum(abs(c) for c, _ in obs))


def _dense_value(circ: tb.Circuit, x: np.ndarray, obs: list[tuple[float, str]]) -> float:
    n = circ.num_qubits
    psi = sv.simulate_ops(n, circ.bind(x).operations)
    return sum(c * sv.expectation(psi, _term(p), n) for c, p in obs).real


def _slot(rng: np.random.Generator, shared: list, vec: tb.ParameterVector, used: list[int]):
    """A symbolic gate parameter: a shared one, an affine expression, a vector element."""
    kind = int(rng.integers(4))
    if kind == 0:
        return shared[int(rng.integers(len(shared)))]
    if kind == 1:
        p = shared[int(rng.integers(len(shared)))]
        return float(rng.choice([2.0, -0.5, 1.5])) * p + float(rng.uniform(-1, 1))
    if kind == 2:
        a, b = (shared[int(i)] for i in rng.choice(len(shared), 2, replace=False))
        return a - 0.5 * b + 0.1
    used[0] = (used[0] + 1) % len(vec)
    return vec[used[0]]


def _random_circuit(n: int, seed: int, *, passes: int = 1) -> tb.Circuit:
    """Every parametrized gate (``passes`` times) on random, often non-adjacent,
    qubits, each with at least one symbolic parameter, and ccx/cswap/h between."""
    rng = np.random.default_rng(seed)
    shared = [tb.Parameter(name) for name in ("a", "b", "c")]
    vec = tb.ParameterVector("v", 4)
    used = [-1]
    c = tb.Circuit(n, global_phase=0.2)
    for q in range(n):
        c.h(q)
    for _ in range(passes):
        for name in rng.permutation(PARAM_GATES):
            spec = tb.GATES[str(name)]
            if spec.num_qubits > n:
                continue
            qubits = [int(q) for q in rng.choice(n, spec.num_qubits, replace=False)]
            params = [float(rng.uniform(-math.pi, math.pi)) for _ in range(spec.num_params)]
            for j in range(spec.num_params):
                if j == 0 or rng.random() < 0.6:
                    params[j] = _slot(rng, shared, vec, used)
            c.append(str(name), qubits, params)
            if n >= 3 and rng.random() < 0.25:
                fixed = str(rng.choice(["ccx", "cswap"]))
                c.append(fixed, [int(q) for q in rng.choice(n, 3, replace=False)])
            if rng.random() < 0.3:
                c.sx(int(rng.integers(n)))
    return c


def _central_differences(circ, obs, x: np.ndarray, h: float = FD_STEP, **kw) -> np.ndarray:
    """Central differences of tb.expectation, one batched call."""
    p = x.shape[0]
    rows = np.concatenate([x + h * np.eye(p), x - h * np.eye(p)])
    v = tb.expectation(circ, obs, rows, **kw).values
    return (v[:p] - v[p:]) / (2 * h)


CASES = [(2, 101), (3, 102), (4, 103), (5, 104), (6, 105), (8, 106)]


def test_every_parametrized_gate_is_covered() -> None:
    counts = {name: tb.GATES[name].num_params for name in PARAM_GATES}
    assert counts == EXPECTED_PARAM_GATES
    c = _random_circuit(5, 1)
    names = {op.name for op in c.operations}
    assert set(PARAM_GATES) <= names
    assert {"ccx", "cswap"} & names
    # parameters: three shared, four vector elements
    assert {p.name for p in c.parameters} <= {"a", "b", "c", "v[0]", "v[1]", "v[2]", "v[3]"}
    assert c.num_parameters >= 5
    distant = [op for op in c.operations if len(op.qubits) == 2 and abs(np.diff(op.qubits)[0]) > 1]
    assert distant


# ------------------------------------------------------------------ exactness
@pytest.mark.parametrize("n,seed", CASES)
def test_adjoint_equals_finite_differences_and_shift(n: int, seed: int) -> None:
    circ = _random_circuit(n, seed)
    rng = np.random.default_rng(seed + 1000)
    obs = _random_sum(n, rng, 4)
    scale = _scale(obs)
    x = rng.uniform(-math.pi, math.pi, circ.num_parameters)
    adj = tb.gradient(circ, obs, x)
    ps = tb.gradient(circ, obs, x, method="parameter-shift")
    assert adj.method == "adjoint" and ps.method == "parameter-shift"
    assert adj.grad.shape == (circ.num_parameters,) and adj.value.shape == ()
    assert np.max(np.abs(adj.grad)) > 1e-3  # a gradient that is not trivially zero
    fd = _central_differences(circ, obs, x)
    np.testing.assert_allclose(adj.grad, fd, rtol=0, atol=1e-7 * scale)
    np.testing.assert_allclose(adj.grad, ps.grad, rtol=0, atol=1e-9 * scale)
    want = _dense_value(circ, x, obs)
    np.testing.assert_allclose(adj.value, want, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(ps.value, want, rtol=0, atol=1e-10 * scale)
    for g in (adj, ps):
        np.testing.assert_allclose(g.fidelity, 1.0, atol=1e-9)
        assert 0 <= g.error_estimate < 1e-9


def test_two_passes_over_every_gate_on_seven_qubits() -> None:
    circ = _random_circuit(7, 77, passes=2)
    rng = np.random.default_rng(770)
    obs = [*_random_sum(7, rng, 3), (0.7, "Z0 Z6")]
    scale = _scale(obs)
    x = rng.uniform(-math.pi, math.pi, circ.num_parameters)
    adj = tb.gradient(circ, obs, x)
    ps = tb.gradient(circ, obs, x, method="parameter-shift")
    np.testing.assert_allclose(adj.grad, _central_differences(circ, obs, x), atol=1e-7 * scale)
    np.testing.assert_allclose(adj.grad, ps.grad, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(adj.value, _dense_value(circ, x, obs), atol=1e-10 * scale)


def _five_point(f, x: float, h: float = 1e-3) -> float:
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


@pytest.mark.parametrize("name", PARAM_GATES)
def test_shift_rule_is_exact(name: str) -> None:
    """sum_m c_m f(x + s_m) = f'(x) for each parameter, on a random 3-qubit state
    (dense reference), with the gate in the middle of random gates."""
    rng = np.random.default_rng(sum(map(ord, name)))
    spec = tb.GATES[name]
    n = 3
    where = [int(q) for q in rng.choice(n, spec.num_qubits, replace=False)]
    before = [(sv.random_unitary(8, rng), [0, 1, 2])]
    after = [(sv.random_unitary(4, rng), [int(q) for q in rng.choice(n, 2, replace=False)])]
    obs = [(1.0, "Z0 X2"), (-0.6, "Y1"), (0.4, "X0 Y1 Z2")]
    ham = sum(c * sv.kron_ops(*[sv.PAULIS[_term(p).get(q, "I")] for q in range(n)]) for c, p in obs)
    for j in range(spec.num_params):
        base = [float(v) for v in rng.uniform(-math.pi, math.pi, spec.num_params)]

        def f(xj: float, j: int = j, base: list[float] = base) -> float:
            ps = list(base)
            ps[j] = xj
            psi = sv.zero_state(n)
            for m, qs in [*before, (sv.gate(name, ps), where), *after]:
                psi = sv.apply(psi, m, qs, n)
            return float(np.vdot(psi, ham @ psi).real)

        shifts, coeffs = shift_rule(name, j)
        assert shifts.shape == coeffs.shape and shifts.size in (2, 4)
        for x in (base[j], base[j] + 1.3, -0.7):
            got = sum(float(c) * f(x + float(s)) for s, c in zip(shifts, coeffs, strict=True))
            want = _five_point(f, x)
            assert abs(want) > 1e-4 or j > 0  # the derivative is not trivially zero
            assert got == pytest.approx(want, abs=1e-9), (name, j, x)


@pytest.mark.parametrize("name", PARAM_GATES)
def test_gradient_per_gate_adjoint_and_shift(name: str) -> None:
    """Each gate alone with all its parameters symbolic, on a 4-qubit random
    state, its qubits far apart: adjoint = parameter-shift = finite differences."""
    rng = np.random.default_rng(sum(map(ord, name)) + 1)
    spec = tb.GATES[name]
    theta = tb.ParameterVector("x", spec.num_params)
    c = tb.Circuit(4)
    for q in range(4):
        c.u3(*rng.uniform(-3, 3, 3), q)
    c.cx(0, 1).cx(2, 3).ry(0.4, 1)
    qubits = [3, 0] if spec.num_qubits == 2 else [2]
    c.append(name, qubits, list(theta))
    c.cz(0, 3).rx(0.3, 0)
    obs = [(1.0, "Z0 Z3"), (0.5, "X0"), (-0.8, "Y3 X2"), (0.3, "Y0 Y1 Y2 Y3")]
    x = rng.uniform(-math.pi, math.pi, spec.num_params)
    adj = tb.gradient(c, obs, x)
    ps = tb.gradient(c, obs, x, method="parameter-shift")
    np.testing.assert_allclose(adj.grad, ps.grad, rtol=0, atol=1e-9 * _scale(obs))
    np.testing.assert_allclose(
        adj.grad, _central_differences(c, obs, x), rtol=0, atol=1e-7 * _scale(obs)
    )
    np.testing.assert_allclose(adj.value, _dense_value(c, x, obs), atol=1e-10 * _scale(obs))


def test_shift_rule_known_values_and_errors() -> None:
    s, cf = shift_rule("rx")
    np.testing.assert_allclose(s, [math.pi / 2, 3 * math.pi / 2])
    np.testing.assert_allclose(cf, [0.5, -0.5])
    s, cf = shift_rule("crx")
    assert s.size == 4
    with pytest.raises(ValueError, match=r"gate 'h' has no parameter 0"):
        shift_rule("h")
    with pytest.raises(ValueError, match=r"gate 'rx' has no parameter 1"):
        shift_rule("rx", 1)
    with pytest.raises(ValueError, match=r"gate 'cu' has no parameter 4"):
        shift_rule("cu", 4)


# ------------------------------------------------------------------ batches
def test_batched_shapes_and_rows() -> None:
    circ = _random_circuit(4, 201)
    rng = np.random.default_rng(202)
    obs = _random_sum(4, rng, 3)
    p = circ.num_parameters
    for method in ("adjoint", "parameter-shift"):
        for shape in ((3,), (2, 2)):
            xs = rng.uniform(-math.pi, math.pi, (*shape, p))
            g = tb.gradient(circ, obs, xs, method=method)
            assert g.value.shape == shape
            assert g.grad.shape == (*shape, p)
            assert g.fidelity.shape == shape and g.error_estimate.shape == shape
            for idx in np.ndindex(*shape):
                one = tb.gradient(circ, obs, xs[idx], method=method)
                np.testing.assert_allclose(g.value[idx], one.value, rtol=0, atol=1e-13)
                np.testing.assert_allclose(g.grad[idx], one.grad, rtol=0, atol=1e-13)
            flat = g.grad.reshape(-1, p)
            assert np.ptp(flat[:, 0]) > 1e-6  # rows are different points


def test_mapping_params_and_value_and_grad() -> None:
    circ = _random_circuit(3, 211)
    rng = np.random.default_rng(212)
    obs = _random_sum(3, rng, 3)
    x = rng.uniform(-2, 2, circ.num_parameters)
    g = tb.gradient(circ, obs, x)
    named = {p.name: float(v) for p, v in zip(circ.parameters, x, strict=True)}
    gm = tb.gradient(circ, obs, named)
    np.testing.assert_allclose(gm.grad, g.grad, rtol=0, atol=1e-13)
    np.testing.assert_allclose(gm.value, g.value, rtol=0, atol=1e-13)
    v, dv = tb.value_and_grad(circ, obs, x)
    np.testing.assert_allclose(v, g.value, rtol=0, atol=1e-13)
    np.testing.assert_allclose(dv, g.grad, rtol=0, atol=1e-13)
    v2, dv2 = tb.value_and_grad(circ, obs, x[None], method="parameter-shift")
    assert v2.shape == (1,) and dv2.shape == (1, circ.num_parameters)
    np.testing.assert_allclose(dv2[0], g.grad, rtol=0, atol=1e-9)
    # a compiled circuit gives the same
    gc = tb.gradient(tb.compile_circuit(circ), obs, x)
    np.testing.assert_allclose(gc.grad, g.grad, rtol=0, atol=1e-13)


# ------------------------------------------------------------------ larger and truncated
def _brick(n: int, layers: int) -> tb.Circuit:
    w = tb.ParameterVector("w", 2 * n * layers)
    s = tb.Parameter("s")
    c = tb.Circuit(n)
    k = 0
    for layer in range(layers):
        for q in range(n):
            c.ry(w[k], q).rz(w[k + 1] + 0.5 * s, q)
            k += 2
        for q in range(layer % 2, n - 1, 2):
            c.rzz(s, q, q + 1).cx(q, q + 1)
    return c


def test_fourteen_qubits_adjoint_equals_shift() -> None:
    n = 14
    circ = _brick(n, 5)
    rng = np.random.default_rng(301)
    obs = [(1.0, "Z0 Z13"), (0.5, "X6"), (-0.25, "Y3 Y4"), (0.75, "Z9")]
    x = rng.uniform(-math.pi, math.pi, circ.num_parameters)
    adj = tb.gradient(circ, obs, x)
    ps = tb.gradient(circ, obs, x, method="parameter-shift")
    assert adj.grad.shape == (circ.num_parameters,) == (141,)
    assert np.max(np.abs(adj.grad)) > 1e-3
    np.testing.assert_allclose(adj.grad, ps.grad, rtol=0, atol=1e-9 * _scale(obs))
    np.testing.assert_allclose(
        adj.grad, _central_differences(circ, obs, x), rtol=0, atol=1e-7 * _scale(obs)
    )
    np.testing.assert_allclose(adj.value, _dense_value(circ, x, obs), atol=1e-10 * _scale(obs))
    assert adj.error_estimate < 1e-9 and ps.error_estimate < 1e-9


def test_truncation_sets_error_estimate() -> None:
    # 10 qubits, 6 brick layers: the exact state needs bond 8, H|phi> more
    n = 10
    circ = _brick(n, 6)
    rng = np.random.default_rng(311)
    obs = [(1.0, "Z4 Z5"), (0.5, "X0"), (0.5, "Z9")]
    scale = _scale(obs)
    x = rng.uniform(-math.pi, math.pi, circ.num_parameters)
    full = tb.gradient(circ, obs, x)
    assert tb.expectation(circ, obs, x, engine="mps").max_bond == 8
    for method in ("adjoint", "parameter-shift"):
        exact = tb.gradient(circ, obs, x, max_bond=16, method=method)
        assert exact.error_estimate < 1e-9
        np.testing.assert_allclose(exact.grad, full.grad, rtol=0, atol=1e-9 * scale)
    assert full.error_estimate < 1e-9
    np.testing.assert_allclose(full.fidelity, 1.0, atol=1e-9)
    for max_bond in (6, 12):
        want = tb.expectation(circ, obs, x, max_bond=max_bond)
        for method in ("adjoint", "parameter-shift"):
            cut = tb.gradient(circ, obs, x, max_bond=max_bond, method=method)
            np.testing.assert_allclose(cut.fidelity, want.fidelity, rtol=0, atol=1e-12)
            # the value is the truncated expectation
            np.testing.assert_allclose(cut.value, want.values, rtol=0, atol=1e-12)
            assert cut.error_estimate >= 1 - cut.fidelity - 1e-12
            assert cut.error_estimate <= 1
            # first order in the discarded amplitude: |dg| <~ 2 ||O|| sqrt(error)
            err = np.max(np.abs(cut.grad - full.grad))
            assert err <= 4 * scale * math.sqrt(cut.error_estimate) + 1e-9, (max_bond, method)
    # max_bond 6 truncates the forward state
    cut6 = tb.gradient(circ, obs, x, max_bond=6)
    assert cut6.fidelity < 1 - 1e-3
    assert cut6.error_estimate > 1e-3
    # max_bond 12 keeps the forward state exact (parameter-shift is exact), but
    # the adjoint's H|phi> needs more: its error estimate says so
    ps12 = tb.gradient(circ, obs, x, max_bond=12, method="parameter-shift")
    assert ps12.error_estimate < 1e-9
    np.testing.assert_allclose(ps12.grad, full.grad, rtol=0, atol=1e-9 * scale)
    adj12 = tb.gradient(circ, obs, x, max_bond=12)
    np.testing.assert_allclose(adj12.fidelity, 1.0, atol=1e-12)
    assert adj12.error_estimate > 1e-4
    # finite differences of the truncated expectation, loosely
    fd = _central_differences(circ, obs, x, h=1e-5, max_bond=6)
    ps6 = tb.gradient(circ, obs, x, max_bond=6, method="parameter-shift")
    assert np.max(np.abs(ps6.grad - fd)) < 0.1 * np.max(np.abs(full.grad))
    assert np.max(np.abs(cut6.grad - fd)) <= 4 * scale * math.sqrt(cut6.error_estimate)


def test_mpo_observable_equals_pauli_sum() -> None:
    n = 6
    circ = _random_circuit(n, 401)
    rng = np.random.default_rng(402)
    obs = _random_sum(n, rng, 10)  # more than 8 terms: evaluated as an MPO anyway
    mpo = tb.MPO.from_pauli_sum(obs, n)
    x = rng.uniform(-math.pi, math.pi, circ.num_parameters)
    for method in ("adjoint", "parameter-shift"):
        a = tb.gradient(circ, obs, x, method=method)
        b = tb.gradient(circ, mpo, x, method=method)
        np.testing.assert_allclose(b.grad, a.grad, rtol=0, atol=1e-10 * _scale(obs))
        np.testing.assert_allclose(b.value, a.value, rtol=0, atol=1e-10 * _scale(obs))
    np.testing.assert_allclose(a.value, _dense_value(circ, x, obs), atol=1e-10 * _scale(obs))
    small = obs[:3]
    a = tb.gradient(circ, small, x)
    b = tb.gradient(circ, tb.MPO.from_pauli_sum(small, n), x)
    np.testing.assert_allclose(b.grad, a.grad, rtol=0, atol=1e-10 * _scale(small))


@pytest.mark.parametrize("method", ["adjoint", "parameter-shift"])
def test_routing_gives_the_same_gradient(method: str) -> None:
    n = 7
    circ = _random_circuit(n, 501)
    t, z = circ.parameters[0], tb.Parameter("z")
    circ.rxx(t, 0, 6).cry(2 * z - t, 5, 1).ccx(6, 0, 3).crz(z, 6, 2)  # distant gates
    rng = np.random.default_rng(502)
    obs = [(1.0, "Z0 Z6"), (0.5, "X3"), (-0.5, "Y1 Y5")]
    x = rng.uniform(-math.pi, math.pi, circ.num_parameters)
    ref = tb.gradient(circ, obs, x, method=method)
    for routing in ("lazy", "swap", "mpo", "auto"):
        g = tb.gradient(circ, obs, x, method=method, routing=routing)
        np.testing.assert_allclose(g.grad, ref.grad, rtol=0, atol=1e-9 * _scale(obs))
        np.testing.assert_allclose(g.value, ref.value, rtol=0, atol=1e-10 * _scale(obs))
        assert g.error_estimate < 1e-9
    np.testing.assert_allclose(
        ref.grad, _central_differences(circ, obs, x), rtol=0, atol=1e-7 * _scale(obs)
    )


@pytest.mark.parametrize("method", ["adjoint", "parameter-shift"])
def test_complex64(method: str) -> None:
    circ = _random_circuit(5, 601)
    rng = np.random.default_rng(602)
    obs = _random_sum(5, rng, 3)
    x = rng.uniform(-math.pi, math.pi, circ.num_parameters)
    g64 = tb.gradient(circ, obs, x, method=method, dtype="complex64")
    g128 = tb.gradient(circ, obs, x, method=method)
    t = tol("complex64")
    assert g64.grad.dtype == np.float64
    scale = _scale(obs) * max(1.0, float(np.max(np.abs(g128.grad))))
    np.testing.assert_allclose(g64.grad, g128.grad, rtol=t["rtol"], atol=t["atol"] * scale)
    np.testing.assert_allclose(g64.value, g128.value, rtol=t["rtol"], atol=t["atol"] * scale)


# ------------------------------------------------------------------ bad input
@pytest.fixture
def circ() -> tb.Circuit:
    a, b = tb.Parameter("a"), tb.Parameter("b")
    return tb.Circuit(3).rx(a, 0).cry(2 * b - a, 0, 2).rzz(b, 1, 2)


def test_non_hermitian_observable(circ: tb.Circuit) -> None:
    with pytest.raises(ValueError, match=r"must be Hermitian \(real coefficients\)"):
        tb.gradient(circ, [(1j, "Z0")], [0.1, 0.2])
    with pytest.raises(ValueError, match="must be Hermitian"):
        tb.gradient(circ, [(1.0, "Z0"), (0.5 + 0.5j, "X1")], [0.1, 0.2], method="parameter-shift")
    plus = np.array([[0, 1], [0, 0]], dtype=complex).reshape(1, 2, 2, 1)
    eye = np.eye(2, dtype=complex).reshape(1, 2, 2, 1)
    with pytest.raises(ValueError, match="must be Hermitian"):
        tb.gradient(circ, tb.MPO([plus, eye, eye]), [0.1, 0.2])


def test_a_list_of_observables(circ: tb.Circuit) -> None:
    with pytest.raises(ValueError, match="gradient takes one observable"):
        tb.gradient(circ, ["Z0", "Z1"], [0.1, 0.2])
    with pytest.raises(ValueError, match="gradient takes one observable"):
        tb.gradient(circ, ["Z0"], [0.1, 0.2])


def test_unknown_method_and_routing(circ: tb.Circuit) -> None:
    with pytest.raises(ValueError, match="method must be 'adjoint' or 'parameter-shift', got 'fd'"):
        tb.gradient(circ, "Z0", [0.1, 0.2], method="fd")
    with pytest.raises(ValueError, match=r"routing must be .*got 'teleport'"):
        tb.gradient(circ, "Z0", [0.1, 0.2], routing="teleport")


def test_bad_params(circ: tb.Circuit) -> None:
    with pytest.raises(ValueError, match=r"params must have shape \(\.\.\., 2\).*got \(3,\)"):
        tb.gradient(circ, "Z0", [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"index \(1, 1\) is not finite \(b\)"):
        tb.gradient(circ, "Z0", [[0.1, 0.2], [0.3, np.nan]])
    with pytest.raises(ValueError, match=r"unbound parameters a, b"):
        tb.gradient(circ, "Z0", None)
    with pytest.raises(TypeError, match="must be real numbers"):
        tb.gradient(circ, "Z0", ["x", "y"])
    with pytest.raises(ValueError, match=r"Pauli term on qubit 3, but the circuit has 3 qubits"):
        tb.gradient(circ, "Z3", [0.1, 0.2])


def test_circuit_without_parameters() -> None:
    c = tb.Circuit(2).h(0).cx(0, 1).ry(0.3, 1)
    for method in ("adjoint", "parameter-shift"):
        g = tb.gradient(c, "Z0 Z1", None, method=method)
        assert g.grad.shape == (0,) and g.value.shape == ()
        assert float(g.value) == pytest.approx(math.cos(0.3), abs=1e-12)
        assert g.error_estimate < 1e-9
    with pytest.raises(ValueError, match="params= given, but the circuit has no parameters"):
        tb.gradient(c, "Z0", [0.1])
    with pytest.raises(ValueError, match="params= given, but the circuit has no parameters"):
        tb.gradient(c, "Z0", [])


@pytest.mark.parametrize("method", ["adjoint", "parameter-shift"])
def test_dense_engine_gradient_equals_the_mps(method: str) -> None:
    rng = np.random.default_rng(77)
    circ = _random_circuit(5, 77)
    obs = [(1.0, "Z0 Z1"), (0.5, "X2"), (-0.25, "Y3 Y4")]
    x = rng.uniform(-math.pi, math.pi, (2, circ.num_parameters))
    dense = tb.gradient(circ, obs, x, method=method, engine="statevector")
    mps = tb.gradient(circ, obs, x, method=method, engine="mps")
    np.testing.assert_allclose(dense.value, mps.value, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dense.grad, mps.grad, rtol=1e-9, atol=1e-10)
    assert np.all(dense.error_estimate == 0) and np.all(dense.fidelity == 1)
