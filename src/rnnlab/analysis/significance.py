"""The significance analysis: headline numbers over seeds, every pairwise comparison and its forest plot.

The comparisons themselves (paired t-test, the "better only when the CI excludes 0" rule) are in
:mod:`.stats`, which the report uses too.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..errors import RnnlabError
from ..io import read_json
from ..plots import set_theme
from .common import AnalysisOutput
from .stats import PRIMARY, TESTS, all_comparisons, headline_table


def draw_differences(comparisons: pd.DataFrame) -> plt.Figure | None:
    """Forest plot of A − B with its 95% CI, one panel per corpus on its primary metric."""
    if comparisons.empty:
        return None
    primary = comparisons[(comparisons["metric"] == comparisons["task"].map(PRIMARY))
                          & (comparisons["test"] != TESTS[2])]
    if primary.empty:
        return None
    set_theme()
    corpora = sorted(primary["corpus"].unique())
    height = max(2.5, 0.28 * primary.groupby("corpus").size().max() + 1.2)
    fig, axes = plt.subplots(1, len(corpora), figsize=(5.2 * len(corpora), height), squeeze=False)
    for ax, corpus in zip(axes[0], corpora):
        d = primary[primary["corpus"] == corpus].reset_index(drop=True)
        y = np.arange(len(d))
        colors = ["C2" if decided else "0.55" for decided in d["decided"]]
        ax.errorbar(d["diff"], y, xerr=[d["diff"] - d["low"], d["high"] - d["diff"]], fmt="none", ecolor=colors)
        ax.scatter(d["diff"], y, c=colors, zorder=3, s=16)
        ax.axvline(0.0, color="black", lw=0.8)
        ax.set_yticks(y, [f"{a} − {b}" for a, b in zip(d["a"], d["b"])])
        ax.invert_yaxis()
        ax.set(title=f"{corpus} ({d['split'].iloc[0]})", xlabel=f"difference in {d['metric'].iloc[0]}")
    fig.tight_layout()
    return fig


def significance(metrics_csv: str) -> AnalysisOutput:
    """Headline table, all pairwise comparisons, their sentences and the forest plot."""
    try:
        metrics = pd.read_csv(metrics_csv)
    except FileNotFoundError:
        raise RnnlabError(f"{metrics_csv}: not found; run `rnnlab collect` (or the pipeline) first") from None
    missing = {"task", "corpus", "model", "seed", "split", "metric", "value"} - set(metrics.columns)
    if missing:
        raise RnnlabError(f"{metrics_csv}: missing column(s) {', '.join(sorted(missing))}; "
                          "it must be the tidy table written by `rnnlab collect`")
    headline = headline_table(metrics)
    comparisons = all_comparisons(metrics)
    decided = int(comparisons["decided"].sum()) if not comparisons.empty else 0
    summary = {
        "level": 0.95,
        "rule": "A is called better than B only when the 95% CI of A − B excludes 0",
        "headline": headline.to_dict(orient="records"),
        "comparisons": len(comparisons),
        "decided": decided,
        "sentences": comparisons["sentence"].tolist() if not comparisons.empty else [],
    }
    caption = ("Differences between models on each corpus' primary metric (perplexity for language models, "
               "accuracy for classifiers and taggers) on the headline split: mean difference A − B with its 95% CI "
               "(paired over seeds; against the single run of a deterministic model otherwise); green where "
               "the interval excludes 0, grey where it does not.")
    summary["captions"] = {"significance": caption}
    return AnalysisOutput({"headline": headline, "comparisons": comparisons}, summary)


def redraw(folder: Path) -> list[tuple[str, plt.Figure | None, str]]:
    """The figure of a significance folder, drawn from comparisons.csv and summary.json alone."""
    summary = read_json(folder / "summary.json")
    try:
        comparisons = pd.read_csv(folder / "comparisons.csv", dtype={"a": str, "b": str, "corpus": str})
    except pd.errors.EmptyDataError:
        comparisons = pd.DataFrame()
    return [("significance", draw_differences(comparisons), summary["captions"]["significance"])]
