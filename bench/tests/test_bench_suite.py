"""The benchmark suite's machinery (package ``tensorbond_bench``); never its timings."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import tensorbond as tb
import tensorbond_bench as bm
from tensorbond.cli import main
from tensorbond_bench import dynamic as bd
from tensorbond_bench import environment, paths, report, tt
from tensorbond_bench.workloads import brick

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "qasm"

RESULT_KEYS = {
    "contestant",
    "status",
    "reason",
    "times_s",
    "median_s",
    "min_s",
    "probe_s",
    "fidelity_estimate",
    "true_fidelity",
    "max_bond_reached",
    "max_bond_final",
    "peak_rss_bytes",
    "state_bytes",
    "notes",
    "extra",
}


@pytest.fixture(autouse=True)
def _no_parent_pinning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the test process's thread settings: only the suite's children pin."""
    monkeypatch.setattr(environment, "pin_threads", lambda tools=(): [])


def _random_state(n: int, seed: int, max_bond: int | None = None) -> tb.MPS:
    return tb.simulate(brick(n, 8, seed=seed), max_bond=max_bond)


# ------------------------------------------------------------ overlap helper
@pytest.mark.parametrize("n", [1, 2, 5, 7])
def test_mps_overlap_matches_dense(n: int) -> None:
    a = _random_state(n, 1)
    b = _random_state(n, 2)
    got = bm.mps_overlap(a, b)
    want = np.vdot(a.to_dense(), b.to_dense())
    assert got == pytest.approx(want, abs=1e-12)
    assert bm.mps_overlap(b, a) == pytest.approx(np.conj(want), abs=1e-12)
    assert bm.mps_overlap(a, a) == pytest.approx(1.0, abs=1e-12)


def test_mps_overlap_of_truncated_state_and_fidelity() -> None:
    exact = _random_state(8, 3)
    trunc = _random_state(8, 3, max_bond=4)
    a, b = exact.to_dense(), trunc.to_dense()
    assert bm.mps_overlap(exact, trunc) == pytest.approx(np.vdot(a, b), abs=1e-12)
    want = abs(np.vdot(a, b)) ** 2 / (np.vdot(a, a).real * np.vdot(b, b).real)
    assert want < 0.999  # the truncation matters
    assert bm.state_fidelity(exact, trunc) == pytest.approx(want, abs=1e-12)


def test_mps_overlap_restores_a_moved_layout_on_a_copy() -> None:
    circ = brick(6, 3, seed=4).swap(0, 5).swap(1, 3)
    psi = tb.simulate(circ, routing="lazy")
    layout = psi.layout
    ref = _random_state(6, 5)
    assert bm.mps_overlap(ref, psi) == pytest.approx(
        np.vdot(ref.to_dense(), psi.to_dense()), abs=1e-10
    )
    assert psi.layout == layout  # the state itself was left alone


def test_mps_overlap_takes_tensor_lists_and_rejects_mismatches() -> None:
    a = _random_state(4, 6)
    ts = bm.mps_site_tensors(a)
    assert [t.shape[1] for t in ts] == [2] * 4
    assert bm.mps_overlap(ts, a) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match="sites"):
        bm.mps_overlap(ts, ts[:3])


# ------------------------------------------------------------ tool adapters
def test_quimb_gate_names_match_our_matrices() -> None:
    pytest.importorskip("quimb")
    from quimb.tensor.circuit import Gate

    rng = np.random.default_rng(0)
    for ours, theirs in bm.QUIMB_GATE_NAMES.items():
        spec = tb.GATES[ours]
        params = tuple(rng.uniform(0.1, 3.0, spec.num_params))
        k = spec.num_qubits
        got = np.asarray(Gate(theirs, params, qubits=tuple(range(k))).array)
        got = got.reshape(2**k, 2**k)
        want = tb.gate_matrix(ours, params)
        phase = np.vdot(got.ravel(), want.ravel())
        np.testing.assert_allclose(
            got * phase / abs(phase), want, atol=1e-12, err_msg=f"{ours} -> {theirs}"
        )


