"""The ``tensorbond`` command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]

# The simulate progress bar: it appears once a run has taken _PROGRESS_DELAY_S
# and redraws at most every _PROGRESS_INTERVAL_S; simulate reports after every
# _PROGRESS_CHUNK gates.
_PROGRESS_DELAY_S = 0.5
_PROGRESS_INTERVAL_S = 0.1
_PROGRESS_CHUNK = 32


def _version() -> str:
    """The installed distribution's version, else ``tensorbond.__version__``."""
    from importlib import metadata

    try:
        return metadata.version("tensorbond")
    except metadata.PackageNotFoundError:
        import tensorbond

        return str(getattr(tensorbond, "__version__", "unknown"))


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tensorbond",
        description="Tensor networks in C++: MPS quantum circuit simulation and "
        "tensor-train compression of neural networks.",
    )
    p.add_argument("--version", action="version", version=f"tensorbond {_version()}")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser(
        "simulate",
        help="simulate an OpenQASM 2 or 3 circuit as an MPS",
        description="Simulate an OpenQASM 2.0 or 3 file (3: the common subset, e.g. "
        "qiskit.qasm3.dumps output) or a built-in example as a matrix product state; "
        "print qubits, gates, wall time, bond dimensions, the fidelity estimate and "
        "sampled counts (qubit 0 leftmost).",
    )
    s.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="OpenQASM 2.0 or 3 file(s); several: one JSON line per file, in order",
    )
    s.add_argument(
        "--example",
        choices=["ghz", "qft", "brick", "tfim"],
        help="run a built-in circuit instead of a file",
    )
    s.add_argument("--qubits", type=int, help="qubit count for --example")
    s.add_argument("--max-bond", type=int, default=None, help="bond dimension limit")
    s.add_argument("--cutoff", type=float, default=1e-12, help="singular value cutoff")
    s.add_argument("--cutoff-mode", default="rsum2", choices=["rsum2", "sum2", "rel", "abs"])
    s.add_argument(
        "--split",
        default="auto",
        choices=["svd", "eig", "rand", "qr", "auto"],
        help="how truncated splits factorize (auto: cheapest per shape)",
    )
    s.add_argument(
        "--gauge",
        default="canonical",
        choices=["canonical", "vidal"],
        help="vidal: Schmidt values on every bond, a layer's gates on --threads threads",
    )
    s.add_argument(
        "--order",
        default="sweep",
        choices=["sweep", "circuit"],
        help="sweep: a layer's disjoint pairs from the end nearest the centre; "
        "circuit: the circuit's order (quimb's)",
    )
    s.add_argument("--dtype", default="complex128", choices=["complex128", "complex64"])
    s.add_argument("--shots", type=int, default=0, help="samples to draw (default 0)")
    s.add_argument("--seed", type=int, default=None, help="sampling seed")
    s.add_argument("--top", type=int, default=10, help="how many counts to print")
    s.add_argument("--threads", type=int, default=None, help="BLAS threads")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--no-progress", action="store_true", help="no progress bar")
    s.add_argument("--workers", type=int, default=None, help="files in parallel on N local threads")
    s.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run the files on a running Dask scheduler (tcp://host:8786)",
    )
    # The suite lives in the checkout's bench/ (package tensorbond_bench), which
    # parses its own options: everything after "bench" is passed on unparsed.
    b = sub.add_parser(
        "bench",
        help="run the benchmark suite against quimb and qiskit-aer",
        add_help=False,
        prefix_chars="\0",
    )
    b.add_argument("bench_args", nargs="*", help=argparse.SUPPRESS)
    c = sub.add_parser(
        "compress",
        help="compress a model's weight matrices (TT-matrix / low-rank / dense per layer)",
        description="Compress the 2-D weights of a .npz or .safetensors file under a "
        "global budget, choosing per layer between dense, low-rank and TT-matrix "
        "formats; write the compressed model (safetensors with format metadata) and "
        "print the per-layer report. --example digits trains, compresses and heals "
        "a 64-256-256-10 MLP on scikit-learn's digits (needs torch and scikit-learn).",
    )
    c.add_argument("model", nargs="?", help=".npz or .safetensors file of weights")
    c.add_argument("--example", choices=["digits"], help="run the built-in demo instead")
    budget = c.add_mutually_exclusive_group()
    budget.add_argument("--ratio", type=float, help="target whole-model compression ratio")
    budget.add_argument(
        "--error-budget", type=float, help="target weighted RMS relative error of the layers"
    )
    c.add_argument(
        "-o",
        "--output",
        help="output .safetensors file "
        "(default MODEL.tb.safetensors; the example writes only when given)",
    )
    c.add_argument(
        "--layers",
        nargs="+",
        metavar="NAME",
        help="names or globs of the layers to compress (default: every 2-D weight)",
    )
    c.add_argument(
        "--formats",
        nargs="+",
        choices=["dense", "lowrank", "tt"],
        help="formats a layer may take (default: all)",
    )
    c.add_argument(
        "--objective",
        choices=["size", "latency"],
        default="size",
        help="latency: only formats whose forward is cheaper than dense",
    )
    c.add_argument(
        "--calibration",
        metavar="FILE",
        help=".npz or .safetensors of layer inputs, one (rows, in) array per "
        "compressed layer name: weighs layers by sensitivity",
    )
    c.add_argument(
        "--error-metric",
        choices=["weight", "output"],
        default="weight",
        help="output: fit each layer's outputs on its --calibration inputs "
        "(activation-aware low-rank) instead of its weights",
    )
    c.add_argument(
        "--heal-epochs",
        type=int,
        default=100,
        help="healing epochs of the digits example (default 100)",
    )
    c.add_argument("--seed", type=int, default=0, help="seed of the digits example")
    c.add_argument("--json", action="store_true", help="print one JSON object")
    c.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


