"""TT-matrices and low-rank matrices against numpy, quimb and tensorly.

The numpy reference of a TT-matrix contracts its cores with ``np.einsum`` and
reorders the digits (site 0 most significant for rows and columns). Quimb and
tensorly comparisons are gauge-invariant: reconstructed matrices, ranks,
singular values across each cut, relative errors.
"""

from __future__ import annotations

import math
import pickle
import threading

import numpy as np
import pytest

import tensorbond as tb
from _reference.tolerances import TOLERANCES

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]
HIGH = {
    np.dtype(np.float32): np.float64,
    np.dtype(np.float64): np.float64,
    np.dtype(np.complex64): np.complex128,
    np.dtype(np.complex128): np.complex128,
}


def rand(rng, shape, dtype=np.float64):
    dtype = np.dtype(dtype)
    x = rng.standard_normal(shape)
    if dtype.kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def random_cores(rng, out_modes, in_modes, ranks, dtype=np.float64):
    """Cores with the given internal ranks, scaled so W has entries of order 1."""
    r = [1, *ranks, 1]
    return [
        rand(rng, (r[k], m, n, r[k + 1]), dtype) / math.sqrt(r[k + 1])
        for k, (m, n) in enumerate(zip(out_modes, in_modes, strict=True))
    ]


def dense_reference(cores):
    """W from cores with np.einsum in high precision: the contract's index order."""
    high = HIGH[np.dtype(cores[0].dtype)]
    acc = np.asarray(cores[0], dtype=high)[0]  # (m0, n0, r1)
    for c in cores[1:]:
        acc = np.einsum("...a,aijb->...ijb", acc, np.asarray(c, dtype=high))
    acc = acc[..., 0]  # (m0, n0, m1, n1, ...)
    d = len(cores)
    acc = acc.transpose([2 * k for k in range(d)] + [2 * k + 1 for k in range(d)])
    out = math.prod(c.shape[1] for c in cores)
    return acc.reshape(out, -1)


def assert_close(got, ref, dtype, scale=1.0):
    """got ~= ref with the dtype's tolerances; atol grows with `scale` (long sums)."""
    t = TOLERANCES[np.dtype(dtype).name]
    np.testing.assert_allclose(got, ref, rtol=t["rtol"], atol=t["atol"] + t["rtol"] * scale)


def cut_values_reference(w, out_modes, in_modes):
    """Singular values of each cut of W's interleaved unfolding, by numpy."""
    d = len(out_modes)
    t = np.asarray(w).reshape(*out_modes, *in_modes)
    t = t.transpose([x for k in range(d) for x in (k, d + k)])
    vals = []
    for k in range(d - 1):
        rows = math.prod(out_modes[: k + 1]) * math.prod(in_modes[: k + 1])
        vals.append(np.linalg.svd(t.reshape(rows, -1), compute_uv=False))
    return vals


# ----------------------------------------------------------------- factor_modes


@pytest.mark.parametrize(
    ("n", "d", "expected"),
    [
        (1024, None, (8, 8, 16)),
        (1024, 2, (32, 32)),
        (4096, None, (8, 8, 8, 8)),
        (784, None, (7, 8, 14)),
        (784, 2, (28, 28)),
        (1000, None, (10, 10, 10)),
        (3072, None, (12, 16, 16)),
        (64, None, (8, 8)),
        (12, 2, (3, 4)),
        (13, None, (13,)),
        (97, 1, (97,)),
        (1, 3, (1, 1, 1)),
        (2, None, (2,)),
    ],
)
def test_factor_modes(n, d, expected):
    got = tb.factor_modes(n, d)
    assert got == expected
    assert math.prod(got) == n


@pytest.mark.parametrize(
    ("n", "d", "match"),
    [
        (7, 2, r"cannot split 7 into 2 modes >= 2: 7 is prime"),
        (12, 4, r"cannot split 12 into 4 modes >= 2: 12 = 2 \* 2 \* 3"),
        (0, None, r"cannot factor a dimension of 0"),
        (8, 0, r"number of modes must be >= 1, got 0"),
    ],
)
def test_factor_modes_errors(n, d, match):
    with pytest.raises(ValueError, match=match):
        tb.factor_modes(n, d)


