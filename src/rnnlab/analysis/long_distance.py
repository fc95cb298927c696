"""Long-distance dependencies: can a model recall a word it saw d tokens earlier?

On ``synthetic-lm`` each passage names a cue noun and repeats it at its end (``{split}.probes.tsv``):
only a model that carries the cue over ``distance`` tokens can predict it. For every probe we
record the probability of the target, whether it is the argmax over the whole vocabulary, and
whether it is the argmax among the K cue nouns (chance 1/K). Every corpus also gets the loss of
each word against the distance to its previous occurrence in the same line.

Neural models read the split as evaluation does (one stream, ``<eos>`` after each line, the state
carried across lines over ``eval_batch_size`` columns); n-gram models score each line from ``<s>``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping, Protocol, Sequence

import matplotlib.pyplot as plt
from matplotlib.ticker import NullLocator
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ..data.batching import eval_columns, window_contexts
from ..data.corpus_io import Probe, read_probes
from ..data.processed import read_lm_split
from ..data.vocab import EOS, PAD, Vocab
from ..errors import CorpusError, RnnlabError
from ..io import read_json
from ..models.registry import family_of, get_model, model_sort_key
from ..ngram import ArpaModel
from .. import style
from ..plots import set_theme
from .common import AnalysisOutput, Request, RunId, run_id, trained_arpa
from .context_scorers import load_lm
from .registry import LongDistanceSettings
from .stats import MeanCI, mean_ci

LN10 = math.log(10.0)
# Distance to the previous occurrence of a word in its line: bucket label -> (low, high) inclusive.
BUCKETS: Mapping[str, tuple[float, float]] = MappingProxyType({
    "1": (1, 1), "2–3": (2, 3), "4–7": (4, 7), "8–15": (8, 15), "16–31": (16, 31), "32–63": (32, 63),
    "64+": (64, math.inf),
})
FIRST = "first in line"


@dataclass(frozen=True)
class Text:
    """A split as the models read it: tokens per line and one id stream with ``<eos>`` after each line."""

    lines: list[list[str]]
    vocab: Vocab
    stream: torch.Tensor  # (N,)
    offsets: np.ndarray  # (L,) stream index of each line's first token

    @classmethod
    def load(cls, corpus_dir: Path, split: str) -> "Text":
        vocab = Vocab.for_corpus(corpus_dir)
        lines = read_lm_split(corpus_dir, split)
        offsets = np.concatenate([[0], np.cumsum([len(line) + 1 for line in lines])[:-1]]).astype(np.int64)
        return cls(lines, vocab, torch.from_numpy(vocab.encode_stream(lines)), offsets)

    def index(self, line: int, position: int) -> int:
        return int(self.offsets[line] + position)

    def locate(self, index: int) -> tuple[int, int]:
        line = int(np.searchsorted(self.offsets, index, side="right") - 1)
        return line, index - int(self.offsets[line])


class Scorer(Protocol):
    """Natural log-probabilities a language model gives to the tokens of a :class:`Text`."""

    def distributions(self, indices: np.ndarray) -> np.ndarray:
        """(n, V) log-probabilities over ``text.vocab`` of the token at each stream index."""

    def token_logprobs(self) -> np.ndarray:
        """(N,) log-probability of every token of the stream."""


def _gather(chunks: Iterator[tuple[np.ndarray, torch.Tensor]], indices: np.ndarray | None, text: Text) -> np.ndarray:
    """From (stream indices, (n, V) log-probs) chunks: the rows at ``indices``, or every token's log-prob."""
    if indices is None:
        out = np.empty(text.stream.numel())
        for idx, logp in chunks:
            target = text.stream[idx].view(-1, 1).to(logp.device)  # (n, 1)
            out[idx] = logp.gather(1, target).squeeze(1).double().cpu().numpy()
        return out
    unique, inverse = np.unique(indices, return_inverse=True)
    slot = np.full(text.stream.numel(), -1)
    slot[unique] = np.arange(unique.size)
    rows = np.empty((unique.size, len(text.vocab)))
    for idx, logp in chunks:
        dest = slot[idx]
        keep = dest >= 0
        rows[dest[keep]] = logp[torch.from_numpy(keep).to(logp.device)].double().cpu().numpy()
    return rows[inverse]


