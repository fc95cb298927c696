"""The tagging DAG at tiny scale through Snakemake: generate -> prepare -> taggers -> metrics -> report.

No real-text test: UD English-EWT is not among the corpora available offline here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

TINY_TAGGING = {
    "preset": "tiny-tagging",
    "seeds": [1, 2],
    "corpora": {
        "synthetic-tagging": {"task": "tagging", "source": "generate", "generator": "synthetic-tagging", "seed": 5,
                              "params": {"n_train": 80, "n_valid": 20, "n_test": 20}},
    },
    "training": {"epochs": 2, "max_batches": 3, "batch_size": 8, "patience": None},
    "experiments": {
        "tagging": {"corpora": ["synthetic-tagging"], "models": {
            "ngram-mft": {}, "ngram-hmm": {}, "rnn": {"emb": 8, "hidden": 8}, "lstm": {"emb": 8, "hidden": 8},
            "bilstm-2layer": {"emb": 8, "hidden": 8, "layers": 2}}},
    },
    "report": {"title": "tiny tagging run"},
}


def test_tiny_tagging_dag(tmp_path: Path, copy_workflow, run_snakemake):
    work = copy_workflow(tmp_path / "work")
    (work / "tiny.yaml").write_text(yaml.safe_dump(TINY_TAGGING))
    run_snakemake(work, "--cores", "2", "--configfile", "tiny.yaml")

    metrics = pd.read_csv(work / "results/metrics.csv")
    assert set(metrics["task"]) == {"tagging"}
    assert set(metrics["model"]) == {"ngram-mft", "ngram-hmm", "rnn", "lstm", "bilstm-2layer"}
    runs = metrics.groupby("model")["seed"].unique().map(sorted).to_dict()
    assert runs["ngram-hmm"] == [0] and runs["bilstm-2layer"] == [1, 2]
    assert set(metrics["split"]) == {"valid", "test"} and set(metrics["status"]) == {"completed"}
    names = set(metrics["metric"])
    assert {"accuracy", "accuracy_oov", "accuracy_right_context", "macro_f1", "tag_f1.NOUN"} <= names
    assert metrics["value"].between(0, 100).all()
    assert (metrics[metrics["model"] == "lstm"]["backend"] == "cpu").all()
    for ext in ("png", "pdf", "svg", "txt"):
        assert (work / f"results/figures/tagging.{ext}").exists()
    html = (work / "results/report/index.html").read_text()
    assert "Sequence tagging (UPOS)" in html and "Right-context acc. %" in html
    dry = run_snakemake(work, "-n", "--configfile", "tiny.yaml")
    assert "Nothing to be done" in dry.stdout + dry.stderr
