"""The PNG plots: time against max_bond, the time ratios, fidelity against time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PLOT_NAMES = ("time_vs_bond", "speedup", "fidelity_vs_time")
_COLORS = {"tensorbond": "C0", "quimb": "C1", "aer": "C2", "aer_lapack": "C3"}


def _save_figure(fig: Any, path: Path) -> Path:
    """Plain tick labels on log axes, tight layout, write, close."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    for a in fig.axes:
        a.xaxis.set_minor_formatter(NullFormatter())
        a.yaxis.set_minor_formatter(NullFormatter())
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def make_plots(doc: dict[str, Any], prefix: Path) -> list[Path]:
    """Write ``<prefix>-time_vs_bond.png``, ``-speedup.png``, ``-fidelity_vs_time.png``.

    Raises
    ------
    ImportError
        Without matplotlib.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(doc["settings"]["contestants"])
    wls = doc["workloads"]
    written = []

    # time vs max_bond for the families swept over max_bond
    fams: dict[str, list[dict[str, Any]]] = {}
    for wd in wls:
        fams.setdefault(wd["workload"]["family"], []).append(wd)
    sweeps = {
        f: ws
        for f, ws in fams.items()
        if len({wd["workload"]["max_bond"] for wd in ws}) > 1
        and all(wd["workload"]["kind"] != "sampling" for wd in ws)
    }
    path = Path(f"{prefix}-time_vs_bond.png")
    fig, axes = plt.subplots(
        1, max(1, len(sweeps)), figsize=(5 * max(1, len(sweeps)), 4), squeeze=False
    )
    for ax, (fam, ws) in zip(axes[0], sweeps.items(), strict=False):
        ws = sorted(ws, key=lambda wd: wd["workload"]["max_bond"])
        for c in names:
            pts = [
                (wd["workload"]["max_bond"], wd["results"][c]["median_s"])
                for wd in ws
                if c in wd["results"] and wd["results"][c]["status"] == "ok"
            ]
            if pts:
                ax.plot(*zip(*pts, strict=False), "o-", label=c, color=_COLORS.get(c))
        pts = [(wd["workload"]["max_bond"], wd["floor_s"]) for wd in ws if wd.get("floor_s")]
        if pts:
            ax.plot(*zip(*pts, strict=False), "k--", label="floor")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("max_bond")
        ax.set_ylabel("seconds (median)")
        ax.set_title(fam)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    if not sweeps:
        axes[0][0].text(0.5, 0.5, "no max_bond sweep in this run", ha="center")
        axes[0][0].set_axis_off()
    written.append(_save_figure(fig, path))

    # speedup of tensorbond over each other tool, per workload
    others = [c for c in names if c != "tensorbond"]
    path = Path(f"{prefix}-speedup.png")
    labels = [wd["workload"]["name"] for wd in wls]
    fig, ax = plt.subplots(
        figsize=(min(22.0, max(6.0, 2 + 0.18 * len(labels) * max(1, len(others)))), 5)
    )
    width = 0.8 / max(1, len(others))
    for j, c in enumerate(others):
        xs, ys = [], []
        for i, wd in enumerate(wls):
            rt = wd["results"].get("tensorbond") or {}
            rc = wd["results"].get(c) or {}
            if rt.get("status") == "ok" and rc.get("status") == "ok" and rt["median_s"]:
                xs.append(i + (j - (len(others) - 1) / 2) * width)
                ys.append(rc["median_s"] / rt["median_s"])
        ax.bar(xs, ys, width=width, label=f"{c} / tensorbond", color=_COLORS.get(c))
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("time ratio (>1: tensorbond faster)")
    ax.legend(fontsize=8)
    ax.grid(True, axis="y", which="both", alpha=0.3)
    written.append(_save_figure(fig, path))

    # fidelity vs time: the circuit sweeps as lines, the other circuits as points
    path = Path(f"{prefix}-fidelity_vs_time.png")
    circ_sweeps = {
        f: ws for f, ws in sweeps.items() if all(wd["workload"]["kind"] == "circuit" for wd in ws)
    }
    panels = [
        *circ_sweeps.items(),
        (
            "other circuits",
            [
                wd
                for wd in wls
                if wd["workload"]["kind"] == "circuit"
                and wd["workload"]["family"] not in circ_sweeps
            ],
        ),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.2), squeeze=False)
    for ax, (title, ws) in zip(axes[0], panels, strict=False):
        ws = sorted(ws, key=lambda wd: wd["workload"]["max_bond"] or 0)
        for c in names:
            true_pts, est_pts = [], []
            for wd in ws:
                r = wd["results"].get(c) or {}
                if r.get("status") != "ok":
                    continue
                if r.get("true_fidelity") is not None:
                    true_pts.append((r["median_s"], max(1e-16, 1 - r["true_fidelity"])))
                elif c == "tensorbond" and r.get("fidelity_estimate") is not None:
                    est_pts.append((r["median_s"], max(1e-16, 1 - r["fidelity_estimate"])))
            style = "o-" if title in circ_sweeps else "o"
            if true_pts:
                ax.plot(
                    *zip(*true_pts, strict=False), style, label=c, color=_COLORS.get(c), alpha=0.8
                )
            if est_pts:
                ax.plot(
                    *zip(*est_pts, strict=False),
                    "o",
                    mfc="none",
                    color=_COLORS.get(c),
                    label=f"{c} (own estimate)",
                )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("seconds (median)")
        ax.set_ylabel("1 - fidelity (floored at 1e-16)")
        ax.set_title(title if title not in circ_sweeps else f"{title}, max_bond sweep")
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    written.append(_save_figure(fig, path))
    return written