def test_quimb_state_matches_ours() -> None:
    pytest.importorskip("quimb")
    import quimb.tensor as qtn

    circ = tb.Circuit.from_qasm(DATA / "qft_12.qasm")
    circ.unitary(tb.gate_matrix("ecr", ()), (3, 7))  # a gate quimb lacks: raw
    gates, raw = bm.quimb_gates(circ)
    assert raw == ["unitary"]
    qc = qtn.CircuitMPS(circ.num_qubits, cutoff=1e-14)
    qc.apply_gates(gates)
    ours = tb.simulate(circ, cutoff=1e-14)
    assert bm.state_fidelity(ours, bm.quimb_site_tensors(qc.psi)) == pytest.approx(1.0, abs=1e-8)


def test_aer_state_and_qiskit_conversion_match_ours() -> None:
    pytest.importorskip("qiskit_aer")
    from qiskit_aer import AerSimulator

    circ = brick(7, 4, seed=8).rzz(0.3, 1, 5).cu1(0.7, 6, 0).cswap(0, 3, 6)
    circ.unitary(tb.gate_matrix("ecr", ()), (2, 4))
    qc = bm.circuit_to_qiskit(circ)
    qc.save_matrix_product_state()
    res = AerSimulator(method="matrix_product_state").run(qc, shots=1).result()
    ts = bm.aer_site_tensors(res.data(0)["matrix_product_state"])
    assert bm.state_fidelity(tb.simulate(circ), ts) == pytest.approx(1.0, abs=1e-10)


# ---------------------------------------------------------------- workloads
def test_default_workloads_and_selection(tmp_path: Path) -> None:
    full = bm.default_workloads(tmp_path)
    names = [w.name for w in full]
    assert len(set(names)) == len(names)
    for want in (
        "ghz_100",
        "brick_50x20:chi=256",
        "qft_30",
        "tfim_100:chi=64",
        "qaoa_40:chi=16",
        "dnn_n51:chi=64",
        "kernel:chi=1024",
    ):
        assert want in names
    assert {w.group for w in full} == {"circuits", "qasmbench", "sampling", "kernel"}
    sampling = [w for w in full if w.kind == "sampling"]
    assert [(w.max_bond, w.shots) for w in sampling] == [(64, 10000)]
    assert all(w.cutoff == 1e-10 and w.cutoff_mode == "rsum2" for w in full)
    quick = bm.default_workloads(tmp_path, quick=True)
    assert len(quick) < len(full)
    got = bm.select_workloads(full, ["brick_50x20", "kernel:chi=16"])
    assert [w.name for w in got] == [f"brick_50x20:chi={c}" for c in (16, 32, 64, 128, 256)] + [
        "kernel:chi=16"
    ]
    assert {w.group for w in bm.select_workloads(full, ["qasmbench"])} == {"qasmbench"}
    with pytest.raises(ValueError, match="matches no workload"):
        bm.select_workloads(full, ["nothing*"])


def test_find_shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "s" / "circuits").mkdir(parents=True)
    assert bm.find_shared(tmp_path / "s") == (tmp_path / "s").resolve()
    monkeypatch.setenv("TENSORBOND_SHARED", str(tmp_path / "s"))
    assert bm.find_shared() == (tmp_path / "s").resolve()
    monkeypatch.delenv("TENSORBOND_SHARED")
    (tmp_path / "shared" / "circuits").mkdir(parents=True)
    (tmp_path / "repo").mkdir()
    # The default is found relative to the package, not the working directory:
    # <repo>/../shared beside the checkout holding bench/tensorbond_bench.
    monkeypatch.setattr(paths, "checkout_root", lambda: tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "s")
    assert bm.find_shared() == (tmp_path / "shared").resolve()  # <repo>/../shared
    assert bm.default_out_dir() == tmp_path / "repo" / "bench" / "results"
    monkeypatch.setattr(paths, "checkout_root", lambda: None)  # an installed copy
    assert bm.default_shared() == Path("shared")
    assert bm.default_out_dir() == Path("bench-results")
    with pytest.raises(FileNotFoundError, match="--shared"):
        bm.find_shared(tmp_path / "missing")


def test_checkout_paths() -> None:
    repo = Path(__file__).resolve().parents[2]
    assert paths.checkout_root() == repo
    assert paths.default_out_dir() == repo / "bench" / "results"