class _Progress:
    """A live tqdm bar of gates done, on ``file`` (default stderr) when it is a
    terminal; nothing otherwise (a pipe, a log file, no tqdm)."""

    def __init__(self, total: int, enabled: bool, file: Any = None) -> None:
        self._bar: Any = None
        self._done = 0
        file = sys.stderr if file is None else file
        if not enabled or not _isatty(file):
            return
        try:
            from tqdm import tqdm
        except ImportError:  # progress is optional
            return
        self._bar = tqdm(
            total=total,
            unit="gate",
            file=file,
            leave=False,
            delay=_PROGRESS_DELAY_S,
            mininterval=_PROGRESS_INTERVAL_S,
            miniters=1,
            dynamic_ncols=True,
            disable=False,
        )

    @property
    def active(self) -> bool:
        """Whether there is a bar to update."""
        return self._bar is not None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is not None and done > self._done:
            self._bar.update(done - self._done)
            self._done = done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _isatty(file: Any) -> bool:
    try:
        return bool(file.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed file
        return False


def _simulate(args: argparse.Namespace) -> int:
    import tensorbond as tb
    from tensorbond.sim.examples import EXAMPLES

    if bool(args.files) == (args.example is not None):
        print("tensorbond simulate: give QASM FILE(s) or --example NAME", file=sys.stderr)
        return 2
    if args.workers is not None and args.scheduler is not None:
        print("tensorbond simulate: give --workers or --scheduler, not both", file=sys.stderr)
        return 2
    if len(args.files) > 1 or args.workers is not None or args.scheduler is not None:
        return _simulate_files(args)
    args.file = args.files[0] if args.files else None
    if args.threads is not None:
        tb.set_num_threads(args.threads)
    if args.example:
        kwargs = {} if args.qubits is None else {"n": args.qubits}
        circuit = EXAMPLES[args.example](**kwargs)
        source = f"example:{args.example}"
    else:
        if Path(args.file).is_dir():
            print(
                f"tensorbond simulate: error: {args.file!r} is a directory, not an OpenQASM file",
                file=sys.stderr,
            )
            return 2
        circuit = tb.Circuit.from_qasm(args.file)
        source = args.file
    from tensorbond.sim.run import is_dynamic

    if is_dynamic(circuit):
        return _simulate_dynamic(args, circuit, source)
    prog = tb.compile_circuit(circuit)
    bar = _Progress(len(prog), not args.json and not args.no_progress)
    t0 = time.perf_counter()
    try:
        state = tb.simulate(
            prog,
            max_bond=args.max_bond,
            cutoff=args.cutoff,
            cutoff_mode=args.cutoff_mode,
            split=args.split,
            gauge=args.gauge,
            order=args.order,
            dtype=args.dtype,
            progress=bar if bar.active else None,  # no bar: one compiled call
            chunk=_PROGRESS_CHUNK,
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
        "split": args.split,
        "gauge": args.gauge,
        "order": args.order,
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
    print(
        f"max bond reached   {state.max_bond_reached}"
        + (f" (limit {args.max_bond})" if args.max_bond else "")
    )
    print(f"fidelity estimate  {state.fidelity_estimate:.8g}")
    print(f"state memory       {state.memory_bytes / 1024:.1f} KiB")
    if args.shots:
        print(
            f"samples            {args.shots} in {sample_time:.4g} s "
            "(qubit 0 leftmost), most frequent:"
        )
        width = max(1, min(circuit.num_qubits, 120))
        for bits, c in list(counts.items())[: max(0, args.top)]:
            shown = bits if len(bits) <= width else bits[:width] + "..."
            print(f"  {shown}  {c}")
    return 0


def file_result(path: str, options: dict[str, Any]) -> dict[str, Any]:
    """One file's simulation as a JSON-ready dict (``{"source", "error"}`` when it
    fails): what ``tensorbond simulate FILE --json`` prints. Module level, so
    it travels to Dask workers."""
    import tensorbond as tb
    from tensorbond.sim.run import is_dynamic

    t0 = time.perf_counter()
    try:
        if Path(path).is_dir():
            raise OSError(f"{path!r} is a directory, not an OpenQASM file")
        circuit = tb.Circuit.from_qasm(path)
        trunc = {k: options[k] for k in ("max_bond", "cutoff", "cutoff_mode", "dtype")}
        out: dict[str, Any] = {"source": path, "qubits": circuit.num_qubits, **trunc}
        if is_dynamic(circuit):
            shots = options["shots"] or 1024
            res = tb.run(circuit, shots=shots, seed=options["seed"], **trunc)
            out.update(
                dynamic=True,
                gates=circuit.num_gates,
                wall_time_s=res.seconds,
                max_bond_reached=res.max_bond_reached,
                fidelity_estimate=res.fidelity_estimate,
                branches=res.branches,
                shots=shots,
                counts=dict(res.most_common(len(res.counts))),
            )
            return out
        state = tb.simulate(circuit, **trunc)
        counts = (
            state.sample(options["shots"], seed=options["seed"]).counts()
            if options["shots"]
            else {}
        )
        out.update(
            dynamic=False,
            gates=circuit.num_gates,
            wall_time_s=time.perf_counter() - t0,
            max_bond_reached=state.max_bond_reached,
            fidelity_estimate=state.fidelity_estimate,
            memory_bytes=state.memory_bytes,
            shots=options["shots"],
            counts=counts,
        )
        return out
    except (ValueError, TypeError, IndexError, NotImplementedError, OSError) as exc:
        return {"source": path, "error": f"{type(exc).__name__}: {exc}"}


def _simulate_files(args: argparse.Namespace) -> int:
    """Several files (or one on workers): one JSON line each, in order."""
    import functools

    import tensorbond as tb

    if args.example is not None:
        print("tensorbond simulate: --example runs alone, not with files", file=sys.stderr)
        return 2
    if args.threads is not None:
        tb.set_num_threads(args.threads)
    options = {
        "max_bond": args.max_bond,
        "cutoff": args.cutoff,
        "cutoff_mode": args.cutoff_mode,
        "dtype": args.dtype,
        "shots": args.shots,
        "seed": args.seed,
    }
    executor = args.scheduler if args.scheduler is not None else args.workers
    results = tb.map(
        functools.partial(file_result, options=options),
        args.files,
        executor=executor,
        chunk_size=1,
        progress=not args.no_progress and _isatty(sys.stderr),
        desc="files",
    )
    for r in results:
        print(json.dumps(r))
    return 1 if any("error" in r for r in results) else 0


def _simulate_dynamic(args: argparse.Namespace, circuit: Any, source: str) -> int:
    """Shots of a circuit with mid-circuit measurement, reset or ``if``: tb.run."""
    import tensorbond as tb

    shots = args.shots or 1024
    result = tb.run(
        circuit,
        shots=shots,
        seed=args.seed,
        max_bond=args.max_bond,
        cutoff=args.cutoff,
        cutoff_mode=args.cutoff_mode,
        split=args.split,
        gauge=args.gauge,
        order=args.order,
        dtype=args.dtype,
    )
    counts = dict(result.most_common(len(result.counts)))
    if args.json:
        print(
            json.dumps(
                {
                    "source": source,
                    "qubits": circuit.num_qubits,
                    "dynamic": True,
                    "gates": circuit.num_gates,
                    "dtype": args.dtype,
                    "max_bond": args.max_bond,
                    "cutoff": args.cutoff,
                    "cutoff_mode": args.cutoff_mode,
                    "split": args.split,
                    "gauge": args.gauge,
                    "order": args.order,
                    "wall_time_s": result.seconds,
                    "max_bond_reached": result.max_bond_reached,
                    "fidelity_estimate": result.fidelity_estimate,
                    "min_fidelity_estimate": result.min_fidelity_estimate,
                    "branches": result.branches,
                    "shots": shots,
                    "seed": args.seed,
                    "registers": result.registers,
                    "counts": counts,
                }
            )
        )
        return 0
    print(f"circuit            {source} (dynamic: mid-circuit measurement, reset or if)")
    print(f"qubits             {circuit.num_qubits}")
    print(f"gates              {circuit.num_gates}")
    print(
        f"wall time          {result.seconds:.4g} s ({args.dtype}), {shots} shots in "
        f"{result.branches} branch(es)"
    )
    print(
        f"max bond reached   {result.max_bond_reached}"
        + (f" (limit {args.max_bond})" if args.max_bond else "")
    )
    print(f"fidelity estimate  {result.fidelity_estimate:.8g} (shot-weighted mean)")
    regs = " ".join(name for name, _ in result.registers)
    print(f"counts             registers {regs} (QASM order), most frequent:")
    for key, c in list(counts.items())[: max(0, args.top)]:
        print(f"  {key if len(key) <= 120 else key[:120] + '...'}  {c}")
    return 0


def _bench_cli() -> Any:
    """The suite's command line, ``tensorbond_bench.cli``: from an installed
    ``tensorbond-bench`` (``pip install ./bench``), else from the ``bench/`` folder
    of the source checkout this tensorbond runs from; None if neither is there."""
    import importlib

    try:
        return importlib.import_module("tensorbond_bench.cli")
    except ModuleNotFoundError as exc:
        if exc.name not in ("tensorbond_bench", "tensorbond_bench.cli"):
            raise  # the suite is there but something it needs is not
    bench_dir = Path(__file__).resolve().parents[2] / "bench"
    if not (bench_dir / "tensorbond_bench" / "__init__.py").is_file():
        return None
    sys.path.append(str(bench_dir))
    return importlib.import_module("tensorbond_bench.cli")


def _bench(args: argparse.Namespace) -> int:
    bench = _bench_cli()
    if bench is None:
        print(
            "tensorbond bench: the benchmark suite is not part of the installed "
            "library; it lives in the source checkout's bench/ folder: run "
            "`tensorbond bench` from a source checkout, or install the suite with "
            "`pip install ./bench` (from the checkout)",
            file=sys.stderr,
        )
        return 2
    return int(bench.main(args.bench_args, prog="tensorbond bench"))


def _compress(args: argparse.Namespace) -> int:
    from tensorbond.compress import compress
    from tensorbond.compress.io import save_compressed

    if (args.model is None) == (args.example is None):
        print("tensorbond compress: give a model file or --example", file=sys.stderr)
        return 2
    ratio, budget = args.ratio, args.error_budget
    if ratio is None and budget is None:
        ratio = 15.0 if args.example else 8.0
    if args.example:
        ignored = [
            flag
            for flag, given in (
                ("--layers", args.layers),
                ("--formats", args.formats),
                ("--objective", args.objective != "size"),
                ("--calibration", args.calibration),
                ("--error-metric", args.error_metric != "weight"),
            )
            if given
        ]
        if ignored:
            print(
                f"tensorbond compress: {', '.join(ignored)} apply to model files, not to --example",
                file=sys.stderr,
            )
            return 2
        from tensorbond._optional import require_torch
        from tensorbond.compress.examples import digits_demo

        # A small model: torch's intra-op threads cost more than they give here.
        require_torch().set_num_threads(1)
        out = digits_demo(
            ratio=ratio,
            error_budget=budget,
            heal_epochs=args.heal_epochs,
            seed=args.seed,
            progress=not args.no_progress and sys.stderr.isatty(),
        )
        report, healed = out["report"], out["heal"]
        path = save_compressed(out["model"], args.output, report) if args.output else None
        result = {
            "report": report.to_dict(),
            "heal": vars(healed),
            "dense_accuracy": out["dense_accuracy"],
            "compressed_accuracy": out["compressed_accuracy"],
            "healed_accuracy": out["healed_accuracy"],
            "seconds": out["seconds"],
            "output": str(path) if path else None,
        }
        if args.json:
            print(json.dumps(result))
        else:
            print(report.to_markdown())
            print(
                f"\ntest accuracy: dense {out['dense_accuracy']:.4f}, compressed "
                f"{out['compressed_accuracy']:.4f}, healed {out['healed_accuracy']:.4f}"
            )
            print(healed)
            if path:
                print(f"wrote {path}")
        return 0
    from tensorbond.compress.arrays import load_weights

    calibration = load_weights(args.calibration) if args.calibration else None
    if args.error_metric == "output" and calibration is None:
        print("tensorbond compress: --error-metric output needs --calibration", file=sys.stderr)
        return 2
    model, report = compress(
        args.model,
        ratio=ratio,
        error_budget=budget,
        layers=args.layers,
        objective=args.objective,
        formats=args.formats,
        calibration=calibration,
        error_metric=args.error_metric,
    )
    output = args.output or str(Path(args.model).with_suffix("")) + ".tb.safetensors"
    path = save_compressed(model, output, report)
    if args.json:
        print(json.dumps({"report": report.to_dict(), "output": str(path)}))
    else:
        print(report.to_markdown())
        print(f"wrote {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tensorbond`` command."""
    args = _build_parser().parse_args(argv)
    try:
        if args.command == "simulate":
            return _simulate(args)
        if args.command == "bench":
            return _bench(args)
        if args.command == "compress":
            return _compress(args)
    except BrokenPipeError:
        # The reader (e.g. `| head`) has closed the pipe: stop quietly, as Unix
        # tools do, and keep Python's exit-time flush from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE
    except (
        ValueError,
        TypeError,
        IndexError,
        KeyError,
        NotImplementedError,
        OSError,
        ArithmeticError,
        ImportError,
        RuntimeError,
    ) as exc:
        print(f"tensorbond {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