def test_automatic_modes(rng):
    tt = tb.TTMatrix.from_dense(rand(rng, (256, 64)), max_bond=4)
    assert (tt.out_modes, tt.in_modes) == ((16, 16), (8, 8))
    tt = tb.TTMatrix.from_dense(rand(rng, (96, 64)), in_modes=(4, 4, 4), max_bond=2)
    assert (tt.out_modes, tt.in_modes) == ((4, 4, 6), (4, 4, 4))
    tt = tb.TTMatrix.from_dense(rand(rng, (64, 96)), out_modes=(8, 8), max_bond=2)
    assert tt.in_modes == (8, 12)
    tt = tb.TTMatrix.from_dense(rand(rng, (64, 64)), num_cores=3, max_bond=2)
    assert tt.out_modes == tt.in_modes == (4, 4, 4)
    tt = tb.TTMatrix.from_dense(rand(rng, (13, 64)), max_bond=2)  # 13 is prime
    assert (tt.out_modes, tt.in_modes, tt.bond_dims) == ((13,), (64,), ())
    # Small matrices still get two cores, so that max_bond compresses them.
    tt = tb.TTMatrix.from_dense(rand(rng, (48, 64)), max_bond=2)
    assert (tt.out_modes, tt.in_modes, tt.bond_dims) == ((6, 8), (8, 8), (2,))
    tt = tb.TTMatrix.from_dense(rand(rng, (4, 4)))
    assert (tt.out_modes, tt.in_modes) == ((2, 2), (2, 2))
    assert tb.TTMatrix.from_dense(rand(rng, (2, 16))).num_cores == 1  # 2 is prime


# ------------------------------------------------------------- TT-SVD, numpy


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_exact_recovery_of_known_ranks(rng, dtype):
    out_modes, in_modes, ranks = (3, 4, 2, 5), (2, 3, 4, 2), (2, 5, 3)
    cores = random_cores(rng, out_modes, in_modes, ranks, dtype)
    w = dense_reference(cores).astype(dtype)
    tt = tb.TTMatrix.from_dense(w, in_modes=in_modes, out_modes=out_modes, cutoff=1e-12)
    assert tt.bond_dims == ranks
    assert tt.error(w) < 1e-12
    assert tt.rel_error_bound < 1e-6
    # the exact TT (no truncation at all) has the full ranks the shapes allow
    full = tb.TTMatrix.from_dense(w, in_modes=in_modes, out_modes=out_modes)
    assert full.bond_dims == (6, 72, 10)
    assert full.error(w) < 1e-12 and full.discarded_weight == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