def test_kernel_case_saturates_and_round_trips(tmp_path: Path) -> None:
    case = bm.make_kernel_case(16)
    k = case.site
    assert case.state.num_qubits == 2 * 4 + 2
    assert case.state.bond_dims[k - 1 : k + 2] == [16, 16, 16]
    case.save(tmp_path / "k.npz")
    back = bm.KernelCase.load(tmp_path / "k.npz")
    assert (back.chi, back.site) == (16, k)
    np.testing.assert_array_equal(back.gate, case.gate)
    assert bm.mps_overlap(back.site_tensors(), case.state) == pytest.approx(
        case.state.norm() ** 2, abs=1e-12
    )


def test_svd_floor_is_a_sum_of_times() -> None:
    assert bm.svd_floor([]) == 0.0
    assert bm.svd_floor([(8, 4), (4, 8), (8, 4)]) > 0.0


# ------------------------------------------------------------- end to end
def _circuit_workload(path: Path, max_bond: int | None = 4) -> bm.Workload:
    return bm.Workload(
        name=f"{path.stem}:chi={max_bond}",
        group="circuits",
        family=path.stem,
        kind="circuit",
        source=str(path),
        max_bond=max_bond,
    )


def _check_doc(doc: dict, out: Path) -> tuple[dict, str]:
    assert doc["schema"] == bm.SCHEMA_VERSION
    assert {"created", "machine", "settings", "method", "workloads"} <= set(doc)
    assert {"platform", "cpu_model", "versions", "git"} <= set(doc["machine"])
    assert doc["machine"]["versions"]["tensorbond"] == tb.__version__
    written = bm.write_outputs(doc, out, plots=False)
    assert Path(written["json"]).name.endswith("-partial.json")  # one contestant
    assert not (out / "latest.json").exists()
    back = json.loads(Path(written["json"]).read_text())
    assert back["workloads"] == json.loads(json.dumps(doc["workloads"]))
    md = Path(written["md"]).read_text()
    assert "| workload |" in md and "## Accuracy" in md
    return back, md


def test_suite_end_to_end_tensorbond_only(tmp_path: Path) -> None:
    w = _circuit_workload(DATA / "qft_12.qasm", max_bond=8)
    st = bm.Settings(repeats=1, contestants=("tensorbond",), time_limit_s=120.0)
    doc = bm.run_suite([w], settings=st, progress=False)
    back, _ = _check_doc(doc, tmp_path)
    (wd,) = back["workloads"]
    assert wd["workload"]["name"] == "qft_12:chi=8"
    assert wd["num_qubits"] == 12
    r = wd["results"]["tensorbond"]
    assert set(r) >= RESULT_KEYS
    assert r["status"] == "ok", r["reason"]
    assert len(r["times_s"]) == 1 and r["median_s"] == r["min_s"]
    assert r["max_bond_reached"] <= 8
    assert 0.0 < r["fidelity_estimate"] <= 1.0
    assert 0.0 < r["true_fidelity"] <= 1.0
    assert wd["reference"]["max_bond"] == 32 and wd["reference"]["reliable"]
    assert r["peak_rss_bytes"] is not None and r["state_bytes"] > 0
    assert wd["floor_num_svd"] > 0 and wd["floor_s"] > 0
    assert "†" not in bm.render_markdown(doc)
    # A truncated reference marks the fidelities measured against it.
    doc["workloads"][0]["reference"]["fidelity_estimate"] = 0.5
    accuracy = bm.render_markdown(doc).split("## Accuracy")[1].split("## Memory")[0]
    (row,) = [line for line in accuracy.splitlines() if line.startswith("| qft_12")]
    assert f"| {report._fmt_f(r['true_fidelity'])} † |" in row
    assert "†: the reference state is itself truncated" in accuracy


