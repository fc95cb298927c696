"""Read the analysis folders (``<dir>/<action>/<corpus>/`` and ``<dir>/significance/``) into tables."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.common import statements
from ..analysis.registry import ANALYSES, analysis_folders
from ..analysis.stats import TESTS, Comparison, compare, mean_ci
from ..errors import RnnlabError
from ..metrics import number



@dataclass
class AnalysisResult:
    """One analysis folder: its summary.json and its CSV tables by file stem."""

    action: str
    corpus: str
    path: Path
    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def statements(self) -> list[str]:
        return statements(self.summary)


def read_folder(action: str, corpus: str, folder: Path) -> AnalysisResult | None:
    summary_path = folder / "summary.json"
    if not summary_path.exists():
        return None
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise RnnlabError(f"{summary_path}: not valid JSON ({err}); rerun `rnnlab analyze {action}`") from None
    tables = {csv.stem: pd.read_csv(csv) for csv in sorted(folder.glob("*.csv"))}
    return AnalysisResult(action, corpus, folder, summary, tables)


def load_analyses(root: Path) -> dict[str, list[AnalysisResult]]:
    """Per analysis, one result per corpus it ran on (empty list: not run); those over all corpora
    (significance) have corpus ''."""
    out: dict[str, list[AnalysisResult]] = {name: [] for name in ANALYSES}
    for name, corpus, folder in analysis_folders(Path(root)):
        result = read_folder(name, corpus or "", folder)
        if result is not None:
            out[name].append(result)
    return out


def per_layer_table(distance: pd.DataFrame) -> pd.DataFrame:
    """Per model, stage and layer: geometric mean over seeds of ‖∂J(t)/∂h(k)‖ at the nearest and farthest distance."""
    rows = []
    near, far = int(distance["distance"].min()), int(distance["distance"].max())
    for (model, stage, layer), group in distance.groupby(["model", "stage", "layer"], sort=True):
        ends = {}
        for d in (near, far):
            logs = np.log10(group[group["distance"] == d]["grad_norm"].clip(lower=1e-300)).tolist()
            ends[d] = mean_ci(logs).mean
        per_step = 10 ** ((ends[far] - ends[near]) / max(far - near, 1))
        rows.append({"model": model, "stage": stage, "layer": int(layer), f"norm at {near}": f"{10 ** ends[near]:.3g}",
                     f"norm at {far}": f"{10 ** ends[far]:.3g}", "factor per step": f"{per_step:.3f}"})
    return pd.DataFrame(rows)


def clipping_counts(summary: dict[str, Any]) -> pd.DataFrame:
    rows = [{"setting": s, **c} for s, c in (summary.get("counts") or {}).items()]
    return pd.DataFrame(rows)


def probe_table(probes: pd.DataFrame, pair: tuple[str, str] | None = None) -> pd.DataFrame:
    """Cue accuracy (mean ± CI over seeds) by model (rows) and distance (columns); with ``pair`` (A, B), a last
    row of their differences (:func:`diff_cell`)."""
    rows = []
    for (model, dist), group in probes.groupby(["model", "distance"], sort=True):
        rows.append({"model": model, "distance": int(dist), "text": mean_ci(group["cue_accuracy"].tolist()).format(2)})
    if pair:
        rows += [{"model": f"{pair[0]} − {pair[1]}", "distance": d, "text": diff_cell(c)}
                 for d, c in probe_comparisons(probes, *pair)]
    order = list(dict.fromkeys(r["model"] for r in rows))
    wide = pd.DataFrame(rows).pivot(index="model", columns="distance", values="text").loc[order]
    wide.columns = [f"d={c}" for c in wide.columns]
    return wide.reset_index()


def breakdown_table(breakdown: pd.DataFrame) -> pd.DataFrame:
    """Accuracy (%) mean ± CI over seeds per factor/level (rows) and model (columns)."""
    rows = []
    for (factor, level, model), group in breakdown.groupby(["factor", "level", "model"], sort=False):
        rows.append({"factor": factor, "level": level, "model": model,
                     "text": mean_ci(group["accuracy"].tolist()).format(1)})
    frame = pd.DataFrame(rows)
    order = list(dict.fromkeys(frame["model"]))
    wide = frame.pivot_table(index=["factor", "level"], columns="model", values="text", aggfunc="first", sort=False)
    return wide[[m for m in order if m in wide.columns]].reset_index()


def level_comparisons(table: pd.DataFrame, a: str, b: str, value: str, factor: str | None = None
                      ) -> list[tuple[str, str, Comparison]]:
    """(factor, level, a − b on ``value`` paired over seeds) for every level of a breakdown table (columns
    model, seed, factor, level, ``value``), in the table's order; only ``factor``'s levels when given."""
    out = []
    rows = table if factor is None else table[table["factor"] == factor]
    for (f, level), group in rows.groupby(["factor", "level"], sort=False):
        runs = [dict(zip(group[group["model"] == m]["seed"], group[group["model"] == m][value])) for m in (a, b)]
        out.append((str(f), str(level), compare(*runs, names=(a, b), metric=f"{value} on {f}={level}")))
    return out


def probe_comparisons(probes: pd.DataFrame, a: str, b: str, min_distance: int = 0) -> list[tuple[int, Comparison]]:
    """(distance, a − b on cue accuracy paired over seeds) at every probed distance ≥ ``min_distance``."""
    out = []
    for distance in sorted(int(d) for d in probes["distance"].unique() if d >= min_distance):
        at = probes[probes["distance"] == distance]
        runs = [dict(zip(at[at["model"] == m]["seed"], at[at["model"] == m]["cue_accuracy"])) for m in (a, b)]
        out.append((distance, compare(*runs, names=(a, b), metric=f"cue accuracy at d={distance}")))
    return out


def diff_cell(c: Comparison, digits: int = 2) -> str:
    """``+d [low, high]`` with ``*`` where the 95% CI excludes 0; the mean difference alone without an interval."""
    if c.test == TESTS[2] or math.isnan(c.low):
        return "—" if math.isnan(c.diff) else f"{number(c.diff, digits, sign=True)} (no CI)"
    return (f"{number(c.diff, digits, sign=True)} [{number(c.low, digits, sign=True)}, "
            f"{number(c.high, digits, sign=True)}]" + ("*" if c.decided else ""))


DIFF_NOTE = ("Cells: mean difference A − B over seeds [95% CI, Student's t, paired by seed]; * the CI excludes 0. "
             "Exploratory: the intervals are not corrected for the number of cells; the claims above are.")


def difference_table(comparisons: list[tuple[str, str, Comparison]], digits: int = 1) -> pd.DataFrame:
    """Rows: levels; columns: model pairs ``A − B``; cells: :func:`diff_cell`. Input: (row, pair, comparison)."""
    rows: dict[str, dict[str, str]] = {}
    for row, pair, c in comparisons:
        rows.setdefault(row, {})[pair] = diff_cell(c, digits)
    return pd.DataFrame([{"level": row, **cells} for row, cells in rows.items()])


def family_table(comparisons: pd.DataFrame, family: list[str]) -> pd.DataFrame:
    """Per family of pairwise comparisons: how many pairs, how many with a CI excluding 0, how many with a
    Holm-corrected p (column ``p_holm``) below 0.05."""
    keys = ["task", *family] if "task" in comparisons.columns else family
    return (comparisons.groupby(keys, sort=True)
            .agg(pairs=("decided", "size"), **{"CI excludes 0": ("decided", "sum"),
                                                "Holm p < 0.05": ("p_holm", lambda p: int((p < 0.05).sum()))})
            .reset_index())
