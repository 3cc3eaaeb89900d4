"""Issue 13: compress reports what it skipped and flags bad layers; clear dtype errors."""

from __future__ import annotations

import numpy as np
import pytest

import tensorbond as tb
from tensorbond.compress.formats import candidates


def test_report_lists_skipped_torch_modules() -> None:
    torch = pytest.importorskip("torch")
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 64), nn.Linear(64, 10)
    )
    _, rep = tb.compress(model, ratio=1.5)
    skipped = {n: (t, r) for n, t, r in rep.skipped}
    assert skipped["0"] == ("Conv2d", "Conv2d: not a Linear")
    assert "Not compressed" in rep.to_markdown() and "Conv2d: not a Linear" in str(rep)
    _, rep = tb.compress(model, ratio=1.2, layers=["2"])
    assert {n: r for n, _, r in rep.skipped}["3"] == "excluded by layers="


def test_report_lists_skipped_arrays_and_flags_high_error() -> None:
    rng = np.random.default_rng(0)
    w = {"fc": rng.standard_normal((64, 64)), "bias": rng.standard_normal(64)}
    _, rep = tb.compress(w, ratio=8)
    assert [n for n, _, _ in rep.skipped] == ["bias"]
    (layer,) = rep.layers
    assert layer.rel_error > 0.5
    assert any("high error" in x for x in layer.warnings)
    assert "high error" in rep.to_markdown()


@pytest.mark.parametrize("dtype", [object, np.longdouble])
def test_unsupported_dtype_names_the_layer(dtype) -> None:
    if np.dtype(dtype) == np.float64:
        pytest.skip("longdouble is float64 here")
    w = {"fc": np.ones((8, 8), dtype=dtype)}
    with pytest.raises(TypeError, match=r"layer 'fc' has dtype"):
        tb.compress(w, ratio=2)


def test_tt_candidates_do_not_round_per_rank(monkeypatch) -> None:
    calls = []
    orig = tb.TTMatrix.round
    monkeypatch.setattr(tb.TTMatrix, "round", lambda self, **k: calls.append(1) or orig(self, **k))
    rng = np.random.default_rng(0)
    tb.compress({"a": rng.standard_normal((64, 128))}, ratio=4)
    assert calls == []


def test_tt_candidates_with_three_and_four_cores_match_reconstructions() -> None:
    rng = np.random.default_rng(3)
    u = rng.standard_normal((64, 64)) * 0.8 ** np.arange(64)
    w = u @ rng.standard_normal((64, 128))
    cands = candidates(w, formats=("tt",))
    assert {len(c.in_modes) for c in cands} >= {2, 3, 4}
    for c in cands:
        err = np.linalg.norm(w - c.build(w).to_dense()) / np.linalg.norm(w)
        assert c.rel_error == pytest.approx(err, rel=1e-6, abs=1e-10)


def test_tt_candidates_reuse_inner_svds(monkeypatch) -> None:
    # An inner cut's matrix depends only on the ranks before it: once the rank
    # passes a cut's full rank the same SVD recurs and must not be recomputed.
    shapes = []
    orig = np.linalg.svd
    monkeypatch.setattr(
        np.linalg, "svd", lambda a, *p, **k: shapes.append(a.shape) or orig(a, *p, **k)
    )
    rng = np.random.default_rng(0)
    candidates(rng.standard_normal((256, 512)), formats=("tt",))
    assert shapes.count((256, 512)) <= 2  # the 2-core first cut and one 4-core inner cut