def test_properties_match_numpy(rng, dtype):
    out_modes, in_modes = (4, 3, 5), (2, 6, 3)
    w = rand(rng, (60, 36), dtype)
    tt = tb.TTMatrix.from_dense(w, in_modes=in_modes, out_modes=out_modes, max_bond=5)
    cores = tt.cores
    assert tt.dtype == np.dtype(dtype) and all(c.dtype == np.dtype(dtype) for c in cores)
    assert tt.shape == (60, 36) and tt.num_cores == 3
    assert (tt.out_modes, tt.in_modes) == (out_modes, in_modes)
    assert tt.bond_dims == tuple(c.shape[3] for c in cores[:-1]) == (5, 5)
    assert [c.shape for c in cores] == [(1, 4, 2, 5), (5, 3, 6, 5), (5, 5, 3, 1)]
    assert tt.num_params == sum(c.size for c in cores)
    assert tt.compression_ratio == pytest.approx(60 * 36 / tt.num_params)
    assert not cores[0].flags.writeable
    dense = tt.to_dense()
    assert dense.dtype == np.dtype(dtype) and dense.shape == (60, 36)
    assert_close(dense, dense_reference(cores), dtype, scale=np.abs(dense).max())
    # cores 0..d-2 are left-orthonormal
    for c in cores[:-1]:
        q = c.reshape(-1, c.shape[3]).astype(HIGH[np.dtype(dtype)])
        assert_close(q.conj().T @ q, np.eye(q.shape[1]), dtype, scale=10)
    # errors: the exact one in double precision, and the discarded-weight bound
    ref = w.astype(HIGH[np.dtype(dtype)])
    exact = np.linalg.norm(ref - dense) / np.linalg.norm(ref)
    assert tt.error(w) == pytest.approx(exact, rel=1e-5)
    assert tt.rel_error_bound == pytest.approx(
        math.sqrt(tt.discarded_weight) / np.linalg.norm(ref), rel=1e-5
    )
    assert "TTMatrix(shape=(60, 36)" in repr(tt) and "bond_dims=(5, 5)" in repr(tt)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("max_bond", "cutoff", "mode"),
    [
        (None, 1e-3, "rsum2"),
        (3, 0.0, "rsum2"),
        (None, 0.02, "abs"),
        (None, 0.05, "rel"),
        (None, 1e-3, "sum2"),
    ],
)
def test_error_within_discarded_bound(rng, dtype, max_bond, cutoff, mode):
    # a TT of ranks (3, 3) plus noise: spectra with a clear tail to cut
    signal = dense_reference(random_cores(rng, (2, 4, 4), (4, 4, 3), (3, 3), dtype))
    w = (signal + 0.05 * rand(rng, (32, 48), dtype)).astype(dtype)
    norm = float(np.linalg.norm(w.astype(HIGH[np.dtype(dtype)])))
    # abs and sum2 thresholds are absolute: scale them with the matrix
    cutoff *= {"abs": norm, "sum2": norm**2}.get(mode, 1.0)
    tt = tb.TTMatrix.from_dense(
        w,
        in_modes=(4, 4, 3),
        out_modes=(2, 4, 4),
        max_bond=max_bond,
        cutoff=cutoff,
        cutoff_mode=mode,
    )
    slack = 1e-10 if np.dtype(dtype) in (np.float64, np.complex128) else 1e-5
    err2 = tt.error(w) ** 2
    assert err2 <= tt.rel_error_bound**2 * (1 + slack) + slack
    # TT-SVD with orthonormal left cores: the bound is an equality in exact maths
    assert err2 == pytest.approx(tt.rel_error_bound**2, rel=100 * slack, abs=slack)
    assert tt.discarded_weight > 0


def test_cut_singular_values_match_numpy(rng):
    out_modes, in_modes = (2, 3, 4), (3, 2, 2)
    w = rand(rng, (24, 12))
    tt = tb.TTMatrix.from_dense(w, in_modes=in_modes, out_modes=out_modes)
    for got, ref in zip(
        tt.bond_singular_values(), cut_values_reference(w, out_modes, in_modes), strict=True
    ):
        np.testing.assert_allclose(got, ref[: len(got)], rtol=1e-10, atol=1e-12)


def test_all_zero_matrix():
    tt = tb.TTMatrix.from_dense(np.zeros((16, 16)), in_modes=(4, 4), out_modes=(4, 4), cutoff=1e-12)
    assert tt.bond_dims == (1,)
    assert np.all(tt.to_dense() == 0) and tt.error(np.zeros((16, 16))) == 0.0
    assert tt.rel_error_bound == 0.0


# ------------------------------------------------------------------- products


def plans(d):
    """Every forced plan: both sweeps, every grouping of adjacent cores."""
    out = []
    for mask in range(2 ** (d - 1)):
        bounds = [0] + [k + 1 for k in range(d - 1) if mask >> k & 1] + [d]
        for order in ("left_to_right", "right_to_left"):
            out.append((order, bounds))
    return [("auto", []), *out]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", [1, 3, 256])
def test_forward_every_order_matches_dense(rng, dtype, batch):
    cores = random_cores(rng, (3, 4, 2), (2, 5, 3), (3, 4), dtype)
    tt = tb.TTMatrix.from_cores(cores)
    dense = dense_reference(cores)
    x = rand(rng, (batch, 30), dtype)
    ref = x.astype(dense.dtype) @ dense.T
    scale = (np.abs(x) @ np.abs(dense).T).max()
    for order, bounds in plans(3):
        y = tt._apply(x, batch_last=False, order=order, bounds=bounds)
        assert y.dtype == np.dtype(dtype) and y.shape == (batch, 24)
        assert_close(y, ref, dtype, scale)
        yt = tt._apply(np.ascontiguousarray(x.T), batch_last=True, order=order, bounds=bounds)
        assert yt.shape == (24, batch)
        assert_close(yt, ref.T, dtype, scale)
    # public entry points: forward on rows, matmul on columns, F-ordered views
    assert_close(tt.forward(x), ref, dtype, scale)
    assert_close(tt @ x.T, ref.T, dtype, scale)
    assert_close(tt @ np.asfortranarray(x.T), ref.T, dtype, scale)
    assert_close(tt @ x[0], ref[0], dtype, scale)
    assert_close(tt.forward(x[0]), ref[0], dtype, scale)
    assert_close(tt.forward(x[:, None, :]), ref[:, None, :], dtype, scale)


