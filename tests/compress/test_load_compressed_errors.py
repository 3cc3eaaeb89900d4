"""Malformed compressed-model files get one clear ValueError naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import tensorbond as tb

st = pytest.importorskip("safetensors.numpy")


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray], dict[str, str]]:
    rng = np.random.default_rng(0)
    small, report = tb.compress({"fc": rng.standard_normal((64, 64))}, ratio=2)
    path = tmp_path / "ok.safetensors"
    tb.save_compressed(small, path, report)
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as f:
        meta = dict(f.metadata())
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (not a dict)
    return path, tensors, meta


def _rewrite(tmp_path: Path, tensors: dict, meta: dict) -> Path:
    path = tmp_path / "bad.safetensors"
    st.save_file(tensors, str(path), metadata=meta)
    return path


@pytest.mark.parametrize(
    "mutate",
    [
        lambda m: m.pop("layers"),
        lambda m: m.update(layers="{not json"),
        lambda m: m.update(layers="[1, 2]"),
        lambda m: m.update(layers=json.dumps({"fc": {}})),
        lambda m: m.update(layers=json.dumps({"fc": 3})),
        lambda m: m.pop("kind"),
    ],
    ids=["no-layers", "bad-json", "list", "no-format", "int-info", "no-kind"],
)
def test_bad_metadata(saved, tmp_path: Path, mutate) -> None:
    path, tensors, meta = saved
    assert isinstance(tb.load_compressed(path), dict)
    meta = dict(meta)
    mutate(meta)
    bad = _rewrite(tmp_path, tensors, meta)
    with pytest.raises(ValueError, match=r"bad\.safetensors is not a readable"):
        tb.load_compressed(bad)


def test_missing_tensor(saved, tmp_path: Path) -> None:
    _path, tensors, meta = saved
    bad = _rewrite(tmp_path, dict(list(tensors.items())[1:]), meta)
    with pytest.raises(ValueError, match=r"bad\.safetensors is not a readable"):
        tb.load_compressed(bad)


def test_truncated_file(saved, tmp_path: Path) -> None:
    path, _, _ = saved
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ValueError, match=r"bad\.safetensors"):
        tb.load_compressed(bad)
