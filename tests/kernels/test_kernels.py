"""Dense kernels against numpy: permute, tensordot, einsum, svd, qr.

References are computed in float64/complex128 from the same inputs; the
tolerance of a contraction scales with the sum of |terms| of each entry (the
einsum of the absolute values), which bounds its rounding error.
"""

from __future__ import annotations

import threading
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensorbond as tb
from _reference.tolerances import tol
from tensorbond import _core
from tensorbond.linalg import singular_values

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
HIGH = {
    np.dtype(np.float32): np.float64,
    np.dtype(np.float64): np.float64,
    np.dtype(np.complex64): np.complex128,
    np.dtype(np.complex128): np.complex128,
}
SUFFIX = {np.dtype(d): np.dtype(d).name for d in DTYPES}
HYPO = settings(max_examples=60, deadline=None)


def tol_of(dtype):
    return tol(dtype)


def rand(rng, shape, dtype):
    dtype = np.dtype(dtype)
    x = rng.standard_normal(shape)
    if dtype.kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def assert_close(got, ref, dtype, scale=None):
    """got ~= ref with the dtype's rtol, and an atol that grows with `scale`
    (the largest sum of |terms| of an entry) for long sums."""
    t = tol_of(dtype)
    atol = t["atol"]
    if scale is not None and np.size(scale):
        atol += t["rtol"] * float(np.max(scale))
    got = np.asarray(got)
    assert got.shape == np.shape(ref)
    np.testing.assert_allclose(got, ref, rtol=t["rtol"], atol=atol)


def einsum_reference(subscripts, operands, dtype):
    """np.einsum in high precision, and the sum of |terms| per entry."""
    high = HIGH[np.dtype(dtype)]
    ops = [np.asarray(x).astype(high) for x in operands]
    ref = np.einsum(subscripts, *ops, optimize=False)
    scale = np.einsum(subscripts, *[np.abs(x) for x in ops], optimize=False)
    return ref, scale


# --------------------------------------------------------------------- permute


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "perm"),
    [
        ((), ()),
        ((5,), (0,)),
        ((0, 3), (1, 0)),
        ((3, 0, 2), (2, 0, 1)),
        ((1, 1, 1), (2, 0, 1)),
        ((67, 45), (1, 0)),
        ((64, 64), (1, 0)),
        ((130, 3, 70), (2, 1, 0)),
        ((9, 1030), (1, 0)),
        ((33, 17, 4), (1, 0, 2)),
        ((20, 30, 3), (1, 0, 2)),
        ((7, 40, 5, 9), (0, 2, 1, 3)),
        ((16, 16, 16, 16), (3, 2, 1, 0)),
        ((2,) * 14, tuple(range(13, -1, -1))),
        ((2,) * 14, tuple(range(0, 14, 2)) + tuple(range(1, 14, 2))),
        ((3, 1, 4, 1, 5, 9), (5, 3, 1, 0, 4, 2)),
        ((100, 2, 100), (2, 1, 0)),
        ((2, 100, 2, 50), (2, 1, 0, 3)),
        ((50, 50, 2, 2), (1, 0, 3, 2)),
        ((6, 40, 40), (0, 2, 1)),
    ],
)
def test_permute_matches_transpose(shape, perm, dtype):
    rng = np.random.default_rng(1)
    a = rand(rng, shape, dtype)
    got = getattr(_core, f"permute_{SUFFIX[np.dtype(dtype)]}")(a, list(perm))
    ref = np.transpose(a, perm)
    assert got.shape == ref.shape
    assert got.dtype == a.dtype
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(got, ref)


