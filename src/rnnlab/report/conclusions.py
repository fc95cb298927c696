"""Sentences that state what the numbers say, including when an effect the lecture predicts does not appear.

Every judgement goes through :func:`judge`: an expected effect is reported as present only when the
95% CI of the difference excludes 0 in the expected direction (see :mod:`rnnlab.analysis.significance`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Mapping, Sequence

import pandas as pd

from ..analysis.stats import Comparison, compare, compare_models, headline_metrics, headline_split
from ..metrics import number
from ..models.registry import model_sort_key
from .analyses import diff_cell, probe_comparisons

PRESENT, ABSENT, UNDECIDED, NOT_RUN = "present", "absent", "undecided", "not run"
EXPECTED_NOT_SEEN = "the expected effect does not appear here"


@dataclass(frozen=True)
class Expectation:
    """The lecture's claim that ``better`` beats ``worse`` on ``metric``, in words (``claim``)."""

    better: str
    worse: str
    metric: str
    claim: str


@dataclass(frozen=True)
class Verdict:
    outcome: str
    sentence: str


def detail(c: Comparison, digits: int = 2) -> str:
    """The numbers behind a comparison: both means, the difference and its interval."""
    text = f"{c.a} {number(c.mean_a, digits)} vs {c.b} {number(c.mean_b, digits)} {c.metric}"
    if math.isnan(c.low):
        return text + ", no interval (fewer than two runs to compare)"
    return (f"{text}, difference {number(c.diff, digits)}, {100 * c.level:g}% CI [{number(c.low, digits)}, "
            f"{number(c.high, digits)}], {c.n} runs, {c.test}")


def judge(c: Comparison, expected_winner: str, claim: str, where: str, digits: int = 2) -> Verdict:
    """Whether ``expected_winner`` wins ``c``: present, absent (the other wins) or undecided (CI includes 0)."""
    if c.winner == expected_winner:
        return Verdict(PRESENT, f"On {where}, {claim}, as expected ({detail(c, digits)}).")
    if c.winner is not None:
        return Verdict(ABSENT, f"On {where}, the opposite holds: {c.winner} is better ({detail(c, digits)}); "
                               f"{EXPECTED_NOT_SEEN}.")
    return Verdict(UNDECIDED, f"On {where}, the numbers do not show that {claim} ({detail(c, digits)}; the "
                              f"interval includes 0 or cannot be formed); {EXPECTED_NOT_SEEN}.")


def expect_models(metrics: pd.DataFrame, corpus: str, e: Expectation, digits: int = 2) -> Verdict:
    """Judge an expectation between two models of the metrics table on one corpus."""
    present = set(metrics[(metrics["corpus"] == corpus) & (metrics["metric"] == e.metric)]["model"])
    if e.better not in present or e.worse not in present:
        return Verdict(NOT_RUN, f"On {corpus}, {e.better} vs {e.worse} on {e.metric} was not run.")
    c = compare_models(metrics, corpus, e.metric, e.better, e.worse)
    return judge(c, e.better, e.claim, corpus, digits)


def comparison_from(record: Mapping[str, Any]) -> Comparison:
    """A Comparison back from the dict an analysis wrote into its summary.json (NaN where JSON has null)."""
    values = {}
    for f in fields(Comparison):
        if f.name in record:
            v = record[f.name]
            values[f.name] = math.nan if v is None and f.type in ("float", float) else v
    return Comparison(**values)


def pick_model(models: Sequence[str], family: str) -> str | None:
    """The model named ``family``, else the first named ``family-<variant>``."""
    models = sorted(models)
    if family in models:
        return family
    return next((m for m in models if m.startswith(family + "-")), None)


