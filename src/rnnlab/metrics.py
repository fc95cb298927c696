"""Metric functions and the tidy metrics-row format shared by every model."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

# Columns every row of results/metrics.csv has, in this order; models may add more after them.
TIDY_COLUMNS = ("task", "corpus", "model", "seed", "split", "metric", "value")


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