def test_macs_match_formula(rng):
    out_modes, in_modes, ranks = (3, 4, 2), (2, 5, 3), (3, 4)
    tt = tb.TTMatrix.from_cores(random_cores(rng, out_modes, in_modes, ranks))
    r = [1, *ranks, 1]
    d = 3
    rtl = sum(
        math.prod(in_modes[:k])
        * in_modes[k]
        * r[k + 1]
        * r[k]
        * out_modes[k]
        * math.prod(out_modes[k + 1 :])
        for k in range(d)
    )
    ltr = sum(
        math.prod(out_modes[:k])
        * r[k]
        * in_modes[k]
        * out_modes[k]
        * r[k + 1]
        * math.prod(in_modes[k + 1 :])
        for k in range(d)
    )
    for order, per_row in (("right_to_left", rtl), ("left_to_right", ltr)):
        sweep, bounds, merge, row = tt._impl.plan(7, False, order, [])
        assert (sweep, bounds, merge, row) == (order, [0, 1, 2, 3], 0, per_row)
    # the dense plan: merge cores left to right, then one GEMM per row
    merge_ref = 1 * 6 * 3 * 20 * 4 + 1 * 120 * 4 * 6 * 1
    assert tt._impl.plan(7, False, "right_to_left", [0, 3])[2:] == (merge_ref, 24 * 30)
    plan = tt.plan(5)
    assert tt.macs(5) == plan.macs == plan.merge_macs + 5 * tt._impl.plan(5, False)[3]
    lr = tb.LowRank.from_dense(rand(rng, (40, 30)), max_bond=4)
    assert lr.macs(9) == 9 * 4 * (40 + 30)


def test_plan_depends_on_batch(rng):
    # full ranks: dense is cheapest for many rows; the TT sweep for one
    w = rand(rng, (256, 256))
    tt = tb.TTMatrix.from_dense(w, in_modes=(16, 16), out_modes=(16, 16), max_bond=8)
    assert tt.plan(1).groups == ((0,), (1,))
    big = tb.TTMatrix.from_dense(w, in_modes=(16, 16), out_modes=(16, 16))
    assert big.plan(4096).groups == ((0, 1),)
    assert big.macs(4096) < 4096 * big._impl.plan(1, False, "right_to_left", [])[3]


def test_dtype_promotion(rng):
    w = rand(rng, (12, 10), np.float32)
    tt = tb.TTMatrix.from_dense(w, in_modes=(2, 5), out_modes=(3, 4))
    x64 = rand(rng, (10, 3), np.float64)
    y = tt @ x64
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, dense_reference(tt.cores) @ x64, rtol=1e-10, atol=1e-12)
    assert (tt @ np.arange(10)).dtype == np.float64
    yc = tt.forward(rand(rng, (2, 10), np.complex64))
    assert yc.dtype == np.complex64
    assert tt.astype(np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="float32, float64"):
        tt @ np.array(["a"] * 10)