def test_failures_are_recorded_with_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dyn = tmp_path / "dyn.qasm"
    dyn.write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\n'
        "h q[0];\ncx q[0],q[1];\nreset q[0];\ncx q[1],q[2];\n"
    )
    missing = _circuit_workload(tmp_path / "missing.qasm")
    kernel = bm.Workload(
        name="kernel:chi=4",
        group="kernel",
        family="kernel",
        kind="kernel",
        source="kernel",
        max_bond=4,
    )
    real_find_spec = __import__("importlib.util").util.find_spec
    monkeypatch.setattr(
        "importlib.util.find_spec",
        lambda name, *a: None if name == "qiskit_aer" else real_find_spec(name, *a),
    )
    contestants = ("tensorbond", "aer")
    doc = bm.run_suite(
        [_circuit_workload(dyn), missing, kernel],
        progress=False,
        settings=bm.Settings(repeats=1, contestants=contestants),
    )
    back, md = _check_doc(doc, tmp_path / "out")
    d, m, k = back["workloads"]
    assert d["results"]["tensorbond"]["status"] == "unsupported"
    assert "reset" in d["results"]["tensorbond"]["reason"]
    assert m["results"]["tensorbond"]["status"] == "error"
    assert "missing.qasm" in m["results"]["tensorbond"]["reason"]
    assert k["results"]["tensorbond"]["status"] == "ok"
    for wd in (d, m, k):
        if wd is not m:
            assert wd["results"]["aer"]["status"] == "unavailable"
            assert "qiskit_aer" in wd["results"]["aer"]["reason"]
    assert "| dyn:chi=4 | tensorbond | unsupported |" in md


@pytest.mark.slow
def test_suite_all_contestants_with_plots(tmp_path: Path) -> None:
    pytest.importorskip("quimb")
    pytest.importorskip("qiskit_aer")
    pytest.importorskip("matplotlib")
    ws = [
        _circuit_workload(DATA / "brick_12x10.qasm", 8),
        _circuit_workload(DATA / "brick_12x10.qasm", 16),
        bm.Workload(
            name="sample",
            group="sampling",
            family="sample",
            kind="sampling",
            source="example:brick:12:4",
            max_bond=8,
            shots=50,
        ),
        bm.Workload(
            name="kernel:chi=8",
            group="kernel",
            family="kernel",
            kind="kernel",
            source="kernel",
            max_bond=8,
        ),
    ]
    doc = bm.run_suite(ws, settings=bm.Settings(repeats=1), progress=False)
    written = bm.write_outputs(doc, tmp_path)
    assert written["plot_error"] is None
    assert sorted(Path(p).name for p in written["latest"] if p.endswith(".png")) == [
        f"latest-{n}.png" for n in sorted(bm.PLOT_NAMES)
    ]
    c8, c16, sample, kernel = doc["workloads"]
    for c in bm.CONTESTANT_NAMES:
        assert c8["results"][c]["status"] == "ok", c8["results"][c]["reason"]
        # the same truncation policy: close, not equal (tools cut ties differently)
        assert c8["results"][c]["true_fidelity"] == pytest.approx(
            c8["results"]["tensorbond"]["true_fidelity"], abs=1e-3
        )
        assert sample["results"][c]["status"] == "ok", sample["results"][c]["reason"]
    tb8, tb16 = (c["results"]["tensorbond"]["true_fidelity"] for c in (c8, c16))
    assert tb8 < tb16  # a larger bond is more accurate
    assert kernel["results"]["quimb"]["status"] == "ok"
    assert kernel["results"]["aer"]["status"] == "unsupported"
    assert kernel["results"]["tensorbond"]["max_bond_reached"] == 8
    assert math.isfinite(kernel["floor_s"])


