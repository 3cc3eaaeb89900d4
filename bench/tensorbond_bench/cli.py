"""The suite's command line: ``tensorbond bench``, ``python -m tensorbond_bench``,
``python bench/run_suite.py`` (all three the same options and output)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["add_arguments", "build_parser", "main", "run"]

DESCRIPTION = (
    "Run the benchmark suite: the same workloads through tensorbond, "
    "quimb CircuitMPS and qiskit-aer's MPS method (default SVD and mps_lapack), "
    "single-threaded, with the LAPACK SVD floor, fidelities and peak memory. "
    "Writes <date>-<sha>.json, .md and PNG plots to --out (and latest.* copies "
    "for full runs); prints the markdown tables. Needs tensorbond[bench]."
)


def add_arguments(b: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the suite's options to ``b``; returns it."""
    b.add_argument(
        "--quick",
        action="store_true",
        help="a small subset (under 2 minutes); results get a -quick suffix "
        "and leave the latest.* files alone",
    )
    b.add_argument(
        "--out",
        help="results folder (default <repo>/bench/results in a checkout, else ./bench-results)",
    )
    b.add_argument(
        "--suite",
        choices=["all", "circuits", "dynamic", "compression", "variational", "scaleout"],
        default="all",
        help="circuits (MPS simulation against quimb and qiskit-aer), dynamic "
        "(shots/s of mid-circuit measurement and noise against qiskit-aer), "
        "compression (TT-matrix forward and TT-SVD against the GEMM rate, "
        "tensorly and tensorly-torch; compress objectives), variational (gradients "
        "and parameter sweeps against PennyLane, quimb+torch and qiskit-aer), scaleout "
        "(batches on threads and Dask worker processes; needs dask.distributed, not part "
        "of all) or all (default)",
    )
    b.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="run only workloads whose name, family or group matches "
        "(shell globs, e.g. brick_50x20 'kernel:*' qasmbench); results get "
        "a -partial suffix and leave the latest.* files alone",
    )
    b.add_argument(
        "--repeats", type=int, default=3, help="timed repetitions per contestant (default 3)"
    )
    b.add_argument(
        "--time-limit",
        type=float,
        default=None,
        metavar="S",
        help="seconds one run may take before the contestant is recorded "
        "as timed out (default 60, 5 with --quick)",
    )
    b.add_argument(
        "--contestants",
        nargs="+",
        metavar="NAME",
        choices=["tensorbond", "quimb", "aer", "aer_lapack"],
        help="run only these contestants",
    )
    b.add_argument(
        "--no-memory", action="store_true", help="do not measure the peak memory of the first run"
    )
    b.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    b.add_argument(
        "--shared",
        help="folder with circuits/ and qasmbench/ (default "
        "$TENSORBOND_SHARED, else the shared folder beside the repository "
        "checkout, <repo>/../shared)",
    )
    b.add_argument("--list", action="store_true", help="list the workloads and exit")
    b.add_argument(
        "--json",
        action="store_true",
        help="print the results as JSON instead of the markdown tables",
    )
    b.add_argument("--no-progress", action="store_true", help="no progress bar")
    return b


def build_parser(prog: str = "tensorbond bench") -> argparse.ArgumentParser:
    """The suite's argument parser."""
    return add_arguments(argparse.ArgumentParser(prog=prog, description=DESCRIPTION))


def run(args: argparse.Namespace) -> int:
    """Run the parts of the suite ``args`` select; the exit status."""
    if args.repeats < 1:
        print("tensorbond bench: --repeats must be at least 1", file=sys.stderr)
        return 2
    if args.suite in ("compression", "dynamic", "variational", "scaleout") and (
        args.only or args.contestants
    ):
        print(
            "tensorbond bench: --only and --contestants select circuit workloads; "
            "use --suite circuits or all",
            file=sys.stderr,
        )
        return 2
    docs: dict[str, Any] = {}
    if args.suite in ("all", "circuits"):
        docs["circuits"] = _bench_circuits(args)
    # --only / --contestants / --list pick circuit workloads: a partial run.
    partial = args.list or args.only or args.contestants
    if args.suite in ("all", "dynamic") and not partial:
        docs["dynamic"] = _bench_part(args, "dynamic", shared=args.shared)
    if args.suite in ("all", "compression") and not partial:
        docs["compression"] = _bench_part(args, "tt")
    if args.suite in ("all", "variational") and not partial:
        docs["variational"] = _bench_part(args, "variational")
    if args.suite == "scaleout":
        docs["scaleout"] = _bench_part(args, "scaleout")
    if args.json and not args.list:
        print(json.dumps(next(iter(docs.values())) if len(docs) == 1 else docs))
    return 0


def _bench_part(args: argparse.Namespace, name: str, **run_args: Any) -> dict[str, Any]:
    """Run one of the suite's modular parts (:mod:`tensorbond_bench.dynamic`,
    :mod:`tensorbond_bench.tt`), write its results and print its tables."""
    from . import dynamic, scaleout, tt, variational
    from .paths import default_out_dir

    part = {"dynamic": dynamic, "tt": tt, "variational": variational, "scaleout": scaleout}[name]
    doc = part.run(
        quick=args.quick, repeats=None if args.repeats == 3 else args.repeats, **run_args
    )
    written = part.write(doc, args.out or default_out_dir())
    if not args.json:
        print(part.render_markdown(doc))
    print(f"wrote {written['json']}, {written['md']}", file=sys.stderr)
    return doc


def _bench_circuits(args: argparse.Namespace) -> dict[str, Any]:
    from .model import CONTESTANT_NAMES
    from .paths import default_out_dir, find_shared
    from .report import render_markdown, write_outputs
    from .runner import Settings, run_suite
    from .workloads import default_workloads, select_workloads

    shared = find_shared(args.shared)
    workloads = select_workloads(default_workloads(shared, quick=args.quick), args.only)
    if args.list:
        for w in workloads:
            print(f"{w.name:45s} {w.group:10s} {w.source}")
        return {}
    limit = args.time_limit if args.time_limit is not None else (5.0 if args.quick else 60.0)
    settings = Settings(
        quick=args.quick,
        repeats=args.repeats,
        time_limit_s=limit,
        reference_budget_s=10.0 if args.quick else 60.0,
        memory=not args.no_memory,
        contestants=tuple(args.contestants or CONTESTANT_NAMES),
        only=tuple(args.only or ()),
    )
    doc = run_suite(workloads, settings=settings, progress=not args.no_progress)
    written = write_outputs(doc, args.out or default_out_dir(), plots=not args.no_plots)
    if written["plot_error"]:
        print(f"tensorbond bench: {written['plot_error']}", file=sys.stderr)
    if not args.json:
        print(render_markdown(doc))
    print(
        f"wrote {written['json']}, {written['md']}"
        + (f" and {len(written['plots'])} plots" if written["plots"] else ""),
        file=sys.stderr,
    )
    return doc


def main(argv: Sequence[str] | None = None, *, prog: str = "tensorbond bench") -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``) and run the suite; the exit status.

    Errors (a missing data folder, a pattern matching no workload, ...) print
    ``<prog>: error: ...`` to stderr and return 2, as ``tensorbond`` does.
    """
    args = build_parser(prog).parse_args(argv)
    try:
        return run(args)
    except BrokenPipeError:
        # The reader (e.g. `| head`) has closed the pipe: stop quietly.
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
    ) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
