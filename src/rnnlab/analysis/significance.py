"""The significance analysis: headline numbers over seeds, every pairwise comparison and its heatmaps.

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
from .. import style
from ..models.registry import model_sort_key
from ..plots import set_theme
from .common import AnalysisOutput, Request
from .registry import SignificanceSettings
from .stats import DIRECTIONS, PRIMARY, all_comparisons, headline_table


MATRIX_CAPTION = ("Pairwise differences between {task} models on {metric} (headline split): each cell is the "
                  "mean over seeds of row − column, paired by seed (against the single run of a deterministic "
                  "model otherwise); colour: which model is better; * the 95% CI of the difference (Student's t) "
                  "excludes 0, before correction (Holm-corrected p values are in the report's tables/pairwise.csv).")


def _matrix(d: pd.DataFrame, models: list[str], column: str) -> np.ndarray:
    """models × models, lower triangle: ``column`` of the pair row, column (a ``diff`` is row − column)."""
    out = np.full((len(models), len(models)), np.nan)
    index = {m: i for i, m in enumerate(models)}
    for _, r in d.iterrows():
        i, j = index[r["a"]], index[r["b"]]
        flip = -1.0 if column == "diff" and i < j else 1.0
        out[max(i, j), min(i, j)] = flip * float(r[column])
    return out


def cell_value(value: float, limit: float) -> str:
    """A heatmap cell's difference to two significant digits; "0" where it is zero but for float rounding
    (two equal accuracies averaged over seeds can differ by 1e-15), not "5.7e-15"."""
    return "0" if abs(value) <= 1e-9 * max(limit, 1.0) else f"{value:.2g}"


def draw_matrix(comparisons: pd.DataFrame, task: str) -> plt.Figure | None:
    """Heatmap of the mean difference row − column on the task's primary metric, one panel per corpus;
    coloured by which model is better, * where the 95% CI of the difference excludes 0."""
    metric = PRIMARY[task]
    data = comparisons[(comparisons["task"] == task) & (comparisons["metric"] == metric)
                       & comparisons["diff"].notna()]
    if data.empty:
        return None
    set_theme()
    corpora = sorted(data["corpus"].unique())
    n = max(len(set(d["a"]) | set(d["b"])) for _, d in data.groupby("corpus"))
    width = style.ONE_COLUMN if len(corpora) == 1 else style.TWO_COLUMN
    fig, axes = plt.subplots(1, len(corpora), figsize=(width, 1.1 + 0.26 * (n - 1)), squeeze=False,
                             layout="constrained")
    sign = 1.0 if DIRECTIONS[metric] else -1.0
    for ax, corpus in zip(axes[0], corpora):
        d = data[data["corpus"] == corpus]
        models = sorted(set(d["a"]) | set(d["b"]), key=model_sort_key)
        diff, decided = _matrix(d, models, "diff"), _matrix(d, models, "decided")
        limit = np.nanmax(np.abs(diff)) or 1.0
        image = ax.imshow(sign * diff, cmap=style.DIVERGING, vmin=-limit, vmax=limit)
        for (i, j), value in np.ndenumerate(diff):
            if not np.isnan(value):
                mark = "*" if decided[i, j] == 1 else ""
                ink = "white" if abs(value) > 0.6 * limit else "black"
                ax.text(j, i, f"{cell_value(value, limit)}{mark}", ha="center", va="center", color=ink,
                        fontsize=style.MIN_FONT_PT)
        ax.set_xticks(range(len(models) - 1), models[:-1], rotation=45, ha="right")
        ax.set_yticks(range(1, len(models)), models[1:])
        ax.set_xlim(-0.5, len(models) - 1.5)
        ax.set_ylim(len(models) - 0.5, 0.5)
        ax.grid(False)
        ax.set_title(f"{corpus} ({d['split'].iloc[0]}): {metric}, row − column")
        fig.colorbar(image, ax=ax, shrink=0.8, aspect=30, label="row better (+) / column (−)")
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
        "statements": comparisons["sentence"].tolist() if not comparisons.empty else [],
    }
    summary["captions"] = {f"significance_{task}": MATRIX_CAPTION.format(task=task, metric=metric)
                           for task, metric in PRIMARY.items()}
    return AnalysisOutput({"headline": headline, "comparisons": comparisons}, summary)


def redraw(folder: Path) -> list[tuple[str, plt.Figure | None, str]]:
    """The figure of a significance folder, drawn from comparisons.csv and summary.json alone."""
    summary = read_json(folder / "summary.json")
    try:
        comparisons = pd.read_csv(folder / "comparisons.csv", dtype={"a": str, "b": str, "corpus": str})
    except pd.errors.EmptyDataError:
        comparisons = pd.DataFrame()
    return [(f"significance_{task}", draw_matrix(comparisons, task) if not comparisons.empty else None,
             summary["captions"].get(f"significance_{task}", MATRIX_CAPTION.format(task=task, metric=metric)))
            for task, metric in PRIMARY.items()]


def run(request: Request, settings: SignificanceSettings) -> AnalysisOutput:
    return significance(request.metrics)