@st.composite
def shapes_and_perms(draw):
    ndim = draw(st.integers(0, 7))
    shape = tuple(
        draw(
            st.lists(
                st.sampled_from([0, 1, 2, 3, 4, 5, 8, 9, 17, 33]),
                min_size=ndim,
                max_size=ndim,
            )
        )
    )
    while np.prod(shape, dtype=np.int64) > 200_000:
        shape = tuple(max(1, d // 2) for d in shape)
    perm = tuple(draw(st.permutations(range(ndim))))
    return shape, perm


@HYPO
@given(sp=shapes_and_perms(), which=st.sampled_from(DTYPES))
def test_permute_random(sp, which):
    shape, perm = sp
    a = np.arange(np.prod(shape, dtype=np.int64)).reshape(shape).astype(which)
    got = getattr(_core, f"permute_{SUFFIX[np.dtype(which)]}")(a, list(perm))
    np.testing.assert_array_equal(got, np.transpose(a, perm))


def test_permute_rejects_bad_perm():
    a = np.zeros((2, 3))
    with pytest.raises(ValueError, match="not a permutation"):
        _core.permute_float64(a, [0, 0])
    with pytest.raises(ValueError, match="has 3 entries but the array has 2 axes"):
        _core.permute_float64(a, [0, 1, 2])


# ------------------------------------------------------------------- tensordot


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("sa", "sb", "axes"),
    [
        ((3, 4), (4, 5), 1),
        ((2, 3, 4), (3, 4, 5), 2),
        ((2, 3), (4, 5), 0),
        ((3,), (3,), 1),
        ((), (2, 3), 0),
        ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])),
        ((2, 3, 4), (4, 3, 5), ([-1, -2], [0, 1])),
        ((2, 3, 4), (5, 2), (0, 1)),
        ((5, 0, 3), (3, 0, 2), ([1, 2], [1, 0])),
        ((5, 0), (0, 4), 1),
        ((1, 6, 1), (1, 6, 2), ([0, 1], [0, 1])),
        ((4, 1, 3), (3, 1, 4), ([0, 2], [2, 0])),
        ((6, 7, 8), (8, 7, 6), 0),
        ((6, 7, 8), (6, 7, 8), ([0, 1, 2], [0, 1, 2])),
        ((6, 7, 8), (8, 7, 6), ([0, 1, 2], [2, 1, 0])),
    ],
)
def test_tensordot_matches_numpy(sa, sb, axes, dtype):
    rng = np.random.default_rng(2)
    a, b = rand(rng, sa, dtype), rand(rng, sb, dtype)
    got = tb.tensordot(a, b, axes)
    high = HIGH[np.dtype(dtype)]
    ref = np.tensordot(a.astype(high), b.astype(high), axes)
    scale = np.tensordot(np.abs(a.astype(high)), np.abs(b.astype(high)), axes)
    assert got.dtype == np.dtype(dtype)
    assert isinstance(got, np.ndarray)
    assert_close(got, ref, dtype, scale)


def test_tensordot_large_product_scale_aware():
    rng = np.random.default_rng(3)
    a = rand(rng, (40, 50, 60), np.float64)
    b = rand(rng, (60, 50, 30), np.float64)
    got = tb.tensordot(a, b, ([1, 2], [1, 0]))
    ref = np.tensordot(a, b, ([1, 2], [1, 0]))
    scale = np.tensordot(np.abs(a), np.abs(b), ([1, 2], [1, 0]))
    assert_close(got, ref, np.float64, scale)


@st.composite
def tensordot_cases(draw):
    na, nb = draw(st.integers(0, 4)), draw(st.integers(0, 4))
    k = draw(st.integers(0, min(na, nb)))
    sizes = st.integers(0, 4)
    shared = [draw(sizes) for _ in range(k)]
    ax_a = draw(st.permutations(range(na)))[:k]
    ax_b = draw(st.permutations(range(nb)))[:k]
    sa = [draw(sizes) for _ in range(na)]
    sb = [draw(sizes) for _ in range(nb)]
    for i, j, d in zip(ax_a, ax_b, shared, strict=True):
        sa[i] = sb[j] = d
    neg = draw(st.booleans())
    if neg:
        ax_a = [i - na for i in ax_a]
    return tuple(sa), tuple(sb), (list(ax_a), list(ax_b))


