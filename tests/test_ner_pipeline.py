"""Named-entity recognition end to end: the DAG at tiny scale on synthetic-ner, and the real UNER
English-EWT dev file (from ../shared) split, prepared, trained on briefly and scored.

The shared copy holds only the dev file, so its sentences are split in file order: the first 1,600
train, the next 200 are valid, the remaining 201 are test.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from rnnlab.data.iob_io import read_iob2
from rnnlab.data.prepare import prepare_corpus
from rnnlab.models.registry import EvalRequest, TrainRequest, get_model

TINY_NER = {
    "preset": "tiny-ner",
    "seeds": [1, 2],
    "corpora": {
        "synthetic-ner": {"task": "ner", "source": "generate", "generator": "synthetic-ner", "seed": 5,
                          "params": {"n_train": 80, "n_valid": 20, "n_test": 20}},
    },
    "training": {"epochs": 2, "max_batches": 3, "batch_size": 8, "patience": None},
    "experiments": {
        "ner": {"corpora": ["synthetic-ner"], "models": {
            "ngram-mft": {}, "ngram-mft-span": {}, "lstm": {"emb": 8, "hidden": 8}, "bilstm": {"emb": 8, "hidden": 8},
            "bilstm-crf": {"emb": 8, "hidden": 8}}},
    },
    "report": {"title": "tiny ner run"},
}
SPLIT_SENTENCES = {"train": 1600, "valid": 200}


def test_tiny_ner_dag(tmp_path: Path, copy_workflow, run_snakemake):
    work = copy_workflow(tmp_path / "work")
    (work / "tiny.yaml").write_text(yaml.safe_dump(TINY_NER))
    run_snakemake(work, "--cores", "2", "--configfile", "tiny.yaml")

    metrics = pd.read_csv(work / "results/metrics.csv")
    assert set(metrics["task"]) == {"ner"}
    assert set(metrics["model"]) == {"ngram-mft", "ngram-mft-span", "lstm", "bilstm", "bilstm-crf"}
    runs = metrics.groupby("model")["seed"].unique().map(sorted).to_dict()
    assert runs["ngram-mft-span"] == [0] and runs["bilstm-crf"] == [1, 2]
    assert set(metrics["split"]) == {"valid", "test"} and set(metrics["status"]) == {"completed"}
    assert {"span_f1", "span_precision", "span_recall", "span_f1.PER", "accuracy", "span_f1_right_context",
            "invalid_sequences"} <= set(metrics["metric"])
    invalid = metrics[metrics["metric"] == "invalid_sequences"].set_index(["model", "seed", "split"])["value"]
    assert (invalid.loc[["bilstm-crf", "ngram-mft-span"]] == 0).all()
    assert metrics["value"].between(0, 100).all()
    for ext in ("png", "pdf", "svg", "txt"):
        assert (work / f"results/figures/ner.{ext}").exists()
    html = (work / "results/report/index.html").read_text()
    assert "6.2 Named entities" in html and "Invalid IOB2 sequences: CRF vs softmax" in html
    dry = run_snakemake(work, "-n", "--configfile", "tiny.yaml")
    assert "Nothing to be done" in dry.stdout + dry.stderr


def _split_dev(dev: Path, dest: Path) -> dict[str, Path]:
    """The dev file's sentence blocks, as released, in file order: train, valid, then test."""
    blocks = [b for b in dev.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    cut = SPLIT_SENTENCES["train"]
    parts = {"train": blocks[:cut], "valid": blocks[cut: cut + SPLIT_SENTENCES["valid"]],
             "test": blocks[cut + SPLIT_SENTENCES["valid"]:]}
    dest.mkdir(parents=True)
    for split, chunk in parts.items():
        (dest / f"{split}.iob2").write_text("\n\n".join(chunk) + "\n\n", encoding="utf-8")
    return {split: dest / f"{split}.iob2" for split in parts}


def test_uner_dev_file_trained_on_and_scored(shared_dir: Path, tmp_path: Path):
    dev = shared_dir / "corpora/uner-ewt/dev.iob2"
    files = _split_dev(dev, tmp_path / "raw")
    assert sum(len(read_iob2(p).sentences) for p in files.values()) == len(read_iob2(dev).sentences)
    stats = prepare_corpus(files, "ner", tmp_path / "proc", "whitespace")
    assert stats.labels == ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    scores = {}
    for model, params in (("ngram-mft", {}), ("bilstm-crf", {"emb": 32, "hidden": 32, "epochs": 3, "batch_size": 16})):
        entry = get_model(model, "ner")
        entry.train(TrainRequest("uner-dev", tmp_path / "proc", tmp_path / model, "ner", 1, params))
        rows = pd.DataFrame(entry.evaluate(EvalRequest("uner-dev", tmp_path / "proc", tmp_path / model, "ner", 1)))
        scores[model] = rows[rows["split"] == "test"].set_index("metric")["value"]
    assert scores["bilstm-crf"]["invalid_sequences"] == 0
    assert scores["ngram-mft"]["span_f1"] > 5 and scores["bilstm-crf"]["accuracy"] > 80
    assert {"span_f1.PER", "span_f1.LOC", "span_f1.ORG", "span_f1_oov"} <= set(scores["bilstm-crf"].index)
