"""One table of tolerances per dtype (STYLE.md section 10), used by every test
that compares numbers with a reference."""

from __future__ import annotations

import numpy as np

#: Keys are dtype names. rtol/atol: no truncation, dense states and amplitudes;
#: fidelity: same truncation, allowed 1 - fidelity with the reference state;
#: discarded: rtol of discarded weights vs the reference's; svd: reconstruction
#: and orthogonality of one factorization, relative to the largest singular value.
TOLERANCES: dict[str, dict[str, float]] = {
    "complex128": {"rtol": 1e-10, "atol": 1e-12, "fidelity": 1e-8, "discarded": 1e-6, "svd": 1e-13},
    "float64": {"rtol": 1e-10, "atol": 1e-12, "fidelity": 1e-8, "discarded": 1e-6, "svd": 1e-13},
    "complex64": {"rtol": 1e-4, "atol": 1e-5, "fidelity": 1e-4, "discarded": 1e-3, "svd": 2e-5},
    "float32": {"rtol": 1e-4, "atol": 1e-5, "fidelity": 1e-4, "discarded": 1e-3, "svd": 2e-5},
}


def tol(dtype: object, kind: str = "dense") -> dict[str, float] | float:
    """``tol(dtype)`` -> ``dict(rtol=..., atol=...)`` for ``assert_allclose``;
    ``tol(dtype, "fidelity")`` the allowed ``1 - fidelity``, ``tol(dtype,
    "discarded")`` the rtol of discarded weights, ``tol(dtype, "svd")`` that of
    one factorization."""
    row = TOLERANCES[np.dtype(dtype).name]
    if kind == "dense":
        return {"rtol": row["rtol"], "atol": row["atol"]}
    return row[kind]