@HYPO
@given(case=tensordot_cases(), which=st.sampled_from(DTYPES), seed=st.integers(0, 99))
def test_tensordot_random(case, which, seed):
    sa, sb, axes = case
    rng = np.random.default_rng(seed)
    a, b = rand(rng, sa, which), rand(rng, sb, which)
    high = HIGH[np.dtype(which)]
    ref = np.tensordot(a.astype(high), b.astype(high), axes)
    scale = np.tensordot(np.abs(a.astype(high)), np.abs(b.astype(high)), axes)
    assert_close(tb.tensordot(a, b, axes), ref, which, scale)


def test_tensordot_errors():
    a, b = np.ones((2, 3)), np.ones((3, 4))
    with pytest.raises(ValueError, match="shape mismatch"):
        tb.tensordot(a, b, ([0], [0]))
    with pytest.raises(ValueError, match="out of bounds"):
        tb.tensordot(a, b, ([2], [0]))
    with pytest.raises(ValueError, match="repeated axis"):
        tb.tensordot(a, np.ones((2, 2)), ([0, 0], [0, 1]))
    with pytest.raises(ValueError, match="axes=3"):
        tb.tensordot(a, b, 3)
    with pytest.raises(ValueError, match="2 axes of a but 1 axes of b"):
        tb.tensordot(a, b, ([0, 1], [0]))


# ---------------------------------------------------------------------- einsum

EINSUM_PATTERNS = [
    "ij,jk->ik",
    "ij,jk",
    "ij,kj->ik",
    "ji,jk->ik",
    "bij,bjk->bik",
    "bij,bkj->bki",
    "ijb,jkb->bik",
    "i,j->ij",
    "ab,cd->abcd",
    "ab,cd->dbca",
    "i,i->",
    "i,i",
    "ij,ij->ij",
    "ij,ij->",
    "ij,ji->",
    "ij,ji->ji",
    "abcd,dcba->",
    "abc,ab->c",
    "abc,bd->dca",
    "ii->",
    "ii",
    "ii->i",
    "iij->ij",
    "iji->ij",
    "ij->ji",
    "ij->",
    "ij->i",
    "ijk->kij",
    "ijk,kl->il",
    "ij,kl->ik",
    "iij,jk->ik",
    "ij,jj->i",
    "Ab,bC->AC",
    "Ba,aC",
    "abc,cd,de->abe",
    "ab,bc,cd,de->ae",
    "ab,bc,cd,de,ef->af",
    "abc,bcd,cde->ae",
    "a,b,c->abc",
    "ijk,jkl,lmn,nm->i",
    "ab,ab,ab->ab",
    "ab,bc,ca->",
    "abc,cde,ebf->adf",
    "...ij,...jk->...ik",
    "...ij,...jk",
    "i...,i...->...",
    "...,...->...",
    "a...b,b...->a...",
    "...i,...i->...i",
    "...ii->...i",
    "i...->...",
]


def einsum_operands(pattern, sizes, dtype, rng, n_ell=2):
    """Random operands for `pattern` with letter sizes from `sizes`."""
    lhs = pattern.split("->")[0]
    ops = []
    ell = [sizes[-(t + 1)] for t in range(n_ell)]
    for term in lhs.split(","):
        shape = []
        i = 0
        while i < len(term):
            if term.startswith("...", i):
                shape += ell
                i += 3
            else:
                shape.append(sizes[ord(term[i]) % len(sizes)])
                i += 1
        ops.append(rand(rng, tuple(shape), dtype))
    return ops


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pattern", EINSUM_PATTERNS)
@pytest.mark.parametrize("size_set", ["tiny", "zero", "moderate", "large"])
def test_einsum_matches_numpy(pattern, dtype, size_set):
    rng = np.random.default_rng(zlib.crc32(f"{pattern}/{size_set}".encode()))
    pool = {
        "tiny": [1, 2, 3],
        "zero": [0, 1, 2, 3],
        "moderate": [4, 5, 6, 7, 8],
        "large": [9, 10, 11, 12, 13],  # past the small-GEMM threshold: BLAS paths
    }[size_set]
    sizes = [int(rng.choice(pool)) for _ in range(11)]
    ops = einsum_operands(pattern, sizes, dtype, rng)
    ref, scale = einsum_reference(pattern, ops, dtype)
    got = tb.einsum(pattern, *ops)
    assert np.asarray(got).dtype == np.dtype(dtype)
    assert type(got) is type(np.einsum(pattern, *ops))
    assert_close(got, ref, dtype, scale)


