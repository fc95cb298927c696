"""Bidirectionality: where in a sentence the evidence sits, and which classifiers find it.

A forward RNN/LSTM classifier that reads its last state must carry evidence from the start of a
sentence to its end; a BiLSTM's reverse direction reads the sentence from the end, so evidence at
either end is near one of its two final states (Schuster & Paliwal 1997). Accuracy is broken down
by every extra column of the split (``synthetic-sentiment``: the ``distance`` bucket from the
evidence to the end of the sentence, and its ``construction``) and by sentence-length bucket, which
every corpus has. The headline is the farthest level of one factor (``distance``): there a
forward reader must carry the evidence longest, while the reverse direction reads it early.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from ..data.batching import Vocab, encode_classification_split
from ..data.processed import available_splits, read_classification_split
from ..errors import ConfigError, CorpusError, RnnlabError
from ..io import read_json
from ..models.classifier import predict_logits
from ..models.neural import load_trained
from ..models.registry import model_sort_key
from .. import style
from ..plots import set_theme
from .common import AnalysisOutput, Request, model_meta, run_id
from .registry import BidirectionalSettings
from .stats import compare, phrase
from .stats import mean_ci

ALL = "all"
LENGTH = "length"
# (A, B) family pairs compared level by level: what the second direction adds, what gating adds.
PAIRS = (("bilstm", "lstm"), ("lstm", "rnn"))


def length_buckets(lengths: Sequence[int], buckets: int) -> list[str]:
    """Quantile buckets of the lengths, each labelled by the shortest and longest length it holds."""
    if buckets < 1:
        raise ConfigError(f"--length-buckets must be at least 1, got {buckets}")
    x = np.asarray(lengths)
    edges = np.unique(np.quantile(x, np.linspace(0, 1, buckets + 1))[1:-1])
    index = np.searchsorted(edges, x, side="right")  # bucket b holds edges[b-1] < length <= edges[b]
    labels = {}
    for b in np.unique(index):
        members = x[index == b]
        labels[b] = f"{members.min()}–{members.max()}" if members.min() != members.max() else f"{members.min()}"
    return [labels[b] for b in index]


def _range_start(level: str) -> int | None:
    """The first number of a numeric level ("9–24" -> 9, "7" -> 7), else None."""
    head = level.split("–")[0]
    return int(head) if head.isdigit() else None


def level_order(values: Sequence[str]) -> list[str]:
    """Numeric levels (buckets such as "9–24") by their first number; other levels in first-appearance order."""
    levels = list(dict.fromkeys(values))
    if all(_range_start(v) is not None for v in levels):
        return sorted(levels, key=_range_start)
    return levels


def breakdown(correct: np.ndarray, factors: dict[str, Sequence[str]]) -> pd.DataFrame:
    """Accuracy (%) overall and per level of each factor: factor, level, n, correct, accuracy."""
    rows = [{"factor": ALL, "level": ALL, "n": int(correct.size), "correct": int(correct.sum()),
             "accuracy": 100 * float(correct.mean())}]
    for factor, values in factors.items():
        values = np.asarray(values)
        for level in level_order(values.tolist()):
            chosen = correct[values == level]
            rows.append({"factor": factor, "level": level, "n": int(chosen.size), "correct": int(chosen.sum()),
                         "accuracy": 100 * float(chosen.mean())})
    return pd.DataFrame(rows)


def _model_order(models: Sequence[str]) -> list[str]:
    return sorted(models, key=model_sort_key)


def _pairs(models: Sequence[str]) -> list[tuple[str, str]]:
    """The lecture's comparisons among the models present, and each variant against its base model."""
    present = set(models)
    pairs = [(a, b) for a, b in PAIRS if a in present and b in present]
    pairs += [(m, m.split("-")[0]) for m in _model_order(models) if "-" in m and m.split("-")[0] in present]
    return pairs


def _statements(table: pd.DataFrame) -> tuple[list[str], list[dict]]:
    lines, tests = [], []
    for (factor, level), group in table.groupby(["factor", "level"], sort=False):
        parts = []
        for model in _model_order(group["model"].unique()):
            ci = mean_ci(group[group["model"] == model]["accuracy"].tolist())
            parts.append(f"{model} {ci.format(1)}")
        where = "overall" if factor == ALL else f"on {factor}={level}"
        lines.append(f"accuracy (%) {where}: " + ", ".join(parts))
        for a, b in _pairs(group["model"].unique()):
            runs = {m: dict(zip(g["seed"], g["accuracy"])) for m, g in group.groupby("model")}
            c = compare(runs[a], runs[b], names=(a, b), metric=f"accuracy (%) {where}")
            # "level" is the comparison's confidence level, so the breakdown's level is "factor_level".
            tests.append({"factor": factor, "factor_level": level, **c.__dict__, "decided": c.decided})
            lines.append("  " + phrase(c, digits=1))
    return lines, tests


def _runs(group: pd.DataFrame, model: str) -> dict[int, float]:
    rows = group[group["model"] == model]
    return dict(zip(rows["seed"], rows["accuracy"]))


