"""Shared fixtures: seeded randomness, dtypes, the tolerance table, quimb, data paths."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

# test modules import the references (tests/_reference) as a plain package
sys.path.insert(0, str(Path(__file__).parent))

from _reference.paths import DATA, SHARED  # noqa: F401  (re-exported for old imports)
from _reference.tolerances import tol as _tol_function

SEEDS = (1234, 98765)


@pytest.fixture(params=SEEDS, ids=lambda s: f"seed{s}")
def rng(request: pytest.FixtureRequest) -> np.random.Generator:
    """A seeded numpy Generator (two seeds)."""
    return np.random.default_rng(request.param)


@pytest.fixture(params=["complex64", "complex128"])
def dtype(request: pytest.FixtureRequest) -> str:
    """The MPS scalar types."""
    return request.param


@pytest.fixture
def tol():
    """:func:`_reference.tolerances.tol` as a fixture."""
    return _tol_function


@pytest.fixture
def qtn():
    """``quimb.tensor``, or skip."""
    return pytest.importorskip("quimb.tensor")


@pytest.fixture
def single_blas_thread():
    """Pin tensorbond's BLAS to one thread for the test, then restore it.

    Used by the heavy reference modules: on a loaded 2-core machine OpenBLAS's
    spinning threads make runtimes erratic (a 1 s simulation can take minutes).
    """
    import tensorbond as tb

    old = tb.get_num_threads()
    tb.set_num_threads(1)
    yield
    tb.set_num_threads(old)


@pytest.fixture
def shared() -> Path:
    """The ``../shared`` data folder, or skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"shared data folder {SHARED} not present")
    return SHARED


@pytest.fixture
def dynamic_circuit():
    """Three qubits, registers ``m`` (2 bits) and ``out`` (1): measurements, an
    ``if (m == 3)`` and a reset; the shared input of the conversion tests."""
    import tensorbond as tb

    c = tb.Circuit(3)
    c.add_creg("m", 2)
    c.add_creg("out", 1)
    c.h(0).cx(0, 1).measure(0, 0).measure(1, 1)
    c.append("x", [2], condition=tb.Condition((0, 1), 3, "m"))
    c.reset(0).measure(2, 2)
    return c