@pytest.mark.parametrize("optimize", ["auto", "greedy", "optimal", True, False])
def test_einsum_optimize_options(optimize):
    rng = np.random.default_rng(4)
    ops = [rand(rng, s, np.complex128) for s in [(3, 4), (4, 5, 2), (5, 6), (2, 6, 3)]]
    eq = "ab,bcd,ce,dea->"
    ref, scale = einsum_reference(eq, ops, np.complex128)
    assert_close(tb.einsum(eq, *ops, optimize=optimize), ref, np.complex128, scale)


def test_einsum_explicit_path():
    rng = np.random.default_rng(5)
    ops = [rand(rng, s, np.float64) for s in [(3, 4), (4, 5), (5, 6)]]
    ref, scale = einsum_reference("ab,bc,cd->ad", ops, np.float64)
    got = tb.einsum("ab,bc,cd->ad", *ops, optimize=[(1, 2), (0, 1)])
    assert_close(got, ref, np.float64, scale)


def test_einsum_large_three_operands():
    rng = np.random.default_rng(6)
    a = rand(rng, (20, 30, 40), np.complex128)
    b = rand(rng, (40, 25), np.complex128)
    c = rand(rng, (25, 35), np.complex128)
    ref, scale = einsum_reference("abc,cd,de->abe", [a, b, c], np.complex128)
    assert_close(tb.einsum("abc,cd,de->abe", a, b, c), ref, np.complex128, scale)


def test_einsum_size_one_broadcasts():
    rng = np.random.default_rng(7)
    a, b = rand(rng, (3, 1), np.float64), rand(rng, (3, 4), np.float64)
    np.testing.assert_allclose(
        tb.einsum("ij,ij->ij", a, b), np.einsum("ij,ij->ij", a, b), rtol=1e-12, atol=0
    )
    x, y = rand(rng, (2, 1, 3), np.float64), rand(rng, (4, 3), np.float64)
    np.testing.assert_allclose(
        tb.einsum("...i,...i->...i", x, y),
        np.einsum("...i,...i->...i", x, y),
        rtol=1e-12,
        atol=0,
    )
    p, q = rand(rng, (2, 1), np.float64), rand(rng, (1, 3), np.float64)
    r = tb.einsum("...,...", p, q)
    assert r.shape == (2, 3)
    np.testing.assert_allclose(r, p * q, rtol=1e-12, atol=0)


def test_einsum_scalar_operand_and_result():
    v = np.arange(3.0)
    np.testing.assert_array_equal(tb.einsum(",i->i", 2.0, v), 2.0 * v)
    r = tb.einsum("i,i", v, v)
    assert isinstance(r, np.float64)
    assert r == 5.0


def test_einsum_single_operand_is_a_copy():
    a = np.arange(6.0).reshape(2, 3)
    r = tb.einsum("ij->ij", a)
    r[0, 0] = 100.0
    assert a[0, 0] == 0.0


def test_non_contiguous_and_byte_swapped_inputs():
    rng = np.random.default_rng(13)
    a = rand(rng, (5, 6), np.complex128)
    b = rand(rng, (7, 5), np.complex128)
    ref = np.tensordot(a.T, b.T, 1)
    assert_close(tb.tensordot(a.T, b.T, 1), ref, np.complex128, np.abs(ref) + 1)
    big = a.real.astype(">f8")
    np.testing.assert_allclose(
        tb.einsum("ij,kj->ik", big, big[::-1, ::2][:, :3].repeat(2, axis=1)),
        np.einsum("ij,kj->ik", big, big[::-1, ::2][:, :3].repeat(2, axis=1)),
        rtol=1e-12,
        atol=1e-12,
    )
    assert tb.einsum("ij->ji", big).dtype == np.float64
    u, s, vh, _ = tb.svd(big[:, ::-1])
    assert_close((u * s) @ vh, big[:, ::-1], np.float64, np.full(1, 10.0))


