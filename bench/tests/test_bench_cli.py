"""``tensorbond bench`` delegating to the suite's package, and the suite's own entries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tensorbond.cli as tb_cli
from tensorbond.cli import main

BENCH = Path(__file__).resolve().parents[1]
OPTIONS = (
    "--quick",
    "--only",
    "--repeats",
    "--out",
    "--shared",
    "--no-plots",
    "--json",
    "--suite",
    "--time-limit",
    "--contestants",
    "--no-memory",
    "--list",
    "--no-progress",
)


def test_bench_help_lists_the_suite_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: tensorbond bench")
    for opt in OPTIONS:
        assert opt in out


def test_top_level_help_still_lists_bench(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "bench" in out and "run the benchmark suite" in out


def test_bench_rejects_unknown_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--no-such-option"])
    assert exc.value.code == 2
    assert "tensorbond bench" in capsys.readouterr().err


def test_bench_without_the_suite_says_where_it_is(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tb_cli, "_bench_cli", lambda: None)
    assert main(["bench", "--quick"]) == 2
    err = capsys.readouterr().err
    assert "bench/" in err and "pip install ./bench" in err


def test_bench_cli_finds_the_checkout_package() -> None:
    mod = tb_cli._bench_cli()
    assert mod is not None and Path(mod.__file__).resolve().parent == BENCH / "tensorbond_bench"


@pytest.mark.parametrize(
    "cmd",
    [[str(BENCH / "run_suite.py")], ["-m", "tensorbond_bench"]],
    ids=["run_suite.py", "python -m tensorbond_bench"],
)
def test_suite_entries_list_workloads(tmp_path: Path, cmd: list[str]) -> None:
    (tmp_path / "circuits").mkdir()
    r = subprocess.run(
        [sys.executable, *cmd, "--list", "--quick", "--shared", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCH,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert "ghz_100" in r.stdout and "kernel:chi=16" in r.stdout
