"""The ``tensorbond`` command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["main"]


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tensorbond",
        description="Tensor networks in C++: MPS quantum circuit simulation.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser(
        "simulate",
        help="simulate an OpenQASM 2 circuit as an MPS",
        description="Simulate an OpenQASM 2.0 file (or a built-in example) as a matrix "
        "product state; print qubits, gates, wall time, bond dimensions, the fidelity "
        "estimate and sampled counts (qubit 0 leftmost).",
    )
    s.add_argument("file", nargs="?", help="OpenQASM 2.0 file")
    s.add_argument(
        "--example",
        choices=["ghz", "qft", "brick", "tfim"],
        help="run a built-in circuit instead of a file",
    )
    s.add_argument("--qubits", type=int, help="qubit count for --example")
    s.add_argument("--max-bond", type=int, default=None, help="bond dimension limit")
    s.add_argument("--cutoff", type=float, default=1e-12, help="singular value cutoff")
    s.add_argument(
        "--cutoff-mode", default="rsum2", choices=["rsum2", "sum2", "rel", "abs"]
    )
    s.add_argument("--dtype", default="complex128", choices=["complex128", "complex64"])
    s.add_argument("--shots", type=int, default=0, help="samples to draw (default 0)")
    s.add_argument("--seed", type=int, default=None, help="sampling seed")
    s.add_argument("--top", type=int, default=10, help="how many counts to print")
    s.add_argument("--threads", type=int, default=None, help="BLAS threads")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


class _Progress:
    """A tqdm bar that appears only for runs longer than a second."""

    def __init__(self, total: int, enabled: bool) -> None:
        self._bar: Any = None
        if enabled and sys.stderr.isatty():
            try:
                from tqdm import tqdm
            except ImportError:  # progress is optional
                return
            self._bar = tqdm(total=total, unit="gate", delay=1.0, file=sys.stderr,
                             leave=False)

    def __call__(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.n = done
            self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _simulate(args: argparse.Namespace) -> int:
    import tensorbond as tb
    from tensorbond.examples import EXAMPLES

    if (args.file is None) == (args.example is None):
        print("tensorbond simulate: give a QASM FILE or --example NAME", file=sys.stderr)
        return 2
    if args.threads is not None:
        tb.set_num_threads(args.threads)
    if args.example:
        kwargs = {} if args.qubits is None else {"n": args.qubits}
        circuit = EXAMPLES[args.example](**kwargs)
        source = f"example:{args.example}"
    else:
        circuit = tb.Circuit.from_qasm(args.file)
        source = args.file
    prog = tb.compile_circuit(circuit)
    bar = _Progress(len(prog), not args.json and not args.no_progress)
    t0 = time.perf_counter()
    try:
        state = tb.simulate(
            prog,
            max_bond=args.max_bond,
            cutoff=args.cutoff,
            cutoff_mode=args.cutoff_mode,
            dtype=args.dtype,
            progress=bar,
        )
    finally:
        bar.close()
    wall = time.perf_counter() - t0
    counts: dict[str, int] = {}
    sample_time = 0.0
    if args.shots:
        t1 = time.perf_counter()
        counts = state.sample(args.shots, seed=args.seed).counts()
        sample_time = time.perf_counter() - t1
    result = {
        "source": source,
        "qubits": circuit.num_qubits,
        "gates": len(prog),
        "dtype": args.dtype,
        "max_bond": args.max_bond,
        "cutoff": args.cutoff,
        "cutoff_mode": args.cutoff_mode,
        "wall_time_s": wall,
        "max_bond_reached": state.max_bond_reached,
        "final_bond_dims": state.bond_dims,
        "fidelity_estimate": state.fidelity_estimate,
        "memory_bytes": state.memory_bytes,
        "shots": args.shots,
        "seed": args.seed,
        "sample_time_s": sample_time,
        "counts": counts,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"circuit            {source}")
    print(f"qubits             {circuit.num_qubits}")
    print(f"gates              {len(prog)}")
    print(f"wall time          {wall:.4g} s ({args.dtype})")
    print(f"max bond reached   {state.max_bond_reached}"
          + (f" (limit {args.max_bond})" if args.max_bond else ""))
    print(f"fidelity estimate  {state.fidelity_estimate:.8g}")
    print(f"state memory       {state.memory_bytes / 1024:.1f} KiB")
    if args.shots:
        print(f"samples            {args.shots} in {sample_time:.4g} s "
              "(qubit 0 leftmost), most frequent:")
        width = max(1, min(circuit.num_qubits, 120))
        for bits, c in list(counts.items())[: max(0, args.top)]:
            shown = bits if len(bits) <= width else bits[:width] + "..."
            print(f"  {shown}  {c}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tensorbond`` command."""
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "simulate":
            return _simulate(args)
    except (ValueError, TypeError, IndexError, NotImplementedError, OSError,
            ArithmeticError) as exc:
        print(f"tensorbond {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":  # pragma: no cover
    np.seterr(all="ignore")
    sys.exit(main())