def lm_conclusions(metrics: pd.DataFrame) -> list[str]:
    """Counts to neural LMs: higher KN orders, window vs n-gram, RNN vs window, LSTM vs RNN (perplexity)."""
    lm = headline_metrics(metrics[metrics["task"] == "lm"])
    if lm.empty:
        return ["No language model was run."]
    out: list[str] = []
    for corpus, group in lm[lm["metric"] == "perplexity"].groupby("corpus", sort=True):
        head = headline_split(group)
        kn = sorted((m for m in head["model"].unique() if m.startswith("ngram-kn")), key=lambda m: int(m[8:] or 0))
        if len(kn) >= 2:
            values = [float(head[head["model"] == m]["value"].mean()) for m in kn]
            trend = "falls" if values[-1] < values[0] else "does not fall"
            note = "" if values[-1] < values[0] else f"; {EXPECTED_NOT_SEEN}"
            out.append(f"On {corpus}, Kneser–Ney perplexity {trend} from order {kn[0][8:]} ({values[0]:.2f}) to "
                       f"order {kn[-1][8:]} ({values[-1]:.2f}){note} (one deterministic run each, no interval).")
        models = list(head["model"].unique())
        steps = [("window", kn[-1] if kn else None, "the fixed-window neural LM has lower perplexity than the best "
                  "n-gram"), ("rnn", pick_model(models, "window"), "the RNN has lower perplexity than the window "
                  "model"), ("lstm", pick_model(models, "rnn"), "the LSTM has lower perplexity than the RNN")]
        for fam, worse, claim in steps:
            better = pick_model(models, fam)
            if better and worse:
                out.append(expect_models(group, corpus, Expectation(better, worse, "perplexity", claim)).sentence)
    return out


def classification_conclusions(metrics: pd.DataFrame) -> list[str]:
    cls = headline_metrics(metrics[metrics["task"] == "classification"])
    if cls.empty:
        return ["No classifier was run."]
    out: list[str] = []
    for corpus, group in cls.groupby("corpus", sort=True):
        models = list(group["model"].unique())
        for fam, worse_fam, claim in (("bilstm", "lstm", "the BiLSTM is more accurate than the LSTM"),
                                      ("lstm", "rnn", "the LSTM is more accurate than the RNN")):
            better, worse = pick_model(models, fam), pick_model(models, worse_fam)
            if better and worse:
                out.append(expect_models(group, corpus, Expectation(better, worse, "accuracy", claim), 1).sentence)
    return out


def tagging_conclusions(metrics: pd.DataFrame) -> list[str]:
    """BiLSTM vs LSTM taggers, above all on tokens whose tag needs the right context."""
    tag = headline_metrics(metrics[metrics["task"] == "tagging"])
    if tag.empty:
        return []
    out: list[str] = []
    for corpus, group in tag.groupby("corpus", sort=True):
        models = list(group["model"].unique())
        better, worse = pick_model(models, "bilstm"), pick_model(models, "lstm")
        if better and worse:
            for metric, claim in (("accuracy_right_context", "the BiLSTM tags right-context tokens more accurately "
                                   "than the LSTM"), ("accuracy", "the BiLSTM tags more accurately than the LSTM")):
                out.append(expect_models(group, corpus, Expectation(better, worse, metric, claim), 1).sentence)
    return out


def gradient_conclusions(corpus: str, summary: Mapping[str, Any]) -> list[str]:
    """LSTM vs RNN decay slope of ∂J(t)/∂h(k) with distance, after training and at initialisation."""
    out = []
    for test in sorted(summary.get("lstm_vs_rnn", []), key=lambda t: t.get("stage") != "trained"):
        c = comparison_from(test)
        claim = "the LSTM's gradient decays more slowly with distance than the RNN's"
        out.append(judge(c, "lstm", claim, f"{corpus} ({test.get('stage', '?')} weights)", 4).sentence)
    if not out:
        out.append(f"On {corpus}, no LSTM/RNN pair was measured, so the decay of the two cannot be compared.")
    return out