def test_einsum_dtype_promotion():
    i = np.arange(6).reshape(2, 3)
    f32 = np.ones((3, 2), np.float32)
    r = tb.einsum("ij,jk->ik", i, i.T)
    assert r.dtype == np.float64
    np.testing.assert_array_equal(r, (i @ i.T).astype(np.float64))
    assert tb.einsum("ij,jk->ik", f32, np.ones((2, 2), np.float16)).dtype == np.float32
    assert tb.einsum("ij,jk->ik", f32, np.ones((2, 2), np.complex64)).dtype == np.complex64
    assert tb.einsum("ij,jk->ik", f32, np.ones((2, 2))).dtype == np.float64
    b = np.ones((2, 2), bool)
    np.testing.assert_array_equal(tb.einsum("ij,jk", b, b), np.full((2, 2), 2.0))
    assert tb.tensordot(np.ones(2, np.float16), np.ones(2, np.float16), 1).dtype == np.float32


@st.composite
def pair_contractions(draw):
    """Random labelled pairs: each label is batch, contracted, free in a or b."""
    n = draw(st.integers(0, 6))
    roles = draw(st.lists(st.sampled_from("bcxy"), min_size=n, max_size=n))
    letters = "abcdefghij"[:n]
    la = [c for c, r in zip(letters, roles, strict=True) if r in "bcx"]
    lb = [c for c, r in zip(letters, roles, strict=True) if r in "bcy"]
    lo = [c for c, r in zip(letters, roles, strict=True) if r in "bxy"]
    la, lb, lo = (draw(st.permutations(x)) for x in (la, lb, lo))
    size = st.integers(0, 4) if draw(st.booleans()) else st.integers(5, 9)
    sizes = {c: draw(size) for c in letters}
    return "".join(la) + "," + "".join(lb) + "->" + "".join(lo), sizes


@HYPO
@given(case=pair_contractions(), which=st.sampled_from(DTYPES), seed=st.integers(0, 99))
def test_einsum_random_pairs(case, which, seed):
    eq, sizes = case
    rng = np.random.default_rng(seed)
    ops = [rand(rng, tuple(sizes[c] for c in t), which) for t in eq.split("->")[0].split(",")]
    ref, scale = einsum_reference(eq, ops, which)
    assert_close(tb.einsum(eq, *ops), ref, which, scale)


def test_einsum_errors():
    a = np.ones((2, 3))
    with pytest.raises(ValueError, match="2 dimensions but subscripts 'ijk' name 3"):
        tb.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="name 2 operand"):
        tb.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="size mismatch for 'j'"):
        tb.einsum("ij,jk->ik", a, np.ones((2, 2)))
    with pytest.raises(ValueError, match="appears in no input"):
        tb.einsum("ij->k", a)
    with pytest.raises(ValueError, match="repeat"):
        tb.einsum("ij->ii", a)
    with pytest.raises(ValueError, match="different sizes"):
        tb.einsum("ii->i", a)
    with pytest.raises(ValueError, match="invalid subscript"):
        tb.einsum("i1->i", a)
    with pytest.raises(ValueError, match=r"no '\.\.\.'"):
        tb.einsum("...i->i", a)
    with pytest.raises(ValueError, match="at least one operand"):
        tb.einsum("ij->i")
    with pytest.raises(TypeError, match="subscripts must be a string"):
        tb.einsum(a, [0, 1])  # type: ignore[arg-type]


# ----------------------------------------------------- contract_pair (C++ core)


