"""Statistics over seeds: summaries, and comparisons between models.

The mean and its 95% interval over seeds (Student's t), and the headline split, live in
:mod:`rnnlab.metrics`; this module summarises and compares with them.

A comparison of models A and B on one metric pairs their runs by seed: d_s = A_s − B_s over the
seeds both have, tested with a paired t-test (Student 1908): t = mean(d) / (sd(d)/√n), n − 1
degrees of freedom, and the 95% interval of mean(d) is mean(d) ± t_{0.975, n−1} · sd(d)/√n.
A model trained once because it is deterministic (seed 0, e.g. an n-gram) is a fixed reference:
the seeded model's runs are compared with its single value by a one-sample t-test.
A model is called better only when the interval of the difference excludes 0.

Nothing here draws: the report and every analysis use these functions without matplotlib.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from itertools import combinations
from types import MappingProxyType
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from ..errors import RnnlabError
from ..metrics import MeanCI, headline_split, mean_ci  # the analyses import MeanCI and mean_ci from here too


def summarize(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per group of ``by`` with mean, low, high, n, and the formatted ``mean ± CI``."""
    rows = []
    for key, group in table.groupby(by, sort=True):
        ci = mean_ci(group["value"].tolist())
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))),
                     "mean": ci.mean, "low": ci.low, "high": ci.high, "n": ci.n, "text": ci.format()})
    return pd.DataFrame(rows)


# Headline metric -> True when higher is better; metrics not listed (oov_rate, per-tag tag_f1.<TAG>)
# are never compared nor put in headline tables.
DIRECTIONS: Mapping[str, bool] = MappingProxyType({
    "perplexity": False, "cross_entropy": False, "accuracy": True, "macro_f1": True,
    "accuracy_oov": True, "accuracy_right_context": True,
    "span_f1": True, "span_f1_right_context": True, "span_f1_oov": True,
})
PRIMARY = MappingProxyType({"lm": "perplexity", "classification": "accuracy", "tagging": "accuracy", "ner": "span_f1"})
TESTS = ("paired t-test", "one-sample t-test vs fixed value", "none")


@dataclass(frozen=True)
class Comparison:
    """A − B on ``metric`` over ``n`` pairs: mean difference, its CI, the test's t and p."""

    a: str
    b: str
    metric: str
    higher_is_better: bool
    n: int
    mean_a: float
    mean_b: float
    diff: float
    low: float
    high: float
    t: float
    p: float
    test: str
    level: float = 0.95

    @property
    def decided(self) -> bool:
        """True when the interval of the difference excludes 0."""
        return self.n >= 2 and not math.isnan(self.low) and (self.low > 0 or self.high < 0)

    @property
    def winner(self) -> str | None:
        if not self.decided:
            return None
        return self.a if (self.diff > 0) == self.higher_is_better else self.b


def _difference_test(d: np.ndarray, level: float) -> tuple[float, float, float, float]:
    """(low, high, t, p) of mean(d) = 0 by a one-sample t-test; a constant d has a zero-width interval."""
    ci = mean_ci(d.tolist(), level)
    sd = float(d.std(ddof=1))
    if sd == 0.0:
        return ci.mean, ci.mean, (math.copysign(math.inf, ci.mean) if ci.mean else 0.0), (0.0 if ci.mean else 1.0)
    t = ci.mean / (sd / math.sqrt(d.size))
    return ci.low, ci.high, t, float(2 * stats.t.sf(abs(t), d.size - 1))


