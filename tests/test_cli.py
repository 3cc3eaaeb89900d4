"""The ``tensorbond`` command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tensorbond.cli import main


def test_example_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "simulate",
                "--example",
                "ghz",
                "--qubits",
                "20",
                "--shots",
                "200",
                "--seed",
                "3",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["qubits"] == 20
    assert out["gates"] == 20
    assert out["max_bond_reached"] == 2
    assert out["fidelity_estimate"] == 1.0
    assert set(out["counts"]) == {"0" * 20, "1" * 20}
    assert sum(out["counts"].values()) == 200


def test_file_human_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bell.qasm"
    f.write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
        "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"
    )
    assert main(["simulate", str(f), "--max-bond", "4", "--shots", "100", "--seed", "1"]) == 0
    text = capsys.readouterr().out
    assert "qubits             2" in text
    assert "max bond reached   2" in text
    assert "11" in text and "00" in text


def test_truncated_example_reports_fidelity(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["simulate", "--example", "brick", "--qubits", "16", "--max-bond", "4", "--json"]) == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["max_bond_reached"] == 4
    assert 0.0 < out["fidelity_estimate"] < 1.0


def test_bad_file_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bad.qasm"
    f.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nfoo q[0];\n')
    assert main(["simulate", str(f)]) == 2
    err = capsys.readouterr().err
    assert "bad.qasm:4" in err and "foo" in err


def test_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "/nonexistent/x.qasm"]) == 2
    assert "x.qasm" in capsys.readouterr().err


def test_needs_file_or_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate"]) == 2
    assert "--example" in capsys.readouterr().err


def test_dynamic_circuit_runs_by_branches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "dyn.qasm"
    f.write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\n'
        "x q[0];\nreset q[0];\nmeasure q[0] -> c[0];\n"
    )
    assert main(["simulate", str(f), "--shots", "100"]) == 0
    out = capsys.readouterr().out
    assert "dynamic" in out and "  0  100" in out


def test_compress_file_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    import tensorbond as tb

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "w.npz", a=rng.standard_normal((64, 32)), b=rng.standard_normal(64))
    out = tmp_path / "small.safetensors"
    assert (
        main(["compress", str(tmp_path / "w.npz"), "--ratio", "4", "-o", str(out), "--json"]) == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["report"]["ratio"] >= 4 and doc["output"] == str(out)
    back = tb.load_compressed(out)
    assert back["a"].shape == (64, 32)
    np.testing.assert_array_equal(back["b"], np.load(tmp_path / "w.npz")["b"])


def test_compress_file_by_output_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    rng = np.random.default_rng(1)
    w = rng.standard_normal((48, 32))
    x = rng.standard_normal((200, 32)) * np.geomspace(10, 0.1, 32)
    np.savez(tmp_path / "w.npz", a=w)
    np.savez(tmp_path / "x.npz", a=x)
    out = tmp_path / "small.safetensors"
    assert (
        main(
            [
                "compress",
                str(tmp_path / "w.npz"),
                "--ratio",
                "3",
                "-o",
                str(out),
                "--calibration",
                str(tmp_path / "x.npz"),
                "--error-metric",
                "output",
                "--json",
            ]
        )
        == 0
    )
    layer = json.loads(capsys.readouterr().out)["report"]["layers"][0]
    import tensorbond as tb

    got = tb.load_compressed(out)["a"]
    dense = got if isinstance(got, np.ndarray) else got.to_dense()
    measured = np.linalg.norm(x @ (w - dense).T) / np.linalg.norm(x @ w.T)
    assert layer["rel_error"] == pytest.approx(measured, rel=1e-3)
    assert main(["compress", str(tmp_path / "w.npz"), "--error-metric", "output"]) == 2
    assert "needs --calibration" in capsys.readouterr().err


def test_compress_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compress"]) == 2
    assert "model file or --example" in capsys.readouterr().err
    assert main(["compress", str(tmp_path / "none.npz")]) == 2
    assert "no such model file" in capsys.readouterr().err


def test_compress_digits_example(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    assert main(["compress", "--example", "digits", "--heal-epochs", "3", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["report"]["ratio"] >= 15
    assert doc["dense_accuracy"] > 0.9
    assert doc["heal"]["after"] < doc["heal"]["before"]


def test_compress_example_rejects_file_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compress", "--example", "digits", "--layers", "0"]) == 2
    assert "--layers" in capsys.readouterr().err


def test_closed_pipe_stops_quietly() -> None:
    import subprocess
    import sys

    code = (
        "from tensorbond.cli import main; raise SystemExit(main(['simulate', "
        "'--example', 'ghz', '--qubits', '20', '--shots', '1000']))"
    )
    p = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    p.stdout.close()  # the reader is gone before anything is written, like `| head -0`
    err = p.stderr.read().decode()
    p.stderr.close()
    assert p.wait(timeout=60) == 141
    assert err == ""


_BELL = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n'
_TELEPORT = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg a[1];\ncreg b[1];\ncreg c[1];\n'
    "ry(1.1) q[0];\nh q[1];\ncx q[1],q[2];\ncx q[0],q[1];\nh q[0];\n"
    "measure q[0] -> a[0];\nmeasure q[1] -> b[0];\nif (b==1) x q[2];\nif (a==1) z q[2];\n"
    "measure q[2] -> c[0];\n"
)


def test_several_files_print_one_json_line_each_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = []
    for i, text in enumerate([_BELL, _TELEPORT, _BELL + "x q[1];\n"]):
        f = tmp_path / f"c{i}.qasm"
        f.write_text(text)
        files.append(str(f))
    serial_rc = main(["simulate", *files, "--shots", "200", "--seed", "3", "--no-progress"])
    serial = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert serial_rc == 0 and [r["source"] for r in serial] == files
    assert serial[1]["dynamic"] is True and serial[0]["dynamic"] is False
    assert set(serial[2]["counts"]) == {"01", "10"}
    assert main(["simulate", *files, "--shots", "200", "--seed", "3", "--workers", "2"]) == 0
    parallel = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["counts"] for r in parallel] == [r["counts"] for r in serial]


def test_a_bad_file_among_several_is_reported_and_the_rest_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.qasm"
    good.write_text(_BELL)
    bad = tmp_path / "bad.qasm"
    bad.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nfoo q[0];\n')
    rc = main(["simulate", str(bad), str(good), "--workers", "2"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rc == 1 and "foo" in lines[0]["error"] and lines[1]["qubits"] == 2


def test_an_unreachable_scheduler_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    f = tmp_path / "bell.qasm"
    f.write_text(_BELL)
    assert main(["simulate", str(f), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err
