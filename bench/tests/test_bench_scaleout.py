"""The scale-out part of the suite (``tensorbond_bench.scaleout``): ``tensorbond bench
--suite scaleout --quick`` writes the files with the expected keys, finite ratios,
and every executor's results identical to serial. Never its timings."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from tensorbond.cli import main
from tensorbond_bench import environment
from tensorbond_bench import scaleout as so

TIMING_KEYS = {"executor", "times_s", "best_s", "median_s", "identical"}
OVERHEAD_KEYS = {
    "executor",
    "tasks",
    "best_s",
    "tasks_per_s",
    "per_task_ms",
    "one_task_latency_ms",
    "default_chunking_best_s",
    "min_chunk_work_ms",
    "min_work_per_worker_ms_default",
    "results_ok",
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    pytest.importorskip("distributed")
    out = tmp_path_factory.mktemp("scaleout")
    with pytest.MonkeyPatch.context() as mp:
        # keep the test process's thread settings
        mp.setattr(environment, "pin_threads", lambda tools=(): [])
        mp.setenv("TENSORBOND_BENCH_QUIET", "1")
        assert main(["bench", "--suite", "scaleout", "--quick", "--json", "--out", str(out)]) == 0
    return json.loads((out / "scaleout-quick.json").read_text()), out


def test_quick_run_writes_json_and_markdown(quick_run: tuple[dict[str, Any], Path]) -> None:
    doc, out = quick_run
    assert (out / "scaleout-quick.md").is_file()
    assert set(doc) >= {
        "machine",
        "versions",
        "quick",
        "repeats",
        "target_speedup",
        "identical",
        "sections",
        "notes",
    }
    assert doc["quick"] is True
    assert [s["name"] for s in doc["sections"]] == ["simulate", "gradient", "overhead", "bytes"]
    text = (out / "scaleout-quick.md").read_text()
    for name in ("simulate", "gradient", "overhead", "bytes"):
        assert f"(`{name}`)" in text
    assert "**NO**" not in text


def test_every_executor_ran_and_is_identical_to_serial(
    quick_run: tuple[dict[str, Any], Path],
) -> None:
    doc, _ = quick_run
    assert doc["identical"] is True
    for s in doc["sections"][:2]:
        assert [r["executor"] for r in s["rows"]] == list(so.EXECUTORS)
        for r in s["rows"]:
            assert set(r) >= TIMING_KEYS, (s["name"], r["executor"])
            assert r["best_s"] > 0 and len(r["times_s"]) == doc["repeats"]
            assert r["identical"] is True, (s["name"], r["executor"])
        for key in ("threads", "dask", "dask_x1_over_serial"):
            v = s["speedup"][key]
            assert v is not None and math.isfinite(v) and v > 0, (s["name"], key)


def test_overhead_and_bytes(quick_run: tuple[dict[str, Any], Path]) -> None:
    doc, _ = quick_run
    over = {s["name"]: s for s in doc["sections"]}["overhead"]
    assert [r["executor"] for r in over["rows"]] == ["threads x2", "dask x2"]
    for r in over["rows"]:
        assert set(r) >= OVERHEAD_KEYS
        assert r["results_ok"] is True
        assert math.isfinite(r["tasks_per_s"]) and r["tasks_per_s"] > 0
        assert r["min_chunk_work_ms"] == pytest.approx(9 * r["per_task_ms"])
    sizes = {s["name"]: s for s in doc["sections"]}["bytes"]["rows"]
    assert len(sizes) == 7
    for r in sizes:
        assert isinstance(r["bytes"], int) and r["bytes"] > 0, r
        assert r["dumps_ms"] >= 0 and r["loads_ms"] >= 0, r
    mps = next(r for r in sizes if r["item"].startswith("MPS"))
    assert mps["bytes"] >= mps["tensor_bytes"] > 0
    assert math.isfinite(mps["overhead_ratio"])


def test_cli_scaleout_rejects_circuit_selectors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--suite", "scaleout", "--only", "ghz_100"]) == 2
    assert "--suite circuits" in capsys.readouterr().err
