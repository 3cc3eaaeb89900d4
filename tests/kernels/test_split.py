"""The truncated split routes (cpp/src/split.cpp) against numpy's SVD: every
route returns an orthonormal factor, reports the exact discarded weight of the
projection it made, and keeps a subspace as good as the SVD's (eig, qr with an
exact basis) or close to it (rand), falling back to the SVD where the Gram
matrix cannot resolve the kept spectrum."""

from __future__ import annotations

import numpy as np
import pytest

import tensorbond as tb
from _reference.tolerances import tol
from tensorbond import _core
from tensorbond.truncation import SPLIT_METHODS, Truncation

ROUTES = ("svd", "eig", "rand", "qr", "auto")


def spectrum_matrix(rows, cols, s, dtype, seed=0):
    """rows x cols with singular values s (descending), Haar-random vectors."""
    rng = np.random.default_rng(seed)
    k = len(s)
    u, _ = np.linalg.qr(rng.normal(size=(rows, k)) + 1j * rng.normal(size=(rows, k)))
    v, _ = np.linalg.qr(rng.normal(size=(cols, k)) + 1j * rng.normal(size=(cols, k)))
    return np.ascontiguousarray(((u * s) @ v.conj().T).astype(dtype))


def split(a, route, *, max_bond=None, cutoff=0.0, mode="rsum2", absorb_right=True, basis=None):
    spec = Truncation(max_bond, cutoff, mode, False, route).to_core()
    fn = getattr(_core, f"split_{a.dtype.name}")
    return fn(a, spec, absorb_right, basis)


def optimal_discarded(a, k):
    s = np.linalg.svd(a.astype(np.complex128), compute_uv=False)
    return float(np.sum(s[k:] ** 2))


@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
@pytest.mark.parametrize("absorb_right", [True, False])
@pytest.mark.parametrize("shape", [(96, 150), (160, 100), (128, 128)])
@pytest.mark.parametrize("route", ROUTES)
def test_route_is_an_exact_projection(route, shape, absorb_right, dtype):
    rows, cols = shape
    n = min(shape)
    s = np.exp(-8.0 * np.arange(n) / n)
    a = spectrum_matrix(rows, cols, s, dtype)
    chi = 24
    left, right, disc, total, used, _fell, madds = split(
        a, route, max_bond=chi, cutoff=1e-12, absorb_right=absorb_right
    )
    k = left.shape[1]
    assert k == right.shape[0] == chi
    assert used in ("svd", "eig", "rand", "qr") and madds > 0
    eps = tol(dtype, "svd")
    iso = left if absorb_right else right.conj().T
    np.testing.assert_allclose(iso.conj().T @ iso, np.eye(k), atol=50 * eps)
    a64 = a.astype(np.complex128)
    total_ref = float(np.linalg.norm(a64) ** 2)
    assert total == pytest.approx(total_ref, rel=50 * eps)
    # the reported weight is the projection's true squared error
    err = float(np.linalg.norm(a64 - left.astype(np.complex128) @ right) ** 2)
    assert disc == pytest.approx(err, rel=1e-3, abs=200 * eps * total_ref)
    # no route beats the optimum; exact routes match it, sketches come close
    best = optimal_discarded(a, k)
    assert disc >= best * (1 - 1e-6) - 200 * eps * total_ref
    slack = 0.10 if used in ("rand", "qr") else 1e-6
    assert disc <= best * (1 + slack) + 200 * eps * total_ref


@pytest.mark.parametrize("route", ["eig", "rand", "qr", "auto"])
def test_route_keeps_what_the_svd_keeps_under_a_cutoff(route):
    """Cutoff-bound splits: the same rank and the same discarded weight."""
    n = 120
    s = np.exp(-14.0 * np.arange(n) / n)
    a = spectrum_matrix(n, n + 30, s, "complex128", seed=3)
    ref = split(a, "svd", cutoff=1e-8)
    got = split(a, route, cutoff=1e-8)
    assert got[0].shape == ref[0].shape
    assert got[2] == pytest.approx(ref[2], rel=1e-6, abs=1e-14 * ref[3])
    assert got[2] <= 1e-8 * got[3] * (1 + 1e-9)


def test_rand_without_max_bond_uses_eig():
    a = spectrum_matrix(100, 100, np.linspace(1, 0.1, 100), "complex128")
    assert split(a, "rand", cutoff=1e-10)[4] == "eig"


