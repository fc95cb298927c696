"""The kinds of test a claim of the scorecard can have, each measured from a finished run's files.

A test returns a :class:`Measured`: what it compared (in words, for the table) and one
:class:`Measurement` per comparison it made (one per corpus, or per distance, ...), or the reason it
could not run. Tests read the tidy metrics table and the analyses' outputs only; they never train.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

from ..analysis.stats import DIRECTIONS, Comparison, compare, compare_models, headline_split
from ..errors import ConfigError
from ..models.registry import family_of, get_model, order_of
from .analyses import AnalysisResult, level_comparisons, probe_comparisons
from .conclusions import comparison_from, pick_model

Analyses = Mapping[str, Sequence[AnalysisResult]]


@dataclass(frozen=True)
class Measurement:
    """One comparison behind a claim; the claim expects ``expected`` (its ``a`` or ``b``) to win it.
    A configuration check has no comparison: ``passed`` says whether the configuration behaved as claimed."""

    label: str
    comparison: Comparison | None = None
    expected: str = ""
    passed: bool | None = None
    note: str = ""


@dataclass(frozen=True)
class Measured:
    test: str  # metric, models, corpus, split in words
    measurements: list[Measurement] = field(default_factory=list)
    reason: str = ""  # why nothing was measured


def _best_of_family(rows: pd.DataFrame, family: str, higher_is_better: bool) -> str | None:
    """The model of ``family`` (itself or a variant ``family-...``) with the best mean in ``rows``."""
    means = rows[rows["model"].map(family_of) == family].groupby("model")["value"].mean().dropna()
    if means.empty:
        return None
    return str(means.idxmax() if higher_is_better else means.idxmin())


@dataclass(frozen=True)
class ModelContrast:
    """The best model of family ``better`` beats the best of family ``worse`` on ``metric`` of every corpus
    of ``task`` (headline split, paired over seeds)."""

    task: str
    metric: str
    better: str
    worse: str

    def measure(self, metrics: pd.DataFrame, analyses: Analyses) -> Measured:
        rows = metrics[(metrics["task"] == self.task) & (metrics["metric"] == self.metric)]
        rows = headline_split(rows[rows["value"].notna()])
        found, where = [], []
        for corpus, group in rows.groupby("corpus", sort=True):
            a, b = (_best_of_family(group, f, DIRECTIONS[self.metric]) for f in (self.better, self.worse))
            if a and b:
                found.append(Measurement(corpus, compare_models(group, corpus, self.metric, a, b), a))
                where.append(f"{a} − {b}, {corpus}, {group['split'].iloc[0]}")
        test = f"{self.metric}; " + ("; ".join(where) if where else f"best {self.better} − best {self.worse}")
        return Measured(test, found, "" if found else f"no {self.task} corpus has both a {self.better} and a "
                                                      f"{self.worse} model with {self.metric}")


def _matches(record: Mapping[str, Any], where: Mapping[str, Any], exclude: Mapping[str, Any]) -> bool:
    return (all(record.get(k) == v for k, v in where.items())
            and not any(record.get(k) == v for k, v in exclude.items()))


@dataclass(frozen=True)
class SummaryContrast:
    """Comparisons an analysis wrote into its summary.json (under ``key``: a record or a list of them), those
    whose fields match ``where`` and none of ``exclude``; ``expected`` should win each."""

    analysis: str
    key: str
    expected: str
    test: str
    where: Mapping[str, Any] = field(default_factory=dict)
    exclude: Mapping[str, Any] = field(default_factory=dict)

    def measure(self, metrics: pd.DataFrame, analyses: Analyses) -> Measured:
        found = []
        for result in analyses.get(self.analysis, []):
            records = result.summary.get(self.key) or []
            for record in [records] if isinstance(records, dict) else records:
                if _matches(record, self.where, self.exclude):
                    found.append(Measurement(result.corpus, comparison_from(record), self.expected))
        corpora = ", ".join(sorted({r.corpus for r in analyses.get(self.analysis, [])}))
        reason = "" if found else (f"the {self.analysis} analysis was not run" if not corpora else
                                   f"the {self.analysis} summary holds no matching comparison")
        return Measured(f"{self.test}; {corpora or '—'}", found, reason)


@dataclass(frozen=True)
class LevelContrast:
    """Family ``better`` beats ``worse`` on ``value`` at every level of ``factor`` in an analysis' breakdown
    table (columns model, seed, factor, level, ``value``) except the ``exclude``d levels, paired over seeds;
    with ``farthest``, at the factor's last level only (the breakdown orders numeric levels ascending)."""

    analysis: str
    table: str
    factor: str
    value: str
    better: str
    worse: str
    exclude: tuple[str, ...] = ()
    farthest: bool = False

    def measure(self, metrics: pd.DataFrame, analyses: Analyses) -> Measured:
        found, where = [], []
        for result in analyses.get(self.analysis, []):
            table = result.tables.get(self.table)
            if table is None or self.factor not in set(table["factor"].astype(str)):
                continue
            models = set(table["model"])
            if not {self.better, self.worse} <= models:
                continue
            where.append(f"{self.better} − {self.worse}, {result.corpus}")
            levels = level_comparisons(table, self.better, self.worse, self.value, self.factor)
            for _, level, c in levels[-1:] if self.farthest else levels:
                if level not in self.exclude:
                    found.append(Measurement(f"{result.corpus}, {self.factor}={level}", c, self.better))
        skip = f" ≠ {', '.join(self.exclude)}" if self.exclude else ""
        skip += ", farthest level" if self.farthest else ""
        test = f"{self.value} by {self.factor}{skip}; " + ("; ".join(where) or f"{self.better} − {self.worse}")
        return Measured(test, found, "" if found else f"no {self.analysis} breakdown by {self.factor} with both "
                                                      "models was measured")


