"""Public diagnostics used by the benchmark suite: moving the centre, recording SVDs."""

from __future__ import annotations

import numpy as np
import pytest

import tensorbond as tb


def _state() -> tb.MPS:
    c = tb.Circuit(6)
    for q in range(6):
        c.h(q)
    for q in range(5):
        c.cx(q, q + 1).rz(0.3 * q, q + 1)
    return tb.simulate(c)


def test_canonicalize_moves_the_centre_and_keeps_the_state() -> None:
    s = _state()
    before = s.to_dense()
    assert s.canonicalize(2) is s
    assert s.center == 2
    np.testing.assert_allclose(s.to_dense(), before, atol=1e-12)
    with pytest.raises(IndexError, match="site 6"):
        s.canonicalize(6)


def test_svd_shapes_are_recorded_only_while_on() -> None:
    s = _state()
    s.canonicalize(2)
    s.record_svd_shapes()
    g = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))[0]
    s.apply_gate(g, (2, 3))
    shapes = s.svd_shapes()
    assert shapes.shape[1] == 2 and len(shapes) >= 1
    assert all(m >= 2 and n >= 2 for m, n in shapes)
    s.record_svd_shapes(False)
    s.apply_gate(g, (2, 3))
    assert len(s.svd_shapes()) == len(shapes)