def test_contract_pair_checks_in_core():
    a, b = np.ones((2, 3)), np.ones((3, 4))
    with pytest.raises(ValueError, match="sum it out"):
        _core.contract_pair_float64(a, [0, 1], b, [1, 2], [2])
    with pytest.raises(ValueError, match=r"label 1 has size 3 in a .* but 2 in b"):
        _core.contract_pair_float64(a, [0, 1], np.ones((2, 4)), [1, 2], [0, 2])
    with pytest.raises(ValueError, match="more than once in labels_a"):
        _core.contract_pair_float64(np.ones((3, 3)), [1, 1], b, [1, 2], [2])
    with pytest.raises(ValueError, match="labels_a has 1 labels but a has 2 axes"):
        _core.contract_pair_float64(a, [0], b, [1, 2], [0, 2])
    with pytest.raises(ValueError, match="is in neither"):
        _core.contract_pair_float64(a, [0, 1], b, [1, 2], [0, 2, 7])
    with pytest.raises(TypeError):  # no hidden conversion of dtype or layout
        _core.contract_pair_float64(a.astype(np.float32), [0, 1], b, [1, 2], [0, 2])
    with pytest.raises(TypeError):
        _core.contract_pair_float64(np.ones((3, 2)).T, [0, 1], b, [1, 2], [0, 2])


def test_kernels_are_thread_safe():
    rng = np.random.default_rng(8)
    a = rand(rng, (60, 70, 8), np.complex128)
    b = rand(rng, (8, 70, 50), np.complex128)
    expected = tb.tensordot(a, b, ([1, 2], [1, 0]))
    results: list[np.ndarray] = []
    errors: list[BaseException] = []

    def work():
        try:
            for _ in range(5):
                results.append(tb.tensordot(a, b, ([1, 2], [1, 0])))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 20
    for r in results:
        np.testing.assert_array_equal(r, expected)


# ------------------------------------------------------------------------- svd


def matrix_with_spectrum(rng, m, n, s, dtype):
    """a = U diag(s) V^H with Haar-ish random orthonormal U, V."""
    k = len(s)
    u, _ = np.linalg.qr(rand(rng, (m, k), HIGH[np.dtype(dtype)]))
    v, _ = np.linalg.qr(rand(rng, (n, k), HIGH[np.dtype(dtype)]))
    return ((u * s) @ v.conj().T).astype(dtype)


def expected_kept(s, max_bond, cutoff, mode):
    """quimb's truncation rule, written independently of the C++ one."""
    n = len(s)
    if n == 0:
        return 0
    keep = n
    if cutoff > 0:
        if mode in ("abs", "rel"):
            thr = cutoff if mode == "abs" else cutoff * s[0]
            keep = int(np.count_nonzero(s > thr))
        else:
            target = cutoff if mode == "sum2" else cutoff * np.sum(s**2)
            tails = np.cumsum((s**2)[::-1])[::-1]  # tails[i] = sum_{j >= i} s_j^2
            keep = n
            while keep > 0 and tails[keep - 1] <= target:
                keep -= 1
    keep = max(keep, 1)
    if max_bond is not None:
        keep = min(keep, max_bond)
    return keep


def check_orthonormal_columns(q, dtype):
    k = q.shape[1]
    assert_close(q.conj().T @ q, np.eye(k), dtype, scale=np.full(1, max(q.shape[0], 1)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (7, 1), (6, 6), (9, 4), (4, 9), (40, 25)])
def test_svd_untruncated(shape, dtype):
    rng = np.random.default_rng(9)
    a = rand(rng, shape, dtype)
    a_before = a.copy()
    u, s, vh, discarded = tb.svd(a)
    k = min(shape)
    assert u.shape == (shape[0], k)
    assert s.shape == (k,)
    assert vh.shape == (k, shape[1])
    assert u.dtype == a.dtype
    assert vh.dtype == a.dtype
    assert s.dtype == np.abs(a).dtype
    assert discarded == 0.0
    s_ref = np.linalg.svd(a.astype(HIGH[a.dtype]), compute_uv=False)
    assert_close(s, s_ref, dtype, scale=np.full(1, s_ref[0]))
    assert np.all(np.diff(s) <= 0)
    assert_close((u * s) @ vh, a, dtype, scale=np.full(1, s_ref[0] * k))
    check_orthonormal_columns(u, dtype)
    check_orthonormal_columns(vh.conj().T, dtype)
    np.testing.assert_array_equal(a, a_before)  # input untouched
    assert_close(singular_values(a), s_ref, dtype, scale=np.full(1, s_ref[0]))