def _probes(analyses: Analyses) -> list[tuple[str, pd.DataFrame]]:
    return [(r.corpus, r.tables["probes"]) for r in analyses.get("long-distance", [])
            if "probes" in r.tables and not r.tables["probes"].empty]


@dataclass(frozen=True)
class ProbeContrast:
    """Family ``better`` recalls the cue better than ``worse`` at every probed distance ≥ ``min_distance``
    (accuracy among the cue nouns, paired over seeds)."""

    better: str
    worse: str
    min_distance: int

    def measure(self, metrics: pd.DataFrame, analyses: Analyses) -> Measured:
        found, corpora = [], []
        for corpus, probes in _probes(analyses):
            models = set(probes["model"])
            a, b = pick_model(models, self.better), pick_model(models, self.worse)
            if not (a and b):
                continue
            corpora.append(f"{a} − {b}, {corpus}")
            found += [Measurement(f"{corpus}, d={d}", c, a) for d, c in probe_comparisons(probes, a, b, self.min_distance)]
        test = "cue accuracy among the cue nouns, each distance d ≥ " f"{self.min_distance}; " + (
            "; ".join(corpora) or f"{self.better} − {self.worse}")
        return Measured(test, found, "" if found else "no long-distance probes with both models were measured")


@dataclass(frozen=True)
class ContextLimit:
    """The highest-order model of ``family`` (order n in its name) recalls the cue worse beyond n − 1 words
    than within them. The model is deterministic (one run), so the interval is over probes: a two-proportion
    comparison of its cue accuracy."""

    family: str

    def measure(self, metrics: pd.DataFrame, analyses: Analyses) -> Measured:
        found, where = [], []
        for corpus, probes in _probes(analyses):
            highest = _highest_order(probes["model"].unique(), self.family)
            if highest is None:
                continue
            model, n = highest
            rows = probes[probes["model"] == model]
            within, beyond = rows[rows["distance"] <= n - 1], rows[rows["distance"] >= n]
            if within.empty or beyond.empty:
                continue
            where.append(f"{model} (n = {n}), d ≤ {n - 1} vs d ≥ {n}, {corpus}")
            found.append(Measurement(corpus, _two_proportions(within, beyond, n), f"d ≤ {n - 1}"))
        test = "cue accuracy within − beyond the n − 1 words of context; " + ("; ".join(where) or self.family)
        return Measured(test, found, "" if found else f"no {self.family} model was probed at distances on both "
                                                      "sides of its context")