def test_gram_route_precision_is_bounded():
    """A kept spectrum spanning 1e6 (inside the Gram matrix's resolution): eig's
    subspace is optimal to ~64 eps of the weight."""
    n = 100
    s = np.logspace(0, -6, n)
    a = spectrum_matrix(n, n, s, "complex128", seed=4)
    for chi in (40, 90):
        _left, _right, disc, total, used, fell, _ = split(a, "eig", max_bond=chi, cutoff=1e-14)
        assert used == "eig" and not fell
        best = optimal_discarded(a, chi)
        assert abs(disc - best) <= 64 * np.finfo(float).eps * total


@pytest.mark.parametrize("dtype", ["complex128", "complex64"])
def test_gram_route_falls_back_where_the_spectrum_is_too_wide(dtype):
    """Kept values spanning more than sqrt(64 eps) (~1e7 in float64): the SVD."""
    n = 80
    s = np.logspace(0, -12, n)
    a = spectrum_matrix(n, n, s, dtype, seed=5)
    chi = 70  # keeps values down to ~1e-10 relative
    _left, _right, disc, _total, used, fell, _ = split(a, "eig", max_bond=chi)
    assert fell and used == "svd"
    ref = split(a, "svd", max_bond=chi)
    assert disc == pytest.approx(ref[2], rel=1e-8, abs=1e-30)


def test_qr_route_is_exact_on_an_expanded_basis():
    """Theta = sum_k (f_k A) S (e_k B): rows of e_k B span its row space, so the
    qr route (a QR on that basis) truncates as the SVD does."""
    rng = np.random.default_rng(6)
    l, m, r = 60, 40, 70
    cz = np.diag([1, 1, 1, -1]).astype(complex)
    a_core = rng.normal(size=(l, 2, m)) + 1j * rng.normal(size=(l, 2, m))
    b_core = rng.normal(size=(m, 2, r)) + 1j * rng.normal(size=(m, 2, r))
    theta = np.einsum("apm,mqr->apqr", a_core, b_core).reshape(l, 4, r)
    theta = np.einsum("xy,ayr->axr", cz, theta).reshape(2 * l, 2 * r)
    theta = np.ascontiguousarray(theta)
    z = np.diag([1.0, -1.0]).astype(complex)
    basis = np.concatenate(
        [b_core.reshape(m, 2 * r), np.einsum("qp,mpr->mqr", z, b_core).reshape(m, 2 * r)]
    )
    for chi in (None, 50):
        got = split(theta, "qr", max_bond=chi, cutoff=1e-13, basis=np.ascontiguousarray(basis))
        ref = split(theta, "svd", max_bond=chi, cutoff=1e-13)
        assert got[4] == "qr"
        assert got[0].shape == ref[0].shape
        slack = 1e-6 if chi is None else 0.10
        assert got[2] <= ref[2] * (1 + slack) + 1e-12 * ref[3]


@pytest.mark.parametrize("route", ROUTES)
def test_zero_and_nonfinite_matrices(route):
    a = np.zeros((70, 80), dtype=np.complex128)
    left, _right, disc, total, *_ = split(a, route, max_bond=10, cutoff=1e-10)
    assert left.shape[1] == 1 and disc == 0.0 and total == 0.0
    a[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        split(a, route, max_bond=10, cutoff=1e-10)


def test_renormalize_keeps_the_norm():
    n = 90
    a = spectrum_matrix(n, n, np.exp(-5.0 * np.arange(n) / n), "complex128")
    for route in ROUTES:
        spec = Truncation(20, 0.0, "rsum2", True, route).to_core()
        left, right, _disc, total, *_ = _core.split_complex128(a, spec, True, None)
        assert np.linalg.norm(left @ right) ** 2 == pytest.approx(total, rel=1e-10)


def test_split_names_are_checked():
    assert set(SPLIT_METHODS) == set(ROUTES)
    with pytest.raises(ValueError, match="split must be one of"):
        Truncation(split="lu")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="split must be one of"):
        tb.simulate(tb.Circuit(2).h(0).cx(0, 1), split="svd:eig")  # type: ignore[arg-type]


def test_nonfinite_basis_is_refused():
    a = spectrum_matrix(80, 80, np.linspace(1, 0.1, 80), "complex128")
    basis = np.ascontiguousarray(a[:30].copy())
    basis[2, 3] = np.inf
    with pytest.raises(ValueError, match="split basis"):
        split(a, "qr", max_bond=20, cutoff=1e-10, basis=basis)
