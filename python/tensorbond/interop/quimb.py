"""Matrix product states to and from quimb, as lists of site tensors.

quimb is optional: each function imports it on use and raises an ImportError
that says how to install it. Site ``i`` is qubit ``i`` in both libraries; a
site tensor here is ``(chi_left, 2, chi_right)``, as
:meth:`tensorbond.MPS.site_tensor` returns it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["site_tensors_from_quimb", "to_quimb"]


def _quimb() -> Any:
    try:
        import quimb.tensor as qtn
    except ImportError as exc:
        raise ImportError(
            "this conversion needs quimb: pip install 'tensorbond[reference]'"
        ) from exc
    return qtn


def to_quimb(tensors: Sequence[np.ndarray]) -> Any:
    """A ``quimb.tensor.MatrixProductState`` of the site tensors, in qubit order.

    Parameters
    ----------
    tensors : sequence of ndarray, each ``(chi_left, 2, chi_right)``
        Site ``i`` holds qubit ``i``; the end bonds are 1.

    Returns
    -------
    quimb.tensor.MatrixProductState
    """
    qtn = _quimb()
    arrays = list(tensors)
    if len(arrays) == 1:
        return qtn.MatrixProductState([arrays[0].reshape(2)], shape="p")
    first = arrays[0][0].T  # quimb's 'lrp': first (r, p), middle (l, r, p), last (l, p)
    last = arrays[-1][:, :, 0]
    mids = [a.transpose(0, 2, 1) for a in arrays[1:-1]]
    return qtn.MatrixProductState([first, *mids, last], shape="lrp")


def site_tensors_from_quimb(psi: Any, dtype: np.dtype) -> list[np.ndarray]:
    """The site tensors ``(chi_left, 2, chi_right)`` of quimb's ``psi`` (site i = qubit i).

    Parameters
    ----------
    psi : quimb.tensor.MatrixProductState
        A qubit state (physical dimension 2 everywhere).
    dtype : numpy.dtype
        Scalar type of the returned tensors.

    Returns
    -------
    list of ndarray

    Raises
    ------
    TypeError
        ``psi`` is not a quimb MatrixProductState.
    ValueError
        A physical dimension other than 2.
    """
    qtn = _quimb()
    if not isinstance(psi, qtn.MatrixProductState):
        raise TypeError(f"expected a quimb MatrixProductState, got {type(psi).__name__}")
    if any(d != 2 for d in (psi.phys_dim(i) for i in range(psi.L))):
        raise ValueError("only qubit states (physical dimension 2) convert")
    tensors = []
    for i in range(psi.L):
        t = psi[i]
        left = list(t.bonds(psi[i - 1])) if i > 0 else []
        right = list(t.bonds(psi[i + 1])) if i < psi.L - 1 else []
        arr = np.asarray(t.transpose(*left, psi.site_ind(i), *right).data)
        arr = arr.reshape(
            int(np.prod([t.ind_size(x) for x in left])) if left else 1,
            2,
            int(np.prod([t.ind_size(x) for x in right])) if right else 1,
        )
        tensors.append(np.ascontiguousarray(arr, dtype=dtype))
    return tensors