def _two_proportions(within: pd.DataFrame, beyond: pd.DataFrame, n: int) -> Comparison:
    counts = [(float((g["cue_accuracy"] * g["probes"]).sum()), float(g["probes"].sum())) for g in (within, beyond)]
    (k1, n1), (k2, n2) = [(round(k), int(m)) for k, m in counts]
    # Newcombe's score interval for a difference of independent proportions (Newcombe 1998).
    low, high = confint_proportions_2indep(k1, n1, k2, n2, compare="diff", method="newcomb")
    # The test also forms the odds ratio, which divides by zero at an accuracy of 0 or 1; only the difference is used.
    with np.errstate(divide="ignore", invalid="ignore"):
        stat, p = test_proportions_2indep(k1, n1, k2, n2, compare="diff", method="score")
    diff = k1 / n1 - k2 / n2
    return Comparison(f"d ≤ {n - 1}", f"d ≥ {n}", "cue accuracy", True, n1 + n2, k1 / n1, k2 / n2, diff,
                      float(low), float(high), float(stat), float(p) if not math.isnan(p) else math.nan,
                      "two-proportion score test over probes (one deterministic run)")


def _highest_order(models: Sequence[str], family: str) -> tuple[str, int] | None:
    """The model of ``family`` with the highest order n in its name, and n; None if it has none."""
    orders = {m: order_of(m) for m in models if family_of(m) == family and order_of(m)}
    if not orders:
        return None
    model = max(orders, key=orders.get)
    return model, orders[model]


def _context_values(reach: pd.DataFrame, model: str, cap: float) -> dict[int, float]:
    """{seed: effective context} of ``model``; a seed whose truncation matters at every probed d counts as ``cap``."""
    rows = reach[(reach["model"] == model) & (reach["perturbation"] == "truncate")]
    return {int(s): cap if math.isnan(d) else float(d) for s, d in zip(rows["seed"], rows["distance"])}


@dataclass(frozen=True)
class ContextReach:
    """The effective context of the context analysis (Khandelwal et al. 2018): the RNN's exceeds the
    highest-order n-gram's, and the LSTM's exceeds the RNN's (paired over seeds). The n-gram is one
    deterministic run, so its effective context is a fixed value that the RNN's seeds are compared with;
    the test names it beside the n − 1 words its order allows."""

    ngram: str
    better: str
    worse: str

    def measure(self, metrics: pd.DataFrame, analyses: Analyses) -> Measured:
        found, where, pct = [], [], "1%"
        for result in analyses.get("context", []):
            reach = result.tables.get("reach")
            if reach is None or reach.empty:
                continue
            pct = f"{100 * float(result.summary.get('threshold', 0.01)):g}%"
            cap = float(result.summary.get("max_distance", math.nan))
            models = set(reach["model"])
            highest = _highest_order(list(models), self.ngram)
            a, b = pick_model(models, self.better), pick_model(models, self.worse)
            values = {m: _context_values(reach, m, cap) for m in (a, b, highest and highest[0]) if m}
            pairs = []
            if highest and b:
                gram, n = highest
                (used,) = values[gram].values() or [math.nan]
                where.append(f"{gram} uses {used:g} (n − 1 = {n - 1})")
                pairs.append((b, gram))
            if a and b:
                pairs.append((a, b))
            for x, y in pairs:
                c = compare(values[x], values[y], names=(x, y), metric="effective context (tokens)",
                            higher_is_better=True)
                found.append(Measurement(f"{result.corpus}, {x} − {y}", c, x))
                where.append(f"{x} − {y}, {result.corpus}")
        test = (f"effective context in tokens (the smallest d whose truncation raises the loss by < {pct}; a seed "
                "for which every d matters counts as the full context); " +
                ("; ".join(where) or f"{self.better} − {self.worse}"))
        return Measured(test, found, "" if found else "the context analysis was not run on a corpus with these models")


@dataclass(frozen=True)
class Refused:
    """Configuration check: the model registry refuses ``model`` for ``task``."""

    model: str
    task: str

    def measure(self, metrics: pd.DataFrame, analyses: Analyses) -> Measured:
        test = f"configuration check: model {self.model!r} for task {self.task!r}"
        try:
            get_model(self.model, self.task)
        except ConfigError as err:
            # The registry's message reads "model ... cannot be used for task ...: <reason>"; the test names both.
            return Measured(test, [Measurement("config", passed=True, note=f"refused: {str(err).split(': ', 1)[-1]}")])
        return Measured(test, [Measurement("config", passed=False, note="accepted")])
