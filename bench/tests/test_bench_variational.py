"""The variational part of the suite (``tensorbond_bench.variational``): its quick
run writes the files with the expected keys, finite ratios, and contestants that
agree with tensorbond at full bond. Never its timings."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import tensorbond as tb
from tensorbond.cli import main
from tensorbond_bench import environment
from tensorbond_bench import variational as bv

ROW_KEYS = {
    "contestant",
    "timed",
    "how",
    "status",
    "times_s",
    "median_s",
    "min_s",
    "extrapolated",
    "ratio",
    "max_abs_diff_value",
    "max_abs_diff_grad",
    "agrees",
    "notes",
}
SECTIONS = ["gradient_mps", "gradient_mps_small", "gradient_exact", "sweep"]


@pytest.fixture(autouse=True)
def _no_parent_pinning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the test process's thread settings."""
    monkeypatch.setattr(environment, "pin_threads", lambda tools=(): [])


@pytest.fixture(scope="module")
def quick_doc() -> dict:
    pytest.importorskip("qiskit_aer")
    return bv.run(quick=True, repeats=1)


def test_quick_run_has_every_section_and_agrees(quick_doc: dict) -> None:
    assert [s["name"] for s in quick_doc["sections"]] == SECTIONS
    for s in quick_doc["sections"]:
        assert s["rows"][0]["contestant"].startswith("tensorbond")
        assert s["rows"][0]["ratio"] == pytest.approx(1.0)
        for r in s["rows"]:
            assert set(r) >= ROW_KEYS, (s["name"], r["contestant"])
            if r["status"] != "ok":
                # only optional tools may be missing; nothing may fail
                assert r["status"].startswith("unavailable"), (r["contestant"], r["status"])
                continue
            assert r["median_s"] > 0 and math.isfinite(r["ratio"]), r["contestant"]
            assert r["agrees"] is True, (s["name"], r["contestant"], r["notes"])
    mps = quick_doc["sections"][0]
    assert math.isfinite(mps["adjoint_over_forward"]) and mps["adjoint_over_forward"] > 0
    pl = [r for r in mps["rows"] if r["contestant"] == "PennyLane default.tensor"]
    if pl and pl[0]["status"] == "ok":  # one evaluation timed, the gradient extrapolated
        assert pl[0]["extrapolated"]
        assert pl[0]["median_s"] == pytest.approx(2 * mps["parameters"] * pl[0]["forward_median_s"])


def test_quick_run_writes_json_and_markdown(quick_doc: dict, tmp_path: Path) -> None:
    written = bv.write(quick_doc, tmp_path)
    assert written["json"].name == "variational-quick.json"
    assert written["md"].name == "variational-quick.md"
    doc = json.loads(written["json"].read_text())
    assert set(doc) >= {"machine", "versions", "quick", "repeats", "tolerance", "sections"}
    text = written["md"].read_text()
    for name in SECTIONS:
        assert f"(`{name}`)" in text
    assert "| tensorbond adjoint | gradient |" in text and "**NO**" not in text


def test_workloads_match_their_definitions() -> None:
    # the ansatz: ry on every qubit, cz on even pairs then odd pairs
    layout = bv.hea_layout(4, 2)
    assert [g for g in layout if g[0] == "cz"] == [
        ("cz", (0, 1), None),
        ("cz", (2, 3), None),
        ("cz", (1, 2), None),
    ]
    assert [k for g, _, k in layout if g == "ry"] == list(range(8))
    terms = bv.hamiltonian_terms(3)
    assert terms == [
        (1.0, {0: "Z", 1: "Z"}),
        (1.0, {1: "Z", 2: "Z"}),
        (0.5, {0: "X"}),
        (0.5, {1: "X"}),
        (0.5, {2: "X"}),
    ]
    # the QAOA's <H> at gamma = beta = 0 is that of |+>^n: 0
    c = bv.qaoa(6, 2)
    vals = tb.expectation(c, bv._tb_observable(bv.ring_terms(6)), np.zeros((1, 4))).values
    assert abs(float(vals[0])) < 1e-12
    shifted = bv._shift_points(np.array([0.1, 0.2]))
    assert shifted.shape == (5, 2) and shifted[1, 0] == pytest.approx(0.1 + np.pi / 2)


def test_bad_row_is_flagged() -> None:
    row = bv._row("x", "gradient", "")
    bv._compare(row, 1.0, np.array([0.0, np.nan]), 1.0, np.array([0.0, 0.0]))
    assert row["agrees"] is False and any("NaN" in n for n in row["notes"])
    row = bv._row("x", "gradient", "")
    bv._compare(row, 1.1, None, 1.0, None)
    assert row["agrees"] is False and "DISAGREES" in row["notes"][-1]


def test_cli_variational_rejects_circuit_selectors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--suite", "variational", "--only", "ghz_100"]) == 2
    assert "--suite circuits" in capsys.readouterr().err
