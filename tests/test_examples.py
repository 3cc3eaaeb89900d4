"""The examples/ scripts: their data preparation (the demos themselves run in
minutes and report in examples/README.md)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from _reference.paths import EXAMPLES

pytest.importorskip("torch")


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_stdlib_sentences_are_english_prose_and_deterministic() -> None:
    mod = _load("minilm_ffn")
    a = mod.stdlib_sentences(seed=0)
    assert len(a) > 5000 and len(set(a)) == len(a)
    assert all(30 <= len(s) <= 200 and s[0].isupper() and s.endswith(".") for s in a)
    assert a == mod.stdlib_sentences(seed=0)
    assert a != mod.stdlib_sentences(seed=1) and sorted(a) == sorted(mod.stdlib_sentences(1))


def test_docstring_sentences_skip_tests_and_keep_prose(tmp_path: Path) -> None:
    mod = _load("minilm_ffn")
    pkg = tmp_path / "pkg"
    (pkg / "tests").mkdir(parents=True)
    (pkg / "core.py").write_text(
        '"""Module docs. This sentence is long enough to be kept as prose."""\n'
        "def f():\n"
        '    """Return the value computed from the inputs given here.\n\n'
        '    x = f(1, 2) + g[3] * 4 / 5 == 6 and so on it goes.\n    """\n'
    )
    (pkg / "tests" / "test_core.py").write_text(
        '"""A test module sentence that must never be kept."""\n'
    )
    (pkg / "bad.py").write_text("def broken(:\n")  # unparsable files are skipped
    got = mod._docstring_sentences(pkg, ("tests",))
    assert got == (
        "Return the value computed from the inputs given here.",
        "This sentence is long enough to be kept as prose.",
    )


def test_cached_teacher_runs_the_model_once_per_batch() -> None:
    torch = pytest.importorskip("torch")
    mod = _load("minilm_ffn")
    calls = []

    class Model(torch.nn.Module):
        def forward(self, input_ids, attention_mask):
            calls.append(input_ids)
            return (input_ids * attention_mask).float().cumsum(-1)

    teacher = mod.CachedTeacher(Model())
    data = [
        {
            "input_ids": torch.arange(6).reshape(2, 3) + k,
            "attention_mask": torch.ones(2, 3, dtype=torch.long),
        }
        for k in range(3)
    ]
    first = [teacher(**b) for b in data]
    again = [teacher(**b) for b in data]
    assert len(calls) == 3
    for b, x, y in zip(data, first, again, strict=True):
        assert x is y
        assert torch.equal(x, (b["input_ids"] * b["attention_mask"]).float().cumsum(-1))
    assert teacher.eval() is teacher and not teacher.model.training


def test_qnn_classifier_learns_on_a_small_run() -> None:
    pytest.importorskip("sklearn")
    mod = _load("qnn_classifier")
    out = mod.train(qubits=4, layers=1, epochs=4, limit=200, lr=0.05, verbose=False)
    losses = [h["loss"] for h in out["history"]]
    assert losses[-1] < 0.6 * losses[0]
    assert out["test_accuracy"] > 0.85  # chance is about 0.6 on this split
    assert out["weights"] == 8 and out["train_samples"] == 160
