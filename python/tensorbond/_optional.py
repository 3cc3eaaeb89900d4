"""Optional dependencies, imported on first use with an ImportError that says
how to install them."""

from __future__ import annotations

from typing import Any


def require_torch() -> Any:
    """Import torch or raise an ImportError that says how to get it."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            "this feature needs PyTorch: pip install 'tensorbond[torch]' "
            "(or pip install torch==2.13.0 for the CPU build)"
        ) from exc
    return torch


def is_torch_module(obj: Any) -> bool:
    """Whether ``obj`` is a ``torch.nn.Module``, without importing torch."""
    return any(
        c.__name__ == "Module" and c.__module__.startswith("torch.nn") for c in type(obj).__mro__
    )


def call_model(model: Any, batch: Any) -> Any:
    """``model(batch)``, ``model(*batch)`` for a tuple/list or ``model(**batch)`` for a
    dict, reduced to one tensor: the first element of a tuple output, the first
    value of a dict-like output (e.g. a transformers ``ModelOutput``)."""
    if isinstance(batch, dict):
        out = model(**batch)
    elif isinstance(batch, (tuple, list)):
        out = model(*batch)
    else:
        out = model(batch)
    if isinstance(out, (tuple, list)):
        out = out[0]
    if isinstance(out, dict):
        out = next(iter(out.values()))
    return out
