"""Frictions a new user hits (issue 13): the version, ``python -m tensorbond``,
help and error texts, a clean ``dir(tensorbond)``, the two bit orders of
counts, the progress bar, the packaging metadata."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import types
from importlib import metadata
from pathlib import Path

import pytest

import tensorbond as tb
from _reference.paths import REPO as ROOT
from tensorbond import cli
from tensorbond.cli import main
from tensorbond.sim.examples import EXAMPLES


# ------------------------------------------------------------ version, -m
def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"tensorbond {metadata.version('tensorbond')}\n"


def test_version_falls_back_to_dunder_version(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert cli._version() == tb.__version__


def test_python_dash_m_runs_the_cli() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "tensorbond", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == f"tensorbond {metadata.version('tensorbond')}"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "tensorbond",
            "simulate",
            "--example",
            "ghz",
            "--qubits",
            "5",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert '"qubits": 5' in p.stdout


# ------------------------------------------------------- help and errors
def test_simulate_help_names_qasm_2_and_3(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "OpenQASM 2.0 or 3 file" in text
    assert "2.0 only" not in text
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "OpenQASM 2 or 3 circuit" in " ".join(capsys.readouterr().out.split())


def test_simulate_a_directory_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is a directory" in err and str(tmp_path) in err
    assert "no such" not in err


# --------------------------------------------------------------- dir(tb)
def test_dir_lists_only_the_api_and_submodules() -> None:
    names = dir(tb)
    assert "annotations" not in names
    assert "scipy_openblas32" not in names
    for name in names:
        if name.startswith("_") or name in tb.__all__:
            continue
        value = getattr(tb, name)
        assert isinstance(value, types.ModuleType), name
        assert value.__name__ == f"tensorbond.{name}", name
    # every public name, the lazily imported torch layers included
    assert set(tb.__all__) <= set(names)


# ----------------------------------------------------------- bit orders
def test_counts_orders() -> None:
    samples = tb.MPS.from_bitstring("1101000").sample(10, seed=1)
    assert samples.counts() == {"1101000": 10}
    assert samples.counts(order="qubit") == {"1101000": 10}
    assert samples.counts(order="qiskit") == {"0001011": 10}


def test_counts_qiskit_order_matches_run() -> None:
    n = 4
    circ = tb.Circuit(n, num_clbits=n).h(0).cx(0, 1).x(3)
    for q in range(n):
        circ.measure(q, q)
    state = tb.simulate(circ)
    sampled = state.sample(2000, seed=2)
    ran = tb.run(circ, shots=2000, seed=2)
    assert set(ran.counts) == {"1000", "1011"}  # qubit 0 rightmost
    assert set(sampled.counts()) == {"0001", "1101"}  # qubit 0 leftmost
    assert set(sampled.counts(order="qiskit")) == set(ran.counts)
    assert sum(sampled.counts(order="qiskit").values()) == 2000


@pytest.mark.parametrize("order", ["little", "Qiskit", "", None])
def test_counts_bad_order_names_it(order: object) -> None:
    samples = tb.MPS(2).sample(3, seed=0)
    with pytest.raises(ValueError, match=re.escape(repr(order))):
        samples.counts(order=order)  # type: ignore[arg-type]


def test_both_bit_orders_documented() -> None:
    assert "qiskit" in (tb.Samples.counts.__doc__ or "")
    assert "rightmost" in (tb.Samples.counts.__doc__ or "")
    run_doc = " ".join((tb.RunResult.__doc__ or "").split())
    assert "rightmost" in run_doc and 'order="qiskit"' in run_doc
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert 'counts(order="qiskit")' in readme


# ------------------------------------------------------------- progress
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _fractions(text: str, total: int) -> list[int]:
    return [int(m) for m in re.findall(rf"(\d+)/{total}\b", text)]


@pytest.fixture
def instant_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_PROGRESS_DELAY_S", 0.0, raising=False)
    monkeypatch.setattr(cli, "_PROGRESS_INTERVAL_S", 0.0, raising=False)


def test_progress_bar_updates_live_on_a_terminal(instant_bar: None) -> None:
    term = _Terminal()
    bar = cli._Progress(100, True, file=term)
    assert bar.active
    for done in (32, 64, 96, 100):
        bar(done, 100)
    bar.close()
    seen = _fractions(term.getvalue(), 100)
    assert {32, 64, 96, 100} <= set(seen)
    assert "gate" in term.getvalue()


def test_progress_bar_absent_off_a_terminal(instant_bar: None) -> None:
    pipe = io.StringIO()
    bar = cli._Progress(100, True, file=pipe)
    assert not bar.active
    bar(50, 100)
    bar.close()
    assert pipe.getvalue() == ""
    assert not cli._Progress(100, False, file=_Terminal()).active


def test_simulate_shows_progress_on_a_terminal(
    instant_bar: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["simulate", "--example", "brick", "--qubits", "12", "--max-bond", "8"]) == 0
    total = len(tb.compile_circuit(EXAMPLES["brick"](12)))
    seen = sorted(set(_fractions(term.getvalue(), total)))
    # reported every few dozen gates, not once at the end
    assert len([k for k in seen if 0 < k < total]) >= total // 32 // 2
    assert "qubits             12" in capsys.readouterr().out


def test_simulate_prints_no_bar_off_a_terminal(
    instant_bar: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--example", "brick", "--qubits", "12", "--max-bond", "8"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "qubits             12" in captured.out


# ------------------------------------------------------------ packaging
def _pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_test_and_bench_extras_pin_one_tensorly() -> None:
    extras = _pyproject()["project"]["optional-dependencies"]
    pins = {
        name: [d for d in deps if re.match(r"tensorly\s*[=<>~!]", d)]
        for name, deps in extras.items()
    }
    assert pins["test"] and pins["test"] == pins["bench"]


def test_license_and_changelog_ship() -> None:
    project = _pyproject()["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "2026 tensorbond developers" in text
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and "## [0.1.0]" in changelog


def test_sdist_and_wheel_metadata_carry_the_license(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tarfile

    skbuild = pytest.importorskip("scikit_build_core.build")
    monkeypatch.chdir(ROOT)
    sdist = skbuild.build_sdist(str(tmp_path))
    with tarfile.open(tmp_path / sdist) as tar:
        names = {
            Path(n).relative_to(Path(n).parts[0]).as_posix()
            for n in tar.getnames()
            if len(Path(n).parts) > 1
        }
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml"} <= names
    info = tmp_path / skbuild.prepare_metadata_for_build_wheel(str(tmp_path))
    assert (info / "licenses" / "LICENSE").is_file()
    meta = (info / "METADATA").read_text()
    assert "License-Expression: MIT" in meta and "License-File: LICENSE" in meta
