"""Whole-model compression: candidate curves, budget allocation, array models,
reports, save/load. Torch modules are in test_torch_layers.py."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

import tensorbond as tb
from tensorbond.compress.budget import allocate
from tensorbond.compress.formats import candidates, input_whitener, pareto


def _decaying(rng: np.random.Generator, out: int, inp: int, scale: float = 8.0) -> np.ndarray:
    u, _ = np.linalg.qr(rng.standard_normal((out, out)))
    v, _ = np.linalg.qr(rng.standard_normal((inp, inp)))
    k = min(out, inp)
    return (u[:, :k] * np.exp(-np.arange(k) / scale)) @ v[:, :k].T


@pytest.fixture
def weights() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(5)
    return {
        "fc1": _decaying(rng, 64, 32),
        "fc1.bias": rng.standard_normal(64),
        "fc2": _decaying(rng, 32, 64, 3.0),
        "fc3": rng.standard_normal((16, 32)),
    }


def test_candidate_errors_match_reconstructions(weights) -> None:
    w = weights["fc1"]
    cands = candidates(w)
    assert {c.format for c in cands} == {"dense", "lowrank", "tt"}
    s = np.linalg.svd(w, compute_uv=False)
    for c in cands:
        assert c.params <= w.size
        built = c.build(w)
        dense = built if isinstance(built, np.ndarray) else built.to_dense()
        err = np.linalg.norm(w - dense) / np.linalg.norm(w)
        assert c.rel_error == pytest.approx(err, rel=1e-6, abs=1e-10)
        if c.format == "lowrank":  # Eckart-Young: the tail of the spectrum
            tail = np.sqrt(np.sum(s[c.max_bond :] ** 2) / np.sum(s**2))
            assert c.rel_error == pytest.approx(tail, rel=1e-9, abs=1e-12)


def test_pareto_front_is_monotone(weights) -> None:
    front = pareto(candidates(weights["fc2"]))
    params = [c.params for c in front]
    errors = [c.rel_error for c in front]
    assert params == sorted(params)
    assert all(a > b for a, b in itertools.pairwise(errors))


def test_allocation_meets_budgets_and_matches_brute_force(weights) -> None:
    fronts = {n: pareto(candidates(weights[n])) for n in ("fc1", "fc2", "fc3")}
    sens = {"fc1": 1.0, "fc2": 3.0, "fc3": 0.5}
    budget = sum(weights[n].size for n in fronts) // 4
    choice = allocate(fronts, sens, max_params=budget)
    used = sum(c.params for c in choice.values())
    assert used <= budget
    best = min(
        (sum(sens[n] * c.rel_error**2 for n, c in zip(fronts, combo, strict=False)), combo)
        for combo in itertools.product(*fronts.values())
        if sum(c.params for c in combo) <= budget
    )[0]
    got = sum(sens[n] * choice[n].rel_error ** 2 for n in fronts)
    assert got <= best * 1.25 + 1e-12  # Lagrangian + greedy fill: near the optimum
    err_choice = allocate(fronts, sens, max_error=0.3)
    err = np.sqrt(sum(sens[n] * err_choice[n].rel_error ** 2 for n in fronts) / sum(sens.values()))
    assert err <= 0.3


def test_compress_arrays_ratio_and_report(weights) -> None:
    model, report = tb.compress(weights, ratio=4)
    assert report.ratio >= 4
    assert report.total_params == sum(
        v.num_params if isinstance(v, (tb.TTMatrix, tb.LowRank)) else np.asarray(v).size
        for v in model.values()
    )
    assert {l.name for l in report.layers} == {"fc1", "fc2", "fc3"}
    np.testing.assert_array_equal(model["fc1.bias"], weights["fc1.bias"])
    for layer in report.layers:
        v = model[layer.name]
        dense = v.to_dense() if hasattr(v, "to_dense") else v
        err = np.linalg.norm(weights[layer.name] - dense) / np.linalg.norm(weights[layer.name])
        assert layer.rel_error == pytest.approx(err, rel=1e-6, abs=1e-10)
    assert "Total:" in report.to_markdown()
    json.dumps(report.to_dict())


def test_compress_error_budget_and_latency(weights) -> None:
    _, report = tb.compress(weights, error_budget=0.05)
    assert report.weighted_error <= 0.05
    _, lat = tb.compress(weights, ratio=2, objective="latency")
    assert all(l.macs <= l.dense_macs for l in lat.layers)


def test_calibration_weighs_layers(weights) -> None:
    """Sensitivity is the relative output change per relative weight error on the
    layer's own inputs: inputs along fc1's top right singular vector give a large
    output that random perturbations barely move; random inputs do not."""
    rng = np.random.default_rng(0)
    top = np.linalg.svd(weights["fc1"])[2][0]
    aligned = {"fc1": np.outer(rng.standard_normal(50), top), "fc2": rng.standard_normal((50, 64))}
    spread = {"fc1": rng.standard_normal((50, 32)), "fc2": aligned["fc2"]}
    _, ra = tb.compress(weights, ratio=3, calibration=aligned, layers=["fc1", "fc2"])
    _, rs = tb.compress(weights, ratio=3, calibration=spread, layers=["fc1", "fc2"])
    sa = {l.name: l.sensitivity for l in ra.layers}
    ss = {l.name: l.sensitivity for l in rs.layers}
    assert 0 < sa["fc1"] < 0.5 * ss["fc1"]
    assert sa["fc2"] == pytest.approx(ss["fc2"], rel=0.5)


def test_complex_weights_keep_their_spectrum() -> None:
    rng = np.random.default_rng(3)
    w = rng.standard_normal((16, 12)) + 1j * rng.standard_normal((16, 12))
    for c in candidates(w, formats=("lowrank",)):
        err = np.linalg.norm(w - c.build(w).to_dense()) / np.linalg.norm(w)
        assert c.rel_error == pytest.approx(err, rel=1e-6)


def test_save_load_and_dense_export(weights, tmp_path) -> None:
    model, report = tb.compress(weights, ratio=3)
    path = tb.save_compressed(model, tmp_path / "m", report)
    assert path.suffix == ".safetensors"
    back = tb.load_compressed(path)
    assert set(back) == set(model)
    for k, v in model.items():
        assert type(back[k]) is type(v)
        np.testing.assert_array_equal(tb.to_dense({k: back[k]})[k], tb.to_dense({k: v})[k])


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({}, ValueError, "exactly one"),
        ({"ratio": 2, "error_budget": 0.1}, ValueError, "exactly one"),
        ({"ratio": 0.5}, ValueError, "ratio"),
        ({"error_budget": 1.5}, ValueError, "error_budget"),
        ({"ratio": 2, "layers": ["nope*"]}, KeyError, "nope"),
        ({"ratio": 2, "layers": ["fc1.bias"]}, ValueError, "2-D"),
        ({"ratio": 2, "formats": ["svd"]}, ValueError, "unknown format"),
        ({"ratio": 2, "objective": "speed"}, ValueError, "objective"),
        ({"ratio": 1e6}, ValueError, "below the smallest"),
        ({"ratio": 2, "calibration": {"fc9": np.ones((2, 2))}}, KeyError, "fc9"),
        ({"ratio": 2, "calibration": {"fc1": np.ones((2, 5))}}, ValueError, "calibration"),
        ({"ratio": 2, "calibration": "fc1"}, TypeError, "map layer names"),
    ],
)
def test_bad_input(weights, kwargs, err, match) -> None:
    with pytest.raises(err, match=match):
        tb.compress(weights, **kwargs)


def test_nan_weights_and_bad_files(weights, tmp_path) -> None:
    bad = dict(weights, fc2=np.full((32, 64), np.nan))
    with pytest.raises(ValueError, match="NaN"):
        tb.compress(bad, ratio=2)
    with pytest.raises(ValueError, match=r"no 2-D weight matrix .*fc1.bias \(64,\)"):
        tb.compress({"fc1.bias": np.ones(64), "row": np.ones((1, 8))}, ratio=2)
    with pytest.raises(FileNotFoundError):
        tb.compress(tmp_path / "missing.npz", ratio=2)
    (tmp_path / "w.txt").write_text("x")
    with pytest.raises(ValueError, match="unknown model file"):
        tb.compress(tmp_path / "w.txt", ratio=2)
    plain = tmp_path / "plain.safetensors"
    import safetensors.numpy as stn

    stn.save_file({"a": np.ones(3)}, str(plain))
    with pytest.raises(ValueError, match="not a tensorbond"):
        tb.load_compressed(plain)


def test_npz_and_safetensors_files(weights, tmp_path) -> None:
    np.savez(tmp_path / "w.npz", **weights)
    import safetensors.numpy as stn

    stn.save_file(
        {k: np.ascontiguousarray(v) for k, v in weights.items()}, str(tmp_path / "w.safetensors")
    )
    _a, ra = tb.compress(tmp_path / "w.npz", ratio=3)
    _b, rb = tb.compress(tmp_path / "w.safetensors", ratio=3)
    assert ra.to_dict() == rb.to_dict()


def test_ratio_of_layers_counts_only_the_chosen_layers(weights) -> None:
    _, whole = tb.compress(weights, ratio=2, layers=["fc1", "fc2"])
    _, chosen = tb.compress(weights, ratio=2, layers=["fc1", "fc2"], ratio_of="layers")
    dense = weights["fc1"].size + weights["fc2"].size
    assert chosen.layers_ratio >= 2
    assert sum(l.params for l in chosen.layers) <= dense / 2
    # Over the whole model the same ratio asks more of the two layers (the rest
    # stays dense), so their own compression is higher.
    assert whole.ratio >= 2 and whole.layers_ratio > chosen.layers_ratio
    assert chosen.to_dict()["layers_ratio"] == pytest.approx(chosen.layers_ratio)
    with pytest.raises(ValueError, match="ratio_of"):
        tb.compress(weights, ratio=2, ratio_of="all")


def test_layer_patterns_stay_within_one_name_part() -> None:
    rng = np.random.default_rng(0)
    names = [
        "enc.0.output.dense",
        "enc.0.attention.output.dense",
        "enc.1.output.dense",
        "enc.10.output.dense",
    ]
    w = {n: rng.standard_normal((16, 8)) for n in names}
    _, rep = tb.compress(w, ratio=2, layers=["enc.*.output.dense"], ratio_of="layers")
    assert [l.name for l in rep.layers] == [
        "enc.0.output.dense",
        "enc.1.output.dense",
        "enc.10.output.dense",
    ]
    _, rep = tb.compress(w, ratio=2, layers=["enc.?.output.dense"], ratio_of="layers")
    assert len(rep.layers) == 2
    _, rep = tb.compress(w, ratio=2, layers=["**.output.dense"], ratio_of="layers")
    assert len(rep.layers) == 4
    _, rep = tb.compress(w, ratio=2, layers=["enc.[!0]*.output.dense"], ratio_of="layers")
    assert [l.name for l in rep.layers] == ["enc.1.output.dense", "enc.10.output.dense"]


def _anisotropic_inputs(rng: np.random.Generator, rows: int, inp: int) -> np.ndarray:
    """Inputs whose directions differ in scale by 100x, as real activations do."""
    basis, _ = np.linalg.qr(rng.standard_normal((inp, inp)))
    return (rng.standard_normal((rows, inp)) * np.geomspace(10.0, 0.1, inp)) @ basis.T


def test_input_whitener_factors_the_second_moment() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 6))
    lw = input_whitener(x.T @ x, 50, ridge=0.0)
    np.testing.assert_allclose(lw @ lw.T, x.T @ x / 50, rtol=1e-12, atol=1e-12)
    assert np.allclose(lw, np.tril(lw))
    # Rank-deficient inputs still give an invertible factor through the ridge.
    thin = rng.standard_normal((3, 6))
    assert np.all(np.diag(input_whitener(thin.T @ thin, 3)) > 0)
    with pytest.raises(ValueError, match="square"):
        input_whitener(np.ones((2, 3)), 4)
    with pytest.raises(ValueError, match="NaN"):
        input_whitener(np.full((2, 2), np.nan), 4)


def test_output_error_candidates_are_the_optimal_fits_to_the_outputs() -> None:
    rng = np.random.default_rng(1)
    w = rng.standard_normal((24, 16))
    x = _anisotropic_inputs(rng, 400, 16)
    lw = input_whitener(x.T @ x, len(x), ridge=0.0)
    y = x @ w.T

    def out_err(approx: np.ndarray) -> float:
        return float(np.linalg.norm(x @ approx.T - y) / np.linalg.norm(y))

    aware = candidates(w, whitener=lw)
    plain = {(c.format, c.max_bond, c.in_modes): c for c in candidates(w)}
    lowrank = [c for c in aware if c.format == "lowrank"]
    assert lowrank and all(c.data_aware for c in aware)
    for c in aware:
        built = c.build(w, lw)
        dense = built if isinstance(built, np.ndarray) else built.to_dense()
        assert c.rel_error == pytest.approx(out_err(dense), rel=1e-9, abs=1e-12)
    for c in lowrank:
        # Never worse on the outputs than the weight-space SVD of the same rank,
        # and far better on inputs this anisotropic.
        weight_svd = plain[("lowrank", c.max_bond, None)].build(w).to_dense()
        assert c.rel_error <= out_err(weight_svd) + 1e-12
        # Optimal: no nearby rank-r matrix does better.
        built = c.build(w, lw)
        for _ in range(5):
            u = built.u + 1e-3 * rng.standard_normal(built.u.shape)
            assert out_err(u @ built.v) >= c.rel_error - 1e-12
    mid = next(c for c in lowrank if c.max_bond == 4)
    assert mid.rel_error < 0.5 * out_err(plain[("lowrank", 4, None)].build(w).to_dense())
    with pytest.raises(ValueError, match="whitener"):
        mid.build(w)
    with pytest.raises(ValueError, match="shape"):
        candidates(w, whitener=np.eye(5))


def test_compress_arrays_with_output_error(weights) -> None:
    rng = np.random.default_rng(2)
    calib = {"fc1": _anisotropic_inputs(rng, 300, 32), "fc2": _anisotropic_inputs(rng, 300, 64)}
    small, report = tb.compress(
        weights,
        ratio=3,
        layers=["fc1", "fc2"],
        ratio_of="layers",
        calibration=calib,
        error_metric="output",
    )
    assert report.error_metric == "output" and report.layers_ratio >= 3
    assert "rel. output error" in report.to_markdown()
    for layer in report.layers:
        w, x = weights[layer.name], calib[layer.name]
        got = small[layer.name]
        dense = got if isinstance(got, np.ndarray) else got.to_dense()
        measured = np.linalg.norm(x @ (w - dense).T) / np.linalg.norm(x @ w.T)
        assert layer.rel_error == pytest.approx(measured, rel=1e-3, abs=1e-6)
    # Allocating by output error beats allocating by weight error on the outputs.
    by_weight, _ = tb.compress(
        weights, ratio=3, layers=["fc1", "fc2"], ratio_of="layers", calibration=calib
    )

    def rms_output_error(model: dict) -> float:
        errs = []
        for n, x in calib.items():
            got = model[n] if isinstance(model[n], np.ndarray) else model[n].to_dense()
            y = x @ weights[n].T
            errs.append(np.linalg.norm(x @ got.T - y) ** 2 / np.linalg.norm(y) ** 2)
        return float(np.sqrt(np.mean(errs)))

    assert rms_output_error(small) < rms_output_error(by_weight)
    assert report.weighted_error == pytest.approx(rms_output_error(small), rel=1e-3)
    with pytest.raises(ValueError, match="calibration"):
        tb.compress(weights, ratio=3, error_metric="output")
    with pytest.raises(ValueError, match="missing: fc2"):
        tb.compress(
            weights,
            ratio=3,
            layers=["fc1", "fc2"],
            calibration={"fc1": calib["fc1"]},
            error_metric="output",
        )
    with pytest.raises(ValueError, match="error_metric"):
        tb.compress(weights, ratio=3, error_metric="outputs")
    bad = {"fc1": np.full((4, 32), np.nan), "fc2": calib["fc2"]}
    with pytest.raises(ValueError, match="NaN"):
        tb.compress(weights, ratio=3, layers=["fc1", "fc2"], calibration=bad, error_metric="output")


def test_output_error_with_complex_inputs_keeps_real_weights_real() -> None:
    rng = np.random.default_rng(3)
    w = rng.standard_normal((20, 12))
    x = _anisotropic_inputs(rng, 200, 12) + 1j * _anisotropic_inputs(rng, 200, 12)
    small, report = tb.compress(
        {"a": w}, ratio=3, calibration={"a": x}, error_metric="output", formats=("lowrank",)
    )
    dense = small["a"].to_dense()
    assert not np.iscomplexobj(dense)
    measured = np.linalg.norm(x @ (w - dense).T) / np.linalg.norm(x @ w.T)
    assert report.layers[0].rel_error == pytest.approx(measured, rel=1e-3)


def test_input_whitener_bad_input() -> None:
    with pytest.raises(ValueError, match="ridge"):
        input_whitener(np.eye(3), 5, ridge=-1.0)
    with pytest.raises(ValueError, match="positive definite"):
        input_whitener(-np.eye(3), 5, ridge=0.0)
    with pytest.raises(ValueError, match="no rows"):
        input_whitener(np.eye(3), 0)


def test_bfloat16_and_float16_safetensors(tmp_path) -> None:
    torch = pytest.importorskip("torch")
    import safetensors.torch as st

    from tensorbond.compress.io import read_safetensors

    torch.manual_seed(0)
    src = {
        "fc1.weight": torch.randn(64, 32).bfloat16(),
        "fc1.bias": torch.randn(64).bfloat16(),
        "fc2.weight": torch.randn(16, 64).half(),
        "step": torch.tensor([7]),
    }
    path = tmp_path / "half.safetensors"
    st.save_file(src, str(path))
    got = read_safetensors(path)
    assert set(got) == set(src)
    for k, v in src.items():
        want = v.float().numpy() if v.dtype == torch.bfloat16 else v.numpy()
        assert got[k].dtype == want.dtype
        np.testing.assert_array_equal(got[k], want)  # bfloat16 widens exactly
    small, report = tb.compress(path, ratio=2)
    assert [l.name for l in report.layers] == ["fc1.weight", "fc2.weight"]
    assert report.ratio >= 2
    assert small["fc1.bias"].dtype == np.float32
    # A corrupt header is a clear error.
    bad = tmp_path / "bad.safetensors"
    for raw in ((10**9).to_bytes(8, "little") + b"{}", (2).to_bytes(8, "little") + b"[]"):
        bad.write_bytes(raw)
        with pytest.raises(ValueError, match="not a safetensors file"):
            tb.compress(bad, ratio=2)
    # A bfloat16 entry whose offsets point outside the file.
    header = b'{"w":{"dtype":"BF16","shape":[4,4],"data_offsets":[0,32000]}}'
    bad.write_bytes(len(header).to_bytes(8, "little") + header + bytes(32))
    with pytest.raises(ValueError, match="do not hold"):
        tb.compress(bad, ratio=2)
