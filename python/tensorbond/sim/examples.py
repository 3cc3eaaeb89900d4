"""Built-in example circuits (also used by ``tensorbond simulate --example``)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .circuit import Circuit

__all__ = ["EXAMPLES", "brick", "ghz", "qft", "tfim"]


def ghz(n: int = 100) -> Circuit:
    """GHZ state preparation: ``h`` then a chain of ``cx`` (bond dimension 2)."""
    c = Circuit(n).h(0)
    for q in range(n - 1):
        c.cx(q, q + 1)
    return c


def qft(n: int = 30, *, seed: int = 0) -> Circuit:
    """A random ``u3`` product state followed by the quantum Fourier transform.

    Long-range controlled phases; the bond dimension stays small when those are
    routed well.
    """
    rng = np.random.default_rng(seed)
    c = Circuit(n)
    for q in range(n):
        theta, phi, lam = rng.uniform(0, 2 * math.pi, 3)
        c.u3(theta, phi, lam, q)
    for j in range(n):
        c.h(j)
        for k in range(j + 1, n):
            c.cu1(math.pi / 2 ** (k - j), k, j)
    for q in range(n // 2):
        c.swap(q, n - 1 - q)
    return c


def brick(n: int = 50, depth: int = 20, *, seed: int = 0) -> Circuit:
    """Random brick circuit: ``u3`` on every qubit, ``cz`` on alternating pairs.

    Entanglement grows linearly with depth: it saturates any bond limit.
    """
    rng = np.random.default_rng(seed)
    c = Circuit(n)
    for layer in range(depth):
        for q in range(n):
            theta, phi, lam = rng.uniform(0, 2 * math.pi, 3)
            c.u3(theta, phi, lam, q)
        for q in range(layer % 2, n - 1, 2):
            c.cz(q, q + 1)
    return c


def tfim(n: int = 100, steps: int = 20, *, dt: float = 0.1, h: float = 1.0) -> Circuit:
    """Trotterized transverse-field Ising evolution: ``rzz`` bonds, ``rx`` fields."""
    c = Circuit(n)
    for _ in range(steps):
        for parity in (0, 1):
            for q in range(parity, n - 1, 2):
                c.rzz(2 * dt, q, q + 1)
        for q in range(n):
            c.rx(2 * h * dt, q)
    return c


EXAMPLES: dict[str, Callable[..., Circuit]] = {"ghz": ghz, "qft": qft, "brick": brick, "tfim": tfim}
