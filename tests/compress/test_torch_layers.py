"""TTLinear / LowRankLinear against their dense reconstructions, gradients to
the cores, compression of torch modules, healing, save/load, dense export."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorbond as tb  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _tt(rng, out_modes=(4, 3, 2), in_modes=(2, 5, 3), ranks=(3, 2), dtype=np.float64):
    r = [1, *ranks, 1]
    cores = [
        rng.standard_normal((r[k], out_modes[k], in_modes[k], r[k + 1])).astype(dtype)
        for k in range(len(in_modes))
    ]
    return tb.TTMatrix.from_cores(cores)


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_ttlinear_equals_dense(dtype, tol) -> None:
    rng = np.random.default_rng(0)
    tt = _tt(rng, dtype=dtype)
    bias = rng.standard_normal(24).astype(dtype)
    layer = tb.TTLinear(tt, bias)
    w = tt.to_dense()
    for shape in [(30,), (1, 30), (7, 30), (2, 3, 30)]:
        x = rng.standard_normal(shape).astype(dtype)
        y = layer(torch.as_tensor(x)).detach().numpy()
        np.testing.assert_allclose(y, x @ w.T + bias, rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(layer.weight_dense().detach().numpy(), w, rtol=tol, atol=tol)
    np.testing.assert_allclose(layer.to_tt().to_dense(), w, rtol=tol, atol=tol)


def test_lowranklinear_equals_dense() -> None:
    rng = np.random.default_rng(1)
    lr = tb.LowRank.from_factors(rng.standard_normal((12, 3)), rng.standard_normal((3, 9)))
    layer = tb.LowRankLinear(lr, np.ones(12))
    x = rng.standard_normal((5, 9))
    np.testing.assert_allclose(
        layer(torch.as_tensor(x)).detach().numpy(), x @ lr.to_dense().T + 1, rtol=1e-12, atol=1e-12
    )


def test_gradients_reach_the_cores() -> None:
    rng = np.random.default_rng(2)
    layer = tb.TTLinear(_tt(rng, (2, 3), (3, 2), (2,)), rng.standard_normal(6))
    x = torch.as_tensor(rng.standard_normal((4, 6)), dtype=torch.float64)

    def forward(*cores):
        params = {f"cores.{k}": c for k, c in enumerate(cores)}
        return torch.func.functional_call(layer, params, (x,))

    cores = tuple(c.detach().clone().requires_grad_(True) for c in layer.cores)
    assert torch.autograd.gradcheck(forward, cores)
    layer(x).sum().backward()
    assert all(c.grad is not None and torch.any(c.grad != 0) for c in layer.cores)


def _mlp(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(32, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 8),
    ).double()


def test_compress_module_replaces_layers_and_matches_dense() -> None:
    model = _mlp()
    with torch.no_grad():  # biases with float64 digits (Linear's init is float32)
        for m in model:
            if isinstance(m, torch.nn.Linear):
                m.bias.copy_(torch.randn(m.out_features, dtype=torch.float64) / 3)
    x = torch.randn(20, 32, dtype=torch.float64)
    small, report = tb.compress(model, ratio=4, calibration=x, healing=True)
    assert isinstance(model[2], torch.nn.Linear)  # the original is untouched
    assert report.ratio >= 4
    assert report.total_params == sum(p.numel() for p in small.parameters())
    kinds = {type(m).__name__ for m in small.modules()}
    assert "TTLinear" in kinds
    dense = tb.to_dense(small)
    assert all(not isinstance(m, (tb.TTLinear, tb.LowRankLinear)) for m in dense.modules())
    with torch.no_grad():
        np.testing.assert_allclose(dense(x).numpy(), small(x).numpy(), rtol=1e-10, atol=1e-10)
    for layer in report.layers:
        w = model.get_submodule(layer.name).weight.detach().numpy()
        w2 = dense.get_submodule(layer.name).weight.detach().numpy()
        assert np.linalg.norm(w - w2) / np.linalg.norm(w) == pytest.approx(
            layer.rel_error, rel=1e-6, abs=1e-9
        )
        # Biases are copied, never rounded.
        assert torch.equal(
            small.get_submodule(layer.name).bias, model.get_submodule(layer.name).bias
        )


class _TwoBranches(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.big = torch.nn.Linear(32, 32).double()
        self.small = torch.nn.Linear(32, 32).double()

    def forward(self, x):
        return self.big(x) + 1e-3 * self.small(x)


def test_sensitivity_orders_layers() -> None:
    x = torch.randn(20, 32, dtype=torch.float64)
    _, report = tb.compress(_TwoBranches(), ratio=2, calibration=x)
    sens = {l.name: l.sensitivity for l in report.layers}
    assert sens["big"] > 1e4 * sens["small"] > 0


def test_heal_reduces_distillation_loss_and_save_load(tmp_path) -> None:
    teacher = _mlp()
    x = torch.randn(256, 32, dtype=torch.float64)
    student, _ = tb.compress(teacher, ratio=6, healing=True)
    report = tb.heal(
        student, teacher, x[:200], epochs=15, lr=3e-3, eval_data=x[200:], progress=False
    )
    assert report.after < 0.8 * report.before
    assert len(report.history) == 15
    kl = tb.heal(student, teacher, x[:200], epochs=1, loss="kl", progress=False)
    assert np.isfinite(kl.after)
    path = tb.save_compressed(student, tmp_path / "student.safetensors")
    back = tb.load_compressed(path, model=_mlp(seed=3))
    with torch.no_grad():
        np.testing.assert_array_equal(back(x).numpy(), student(x).numpy())
    with pytest.raises(ValueError, match="model="):
        tb.load_compressed(path)


def test_torch_bad_input() -> None:
    model = _mlp()
    with pytest.raises(KeyError, match="9"):
        tb.compress(model, ratio=2, layers=["9"])
    with torch.no_grad():
        model[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        tb.compress(model, ratio=2)
    layer = tb.TTLinear(_tt(np.random.default_rng(0)))
    with pytest.raises(ValueError, match="last dimension 30"):
        layer(torch.zeros(2, 31, dtype=torch.float64))
    with pytest.raises(ValueError, match="epochs"):
        tb.heal(_mlp(), _mlp(), torch.zeros(4, 32), epochs=-1)
    with pytest.raises(ValueError, match="loss"):
        tb.heal(_mlp(), _mlp(), torch.zeros(4, 32, dtype=torch.float64), loss="l1")
    with pytest.raises(ValueError, match=r"no nn\.Linear"):
        tb.compress(torch.nn.ReLU(), ratio=2)


def test_heal_refuses_one_shot_iterators() -> None:
    batches = (torch.zeros(4, 32, dtype=torch.float64) for _ in range(3))
    with pytest.raises(TypeError, match="re-iterable"):
        tb.heal(_mlp(), _mlp(), batches, epochs=2, progress=False)
    report = tb.heal(
        _mlp(1), _mlp(), [torch.randn(4, 32, dtype=torch.float64)] * 3, epochs=2, progress=False
    )
    assert len(report.history) == 2 and report.history[1] > 0


def test_heal_train_mode_controls_dropout() -> None:
    # The student starts as an exact copy of the teacher: in eval mode it has
    # nothing to learn, while dropout in training mode makes every step lossy.
    torch.manual_seed(0)
    teacher = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Dropout(0.5)).double()
    x = torch.randn(64, 8, dtype=torch.float64)
    for train_mode in (True, False):
        student = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.Dropout(0.5)).double()
        student.load_state_dict(teacher.state_dict())
        report = tb.heal(
            student,
            teacher,
            x,
            epochs=1,
            lr=1e-9,
            batch_size=16,
            train_mode=train_mode,
            progress=False,
        )
        assert (report.history[0] > 0.01) == train_mode
        assert not student.training  # handed back in eval mode either way


@pytest.mark.parametrize("rows", [1, 64])
def test_tt_linear_both_contraction_orders_match_dense_with_gradients(rows: int) -> None:
    # A high-rank TT: one row takes the core sweep, many rows build W first.
    rng = np.random.default_rng(7)
    tt = _tt(rng, (4, 3), (3, 4), (8,))
    layer = tb.TTLinear(tt, rng.standard_normal(12))
    sweep = rows * layer.sweep_macs()
    build = layer.build_macs() + rows * 144
    x = torch.as_tensor(rng.standard_normal((rows, 12)))
    want = x.numpy() @ tt.to_dense().T + layer.bias.detach().numpy()
    np.testing.assert_allclose(layer(x).detach().numpy(), want, rtol=1e-12, atol=1e-12)
    assert (sweep > build) == (rows == 64)  # the case really takes the path it names

    def forward(*cores):
        params = {f"cores.{k}": c for k, c in enumerate(cores)}
        return torch.func.functional_call(layer, params, (x,))

    cores = tuple(c.detach().clone().requires_grad_(True) for c in layer.cores)
    assert torch.autograd.gradcheck(forward, cores)


class _KeywordModel(torch.nn.Module):
    """Takes keyword inputs and returns a dict, like a transformers model."""

    def __init__(self) -> None:
        super().__init__()
        self.mlp = _mlp()

    def forward(self, features, scale):
        return {"last_hidden_state": self.mlp(features) * scale[:, None]}


def test_keyword_calibration_and_cosine_healing() -> None:
    model = _KeywordModel()
    x = torch.randn(64, 32, dtype=torch.float64)
    batch = {"features": x, "scale": torch.ones(64, dtype=torch.float64)}
    student, report = tb.compress(
        model, ratio=4, calibration=batch, healing=True, layers=["mlp.*"], ratio_of="layers"
    )
    assert report.layers_ratio >= 4
    assert all(l.sensitivity > 0 for l in report.layers)
    positional, _ = tb.compress(
        model,
        ratio=4,
        calibration=(x, batch["scale"]),
        layers=["mlp.*"],
        ratio_of="layers",
        healing=True,
    )
    with torch.no_grad():  # the same choice from positional calibration inputs
        np.testing.assert_allclose(
            positional(**batch)["last_hidden_state"].numpy(),
            student(**batch)["last_hidden_state"].numpy(),
        )
    data = [
        {"features": x[i : i + 16], "scale": batch["scale"][i : i + 16]} for i in range(0, 48, 16)
    ]
    held = [{"features": x[48:], "scale": batch["scale"][48:]}]
    healed = tb.heal(
        student, model, data, epochs=20, lr=3e-3, loss="cosine", eval_data=held, progress=False
    )
    assert 0 <= healed.after < 0.7 * healed.before
    with torch.no_grad():
        cos = torch.nn.functional.cosine_similarity(
            student(**held[0])["last_hidden_state"], model(**held[0])["last_hidden_state"]
        )
    assert float(1 - cos.mean()) == pytest.approx(healed.after, rel=1e-9)
    with pytest.raises(TypeError, match="calibration"):
        tb.compress(model, ratio=4, calibration={"features": "text"})


def test_compress_module_by_output_error_fits_the_layer_outputs() -> None:
    model = _mlp()
    gen = torch.Generator().manual_seed(3)
    scales = torch.logspace(1, -1, 32, dtype=torch.float64)
    x = torch.randn(400, 32, generator=gen, dtype=torch.float64) * scales
    small, report = tb.compress(
        model, ratio=3, calibration=x, error_metric="output", formats=("dense", "lowrank")
    )
    assert report.error_metric == "output"
    assert any(l.format == "lowrank" for l in report.layers)
    inputs: dict[str, torch.Tensor] = {}
    hooks = [
        model.get_submodule(l.name).register_forward_hook(
            lambda _m, inp, _o, n=l.name: inputs.__setitem__(n, inp[0])
        )
        for l in report.layers
    ]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    with torch.no_grad():
        for l in report.layers:
            a = inputs[l.name]
            y = model.get_submodule(l.name)(a)
            got = small.get_submodule(l.name)(a)
            measured = float(
                torch.linalg.vector_norm(got - y)
                / torch.linalg.vector_norm(y - model.get_submodule(l.name).bias)
            )
            assert l.rel_error == pytest.approx(measured, rel=1e-3, abs=1e-6)
    # Fitting the outputs beats fitting the weights on the model's output.
    by_weight, _ = tb.compress(model, ratio=3, calibration=x, formats=("dense", "lowrank"))
    with torch.no_grad():
        y = model(x)
        err_out = torch.linalg.vector_norm(small(x) - y) / torch.linalg.vector_norm(y)
        err_w = torch.linalg.vector_norm(by_weight(x) - y) / torch.linalg.vector_norm(y)
    assert err_out < err_w
    with pytest.raises(ValueError, match="calibration"):
        tb.compress(model, ratio=3, error_metric="output")


class _Skips(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.used = torch.nn.Linear(8, 8).double()
        self.unused = torch.nn.Linear(8, 8).double()

    def forward(self, x):
        return self.used(x)


def test_output_error_needs_every_layer_to_run() -> None:
    with pytest.raises(ValueError, match="'unused' did not run"):
        tb.compress(
            _Skips(),
            ratio=2,
            calibration=torch.ones(4, 8, dtype=torch.float64),
            error_metric="output",
        )


def test_calibration_may_be_a_list_of_batches() -> None:
    from tensorbond.compress.torch import input_grams

    model = _mlp()
    x = torch.randn(60, 32, dtype=torch.float64)
    names = ["0", "2", "4"]
    whole = input_grams(model, names, [x])
    parts = input_grams(model, names, [x[:25], x[25:]])
    for n in names:
        assert parts[n][1] == whole[n][1] == 60
        np.testing.assert_allclose(parts[n][0], whole[n][0], rtol=1e-12)
    _, report = tb.compress(model, ratio=3, calibration=[x[:25], x[25:]], error_metric="output")
    assert report.error_metric == "output"
    with pytest.raises(ValueError, match="empty list"):
        tb.compress(model, ratio=3, calibration=[], error_metric="output")


def test_nan_calibration_is_refused_for_every_metric() -> None:
    x = torch.full((4, 32), float("nan"), dtype=torch.float64)
    for metric in ("weight", "output"):
        with pytest.raises(ValueError, match="NaN or infinite"):
            tb.compress(_mlp(), ratio=3, calibration=x, error_metric=metric)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_module_keeps_its_dtype(dtype, tmp_path) -> None:
    import copy

    model = _mlp().to(dtype)
    x = torch.randn(16, 32).to(dtype)
    small, rep = tb.compress(model, ratio=3, calibration=x)
    assert any(l.format != "dense" for l in rep.layers)
    assert all(p.dtype == dtype for p in small.parameters())
    with torch.no_grad():
        y = small(x).float()
        # The same compressed weights in float32: only activation rounding differs.
        y32 = copy.deepcopy(small).float()(x.float())
    assert float((y - y32).norm() / y32.norm()) < 10 * torch.finfo(dtype).eps
    back = tb.load_compressed(tb.save_compressed(small, tmp_path / "half"), model=model)
    assert all(p.dtype == dtype for p in back.parameters())
    with torch.no_grad():
        torch.testing.assert_close(back(x), small(x), rtol=0, atol=0)


class _Shared(torch.nn.Module):
    """One Linear used twice, as weight sharing across layers does."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(3)
        self.inp = torch.nn.Linear(16, 64).double()
        self.block = torch.nn.Linear(64, 64).double()
        self.again = self.block
        self.out = torch.nn.Linear(64, 4).double()

    def forward(self, x):
        return self.out(torch.tanh(self.again(torch.tanh(self.block(torch.tanh(self.inp(x)))))))


