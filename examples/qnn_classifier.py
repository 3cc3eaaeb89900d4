"""A hybrid quantum-classical classifier trained with PyTorch on tensorbond.

Classical layer (30 features -> one angle per qubit), a parametrized circuit
on 12 qubits (angle encoding, then trainable ry/rz layers with cz bricks),
read out as <Z_i> on every qubit, then a classical linear head. The circuit's
gradients come from tensorbond's adjoint differentiation, so the whole model
trains with an ordinary optimizer loop. Data: scikit-learn's breast cancer
set (569 samples, 2 classes), standardized, 80/20 split.

    python examples/qnn_classifier.py             # 12 qubits, 2 layers, 5 epochs
    python examples/qnn_classifier.py --qubits 16 --layers 3 --epochs 4

Prints the loss and test accuracy per epoch, the time per epoch, and a JSON
summary line at the end. Needs ``pip install "tensorbond[examples]"``.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import tensorbond as tb
from tensorbond.torch import QuantumLayer


def ansatz(num_qubits: int, layers: int) -> tuple[tb.Circuit, list[tb.Parameter]]:
    """Angle encoding ry(x_i), then ``layers`` of ry(w) rz(w) and cz bricks."""
    x = tb.ParameterVector("x", num_qubits)
    w = tb.ParameterVector("w", 2 * num_qubits * layers)
    circ = tb.Circuit(num_qubits)
    for q in range(num_qubits):
        circ.h(q).ry(x[q], q)
    k = 0
    for layer in range(layers):
        for q in range(num_qubits):
            circ.ry(w[k], q).rz(w[k + 1], q)
            k += 2
        for q in range(layer % 2, num_qubits - 1, 2):
            circ.cz(q, q + 1)
        for q in range(1 - layer % 2, num_qubits - 1, 2):
            circ.cz(q, q + 1)
    return circ, list(x)


class HybridModel(torch.nn.Module):
    """features -> angles (tanh, scaled to [-pi, pi]) -> <Z_i> -> class logits."""

    def __init__(self, features: int, num_qubits: int, layers: int, classes: int) -> None:
        super().__init__()
        circ, inputs = ansatz(num_qubits, layers)
        self.encode = torch.nn.Linear(features, num_qubits, dtype=torch.float64)
        self.quantum = QuantumLayer(circ, [f"Z{q}" for q in range(num_qubits)], inputs=inputs)
        self.head = torch.nn.Linear(num_qubits, classes, dtype=torch.float64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        angles = math.pi * torch.tanh(self.encode(x))
        return self.head(self.quantum(angles))


def load(seed: int, limit: int | None) -> tuple[torch.Tensor, ...]:
    """Standardized train/test tensors (optionally the first ``limit`` samples)."""
    data = load_breast_cancer()
    x, y = data.data, data.target
    if limit is not None:
        x, y = x[:limit], y[:limit]
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
    scaler = StandardScaler().fit(xtr)
    return (
        torch.from_numpy(scaler.transform(xtr)),
        torch.from_numpy(scaler.transform(xte)),
        torch.from_numpy(ytr),
        torch.from_numpy(yte),
    )


def train(
    *,
    qubits: int = 12,
    layers: int = 2,
    epochs: int = 5,
    batch: int = 32,
    lr: float = 0.01,
    seed: int = 0,
    limit: int | None = None,
    verbose: bool = True,
) -> dict[str, Any]:
    """Train the hybrid model; returns the per-epoch history and the summary."""
    torch.manual_seed(seed)
    tb.set_num_threads(1)
    xtr, xte, ytr, yte = load(seed, limit)
    model = HybridModel(xtr.shape[1], qubits, layers, 2)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    history = []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(xtr.shape[0])
        total = 0.0
        for i in range(0, xtr.shape[0], batch):
            idx = perm[i : i + batch]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        seconds = time.perf_counter() - t0
        with torch.no_grad():
            acc = float((model(xte).argmax(1) == yte).double().mean())
        row = {"epoch": epoch + 1, "loss": total / xtr.shape[0], "test_accuracy": acc}
        row["seconds"] = seconds
        history.append(row)
        if verbose:
            print(
                f"epoch {epoch + 1}: loss {row['loss']:.4f}  test accuracy {acc:.3f}  "
                f"{seconds:.1f} s"
            )
    return {
        "qubits": qubits,
        "layers": layers,
        "weights": int(model.quantum.weights.numel()),
        "train_samples": int(xtr.shape[0]),
        "test_accuracy": history[-1]["test_accuracy"] if history else float("nan"),
        "seconds_per_epoch": float(np.mean([h["seconds"] for h in history])) if history else 0.0,
        "history": history,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--qubits", type=int, default=12)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=None, help="use only the first N samples")
    a = ap.parse_args()
    out = train(
        qubits=a.qubits,
        layers=a.layers,
        epochs=a.epochs,
        batch=a.batch,
        lr=a.lr,
        seed=a.seed,
        limit=a.limit,
    )
    summary = {k: v for k, v in out.items() if k != "history"}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
