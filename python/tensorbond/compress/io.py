"""Saving, loading and densifying compressed models (safetensors + metadata)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np

from .._optional import is_torch_module, require_torch
from .tt import LowRank, TTMatrix

FORMAT_VERSION = 1

__all__ = ["load_compressed", "read_safetensors", "save_compressed", "to_dense"]


def _safetensors() -> Any:
    try:
        import safetensors.numpy as stn
    except ImportError as exc:  # pragma: no cover
        raise ImportError("saving compressed models needs: pip install safetensors") from exc
    return stn


def read_safetensors(path: str | Path) -> dict[str, np.ndarray]:
    """Every tensor of a ``.safetensors`` file as a numpy array.

    bfloat16 tensors, which numpy cannot hold and most pretrained checkpoints
    use, are widened to float32 exactly (a bfloat16 is the top half of a
    float32); every other dtype is read as stored.
    """
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(8)
        n = int.from_bytes(head, "little") if len(head) == 8 else -1
        if not 2 <= n <= size - 8:
            raise ValueError(
                f"{path} is not a safetensors file (header length {n}, file size {size})"
            )
        try:
            header = json.loads(f.read(n))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path} is not a safetensors file: {exc}") from exc
    if not isinstance(header, dict):
        raise ValueError(f"{path} is not a safetensors file (its header is not a JSON object)")
    header.pop("__metadata__", None)
    bf16 = {k for k, v in header.items() if isinstance(v, dict) and v.get("dtype") == "BF16"}
    if not bf16:
        return dict(_safetensors().load_file(str(path)))
    from safetensors import safe_open

    spans = {}  # checked before safe_open, whose own errors are not ValueErrors
    for k in bf16:
        try:
            shape = tuple(int(d) for d in header[k]["shape"])
            start, stop = (int(o) for o in header[k]["data_offsets"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"{path}: tensor {k!r} has a malformed header entry: {header[k]}"
            ) from exc
        count = int(np.prod(shape, dtype=np.int64))
        if start < 0 or stop - start != 2 * count or 8 + n + stop > size:
            raise ValueError(
                f"{path}: tensor {k!r} has offsets {start}..{stop}, which do "
                f"not hold {shape} bfloat16 values inside the file"
            )
        spans[k] = (shape, start, count)
    out: dict[str, np.ndarray] = {}
    with safe_open(str(path), framework="numpy") as sf:
        for k in header:
            if k not in bf16:
                out[k] = sf.get_tensor(k)
                continue
            shape, start, count = spans[k]
            raw = np.fromfile(path, dtype="<u2", count=count, offset=8 + n + start)
            out[k] = (raw.astype(np.uint32) << 16).view(np.float32).reshape(shape)
    return out


def save_compressed(model: Any, path: str | Path, report: Any = None) -> Path:
    """Write a compressed model to a ``.safetensors`` file.

    Parameters
    ----------
    model : mapping or torch.nn.Module
        What :func:`tensorbond.compress` returned: a mapping of names to arrays,
        :class:`TTMatrix` and :class:`LowRank`, or a torch module with
        ``TTLinear`` / ``LowRankLinear`` layers.
    path : str or Path
        Output file (``.safetensors`` is appended when missing).
    report : CompressionReport, optional
        Stored in the metadata as JSON.

    Returns
    -------
    Path
        The file written.
    """
    stn = _safetensors()
    path = Path(path)
    if path.suffix != ".safetensors":
        path = path.with_name(path.name + ".safetensors")
    layers: dict[str, Any] = {}
    tensors: dict[str, np.ndarray] = {}
    if is_torch_module(model):
        from .layers import LowRankLinear, TTLinear  # imports torch: only for torch models

        torch = require_torch()
        kind = "torch"
        for name, mod in model.named_modules():
            if isinstance(mod, TTLinear):
                layers[name] = {
                    "format": "tt",
                    "in_modes": list(mod.in_modes),
                    "out_modes": list(mod.out_modes),
                    "ranks": list(mod.bond_dims),  # the file format keeps its key
                    "bias": mod.bias is not None,
                }
            elif isinstance(mod, LowRankLinear):
                layers[name] = {
                    "format": "lowrank",
                    "rank": mod.rank,
                    "shape": [mod.out_features, mod.in_features],
                    "bias": mod.bias is not None,
                }
        for k, v in model.state_dict().items():
            v = v.detach()
            if v.dtype == torch.bfloat16:
                v = v.float()  # numpy has no bfloat16; load_compressed casts back
            tensors[k] = np.ascontiguousarray(v.cpu().numpy())
    else:
        kind = "arrays"
        for name, v in model.items():
            if isinstance(v, TTMatrix):
                layers[name] = {"format": "tt", "num_cores": v.num_cores}
                for k, c in enumerate(v.cores):
                    tensors[f"{name}.core{k}"] = np.ascontiguousarray(c)
            elif isinstance(v, LowRank):
                layers[name] = {"format": "lowrank"}
                tensors[f"{name}.u"] = np.ascontiguousarray(v.u)
                tensors[f"{name}.v"] = np.ascontiguousarray(v.v)
            else:
                layers[name] = {"format": "dense"}
                tensors[name] = np.ascontiguousarray(np.asarray(v))
    meta = {"tensorbond_format": str(FORMAT_VERSION), "kind": kind, "layers": json.dumps(layers)}
    if report is not None:
        meta["report"] = json.dumps(report.to_dict())
    stn.save_file(tensors, str(path), metadata=meta)
    return path


def _read(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    stn = _safetensors()
    from safetensors import safe_open

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    with safe_open(str(path), framework="numpy") as f:
        meta = f.metadata() or {}
    if "tensorbond_format" not in meta:
        raise ValueError(f"{path} is not a tensorbond compressed model (no format metadata)")
    if int(meta["tensorbond_format"]) > FORMAT_VERSION:
        raise ValueError(
            f"{path} has format version {meta['tensorbond_format']}; this "
            f"tensorbond reads up to {FORMAT_VERSION}: upgrade tensorbond"
        )
    return stn.load_file(str(path)), meta


def load_compressed(path: str | Path, model: Any = None) -> Any:
    """Read a model written by :func:`save_compressed`.

    Parameters
    ----------
    path : str or Path
        The ``.safetensors`` file.
    model : torch.nn.Module, optional
        For files saved from a torch module: the original (dense) architecture.
        A copy of it receives the factorized layers and the saved weights.

    Returns
    -------
    dict or torch.nn.Module
        Names mapped to arrays / :class:`TTMatrix` / :class:`LowRank`, or the module.

    Raises
    ------
    ValueError
        A file that is not a readable tensorbond model (truncated, corrupt,
        metadata missing or of the wrong type), naming the file and the fault.
    """
    try:
        return _load(path, model)
    except (KeyError, TypeError, AttributeError, IndexError, EOFError, json.JSONDecodeError) as exc:
        if isinstance(exc, TypeError) and model is not None and not is_torch_module(model):
            raise
        raise ValueError(
            f"{path} is not a readable tensorbond compressed model: {type(exc).__name__}: {exc}"
        ) from exc
    except Exception as exc:
        if type(exc).__name__ == "SafetensorError":  # safetensors' own, not a ValueError
            raise ValueError(f"{path} is not a readable safetensors file: {exc}") from exc
        raise


def _load(path: str | Path, model: Any) -> Any:
    tensors, meta = _read(path)
    layers = json.loads(meta["layers"])
    if not isinstance(layers, dict):
        raise TypeError(f"the 'layers' metadata is a {type(layers).__name__}, not a mapping")
    if meta["kind"] == "arrays":
        out: dict[str, Any] = {}
        for name, info in layers.items():
            if info["format"] == "tt":
                out[name] = TTMatrix.from_cores(
                    [tensors[f"{name}.core{k}"] for k in range(info["num_cores"])]
                )
            elif info["format"] == "lowrank":
                out[name] = LowRank.from_factors(tensors[f"{name}.u"], tensors[f"{name}.v"])
            else:
                out[name] = tensors[name]
        return out
    if model is None:
        raise ValueError(
            "this file holds a torch module: pass model= with its original architecture"
        )
    from .layers import LowRankLinear, TTLinear, replace_module  # imports torch

    torch = require_torch()
    new = copy.deepcopy(model)
    for name, info in layers.items():
        try:
            old = new.get_submodule(name)
        except AttributeError as exc:
            raise KeyError(f"the model has no layer {name!r} that the file compresses") from exc
        layer: TTLinear | LowRankLinear
        if info["format"] == "tt":
            d = len(info["in_modes"])
            ranks = [1, *info["ranks"], 1]
            # Shapes only: load_state_dict below fills every value.
            cores = [
                np.zeros(
                    (ranks[k], info["out_modes"][k], info["in_modes"][k], ranks[k + 1]), np.float32
                )
                for k in range(d)
            ]
            layer = TTLinear(
                TTMatrix.from_cores(cores),
                np.zeros(int(np.prod(info["out_modes"])), np.float32) if info["bias"] else None,
            )
        else:
            r = info["rank"]
            out_f, in_f = info["shape"]
            layer = LowRankLinear(
                LowRank.from_factors(
                    np.zeros((out_f, r), np.float32), np.zeros((r, in_f), np.float32)
                ),
                np.zeros(out_f, np.float32) if info["bias"] else None,
            )
        if isinstance(getattr(old, "weight", None), torch.Tensor):
            layer = layer.to(old.weight.dtype)
        replace_module(new, old, layer)
    state = {k: torch.as_tensor(v) for k, v in tensors.items()}
    new.load_state_dict(state, strict=True)
    return new


def to_dense(model: Any) -> Any:
    """Export a compressed model back to dense weights.

    A mapping becomes a mapping of numpy arrays; a torch module becomes a copy
    whose ``TTLinear`` / ``LowRankLinear`` layers are ``nn.Linear`` again.
    """
    if not is_torch_module(model):
        return {
            k: (v.to_dense() if isinstance(v, (TTMatrix, LowRank)) else np.asarray(v))
            for k, v in model.items()
        }
    from .layers import LowRankLinear, TTLinear, replace_module  # imports torch

    torch = require_torch()
    new = copy.deepcopy(model)
    for _, mod in list(new.named_modules()):
        if isinstance(mod, (TTLinear, LowRankLinear)):
            with torch.no_grad():
                w = mod.weight_dense()
                lin = torch.nn.Linear(
                    mod.in_features, mod.out_features, bias=mod.bias is not None, dtype=w.dtype
                )
                lin.weight.copy_(w)
                if mod.bias is not None:
                    lin.bias.copy_(mod.bias)
            replace_module(new, mod, lin)
    return new
