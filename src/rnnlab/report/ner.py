"""What the report says about named-entity recognition: conclusions and tables from the metrics."""

from __future__ import annotations

import pandas as pd

from ..analysis.stats import headline_metrics, headline_split, summarize
from ..models.registry import model_sort_key
from .conclusions import Expectation, expect_models, pick_model
from .context import Table

# Models that decode with a CRF (Viterbi); the others tag each word by its own softmax or counts.
CRF_MODELS = ("bilstm-crf",)


def _decoder(model: str) -> str:
    if pick_model([model], CRF_MODELS[0]):
        return "CRF (Viterbi, BIO-forbidden transitions)"
    return "counts" if model.startswith("ngram") else "softmax per word"


def _ner(metrics: pd.DataFrame) -> pd.DataFrame:
    return metrics[metrics["task"] == "ner"]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["corpus", "model"], key=lambda col: col.map(model_sort_key) if col.name == "model"
                             else col).reset_index(drop=True)


def ner_conclusions(metrics: pd.DataFrame) -> list[str]:
    """The best entity tagger, BiLSTM vs LSTM (above all on right-decided entities), CRF vs softmax validity."""
    ner = headline_metrics(_ner(metrics))
    if ner.empty:
        return []
    out: list[str] = []
    for corpus, group in ner.groupby("corpus", sort=True):
        models = list(group["model"].unique())
        better, worse = pick_model(models, "bilstm"), pick_model(models, "lstm")
        if better and worse:
            for metric, claim in (("span_f1_right_context", "the BiLSTM finds entities decided on the right more "
                                   "often than the LSTM"), ("span_f1", "the BiLSTM finds entities more often "
                                                                       "than the LSTM")):
                out.append(expect_models(group, corpus, Expectation(better, worse, metric, claim), 1).sentence)
    invalid = _invalid_summary(metrics)
    if not invalid.empty:
        for corpus, group in invalid.groupby("corpus", sort=True):
            crf = group[group["decoder"].str.startswith("CRF")]
            softmax = group[group["decoder"] == "softmax per word"]
            if not crf.empty and not softmax.empty:
                out.append(f"On {corpus}, the CRF tagger(s) emitted {crf['mean'].max():g} invalid IOB2 sentence(s) "
                           f"at most (mean over seeds), the per-word softmax taggers up to {softmax['mean'].max():g}.")
    return out


def per_type_table(metrics: pd.DataFrame) -> Table | None:
    rows = headline_split(_ner(metrics))
    rows = rows[rows["metric"].str.startswith("span_f1.") & rows["value"].notna()]
    if rows.empty:
        return None
    summary = summarize(rows.assign(type=rows["metric"].str.removeprefix("span_f1.")), ["corpus", "split", "model",
                                                                                        "type"])
    wide = summary.pivot_table(index=["corpus", "split", "model"], columns="type", values="text", aggfunc="first")
    return Table("Span F1 per entity type", _sorted(wide.reset_index()),
                 "Span F1 (%) per type on the headline split (test where the corpus has one), strict IOB2; mean ± "
                 "95% CI over seeds.", key="ner-types", collapsed=True)


def _invalid_summary(metrics: pd.DataFrame) -> pd.DataFrame:
    """Invalid predicted sentences per corpus and model on the headline split: mean, CI text, seeds, decoder."""
    rows = headline_split(_ner(metrics))
    rows = rows[(rows["metric"] == "invalid_sequences") & rows["value"].notna()]
    if rows.empty:
        return pd.DataFrame(columns=["corpus", "split", "model", "decoder", "mean", "text", "n"])
    summary = summarize(rows, ["corpus", "split", "model"])
    return _sorted(summary.assign(decoder=summary["model"].map(_decoder)))


def invalid_table(metrics: pd.DataFrame) -> Table | None:
    summary = _invalid_summary(metrics)
    if summary.empty:
        return None
    frame = summary[["corpus", "split", "model", "decoder", "text", "n"]]
    return Table("Invalid IOB2 sequences: CRF vs softmax", frame.rename(columns={"text": "invalid sentences", "n": "seeds"}),
                 "Predicted sentences with an I-X that continues no X entity (O → I-X, B-Y → I-X, or I-X first), "
                 "on the headline split; mean ± 95% CI over seeds. Strict IOB2 scoring starts no entity at such a "
                 "tag.", key="ner-invalid")


def published_ner(published: Table | None, metrics: pd.DataFrame) -> Table | None:
    """The published NER numbers beside ours."""
    if published is None:
        return None
    corpora = set(_ner(metrics)["corpus"])
    rows = published.frame[published.frame["corpus"].isin(corpora)]
    if rows.empty:
        return None
    return Table("Published NER reference", rows.reset_index(drop=True),
                 "Marked as published (not produced by this run). The published model is a fine-tuned pretrained "
                 "transformer, a different kind of model from the word-embedding taggers trained here, so the gap "
                 "measures that difference and not the BiLSTM-CRF alone.", key="ner-published", collapsed=True)
