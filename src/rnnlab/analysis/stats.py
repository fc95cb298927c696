"""Summary statistics over seeds: mean and a 95% confidence interval.

The interval is Student's t: mean ± t_{0.975, n−1} · s / √n (s the sample standard deviation),
so three seeds give a wide interval, as they should. With one value there is no interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats


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
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} ± {self.half_width:.{digits}f}"


def mean_ci(values: Sequence[float], level: float = 0.95) -> MeanCI:
    x = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    n = len(x)
    if n == 0:
        return MeanCI(float("nan"), float("nan"), float("nan"), 0)
    m = float(x.mean())
    if n < 2:
        return MeanCI(m, m, m, n)
    h = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return MeanCI(m, m - h, m + h, n)


def summarize(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """One row per group of ``by`` with mean, low, high, n, and the formatted ``mean ± CI``."""
    rows = []
    for key, group in table.groupby(by, sort=True):
        ci = mean_ci(group["value"].tolist())
        rows.append({**dict(zip(by, key if isinstance(key, tuple) else (key,))),
                     "mean": ci.mean, "low": ci.low, "high": ci.high, "n": ci.n, "text": ci.format()})
    return pd.DataFrame(rows)
