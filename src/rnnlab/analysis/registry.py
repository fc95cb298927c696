"""The analyses, one record each: what it reads, its settings, its module, its report title and help.

The config, the CLI, the workflow, the figure index and the report all read these records, so
adding an analysis means writing its module (and its settings dataclass) and one entry here.

Each module named here has ``redraw(folder)``, which draws its figures from the cached CSVs and
summary.json of a finished analysis. Modules are imported by name only when used, so listing the
analyses (for the CLI, the figure index or the report) imports none of torch or matplotlib.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any, Mapping

from ..errors import RnnlabError
from .settings import (
    BidirectionalSettings, ClippingSettings, ContextSettings, GradientSettings, LongDistanceSettings,
    SignificanceSettings,
)


@dataclass(frozen=True)
class Analysis:
    """One analysis: what it reads (the task of its corpora, the model families it analyses; no families:
    it trains or reads what it needs itself), its settings, the module that runs and redraws it, its texts."""

    name: str
    task: str | None  # None: runs once over results/metrics.csv, not per corpus
    families: tuple[str, ...]
    settings: type  # a dataclass of .settings: the one home of its defaults and limits
    module: str  # has redraw(folder) -> figures
    title: str  # of its section in the figure index and the report
    help: str
    description: str
    runtime: int  # minutes, the rule's resource for a cluster scheduler
    corpus_option: bool = False  # takes --corpus <name> (it records the corpus with runs it trains)

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


ANALYSES: Mapping[str, Analysis] = MappingProxyType({a.name: a for a in (
    Analysis(
        "gradients", "lm", ("rnn", "lstm"), GradientSettings, "rnnlab.analysis.gradients", "Vanishing gradients",
        "Vanishing gradients: ||dJ(t)/dh(k)|| against t-k, RNN vs LSTM, at init and trained.",
        "For each RNN/LSTM language model, the norm of the gradient of the loss at step t with respect to the "
        "hidden state at step k, averaged over positions and batches, against the distance t-k; for the freshly "
        "initialised network (same seed and config) and the trained one. Writes distance.csv, parameters.csv, "
        "summary.json and the figure.", runtime=60),
    Analysis(
        "clipping", "lm", (), ClippingSettings, "rnnlab.analysis.clipping", "Exploding gradients and clipping",
        "Exploding gradients: train an RNN LM with and without gradient-norm clipping.",
        "Trains the model once per seed with SGD at --lr without clipping and with clipping at --clip (runs kept "
        "under <out>/runs), then reads each run's per-step loss and pre-clip gradient norm (steps.npz) and its "
        "status (diverged or not). Writes traces.csv, runs.csv, summary.json and the figure.",
        runtime=120, corpus_option=True),
    Analysis(
        "long-distance", "lm", ("ngram", "window", "rnn", "lstm"), LongDistanceSettings,
        "rnnlab.analysis.long_distance", "Long-distance dependencies",
        "Long-distance dependencies: recall of a cue word against distance, per model.",
        "On a corpus with {split}.probes.tsv: the probability of the probed word, whether it is the argmax over "
        "the vocabulary, and whether it is the argmax among the cue nouns, against the distance to its cue, for "
        "n-gram, window, RNN and LSTM LMs. On any corpus: the loss of a word against the distance to its previous "
        "occurrence in the line. Writes probes.csv (when probes exist), recurrence.csv, summary.json, figures.",
        runtime=60),
    Analysis(
        "context", "lm", ("ngram", "window", "rnn", "lstm"), ContextSettings, "rnnlab.analysis.context",
        "How much context each model uses",
        "Context use: loss increase when the context beyond d tokens is dropped, shuffled or replaced.",
        "For a seeded sample of targets with --max-distance tokens of context each, the increase of the loss over "
        "the full-context loss when the context farther than d tokens is truncated, shuffled or replaced by "
        "unigram draws (Khandelwal et al. 2018), for n-gram, window, RNN and LSTM LMs; the effective context is "
        "the smallest d whose truncation raises the loss by less than --threshold. Writes increase.csv, "
        "reach.csv, summary.json and the figure.", runtime=60),
    Analysis(
        "bidirectional", "classification", ("rnn", "lstm", "bilstm"), BidirectionalSettings,
        "rnnlab.analysis.bidirectional", "Bidirectionality and depth",
        "Bidirectionality: classifier accuracy by evidence position, construction and length.",
        "Accuracy of each trained classifier (RNN, LSTM, BiLSTM and variants <model>-<variant>) broken down by "
        "every extra column of the split (e.g. position, construction) and by sentence-length bucket. Writes "
        "breakdown.csv, summary.json and the figure.", runtime=30),
    Analysis(
        "significance", None, (), SignificanceSettings, "rnnlab.analysis.significance",
        "Significance of the differences",
        "Mean ± 95%% CI over seeds and paired tests between models, with sentences.",
        "Headline numbers (mean and 95% CI over seeds) and every pairwise comparison of models (paired t-test "
        "over shared seeds; one-sample test against a deterministic model's single run), each phrased as a "
        "sentence that says 'better' only when the CI of the difference excludes 0. Writes headline.csv, "
        "comparisons.csv, summary.json and the figure.", runtime=5),
)})

Figures = list[tuple[str, Any, str]]  # (name, matplotlib figure or None, caption)


def redraw(name: str, folder: str | Path) -> Figures:
    """The figures of analysis ``name`` drawn from the CSVs and summary.json in ``folder`` (no recomputation)."""
    folder = Path(folder)
    if not (folder / "summary.json").exists():
        raise RnnlabError(f"{folder}/summary.json is missing: run `rnnlab analyze {name} --out {folder}` first")
    return ANALYSES[name].load().redraw(folder)


def analysis_folders(root: Path) -> list[tuple[str, str | None, Path]]:
    """(analysis, corpus or None, folder) of every finished analysis under ``root``, in the records' order:
    ``root/<analysis>/<corpus>/summary.json`` or, for analyses over all corpora, ``root/<analysis>/summary.json``."""
    found: list[tuple[str, str | None, Path]] = []
    for name in ANALYSES:
        folder = Path(root) / name
        if (folder / "summary.json").exists():
            found.append((name, None, folder))
        elif folder.is_dir():
            found += [(name, sub.name, sub) for sub in sorted(folder.iterdir()) if (sub / "summary.json").exists()]
    return found
