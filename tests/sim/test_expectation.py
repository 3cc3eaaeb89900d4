"""tb.expectation over batches of parameter points against one-at-a-time
simulation of the bound circuit and the dense reference simulator."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import tensorbond as tb
from _reference import statevector as sv
from _reference.tolerances import tol

EXACT = {"rtol": 1e-10, "atol": 1e-10}


# ------------------------------------------------------------------ helpers
def _ansatz(n: int, layers: int, rng: np.random.Generator) -> tb.Circuit:
    """Shared parameters (t, s), affine expressions of them and a
    ParameterVector; non-adjacent gates and a global phase."""
    t, s = tb.Parameter("t"), tb.Parameter("s")
    w = tb.ParameterVector("w", n)
    c = tb.Circuit(n, global_phase=0.3)
    for layer in range(layers):
        for q in range(n):
            c.ry(w[q] + 0.1 * layer, q)
            c.rz(2 * t + 0.1, q)
        for q in range(layer % 2, n - 1, 2):
            c.cx(q, q + 1)
        a, b = (int(x) for x in rng.choice(n, 2, replace=False))
        c.rzz(s - w[a] / 3, a, b)
        c.u(t, -s, float(rng.uniform(-1, 1)), int(rng.integers(n)))
        c.crx(0.5 * s + t, b, a)
    return c


def _term(text: str) -> dict[int, str]:
    return {int(q): p for p, q in re.findall(r"([XYZ])(\d+)", text)}


def _dense_value(psi: np.ndarray, n: int, obs) -> complex:
    """The reference value of a Pauli string or a list of (coefficient, string)."""
    pairs = [(1.0, obs)] if isinstance(obs, str) else obs
    return sum(complex(c) * sv.expectation(psi, _term(p), n) for c, p in pairs)


def _dense_state(circ: tb.Circuit, x: np.ndarray) -> np.ndarray:
    return sv.simulate_ops(circ.num_qubits, circ.bind(x).operations)


def _random_sum(n: int, rng: np.random.Generator, k: int) -> list[tuple[float, str]]:
    out = []
    for _ in range(k):
        m = int(rng.integers(1, min(n, 3) + 1))
        qs = sorted(int(q) for q in rng.choice(n, m, replace=False))
        out.append((float(rng.normal()), " ".join(f"{rng.choice(list('XYZ'))}{q}" for q in qs)))
    return out


OBS_6 = [
    "Z0",
    "X2 X5",
    [(0.5, "Z1 Z2"), (-1.25, "Y0 X3"), (0.75, "X5")],
    {"Z0 Z5": 1.0, "Y3": -0.5},
]


def _ref_values(circ: tb.Circuit, rows: np.ndarray, observables: list) -> np.ndarray:
    n = circ.num_qubits
    out = []
    for x in rows:
        psi = _dense_state(circ, x)
        row = []
        for o in observables:
            if isinstance(o, dict):
                o = [(c, p) for p, c in o.items()]
            row.append(_dense_value(psi, n, o))
        out.append(row)
    return np.array(out)


def _one_at_a_time(circ: tb.Circuit, rows: np.ndarray, observables: list, **kw) -> np.ndarray:
    out = []
    for x in rows:
        state = tb.simulate(circ.bind(x), **kw)
        out.append([state.expectation(o) for o in observables])
    return np.array(out)


# ------------------------------------------------------------------ batches
def test_ansatz_parameters_are_shared_and_ordered() -> None:
    c = _ansatz(6, 2, np.random.default_rng(0))
    names = [p.name for p in c.parameters]
    assert names == ["s", "t"] + [f"w[{i}]" for i in range(6)]


@pytest.mark.parametrize("seed", [3, 11])
def test_batch_equals_one_at_a_time_and_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    c = _ansatz(6, 3, rng)
    rows = rng.uniform(-math.pi, math.pi, (5, c.num_parameters))
    res = tb.expectation(c, OBS_6, rows, engine="mps")
    assert isinstance(res, tb.Expectation) and res.engine == "mps"
    assert res.shape == (5, len(OBS_6))
    assert res.values.dtype == np.float64
    np.testing.assert_allclose(res.values, _one_at_a_time(c, rows, OBS_6), **EXACT)
    ref = _ref_values(c, rows, OBS_6)
    np.testing.assert_allclose(ref.imag, 0, atol=1e-12)
    np.testing.assert_allclose(res.values, ref.real, **EXACT)
    # the points differ: a batch that repeated its first row would fail here
    assert np.ptp(res.values[:, 0]) > 1e-3
    np.testing.assert_allclose(res.fidelity, 1.0, atol=1e-9)
    assert res.max_bond.shape == (5,)
    assert np.all(res.max_bond >= 2) and np.all(res.max_bond <= 8)


def test_compiled_circuit_gives_the_same_values() -> None:
    rng = np.random.default_rng(5)
    c = _ansatz(5, 2, rng)
    prog = tb.compile_circuit(c)
    rows = rng.uniform(-3, 3, (3, c.num_parameters))
    obs = ["Z0 Z4", "X1"]
    np.testing.assert_allclose(
        tb.expectation(prog, obs, rows).values, tb.expectation(c, obs, rows).values, **EXACT
    )
    np.testing.assert_allclose(
        tb.expectation(prog, obs, rows).values, _ref_values(c, rows, obs).real, **EXACT
    )


def test_shapes() -> None:
    rng = np.random.default_rng(7)
    c = _ansatz(4, 2, rng)
    p = c.num_parameters
    one = rng.uniform(-2, 2, p)
    many = rng.uniform(-2, 2, (2, 3, p))
    obs = ["Z0", "X1 X3", [(0.3, "Y2")]]

    r = tb.expectation(c, "Z0", one)
    assert r.values.shape == () and r.fidelity.shape == () and r.max_bond.shape == ()
    r = tb.expectation(c, obs, one)
    assert r.values.shape == (3,) and r.fidelity.shape == ()
    r = tb.expectation(c, "Z0", many[0])
    assert r.values.shape == (3,) and r.fidelity.shape == (3,)
    r = tb.expectation(c, obs, many[0])
    assert r.values.shape == (3, 3)
    r1 = tb.expectation(c, "Z0", many)
    assert r1.values.shape == (2, 3) and r1.fidelity.shape == (2, 3) and r1.max_bond.shape == (2, 3)
    r2 = tb.expectation(c, obs, many)
    assert r2.values.shape == (2, 3, 3) and r2.fidelity.shape == (2, 3)
    # a one-element list is still a list
    assert tb.expectation(c, ["Z0"], many).values.shape == (2, 3, 1)
    # the (2, 3, P) batch is the (6, P) batch reshaped, and each row is its point
    flat = tb.expectation(c, obs, many.reshape(6, p)).values
    np.testing.assert_allclose(r2.values.reshape(6, 3), flat, **EXACT)
    np.testing.assert_allclose(r1.values, r2.values[..., 0], **EXACT)
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(
                r2.values[i, j], tb.expectation(c, obs, many[i, j]).values, **EXACT
            )
    np.testing.assert_allclose(
        r2.values.reshape(6, 3), _ref_values(c, many.reshape(6, p), obs).real, **EXACT
    )


def test_integer_params_are_accepted() -> None:
    c = _ansatz(3, 1, np.random.default_rng(1))
    x = np.arange(c.num_parameters)  # int64
    got = tb.expectation(c, "Z0 Z2", x).values
    want = tb.expectation(c, "Z0 Z2", x.astype(float)).values
    np.testing.assert_allclose(got, want, **EXACT)


def test_mapping_params() -> None:
    rng = np.random.default_rng(9)
    c = _ansatz(4, 2, rng)
    x = rng.uniform(-2, 2, c.num_parameters)
    by_name = {p.name: float(v) for p, v in zip(c.parameters, x, strict=True)}
    by_param = dict(zip(c.parameters, x.tolist(), strict=True))
    obs = ["Z0", "X1 Y3"]
    want = tb.expectation(c, obs, x).values
    for m in (by_name, by_param):
        r = tb.expectation(c, obs, m)
        assert r.values.shape == (2,) and r.fidelity.shape == ()
        np.testing.assert_allclose(r.values, want, **EXACT)
    np.testing.assert_allclose(want, _ref_values(c, x[None], obs)[0].real, **EXACT)


def test_unparametrized_circuit_needs_no_params() -> None:
    c = tb.Circuit(3).h(0).cx(0, 2).ry(0.4, 1)
    r = tb.expectation(c, ["Z0 Z2", "X0 X2", "Z1"])
    assert r.values.shape == (3,) and r.fidelity.shape == ()
    np.testing.assert_allclose(r.values, [1.0, 1.0, math.cos(0.4)], **EXACT)


# ------------------------------------------------------------------ observables
def test_mpo_observables_equal_pauli_sums() -> None:
    rng = np.random.default_rng(13)
    n = 6
    c = _ansatz(n, 3, rng)
    rows = rng.uniform(-math.pi, math.pi, (4, c.num_parameters))
    sums = [_random_sum(n, rng, 3), _random_sum(n, rng, 12)]  # 12 > 8 terms: MPO path
    mpos = [tb.MPO.from_pauli_sum(s, n) for s in sums]
    pauli = tb.expectation(c, sums, rows).values
    mpo = tb.expectation(c, mpos, rows).values
    assert mpo.dtype == np.float64
    np.testing.assert_allclose(mpo, pauli, **EXACT)
    np.testing.assert_allclose(pauli, _ref_values(c, rows, sums).real, **EXACT)
    # a mixed list
    mixed = tb.expectation(c, [sums[0], mpos[1], "Z0"], rows).values
    np.testing.assert_allclose(mixed[:, :2], pauli, **EXACT)
    # one MPO alone is a single observable
    single = tb.expectation(c, mpos[1], rows).values
    assert single.shape == (4,)
    np.testing.assert_allclose(single, pauli[:, 1], **EXACT)


def test_complex_coefficient_gives_complex_values() -> None:
    rng = np.random.default_rng(17)
    c = _ansatz(4, 2, rng)
    rows = rng.uniform(-2, 2, (3, c.num_parameters))
    obs = [[(1.0, "Z0")], [(0.5 + 0.25j, "X1 Y2"), (1.0, "Z3")]]
    r = tb.expectation(c, obs, rows)
    assert np.iscomplexobj(r.values)
    ref = _ref_values(c, rows, obs)
    np.testing.assert_allclose(r.values, ref, **EXACT)
    assert np.max(np.abs(r.values[:, 1].imag)) > 1e-3
    # Hermitian alone: real
    assert tb.expectation(c, obs[0], rows).values.dtype == np.float64


def test_non_hermitian_mpo_gives_complex_values() -> None:
    rng = np.random.default_rng(19)
    n = 4
    c = _ansatz(n, 2, rng)
    rows = rng.uniform(-2, 2, (3, c.num_parameters))
    plus = np.array([[0, 1], [0, 0]], dtype=complex)  # sigma^+ on qubit 0, Z on qubit 2
    z = np.diag([1.0, -1.0]).astype(complex)
    eye = np.eye(2, dtype=complex)
    mats = [plus, eye, z, eye]
    op = tb.MPO([m.reshape(1, 2, 2, 1) for m in mats])
    r = tb.expectation(c, op, rows)
    assert np.iscomplexobj(r.values) and r.values.shape == (3,)
    dense = sv.kron_ops(*mats)
    want = []
    for x in rows:
        psi = _dense_state(c, x)
        want.append(np.vdot(psi, dense @ psi) / np.vdot(psi, psi))
    np.testing.assert_allclose(r.values, want, **EXACT)
    assert np.max(np.abs(np.imag(want))) > 1e-3


def test_complex64_state() -> None:
    rng = np.random.default_rng(23)
    c = _ansatz(5, 2, rng)
    rows = rng.uniform(-2, 2, (3, c.num_parameters))
    obs = ["Z0", "X1 X4"]
    r = tb.expectation(c, obs, rows, dtype="complex64")
    assert r.values.dtype == np.float64
    np.testing.assert_allclose(r.values, _ref_values(c, rows, obs).real, **tol("complex64"))


# ------------------------------------------------------------------ truncation
def _deep(n: int, layers: int, rng: np.random.Generator) -> tb.Circuit:
    w = tb.ParameterVector("w", n)
    c = tb.Circuit(n)
    for _ in range(layers):
        for q in range(n):
            c.u3(w[q], float(rng.uniform(0, 6)), float(rng.uniform(0, 6)), q)
        for q in range(n - 1):
            c.cx(q, q + 1)
        c.rzz(w[0] + w[n - 1], 0, n - 1)
    return c


def test_fidelity_full_bond_and_truncated() -> None:
    rng = np.random.default_rng(29)
    n = 8
    c = _deep(n, 5, rng)
    rows = rng.uniform(-math.pi, math.pi, (4, c.num_parameters))
    obs = ["Z0", "X3 X4", [(0.5, "Z1 Z6"), (0.5, "Y7")]]
    norm = np.array([1.0, 1.0, 1.0])  # operator norms bound |<O>| and its error
    exact = tb.expectation(c, obs, rows, engine="mps")
    np.testing.assert_allclose(exact.fidelity, 1.0, atol=1e-9)
    assert np.all(exact.max_bond == 16)
    np.testing.assert_allclose(exact.values, _ref_values(c, rows, obs).real, **EXACT)

    cut = tb.expectation(c, obs, rows, max_bond=4)
    assert cut.fidelity.shape == (4,)
    assert np.all(cut.fidelity < 1 - 1e-6), cut.fidelity
    assert np.all(cut.fidelity > 0)
    assert np.all(cut.max_bond <= 4)
    # the truncated batch is the truncated one-at-a-time simulation
    np.testing.assert_allclose(cut.values, _one_at_a_time(c, rows, obs, max_bond=4), **EXACT)
    # |<O>_trunc - <O>| <= 2 ||O|| ||psi_t - psi||, and ||psi_t - psi||^2 ~ 2 (1 - F);
    # a factor 4 of slack over that for the estimate being an estimate
    err = np.abs(cut.values - exact.values)
    bound = 4 * 2 * norm[None, :] * np.sqrt(2 * (1 - cut.fidelity))[:, None] + 1e-10
    assert np.all(err <= bound), (err, bound)
    assert np.max(err) > 1e-8  # truncation did change the values


# ------------------------------------------------------------------ the result object
def test_expectation_array_protocol() -> None:
    rng = np.random.default_rng(31)
    c = _ansatz(3, 1, rng)
    rows = rng.uniform(-1, 1, (4, c.num_parameters))
    r = tb.expectation(c, ["Z0", "X1"], rows)
    a = np.asarray(r)
    assert a.shape == (4, 2) and a.dtype == np.float64
    np.testing.assert_array_equal(a, r.values)
    np.testing.assert_array_equal(np.asarray(r, dtype=np.complex128), r.values.astype(complex))
    assert np.asarray(r, dtype=np.complex128).dtype == np.complex128
    np.testing.assert_array_equal(np.array(r) * 2, r.values * 2)
    assert len(r) == 4
    np.testing.assert_array_equal(r[1], r.values[1])
    np.testing.assert_array_equal(r[:, 0], r.values[:, 0])
    assert r.shape == (4, 2)


# ------------------------------------------------------------------ bad input
@pytest.fixture
def circ() -> tb.Circuit:
    return _ansatz(3, 1, np.random.default_rng(37))  # parameters s, t, w[0..2]


def test_params_of_wrong_width(circ: tb.Circuit) -> None:
    with pytest.raises(ValueError, match=r"params must have shape \(\.\.\., 5\).*got \(4,\)"):
        tb.expectation(circ, "Z0", np.zeros(4))
    with pytest.raises(ValueError, match=r"params must have shape \(\.\.\., 5\).*got \(3, 6\)"):
        tb.expectation(circ, "Z0", np.zeros((3, 6)))
    with pytest.raises(ValueError, match=r"params must have shape \(\.\.\., 5\).*got \(\)"):
        tb.expectation(circ, "Z0", 0.5)


def test_nan_params_name_the_parameter(circ: tb.Circuit) -> None:
    x = np.zeros((2, 5))
    x[1, 3] = np.nan  # parameters are s, t, w[0], w[1], w[2]
    with pytest.raises(ValueError, match=r"index \(1, 3\) is not finite \(w\[1\]\)"):
        tb.expectation(circ, "Z0", x)
    with pytest.raises(ValueError, match=r"not finite \(t\)"):
        tb.expectation(circ, "Z0", [0.0, np.inf, 0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"the value of s must be finite"):
        tb.expectation(circ, "Z0", {"s": np.nan, "t": 0, "w[0]": 0, "w[1]": 0, "w[2]": 0})


def test_params_for_a_circuit_without_parameters() -> None:
    c = tb.Circuit(2).h(0).cx(0, 1)
    with pytest.raises(ValueError, match="params= given, but the circuit has no parameters"):
        tb.expectation(c, "Z0", [0.1])
    with pytest.raises(ValueError, match="params= given, but the circuit has no parameters"):
        tb.expectation(c, "Z0", {"t": 0.1})


def test_no_params_for_a_parametrized_circuit(circ: tb.Circuit) -> None:
    with pytest.raises(ValueError, match=r"unbound parameters s, t, w\[0\], w\[1\], w\[2\]"):
        tb.expectation(circ, "Z0")
    with pytest.raises(ValueError, match=r"no value for the parameters w\[2\]"):
        tb.expectation(circ, "Z0", {"s": 0, "t": 0, "w[0]": 0, "w[1]": 0})
    with pytest.raises(ValueError, match="'q' is not a parameter"):
        tb.expectation(circ, "Z0", {"q": 0, "s": 0, "t": 0, "w[0]": 0, "w[1]": 0, "w[2]": 0})


def test_observable_on_a_missing_qubit(circ: tb.Circuit) -> None:
    x = np.zeros(5)
    with pytest.raises(ValueError, match=r"qubit 7, but the circuit has 3 qubits \(0\.\.2\)"):
        tb.expectation(circ, "Z0 X7", x)
    with pytest.raises(ValueError, match=r"observable 1: Pauli term on qubit 3"):
        tb.expectation(circ, ["Z0", [(1.0, "Z3")]], x)
    with pytest.raises(ValueError, match="observable 0: the MPO has 4 sites, the circuit 3 qubits"):
        tb.expectation(circ, [tb.MPO.from_pauli_sum("Z0", 4)], x)


def test_empty_observable_list(circ: tb.Circuit) -> None:
    with pytest.raises(ValueError, match="no observables given"):
        tb.expectation(circ, [], np.zeros(5))


def test_non_numeric_params(circ: tb.Circuit) -> None:
    with pytest.raises(TypeError, match="parameter values must be real numbers, got dtype <U"):
        tb.expectation(circ, "Z0", np.array(["a"] * 5))
    with pytest.raises(TypeError, match="must be real numbers, got dtype complex128"):
        tb.expectation(circ, "Z0", np.zeros(5, dtype=complex))
    with pytest.raises(TypeError, match="must be real numbers, got dtype object"):
        tb.expectation(circ, "Z0", np.array([None] * 5))
    with pytest.raises(TypeError, match="must be real numbers, got dtype bool"):
        tb.expectation(circ, "Z0", np.zeros(5, dtype=bool))


@pytest.mark.parametrize("seed", [5, 17])
def test_dense_engine_equals_the_mps_and_the_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    c = _ansatz(6, 3, rng)
    rows = rng.uniform(-math.pi, math.pi, (4, c.num_parameters))
    auto = tb.expectation(c, OBS_6, rows)  # 6 qubits, nothing truncated: dense
    assert auto.engine == "statevector" and np.all(auto.max_bond == 0)
    forced = tb.expectation(c, OBS_6, rows, engine="statevector")
    mps = tb.expectation(c, OBS_6, rows, engine="mps")
    assert mps.engine == "mps"
    np.testing.assert_allclose(auto.values, mps.values, **EXACT)
    np.testing.assert_allclose(forced.values, mps.values, **EXACT)
    np.testing.assert_allclose(auto.values, _ref_values(c, rows, OBS_6).real, **EXACT)
    # a max_bond that could cut, an MPO observable, complex64: the MPS runs
    assert tb.expectation(c, OBS_6, rows, max_bond=4).engine == "mps"
    assert tb.expectation(c, tb.MPO.from_pauli_sum("Z0", 6), rows).engine == "mps"
    assert tb.expectation(c, OBS_6, rows, dtype="complex64").engine == "mps"
    assert tb.expectation(c, OBS_6, rows, max_bond=8).engine == "statevector"


def test_engine_choice_is_checked() -> None:
    c = tb.Circuit(2).h(0)
    with pytest.raises(ValueError, match="engine must be"):
        tb.expectation(c, "Z0", engine="dense")
    with pytest.raises(ValueError, match="Pauli-sum observables, not MPOs"):
        tb.expectation(c, tb.MPO.from_pauli_sum("Z0", 2), engine="statevector")
    with pytest.raises(ValueError, match="at most 30 qubits"):
        tb.expectation(tb.Circuit(31).h(0), "Z0", engine="statevector")
