"""The report's NER sentences and tables, from a small hand-made metrics table."""

import pandas as pd

from rnnlab.report import ner
from rnnlab.report.context import Table

SCORES = {  # model -> (span_f1, span_f1_right_context, invalid_sequences, span_f1.PER) per seed
    "lstm": [(80.0, 30.0, 50, 70.0), (81.0, 33.0, 60, 71.0), (79.5, 31.0, 55, 69.0)],
    "bilstm": [(99.0, 99.0, 1, 98.0), (99.5, 100.0, 0, 99.0), (98.5, 98.0, 2, 97.5)],
    "bilstm-crf": [(99.6, 100.0, 0, 99.0), (99.8, 100.0, 0, 99.5), (99.7, 99.0, 0, 99.0)],
}


def metrics() -> pd.DataFrame:
    rows = [dict(task="ner", corpus="syn-ner", model=m, seed=s, split="test", metric=name, value=v)
            for m, runs in SCORES.items() for s, values in enumerate(runs, 1)
            for name, v in zip(("span_f1", "span_f1_right_context", "invalid_sequences", "span_f1.PER"), values)]
    rows.append(dict(task="ner", corpus="syn-ner", model="ngram-mft", seed=0, split="test", metric="span_f1", value=50.0))
    rows.append(dict(task="tagging", corpus="syn", model="lstm", seed=1, split="test", metric="accuracy", value=90.0))
    return pd.DataFrame(rows)


def test_conclusions_judge_bilstm_against_lstm_and_count_invalid_sequences():
    lines = ner.ner_conclusions(metrics())
    right = next(line for line in lines if "decided on the right" in line)
    assert "as expected" in right
    invalid = next(line for line in lines if "invalid IOB2" in line)
    assert "emitted 0 invalid" in invalid and "up to 55" in invalid


def test_no_ner_rows_no_sentences_no_tables():
    other = metrics()[lambda f: f["task"] == "tagging"]
    assert ner.ner_conclusions(other) == []
    assert ner.per_type_table(other) is None and ner.invalid_table(other) is None


def test_tables_per_type_and_invalid_sequences():
    types = ner.per_type_table(metrics())
    assert list(types.frame["model"]) == ["lstm", "bilstm", "bilstm-crf"] and "PER" in types.frame.columns
    invalid = ner.invalid_table(metrics()).frame
    decoders = dict(zip(invalid["model"], invalid["decoder"]))
    assert decoders["bilstm-crf"].startswith("CRF") and decoders["lstm"] == "softmax per word"
    assert invalid.set_index("model").loc["lstm", "invalid sentences"].startswith("55")


def test_published_anchor_is_kept_for_ner_corpora_only():
    published = Table("Published", pd.DataFrame([
        {"corpus": "syn-ner", "model (published)": "XLM-R large", "published": 86.0},
        {"corpus": "ptb", "model (published)": "KN5", "published": 141.2}]))
    table = ner.published_ner(published, metrics())
    assert list(table.frame["corpus"]) == ["syn-ner"] and "different kind of model" in table.note
    assert ner.published_ner(None, metrics()) is None