def test_threads_release_gil(rng):
    tt = tb.TTMatrix.from_dense(
        rand(rng, (64, 64)), in_modes=(4, 4, 4), out_modes=(4, 4, 4), max_bond=6
    )
    xs = [rand(rng, (64, 64)) for _ in range(4)]
    ref = [tt.forward(x) for x in xs]
    got = [None] * 4

    def work(i):
        for _ in range(20):
            got[i] = tt.forward(xs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g, r in zip(got, ref, strict=True):
        np.testing.assert_array_equal(g, r)


def test_pickle_and_from_cores_roundtrip(rng):
    w = rand(rng, (16, 24))
    tt = tb.TTMatrix.from_dense(w, in_modes=(4, 6), out_modes=(4, 4), max_bond=3)
    back = pickle.loads(pickle.dumps(tt))
    np.testing.assert_array_equal(back.to_dense(), tt.to_dense())
    assert back.rel_error_bound == tt.rel_error_bound
    again = tb.TTMatrix.from_cores(tt.cores)
    np.testing.assert_array_equal(again.to_dense(), tt.to_dense())
    assert again.rel_error_bound == 0.0


# ------------------------------------------------------------------- rounding


def block_sum(a, b):
    """Cores of the TT-matrix W_a + W_b (block-diagonal bonds, ranks add)."""
    d = len(a)
    out = []
    for k in range(d):
        x, y = a[k], b[k]
        rl = 1 if k == 0 else x.shape[0] + y.shape[0]
        rr = 1 if k == d - 1 else x.shape[3] + y.shape[3]
        c = np.zeros((rl, x.shape[1], x.shape[2], rr), dtype=x.dtype)
        l0 = 0 if k == 0 else x.shape[0]
        r0 = 0 if k == d - 1 else x.shape[3]
        c[: x.shape[0], :, :, : x.shape[3]] = x
        c[l0 : l0 + y.shape[0], :, :, r0 : r0 + y.shape[3]] = y
        out.append(c)
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_round_finds_true_ranks(rng, dtype):
    a = random_cores(rng, (3, 4, 2, 3), (2, 2, 3, 4), (2, 3, 4), dtype)
    doubled = tb.TTMatrix.from_cores(
        block_sum(a, [c * (2 if k == 0 else 1) for k, c in enumerate(a)])
    )
    assert doubled.bond_dims == (4, 6, 8)
    rounded = doubled.round(cutoff=1e-13)
    assert rounded.bond_dims == (2, 3, 4)
    w = 3 * dense_reference(a)
    assert rounded.error(w) < 1e-12
    assert rounded.discarded_weight < 1e-20


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_matches_svd_recompression(rng, dtype):
    out_modes, in_modes = (4, 3, 4), (3, 4, 2)
    tt = tb.TTMatrix.from_cores(random_cores(rng, out_modes, in_modes, (6, 6), dtype))
    w = tt.to_dense()
    rounded = tt.round(max_bond=3)
    ref = tb.TTMatrix.from_dense(
        w.astype(HIGH[np.dtype(dtype)]), in_modes=in_modes, out_modes=out_modes
    )
    ref = ref.round(max_bond=3)
    assert rounded.bond_dims == (3, 3) and rounded.dtype == np.dtype(dtype)
    scale = np.abs(w).max()
    assert_close(rounded.to_dense(), ref.to_dense(), dtype, scale)
    for got, want in zip(rounded.bond_singular_values(), ref.bond_singular_values(), strict=True):
        assert_close(got, want, dtype, scale)
    # error bound of the rounding step: ||W - round(W)||^2 <= discarded
    slack = 1e-10 if np.dtype(dtype) in (np.float64, np.complex128) else 1e-5
    err = rounded.error(w)
    assert err <= rounded.rel_error_bound * (1 + slack) + slack
    # rounding without truncation changes nothing
    same = tt.round()
    assert_close(same.to_dense(), w, dtype, scale)
    assert same.bond_dims == (6, 6)


# --------------------------------------------------------------------- quimb


@pytest.mark.reference
@pytest.mark.parametrize(
    ("max_bond", "cutoff", "mode"),
    [
        (None, 1e-3, "rsum2"),
        (None, 1e-6, "rsum2"),
        (6, 1e-8, "rsum2"),
        (None, 0.05, "rel"),
        (None, 0.2, "abs"),
    ],
)
def test_matches_quimb_mpo_from_dense(rng, qtn, max_bond, cutoff, mode):
    d = 5  # 32 x 32, binary digits as quimb's dims=2
    a = random_cores(rng, (2,) * d, (2,) * d, (3, 5, 5, 3))
    w = dense_reference(a) + 1e-2 * rand(rng, (32, 32))
    ours = tb.TTMatrix.from_dense(
        w, in_modes=(2,) * d, out_modes=(2,) * d, max_bond=max_bond, cutoff=cutoff, cutoff_mode=mode
    )
    ref = qtn.MatrixProductOperator.from_dense(
        w, dims=2, max_bond=max_bond, cutoff=cutoff, cutoff_mode=mode
    )
    ref_dense = ref.to_dense()
    assert ours.bond_dims == tuple(ref.bond_sizes())
    np.testing.assert_allclose(ours.to_dense(), ref_dense, rtol=1e-10, atol=1e-12)
    assert abs(ours.error(w) - np.linalg.norm(w - ref_dense) / np.linalg.norm(w)) < 1e-8
    for got, want in zip(
        ours.bond_singular_values(),
        cut_values_reference(ref_dense, (2,) * d, (2,) * d),
        strict=True,
    ):
        np.testing.assert_allclose(got, want[: len(got)], rtol=1e-8, atol=1e-11)


@pytest.mark.reference
def test_quimb_index_convention(qtn, rng):
    """quimb's MPO cores, read as (left bond, upper k, lower b, right bond), are our
    cores: rows are the upper indices, site 0 the most significant digit."""
    dims = (2, 3, 2)
    w = rand(rng, (12, 12))
    ref = qtn.MatrixProductOperator.from_dense(w, dims=dims, cutoff=0.0)
    np.testing.assert_allclose(ref.to_dense(), w, atol=1e-12)
    cores = []
    for i in range(3):
        t = ref[i]
        left = list(qtn.bonds(ref[i - 1], t)) if i > 0 else []
        right = list(qtn.bonds(t, ref[i + 1])) if i < 2 else []
        data = t.transpose(*left, f"k{i}", f"b{i}", *right).data
        if i == 0:
            data = data[None]
        if i == 2:
            data = data[..., None]
        cores.append(data)
    assert [c.shape[1:3] for c in cores] == [(2, 2), (3, 3), (2, 2)]
    np.testing.assert_allclose(tb.TTMatrix.from_cores(cores).to_dense(), w, atol=1e-12)
    ours = tb.TTMatrix.from_dense(w, in_modes=dims, out_modes=dims)
    assert ours.bond_dims == tuple(ref.bond_sizes())


# ------------------------------------------------------------------- tensorly


@pytest.mark.reference
@pytest.mark.parametrize(
    ("out_modes", "in_modes", "rank"),
    [((4, 4, 4), (4, 4, 4), 5), ((4, 8), (8, 2), 3), ((3, 4, 2, 4), (2, 4, 3, 2), 4)],
)
def test_matches_tensorly_at_equal_ranks(rng, out_modes, in_modes, rank):
    pytest.importorskip("tensorly")
    from tensorly.decomposition import tensor_train_matrix

    w = rand(rng, (math.prod(out_modes), math.prod(in_modes)))
    d = len(out_modes)
    ref = tensor_train_matrix(w.reshape(*out_modes, *in_modes), rank=[1] + [rank] * (d - 1) + [1])
    ref_dense = dense_reference([np.asarray(f) for f in ref.factors])
    tt = tb.TTMatrix.from_dense(w, in_modes=in_modes, out_modes=out_modes, max_bond=rank)
    assert tt.bond_dims == tuple(f.shape[3] for f in ref.factors[:-1])
    ref_err = np.linalg.norm(w - ref_dense) / np.linalg.norm(w)
    assert abs(tt.error(w) - ref_err) < 1e-8


# -------------------------------------------------------------------- LowRank


@pytest.mark.parametrize("dtype", DTYPES)
def test_lowrank_matches_truncated_svd(rng, dtype):
    w = rand(rng, (40, 30), dtype)
    lr = tb.LowRank.from_dense(w, max_bond=7)
    u, s, vh = np.linalg.svd(w.astype(HIGH[np.dtype(dtype)]), full_matrices=False)
    assert lr.rank == 7 and lr.bond_dims == (7,) and lr.shape == (40, 30)
    assert lr.u.shape == (40, 7) and lr.v.shape == (7, 30) and lr.dtype == np.dtype(dtype)
    assert lr.num_params == 7 * 70
    assert lr.compression_ratio == pytest.approx(1200 / 490)
    scale = s[0]
    assert_close(lr.to_dense(), (u[:, :7] * s[:7]) @ vh[:7], dtype, scale)
    assert_close(lr.u @ lr.v, lr.to_dense(), dtype, scale)
    assert_close(lr.u.conj().T @ lr.u, np.eye(7), dtype, 10)
    assert_close(lr.singular_values(), s[:7], dtype, scale)
    tail = math.sqrt(float((s[7:] ** 2).sum()) / float((s**2).sum()))
    assert lr.error(w) == pytest.approx(tail, rel=1e-4)
    assert lr.rel_error_bound == pytest.approx(tail, rel=1e-4)
    assert lr.discarded_weight == pytest.approx(float((s[7:] ** 2).sum()), rel=1e-4)
    x = rand(rng, (5, 30), dtype)
    ref = x @ lr.to_dense().T
    assert_close(lr.forward(x), ref, dtype, np.abs(ref).max())
    assert_close(lr @ x.T, ref.T, dtype, np.abs(ref).max())
    assert "LowRank(shape=(40, 30), rank=7" in repr(lr)


def test_lowrank_factors_and_round(rng):
    u, v = rand(rng, (20, 6)), rand(rng, (6, 15))
    lr = tb.LowRank.from_factors(u, v)
    np.testing.assert_allclose(lr.to_dense(), u @ v, rtol=1e-12, atol=1e-12)
    r = lr.round(max_bond=3)
    ref = tb.LowRank.from_dense(u @ v, max_bond=3)
    np.testing.assert_allclose(r.to_dense(), ref.to_dense(), rtol=1e-10, atol=1e-10)
    assert r.rank == 3 and r.error(u @ v) <= r.rel_error_bound * (1 + 1e-10)
    s = np.linalg.svd(u @ v, compute_uv=False)
    np.testing.assert_allclose(lr.singular_values(), s[:6], rtol=1e-10)


# --------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"in_modes": (3, 5)}, r"in_modes \(3, 5\) multiply to 15, but the matrix has 16 columns"),
        (
            {"out_modes": (4, 4, 2)},
            r"out_modes \(4, 4, 2\) multiply to 32, but the matrix has 12 rows",
        ),
        ({"in_modes": (4, 4), "out_modes": (2, 2, 3)}, r"has 3 modes but in_modes \(4, 4\) has 2"),
        ({"in_modes": (2, 2, 2, 2), "out_modes": None}, r"cannot split 12 into 4 modes >= 2"),
        ({"num_cores": 2, "in_modes": (2, 2, 4)}, r"num_cores=2 disagrees with the 3 modes"),
        ({"max_bond": 0}, r"max_bond must be >= 1 or None, got 0"),
        ({"cutoff": -1.0}, r"cutoff must be a finite number >= 0"),
        ({"cutoff_mode": "bad"}, r"cutoff_mode must be one of"),
        ({"in_modes": (4, 0, 4)}, r"in_modes must be >= 1 each, got \(4, 0, 4\)"),
    ],
)
def test_from_dense_errors(rng, kwargs, match):
    with pytest.raises(ValueError, match=match):
        tb.TTMatrix.from_dense(rand(rng, (12, 16)), **kwargs)


