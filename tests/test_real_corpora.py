"""The DAG on real text: SST-2 (classification) and WikiText-2 (a bring-your-own LM corpus), with the
analyses that apply to real corpora.

WikiText-2's training split is not among the shared files, so its validation split is divided
into train (first 90% of lines) and valid (the rest); its test split is the test split.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml


def _wikitext_splits(shared: Path, dest: Path) -> dict[str, str]:
    lines = (shared / "corpora/wikitext-2/valid.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    cut = int(len(lines) * 0.9)
    dest.mkdir(parents=True)
    (dest / "train.txt").write_text("".join(lines[:cut]), encoding="utf-8")
    (dest / "valid.txt").write_text("".join(lines[cut:]), encoding="utf-8")
    return {"train": str(dest / "train.txt"), "valid": str(dest / "valid.txt"),
            "test": str(shared / "corpora/wikitext-2/test.txt")}


def test_dag_on_real_corpora(shared_dir: Path, tmp_path: Path, copy_workflow, run_snakemake):
    sst = shared_dir / "corpora/sst-2"
    config = {
        "preset": "real-text",
        "seeds": [1],
        "corpora": {
            "wikitext2-byo": {"task": "lm", "source": "local", "tokenizer": "whitespace",
                              "files": _wikitext_splits(shared_dir, tmp_path / "wt2")},
            "sst2-byo": {"task": "classification", "source": "local", "tokenizer": "lower", "labels": ["0", "1"],
                         "files": {"train": str(sst / "train.tsv"), "valid": str(sst / "dev.tsv"),
                                   "test": str(sst / "test.tsv")}},
        },
        "experiments": {
            "lm": {"corpora": ["wikitext2-byo"], "models": {"ngram-kn3": {}, "ngram-kn5": {}}},
            "classification": {"corpora": ["sst2-byo"], "models": {
                "ngram-nb": {}, "ngram-nbsvm": {},
                "lstm": {"emb": 16, "hidden": 16, "epochs": 1, "batch_size": 128},
                "bilstm": {"emb": 16, "hidden": 16, "epochs": 1, "batch_size": 128}}},
        },
        # On real text: loss against the distance to a word's previous occurrence and against the context
        # kept (WikiText-2, the analysis' 2,000 targets with 300 tokens of context), and accuracy by sentence
        # length (SST-2).
        "analysis": {
            "long-distance": {"corpora": ["wikitext2-byo"], "models": ["ngram-kn3", "ngram-kn5"]},
            "context": {"corpora": ["wikitext2-byo"], "models": ["ngram-kn3", "ngram-kn5"]},
            "bidirectional": {"corpora": ["sst2-byo"], "models": ["lstm", "bilstm"]},
            "significance": {"enabled": True},
        },
        "report": {"title": "real text", "published": [
            {"task": "classification", "corpus": "sst2-byo", "model": "NB (Socher et al. 2013)", "split": "test",
             "metric": "accuracy", "value": 81.8, "source": "Socher et al. 2013", "ours": "ngram-nb"}]},
    }
    work = copy_workflow(tmp_path / "work")
    (work / "real.yaml").write_text(yaml.safe_dump(config))
    run_snakemake(work, "--cores", "2", "--configfile", "real.yaml")

    m = pd.read_csv(work / "results/metrics.csv").set_index(["corpus", "model", "split", "metric"])["value"]
    # SST-2 sentence-level test accuracy: published NB 81.8, bigram NB 83.1; chance is ~50.
    for model in ("ngram-nb", "ngram-nbsvm"):
        assert 78 < m["sst2-byo", model, "test", "accuracy"] < 88
        assert 78 < m["sst2-byo", model, "test", "macro_f1"] < 88
    # KN on ~200k training tokens of WikiText: far above a full-data KN5 (~150), far below uniform (|V| ~ 20k).
    for model in ("ngram-kn3", "ngram-kn5"):
        assert 150 < m["wikitext2-byo", model, "test", "perplexity"] < 1500
    stats = json.loads((work / "data/processed/wikitext2-byo/stats.json").read_text())
    assert stats["splits"]["test"]["lines"] > 2000
    html = (work / "results/report/index.html").read_text()
    assert "sst2-byo" in html and "wikitext2-byo" in html and "81.8" in html

    recurrence = pd.read_csv(work / "results/analysis/long-distance/wikitext2-byo/recurrence.csv")
    assert set(recurrence["model"]) == {"ngram-kn3", "ngram-kn5"}
    assert not (work / "results/analysis/long-distance/wikitext2-byo/probes.csv").exists()
    breakdown = pd.read_csv(work / "results/analysis/bidirectional/sst2-byo/breakdown.csv")
    assert set(breakdown["model"]) == {"lstm", "bilstm"}
    assert (breakdown["factor"] == "length").any()
    increase = pd.read_csv(work / "results/analysis/context/wikitext2-byo/increase.csv")
    assert set(increase["targets"]) == {2000}
    for model, order in (("ngram-kn3", 3), ("ngram-kn5", 5)):
        rows = increase[increase["model"] == model]
        assert (rows[rows["distance"] >= order - 1]["increase"] == 0).all()  # nothing beyond n - 1 tokens counts
        assert rows[rows["distance"] == 1]["increase"].min() > 0
    assert "How much context each model uses" in html and "Khandelwal et al. 2018" in html
    figures = json.loads((work / "results/figures/index.json").read_text())
    assert {"long_distance_recurrence_wikitext2-byo", "context_perturbation_wikitext2-byo",
            "bidirectional_sst2-byo"} <= {f["name"] for f in figures}
