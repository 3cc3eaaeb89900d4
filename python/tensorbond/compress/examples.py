"""Built-in compression demo: an MLP on scikit-learn's bundled digits data.

``digits_demo()`` trains a 64-256-256-10 MLP with a fixed seed, compresses it
with :func:`tensorbond.compress`, heals it by distillation on the (unlabeled)
training inputs and reports the test accuracy at each stage. Needs torch and
scikit-learn (``pip install "tensorbond[torch]" scikit-learn``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._optional import require_torch
from . import compress  # the function (this package's __init__), not the package
from .heal import heal


def _sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover
        raise ImportError(
            "the digits example needs scikit-learn: pip install scikit-learn"
        ) from exc
    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype(np.float32), y.astype(np.int64)


@dataclass
class DigitsData:
    """Train/test split of the digits data (fixed seed)."""

    x_train: Any
    y_train: Any
    x_test: Any
    y_test: Any


def digits_data(seed: int = 0, test_fraction: float = 0.25) -> DigitsData:
    """The 1,797 digits images (8x8, scaled to [0, 1]) split into train and test."""
    torch = require_torch()
    x, y = _sklearn_digits()
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = round(len(x) * test_fraction)
    te, tr = order[:n_test], order[n_test:]
    t = torch.as_tensor
    return DigitsData(t(x[tr]), t(y[tr]), t(x[te]), t(y[te]))


def digits_mlp(seed: int = 0) -> Any:
    """An untrained 64-256-256-10 ReLU MLP."""
    torch = require_torch()
    torch.manual_seed(seed)
    nn = torch.nn
    return nn.Sequential(
        nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )


def train_digits(
    model: Any, data: DigitsData, epochs: int = 60, lr: float = 2e-3, seed: int = 0
) -> Any:
    """Train with cross-entropy on the labels (Adam, minibatches of 64)."""
    torch = require_torch()
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = data.x_train.shape[0]
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(n, generator=gen).split(64):
            loss = torch.nn.functional.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    return model


def accuracy(model: Any, x: Any, y: Any) -> float:
    """Fraction of correct argmax predictions."""
    torch = require_torch()
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())


def digits_demo(
    ratio: float | None = 15.0,
    error_budget: float | None = None,
    heal_epochs: int = 60,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, Any]:
    """Train, compress, heal and measure the digits MLP.

    Returns
    -------
    dict
        ``report`` (CompressionReport), ``heal`` (HealReport), accuracies
        ``dense_accuracy``, ``compressed_accuracy``, ``healed_accuracy``, the
        ``model`` (healed) and timings in seconds.
    """
    torch = require_torch()
    torch.manual_seed(seed)
    data = digits_data(seed)
    t0 = time.perf_counter()
    teacher = train_digits(digits_mlp(seed), data, seed=seed)
    t_train = time.perf_counter() - t0
    t0 = time.perf_counter()
    student, report = compress(
        teacher, ratio=ratio, error_budget=error_budget, calibration=data.x_train, healing=True
    )
    t_compress = time.perf_counter() - t0
    compressed_acc = accuracy(student, data.x_test, data.y_test)
    t0 = time.perf_counter()
    healed = heal(
        student,
        teacher,
        data.x_train,
        epochs=heal_epochs,
        lr=3e-3,
        loss="kl",
        temperature=2.0,
        batch_size=64,
        eval_data=data.x_test,
        seed=seed,
        progress=progress,
    )
    t_heal = time.perf_counter() - t0
    return {
        "report": report,
        "heal": healed,
        "model": student,
        "dense_accuracy": accuracy(teacher, data.x_test, data.y_test),
        "compressed_accuracy": compressed_acc,
        "healed_accuracy": accuracy(student, data.x_test, data.y_test),
        "seconds": {"train": t_train, "compress": t_compress, "heal": t_heal},
    }
