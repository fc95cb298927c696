"""Metric functions, the tidy metrics-row format shared by every model, and how rows are summarised.

A summary over seeds is the mean and its 95% confidence interval, Student's t:
mean ± t_{0.975, n−1} · s / √n (s the sample standard deviation), so three seeds give a wide
interval, as they should; with one value there is no interval. Summaries and comparisons read each
corpus' headline split (:func:`headline_split`). scipy and pandas are imported only by the
functions that need them, so a model importing this module does not load them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# Columns every row of results/metrics.csv has, in this order; models may add more after them.
TIDY_COLUMNS = ("task", "corpus", "model", "seed", "split", "metric", "value")
# What a ``backend: auto`` choice leaves in a job's status.json (models/backend_choice.py):
# results/timings.csv and the report's provenance take it from there, metrics.csv does not (it must
# not change between runs). Written here, free of torch, for the steps that only read tables.
BACKEND_TIMINGS = ("triton_step_ms", "torch_step_ms", "triton_torch_ratio")


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    if len(gold) != len(pred) or not gold:
        raise ValueError("accuracy needs two non-empty sequences of equal length")
    return float(np.mean(np.asarray(gold, dtype=object) == np.asarray(pred, dtype=object)))


def f1_per_class(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    """F1 = 2PR / (P + R) per label; a label never predicted nor present scores 0."""
    g = np.asarray(gold, dtype=object)
    p = np.asarray(pred, dtype=object)
    out = {}
    for label in labels:
        tp = float(np.sum((g == label) & (p == label)))
        fp = float(np.sum((g != label) & (p == label)))
        fn = float(np.sum((g == label) & (p != label)))
        out[label] = 0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn)
    return out


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    """Unweighted mean of the per-label F1 over the declared labels."""
    return float(np.mean(list(f1_per_class(gold, pred, labels).values())))


def perplexity_from_log10(total_log10: float, tokens: int) -> float:
    """PPL = 10^(-Σ log10 p / N), N counting one end-of-sentence token per line."""
    return float(10.0 ** (-total_log10 / tokens))


def perplexity_from_nats(total_nll: float, tokens: int) -> float:
    """PPL = exp(Σ -ln p / N)."""
    return float(math.exp(total_nll / tokens))


def row(task: str, corpus: str, model: str, seed: int, split: str, metric: str, value: float,
        **extra: Any) -> dict[str, Any]:
    """One tidy metrics row."""
    return {"task": task, "corpus": corpus, "model": model, "seed": seed, "split": split,
            "metric": metric, "value": float(value), **extra}


def classification_rows(task: str, corpus: str, model: str, seed: int, split: str,
                        gold: Sequence[str], pred: Sequence[str], labels: Sequence[str],
                        **extra: Any) -> list[dict[str, Any]]:
    """Accuracy and macro-F1 rows (in percent) for one split."""
    return [
        row(task, corpus, model, seed, split, "accuracy", 100 * accuracy(gold, pred), **extra),
        row(task, corpus, model, seed, split, "macro_f1", 100 * macro_f1(gold, pred, labels), **extra),
    ]


MINUS = "−"  # U+2212: the minus sign of the numbers that the analyses' and the report's sentences and cells print


def number(x: float, digits: int, sign: bool = False, kind: str = "f") -> str:
    """``x`` to ``digits`` decimals (significant digits for ``kind`` "g"), with a typographic minus for
    negatives, and ``+`` before the rest when ``sign``."""
    return f"{x:{'+' if sign else ''}.{digits}{kind}}".replace("-", MINUS)


@dataclass(frozen=True)
class MeanCI:
    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def format(self, digits: int = 2) -> str:
        if math.isnan(self.mean):
            return "—"
        if self.n < 2 or self.half_width == 0:
            return number(self.mean, digits)
        return f"{number(self.mean, digits)} ± {number(self.half_width, digits)}"


def mean_ci(values: Sequence[float], level: float = 0.95) -> MeanCI:
    """Mean and Student's t interval of ``values`` (NaN left out)."""
    from scipy import stats

    x = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    n = len(x)
    if n == 0:
        return MeanCI(float("nan"), float("nan"), float("nan"), 0)
    m = float(x.mean())
    if n < 2:
        return MeanCI(m, m, m, n)
    h = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return MeanCI(m, m - h, m + h, n)


def headline_split(metrics: pd.DataFrame) -> pd.DataFrame:
    """The rows of each corpus' headline split: test where it has one, else valid."""
    import pandas as pd

    parts = []
    for _, group in metrics.groupby("corpus", sort=True):
        split = "test" if (group["split"] == "test").any() else "valid"
        parts.append(group[group["split"] == split])
    return pd.concat(parts) if parts else metrics.iloc[0:0]
