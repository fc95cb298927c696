"""The report's subsection on how much context each model uses (the ``context`` analysis).

Per corpus: the effective context of every model (the smallest d whose truncation raises the loss
by less than the threshold) and the d from which shuffling and replacing stop mattering, as mean
± 95% CI over seeds, sentences drawn from those numbers, and Khandelwal et al. (2018)'s LSTM
figures beside them, marked as published.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

import pandas as pd

from ..analysis.context_reach import models_in_order, reach_text
from ..analysis.stats import compare, mean_ci
from ..models.registry import family_of, order_of
from .analyses import AnalysisResult
from .conclusions import EXPECTED_NOT_SEEN, judge, pick_model
from .context import Table

COLUMNS: Mapping[str, str] = MappingProxyType({
    "truncate": "effective context (truncate)", "shuffle": "word order matters up to (shuffle)",
    "replace": "word identity matters up to (replace)"})
SOURCE = "Khandelwal et al. 2018"
# Khandelwal, He, Qi & Jurafsky (2018), abstract: their LSTM LM, a 3-layer AWD-LSTM (Merity et al. 2018) uses
# about 200 tokens of context on PTB and WikiText-2 and ignores word order beyond about 50 tokens.
PUBLISHED = pd.DataFrame([
    {"corpus (published)": corpus, "model (published)": "AWD-LSTM, 3 layers", "training tokens": tokens,
     COLUMNS["truncate"]: "about 200", COLUMNS["shuffle"]: "about 50", "source": SOURCE}
    for corpus, tokens in (("PTB", "0.9M"), ("WikiText-2", "2.1M"))])


def context_table(reach: pd.DataFrame, largest: int) -> pd.DataFrame:
    rows = []
    for model in models_in_order(reach):
        seeds = reach[reach["model"] == model]["seed"].nunique()
        rows.append({"model": model, **{col: reach_text(reach, model, p, largest) for p, col in COLUMNS.items()},
                     "seeds": seeds})
    return pd.DataFrame(rows)


def context_conclusions(corpus: str, reach: pd.DataFrame, distances: list[int]) -> list[str]:
    """What the effective contexts say: the n-gram's n − 1 words, and whether the LSTM uses more than the RNN."""
    truncate, largest = reach[reach["perturbation"] == "truncate"], distances[-1]
    out = []
    ngrams = [(m, order_of(m)) for m in models_in_order(truncate) if family_of(m) == "ngram" and order_of(m)]
    if ngrams:
        # Beyond n − 1 tokens nothing changes, so the effective context is at most the first measured d ≥ n − 1.
        bound = {m: min((d for d in distances if d >= n - 1), default=largest) for m, n in ngrams}
        over = [m for m, _ in ngrams if truncate[truncate["model"] == m]["distance"].max() > bound[m]]
        listed = ", ".join(f"{m} {reach_text(truncate, m, 'truncate', largest)}" for m, _ in ngrams)
        out.append(f"On {corpus}, the n-gram models' effective contexts ({listed} tokens) are within n − 1 tokens "
                   "(up to the measured distances), as their construction requires." if not over else
                   f"On {corpus}, {', '.join(over)} appear to use more than n − 1 tokens ({listed}); that cannot be, "
                   "so the measurement is wrong.")
    models = list(truncate["model"].unique())
    lstm, rnn = pick_model(models, "lstm"), pick_model(models, "rnn")
    if lstm and rnn:
        runs = {m: dict(zip(truncate[truncate["model"] == m]["seed"], truncate[truncate["model"] == m]["distance"]))
                for m in (lstm, rnn)}
        if any(pd.isna(v) for r in runs.values() for v in r.values()):
            out.append(f"On {corpus}, the effective context of {lstm} or {rnn} exceeds the largest distance measured "
                       f"({largest}) for some seed, so the two are not compared; measure larger distances.")
        else:
            c = compare(runs[lstm], runs[rnn], names=(lstm, rnn), metric="effective context (tokens)")
            out.append(judge(c, lstm, f"{lstm} uses more context than {rnn}", corpus, digits=1).sentence)
    far = [m for m in models_in_order(truncate) if truncate[truncate["model"] == m]["distance"].isna().any()]
    if far:
        out.append(f"On {corpus}, truncation still raises the loss by the threshold or more at d = {largest} for "
                   f"{', '.join(far)} (in at least one seed).")
    if not out:
        out.append(f"On {corpus}, no n-gram and no RNN/LSTM pair was analysed; {EXPECTED_NOT_SEEN}.")
    return out


def context_table_of(r: AnalysisResult) -> Table:
    largest = int(r.summary["distances"][-1])
    pct = f"{100 * float(r.summary['threshold']):g}%"
    return Table(f"Context each model uses on {r.corpus}", context_table(r.tables["reach"], largest),
                 f"The smallest d (tokens) at which dropping, shuffling or replacing the context farther than d "
                 f"raises the loss of {r.summary['targets']} {r.summary['split']} targets by less than {pct} of their "
                 f"loss with {r.summary['max_distance']} tokens of context; mean ± 95% CI over seeds; "
                 f"'> {largest}': not below {pct} at any measured d.", key=f"context-{r.corpus}")


def cue_table_of(r: AnalysisResult) -> Table | None:
    """Where the corpus has probes: the loss the probed word gains when truncation drops its cue, by distance."""
    cue = r.tables.get("cue")
    if cue is None or cue.empty:
        return None
    rows = [{"model": m, "distance": f"d={int(d)}", "text": mean_ci(g["increase"].tolist()).format(2)}
            for (m, d), g in cue.groupby(["model", "distance"], sort=True)]
    wide = pd.DataFrame(rows).pivot(index="model", columns="distance", values="text")
    wide = wide[sorted(wide.columns, key=lambda c: int(c[2:]))].reindex(models_in_order(cue)).reset_index()
    return Table(f"Loss added by dropping the cue on {r.corpus}", wide,
                 "Loss (nats) of each probed word when truncation drops its cue (the last distance − 1 tokens kept) "
                 "minus its loss when the cue is kept (the last distance tokens), mean ± 95% CI over seeds, by the "
                 "cue's distance d; the same probes as the long-distance analysis.", key=f"context-cue-{r.corpus}",
                 collapsed=True)


def published_context_table() -> Table:
    return Table("How much context an LSTM uses, published", PUBLISHED,
                 f"Published by {SOURCE} (not produced by this run), on corpora of the sizes shown and a far larger "
                 "model than this run's, with the same three ablations.", key="context-published", collapsed=True)