def compare(a: Mapping[int, float], b: Mapping[int, float], *, names: tuple[str, str] = ("A", "B"),
            metric: str = "value", higher_is_better: bool = True, level: float = 0.95) -> Comparison:
    """Compare A and B given as {seed: value}; paired over shared seeds, else against a fixed single run."""
    a = {s: v for s, v in a.items() if not math.isnan(v)}
    b = {s: v for s, v in b.items() if not math.isnan(v)}
    shared = sorted(set(a) & set(b))
    if len(shared) >= 2:
        d = np.array([a[s] - b[s] for s in shared])
        mean_a, mean_b, test = float(np.mean([a[s] for s in shared])), float(np.mean([b[s] for s in shared])), TESTS[0]
    elif len(a) == 1 and len(b) >= 2 and not shared:
        fixed = next(iter(a.values()))
        d = fixed - np.array(list(b.values()))
        mean_a, mean_b, test = fixed, float(np.mean(list(b.values()))), TESTS[1]
    elif len(b) == 1 and len(a) >= 2 and not shared:
        fixed = next(iter(b.values()))
        d = np.array(list(a.values())) - fixed
        mean_a, mean_b, test = float(np.mean(list(a.values()))), fixed, TESTS[1]
    else:
        nan = math.nan
        mean_a = float(np.mean(list(a.values()))) if a else nan
        mean_b = float(np.mean(list(b.values()))) if b else nan
        return Comparison(*names, metric, higher_is_better, len(shared), mean_a, mean_b, mean_a - mean_b,
                          nan, nan, nan, nan, TESTS[2], level)
    low, high, t, p = _difference_test(d, level)
    return Comparison(*names, metric, higher_is_better, int(d.size), mean_a, mean_b, float(d.mean()),
                      low, high, t, p, test, level)


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def phrase(c: Comparison, digits: int = 2) -> str:
    """One sentence about ``c`` that claims "better" only when the CI of the difference excludes 0."""
    f = f"{{:.{digits}f}}"
    if c.test == TESTS[2]:
        if not (math.isnan(c.mean_a) or math.isnan(c.mean_b)) and c.n <= 1:
            return (f"{c.a} vs {c.b} on {c.metric}: {f.format(c.mean_a)} vs {f.format(c.mean_b)}; with no two "
                    f"seeds in common there is no interval, so no claim either way.")
        return f"{c.a} and {c.b} cannot be compared on {c.metric}: one of them has no value."
    interval = f"{100 * c.level:g}% CI [{f.format(c.low)}, {f.format(c.high)}]"
    runs = f"{c.n} seeds, {c.test}, {_p_text(c.p)}"
    if c.winner is None:
        return (f"No clear difference between {c.a} and {c.b} on {c.metric}: {f.format(c.mean_a)} vs "
                f"{f.format(c.mean_b)}, difference {f.format(c.diff)} ({interval} includes 0; {runs}).")
    loser = c.b if c.winner == c.a else c.a
    means = {c.a: c.mean_a, c.b: c.mean_b}
    direction = "higher" if c.higher_is_better else "lower"
    return (f"{c.winner} is better than {loser} on {c.metric} ({direction} is better): "
            f"{f.format(means[c.winner])} vs {f.format(means[loser])}, difference {c.a} − {c.b} = "
            f"{f.format(c.diff)} ({interval}; {runs}).")


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p values of one family of tests, in the given order; NaN (no test was possible)
    stays NaN and is not counted in the family."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    tested = ~np.isnan(p)
    if tested.any():
        # Holm's step-down procedure (Holm 1979): the i-th smallest of m p values is multiplied by
        # m − i + 1, made monotone, and capped at 1.
        out[tested] = multipletests(p[tested], method="holm")[1]
    return out.tolist()


def holm_within(frame: pd.DataFrame, by: list[str], column: str = "p") -> pd.Series:
    """Holm-adjusted ``column`` within each family of rows sharing the values of ``by``."""
    adjusted = pd.Series(np.nan, index=frame.index, dtype=float)
    for _, group in frame.groupby(by, sort=False):
        adjusted.loc[group.index] = holm(group[column].tolist())
    return adjusted


def headline_metrics(metrics: pd.DataFrame) -> pd.DataFrame:
    """The rows of headline metrics only (those in DIRECTIONS): per-tag and diagnostic rows are dropped."""
    return metrics[metrics["metric"].isin(list(DIRECTIONS))]


def headline_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Mean, 95% CI and seed count per (task, corpus, split, model, metric) on the headline split."""
    data = headline_split(headline_metrics(metrics))
    return summarize(data, ["task", "corpus", "split", "model", "metric"])


def compare_models(metrics: pd.DataFrame, corpus: str, metric: str, a: str, b: str,
                   split: str | None = None) -> Comparison:
    """Compare models ``a`` and ``b`` on ``corpus``/``metric`` (headline split unless ``split`` given)."""
    if metric not in DIRECTIONS:
        raise RnnlabError(f"metric {metric!r} has no direction; comparable metrics: {', '.join(DIRECTIONS)}")
    rows = metrics[(metrics["corpus"] == corpus) & (metrics["metric"] == metric)]
    rows = headline_split(rows) if split is None else rows[rows["split"] == split]
    runs = {}
    for name in (a, b):
        chosen = rows[rows["model"] == name]
        if chosen.empty:
            raise RnnlabError(f"no {metric} rows for model {name!r} on corpus {corpus!r} in the metrics table; "
                              f"models there: {', '.join(sorted(rows['model'].unique())) or 'none'}")
        runs[name] = dict(zip(chosen["seed"].astype(int), chosen["value"].astype(float)))
    return compare(runs[a], runs[b], names=(a, b), metric=metric, higher_is_better=DIRECTIONS[metric])


def all_comparisons(metrics: pd.DataFrame) -> pd.DataFrame:
    """Every pair of models on every corpus and comparable metric of the headline split."""
    data = headline_split(headline_metrics(metrics))
    rows = []
    for (task, corpus, split, metric), group in data.groupby(["task", "corpus", "split", "metric"], sort=True):
        models = sorted(group["model"].unique())
        for a, b in combinations(models, 2):
            c = compare_models(group, corpus, metric, a, b, split=split)
            rows.append({"task": task, "corpus": corpus, "split": split, **asdict(c),
                         "decided": c.decided, "winner": c.winner or "", "sentence": phrase(c)})
    return pd.DataFrame(rows)
