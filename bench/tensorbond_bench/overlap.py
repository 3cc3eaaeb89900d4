"""Site tensors of each tool's MPS and the overlap of two MPS (the true fidelity)."""

from __future__ import annotations

from typing import Any

import numpy as np


def mps_site_tensors(state: Any) -> list[np.ndarray]:
    """Site tensors ``(chi_left, 2, chi_right)`` of a tensorbond MPS in qubit order.

    If the state's ``layout`` is not the identity, a copy is moved back with
    ``restore_layout()`` first (the state itself is left alone).
    """
    if state.layout != list(range(state.num_qubits)):
        # Bounded at 4x the state's largest bond: exact restoring of a layout
        # scrambled at saturation can need 2^(n/2) (measured: qaoa_40 ran out of
        # memory). What the bound cuts counts in the fidelity estimate.
        state = state.copy().restore_layout(max_bond=4 * state.max_bond_reached, cutoff=1e-14)
    return [state.site_tensor(i) for i in range(state.num_qubits)]


def mps_overlap(a: Any, b: Any) -> complex:
    """The inner product ``<a|b>`` of two MPS, by a left-to-right transfer sweep.

    Parameters
    ----------
    a, b : tensorbond.MPS or sequence of arrays
        The same number of sites; arrays have shape ``(chi_left, 2, chi_right)``
        with ``chi_left = 1`` first and ``chi_right = 1`` last. A tensorbond MPS
        is read with :func:`mps_site_tensors` (identity layout restored).

    Returns
    -------
    complex
        ``<a|b>``, conjugate-linear in ``a``. Costs ``O(n chi^3)``.
    """
    ta = mps_site_tensors(a) if hasattr(a, "site_tensor") else list(a)
    tb_ = mps_site_tensors(b) if hasattr(b, "site_tensor") else list(b)
    if len(ta) != len(tb_):
        raise ValueError(f"MPS of {len(ta)} and {len(tb_)} sites have no overlap")
    env = np.ones((1, 1), dtype=np.complex128)
    for x, y in zip(ta, tb_, strict=False):
        if x.ndim != 3 or y.ndim != 3 or x.shape[1] != y.shape[1]:
            raise ValueError(f"site tensors of shapes {x.shape} and {y.shape} do not match")
        t = np.tensordot(env, y, axes=(1, 0))  # (la, s, rb)
        env = np.tensordot(x.conj(), t, axes=([0, 1], [0, 1]))  # (ra, rb)
    if env.shape != (1, 1):
        raise ValueError(f"open boundary bonds {env.shape} (expected 1 at both ends)")
    return complex(env[0, 0])


def state_fidelity(a: Any, b: Any) -> float:
    """``|<a|b>|^2 / (<a|a> <b|b>)``: the fidelity of the normalized states."""
    ta = mps_site_tensors(a) if hasattr(a, "site_tensor") else list(a)
    tb_ = mps_site_tensors(b) if hasattr(b, "site_tensor") else list(b)
    ab = mps_overlap(ta, tb_)
    aa = mps_overlap(ta, ta).real
    bb = mps_overlap(tb_, tb_).real
    if aa <= 0 or bb <= 0:
        return float("nan")
    return float(min(1.0, abs(ab) ** 2 / (aa * bb)))


def quimb_site_tensors(psi: Any) -> list[np.ndarray]:
    """Site tensors ``(chi_left, 2, chi_right)`` of a quimb ``MatrixProductState``."""
    n = psi.L
    out = []
    for i in range(n):
        t = psi[i]
        left = list(t.bonds(psi[i - 1])) if i > 0 else []
        right = list(t.bonds(psi[i + 1])) if i < n - 1 else []
        arr = np.asarray(t.transpose(*left, psi.site_ind(i), *right).data)
        if i == 0:
            arr = arr[None]
        if i == n - 1:
            arr = arr[..., None]
        out.append(arr)
    return out


def aer_site_tensors(saved: Any) -> list[np.ndarray]:
    """Site tensors from qiskit-aer's ``save_matrix_product_state`` (qubit order).

    Aer returns Vidal form ``([(Gamma_q^0, Gamma_q^1), ...], [lambda_q, ...])``;
    site ``q`` becomes ``A[l, s, r] = Gamma_q^s[l, r] lambda_q[r]``.
    """
    gammas, lambdas = saved
    out = []
    for q, (g0, g1) in enumerate(gammas):
        a = np.stack([np.asarray(g0), np.asarray(g1)], axis=1)
        if q < len(lambdas):
            a = a * np.asarray(lambdas[q])[None, None, :]
        out.append(a)
    return out