def test_a_module_used_twice_is_compressed_at_both_uses(tmp_path) -> None:
    model = _Shared()
    small, report = tb.compress(model, ratio=2, layers=["block"], formats=["lowrank"])
    assert small.block is small.again and isinstance(small.block, tb.LowRankLinear)
    dense_params = sum(p.numel() for p in model.parameters())
    assert report.dense_total_params == dense_params
    assert report.total_params == sum(p.numel() for p in small.parameters()) < dense_params
    assert report.ratio == pytest.approx(dense_params / report.total_params)
    x = torch.randn(5, 16, dtype=torch.float64)
    # Forward with the compressed layer's dense weight put back at both uses.
    ref = _Shared()
    with torch.no_grad():
        ref.block.weight.copy_(small.block.weight_dense())
    torch.testing.assert_close(small(x), ref(x), rtol=1e-10, atol=1e-12)
    back = tb.load_compressed(tb.save_compressed(small, tmp_path / "shared"), model=model)
    assert back.block is back.again and isinstance(back.block, tb.LowRankLinear)
    torch.testing.assert_close(back(x), small(x), rtol=0, atol=0)
    dense = tb.to_dense(small)
    assert dense.block is dense.again and isinstance(dense.block, torch.nn.Linear)
    torch.testing.assert_close(dense(x), small(x), rtol=1e-10, atol=1e-12)