def clipping_conclusions(corpus: str, summary: Mapping[str, Any]) -> list[str]:
    """Unclipped runs should diverge or stall more often, and end at a higher loss, than clipped ones."""
    counts = summary.get("counts", {})
    clipped, unclipped = counts.get("clipped", {}), counts.get("unclipped", {})
    out = []
    if clipped and unclipped:
        cu, uu = clipped.get("unstable", 0), unclipped.get("unstable", 0)
        text = (f"On {corpus}, {uu}/{unclipped.get('runs', 0)} unclipped and {cu}/{clipped.get('runs', 0)} clipped "
                f"runs were unstable ({unclipped.get('diverged', 0)} and {clipped.get('diverged', 0)} diverged)")
        out.append(text + (", so clipping prevented instability, as expected." if uu > cu
                           else f"; clipping made no difference to stability, {EXPECTED_NOT_SEEN}."))
    if "final_loss_test" in summary:
        c = comparison_from(summary["final_loss_test"])
        out.append(judge(c, "clipped", "clipped runs end at a lower training loss", corpus, 3).sentence)
    return out or [f"On {corpus}, the clipping summary holds no run counts."]


def long_distance_conclusions(corpus: str, probes: pd.DataFrame | None) -> list[str]:
    """At which probed distances the LSTM recalls the cue better than the RNN (accuracy among the cues; the
    per-distance differences are in the section's table)."""
    if probes is None or probes.empty:
        return [f"On {corpus}, the corpus has no long-distance probes; only the loss by recurrence distance "
                "is measured."]
    models = list(probes["model"].unique())
    lstm, rnn = pick_model(models, "lstm"), pick_model(models, "rnn")
    if not (lstm and rnn):
        return [f"On {corpus}, no LSTM/RNN pair was probed."]
    better = [d for d, c in probe_comparisons(probes, lstm, rnn) if c.winner == lstm]
    return [f"On {corpus}, the LSTM recalls the cue better than the RNN at distance(s) "
            f"{', '.join(map(str, better))} (95% CI of the difference excludes 0)." if better else
            f"On {corpus}, at no probed distance do the numbers show the LSTM recalling the cue better than "
            f"the RNN; {EXPECTED_NOT_SEEN}."]


# The recall a model must reach at a distance on every seed for the lecture's "the LSTM carries it" to hold
# for each run, not only on average.
RECALL_FLOOR = 0.8


def recall_by_seed(corpus: str, probes: pd.DataFrame | None, family: str = "lstm", min_distance: int = 8,
                   floor: float = RECALL_FLOOR) -> list[str]:
    """On how many seeds ``family``'s model recalls the cue at ≥ ``floor`` at each distance ≥ ``min_distance``."""
    if probes is None or probes.empty:
        return []
    model = pick_model(list(probes["model"].unique()), family)
    rows = probes[(probes["model"] == model) & (probes["distance"] >= min_distance)] if model else probes.iloc[:0]
    if rows.empty:
        return []
    counts = [f"d={d}: {int((g['cue_accuracy'] >= floor).sum())}/{len(g)}"
              for d, g in rows.groupby("distance", sort=True)]
    lowest = rows.groupby("distance", sort=True)["cue_accuracy"].min()
    return [f"On {corpus}, seeds at which {model} recalls the cue at ≥ {floor:g}: {', '.join(counts)} "
            f"(lowest seed: {', '.join(f'd={d}: {v:.2f}' for d, v in lowest.items())})."]


def floor_by_level(corpus: str, breakdown: pd.DataFrame, factor: str, value: str = "accuracy") -> list[str]:
    """Each model's lowest seed on the first (nearest) level of ``factor``: does every run learn the easy case?"""
    rows = breakdown[breakdown["factor"].astype(str) == factor]
    if rows.empty:
        return []
    levels = list(dict.fromkeys(rows["level"]))
    first = rows[rows["level"] == levels[0]]
    lowest = first.groupby("model")[value].min()
    ordered = sorted(lowest.index, key=model_sort_key)
    return [f"On {corpus}, the lowest seed's {value} at {factor} {levels[0]} (the nearest level): "
            + ", ".join(f"{m} {lowest[m]:.1f}" for m in ordered) + "."]


