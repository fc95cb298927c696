"""Training throughput of the LSTM language model: our loop against a minimal plain-PyTorch loop.

Both train the same model at pytorch/examples word_language_model's defaults (2 layers of 200
units, embeddings 200, bptt 35, batch 20, dropout 0.2, SGD lr 20, clip 0.25) on a generated
Zipfian corpus, on the CPU. Runs are interleaved and repeated; medians are compared.

    python benchmarks/train_lm.py            # full run
    python benchmarks/train_lm.py --quick    # a short run
Writes benchmarks/results/train_lm.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from host import machine
from rnnlab.data.batching import batchify, encode_lm_split, get_bptt_batch
from rnnlab.data.vocab import Vocab
from rnnlab.models import neural
from rnnlab.models.registry import TrainRequest

RESULTS = Path(__file__).resolve().parent / "results" / "train_lm.json"
DEFAULTS = {"emb": 200, "hidden": 200, "layers": 2, "dropout": 0.2, "tie": False, "bptt": 35, "batch_size": 20,
            "optimizer": "sgd", "lr": 20.0, "clip": 0.25, "schedule": "none", "patience": None, "epochs": 1,
            "checkpoint_minutes": None}


def generate_corpus(root: Path, vocab_size: int, tokens: int, seed: int) -> None:
    """Zipfian word ids in lines of 5-40 words, written as a processed LM corpus."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(vocab_size - 3)]
    weights = 1.0 / np.arange(1, len(words) + 1)
    ids = rng.choice(len(words), size=tokens, p=weights / weights.sum())
    lines, start = [], 0
    while start < tokens:
        length = int(rng.integers(5, 41))
        lines.append(" ".join(words[i] for i in ids[start : start + length]))
        start += length
    root.mkdir(parents=True, exist_ok=True)
    (root / "vocab.json").write_text(json.dumps({"itos": ["<pad>", "<unk>", "<eos>"] + words}))
    (root / "train.txt").write_text("\n".join(lines) + "\n")
    (root / "valid.txt").write_text("\n".join(lines[:20]) + "\n")


class PlainLSTMLM(nn.Module):
    """The word_language_model example's RNNModel (LSTM), written out with torch.nn."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(vocab_size, 200)
        self.rnn = nn.LSTM(200, 200, 2, dropout=0.2)
        self.decoder = nn.Linear(200, vocab_size)

    def forward(self, ids: torch.Tensor, hidden: tuple[torch.Tensor, torch.Tensor]):
        out, hidden = self.rnn(self.drop(self.encoder(ids)), hidden)
        return self.decoder(self.drop(out)), hidden


def run_plain(corpus: Path, batches: int, threads: int, seed: int) -> float:
    """tokens/s of the plain loop over ``batches`` batches."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    vocab = Vocab.for_corpus(corpus)
    source = batchify(encode_lm_split(corpus, "train", vocab), 20)
    model = PlainLSTMLM(len(vocab))
    model.train()
    hidden = tuple(torch.zeros(2, 20, 200) for _ in range(2))
    tokens = 0
    start = time.perf_counter()
    for index in range(batches):
        data, targets = get_bptt_batch(source, index, 35)
        hidden = tuple(h.detach() for h in hidden)
        model.zero_grad()
        output, hidden = model(data, hidden)
        loss = F.cross_entropy(output.view(-1, len(vocab)), targets.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-20.0)
        tokens += targets.numel()
    return tokens / (time.perf_counter() - start)


def run_ours(corpus: Path, out: Path, batches: int, threads: int, seed: int, backend: str) -> float:
    """tokens/s of our loop (its own per-epoch measurement of the training steps)."""
    params = {**DEFAULTS, "max_batches": batches}
    neural.train_model("lstm", TrainRequest("bench", corpus, out, "lm", seed, params, backend=backend,
                                            threads=threads))
    return json.loads((out / "history.json").read_text())[0]["tokens_per_s"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few batches and repeats (a smoke run)")
    parser.add_argument("--repeats", type=int, help="interleaved repeats (default 7, quick 2)")
    parser.add_argument("--batches", type=int, help="batches per measurement (default 30, quick 8)")
    parser.add_argument("--vocab", type=int, default=10000, help="vocabulary size of the generated corpus")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for both loops (default 1: least sensitive to other load on the machine)")
    parser.add_argument("--no-loop", action="store_true", help="skip the (slow) loop backend")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 7)
    batches = args.batches or (8 if args.quick else 30)
    loop_batches = max(2, batches // 5)
    runs: dict[str, list[float]] = {"plain": [], "ours_torch": [], "ours_loop": []}
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        generate_corpus(corpus, args.vocab, tokens=20 * 35 * (batches + 2), seed=0)
        # Warm-up (lazy initialisation of kernels and allocators), not measured.
        run_plain(corpus, 3, args.threads, seed=0)
        run_ours(corpus, Path(tmp) / "warmup", 3, args.threads, 0, "torch")
        for r in range(repeats):
            order = ["plain", "ours_torch"] if r % 2 == 0 else ["ours_torch", "plain"]
            for name in order:
                if name == "plain":
                    runs[name].append(run_plain(corpus, batches, args.threads, seed=r))
                else:
                    runs[name].append(run_ours(corpus, Path(tmp) / f"{name}{r}", batches, args.threads, r, "torch"))
            if not args.no_loop:
                loop_out = Path(tmp) / f"loop{r}"
                runs["ours_loop"].append(run_ours(corpus, loop_out, loop_batches, args.threads, r, "loop"))
            print(f"repeat {r + 1}/{repeats}: " + ", ".join(f"{k} {v[-1]:.0f} tok/s" for k, v in runs.items() if v),
                  file=sys.stderr)
    medians = {k: statistics.median(v) for k, v in runs.items() if v}
    ratio = medians["ours_torch"] / medians["plain"]
    result = {
        "benchmark": "LSTM LM training throughput, CPU",
        "machine": {**machine(torch=torch.__version__, numpy=np.__version__), "threads": args.threads,
                    "load_average_at_end": os.getloadavg()},
        "settings": {**{k: v for k, v in DEFAULTS.items() if k not in ("epochs", "checkpoint_minutes")},
                     "vocab": args.vocab, "batches": batches, "loop_batches": loop_batches, "repeats": repeats,
                     "quick": args.quick},
        "tokens_per_s": runs,
        "median_tokens_per_s": medians,
        "ratio_ours_over_plain": ratio,
        "target": ">= 1.0",
        "passed": ratio >= 1.0,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for name, value in medians.items():
        print(f"{name:>11}: {value:10.0f} tokens/s (median of {len(runs[name])})")
    print(f"ratio ours/plain: {ratio:.3f} (target >= 1.0: {'pass' if ratio >= 1.0 else 'FAIL'}) -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