class _TiedHead(torch.nn.Module):
    """A language-model head whose weight is the embedding matrix."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = torch.nn.Embedding(50, 16)
        self.mix = torch.nn.Linear(16, 16)
        self.head = torch.nn.Linear(16, 50, bias=False)
        self.head.weight = self.emb.weight

    def forward(self, ids):
        return self.head(torch.tanh(self.mix(self.emb(ids))))


def test_tied_weights_are_left_out_or_refused() -> None:
    model = _TiedHead()
    small, report = tb.compress(model, ratio=1.2, formats=["lowrank"])
    assert [l.name for l in report.layers] == ["mix"]
    assert small.head.weight is small.emb.weight
    with pytest.raises(ValueError, match="'head' shares its weight with 'emb'"):
        tb.compress(model, ratio=1.2, layers=["head"])


def test_heal_refuses_mismatched_outputs_and_non_finite_data() -> None:
    torch.manual_seed(0)
    x = torch.randn(8, 4)
    with pytest.raises(ValueError, match=r"shape \(8, 3\) but the teacher's have \(8, 5\)"):
        tb.heal(torch.nn.Linear(4, 3), torch.nn.Linear(4, 5), x, epochs=1, progress=False)
    bad = x.clone()
    bad[5, 1] = float("inf")
    with pytest.raises(ValueError, match="teacher's outputs contain NaN or infinite"):
        tb.heal(torch.nn.Linear(4, 3), torch.nn.Linear(4, 3), bad, epochs=1, progress=False)
    # Clean held-out data does not hide non-finite training data.
    with pytest.raises(ValueError, match="teacher's outputs contain NaN or infinite"):
        tb.heal(
            torch.nn.Linear(4, 3), torch.nn.Linear(4, 3), bad, eval_data=x, epochs=1, progress=False
        )
