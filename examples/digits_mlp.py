"""Compress a digits MLP 15x and heal it by distillation.

A 64-256-256-10 MLP trained (fixed seed) on scikit-learn's bundled digits is
compressed as a whole (biases included) by :func:`tensorbond.compress`, which
picks a format per layer from weight-error curves and calibration
sensitivities, then healed on the unlabeled training images with the dense
model as teacher. Needs ``pip install ".[examples]"`` (torch, scikit-learn).

    python examples/digits_mlp.py [--ratio 15] [--epochs 100] [--save model.safetensors]
"""

from __future__ import annotations

import argparse

import tensorbond as tb
from tensorbond.compress.examples import digits_demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ratio", type=float, default=15.0, help="whole-model compression ratio (default 15)"
    )
    parser.add_argument("--epochs", type=int, default=100, help="healing epochs (default 100)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", help="write the healed model to this .safetensors file")
    args = parser.parse_args()
    out = digits_demo(ratio=args.ratio, heal_epochs=args.epochs, seed=args.seed)
    print(out["report"].to_markdown())
    print(f"\n{out['heal']}")
    s = out["seconds"]
    print(
        f"test accuracy: dense {out['dense_accuracy']:.1%}, compressed "
        f"{out['compressed_accuracy']:.1%}, healed {out['healed_accuracy']:.1%} at "
        f"{out['report'].ratio:.2f}x (train {s['train']:.1f} s, compress "
        f"{s['compress']:.1f} s, heal {s['heal']:.1f} s)"
    )
    if args.save:
        tb.save_compressed(out["model"], args.save)
        print(f"wrote {args.save}")


if __name__ == "__main__":
    main()