def test_svd_result_attributes():
    res = tb.svd(np.diag([3.0, 2.0, 1e-3]), cutoff=1e-2, cutoff_mode="abs")
    assert isinstance(res, tb.linalg.SVDResult)
    np.testing.assert_allclose(res.s, [3.0, 2.0], rtol=1e-14, atol=0)
    assert res.discarded_weight == pytest.approx(1e-6, rel=1e-10)
    _u, _s, _vh, discarded = res
    assert discarded == res.discarded_weight


SPECTRUM = 0.7 ** np.arange(12)
TRUNCATIONS = [
    (None, 0.0, "rsum2"),
    (5, 0.0, "rsum2"),
    (1, 0.0, "rel"),
    (None, 0.1, "rel"),
    (None, 0.05, "abs"),
    (3, 0.05, "abs"),
    (None, 0.3, "abs"),
    (None, 0.01, "sum2"),
    (None, 0.5, "sum2"),
    (None, 1e-3, "rsum2"),
    (None, 0.05, "rsum2"),
    (4, 1e-3, "rsum2"),
    (20, 1e-3, "rel"),
    (None, 10.0, "rel"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("max_bond", "cutoff", "mode"), TRUNCATIONS)
def test_svd_truncation(max_bond, cutoff, mode, dtype):
    rng = np.random.default_rng(10)
    a = matrix_with_spectrum(rng, 15, 20, SPECTRUM, dtype)
    s_true = np.linalg.svd(a.astype(HIGH[a.dtype]), compute_uv=False)
    kept = expected_kept(s_true, max_bond, cutoff, mode)
    u, s, vh, discarded = tb.svd(a, max_bond=max_bond, cutoff=cutoff, cutoff_mode=mode)
    assert s.shape == (kept,)
    assert u.shape == (15, kept)
    assert vh.shape == (kept, 20)
    t = tol_of(dtype)
    expected_disc = float(
        np.sum(np.linalg.svd(a.astype(HIGH[a.dtype]), compute_uv=False)[kept:] ** 2)
    )
    rtol = 1e-6 if t["rtol"] < 1e-6 else 1e-3
    assert discarded == pytest.approx(expected_disc, rel=rtol, abs=10 * t["atol"])
    err2 = np.linalg.norm(((u * s) @ vh).astype(HIGH[a.dtype]) - a) ** 2
    assert err2 == pytest.approx(discarded, rel=rtol, abs=10 * t["atol"])
    check_orthonormal_columns(u, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_svd_renormalize(dtype):
    rng = np.random.default_rng(11)
    a = matrix_with_spectrum(rng, 10, 12, SPECTRUM[:8], dtype)
    total = float(np.sum(SPECTRUM[:8] ** 2))
    _u, s, _vh, discarded = tb.svd(a, max_bond=3, renormalize=True)
    assert s.shape == (3,)
    assert discarded == pytest.approx(float(np.sum(SPECTRUM[3:8] ** 2)), rel=1e-3)
    assert float(np.sum(s.astype(np.float64) ** 2)) == pytest.approx(
        total, rel=tol_of(dtype)["rtol"] * 10
    )
    _, s_plain, _, _ = tb.svd(a, max_bond=3)
    np.testing.assert_allclose(
        s / s_plain, np.sqrt(total / (total - discarded)), rtol=10 * tol_of(dtype)["rtol"]
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (5, 3), (3, 5)])
def test_svd_all_zero(shape, dtype):
    a = np.zeros(shape, dtype)
    u, s, vh, discarded = tb.svd(a)
    assert s.shape == (min(shape),)
    assert np.all(s == 0)
    assert discarded == 0.0
    np.testing.assert_array_equal((u * s) @ vh, a)
    u, s, vh, discarded = tb.svd(a, cutoff=1e-10, renormalize=True)
    assert s.shape == (1,)
    assert s[0] == 0
    assert discarded == 0.0
    assert np.all(np.isfinite(u))
    assert np.all(np.isfinite(vh))
    np.testing.assert_array_equal((u * s) @ vh, a)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 0)])
