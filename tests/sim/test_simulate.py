"""simulate() and MPS queries against the independent dense simulator."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorbond as tb
from _reference import statevector as sv
from _reference.tolerances import tol

ALL_GATES = sorted(tb.GATES)

pytestmark = pytest.mark.usefixtures("single_blas_thread")


# ---------------------------------------------------------------- random circuits
def random_spec(
    n: int, rng: np.random.Generator, extra: int = 40, gates: list[str] | None = None
) -> list[tuple]:
    """Every gate that fits in ``n`` qubits at least once (random qubits in random
    order, so non-adjacent and reversed), random unitaries on 1-3 qubits, and
    ``extra`` more random gates. Items: (name, qubits, params or matrix).

    ``gates`` restricts the choice (``["unitary"]``: random unitaries only, for
    tests of queries that should not depend on the gate table)."""
    pool = sorted(tb.GATES) if gates is None else gates
    fits = [g for g in pool if g == "unitary" or tb.GATES[g].num_qubits <= n]
    names = fits + [str(g) for g in rng.choice(fits, size=extra)]
    names += ["unitary"] * (3 * min(n, 3))
    rng.shuffle(names)
    spec: list[tuple] = []
    # start from a generic product state, so no gate acts trivially on |0..0>
    for q in range(n):
        spec.append(("u3", (q,), tuple(rng.uniform(0, 2 * np.pi, 3))))
    if n >= 8:
        spec += [("cx", (5, 2), ()), ("ccx", (7, 0, 3), ()), ("cswap", (6, 1, 4), ())]
    for name in names:
        if name == "unitary":
            k = int(rng.integers(1, min(n, 3) + 1))
            qs = tuple(int(q) for q in rng.permutation(n)[:k])
            spec.append(("unitary", qs, sv.random_unitary(2**k, rng)))
        else:
            g = tb.GATES[name]
            qs = tuple(int(q) for q in rng.permutation(n)[: g.num_qubits])
            spec.append((name, qs, tuple(rng.uniform(-2 * np.pi, 2 * np.pi, g.num_params))))
    return spec


def build(n: int, spec: list[tuple]) -> tb.Circuit:
    circ = tb.Circuit(n)
    for name, qs, arg in spec:
        if name == "unitary":
            circ.unitary(arg, qs)
        else:
            circ.append(name, qs, arg)
    return circ


def reference(n: int, spec: list[tuple], psi0: np.ndarray | None = None) -> np.ndarray:
    s = sv.StateVector(n, psi0)
    for name, qs, arg in spec:
        if name == "unitary":
            s.unitary(arg, qs)
        else:
            s.gate(name, qs, arg)
    return s.psi


def random_case(n: int, rng: np.random.Generator, extra: int = 40):
    spec = random_spec(n, rng, extra)
    return build(n, spec), reference(n, spec)


def generic_case(n: int, rng: np.random.Generator, extra: int = 40):
    """A generic entangled state from random unitaries only (no gate table)."""
    spec = random_spec(n, rng, extra, gates=["unitary"])
    return build(n, spec), reference(n, spec)


def index(bits: str) -> int:
    return int(bits, 2)


def random_bits(n: int, rng: np.random.Generator) -> str:
    return "".join(str(int(b)) for b in rng.integers(0, 2, n))


# ---------------------------------------------------------------- exact states
@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 11, 14])
def test_random_circuit_matches_dense(n, dtype, rng, tol):
    circ, ref = random_case(n, rng)
    used = {op.name for op in circ.operations}
    assert {g for g in tb.GATES if tb.GATES[g].num_qubits <= n} <= used
    psi = tb.simulate(circ, dtype=dtype, cutoff=0.0)
    assert psi.dtype == np.dtype(dtype)
    assert psi.num_qubits == n
    out = psi.to_dense()
    assert out.shape == (2**n,)
    np.testing.assert_allclose(out, ref, **tol(dtype))
    assert psi.fidelity_estimate == 1.0
    assert psi.truncation_error == 0.0
    assert psi.num_truncations == 0


@pytest.mark.parametrize("name", ALL_GATES)
def test_each_gate_in_a_circuit(name, dtype, tol, rng):
    """One gate at a time on a generic product state: adjacent, distant and
    reversed placements (pins a failure of the random circuits to a gate)."""
    n = 7
    g = tb.GATES[name]
    placements = {
        1: [(0,), (3,), (6,)],
        2: [(2, 3), (3, 2), (0, 6), (6, 1)],
        3: [(2, 3, 4), (4, 3, 2), (0, 6, 3), (5, 0, 2), (6, 4, 1)],
    }[g.num_qubits]
    for qs in placements:
        spec = [("u3", (q,), tuple(rng.uniform(0, 2 * np.pi, 3))) for q in range(n)]
        spec.append((name, qs, tuple(rng.uniform(-2 * np.pi, 2 * np.pi, g.num_params))))
        psi = tb.simulate(build(n, spec), dtype=dtype, cutoff=0.0)
        np.testing.assert_allclose(
            psi.to_dense(), reference(n, spec), **tol(dtype), err_msg=f"{name} on {qs}"
        )


@pytest.mark.parametrize("n", [6, 12])
def test_default_options_bound(n, rng):
    """The default cutoff (1e-12, rsum2) may drop tiny tails, within the rigorous bound."""
    circ, ref = generic_case(n, rng)
    psi = tb.simulate(circ)
    k, eps = psi.num_truncations, psi.truncation_error
    assert eps <= k * 1e-12 * (1 + 1e-9)  # rsum2: each step drops at most cutoff
    assert 1 - 1e-9 <= psi.fidelity_estimate <= 1.0
    dist = np.linalg.norm(psi.to_dense() - ref)
    assert dist <= math.sqrt(k * eps) + 1e-12
    f_true = true_fidelity(psi, ref)
    assert 1 - f_true <= k * eps + 1e-12


#: 14 qubits; the last gate, cu1(13, 5), meets bonds 5..8 that are numerically
#: rank-deficient (half their singular values ~1e-16)
RANK_DEFICIENT_SPEC = [
    ('u3', (0,), (2.900402043854107, 5.490397871160984, 2.2029444025321316)),
    ('u3', (1,), (5.1743322302559065, 5.951427307037792, 0.42122920336322234)),
    ('u3', (2,), (1.8713844812639695, 3.890303400817103, 1.8959978481218211)),
    ('u3', (3,), (1.0985926527215804, 3.1133509622226723, 4.778804764027345)),
    ('u3', (4,), (4.318191843247776, 1.559202464307908, 3.9084340222283824)),
    ('u3', (5,), (1.9833231984343103, 1.74180211951262, 5.842515430126397)),
    ('u3', (6,), (1.756748886882621, 5.961706228575934, 1.2693124534684033)),
    ('u3', (7,), (3.5530056665337875, 2.3895150413645356, 5.077484315238562)),
    ('u3', (8,), (0.8014433323255765, 5.977442691097243, 4.579357342682739)),
    ('u3', (9,), (1.1029817510366715, 4.352733758206302, 0.5832870907964252)),
    ('u3', (10,), (3.495974173188635, 0.6439896414107588, 0.2745327318381823)),
    ('u3', (11,), (2.4673472218105945, 4.342020724318483, 4.567733915175626)),
    ('u3', (12,), (4.203649509970958, 3.716848010847678, 5.522923350586332)),
    ('u3', (13,), (3.378202665284443, 0.614636251692178, 0.8877878421083936)),
    ('cx', (5, 2), ()),
    ('ccx', (7, 0, 3), ()),
    ('cswap', (6, 1, 4), ()),
    ('sx', (5,), ()),
    ('rzz', (4, 2), (4.311898788862104,)),
    ('xx_minus_yy', (4, 8), (-3.990233963956355, 6.176354951281848)),
    ('t', (0,), ()),
    ('t', (12,), ()),
    ('rxx', (11, 13), (4.842202941661409,)),
    ('rx', (5,), (3.030219596665326,)),
    ('u1', (10,), (3.3038314414257286,)),
    ('iswap', (0, 11), ()),
    ('cx', (8, 3), ()),
    ('u', (5,), (-2.328209591414935, -1.6057187832715272, -2.9311091751779963)),
    ('rzz', (3, 11), (-2.1061115288846146,)),
    ("unitary", (0, 4), np.array([[(0.02443770928248723+0.39375061470163286j), (0.22456950164895428-0.47278943355465974j), (0.3903246598480992+0.11465455617444067j), (-0.5645160244550311+0.29364024423043594j)], [(0.603116757037334+0.4867563711144324j), (-0.11377590287584827+0.5641942994933227j), (0.08259744779257225+0.20630074778051474j), (-0.10102180983920828-0.0920353514931491j)], [(-0.23533529597057812-0.37505371554278033j), (-0.4964301725030139+0.37136776678206673j), (0.29808265935735606-0.08989791953245928j), (-0.5656985047446108+0.05143314627570109j)], [(-0.051388792737394814-0.21211521693734803j), (-0.0952823756249494+0.03664507213013795j), (-0.11339454615335955+0.8217818596824328j), (0.12373403091369173+0.4883143208035822j)]])),  # noqa: E501
    ('id', (12,), ()),
    ('cz', (0, 10), ()),
    ('rxx', (3, 6), (3.4742906954365935,)),
    ('y', (6,), ()),
    ('ccx', (4, 2, 8), ()),
    ('cu1', (13, 5), (-4.0334114361221545,)),
]  # fmt: skip


def test_no_truncation_split_is_exact():
    """Regression: with nothing to truncate (cutoff=0, no max_bond) every split must
    be exact to working precision. Routed by swaps, cu1(13, 5) on this state leaves
    an error of ~1e-10 (max |amplitude error| ~1e-11 against amplitudes ~1e-2): the
    tall 64x256 two-site SVD comes back from gesdd with U orthonormal only to
    ~3e-7 (gesvd, or gesdd on the transpose, is exact to 1e-14)."""
    n = 14
    spec = RANK_DEFICIENT_SPEC
    psi = tb.simulate(build(n, spec), cutoff=0.0, routing="swap")
    ref = reference(n, spec)
    assert psi.fidelity_estimate == 1.0
    np.testing.assert_allclose(psi.to_dense(), ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("routing", ["auto", "swap", "mpo", "lazy"])
@pytest.mark.parametrize("n", [4, 9, 13])
def test_routings_match_dense(routing, n, rng):
    circ, ref = random_case(n, rng)
    psi = tb.simulate(circ, cutoff=0.0, routing=routing)
    np.testing.assert_allclose(psi.to_dense(), ref, rtol=1e-10, atol=1e-12)
    assert psi.fidelity_estimate == 1.0


@pytest.mark.parametrize("routing", ["swap", "mpo", "lazy"])
def test_routings_truncated_agree(routing):
    """Different routes, same policy: both close to exact, estimates honest."""
    rng = np.random.default_rng(5)
    n = 12
    spec = []
    for _layer in range(6):
        for q in range(n):
            spec.append(("u3", (q,), tuple(rng.uniform(0, 2 * np.pi, 3))))
        for _ in range(4):
            a, b = (int(x) for x in rng.permutation(n)[:2])
            spec.append(("cu1", (a, b), (float(rng.uniform(0, 6)),)))
            spec.append(("cx", (b, a), ()))
    exact = reference(n, spec)
    psi = tb.simulate(build(n, spec), max_bond=12, routing=routing)
    assert psi.max_bond <= 12
    f_true = true_fidelity(psi, exact)
    assert psi.num_truncations > 0
    assert abs(psi.fidelity_estimate - f_true) <= 0.02 * f_true


def test_long_range_gates_both_orders(rng):
    n = 10
    spec = []
    for q in range(n):
        spec.append(("u3", (q,), tuple(rng.uniform(0, 2 * np.pi, 3))))
    spec += [
        ("cx", (9, 0), ()), ("cx", (0, 9), ()), ("cx", (5, 2), ()),
        ("ccx", (7, 0, 3), ()), ("ccx", (0, 9, 4), ()), ("ccz", (8, 1, 5), ()),
        ("cswap", (9, 0, 5), ()), ("rzx", (8, 1), (0.7,)), ("rzx", (1, 8), (0.3,)),
        ("ecr", (6, 0), ()), ("xx_plus_yy", (9, 2), (0.5, 1.1)),
        ("xx_minus_yy", (2, 9), (0.5, 1.1)), ("cu", (7, 3), (0.1, 0.2, 0.3, 0.4)),
        ("unitary", (8, 0, 4), sv.random_unitary(8, rng)),
        ("unitary", (3, 9), sv.random_unitary(4, rng)),
    ]  # fmt: skip
    psi = tb.simulate(build(n, spec), cutoff=0.0)
    np.testing.assert_allclose(psi.to_dense(), reference(n, spec), rtol=1e-10, atol=1e-12)


def test_compiled_circuit_reuse(rng):
    circ, ref = generic_case(7, rng)
    prog = tb.compile_circuit(circ)
    assert len(prog) == circ.num_gates
    a = tb.simulate(prog, cutoff=0.0).to_dense()
    b = tb.simulate(prog, cutoff=0.0).to_dense()
    np.testing.assert_allclose(a, ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(a, b)


def test_barrier_and_final_measure_are_ignored(rng):
    circ, ref = generic_case(5, rng)
    circ.barrier().barrier(1, 3)
    circ.measure_all()
    psi = tb.simulate(circ, cutoff=0.0)
    np.testing.assert_allclose(psi.to_dense(), ref, rtol=1e-10, atol=1e-12)
    assert psi.clbit_map == {i: i for i in range(5)}


def test_empty_circuit_is_zero_state():
    psi = tb.simulate(tb.Circuit(4))
    np.testing.assert_array_equal(psi.to_dense(), sv.zero_state(4))
    assert psi.bond_dims == [1, 1, 1]


def test_mps_apply_gate(rng):
    n = 6
    psi = tb.MPS(n)
    ref = sv.StateVector(n)
    for name, qs in [("h", (0,)), ("cx", (0, 5)), ("ccx", (5, 0, 2)), ("ry", (3,))]:
        ps = tuple(rng.uniform(0, 6, tb.GATES[name].num_params))
        out = psi.apply_gate(tb.gate_matrix(name, ps), qs)
        assert out is psi
        ref.gate(name, qs, ps)
    u = sv.random_unitary(8, rng)
    psi.apply_gate(u, [4, 1, 3])
    ref.unitary(u, [4, 1, 3])
    np.testing.assert_allclose(psi.to_dense(), ref.psi, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- queries
@pytest.fixture
def case(rng):
    n = 9
    circ, ref = generic_case(n, rng)
    return n, tb.simulate(circ, cutoff=0.0), ref


def test_amplitudes_and_probabilities(case, rng):
    n, psi, ref = case
    for _ in range(20):
        bits = random_bits(n, rng)
        a = psi.amplitude(bits)
        assert isinstance(a, complex)
        np.testing.assert_allclose(a, ref[index(bits)], rtol=1e-10, atol=1e-12)
        # a sequence of ints reads like the string
        assert psi.amplitude([int(c) for c in bits]) == pytest.approx(a, abs=1e-14)
        np.testing.assert_allclose(
            psi.probability(bits), abs(ref[index(bits)]) ** 2, rtol=1e-10, atol=1e-14
        )
    total = sum(psi.probability(format(i, f"0{n}b")) for i in range(2**n))
    assert total == pytest.approx(1.0, abs=1e-10)


def test_amplitude_bit_order():
    # qubit 0 is the leftmost character and the most significant bit
    psi = tb.simulate(tb.Circuit(3).x(0))
    assert psi.amplitude("100") == pytest.approx(1.0)
    assert psi.amplitude("001") == 0
    np.testing.assert_array_equal(np.flatnonzero(psi.to_dense()), [4])


def test_norm(case, rng):
    _, psi, _ = case
    assert psi.norm() == pytest.approx(1.0, abs=1e-12)
    scaled = tb.MPS.from_product([[3, 0], [0, 2], [1, 1]])
    assert scaled.norm() == pytest.approx(6 * math.sqrt(2), rel=1e-12)


def _random_term(n: int, rng: np.random.Generator) -> dict[int, str]:
    k = int(rng.integers(1, n + 1))
    qs = rng.permutation(n)[:k]
    return {int(q): str(rng.choice(list("XYZ"))) for q in qs}


def _as_string(term: dict[int, str], sep: str = " ") -> str:
    return sep.join(f"{p}{q}" for q, p in term.items())


def test_pauli_expectations(case, rng):
    n, psi, ref = case
    for _ in range(15):
        term = _random_term(n, rng)
        exp = sv.expectation(ref, term, n)
        assert abs(exp.imag) < 1e-12
        for form in (
            _as_string(term),
            _as_string(term, "*"),
            term,
            _as_string(term).lower(),
        ):
            val = psi.expectation(form)
            assert isinstance(val, float)
            assert val == pytest.approx(exp.real, abs=1e-10)
    assert psi.expectation("I0 I3") == pytest.approx(1.0, abs=1e-12)
    assert psi.expectation({3: "I"}) == pytest.approx(1.0, abs=1e-12)


def test_pauli_sums(case, rng):
    n, psi, ref = case
    terms = [_random_term(n, rng) for _ in range(5)]
    coeffs = rng.normal(size=5)
    exact = sum(c * sv.expectation(ref, t, n) for c, t in zip(coeffs, terms, strict=False))
    as_list = [(float(c), _as_string(t)) for c, t in zip(coeffs, terms, strict=False)]
    val = psi.expectation(as_list)
    assert isinstance(val, float)
    assert val == pytest.approx(exact.real, abs=1e-10)
    as_dict = {_as_string(t): float(c) for c, t in zip(coeffs, terms, strict=False)}
    exact_d = sum(c * sv.expectation(ref, dict(_parse(s)), n) for s, c in as_dict.items())
    assert psi.expectation(as_dict) == pytest.approx(exact_d.real, abs=1e-10)
    # complex coefficients give a complex value
    cval = psi.expectation([(1j, _as_string(terms[0])), (2.0, _as_string(terms[1]))])
    cexp = 1j * sv.expectation(ref, terms[0], n) + 2 * sv.expectation(ref, terms[1], n)
    assert isinstance(cval, complex)
    np.testing.assert_allclose(cval, cexp, atol=1e-10)


def _parse(s: str):
    for tok in s.split():
        yield int(tok[1:]), tok[0]


def test_expectation_of_unnormalized_state():
    psi = tb.MPS.from_product([[0, 2], [3, 3]])
    assert psi.expectation("Z0") == pytest.approx(-1.0, abs=1e-12)
    assert psi.expectation("X1") == pytest.approx(1.0, abs=1e-12)
    assert psi.expectation("Z1") == pytest.approx(0.0, abs=1e-12)


def test_entropy_every_bond(case):
    n, psi, ref = case
    want = sv.entropies(ref, n)
    got = np.array([psi.entropy(b) for b in range(n - 1)])
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)
    got_e = np.array([psi.entropy(b, base=math.e) for b in range(n - 1)])
    np.testing.assert_allclose(got_e, want * math.log(2), rtol=1e-8, atol=1e-10)


def test_schmidt_values(case):
    n, psi, ref = case
    for b in range(n - 1):
        s = np.linalg.svd(ref.reshape(2 ** (b + 1), -1), compute_uv=False)
        got = np.sort(psi.schmidt_values(b))[::-1]
        k = min(len(got), len(s))
        np.testing.assert_allclose(got[:k], s[:k], rtol=1e-8, atol=1e-10)
        assert np.all(s[k:] < 1e-8) and np.all(got[k:] < 1e-8)
        assert np.linalg.norm(got) == pytest.approx(1.0, abs=1e-12)


def test_entropy_known_states():
    bell = tb.simulate(tb.Circuit(4).h(1).cx(1, 2))
    assert [bell.entropy(b) for b in range(3)] == pytest.approx([0, 1, 0], abs=1e-12)
    ghz = tb.simulate(tb.Circuit(5).h(0).cx(0, 1).cx(1, 2).cx(2, 3).cx(3, 4))
    assert [ghz.entropy(b) for b in range(4)] == pytest.approx([1] * 4, abs=1e-12)
    assert ghz.entropy(2, base=math.e) == pytest.approx(math.log(2), abs=1e-12)


def test_bond_dims_are_sensible(rng):
    n = 12
    circ, ref = generic_case(n, rng, extra=80)
    psi = tb.simulate(circ)
    dims = psi.bond_dims
    assert len(dims) == n - 1
    for b, d in enumerate(dims):
        assert 1 <= d <= min(2 ** (b + 1), 2 ** (n - b - 1))
        # no more than the Schmidt rank of the exact state
        s = np.linalg.svd(ref.reshape(2 ** (b + 1), -1), compute_uv=False)
        assert d <= np.sum(s > 1e-7 * s[0]) + 0
    assert psi.max_bond == max(dims)
    assert psi.max_bond_reached >= psi.max_bond
    # a product state and a GHZ state
    assert tb.simulate(tb.Circuit(6).h(0).rx(0.3, 4)).bond_dims == [1] * 5
    ghz = tb.simulate(tb.Circuit(6).h(0).cx(0, 1).cx(1, 2).cx(2, 3).cx(3, 4).cx(4, 5))
    assert ghz.bond_dims == [2] * 5
    assert tb.MPS(1).bond_dims == []
    assert tb.MPS(1).max_bond == 1


def test_site_tensor_shapes(case):
    n, psi, _ = case
    dims = [1, *psi.bond_dims, 1]
    for q in range(n):
        assert psi.site_tensor(q).shape == (dims[q], 2, dims[q + 1])
    assert psi.memory_bytes >= sum(dims[q] * 2 * dims[q + 1] * 16 for q in range(n))


# ---------------------------------------------------------------- product states
@pytest.mark.parametrize("bits", ["0", "1", "0110", "1011001110", "00000000000001"])
def test_from_bitstring(bits, dtype):
    psi = tb.MPS.from_bitstring(bits, dtype=dtype)
    assert psi.num_qubits == len(bits) and psi.dtype == np.dtype(dtype)
    want = np.zeros(2 ** len(bits))
    want[index(bits)] = 1
    np.testing.assert_array_equal(psi.to_dense(), want)
    np.testing.assert_array_equal(tb.MPS.from_bitstring([int(b) for b in bits]).to_dense(), want)
    assert psi.amplitude(bits) == 1
    assert psi.bond_dims == [1] * (len(bits) - 1)


def test_from_product(dtype, rng, tol):
    n = 7
    vecs = rng.normal(size=(n, 2)) + 1j * rng.normal(size=(n, 2))
    psi = tb.MPS.from_product(vecs, dtype=dtype)
    np.testing.assert_allclose(
        psi.to_dense(), sv.kron_ops(*[v[:, None] for v in vecs]).ravel(), **tol(dtype)
    )
    assert psi.norm() == pytest.approx(np.prod(np.linalg.norm(vecs, axis=1)), rel=1e-5)
    # real input is fine too
    real = tb.MPS.from_product(np.abs(vecs))
    np.testing.assert_allclose(
        real.to_dense(),
        sv.kron_ops(*[np.abs(v)[:, None] for v in vecs]).ravel(),
        rtol=1e-12,
        atol=1e-14,
    )


def test_zero_mps(dtype):
    psi = tb.MPS(5, dtype=dtype)
    np.testing.assert_array_equal(psi.to_dense(), sv.zero_state(5))
    assert psi.fidelity_estimate == 1.0 and psi.norm() == 1.0


# ---------------------------------------------------------------- copy, initial state, progress
def test_copy_is_independent(rng):
    circ, ref = generic_case(6, rng)
    psi = tb.simulate(circ, cutoff=0.0)
    twin = psi.copy()
    assert twin is not psi and twin.dtype == psi.dtype
    np.testing.assert_array_equal(twin.to_dense(), psi.to_dense())
    twin.apply_gate(tb.gate_matrix("x"), [0])
    twin.apply_gate(tb.gate_matrix("cx"), [0, 5])
    np.testing.assert_allclose(psi.to_dense(), ref, rtol=1e-10, atol=1e-12)
    expect = sv.apply(sv.apply(ref, sv.gate("x"), [0], 6), sv.gate("cx"), [0, 5], 6)
    np.testing.assert_allclose(twin.to_dense(), expect, rtol=1e-10, atol=1e-12)
    # and the other way round
    psi.apply_gate(tb.gate_matrix("h"), [3])
    np.testing.assert_allclose(twin.to_dense(), expect, rtol=1e-10, atol=1e-12)


def test_initial_state(rng, dtype, tol):
    n = 8
    spec = random_spec(n, rng, extra=10, gates=["unitary"])
    bits = random_bits(n, rng)
    start = tb.MPS.from_bitstring(bits, dtype=dtype)
    psi0 = np.zeros(2**n, dtype=complex)
    psi0[index(bits)] = 1
    psi = tb.simulate(build(n, spec), initial_state=start, dtype=dtype, cutoff=0.0)
    np.testing.assert_allclose(psi.to_dense(), reference(n, spec, psi0), **tol(dtype))
    # the initial state is copied, not consumed
    np.testing.assert_array_equal(start.to_dense(), psi0.astype(start.to_dense().dtype))
    assert psi is not start


def test_initial_state_entangled(rng):
    n = 6
    s1 = random_spec(n, rng, extra=5, gates=["unitary"])
    s2 = random_spec(n, rng, extra=5, gates=["unitary"])
    first = tb.simulate(build(n, s1), cutoff=0.0)
    before = first.to_dense()
    both = tb.simulate(build(n, s2), initial_state=first, cutoff=0.0)
    np.testing.assert_allclose(both.to_dense(), reference(n, s1 + s2), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(first.to_dense(), before)


@pytest.mark.parametrize("chunk", [1, 7, 512])
def test_progress_callback(chunk, rng):
    circ, ref = generic_case(6, rng, extra=30)
    calls: list[tuple[int, int]] = []
    psi = tb.simulate(circ, cutoff=0.0, progress=lambda d, t: calls.append((d, t)), chunk=chunk)
    total = circ.num_gates
    assert calls, "progress was never called"
    assert all(t == total for _, t in calls)
    done = [d for d, _ in calls]
    assert done == sorted(set(done)), "counts must strictly increase"
    assert done[-1] == total
    assert 0 < done[0] <= chunk
    assert len(calls) == math.ceil(total / chunk)
    np.testing.assert_allclose(psi.to_dense(), ref, rtol=1e-10, atol=1e-12)


def test_fidelity_estimate_is_one_without_truncation(rng):
    circ, _ = generic_case(10, rng)
    psi = tb.simulate(circ, max_bond=None, cutoff=0.0)
    assert psi.fidelity_estimate == 1.0
    assert psi.truncation_error == 0.0
    # a max_bond that is never reached does not truncate either
    psi = tb.simulate(circ, max_bond=32, cutoff=0.0)
    assert psi.fidelity_estimate == 1.0
    assert psi.num_truncations == 0


# ---------------------------------------------------------------- sampling
@pytest.fixture(scope="module")
def state10():
    rng = np.random.default_rng(2024)
    circ, ref = generic_case(10, rng, extra=60)
    return tb.simulate(circ, cutoff=0.0), ref


def test_sampling_chi_squared(state10):
    stats = pytest.importorskip("scipy.stats")
    psi, ref = state10
    shots = 20_000
    samples = psi.sample(shots, seed=12345)
    assert len(samples) == shots
    counts = samples.counts()
    assert sum(counts.values()) == shots
    probs = np.abs(ref) ** 2
    probs /= probs.sum()
    observed = np.zeros(2**10)
    for bits, c in counts.items():
        observed[index(bits)] = c
    expected = probs * shots
    big = expected >= 5
    obs = np.append(observed[big], observed[~big].sum())
    exp = np.append(expected[big], expected[~big].sum())
    if exp[-1] < 5:  # fold a too-small pool into the largest bin
        obs, exp = obs[:-1], exp[:-1]
        obs[np.argmax(exp)] += observed[~big].sum()
        exp[np.argmax(exp)] += expected[~big].sum()
    assert big.sum() > 50
    res = stats.chisquare(obs, exp * obs.sum() / exp.sum())
    assert res.pvalue > 1e-3, res


def test_samples_shape_and_content(state10):
    psi, _ = state10
    s = psi.sample(500, seed=3)
    assert s.bits.shape == (500, 10) and s.bits.dtype == np.uint8
    assert set(np.unique(s.bits)) <= {0, 1}
    strings = list(s)
    assert len(strings) == 500 and all(len(b) == 10 and set(b) <= {"0", "1"} for b in strings)
    assert s[0] == strings[0] and s[499] == strings[-1]
    assert "".join(map(str, s.bits[7])) == s[7]
    counts = s.counts()
    assert sum(counts.values()) == 500
    assert list(counts.values()) == sorted(counts.values(), reverse=True)
    assert len(psi.sample(0, seed=1)) == 0


def test_sample_seeds(state10):
    psi, _ = state10
    a = psi.sample(300, seed=7)
    b = psi.sample(300, seed=7)
    c = psi.sample(300, seed=8)
    assert a == b
    np.testing.assert_array_equal(a.bits, b.bits)
    assert a != c
    g1 = psi.sample(300, seed=np.random.default_rng(99))
    g2 = psi.sample(300, seed=np.random.default_rng(99))
    assert g1 == g2
    gen = np.random.default_rng(99)
    x, y = psi.sample(300, seed=gen), psi.sample(300, seed=gen)
    assert x != y  # the Generator advances
    assert psi.sample(300, seed=np.int64(7)) == a


def test_sampling_leaves_state_unchanged(state10):
    psi, ref = state10
    psi.sample(100, seed=1)
    np.testing.assert_allclose(psi.to_dense(), ref, rtol=1e-10, atol=1e-12)


def test_sampling_deterministic_states():
    basis = tb.MPS.from_bitstring("1101001")
    assert basis.sample(50, seed=0).counts() == {"1101001": 50}
    ghz = tb.simulate(
        tb.Circuit(8).h(0).cx(0, 1).cx(1, 2).cx(2, 3).cx(3, 4).cx(4, 5).cx(5, 6).cx(6, 7)
    )
    counts = ghz.sample(2000, seed=5).counts()
    assert set(counts) == {"0" * 8, "1" * 8}
    assert 850 < counts["0" * 8] < 1150
    # qubit 0 is the leftmost character
    assert tb.simulate(tb.Circuit(3).x(0)).sample(3, seed=1).counts() == {"100": 3}


def test_sampling_unnormalized_state():
    psi = tb.MPS.from_product([[3, 0], [1, 1]])
    counts = psi.sample(4000, seed=11).counts()
    assert set(counts) == {"00", "01"}
    assert 1800 < counts["00"] < 2200


# ---------------------------------------------------------------- truncation
def brick_spec(n: int, layers: int, rng: np.random.Generator) -> list[tuple]:
    spec = []
    for layer in range(layers):
        for q in range(n):
            spec.append(("u3", (q,), tuple(rng.uniform(0, 2 * np.pi, 3))))
        for q in range(layer % 2, n - 1, 2):
            spec.append(("cz", (q, q + 1), ()))
    return spec


@pytest.fixture(scope="module")
def brick16():
    rng = np.random.default_rng(777)
    n, layers = 16, 12
    spec = brick_spec(n, layers, rng)
    return n, build(n, spec), reference(n, spec)


def true_fidelity(psi: tb.MPS, exact: np.ndarray) -> float:
    v = psi.to_dense().astype(complex)
    return float(abs(np.vdot(exact, v)) ** 2 / np.vdot(v, v).real / np.vdot(exact, exact).real)


@pytest.mark.parametrize("split", ["svd", "eig", "rand", "qr", "auto"])
@pytest.mark.parametrize("chi", [8, 12, 16, 24, 32])
def test_truncated_fidelity_estimate(brick16, chi, split):
    """Every split route: the estimate within 2% of the true fidelity, and the
    exact discarded weights bound the distance to the exact state."""
    _, circ, exact = brick16
    psi = tb.simulate(circ, max_bond=chi, cutoff=1e-12, split=split)
    assert max(psi.bond_dims) <= chi
    assert psi.max_bond_reached <= chi
    f_true = true_fidelity(psi, exact)
    est = psi.fidelity_estimate
    assert est <= 1 + 1e-12
    assert f_true <= 1 + 1e-12
    assert psi.num_truncations > 0 and est < 1
    assert abs(est - f_true) <= 0.02 * f_true, (chi, est, f_true)
    # without renormalization the norm carries the same product
    assert psi.norm() ** 2 == pytest.approx(est, rel=1e-8)
    # rigorous bound: ||exact - psi|| <= sum_i sqrt(eps_i) <= sqrt(k * sum_i eps_i)
    dist = np.linalg.norm(exact - psi.to_dense())
    bound = math.sqrt(psi.num_truncations * psi.truncation_error)
    assert dist <= bound + 1e-9
    # the discarded weights and the estimate describe the same truncations
    assert 1 - est <= psi.truncation_error + 1e-12


def test_truncation_improves_with_bond(brick16):
    _, circ, exact = brick16
    fids = [true_fidelity(tb.simulate(circ, max_bond=chi), exact) for chi in (4, 16, 64)]
    assert fids[0] < fids[1] < fids[2]
    assert fids[2] > 0.999


@pytest.mark.parametrize(
    ("mode", "cutoff"), [("rsum2", 1e-3), ("sum2", 1e-3), ("rel", 0.05), ("abs", 0.02)]
)
@pytest.mark.parametrize("renormalize", [False, True])
def test_cutoff_modes_on_brick(brick16, mode, cutoff, renormalize):
    _, circ, exact = brick16
    psi = tb.simulate(circ, cutoff=cutoff, cutoff_mode=mode, renormalize=renormalize)
    est = psi.fidelity_estimate
    f_true = true_fidelity(psi, exact)
    assert psi.num_truncations > 0
    assert est <= 1 + 1e-12 and f_true <= 1 + 1e-12
    assert abs(est - f_true) <= 0.02 * f_true, (mode, est, f_true)
    if renormalize:
        assert psi.norm() == pytest.approx(1.0, abs=1e-10)
    else:
        assert psi.norm() ** 2 == pytest.approx(est, rel=1e-8)
    if mode == "rsum2":
        # every step keeps at least 1 - cutoff of the weight
        assert est >= (1 - cutoff) ** psi.num_truncations - 1e-12


def test_cutoff_and_max_bond_together(brick16):
    _, circ, exact = brick16
    both = tb.simulate(circ, max_bond=16, cutoff=1e-3)
    only = tb.simulate(circ, max_bond=16, cutoff=0.0)
    assert both.max_bond <= 16
    assert both.fidelity_estimate <= only.fidelity_estimate + 1e-12
    assert abs(both.fidelity_estimate - true_fidelity(both, exact)) <= 0.02


def _two_qubit_case(a: float, scale: float, **opts) -> tb.MPS:
    """cos(a)|00> + sin(a)|11> times ``scale``, made by one cx that must split."""
    start = tb.MPS.from_product([[scale, 0], [1, 0]])
    return tb.simulate(tb.Circuit(2).ry(2 * a, 0).cx(0, 1), initial_state=start, **opts)


A = 0.3  # Schmidt values cos(A) = 0.955, sin(A) = 0.296 (times the scale)


@pytest.mark.parametrize(
    ("mode", "drop_at", "keep_at"),
    [
        # rsum2: drop iff sin^2 <= cutoff * total (scale-free)
        ("rsum2", 1.1 * math.sin(A) ** 2, 0.9 * math.sin(A) ** 2),
        # sum2: drop iff scale^2 sin^2 <= cutoff (scale 2 -> 4 sin^2)
        ("sum2", 1.1 * 4 * math.sin(A) ** 2, 0.9 * 4 * math.sin(A) ** 2),
        # rel: drop iff sin <= cutoff * cos
        ("rel", 1.1 * math.tan(A), 0.9 * math.tan(A)),
        # abs: drop iff scale * sin <= cutoff
        ("abs", 1.1 * 2 * math.sin(A), 0.9 * 2 * math.sin(A)),
    ],
)
def test_cutoff_mode_rules(mode, drop_at, keep_at):
    keep = _two_qubit_case(A, 2.0, cutoff=keep_at, cutoff_mode=mode)
    assert keep.bond_dims == [2]
    assert keep.fidelity_estimate == 1.0
    assert keep.norm() == pytest.approx(2.0, rel=1e-12)
    drop = _two_qubit_case(A, 2.0, cutoff=drop_at, cutoff_mode=mode)
    assert drop.bond_dims == [1]
    assert drop.fidelity_estimate == pytest.approx(math.cos(A) ** 2, rel=1e-12)
    assert drop.truncation_error == pytest.approx(math.sin(A) ** 2, rel=1e-10)
    assert drop.num_truncations == 1
    assert drop.norm() == pytest.approx(2 * math.cos(A), rel=1e-12)
    np.testing.assert_allclose(drop.to_dense(), [2 * math.cos(A), 0, 0, 0], atol=1e-12)


def test_sum2_and_rsum2_differ_on_unnormalized_state():
    c = 2 * math.sin(A) ** 2  # between sin^2 (rsum2 with total 1) and 4 sin^2
    assert _two_qubit_case(A, 2.0, cutoff=c, cutoff_mode="sum2").bond_dims == [2]
    assert _two_qubit_case(A, 2.0, cutoff=c, cutoff_mode="rsum2").bond_dims == [1]


def test_max_bond_one_and_renormalize():
    drop = _two_qubit_case(A, 2.0, max_bond=1, cutoff=0.0)
    assert drop.bond_dims == [1]
    assert drop.fidelity_estimate == pytest.approx(math.cos(A) ** 2, rel=1e-12)
    renorm = _two_qubit_case(A, 2.0, max_bond=1, cutoff=0.0, renormalize=True)
    assert renorm.norm() == pytest.approx(2.0, rel=1e-12)
    np.testing.assert_allclose(renorm.to_dense(), [2, 0, 0, 0], atol=1e-12)
    assert renorm.fidelity_estimate == pytest.approx(math.cos(A) ** 2, rel=1e-12)


def test_truncation_policy_object():
    t = tb.Truncation()
    assert (t.max_bond, t.cutoff, t.cutoff_mode, t.renormalize) == (
        None,
        0.0,
        "rsum2",
        False,
    )
    t2 = tb.Truncation(max_bond=8, cutoff=1e-6, cutoff_mode="abs", renormalize=True)
    assert t2 == tb.Truncation(8, 1e-6, "abs", True)
    with pytest.raises(AttributeError):
        t2.max_bond = 3  # frozen


def test_complex64_truncated_close_to_complex128(brick16):
    _, circ, _ = brick16
    a = tb.simulate(circ, max_bond=16, dtype="complex64")
    b = tb.simulate(circ, max_bond=16, dtype="complex128")
    assert a.fidelity_estimate == pytest.approx(b.fidelity_estimate, abs=1e-3)
    va, vb = a.to_dense().astype(complex), b.to_dense()
    overlap = abs(np.vdot(va, vb)) ** 2 / (np.vdot(va, va).real * np.vdot(vb, vb).real)
    assert overlap > 1 - 1e-3


def test_samples_sequence_protocol():
    psi = tb.simulate(tb.Circuit(3).h(0).cx(0, 1))
    s = psi.sample(50, seed=4)
    assert s[1:4] == [s[1], s[2], s[3]]
    assert s[-1] == s[len(s) - 1]
    assert set(s) <= {"000", "110"}
    assert sum(s.counts().values()) == 50
    assert s.bits.shape == (50, 3)


@pytest.fixture(scope="module")
def brick18():
    rng = np.random.default_rng(778)
    n, layers = 18, 18
    spec = brick_spec(n, layers, rng)
    return n, build(n, spec), reference(n, spec)


@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
@pytest.mark.parametrize("split", ["eig", "rand", "qr", "auto"])
def test_split_routes_match_the_svd_route(brick18, split, dtype):
    """Bonds of 40 (splits of 80): the routes run for real (split_stats says
    which), keep the SVD route's true fidelity and report it honestly."""
    _, circ, exact = brick18
    ref = tb.simulate(circ, max_bond=40, cutoff=1e-12, split="svd", dtype=dtype)
    psi = tb.simulate(circ, max_bond=40, cutoff=1e-12, split=split, dtype=dtype)
    stats = psi.split_stats()
    ref_stats = ref.split_stats()
    assert ref_stats["eig"] == ref_stats["rand"] == ref_stats["qr"] == 0
    assert ref_stats["svd"] >= ref.num_truncations > 0
    chosen = {"eig": "eig", "rand": "rand", "qr": "qr", "auto": "eig"}[split]
    assert stats[chosen] > 0, stats
    assert sum(stats[k] for k in ("svd", "eig", "rand", "qr")) == ref_stats["svd"]
    f_ref, f = true_fidelity(ref, exact), true_fidelity(psi, exact)
    assert f_ref < 0.9999  # the bond limit binds
    exact_route = split in ("eig", "auto")
    assert f >= f_ref * (1 - (tol(dtype, "fidelity") if exact_route else 1e-3))
    assert abs(psi.fidelity_estimate - f) <= 0.02 * f
