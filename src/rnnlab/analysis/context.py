"""How much context each language model uses: loss when the context beyond d tokens is perturbed.

Khandelwal, He, Qi & Jurafsky (2018), "Sharp Nearby, Fuzzy Far Away: How Neural Language Models
Use Context": for a seeded sample of targets, each with ``max_distance`` tokens of context, the
context farther than d tokens is dropped (truncate), shuffled or replaced by unigram draws
(:mod:`.context_perturb`), and the increase of the target's loss over its full-context loss is
measured for every d. Mean and 95% CI over targets per run, then over seeds. A perturbation stops
mattering at the smallest d at which it raises the mean loss by less than ``threshold`` (1%) of the
full-context loss; for truncation that d is the model's effective context.

An n-gram model sees n − 1 tokens and the window model its window, so perturbing beyond them
changes nothing, exactly; the recurrent models see the whole context.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from ..data.corpus_io import Probe, read_probes
from ..io import read_json
from .. import style
from ..plots import set_theme
from .common import AnalysisOutput, Request, run_id
from .context_perturb import PERTURBATIONS, perturbed, sample_targets, train_unigram
from .context_scorers import load_context_scorer
from .long_distance import Text, check_probes
from .context_reach import models_in_order, reach_table, statements
from .registry import ContextSettings
from .stats import MeanCI, mean_ci

FIGURE = "context_perturbation"


def contexts(stream: np.ndarray, targets: np.ndarray, settings: ContextSettings, unigram: np.ndarray,
             start_id: int) -> Iterator[tuple[str, int, list[np.ndarray]]]:
    """(perturbation, d, one context per target): the full context first (as ``full``, d = max_distance)."""
    s = settings
    yield "full", s.max_distance, [perturbed(stream, int(t), s.max_distance, "truncate", s.max_distance, s.seed,
                                             unigram, start_id) for t in targets]
    for name in PERTURBATIONS:
        for d in s.distances:
            yield name, d, [perturbed(stream, int(t), s.max_distance, name, d, s.seed, unigram, start_id)
                            for t in targets]


def run_rows(losses: dict[tuple[str, int], np.ndarray], distances: Sequence[int]) -> list[dict[str, Any]]:
    """One row per perturbation and d: mean loss increase over the targets with its 95% CI."""
    full = next(v for (name, _), v in losses.items() if name == "full")
    rows = []
    for name in PERTURBATIONS:
        for d in distances:
            increase = losses[name, d] - full
            ci, base = mean_ci(increase.tolist()), float(full.mean())
            relative = ci.mean / base if base > 0 else (math.inf if ci.mean > 0 else 0.0)
            rows.append({"perturbation": name, "distance": d, "targets": ci.n, "loss_full": base,
                         "increase": ci.mean, "low": ci.low, "high": ci.high, "relative": relative})
    return rows


def cue_rows(scorer: Any, stream: np.ndarray, probes: Sequence[Probe], indices: np.ndarray,
             start_id: int) -> list[dict[str, Any]]:
    """Per cue distance: the probed word's loss increase when truncation drops the cue (d = distance − 1)
    rather than keeping it (d = distance), the cue being ``distance`` tokens before the target."""
    kept = [np.concatenate([[start_id], stream[i - p.distance : i]]) for p, i in zip(probes, indices)]
    losses = scorer.losses(kept + [k[[0, *range(2, k.size)]] for k in kept], np.tile(stream[indices], 2))
    increase = losses[len(kept):] - losses[: len(kept)]
    distance = np.array([p.distance for p in probes])
    rows = []
    for d in sorted(set(distance.tolist())):
        ci = mean_ci(increase[distance == d].tolist())
        rows.append({"distance": d, "probes": ci.n, "increase": ci.mean, "low": ci.low, "high": ci.high})
    return rows


def cue_statements(cue: pd.DataFrame) -> list[str]:
    return [f"{model}: dropping the cue raises the loss of the probed word by (nats) " + ", ".join(
                f"d={d}: {mean_ci(g[g['distance'] == d]['increase'].tolist()).format(2)}"
                for d in sorted(g["distance"].unique()))
            for model, g in ((m, cue[cue["model"] == m]) for m in models_in_order(cue))]


def context_usage(corpus_dir: Path, model_dirs: Sequence[str | Path], settings: ContextSettings,
                  device: torch.device) -> AnalysisOutput:
    text = Text.load(corpus_dir, settings.split)
    vocab, stream = text.vocab, text.stream.numpy()
    targets = sample_targets(stream.size, settings.max_distance, settings.targets, settings.seed,
                             f"the {settings.split} split of {corpus_dir}")
    unigram = train_unigram(corpus_dir, vocab)
    groups = list(contexts(stream, targets, settings, unigram, vocab.eos))
    probe_path = Path(corpus_dir) / f"{settings.split}.probes.tsv"
    probes = read_probes(probe_path) if probe_path.exists() else []
    check_probes(text, probes, probe_path)
    indices = np.array([text.index(p.line, p.position) for p in probes], dtype=np.int64)
    rows, cue = [], []
    for run in (run_id(d) for d in model_dirs):
        scorer = load_context_scorer(run, vocab, device, settings.batch_size)
        # Every target, perturbation and distance in one list: the scorer batches them by length.
        scored = scorer.losses([c for _, _, ctx in groups for c in ctx], np.tile(stream[targets], len(groups)))
        n = targets.size
        losses = {(name, d): scored[i * n : (i + 1) * n] for i, (name, d, _) in enumerate(groups)}
        rows += [{"model": run.model, "seed": run.seed, **r} for r in run_rows(losses, settings.distances)]
        if probes:
            cue += [{"model": run.model, "seed": run.seed, **r} for r in cue_rows(scorer, stream, probes, indices,
                                                                                   vocab.eos)]
    increase = pd.DataFrame(rows)
    reach = reach_table(increase, settings.threshold)
    largest = settings.distances[-1]
    caption = (f"Increase of the loss (nats) of {settings.targets} {settings.split} targets over their loss with "
               f"the full {settings.max_distance}-token context, when the context farther than d tokens is dropped, "
               "shuffled or replaced by draws from the training unigram distribution (Khandelwal et al. 2018); "
               "lines: mean over seeds (over targets for a model run once), bands: 95% CI over seeds (Student's t; over targets "
               f"for a model run once); vertical lines: the d from which the perturbation raises the loss by less "
               f"than {100 * settings.threshold:g}% (for truncation, the effective context).")
    tables = {"increase": increase, "reach": reach}
    said = statements(reach, largest, settings.threshold)
    if cue:
        tables["cue"] = pd.DataFrame(cue)
        said += cue_statements(tables["cue"])
    summary = {"split": settings.split, "targets": settings.targets, "max_distance": settings.max_distance,
               "distances": list(settings.distances), "threshold": settings.threshold, "seed": settings.seed,
               "probes": len(probes), "statements": said, "captions": {FIGURE: caption}}
    return AnalysisOutput(tables, summary)


def _band(group: pd.DataFrame, distances: Sequence[int]) -> list[MeanCI]:
    """Per d: the mean over seeds with its 95% CI, or for a single run the CI over its targets."""
    out = []
    for d in distances:
        at = group[group["distance"] == d]
        ci = mean_ci(at["increase"].tolist())
        out.append(ci if ci.n > 1 else MeanCI(ci.mean, float(at["low"].iloc[0]), float(at["high"].iloc[0]), 1))
    return out


def draw(increase: pd.DataFrame, reach: pd.DataFrame) -> plt.Figure:
    set_theme()
    fig, axes = plt.subplots(1, len(PERTURBATIONS), figsize=(style.TWO_COLUMN, 2.8), sharey=True,
                             layout="constrained")
    distances = sorted(increase["distance"].unique())
    colors = style.palette(increase["model"].unique())
    for ax, name in zip(axes, PERTURBATIONS):
        for model in models_in_order(increase):
            group = increase[(increase["model"] == model) & (increase["perturbation"] == name)]
            cis = _band(group, distances)
            ls = "--" if model.startswith("ngram") else "-"
            ax.plot(distances, [c.mean for c in cis], marker=style.marker(model), ms=3, ls=ls, color=colors[model],
                    label=model)
            ax.fill_between(distances, [c.low for c in cis], [c.high for c in cis], color=colors[model], alpha=0.2,
                            lw=0)
            mark = reach[(reach["model"] == model) & (reach["perturbation"] == name)]["distance"].mean()
            if not math.isnan(mark):
                ax.axvline(mark, color=colors[model], ls=":", lw=1.0)
        ax.set_xscale("symlog", linthresh=1) if 0 in distances else ax.set_xscale("log")
        ax.set_xticks(distances, [str(d) for d in distances])
        ax.minorticks_off()
        ax.axhline(0, color="black", lw=0.6)
        ax.set(title=name)
    fig.supxlabel("d: tokens kept unperturbed before the target", fontsize=style.RC["axes.labelsize"])
    axes[0].set_ylabel("loss increase (nats)")
    axes[-1].legend(loc="upper right")
    return fig


def redraw(folder: Path) -> list[tuple[str, plt.Figure | None, str]]:
    """The figure of a context folder, drawn from its CSVs and summary.json alone."""
    summary = read_json(folder / "summary.json")
    increase, reach = pd.read_csv(folder / "increase.csv"), pd.read_csv(folder / "reach.csv")
    return [(FIGURE, draw(increase, reach), summary["captions"][FIGURE])]


def run(request: Request, settings: ContextSettings) -> AnalysisOutput:
    return context_usage(request.corpus_dir, request.models, settings, request.torch_device())