class RecurrentScorer:
    def __init__(self, model: torch.nn.Module, text: Text, batch_size: int, device: torch.device) -> None:
        self.model, self.text, self.batch_size, self.device = model, text, batch_size, device

    @torch.no_grad()
    def _chunks(self) -> Iterator[tuple[np.ndarray, torch.Tensor]]:
        self.model.eval()
        data, vocab = self.text.stream, self.text.vocab
        cols = eval_columns(data, self.batch_size, start_id=vocab.eos, pad_id=vocab.pad)
        width = cols.inputs.size(1)
        base, extra = divmod(data.numel(), width)
        starts = torch.tensor([j * base + min(j, extra) for j in range(width)])  # (B,) first target of each column
        state = self.model.initial_state(width, self.device)
        chunk = max(1, min(256, 2**22 // (width * len(vocab))))
        for start in range(0, cols.inputs.size(0), chunk):
            logits, state = self.model(cols.inputs[start : start + chunk].to(self.device), state)  # (L, B, V)
            rows = torch.arange(start, start + logits.size(0)).unsqueeze(1)  # (L, 1)
            mask = cols.mask[start : start + logits.size(0)]  # (L, B)
            index = (starts.unsqueeze(0) + rows)[mask]  # (n,)
            yield index.numpy(), F.log_softmax(logits.float(), dim=-1)[mask.to(logits.device)]

    def distributions(self, indices: np.ndarray) -> np.ndarray:
        return _gather(self._chunks(), indices, self.text)

    def token_logprobs(self) -> np.ndarray:
        return _gather(self._chunks(), None, self.text)


class WindowScorer:
    def __init__(self, model: torch.nn.Module, text: Text, device: torch.device) -> None:
        self.model, self.text, self.device = model, text, device

    @torch.no_grad()
    def _chunks(self, indices: np.ndarray) -> Iterator[tuple[np.ndarray, torch.Tensor]]:
        self.model.eval()
        contexts = window_contexts(self.text.stream, self.model.cfg.window, start_id=self.text.vocab.eos)  # (N, w)
        for start in range(0, len(indices), 4096):
            idx = indices[start : start + 4096]
            logits = self.model(contexts[torch.as_tensor(idx)].to(self.device))  # (n, V)
            yield idx, F.log_softmax(logits.float(), dim=-1)

    def distributions(self, indices: np.ndarray) -> np.ndarray:
        return _gather(self._chunks(np.asarray(indices)), indices, self.text)

    def token_logprobs(self) -> np.ndarray:
        return _gather(self._chunks(np.arange(self.text.stream.numel())), None, self.text)


class NgramScorer:
    """An ARPA model; ``<eos>`` is its ``</s>``, ``<pad>`` gets probability 0."""

    def __init__(self, model: ArpaModel, text: Text) -> None:
        self.model, self.text = model, text

    def distributions(self, indices: np.ndarray) -> np.ndarray:
        itos = self.text.vocab.itos
        words = [w for w in itos if w not in (PAD, EOS)]
        columns = [itos.index(w) for w in words]
        histories: dict[tuple[str, ...], int] = {}
        keys = []
        for i in indices:
            line, position = self.text.locate(int(i))
            # Only the last order − 1 words condition the next word; fewer at the start of a line, where
            # the sentence start <s> is among them (as when the shortened history is scored from <s>).
            history = tuple(self.text.lines[line][max(0, position - self.model.order + 1) : position])
            keys.append(histories.setdefault(history, len(histories)))
        unique = [list(h) for h in histories]
        table = np.full((len(unique), len(itos)), -np.inf)
        scores = self.model.score_sentences([[*h, w] for h in unique for w in words])
        table[:, columns] = np.array([s.logprobs[-2] for s in scores]).reshape(len(unique), len(words)) * LN10
        table[:, itos.index(EOS)] = [s.logprobs[-1] * LN10 for s in self.model.score_sentences(unique)]
        return table[keys]

    def token_logprobs(self) -> np.ndarray:
        return np.concatenate([s.logprobs for s in self.model.score_sentences(self.text.lines)]) * LN10


def _neural(run: RunId, text: Text, device: torch.device) -> Scorer:
    meta, model, train_cfg = load_lm(run, len(text.vocab), device, "long-distance")
    if get_model(meta["name"]).fixed_window:
        return WindowScorer(model, text, device)
    return RecurrentScorer(model, text, train_cfg.eval_batch_size, device)


def _ngram(run: RunId, text: Text, device: torch.device) -> Scorer:
    return NgramScorer(trained_arpa(run), text)


# Model family (the part of the model's name before the first '-') -> how to load its scorer.
SCORERS: Mapping[str, Callable[[RunId, Text, torch.device], Scorer]] = MappingProxyType({
    "ngram": _ngram, "window": _neural, "rnn": _neural, "lstm": _neural,
})


def load_scorer(run: RunId, text: Text, device: torch.device) -> Scorer:
    family = family_of(run.model)
    if family not in SCORERS:
        raise RnnlabError(f"{run.path}: model {run.model!r} is not a language model this analysis reads "
                          f"(families: {', '.join(SCORERS)})")
    return SCORERS[family](run, text, device)


def probe_results(logprobs: np.ndarray, probes: Sequence[Probe], vocab: Vocab, cues: Sequence[str]) -> pd.DataFrame:
    """One row per probe: distance, p(target), target is the argmax over the vocabulary / over the cues."""
    target = np.array([vocab.stoi.get(p.target, vocab.unk) for p in probes])
    cue_ids = np.array([vocab.stoi[c] for c in cues if c in vocab.stoi])
    rows = np.arange(len(probes))
    best_cue = cue_ids[logprobs[:, cue_ids].argmax(1)] if cue_ids.size else np.full(len(probes), -1)
    return pd.DataFrame({"distance": [p.distance for p in probes], "p_target": np.exp(logprobs[rows, target]),
                         "correct": logprobs.argmax(1) == target, "correct_cue": best_cue == target})


def recurrence_distances(lines: Sequence[Sequence[str]], skip: tuple[str, ...] = ("<unk>",)) -> list[np.ndarray]:
    """Per line and token: tokens since the same word last occurred in the line (0: first occurrence)."""
    out = []
    for line in lines:
        last: dict[str, int] = {}
        distances = np.zeros(len(line), dtype=np.int64)
        for i, word in enumerate(line):
            if word in last and word not in skip:
                distances[i] = i - last[word]
            last[word] = i
        out.append(distances)
    return out


def bucket(distance: int) -> str:
    if distance == 0:
        return FIRST
    return next(name for name, (low, high) in BUCKETS.items() if low <= distance <= high)


def recurrence_table(text: Text, token_logprobs: np.ndarray) -> pd.DataFrame:
    """Mean loss (nats) and token count per distance bucket; ``<unk>`` and ``<eos>`` left out."""
    distances = recurrence_distances(text.lines)
    frame = pd.DataFrame({
        "bucket": [bucket(int(d)) for ds in distances for d in ds],
        "loss": np.concatenate([-token_logprobs[o : o + len(line)] for o, line in zip(text.offsets, text.lines)]),
        "word": [w for line in text.lines for w in line],
    })
    frame = frame[frame["word"] != "<unk>"]
    table = frame.groupby("bucket", sort=False)["loss"].agg(loss="mean", tokens="size").reset_index()
    order = [FIRST, *BUCKETS]
    return table.sort_values("bucket", key=lambda s: s.map(order.index)).reset_index(drop=True)


def _summarise_probes(rows: pd.DataFrame) -> pd.DataFrame:
    """Per model, seed and distance: mean p(target), accuracy, accuracy among the cues, probe count."""
    return rows.groupby(["model", "seed", "distance"], sort=True).agg(
        p_target=("p_target", "mean"), accuracy=("correct", "mean"), cue_accuracy=("correct_cue", "mean"),
        probes=("correct", "size")).reset_index()


def _per_model(table: pd.DataFrame, key: str, column: str, levels: Sequence[Any]) -> Iterator[tuple[str, list[MeanCI]]]:
    """Per model: the mean of ``column`` over seeds, with its 95% CI, at each level of ``key``."""
    for model in sorted(table["model"].unique(), key=model_sort_key):
        group = table[table["model"] == model]
        yield model, [mean_ci(group[group[key] == level][column].tolist()) for level in levels]


def _statements(table: pd.DataFrame, key: str, column: str, levels: Sequence[Any], what: str) -> list[str]:
    return [f"{model} {what}: " + ", ".join(f"{level}: {ci.format(2)}" for level, ci in zip(levels, cis) if ci.n)
            for model, cis in _per_model(table, key, column, levels)]


def _draw_lines(ax: plt.Axes, table: pd.DataFrame, key: str, column: str, levels: Sequence[Any],
                x: Sequence[float]) -> None:
    """One line per model (n-gram models dashed), with a band for the 95% CI over seeds."""
    colors = style.palette(table["model"].unique())
    for model, cis in _per_model(table, key, column, levels):
        ls = "--" if model.startswith("ngram") else "-"
        ax.plot(x, [c.mean for c in cis], marker=style.marker(model), ls=ls, color=colors[model], label=model)
        ax.fill_between(x, [c.low for c in cis], [c.high for c in cis], color=colors[model], alpha=0.2, lw=0)


def draw_probes(table: pd.DataFrame, k: int) -> plt.Figure:
    set_theme()
    fig, axes = plt.subplots(1, 3, figsize=(style.TWO_COLUMN, 2.8), sharex=True, layout="constrained")
    panels = (("p_target", "P(target)"), ("accuracy", "accuracy (argmax over vocabulary)"),
              ("cue_accuracy", "accuracy among the cue nouns"))
    distances = sorted(table["distance"].unique())
    for ax, (column, label) in zip(axes, panels):
        _draw_lines(ax, table, "distance", column, distances, distances)
        ax.set(xscale="log", ylabel=label, ylim=(-0.02, 1.02))
        # The probed distances themselves as ticks, in plain numbers.
        ax.set_xticks(distances, [str(d) for d in distances])
        ax.xaxis.set_minor_locator(NullLocator())
    axes[2].axhline(1 / k, color="black", ls=":", lw=1, label=f"chance 1/{k}")
    fig.supxlabel("distance from cue to target (tokens)", fontsize=style.RC["axes.labelsize"])
    fig.legend(*axes[2].get_legend_handles_labels(), loc="outside right center", handlelength=1.5)
    return fig


def draw_recurrence(table: pd.DataFrame) -> plt.Figure:
    set_theme()
    fig, ax = plt.subplots(figsize=(style.ONE_COLUMN, 2.6))
    order = [b for b in [FIRST, *BUCKETS] if b in set(table["bucket"])]
    _draw_lines(ax, table, "bucket", "loss", order, np.arange(len(order)))
    ax.set_xticks(np.arange(len(order)), order, rotation=30)
    ax.set(xlabel="tokens since the word's previous occurrence in the line", ylabel="loss (nats)")
    ax.legend(ncol=2, handlelength=1.5)
    fig.tight_layout()
    return fig


def check_probes(text: Text, probes: Sequence[Probe], path: Path) -> None:
    for p in probes:
        if p.line >= len(text.lines) or p.position >= len(text.lines[p.line]) or \
                text.lines[p.line][p.position] != p.target:
            raise CorpusError(f"{path}: probe (line {p.line}, position {p.position}) does not point at "
                              f"{p.target!r} in {path.name.split('.')[0]}.txt; rerun `rnnlab prepare` so that "
                              "both match")


def long_distance(corpus_dir: Path, model_dirs: Sequence[str | Path], split: str,
                  device: torch.device) -> AnalysisOutput:
    text = Text.load(corpus_dir, split)
    probe_path = Path(corpus_dir) / f"{split}.probes.tsv"
    probes = read_probes(probe_path) if probe_path.exists() else []
    cues = sorted({p.cue for p in probes})
    check_probes(text, probes, probe_path)
    indices = np.array([text.index(p.line, p.position) for p in probes], dtype=np.int64)
    probe_tables, recurrence_tables = [], []
    for run in (run_id(d) for d in model_dirs):
        scorer = load_scorer(run, text, device)
        if probes:
            rows = probe_results(scorer.distributions(indices), probes, text.vocab, cues)
            probe_tables.append(_summarise_probes(rows.assign(model=run.model, seed=run.seed)))
        recurrence_tables.append(recurrence_table(text, scorer.token_logprobs()).assign(model=run.model, seed=run.seed))
    recurrence = pd.concat(recurrence_tables, ignore_index=True)[["model", "seed", "bucket", "tokens", "loss"]]
    tables = {"recurrence": recurrence}
    buckets = [b for b in [FIRST, *BUCKETS] if b in set(recurrence["bucket"])]
    statements = _statements(recurrence, "bucket", "loss", buckets,
                             "loss (nats) by distance to the previous occurrence in the line")
    captions = {"long_distance_recurrence": (
                f"Loss (nats) of each word on the {split} split against the number of tokens since the same word "
                "last occurred in its line ('first in line': no earlier occurrence); <unk> left out; lines: mean "
                "over seeds, bands: 95% CI over seeds (Student's t).")}
    if probes:
        probe_table = pd.concat(probe_tables, ignore_index=True)
        tables["probes"] = probe_table
        statements = [f"probes: {len(cues)} cue nouns, chance among them = {1 / len(cues):.2f}",
                      *_statements(probe_table, "distance", "cue_accuracy", sorted(probe_table["distance"].unique()),
                                   "accuracy among the cue nouns by distance"), *statements]
        captions = {"long_distance_probes": (
                           f"Recall of the cue noun at the end of each {split} passage against its distance from "
                           f"the cue (log scale): probability of the target, accuracy of the argmax over the "
                           f"vocabulary, and accuracy of the argmax among the {len(cues)} cue nouns (dotted: "
                           "chance); n-gram models score each line from its start, neural models read the split "
                           "as evaluation does; bands: 95% CI over seeds (Student's t)."), **captions}
    summary = {"split": split, "probes": len(probes), "cue_nouns": cues, "statements": statements,
               "captions": captions}
    return AnalysisOutput(tables, summary)


def redraw(folder: Path) -> list[tuple[str, plt.Figure | None, str]]:
    """The figures of a long-distance folder, drawn from its CSVs and summary.json alone."""
    summary = read_json(folder / "summary.json")
    captions = summary["captions"]
    made = []
    if (folder / "probes.csv").exists():
        made.append(("long_distance_probes", draw_probes(pd.read_csv(folder / "probes.csv"), len(summary["cue_nouns"])),
                     captions["long_distance_probes"]))
    recurrence = pd.read_csv(folder / "recurrence.csv", dtype={"bucket": str})
    made.append(("long_distance_recurrence", draw_recurrence(recurrence), captions["long_distance_recurrence"]))
    return made


def run(request: Request, settings: LongDistanceSettings) -> AnalysisOutput:
    return long_distance(request.corpus_dir, request.models, settings.split, request.torch_device())
