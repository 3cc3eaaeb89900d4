"""The results as JSON and markdown: the dated files, the ``latest`` copies, the parts."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .model import _RELIABLE_REFERENCE, CONTESTANT_NAMES, _describe, _jsonable
from .plots import PLOT_NAMES, make_plots


def _fmt_t(t: float | None) -> str:
    if t is None:
        return "-"
    return f"{t:.3g}"


def _fmt_f(f: float | None) -> str:
    if f is None:
        return "-"
    if f >= 0.9999995 and f <= 1.0000005:
        return "1"
    return f"{f:.6g}" if f > 0.999 else f"{f:.3g}"


def _cell(r: dict[str, Any] | None) -> str:
    if r is None:
        return "-"
    if r["status"] != "ok":
        return f"({r['status']})"
    return _fmt_t(r["median_s"])


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b <= 0:
        return "-"
    q = a / b
    return f"{q:.3g}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def render_markdown(doc: dict[str, Any], *, plots: Sequence[tuple[str, str]] = ()) -> str:
    """The results as markdown: header, time, accuracy and memory tables, failures.

    ``plots`` are ``(title, relative path)`` pairs embedded at the end.
    """
    m = doc["machine"]
    v = m.get("versions", {})
    s = doc["settings"]
    git = m.get("git") or {}
    names = list(s["contestants"])
    others = [c for c in names if c != "tensorbond"] if "tensorbond" in names else []
    wls = doc["workloads"]

    def res(wd: dict[str, Any], c: str) -> dict[str, Any]:
        return wd["results"].get(c) or {}

    def ok(wd: dict[str, Any], c: str, key: str) -> Any:
        r = res(wd, c)
        return r.get(key) if r.get("status") == "ok" else None

    lines = [
        f"# tensorbond benchmark, {doc['created'][:10]}, git {git.get('short') or '?'}"
        + (" (uncommitted changes)" if git.get("dirty") else ""),
        "",
        (
            f"{m.get('cpu_model')} ({m.get('cpu_count')} cores), {m.get('platform')}, "
            f"Python {m.get('python')}; tensorbond {v.get('tensorbond')}, numpy "
            f"{v.get('numpy')}, quimb {v.get('quimb')}, qiskit-aer {v.get('qiskit-aer')}. "
            f"{'The quick subset; ' if s['quick'] else ''}{s['repeats']} timed repetitions,"
            f" one thread, time limit {s['time_limit_s']:g} s per run; suite wall time "
            f"{doc.get('wall_time_s', 0):.0f} s."
        ),
        "",
        doc["method"],
        "",
        "## Time",
        "",
        (
            "Median seconds (minimum and every repetition in the JSON); `x/tb` is x's "
            "median over tensorbond's, `tb/floor` tensorbond's over the floor (the "
            "better of the SVD and GEMM floors; both in the JSON)."
        ),
        "",
    ]
    header = [
        "workload",
        "qubits",
        "max_bond",
        *names,
        "floor",
        *(f"{c}/tb" for c in others),
    ] + (["tb/floor"] if others else [])
    rows = []
    for wd in wls:
        w = wd["workload"]
        tbm = ok(wd, "tensorbond", "median_s")
        row = [
            w["name"],
            str(wd.get("num_qubits") or "-"),
            str(w["max_bond"]) if w["max_bond"] else "-",
        ]
        row += [_cell(wd["results"].get(c)) for c in names]
        row.append(_fmt_t(wd.get("floor_s")))
        row += [_ratio(ok(wd, c, "median_s"), tbm) for c in others]
        if others:
            row.append(_ratio(tbm, wd.get("floor_s")))
        rows.append(row)
    lines += _table(header, rows)
    lines += [
        "",
        "## Accuracy",
        "",
        (
            "F est.: the tool's own fidelity estimate (quimb's is unreliable, aer reports "
            "none; for the kernel, the weight the split kept). F true: the fidelity "
            "against the reference state. Bond: the largest bond reached (tensorbond), the "
            "final largest bond (the others)."
        ),
        "",
    ]
    header = [
        "workload",
        *(f"{c} F est." for c in names if c in ("tensorbond", "quimb")),
        *(f"{c} F true" for c in names),
        *(f"{c} bond" for c in names),
        "reference",
    ]
    rows = []
    for wd in wls:
        row = [wd["workload"]["name"]]
        row += [
            _fmt_f(ok(wd, c, "fidelity_estimate")) for c in names if c in ("tensorbond", "quimb")
        ]
        ref = wd.get("reference")
        mark = " †" if ref and ref["fidelity_estimate"] < _RELIABLE_REFERENCE else ""
        row += [
            _fmt_f(f) + (mark if f is not None else "")
            for f in (ok(wd, c, "true_fidelity") for c in names)
        ]
        for c in names:
            b = ok(wd, c, "max_bond_reached") or ok(wd, c, "max_bond_final")
            row.append(str(b) if b is not None else "-")
        if ref:
            row.append(
                f"tensorbond, max_bond {ref['max_bond'] or 'none'}, F est. "
                f"{_fmt_f(ref['fidelity_estimate'])}"
            )
        elif wd["workload"]["kind"] == "circuit":
            row.append("none")
        else:
            row.append("n/a")
        rows.append(row)
    lines += _table(header, rows)
    if any(
        wd.get("reference") and wd["reference"]["fidelity_estimate"] < _RELIABLE_REFERENCE
        for wd in wls
    ):
        lines += [
            "",
            (
                f"†: the reference state is itself truncated (its F est. is below "
                f"{_RELIABLE_REFERENCE:g}), so this F true compares two approximations "
                "and says little about either."
            ),
        ]
    notes = sorted({wd.get("reference_note") for wd in wls if wd.get("reference_note")})
    if notes:
        lines += [
            "",
            "Workloads without a reference: "
            + "; ".join(
                f"{wd['workload']['name']}: {wd['reference_note']}"
                for wd in wls
                if wd.get("reference_note")
            )
            + ".",
        ]
    lines += [
        "",
        "## Memory",
        "",
        (
            "Peak resident growth (MiB) of one run in the tool's fresh process, and the "
            "bytes of tensorbond's state."
        ),
        "",
    ]
    rows = []
    for wd in wls:
        row = [wd["workload"]["name"]]
        for c in names:
            b = res(wd, c).get("peak_rss_bytes")
            row.append(f"{b / 2**20:.3g}" if b is not None else "-")
        sb = ok(wd, "tensorbond", "state_bytes")
        row.append(f"{sb / 2**20:.3g}" if sb is not None else "-")
        rows.append(row)
    lines += _table(["workload", *names, "tensorbond state MiB"], rows)
    fails = [
        (wd["workload"]["name"], c, r)
        for wd in wls
        for c, r in wd["results"].items()
        if r["status"] != "ok"
    ]
    lines += ["", "## Contestants that did not run", ""]
    if fails:
        lines += _table(
            ["workload", "contestant", "status", "reason"],
            [
                [wn, c, r["status"], (r.get("reason") or "").replace("|", "\\|")]
                for wn, c, r in fails
            ],
        )
    else:
        lines.append("None: every contestant ran every workload.")
    if plots:
        lines += ["", "## Plots", ""]
        for title, path in plots:
            lines += [f"![{title}]({path})", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_outputs(
    doc: dict[str, Any],
    out_dir: str | os.PathLike[str],
    *,
    plots: bool = True,
    latest: bool | None = None,
) -> dict[str, Any]:
    """Write ``<date>-<sha>.json``, ``.md`` and PNGs (and the ``latest*`` copies).

    Quick runs get a ``-quick`` suffix, runs of selected workloads or
    contestants a ``-partial`` one; ``latest`` (default: neither of them) also
    copies the files to ``latest.json``, ``latest.md`` and ``latest-*.png``. Returns
    ``{"json", "md", "plots", "latest", "plot_error"}`` (paths as strings).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    git = doc["machine"].get("git") or {}
    st = doc["settings"]
    stem = f"{doc['created'][:10]}-{git.get('short') or 'nogit'}"
    if st.get("quick"):
        stem += "-quick"
    partial = bool(st.get("only")) or set(st.get("contestants", ())) != set(CONTESTANT_NAMES)
    if partial:
        stem += "-partial"
    if latest is None:
        latest = not st.get("quick") and not partial
    written: dict[str, Any] = {"plots": [], "latest": [], "plot_error": None}
    pngs: list[Path] = []
    if plots:
        try:
            pngs = make_plots(doc, out / stem)
        except ImportError as exc:
            written["plot_error"] = f"no plots: {exc} (pip install matplotlib)"
        except Exception as exc:
            written["plot_error"] = f"plotting failed: {_describe(exc)}"
    titles = dict(
        zip(
            PLOT_NAMES,
            (
                "time against max_bond",
                "time ratio per workload",
                "fidelity against time",
            ),
            strict=False,
        )
    )
    jpath = out / f"{stem}.json"
    jpath.write_text(json.dumps(_jsonable(doc), indent=1) + "\n", encoding="utf-8")
    mpath = out / f"{stem}.md"
    mpath.write_text(
        render_markdown(doc, plots=[(titles[p.name[len(stem) + 1 : -4]], p.name) for p in pngs]),
        encoding="utf-8",
    )
    written["json"], written["md"] = str(jpath), str(mpath)
    written["plots"] = [str(p) for p in pngs]
    if latest:
        for p in pngs:
            dst = out / f"latest-{p.name[len(stem) + 1 :]}"
            shutil.copyfile(p, dst)
            written["latest"].append(str(dst))
        shutil.copyfile(jpath, out / "latest.json")
        (out / "latest.md").write_text(
            render_markdown(
                doc,
                plots=[
                    (
                        titles[p.name[len(stem) + 1 : -4]],
                        f"latest-{p.name[len(stem) + 1 :]}",
                    )
                    for p in pngs
                ],
            ),
            encoding="utf-8",
        )
        written["latest"] += [str(out / "latest.json"), str(out / "latest.md")]
    return written


def write_part(
    doc: dict[str, Any], out_dir: str | os.PathLike[str], stem: str, markdown: str
) -> dict[str, Path]:
    """Write a suite part's ``<stem>.md`` and ``<stem>.json`` (``-quick``
    suffixed for quick runs) to ``out_dir``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if doc.get("quick"):
        stem += "-quick"
    md, js = out / f"{stem}.md", out / f"{stem}.json"
    md.write_text(markdown)
    js.write_text(json.dumps(doc, indent=1))
    return {"md": md, "json": js}