# Valid accuracy (%) from which a classifier counts as having learned its task, for "first epoch at".
LEARNED = 95.0


def _per_epoch(curves: pd.DataFrame, corpus: str, metric: str) -> pd.DataFrame:
    """Rows: (model, seed); columns: epochs; values: ``metric`` after that epoch."""
    rows = curves[(curves["corpus"] == corpus) & (curves["metric"] == metric)]
    return rows.pivot_table(index=["model", "seed"], columns="epoch", values="value", aggfunc="first")


def learning_speed(corpus: str, curves: pd.DataFrame | None, pairs: Sequence[tuple[str, str]],
                   metric: str = "valid_accuracy", learned: float = LEARNED) -> list[str]:
    """How fast each classifier learned: the mean of ``metric`` over the epochs (the area under the learning
    curve) compared between the models of each pair, paired by seed, and each seed's first epoch at
    ≥ ``learned``. Final accuracies say where training ends; these say how it got there."""
    if curves is None or curves.empty:
        return []
    table = _per_epoch(curves, corpus, metric)
    if table.empty:
        return []
    # The epochs every run has, so that models trained for different numbers of epochs are compared fairly.
    epochs = [e for e in table.columns if table[e].notna().all()]
    if not epochs:
        return []
    area = table[epochs].mean(axis=1)
    models = sorted(table.index.get_level_values("model").unique(), key=model_sort_key)
    runs = {m: area.xs(m, level="model").to_dict() for m in models}
    cells = [f"{a} − {b} {diff_cell(compare(runs[a], runs[b], names=(a, b)), 1)}"
             for a, b in pairs if a in runs and b in runs]

    def first(row: pd.Series) -> str:
        reached = [int(e) for e in epochs if row[e] >= learned]
        return str(reached[0]) if reached else "never"

    def seeds(model: str) -> str:
        values = [first(row) for _, row in table.loc[model].iterrows()]
        return f"{values[0]} on every seed" if len(set(values)) == 1 else ", ".join(values)

    span = f"epochs {epochs[0]}–{epochs[-1]}" if len(epochs) > 1 else f"epoch {epochs[0]}"
    name = metric.replace("_", " ")
    speed = (f"{name} averaged over {span} (A − B paired by seed, 95% CI, * excludes 0): " + "; ".join(cells)
             + "; ") if cells else ""
    return [f"On {corpus}, how fast each classifier learned (exploratory, not a claim): {speed}the first epoch "
            f"at which {name} reached {learned:g}%, seed by seed: " + "; ".join(f"{m} {seeds(m)}" for m in models)
            + "."]


def levels_conclusion(corpus: str, comparisons: Sequence[Comparison]) -> list[str]:
    """How many per-level comparisons (by position, length, ...) have an interval that excludes 0."""
    if not comparisons:
        return [f"On {corpus}, the breakdown holds no model pair to compare level by level."]
    decided = sum(c.decided for c in comparisons)
    return [f"On {corpus}, {decided} of {len(comparisons)} per-level comparisons have a 95% CI that excludes 0 "
            "(marked * in the table)."]


def significance_conclusions(comparisons: int, decided: int, corrected: int, families: int) -> list[str]:
    if comparisons == 0:
        return ["No two models share a corpus and metric, so nothing was compared."]
    return [f"{comparisons} exploratory pairwise comparisons in {families} families (all pairs of models on one "
            f"metric of one corpus): in {decided} the 95% CI of the difference excludes 0; {corrected} remain "
            "significant (p < 0.05) after Holm's correction within their family."]


def data_conclusions(corpus_rows: pd.DataFrame | None) -> list[str]:
    """Only what is missing: the corpus table itself states the sizes."""
    if corpus_rows is None or corpus_rows.empty:
        return ["No corpus statistics were found (pass --corpora to `rnnlab report`)."]
    return []