def headline(table: pd.DataFrame, factor: str | None) -> dict | None:
    """At the nearest and farthest level of ``factor``: each model's accuracy drop from one to the other
    (paired over seeds) and the lecture's pairs compared at the farthest level; None without the factor."""
    data = table[table["factor"] == factor]
    if factor is None or data.empty:
        return None
    levels = level_order(data["level"].tolist())
    near, far = data[data["level"] == levels[0]], data[data["level"] == levels[-1]]
    models = _model_order(data["model"].unique())
    drops = [compare(_runs(near, m), _runs(far, m), names=(f"{m} at {levels[0]}", f"{m} at {levels[-1]}"),
                     metric=f"accuracy (%) by {factor}") for m in models]
    pairs = [compare(_runs(far, a), _runs(far, b), names=(a, b), metric=f"accuracy (%) on {factor}={levels[-1]}")
             for a, b in _pairs(models)]
    return {"factor": factor, "near": levels[0], "far": levels[-1],
            "drops": [{"model": m, **c.__dict__, "decided": c.decided} for m, c in zip(models, drops)],
            "comparisons": [{**c.__dict__, "decided": c.decided} for c in pairs]}


def draw(table: pd.DataFrame) -> plt.Figure:
    set_theme()
    factors = [f for f in dict.fromkeys(table["factor"]) if f != ALL]
    models = _model_order(table["model"].unique())
    fig, axes = plt.subplots(1, max(1, len(factors)), figsize=(style.TWO_COLUMN, 2.6), squeeze=False,
                             layout="constrained")
    colors = style.palette(models)
    width = 0.8 / len(models)
    for ax, factor in zip(axes[0], factors or [ALL]):
        data = table[table["factor"] == factor]
        levels = level_order(data["level"].tolist())
        for i, model in enumerate(models):
            runs = data[data["model"] == model]
            cis = [mean_ci(runs[runs["level"] == level]["accuracy"].tolist()) for level in levels]
            x = np.arange(len(levels)) + (i - (len(models) - 1) / 2) * width
            means = np.array([c.mean for c in cis])
            errors = np.array([[c.mean - c.low for c in cis], [c.high - c.mean for c in cis]])
            ax.bar(x, means, width, color=colors[model], label=model)
            ax.errorbar(x, means, yerr=np.nan_to_num(errors), fmt="none", ecolor="black", lw=0.8, capsize=2)
        numeric = all(_range_start(level) is not None for level in levels)
        ax.set_xticks(np.arange(len(levels)), levels, rotation=30 if numeric else 0)
        ax.set(xlabel=f"{factor} (tokens)" if numeric else factor, ylabel="accuracy (%)", ylim=(0, 100))
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc="outside upper center", ncol=len(models), frameon=False)
    return fig


def bidirectional(corpus_dir: Path, model_dirs: Sequence[str | Path], split: str | None, buckets: int,
                  device: torch.device, headline_factor: str | None = None) -> AnalysisOutput:
    chosen = split or (available_splits(corpus_dir, "classification", ("test", "valid")) or ("test",))[0]
    raw = read_classification_split(corpus_dir, chosen)
    vocab = Vocab.load(corpus_dir)
    data = encode_classification_split(corpus_dir, chosen, vocab)
    factors = {**raw.extra, LENGTH: length_buckets([len(s) for s in raw.sentences], buckets)}
    frames = []
    for run in (run_id(d) for d in model_dirs):
        meta = model_meta(run)
        if meta["task"] != "classification":
            raise RnnlabError(f"{run.path}: a {meta['task']} model; this analysis needs classifiers")
        if meta["vocab_size"] != len(vocab) or meta["labels"] != list(data.label_names):
            raise CorpusError(f"{run.path}: vocabulary or labels differ from those of {corpus_dir}; analyse the "
                              "model on the corpus it was trained on")
        _, model, _, _ = load_trained(run.path, device)
        correct = (predict_logits(model, data, vocab.pad, device).argmax(1) == data.labels).numpy()
        frames.append(breakdown(correct, factors).assign(
            model=run.model, family=meta["family"], layers=meta["config"]["layers"], seed=run.seed, split=chosen))
    columns = ["model", "family", "layers", "seed", "split", "factor", "level", "n", "correct", "accuracy"]
    table = pd.concat(frames, ignore_index=True)[columns]
    statements, tests = _statements(table)
    summary = {"split": chosen, "factors": [f for f in factors], "comparisons": tests, "statements": statements,
               "headline": headline(table, headline_factor)}
    caption = (f"Accuracy (%) of each classifier on the {chosen} split broken down by "
               f"{', '.join(factors)} (length: sentence-length quantile buckets in tokens); bars: mean over seeds, "
               "whiskers: 95% CI over seeds (Student's t).")
    summary["captions"] = {"bidirectional": caption}
    return AnalysisOutput({"breakdown": table}, summary)


def redraw(folder: Path) -> list[tuple[str, plt.Figure | None, str]]:
    """The figure of a bidirectional folder, drawn from breakdown.csv and summary.json alone."""
    summary = read_json(folder / "summary.json")
    table = pd.read_csv(folder / "breakdown.csv", dtype={"level": str, "factor": str})
    return [("bidirectional", draw(table), summary["captions"]["bidirectional"])]


def run(request: Request, settings: BidirectionalSettings) -> AnalysisOutput:
    return bidirectional(request.corpus_dir, request.models, settings.split, settings.length_buckets,
                         request.torch_device(), settings.headline_factor)
