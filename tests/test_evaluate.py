from pathlib import Path

import pandas as pd
import pytest

from rnnlab.errors import RnnlabError
from rnnlab.evaluate import collect, headline, plot_tables, split_timings


def _rows(model, seed, values, split="test", metric="perplexity", task="lm", corpus="c"):
    return [dict(task=task, corpus=corpus, model=model, seed=seed, split=split, metric=metric, value=v) for v in values]


def test_collect_orders_columns_and_rows(tmp_path: Path):
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    pd.DataFrame([{**r, "params": 10} for r in _rows("lstm", 2, [5.0])]).to_csv(a, index=False)
    pd.DataFrame(_rows("lstm", 1, [7.0]) + _rows("ngram-kn3", 0, [9.0])).to_csv(b, index=False)
    table = collect([a, b])
    assert list(table.columns[:7]) == ["task", "corpus", "model", "seed", "split", "metric", "value"]
    assert table[["model", "seed"]].values.tolist() == [["lstm", 1], ["lstm", 2], ["ngram-kn3", 0]]


def test_timings_leave_the_metrics_byte_identical_across_runs(tmp_path: Path):
    written = []
    for run, seconds in enumerate((1.5, 2.75)):
        per_model = tmp_path / f"run{run}.csv"
        pd.DataFrame([{**r, "params": 10, "train_seconds": seconds, "tokens_per_s": 100 / seconds, "status": "completed"}
                      for r in _rows("lstm", 1, [5.0, 6.0])]).to_csv(per_model, index=False)
        metrics, timings = split_timings(collect([per_model]))
        metrics.to_csv(tmp_path / f"metrics{run}.csv", index=False)
        written.append((tmp_path / f"metrics{run}.csv").read_bytes())
        assert timings.to_dict(orient="records") == [
            {"task": "lm", "corpus": "c", "model": "lstm", "seed": 1, "train_seconds": seconds,
             "tokens_per_s": 100 / seconds}]
    assert written[0] == written[1]
    assert list(metrics.columns) == ["task", "corpus", "model", "seed", "split", "metric", "value", "params", "status"]


def test_collect_needs_inputs():
    with pytest.raises(RnnlabError, match="no per-model metrics"):
        collect([])


def test_headline_means_over_seeds():
    t = pd.DataFrame(_rows("lstm", 1, [4.0]) + _rows("lstm", 2, [6.0]) + _rows("lstm", 1, [1.0], metric="oov_rate"))
    h = headline(t)
    assert h == {"lm": {"c": {"lstm": {"test": {"perplexity": 5.0}}}}}


def test_plot_tables_prefer_test_split():
    t = pd.DataFrame(_rows("a", 0, [3.0], split="valid") + _rows("a", 0, [2.0], split="test")
                     + _rows("a", 0, [80.0], split="valid", metric="accuracy", task="classification", corpus="s"))
    tables = plot_tables(t)
    assert tables["lm_perplexity"][["model", "split", "perplexity"]].values.tolist() == [["a", "test", 2.0]]
    assert tables["classification_accuracy"]["split"].tolist() == ["valid"]