def test_bad_weights():
    w = np.ones((8, 8))
    w[2, 3] = np.nan
    with pytest.raises(
        ValueError, match=r"w contains 1 NaN or infinite value\(s\), the first at index \(2, 3\)"
    ):
        tb.TTMatrix.from_dense(w)
    with pytest.raises(ValueError, match=r"NaN or infinite"):
        tb.LowRank.from_dense(np.full((3, 3), np.inf))
    with pytest.raises(ValueError, match=r"both dimensions must be >= 1"):
        tb.TTMatrix.from_dense(np.zeros((0, 4)))
    with pytest.raises(ValueError, match=r"must be a 2-D matrix \(out, in\), got shape \(4,\)"):
        tb.TTMatrix.from_dense(np.zeros(4))
    with pytest.raises(TypeError, match=r"unsupported dtype"):
        tb.TTMatrix.from_dense(np.array([["a"]]))
    with pytest.raises(ValueError, match=r"max_bond must be >= 1"):
        tb.LowRank.from_dense(np.eye(3), max_bond=0)


def test_from_cores_errors(rng):
    good = random_cores(rng, (2, 3), (3, 2), (4,))
    with pytest.raises(ValueError, match=r"rank of 0"):
        tb.TTMatrix.from_cores([np.zeros((1, 2, 3, 0)), np.zeros((0, 3, 2, 1))])
    with pytest.raises(ValueError, match=r"core 0 has r_right=4 but core 1 has r_left=3"):
        tb.TTMatrix.from_cores([good[0], np.zeros((3, 3, 2, 1))])
    with pytest.raises(ValueError, match=r"boundary ranks must be 1: core 0 has r_left=2"):
        tb.TTMatrix.from_cores([np.zeros((2, 2, 3, 4)), good[1]])
    with pytest.raises(ValueError, match=r"core 1 has shape \(4, 3, 2\); cores are 4-D"):
        tb.TTMatrix.from_cores([good[0], np.zeros((4, 3, 2))])
    with pytest.raises(ValueError, match=r"at least one core"):
        tb.TTMatrix.from_cores([])
    bad = good[1].copy()
    bad[0, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match=r"core 1 contains 1 NaN"):
        tb.TTMatrix.from_cores([good[0], bad])
    with pytest.raises(ValueError, match=r"u has 3 columns but v has 2 rows"):
        tb.LowRank.from_factors(np.ones((4, 3)), np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"rank 0 is not allowed"):
        tb.LowRank.from_factors(np.ones((4, 0)), np.ones((0, 5)))


