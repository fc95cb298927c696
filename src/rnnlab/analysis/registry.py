"""The analyses, one entry each: its settings dataclass and its record (what it reads, its module, its texts).

The config, the schema's ``analysis`` section, the ``rnnlab analyze`` options, the workflow, the
figure index and the report all read these records. Adding an analysis means writing its module
and adding its entry here: a settings dataclass (the one home of its defaults and limits; see
:mod:`.settings`) and an :class:`Analysis` record in :data:`ANALYSES`.

The module named by a record has ``run(request, settings) -> AnalysisOutput`` (what ``rnnlab
analyze <name>`` computes; :class:`.common.Request` holds its inputs) and ``redraw(folder)``,
which draws its figures from the cached CSVs and summary.json of a finished analysis. Modules are
imported by name only when used, so listing the analyses (for the config, the CLI, the figure index
or the report) imports none of torch or matplotlib; that is why the settings live here and not in
the modules.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any, Mapping

from ..data.processed import SPLITS
from ..errors import ConfigError, RnnlabError
from .settings import check, setting


@dataclass(frozen=True)
class Analysis:
    """One analysis: what it reads (the task of its corpora, the model families it analyses; no families:
    it trains or reads what it needs itself), its settings, the module that runs and redraws it, its texts."""

    name: str
    task: str | None  # None: runs once over results/metrics.csv (--metrics), not per corpus (--corpus-dir)
    families: tuple[str, ...]  # the models it reads are given as MODEL_DIR arguments; none: it takes none
    settings: type  # its settings dataclass: the one home of its defaults and limits
    module: str  # has run(request, settings) and redraw(folder)
    title: str  # of its section in the figure index (and in the report, without a section of its own)
    help: str
    description: str
    runtime: int  # minutes, the rule's resource for a cluster scheduler
    corpus_option: bool = False  # takes --corpus <name> (it records the corpus with runs it trains)

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


@dataclass(frozen=True)
class GradientSettings:
    split: str = setting("valid", "Split the gradients are measured on.", choices=SPLITS)
    window: int = setting(50, "Unrolled steps per sequence (largest distance + 1).", minimum=2)
    positions: int = setting(8, "Loss steps t per sequence (the last ones).", minimum=1)
    batch_size: int = setting(16, "Sequences per batch.", minimum=1)
    batches: int = setting(4, "Batches averaged over.", minimum=1)
    # Run without gradients first, so that h(0) of the window is a typical state.
    warmup: int = setting(50, "Steps run first to warm up the state.", minimum=0)

    def __post_init__(self) -> None:
        check(self, "gradients")
        if self.positions > self.window:
            raise ConfigError(f"analysis.gradients: setting 'positions' ({self.positions}) must not exceed "
                              f"'window' ({self.window})")


GRADIENTS = Analysis(
    "gradients", "lm", ("rnn", "lstm"), GradientSettings, "rnnlab.analysis.gradients", "Vanishing gradients",
    "Vanishing gradients: ||dJ(t)/dh(k)|| against t-k, RNN vs LSTM, at init and trained.",
    "For each RNN/LSTM language model, the norm of the gradient of the loss at step t with respect to the "
    "hidden state at step k, averaged over positions and batches, against the distance t-k; for the freshly "
    "initialised network (same seed and config) and the trained one. Writes distance.csv, parameters.csv, "
    "summary.json and the figure.", runtime=60)


# A small RNN LM that trains in seconds; CLIPPING_FIXED makes it plain SGD for a fixed number of steps.
CLIPPING_BASE: Mapping[str, Any] = MappingProxyType(
    {"emb": 64, "hidden": 128, "layers": 1, "dropout": 0.0, "bptt": 35, "batch_size": 20, "eval_batch_size": 10})
CLIPPING_FIXED: Mapping[str, Any] = MappingProxyType(
    {"optimizer": "sgd", "momentum": 0.0, "schedule": "none", "patience": None, "epochs": 1,
     "checkpoint_minutes": None})


@dataclass(frozen=True)
class ClippingSettings:
    model: str = setting("rnn", "Recurrent LM to train.", choices=("rnn", "lstm"))
    lr: float = setting(5.0, "SGD learning rate (pick one where unclipped training is unstable).",
                        exclusive_minimum=0)
    clip: float = setting(0.25, "Max gradient norm of the clipped runs.", exclusive_minimum=0)
    # The pipeline passes the config's seeds; by hand, --seeds is required.
    seeds: tuple[int, ...] | None = setting(None, "Seeds of the runs (null, the default, takes the config's seeds).",
                                            minimum=0, unique=True, cli_required=True)
    max_batches: int = setting(150, "Training steps per run.", minimum=1)
    params: Mapping[str, Any] = setting({}, "Model hyperparameters (emb, hidden, bptt, ...) over the analysis' "
                                            "small RNN.")

    def __post_init__(self) -> None:
        check(self, "clipping")
        if self.seeds is not None and not self.seeds:
            raise ConfigError("analysis.clipping: setting 'seeds' must list at least one seed")
        fixed = sorted(set(self.params) & ({"lr", "clip", "max_batches"} | set(CLIPPING_FIXED)))
        if fixed:
            raise ConfigError(f"parameter(s) {', '.join(fixed)} are set by the clipping analysis itself; "
                              "use --lr, --clip and --max-batches, and leave the rest out")

    def run_params(self, setting: str) -> dict[str, Any]:
        """Hyperparameters of the ``setting`` ("clipped" or "unclipped") runs."""
        clip = self.clip if setting == "clipped" else None
        return {**CLIPPING_BASE, **self.params, **CLIPPING_FIXED, "lr": self.lr, "clip": clip,
                "max_batches": self.max_batches}


CLIPPING = Analysis(
    "clipping", "lm", (), ClippingSettings, "rnnlab.analysis.clipping", "Exploding gradients and clipping",
    "Exploding gradients: train an RNN LM with and without gradient-norm clipping.",
    "Trains the model once per seed with SGD at --lr without clipping and with clipping at --clip (runs kept "
    "under <out>/runs), then reads each run's per-step loss and pre-clip gradient norm (steps.npz) and its "
    "status (diverged or not). Writes traces.csv, runs.csv, summary.json and the figure.",
    runtime=120, corpus_option=True)


@dataclass(frozen=True)
class LongDistanceSettings:
    split: str = setting("test", "Split to read.", choices=SPLITS)

    def __post_init__(self) -> None:
        check(self, "long-distance")


LONG_DISTANCE = Analysis(
    "long-distance", "lm", ("ngram", "window", "rnn", "lstm"), LongDistanceSettings,
    "rnnlab.analysis.long_distance", "Long-distance dependencies",
    "Long-distance dependencies: recall of a cue word against distance, per model.",
    "On a corpus with {split}.probes.tsv: the probability of the probed word, whether it is the argmax over "
    "the vocabulary, and whether it is the argmax among the cue nouns, against the distance to its cue, for "
    "n-gram, window, RNN and LSTM LMs. On any corpus: the loss of a word against the distance to its previous "
    "occurrence in the line. Writes probes.csv (when probes exist), recurrence.csv, summary.json, figures.",
    runtime=60)


@dataclass(frozen=True)
class ContextSettings:
    split: str = setting("test", "Split the targets are drawn from.", choices=SPLITS)
    targets: int = setting(2000, "Target positions sampled (seeded) from the split.", minimum=1)
    max_distance: int = setting(300, "Tokens of context before each target (D_max): the full context.", minimum=1)
    distances: tuple[int, ...] = setting((1, 2, 3, 5, 10, 20, 50, 100, 200),
                                         "Distances d beyond which the context is perturbed (increasing).", minimum=0)
    seed: int = setting(0, "Seed of the target sample, the permutations and the replacement draws.", minimum=0)
    threshold: float = setting(0.01, "A perturbation no longer matters from the smallest d at which it raises the "
                                     "loss by less than this fraction.", exclusive_minimum=0)
    batch_size: int = setting(128, "Contexts per forward pass.", minimum=1)

    def __post_init__(self) -> None:
        check(self, "context")
        d = self.distances
        if not d or any(a >= b for a, b in zip(d, d[1:])):
            raise ConfigError(f"analysis.context: setting 'distances' must list increasing distances, got {list(d)}")
        if d[-1] >= self.max_distance:
            raise ConfigError(f"analysis.context: the largest distance ({d[-1]}) must be below 'max_distance' "
                              f"({self.max_distance}): beyond it nothing is left to perturb")


CONTEXT = Analysis(
    "context", "lm", ("ngram", "window", "rnn", "lstm"), ContextSettings, "rnnlab.analysis.context",
    "How much context each model uses",
    "Context use: loss increase when the context beyond d tokens is dropped, shuffled or replaced.",
    "For a seeded sample of targets with --max-distance tokens of context each, the increase of the loss over "
    "the full-context loss when the context farther than d tokens is truncated, shuffled or replaced by "
    "unigram draws (Khandelwal et al. 2018), for n-gram, window, RNN and LSTM LMs; the effective context is "
    "the smallest d whose truncation raises the loss by less than --threshold. Writes increase.csv, "
    "reach.csv, summary.json and the figure.", runtime=60)


@dataclass(frozen=True)
class BidirectionalSettings:
    split: str | None = setting(None, "Split to read (null: test, else valid).", choices=(*SPLITS, None))
    length_buckets: int = setting(4, "Sentence-length buckets (quantiles).", minimum=1)
    headline_factor: str | None = setting(
        "distance", "Column of the split whose nearest and farthest levels give the headline (null: none).")

    def __post_init__(self) -> None:
        check(self, "bidirectional")


BIDIRECTIONAL = Analysis(
    "bidirectional", "classification", ("rnn", "lstm", "bilstm"), BidirectionalSettings,
    "rnnlab.analysis.bidirectional", "Bidirectionality and depth",
    "Bidirectionality: classifier accuracy by evidence position, construction and length.",
    "Accuracy of each trained classifier (RNN, LSTM, BiLSTM and variants <model>-<variant>) broken down by "
    "every extra column of the split (e.g. position, construction) and by sentence-length bucket. Writes "
    "breakdown.csv, summary.json and the figure.", runtime=30)


@dataclass(frozen=True)
class SignificanceSettings:
    pass


SIGNIFICANCE = Analysis(
    "significance", None, (), SignificanceSettings, "rnnlab.analysis.significance",
    "Significance of the differences",
    "Mean ± 95%% CI over seeds and paired tests between models, with sentences.",
    "Headline numbers (mean and 95% CI over seeds) and every pairwise comparison of models (paired t-test "
    "over shared seeds; one-sample test against a deterministic model's single run), each phrased as a "
    "sentence that says 'better' only when the CI of the difference excludes 0. Writes headline.csv, "
    "comparisons.csv, summary.json and the figure.", runtime=5)


ANALYSES: Mapping[str, Analysis] = MappingProxyType({a.name: a for a in (
    GRADIENTS, CLIPPING, LONG_DISTANCE, CONTEXT, BIDIRECTIONAL, SIGNIFICANCE,
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
