import pandas as pd

from rnnlab.report.analyses import AnalysisResult
from rnnlab.report.context_use import context_conclusions, context_table, cue_table_of, published_context_table

DISTANCES = [1, 2, 3, 5, 10, 20]


def reach(values):
    """{(model, seed): truncation reach} -> a reach table (shuffle and replace at 1)."""
    rows = []
    for (model, seed), d in values.items():
        rows += [{"model": model, "seed": seed, "perturbation": "truncate", "distance": d},
                 {"model": model, "seed": seed, "perturbation": "shuffle", "distance": 1.0},
                 {"model": model, "seed": seed, "perturbation": "replace", "distance": 1.0}]
    return pd.DataFrame(rows)


def test_ngram_within_its_order_and_the_lstm_using_more_than_the_rnn():
    table = reach({("ngram-kn3", 0): 2.0, ("ngram-kn5", 0): 5.0, ("rnn", 1): 5.0, ("rnn", 2): 5.0, ("rnn", 3): 3.0,
                   ("lstm", 1): 20.0, ("lstm", 2): 20.0, ("lstm", 3): 10.0})
    out = context_conclusions("syn", table, DISTANCES)
    assert out[0].startswith("On syn, the n-gram models' effective contexts (ngram-kn3 2.0, ngram-kn5 5.0 tokens) "
                             "are within n − 1")
    assert "lstm uses more context than rnn, as expected" in out[1]
    frame = context_table(table, 20)
    assert frame.set_index("model").loc["ngram-kn3", "effective context (truncate)"] == "2.0"
    assert list(frame["model"]) == ["ngram-kn3", "ngram-kn5", "rnn", "lstm"]


def test_an_ngram_beyond_its_order_and_a_model_beyond_the_largest_distance_are_named():
    table = reach({("ngram-kn2", 0): 2.0, ("rnn", 1): 5.0, ("lstm", 1): float("nan")})
    out = context_conclusions("syn", table, DISTANCES)
    assert "ngram-kn2 appear to use more than n − 1 tokens" in out[0]
    assert "exceeds the largest distance measured (20)" in out[1]
    assert "at d = 20 for lstm" in out[2]


def test_the_published_figures_are_marked_as_published():
    t = published_context_table()
    assert "not produced by this run" in t.note and set(t.frame["source"]) == {"Khandelwal et al. 2018"}


def test_the_cue_table_has_one_row_per_model_and_one_column_per_distance(tmp_path):
    cue = pd.DataFrame({"model": ["lstm", "lstm", "lstm", "lstm", "ngram-kn2", "ngram-kn2"], "seed": [1, 2, 1, 2, 0, 0],
                        "distance": [4, 4, 16, 16, 4, 16], "increase": [2.0, 3.0, 0.5, 0.7, 0.0, 0.0]})
    r = AnalysisResult("context", "syn", tmp_path, {}, {"cue": cue})
    frame = cue_table_of(r).frame
    assert list(frame.columns) == ["model", "d=4", "d=16"] and list(frame["model"]) == ["ngram-kn2", "lstm"]
    assert frame.set_index("model").loc["ngram-kn2", "d=16"] == "0.00"
    assert cue_table_of(AnalysisResult("context", "wt", tmp_path, {}, {})) is None