def test_product_errors(rng):
    tt = tb.TTMatrix.from_dense(rand(rng, (12, 16)), in_modes=(4, 4), out_modes=(3, 4))
    with pytest.raises(ValueError, match=r"x has 15 rows but the matrix has 16 columns"):
        tt @ np.ones(15)
    with pytest.raises(
        ValueError, match=r"x must have shape \(16,\) or \(16, k\), got \(2, 16, 3\)"
    ):
        tt @ np.ones((2, 16, 3))
    with pytest.raises(ValueError, match=r"forward: x must have shape \(\.\.\., 16\)"):
        tt.forward(np.ones((3, 12)))
    with pytest.raises(ValueError, match=r"batch must be >= 1"):
        tt.macs(0)
    with pytest.raises(ValueError, match=r"plan bounds \(0, 2, 1\)"):
        tt._apply(np.ones((1, 16)), batch_last=False, order="left_to_right", bounds=[0, 2, 1])
    with pytest.raises(TypeError, match=r"cannot convert a complex128"):
        tt.astype(np.complex128).astype(np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
def test_large_batches_blocked_and_transposed(rng, dtype):
    """Batches whose intermediates exceed the cache block: rows are processed in
    blocks, and a column batch (tt @ x) goes through transposes."""
    cores = random_cores(rng, (32, 32), (32, 32), (16,), dtype)
    tt = tb.TTMatrix.from_cores(cores)
    dense = dense_reference(cores)
    x = rand(rng, (1024, 160), dtype)
    ref = dense @ x.astype(dense.dtype)
    scale = (np.abs(dense) @ np.abs(x)).max()
    for order in ("left_to_right", "right_to_left"):
        assert_close(tt._apply(x, batch_last=True, order=order), ref, dtype, scale)
        assert_close(tt._apply(x.T, batch_last=False, order=order), ref.T, dtype, scale)


def test_huge_tt_plans_without_overflow():
    """A 2^40 x 2^40 TT: planning and sizes must not overflow silently."""
    tt = tb.TTMatrix.from_cores([np.ones((1, 2, 2, 1))] * 40)
    assert tt.shape == (2**40, 2**40) and tt.num_params == 160
    plan = tt.plan(1)
    assert len(plan.groups) > 1 and plan.macs < 2**63
    with pytest.raises(ValueError, match=r"more than fits in 64 bits"):
        tt._impl.plan(1, False, "right_to_left", [0, 40])
    with pytest.raises(ValueError, match=r"overflows"):
        tt.to_dense()


def test_ranks_is_a_deprecated_name_of_bond_dims(rng) -> None:
    w = rng.standard_normal((16, 16))
    tt = tb.TTMatrix.from_dense(w, in_modes=(4, 4), out_modes=(4, 4), max_bond=3)
    lr = tb.LowRank.from_dense(w, max_bond=2)
    assert tt.bond_dims == (3,) and lr.bond_dims == (2,)
    with pytest.warns(DeprecationWarning, match=r"TTMatrix\.ranks is deprecated"):
        assert tt.ranks == tt.bond_dims
    with pytest.warns(DeprecationWarning, match=r"LowRank\.ranks is deprecated"):
        assert lr.ranks == (2,)


def test_modes_are_keyword_only(rng) -> None:
    with pytest.raises(TypeError, match="positional"):
        tb.TTMatrix.from_dense(rng.standard_normal((16, 16)), (4, 4), (4, 4))  # type: ignore[misc]