def test_svd_and_qr_empty(shape, dtype):
    a = np.zeros(shape, dtype)
    u, s, vh, discarded = tb.svd(a, max_bond=3, cutoff=0.1)
    assert u.shape == (shape[0], 0)
    assert s.shape == (0,)
    assert vh.shape == (0, shape[1])
    assert discarded == 0.0
    assert singular_values(a).shape == (0,)
    q, r = tb.qr(a)
    assert q.shape == (shape[0], 0)
    assert r.shape == (0, shape[1])
    assert q.dtype == np.dtype(dtype)
    assert r.dtype == np.dtype(dtype)


def test_svd_accepts_numpy_integer_max_bond():
    a = np.diag([3.0, 2.0, 1.0])
    assert tb.svd(a, max_bond=np.int64(2)).s.shape == (2,)


# -------------------------------------------------------------------------- qr


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (6, 6), (9, 4), (4, 9), (30, 7)])
def test_qr(shape, dtype):
    rng = np.random.default_rng(12)
    a = rand(rng, shape, dtype)
    a_before = a.copy()
    q, r = tb.qr(a)
    k = min(shape)
    assert q.shape == (shape[0], k)
    assert r.shape == (k, shape[1])
    assert q.dtype == a.dtype
    assert r.dtype == a.dtype
    check_orthonormal_columns(q, dtype)
    assert np.all(np.tril(r, -1) == 0)
    scale = np.abs(q.astype(HIGH[a.dtype])) @ np.abs(r.astype(HIGH[a.dtype]))
    assert_close(q.astype(HIGH[a.dtype]) @ r, a, dtype, scale)
    np.testing.assert_array_equal(a, a_before)


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("fn", [tb.svd, tb.qr, singular_values])
def test_non_finite_input_rejected(fn, bad):
    a = np.ones((3, 4))
    a[1, 2] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        fn(a)
    c = np.ones((3, 4), np.complex64)
    c[2, 0] = complex(0, bad)
    with pytest.raises(ValueError, match="NaN or infinite"):
        fn(c)


@pytest.mark.parametrize("fn", [tb.svd, tb.qr, singular_values])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3, 4)])
def test_non_matrix_rejected(fn, shape):
    with pytest.raises(
        ValueError, match=r"2-D array, got shape \(" + ", ?".join(str(d) for d in shape)
    ):
        fn(np.ones(shape))


BAD_DTYPES = [
    np.dtype(object),
    np.dtype("U3"),
    np.dtype("S2"),
    np.dtype("datetime64[s]"),
]
if np.dtype(np.longdouble).itemsize > 8:
    BAD_DTYPES += [np.dtype(np.longdouble), np.dtype(np.clongdouble)]


@pytest.mark.parametrize("dtype", BAD_DTYPES, ids=str)
def test_unsupported_dtype_rejected(dtype):
    a = np.zeros((2, 2), dtype)
    name = str(dtype)
    with pytest.raises(TypeError, match="unsupported dtype"):
        tb.einsum("ij,jk->ik", a, np.ones((2, 2)))
    with pytest.raises(TypeError, match=name.replace("[", r"\[").replace("]", r"\]")):
        tb.tensordot(a, np.ones((2, 2)))
    with pytest.raises(TypeError, match="unsupported dtype"):
        tb.svd(a)
    with pytest.raises(TypeError, match="unsupported dtype"):
        tb.qr(a)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"max_bond": 0}, ValueError, "max_bond"),
        ({"max_bond": -3}, ValueError, "max_bond"),
        ({"max_bond": 2.5}, TypeError, "max_bond"),
        ({"cutoff": -1e-3}, ValueError, "cutoff"),
        ({"cutoff": float("nan")}, ValueError, "cutoff"),
        ({"cutoff_mode": "relative"}, ValueError, "cutoff_mode"),
        ({"cutoff_mode": "RSUM2"}, ValueError, "cutoff_mode"),
    ],
)
def test_bad_truncation_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        tb.svd(np.eye(3), **kwargs)


def test_svd_keywords_are_keyword_only():
    with pytest.raises(TypeError):
        tb.svd(np.eye(3), 2)  # type: ignore[misc]
