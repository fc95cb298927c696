"""The figures drawn from the tidy metrics table (and the jobs' wall times), one :class:`Figure` each.

Each figure's ``draw`` reads :class:`PlotData` and returns a matplotlib figure, or None when the
run has nothing to show; :func:`rnnlab.figures.make_figures` saves them through
:func:`rnnlab.plots.save_figures`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from . import style
from .job_times import OTHER_STEP, per_item
from .metrics import headline_split, mean_ci
from .models.registry import model_sort_key


@dataclass(frozen=True)
class PlotData:
    metrics: pd.DataFrame  # results/metrics.csv
    curves: pd.DataFrame  # results/curves.csv: corpus, model, seed, epoch, metric, value
    job_times: pd.DataFrame | None = None  # rnnlab.job_times.read_job_times of results/benchmarks


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    caption: str
    draw: Callable[[PlotData], plt.Figure | None]
    section: str = "results"


def _model_order(frame: pd.DataFrame) -> list[str]:
    return sorted(frame["model"].unique(), key=model_sort_key)


def _width(panels: int) -> float:
    return style.ONE_COLUMN if panels == 1 else style.TWO_COLUMN


def _t_interval(values: pd.Series) -> tuple[float, float]:
    ci = mean_ci(values.tolist())
    return ci.low, ci.high


def _bars(ax: plt.Axes, d: pd.DataFrame) -> None:
    """Horizontal bars, one per model in the lecture's order, in its family's colour; whiskers: 95% CI
    over seeds (Student's t; none for a single run)."""
    order = _model_order(d)
    sns.barplot(d, y="model", x="value", hue="model", order=order, hue_order=order, palette=style.palette(order),
                errorbar=_t_interval, err_kws={"linewidth": 0.8}, capsize=0.2, legend=False, ax=ax)
    ax.set(ylabel="")


def _bar_height(models: int) -> float:
    return 1.1 + 0.16 * models


def draw_lm_perplexity(d: PlotData) -> plt.Figure | None:
    metrics = d.metrics
    data = headline_split(metrics[(metrics["task"] == "lm") & (metrics["metric"] == "perplexity")])
    data = data[data["value"].notna()]
    if data.empty:
        return None
    corpora = sorted(data["corpus"].unique())
    fig, axes = plt.subplots(1, len(corpora), figsize=(_width(len(corpora)), _bar_height(data["model"].nunique())),
                             squeeze=False)
    for ax, corpus in zip(axes[0], corpora):
        d = data[data["corpus"] == corpus]
        _bars(ax, d)
        ax.set(title=f"{corpus} ({d['split'].iloc[0]})", xlabel="perplexity (lower is better)")
    fig.tight_layout()
    return fig


def _metric_panels(data: pd.DataFrame, panels: tuple[tuple[str, str], ...], xlabel: str) -> plt.Figure | None:
    """One row per corpus, one panel per (metric, label) present, bars per model."""
    if data.empty:
        return None
    panels = tuple((m, label) for m, label in panels if (data["metric"] == m).any())
    corpora = sorted(data["corpus"].unique())
    height = _bar_height(data["model"].nunique()) * len(corpora)
    fig, axes = plt.subplots(len(corpora), len(panels), figsize=(_width(len(panels)), height), squeeze=False,
                             sharey="row")
    for row, corpus in zip(axes, corpora):
        c = data[data["corpus"] == corpus]
        for ax, (metric, label) in zip(row, panels):
            m = c[c["metric"] == metric]
            if m.empty:
                ax.set_axis_off()
                continue
            _bars(ax, m)
            ax.set(title=label, xlabel=xlabel, xlim=(0, 100))
        row[0].set_ylabel(f"{corpus} ({c['split'].iloc[0]})")
    fig.tight_layout()
    return fig


CLASSIFICATION_PANELS = (("accuracy", "accuracy"), ("macro_f1", "macro-F1"))


def draw_classification(d: PlotData) -> plt.Figure | None:
    metrics = d.metrics
    data = metrics[(metrics["task"] == "classification") & metrics["metric"].isin([m for m, _ in CLASSIFICATION_PANELS])]
    return _metric_panels(headline_split(data[data["value"].notna()]), CLASSIFICATION_PANELS, "% (higher is better)")


def draw_learning_curves(d: PlotData) -> plt.Figure | None:
    data = d.curves[d.curves["metric"] == "valid_loss"]
    if data.empty:
        return None
    corpora = sorted(data["corpus"].unique())
    fig, axes = plt.subplots(1, len(corpora), figsize=(style.TWO_COLUMN, 2.4), squeeze=False)
    for ax, corpus in zip(axes[0], corpora):
        c = data[data["corpus"] == corpus]
        order = _model_order(c)
        sns.lineplot(c, x="epoch", y="value", hue="model", hue_order=order, palette=style.palette(order),
                     style="model", style_order=order, markers=style.markers(order), dashes=False,
                     errorbar=_t_interval, ax=ax)
        ax.set(title=corpus, xlabel="epoch", ylabel="valid. cross-entropy (nats)")
        ax.legend(title="", ncol=2, handlelength=1.5, columnspacing=0.8)
    fig.tight_layout()
    return fig


TAGGING_PANELS = (("accuracy", "all words"), ("accuracy_right_context", "right-context words"),
                  ("accuracy_oov", "out-of-vocabulary words"))


def draw_tagging(d: PlotData) -> plt.Figure | None:
    """Token accuracy per tagger: all words, words only the right context decides, OOV words."""
    metrics = d.metrics
    data = metrics[(metrics["task"] == "tagging") & metrics["metric"].isin([m for m, _ in TAGGING_PANELS])]
    return _metric_panels(headline_split(data[data["value"].notna()]), TAGGING_PANELS, "token accuracy %")


NER_SUBSETS = {"span_f1": "all entities", "span_f1_right_context": "decided on the right",
               "span_f1_oov": "with an OOV word"}


def draw_ner(d: PlotData) -> plt.Figure | None:
    """Span F1 per entity tagger: by entity subset (left panel) and by entity type (right panel)."""
    metrics = d.metrics[(d.metrics["task"] == "ner") & d.metrics["value"].notna()]
    data = headline_split(metrics[metrics["metric"].isin(NER_SUBSETS) | metrics["metric"].str.startswith("span_f1.")])
    if data.empty:
        return None
    corpora = sorted(data["corpus"].unique())
    fig, axes = plt.subplots(len(corpora), 2, figsize=(style.TWO_COLUMN, 2.8 * len(corpora)), squeeze=False)
    for (left, right), corpus in zip(axes, corpora):
        c = data[data["corpus"] == corpus]
        subsets = c[c["metric"].isin(NER_SUBSETS)].assign(entities=lambda f: f["metric"].map(NER_SUBSETS))
        types = c[c["metric"].str.startswith("span_f1.")].assign(type=lambda f: f["metric"].str.removeprefix("span_f1."))
        for ax, frame, hue, title in ((left, subsets, "entities", "by entity subset"), (right, types, "type", "by type")):
            sns.barplot(frame, x="model", y="value", hue=hue, order=_model_order(c), errorbar=_t_interval, ax=ax)
            ax.set(title=f"{corpus} ({c['split'].iloc[0]}): {title}", xlabel="", ylabel="span F1 %", ylim=(0, 100))
            ax.tick_params(axis="x", rotation=40)
            ax.legend(title="", loc="lower right")
    fig.tight_layout()
    return fig


# Bars of the job-time figure: the largest items, each its own bar; the rest are summed as 'other'.
JOB_TIME_BARS = 16


def draw_job_times(d: PlotData) -> plt.Figure | None:
    """Where the run's time went: each rule and item's wall time summed over its seeds, largest first."""
    if d.job_times is None or d.job_times.empty:
        return None
    items = per_item(d.job_times, JOB_TIME_BARS)
    items = items.assign(label=[f"{s}: {i} ({n})" if i else f"{s} ({n})"
                                for s, i, n in zip(items["step"], items["item"], items["jobs"])])
    steps = list(dict.fromkeys(items["step"]))
    # The summed remainder is not a rule: grey, so that no rule's colour comes round again for it.
    rules = [s for s in steps if s != OTHER_STEP]
    colors = {**dict(zip(rules, sns.color_palette(list(style.OKABE_ITO.values()), len(rules)))),
              OTHER_STEP: style.OTHER_COLOR}
    fig, ax = plt.subplots(figsize=(style.TWO_COLUMN, 1.0 + 0.14 * len(items)))
    sns.barplot(items, y="label", x="seconds", hue="step", hue_order=steps, palette=colors, dodge=False, ax=ax)
    total = d.job_times["seconds"].sum()
    ax.set(ylabel="", xlabel="wall time summed over the item's jobs (s)",
           title=f"{len(d.job_times)} jobs, {total:.0f} s of job wall time in all")
    ax.legend(title="rule", loc="lower right")
    fig.tight_layout()
    return fig


def figure_specs() -> list[Figure]:
    return [
        Figure("lm_perplexity", "Language-model perplexity",
               "Perplexity of each language model on the test split (valid where a corpus has no test split); "
               "one end-of-sentence token per line; bars: mean over seeds, whiskers: 95% CI over seeds (Student's t; "
               "none for a deterministic model's single run).",
               draw_lm_perplexity),
        Figure("classification", "Classification accuracy and macro-F1",
               "Accuracy and macro-F1 (%) of each classifier on the test split (valid where a corpus has no test "
               "split); bars: mean over seeds, whiskers: 95% CI over seeds (Student's t).",
               draw_classification),
        Figure("learning_curves", "Learning curves",
               "Validation cross-entropy per token (LM) or per sentence (classification) after each epoch; "
               "lines: mean over seeds, bands: 95% CI over seeds (Student's t).",
               draw_learning_curves),
        Figure("tagging", "Sequence tagging (UPOS) accuracy",
               "Token accuracy (%) of each tagger on the test split (valid where a corpus has no test split): all "
               "words, words whose tag only the words to their right decide (RightContext=Yes; where the corpus "
               "marks some) and words outside the training vocabulary; bars: mean over seeds, whiskers: 95% CI over "
               "seeds (Student's t).",
               draw_tagging, section="tagging"),
        Figure("ner", "Named-entity recognition: span F1",
               "Span F1 (%, strict IOB2: type and both boundaries must match) of each entity tagger on the test "
               "split (valid where a corpus has no test split): all entities, entities whose type only the words "
               "to their right decide (where the corpus marks them) and entities holding a word outside the "
               "training vocabulary (left); per entity type (right); bars: mean over seeds, whiskers: 95% CI over "
               "seeds (Student's t).",
               draw_ner, section="ner"),
        Figure("job_times", "Where the run's time went",
               "Wall time of each rule's jobs on each item (corpus/model, or corpus), summed over seeds, from "
               "Snakemake's benchmark files; in brackets, the number of jobs. Jobs run in parallel, so the sum "
               f"exceeds the run's elapsed time; the {JOB_TIME_BARS} largest items are shown and the rest summed "
               "as 'other'. The figures and report jobs themselves are not included (they run after this is drawn).",
               draw_job_times, section="provenance"),
    ]
