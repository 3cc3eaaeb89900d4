"""The small-matrix SVD path (one-sided Jacobi, k <= 8) against numpy.

Rank-deficient and zero inputs must still give orthonormal factors: an MPS
split keeps them as canonical site tensors.
"""

from __future__ import annotations

import numpy as np
import pytest

import tensorbond as tb
from _reference.tolerances import tol

DTYPES = [np.float32, np.float64, np.complex64, np.complex128]


def _random(rng: np.random.Generator, shape: tuple[int, int], dtype: type) -> np.ndarray:
    a = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def _check(a: np.ndarray, tol: float) -> None:
    u, s, vh, disc = tb.svd(a)
    k = min(a.shape)
    assert u.shape == (a.shape[0], k) and vh.shape == (k, a.shape[1])
    assert disc == 0.0
    ref = np.linalg.svd(a.astype(np.complex128), compute_uv=False)
    scale = max(1.0, float(ref[0]))
    np.testing.assert_allclose(s, ref, rtol=0, atol=tol * scale * 10)
    assert np.all(np.diff(s) <= 0)
    np.testing.assert_allclose(u.conj().T @ u, np.eye(k), rtol=0, atol=tol * 10)
    np.testing.assert_allclose(vh @ vh.conj().T, np.eye(k), rtol=0, atol=tol * 10)
    np.testing.assert_allclose((u * s) @ vh, a, rtol=0, atol=tol * scale * 10)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape", [(1, 1), (2, 1), (1, 5), (4, 2), (2, 4), (8, 8), (16, 8), (8, 64), (3, 7)]
)
def test_random_small(dtype: type, shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    _check(_random(rng, shape, dtype), tol(dtype, "svd"))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rank", [0, 1, 2])
def test_rank_deficient_small(dtype: type, rank: int) -> None:
    rng = np.random.default_rng(rank)
    a = (_random(rng, (6, rank), dtype) @ _random(rng, (rank, 5), dtype)).astype(dtype)
    _check(a, tol(dtype, "svd"))
    s = tb.svd(a).s
    assert np.all(s[rank:] <= tol(dtype, "svd") * 100 * max(1.0, float(s[0])))


def test_product_state_split_is_rank_one() -> None:
    # theta of cx on |+>|0>: a 4x2 matrix of rank 2; of |0>|0>: rank 1 with zeros
    theta = np.zeros((2, 2), dtype=np.complex128)
    theta[0, 0] = 1.0
    u, s, vh, disc = tb.svd(theta, cutoff=1e-12)
    assert s.shape == (1,) and disc == 0.0
    np.testing.assert_allclose((u * s) @ vh, theta, atol=1e-15)


def test_graded_spectrum_relative_accuracy() -> None:
    # Jacobi keeps small singular values accurate relative to themselves
    rng = np.random.default_rng(7)
    q1, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    q2, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    sv = np.array([1.0, 1e-3, 1e-6, 1e-9, 1e-11, 1e-12])
    a = (q1 * sv) @ q2.T
    s = tb.svd(a).s
    np.testing.assert_allclose(s[:4], sv[:4], rtol=1e-4)