# -------------------------------------------------------------------- CLI
def test_cli_bench_list_and_missing_shared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "circuits").mkdir()
    assert main(["bench", "--shared", str(tmp_path), "--list", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "ghz_100" in out and "kernel:chi=16" in out
    assert main(["bench", "--shared", str(tmp_path / "nope"), "--list"]) == 2
    assert "--shared" in capsys.readouterr().err
    assert main(["bench", "--shared", str(tmp_path), "--only", "zzz"]) == 2


def test_cli_bench_runs_one_workload(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    circ = tmp_path / "shared" / "circuits"
    circ.mkdir(parents=True)
    (circ / "ghz_100.qasm").write_text((DATA / "ghz_12.qasm").read_text())
    assert (
        main(
            [
                "bench",
                "--shared",
                str(tmp_path / "shared"),
                "--only",
                "ghz_100",
                "--contestants",
                "tensorbond",
                "--repeats",
                "1",
                "--no-plots",
                "--no-progress",
                "--json",
                "--out",
                str(tmp_path / "res"),
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    (wd,) = doc["workloads"]
    assert wd["results"]["tensorbond"]["status"] == "ok"
    assert wd["num_qubits"] == 12
    assert doc["settings"]["only"] == ["ghz_100"]
    assert list((tmp_path / "res").glob("*-partial.md"))
    assert not (tmp_path / "res" / "latest.md").exists()  # a partial run


def test_cli_bench_compression_suite_rejects_circuit_selectors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "--suite", "compression", "--only", "ghz_100"]) == 2
    assert "--suite circuits" in capsys.readouterr().err


def test_compression_report_renders_and_writes(tmp_path: Path) -> None:
    calls = {"a": 0, "b": 0}
    med = tt.interleaved(
        {
            "a": lambda: calls.__setitem__("a", calls["a"] + 1),
            "b": lambda: calls.__setitem__("b", calls["b"] + 1),
        },
        3,
    )
    assert set(med) == {"a", "b"} and all(v > 0 for v in med.values())
    assert calls["a"] >= 5 and calls["b"] >= 5  # warm-up, calibration and 3 samples
    doc = {
        "machine": {
            "cpu": "test",
            "cores": 2,
            "git": "abc",
            "numpy": "2",
            "tensorly": None,
            "torch": None,
            "tltorch": None,
        },
        "dtype": "float32",
        "quick": True,
        "notes": ["tltorch missing"],
        "forward": [
            {
                "modes": [32, 32],
                "rank": 16,
                "batch": 1,
                "num_params": 32768,
                "lowrank_rank": 16,
                "plan": ["right", [[0], [1]]],
                "macs": 1e6,
                "gemm_rate_macs_per_s": 4e10,
                "ideal_s": 2.5e-5,
                "tb_s": 3e-5,
                "dense_s": 6e-5,
                "lowrank_s": 1e-5,
                "tltorch_factorized_s": None,
                "tltorch_reconstructed_s": None,
            }
        ],
        "tt_svd": [
            {
                "modes": [8, 8, 8, 8],
                "rank": 16,
                "ranks": [16, 16, 16],
                "tb_s": 2.0,
                "tensorly_s": 4.0,
                "tb_rel_error": 0.9,
                "tensorly_rel_error": 0.9,
            }
        ],
        "objective": [
            {
                "objective": "latency",
                "batch": 1,
                "formats": ["tt(12,)"],
                "ratio": 4.5,
                "weighted_error": 0.05,
                "macs": 2e6,
                "dense_macs": 4e6,
                "dense_s": 5e-4,
                "compressed_s": 1e-4,
            }
        ],
    }
    text = tt.render_markdown(doc)
    assert "| (32, 32) | 16 | 1 |" in text and "1.20 |" in text  # tb/ideal
    assert "| 2.00 |" in text  # tensorly/tb
    assert "| latency | 1 | tt(12,) | 4.50 |" in text and "5.00x" in text
    assert "Not run: tltorch missing." in text
    written = tt.write(doc, tmp_path)
    assert written["md"].name == "compression-quick.md"
    assert json.loads(written["json"].read_text())["objective"][0]["ratio"] == 4.5


def test_dynamic_suite_agrees_with_aer_and_writes(tmp_path: Path) -> None:
    pytest.importorskip("qiskit_aer")
    doc = bd.run(quick=True, shots=400)
    assert [r["case"].split()[0] for r in doc["rows"]] == ["cc_n64", "brick_20x6"]
    for r in doc["rows"]:
        assert r["tensorbond"]["shots_per_s"] > 0 and r["aer"]["shots_per_s"] > 0
        assert r["ones_z"] < 5  # the same distribution, within sampling noise
    cc = doc["rows"][0]["tensorbond"]
    assert cc["branches"] == 2  # one split at the mid-circuit measurement
    written = bd.write(doc, tmp_path)
    assert written["md"].name == "dynamic-quick.md"
    assert "| cc_n64 | 64 |" in written["md"].read_text()
    assert json.loads(written["json"].read_text())["shots"] == 400
    assert bd.ones_stderr({"0": 50, "1": 50}) == pytest.approx(0.5 / np.sqrt(99), rel=1e-12)


def test_cli_bench_dynamic_suite_rejects_circuit_selectors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["bench", "--suite", "dynamic", "--only", "ghz_100"]) == 2
    assert "--suite circuits" in capsys.readouterr().err
