"""Where a perturbation of the context stops mattering, per model and seed, and how to say it.

Light on purpose (pandas and the statistics helpers only), so that the report reads the context
analysis' tables without loading torch.
"""

from __future__ import annotations

import math

import pandas as pd

from ..models.registry import model_sort_key
from .stats import mean_ci


# Khandelwal et al. (2018): the context a model uses ends at the smallest d whose truncation raises the
# loss by less than 1%; the same criterion on shuffling gives the reach of word order.
def no_longer_matters(rows: pd.DataFrame, threshold: float) -> float:
    """The smallest distance whose relative loss increase is below ``threshold``; NaN when none is."""
    below = rows[rows["relative"] < threshold].sort_values("distance")
    return float(below["distance"].iloc[0]) if not below.empty else math.nan


def reach_table(increase: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Per model, seed and perturbation: the d from which the perturbation no longer matters."""
    rows = [{"model": m, "seed": s, "perturbation": p, "distance": no_longer_matters(g, threshold)}
            for (m, s, p), g in increase.groupby(["model", "seed", "perturbation"], sort=False)]
    return pd.DataFrame(rows)


def models_in_order(table: pd.DataFrame) -> list[str]:
    return sorted(table["model"].unique(), key=model_sort_key)


def reach_text(reach: pd.DataFrame, model: str, perturbation: str, largest: int) -> str:
    """The reach over seeds as text: mean ± CI, '> largest' when no seed reaches below the threshold."""
    values = reach[(reach["model"] == model) & (reach["perturbation"] == perturbation)]["distance"]
    if values.isna().all():
        return f"> {largest}"
    text = mean_ci(values.tolist()).format(1)
    beyond = int(values.isna().sum())
    return text + (f" ({beyond} of {values.size} seeds > {largest})" if beyond else "")


def statements(reach: pd.DataFrame, largest: int, threshold: float) -> list[str]:
    pct = f"{100 * threshold:g}%"
    return [f"{model}: effective context (truncation raises the loss by < {pct}) = "
            f"{reach_text(reach, model, 'truncate', largest)} tokens; shuffling no longer matters from d = "
            f"{reach_text(reach, model, 'shuffle', largest)}, replacing from d = "
            f"{reach_text(reach, model, 'replace', largest)}" for model in models_in_order(reach)]
