"""The compression part of the benchmark suite: TT-matrix forward against the
GEMM-rate ideal, dense and tensorly-torch; TT-SVD against tensorly; and what
``compress(objective="latency")`` buys against ``objective="size"``.

Single-threaded (BLAS pinned to one thread for every tool, torch too), medians
over repeats with the contestants interleaved (round i takes one sample of each
contestant; a sample averages enough back-to-back calls to last 2 ms). Run as
``tensorbond bench --suite compression`` (part of a plain ``tensorbond bench``);
writes ``compression.md`` and ``compression.json`` to the results folder.

- **GEMM rate**: multiply-adds per second of numpy's ``x @ W.T`` for x
  (256, 1024) and W (1024, 1024) in the benchmark dtype, the same BLAS
  (OpenBLAS) tensorbond links; measured interleaved with everything else.
- **ideal**: ``tt.macs(batch) / GEMM rate``: the time the plan's multiply-adds
  (the cheapest order tensorbond found for that batch) take at that rate.
- **tensorly-torch**: ``tltorch.FactorizedLinear(..., factorization="blocktt")``
  holding the same cores, ``implementation="factorized"`` (one ``torch.einsum``
  over the network) and ``"reconstructed"`` (rebuild W, then ``F.linear``),
  under ``torch.no_grad()``.
- **TT-SVD**: ``TTMatrix.from_dense`` against ``tensorly.decomposition.
  tensor_train_matrix`` at the same modes and ranks (max_bond = rank), float64.
- **objective**: a four-layer 1024-wide model whose weights have the structure
  trained layers show (decaying spectra, Kronecker-like blocks, noise),
  compressed at the same ratio with ``objective="size"`` and ``"latency"``; the
  forward of every layer in its chosen format is timed against the dense layers.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

import tensorbond as tb

from . import environment
from .report import write_part

N = 1024
FORWARD_MODES = [(32, 32), (8, 8, 16)]
RANKS = [8, 16, 32]
BATCHES = [1, 32, 256]
SVD_CASES = [((8, 8, 8, 8), 16), ((16, 16, 16), 32)]


def interleaved(
    contestants: dict, repeats: int, min_sample: float = 0.002, warmup: bool = True
) -> dict[str, float]:
    """Median seconds per call for each contestant.

    Each sample is the mean of ``number`` back-to-back calls, ``number`` chosen
    per contestant so that a sample lasts at least ``min_sample`` seconds (as
    timeit does: steady state, warm caches); round i takes one sample of every
    contestant in turn, so slow drifts of the machine hit all alike. Without
    ``warmup`` (long calls) every sample is one call and nothing runs untimed.
    """
    number = dict.fromkeys(contestants, 1)
    for name, fn in contestants.items():  # warm-up (workspaces, plans) and calibration
        if not warmup:
            break
        fn()
        t0 = time.perf_counter()
        fn()
        number[name] = max(1, int(min_sample / max(time.perf_counter() - t0, 1e-7)))
    times: dict[str, list[float]] = {name: [] for name in contestants}
    for _ in range(repeats):
        for name, fn in contestants.items():
            k = number[name]
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            times[name].append((time.perf_counter() - t0) / k)
    return {name: statistics.median(ts) for name, ts in times.items()}


def random_cores(rng, modes, rank, dtype):
    d = len(modes)
    r = [1] + [rank] * (d - 1) + [1]
    return [
        (rng.standard_normal((r[k], m, m, r[k + 1])) / np.sqrt(r[k] * m)).astype(dtype)
        for k, m in enumerate(modes)
    ]


def tltorch_layer(modes, cores, impl):
    """A FactorizedLinear holding our cores, or the reason it cannot run."""
    try:
        import tltorch
        import torch
    except ImportError as exc:  # optional contestant
        return None, f"tensorly-torch not importable ({exc.name})"
    torch.set_num_threads(1)
    layer = tltorch.FactorizedLinear(
        modes,
        modes,
        bias=False,
        factorization="blocktt",
        rank=cores[0].shape[3],
        implementation=impl,
    )
    with torch.no_grad():
        for f, c in zip(layer.weight.factors, cores, strict=True):
            if tuple(f.shape) != c.shape:
                return None, f"tltorch factor shape {tuple(f.shape)} != {c.shape}"
            f.copy_(torch.from_numpy(c))
    return layer, ""


def bench_forward(dtype, repeats, quick):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((N, N)).astype(dtype)
    x256 = rng.standard_normal((256, N)).astype(dtype)
    rows, notes = [], []
    modes_list = FORWARD_MODES[:1] if quick else FORWARD_MODES
    ranks = RANKS[1:2] if quick else RANKS
    for modes in modes_list:
        for rank in ranks:
            cores = random_cores(rng, modes, rank, dtype)
            tt = tb.TTMatrix.from_cores(cores)
            # LowRank with about the TT's parameter count, for comparison
            lr_rank = max(1, round(tt.num_params / (2 * N)))
            lr = tb.LowRank.from_factors(
                rng.standard_normal((N, lr_rank)).astype(dtype),
                rng.standard_normal((lr_rank, N)).astype(dtype),
            )
            wt = tt.to_dense()
            layers = {}
            for impl in ("factorized", "reconstructed"):
                layer, why = tltorch_layer(modes, cores, impl)
                layers[impl] = layer
                if why and why not in notes:
                    notes.append(why)
            for batch in BATCHES:
                x = rng.standard_normal((batch, N)).astype(dtype)
                cont = {
                    "gemm256": lambda: x256 @ w.T,
                    "tb": lambda x=x, tt=tt: tt.forward(x),
                    "dense": lambda x=x, wt=wt: x @ wt.T,
                    "lowrank": lambda x=x, lr=lr: lr.forward(x),
                }
                if layers["factorized"] is not None:
                    import torch

                    xt = torch.from_numpy(x)

                    def run_torch(layer, xt=xt):
                        with torch.no_grad():
                            return layer(xt)

                    for impl, layer in layers.items():
                        cont[f"tltorch_{impl}"] = lambda layer=layer: run_torch(layer)
                med = interleaved(cont, repeats)
                rate = 256 * N * N / med["gemm256"]
                plan = tt.plan(batch)
                ideal = plan.macs / rate
                y = tt.forward(x)
                err = float(np.abs(y - x @ wt.T).max() / np.abs(x @ wt.T).max())
                if layers["factorized"] is not None:
                    yt = run_torch(layers["factorized"]).numpy()
                    err_tl = float(np.abs(yt - y).max() / np.abs(y).max())
                else:
                    err_tl = None
                rows.append(
                    {
                        "modes": list(modes),
                        "rank": rank,
                        "batch": batch,
                        "num_params": tt.num_params,
                        "lowrank_rank": lr_rank,
                        "plan": [plan.sweep, [list(g) for g in plan.groups]],
                        "macs": plan.macs,
                        "gemm_rate_macs_per_s": rate,
                        "ideal_s": ideal,
                        "tb_s": med["tb"],
                        "dense_s": med["dense"],
                        "lowrank_s": med["lowrank"],
                        "tltorch_factorized_s": med.get("tltorch_factorized"),
                        "tltorch_reconstructed_s": med.get("tltorch_reconstructed"),
                        "max_rel_diff_vs_dense": err,
                        "max_rel_diff_tltorch": err_tl,
                    }
                )
                print(
                    f"forward {modes} r={rank} batch={batch}: tb {med['tb'] * 1e3:.3f} ms, "
                    f"ideal {ideal * 1e3:.3f} ms ({med['tb'] / ideal:.2f}x)",
                    flush=True,
                )
    return rows, notes


def bench_svd(repeats, quick):
    try:
        import tensorly as tl
        from tensorly.decomposition import tensor_train_matrix
    except ImportError as exc:
        return [], [f"tensorly not importable ({exc.name}): TT-SVD comparison skipped"]
    tl.set_backend("numpy")  # tltorch switches the global backend to pytorch
    rng = np.random.default_rng(1)
    n = 4096
    w = rng.standard_normal((n, n))
    rows = []
    for modes, rank in SVD_CASES[:1] if quick else SVD_CASES:
        d = len(modes)
        ours = {}
        theirs = {}

        def run_tb(modes=modes, rank=rank, ours=ours):
            ours["tt"] = tb.TTMatrix.from_dense(w, in_modes=modes, out_modes=modes, max_bond=rank)

        def run_tl(modes=modes, rank=rank, d=d, theirs=theirs):
            theirs["tt"] = tensor_train_matrix(
                w.reshape(*modes, *modes), rank=[1] + [rank] * (d - 1) + [1]
            )

        med = interleaved({"tb": run_tb, "tensorly": run_tl}, repeats, warmup=False)
        factors = [np.asarray(f) for f in theirs["tt"].factors]
        tl_err = ours["tt"].error(tb.TTMatrix.from_cores(factors).to_dense())
        rows.append(
            {
                "shape": [n, n],
                "modes": list(modes),
                "rank": rank,
                "ranks": list(ours["tt"].bond_dims),
                "tensorly_ranks": [f.shape[3] for f in factors[:-1]],
                "tb_s": med["tb"],
                "tensorly_s": med["tensorly"],
                "tb_rel_error": ours["tt"].error(w),
                "tensorly_rel_error": tb.TTMatrix.from_cores(factors).error(w),
                "rel_diff_of_reconstructions": tl_err,
            }
        )
        print(
            f"tt-svd {modes} r={rank}: tb {med['tb']:.2f} s, tensorly {med['tensorly']:.2f} s",
            flush=True,
        )
    return rows, []


def machine():
    info = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "numpy": np.__version__,
        "tensorbond": tb.__version__,
    }
    try:
        info["cpu"] = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        info["cores"] = os.cpu_count()
    except (OSError, StopIteration):
        pass
    for mod in ("tensorly", "torch", "tltorch"):
        try:
            info[mod] = __import__(mod).__version__
        except ImportError:
            info[mod] = None
    info["git"] = environment._git_revision()["short"]  # of the tensorbond measured
    return info


def fmt(v, scale=1e3, digits=3):
    return "-" if v is None else f"{v * scale:.{digits}f}"


def markdown(fwd, svd, objectives, notes, info, dtype):
    out = [
        "# TT-matrix figures",
        "",
        (
            f"`tensorbond bench --suite compression` on {info.get('cpu', '?')} "
            f"({info.get('cores')} cores), "
            f"git {info.get('git')}, numpy {info['numpy']}, tensorly {info['tensorly']}, "
            f"torch {info['torch']}, tensorly-torch {info['tltorch']}. Single-threaded, "
            "medians of interleaved samples (each the mean of back-to-back calls lasting "
            ">= 2 ms, warm caches; the TT-SVD samples are single calls)."
        ),
        "",
        f"## Forward pass, 1024x1024, {dtype}, y = x @ W.T for x (batch, 1024)",
        "",
        (
            "ideal = multiply-adds of tensorbond's plan / GEMM rate (numpy x @ W.T, "
            "256x1024x1024, same run). Times in ms. tltorch f / r = tensorly-torch "
            "BlockTT layer, factorized / reconstructed implementation, same cores. "
            "LowRank: rank chosen for the TT's parameter count."
        ),
        "",
        (
            "| modes | rank | batch | params | plan | MACs | GEMM GMAC/s | ideal | tensorbond "
            "| tb/ideal | dense | tltorch f | tltorch r | tltorch best/tb | LowRank (rank) |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in fwd:
        groups = "".join("(" + ",".join(map(str, g)) + ")" for g in r["plan"][1])
        tl_times = [t for t in (r["tltorch_factorized_s"], r["tltorch_reconstructed_s"]) if t]
        tl_ratio = f"{min(tl_times) / r['tb_s']:.2f}" if tl_times else "-"
        out.append(
            f"| {tuple(r['modes'])} | {r['rank']} | {r['batch']} | {r['num_params']} | "
            f"{r['plan'][0][0].upper()} {groups} | {r['macs'] / 1e6:.2f}M | "
            f"{r['gemm_rate_macs_per_s'] / 1e9:.1f} | {fmt(r['ideal_s'])} | "
            f"{fmt(r['tb_s'])} | {r['tb_s'] / r['ideal_s']:.2f} | {fmt(r['dense_s'])} | "
            f"{fmt(r['tltorch_factorized_s'])} | {fmt(r['tltorch_reconstructed_s'])} | "
            f"{tl_ratio} | {fmt(r['lowrank_s'])} ({r['lowrank_rank']}) |"
        )
    out += [
        "",
        (
            "Plan: L/R = left-to-right / right-to-left sweep; groups of cores merged before "
            "the sweep, e.g. (0,1,2) = the dense product (merging costs MACs once per call)."
        ),
        "",
        "## TT-SVD, 4096x4096 float64, max_bond = rank",
        "",
        (
            "| modes | rank | ranks | tensorbond s | tensorly s | tensorly/tb | tb rel. error "
            "| tensorly rel. error |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in svd:
        out.append(
            f"| {tuple(r['modes'])} | {r['rank']} | {tuple(r['ranks'])} | {r['tb_s']:.2f} | "
            f"{r['tensorly_s']:.2f} | {r['tensorly_s'] / r['tb_s']:.2f} | "
            f"{r['tb_rel_error']:.10f} | {r['tensorly_rel_error']:.10f} |"
        )
    if objectives:
        out += [
            "",
            "## compress(objective=...) at ratio 4, four 1024x1024 layers",
            "",
            (
                "Two layers with a 1/k spectrum, two Kronecker-like (TT rank 4) plus 5% "
                "noise; float32. MACs: the chosen formats' multiply-adds per row (at the "
                "batch compress was told); times in ms for all four layers."
            ),
            "",
            (
                "| objective | batch | formats | ratio | weighted error | MACs/row (dense) "
                "| dense ms | compressed ms | speed-up |"
            ),
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in objectives:
            out.append(
                f"| {r['objective']} | {r['batch']} | {' '.join(r['formats'])} | "
                f"{r['ratio']:.2f} | {r['weighted_error']:.4f} | {r['macs'] / 1e6:.2f}M "
                f"({r['dense_macs'] / 1e6:.2f}M) | {fmt(r['dense_s'])} | "
                f"{fmt(r['compressed_s'])} | {r['dense_s'] / r['compressed_s']:.2f}x |"
            )
    if notes:
        out += ["", "Not run: " + "; ".join(notes) + "."]
    return "\n".join(out) + "\n"


def bench_objectives(dtype: Any, repeats: int, quick: bool) -> list[dict[str, Any]]:
    """The same model compressed for size and for latency, forward timed per batch."""
    rng = np.random.default_rng(3)
    n = 1024
    weights: dict[str, np.ndarray] = {}
    for k in range(4):
        if k % 2 == 0:  # a decaying spectrum: low-rank territory
            u, _ = np.linalg.qr(rng.standard_normal((n, n)))
            v, _ = np.linalg.qr(rng.standard_normal((n, n)))
            s = np.arange(1, n + 1, dtype=float) ** -1.0
            w = (u * s) @ v.T
        else:  # Kronecker-like blocks plus noise: TT territory
            cores = random_cores(rng, (32, 32), 4, np.float64)
            w = tb.TTMatrix.from_cores(cores).to_dense()
            w += 0.05 * np.linalg.norm(w) / n * rng.standard_normal((n, n))
        weights[f"layer{k}"] = w.astype(dtype)
    batches = [1, 256]
    rows = []
    for objective in ("size", "latency"):
        for batch in batches:
            small, rep = tb.compress(
                weights,
                ratio=4,
                objective=objective,
                batch=batch,
                formats=("dense", "lowrank", "tt"),
            )
            x = rng.standard_normal((batch, n)).astype(dtype)
            dense_layers = list(weights.values())
            comp_layers = [small[k] for k in weights]

            def dense_fwd(x: np.ndarray = x, dense_layers: list = dense_layers) -> None:
                for w in dense_layers:
                    x @ w.T

            def comp_fwd(x: np.ndarray = x, comp_layers: list = comp_layers) -> None:
                for layer in comp_layers:
                    layer.forward(x) if hasattr(layer, "forward") else x @ layer.T

            med = interleaved(
                {"dense": dense_fwd, "compressed": comp_fwd},
                max(3, repeats // 2) if quick else repeats,
            )
            rows.append(
                {
                    "objective": objective,
                    "batch": batch,
                    "ratio": rep.ratio,
                    "weighted_error": rep.weighted_error,
                    "formats": [
                        f"{l.format}{l.bond_dims if l.bond_dims else ''}" for l in rep.layers
                    ],
                    "macs": sum(l.macs for l in rep.layers),
                    "dense_macs": sum(l.dense_macs for l in rep.layers),
                    "dense_s": med["dense"],
                    "compressed_s": med["compressed"],
                }
            )
            print(
                f"objective={objective} batch={batch}: {rows[-1]['formats']} "
                f"{med['dense'] / med['compressed']:.2f}x faster than dense",
                flush=True,
            )
            if quick:
                break
    return rows


def run(
    *, quick: bool = False, dtype: str = "float32", repeats: int | None = None
) -> dict[str, Any]:
    """Run the compression benchmarks; returns the JSON-ready results."""
    pin_notes = environment.pin_threads(())
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    dt = np.dtype(dtype)
    fwd_rep = repeats or (5 if quick else 15)
    svd_rep = repeats or (3 if quick else 5)
    svd, svd_notes = bench_svd(svd_rep, quick)  # before tltorch changes backends
    objectives = bench_objectives(dt, fwd_rep, quick)
    fwd, notes = bench_forward(dt, fwd_rep, quick)
    return {
        "machine": machine(),
        "dtype": dt.name,
        "quick": quick,
        "forward": fwd,
        "tt_svd": svd,
        "objective": objectives,
        "notes": pin_notes + notes + svd_notes,
    }


def render_markdown(doc: dict[str, Any]) -> str:
    """The results as markdown tables."""
    return markdown(
        doc["forward"],
        doc["tt_svd"],
        doc.get("objective", []),
        doc["notes"],
        doc["machine"],
        doc["dtype"],
    )


def write(doc: dict[str, Any], out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``compression.md`` and ``compression.json`` (``-quick`` suffixed for quick
    runs) to ``out_dir``; returns their paths."""
    return write_part(doc, out_dir, "compression", render_markdown(doc))
