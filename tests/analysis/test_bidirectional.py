import numpy as np
import pandas as pd
import pytest
import torch

from rnnlab.analysis.bidirectional import bidirectional, breakdown, headline, length_buckets, level_order
from rnnlab.analysis.common import write_output
from rnnlab.analysis.registry import redraw
from rnnlab.data.prepare import prepare_corpus, raw_files
from rnnlab.data.synthetic import generate
from rnnlab.errors import ConfigError, RnnlabError
from rnnlab.models import neural
from rnnlab.models.registry import EvalRequest, TrainRequest

CPU = torch.device("cpu")
TINY = {"emb": 8, "hidden": 8, "dropout": 0.0, "epochs": 1, "max_batches": 3, "batch_size": 8}


def test_length_buckets_are_quantiles_labelled_by_their_lengths():
    assert length_buckets([1, 2, 3, 4, 5, 6, 7, 8], 4) == \
        ["1–2", "1–2", "3–4", "3–4", "5–6", "5–6", "7–8", "7–8"]
    assert length_buckets([5, 5, 5], 3) == ["5", "5", "5"]
    assert length_buckets([9, 1, 30], 1) == ["1–30"] * 3
    with pytest.raises(ConfigError, match="--length-buckets must be at least 1"):
        length_buckets([1], 0)


def test_breakdown_counts_and_orders_levels():
    correct = np.array([True, False, True, True, False, True])
    table = breakdown(correct, {"distance": ["1", "25–64", "1", "9–24", "25–64", "25–64"],
                                "length": ["10–12", "3–9", "3–9", "10–12", "13–20", "3–9"]})
    overall = table[table["factor"] == "all"].iloc[0]
    assert (overall["n"], overall["correct"]) == (6, 4) and overall["accuracy"] == pytest.approx(400 / 6)
    distance = table[table["factor"] == "distance"]
    assert distance["level"].tolist() == ["1", "9–24", "25–64"]
    assert distance["accuracy"].tolist() == pytest.approx([100.0, 100.0, 100 / 3])
    assert table[table["factor"] == "length"]["level"].tolist() == ["3–9", "10–12", "13–20"]
    assert level_order(["b", "a", "b"]) == ["b", "a"]
    assert level_order(["plain", "9–24"]) == ["plain", "9–24"]


def test_headline_compares_the_farthest_level_and_each_models_drop():
    rows = []
    for seed, (near, far) in enumerate([(95, 60), (97, 62), (96, 58)], start=1):
        for model, far_accuracy in (("lstm", far), ("bilstm", 95.0 + seed)):
            for level, accuracy in (("1–8", near), ("9–24", 80), ("65–150", far_accuracy)):
                rows.append({"model": model, "seed": seed, "factor": "distance", "level": level, "accuracy": accuracy})
    table = pd.DataFrame(rows)
    result = headline(table, "distance")
    assert (result["near"], result["far"]) == ("1–8", "65–150")
    [pair] = result["comparisons"]
    assert (pair["a"], pair["b"], pair["n"]) == ("bilstm", "lstm", 3)
    assert pair["diff"] == pytest.approx(np.mean([96 - 60, 97 - 62, 98 - 58])) and pair["decided"]
    drops = {d["model"]: d for d in result["drops"]}
    assert drops["lstm"]["diff"] == pytest.approx(np.mean([35, 35, 38])) and drops["lstm"]["decided"]
    assert drops["bilstm"]["diff"] == pytest.approx(np.mean([95 - 96, 97 - 97, 96 - 98]))
    assert headline(table, "construction") is None and headline(table, None) is None


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("bi")
    raw = root / "raw"
    generate("synthetic-sentiment", raw, seed=5,
             overrides={"n_train": 48, "n_valid": 24, "n_test": 36, "distance_edges": [1, 9, 25]})
    corpus = root / "corpus"
    prepare_corpus(raw_files(raw, "classification"), "classification", corpus, "lower")
    dirs = []
    for name, family, extra in (("lstm", "lstm", {}), ("bilstm", "bilstm", {}), ("lstm-2layer", "lstm", {"layers": 2})):
        for seed in (1, 2):
            out = root / "models" / name / f"seed{seed}"
            neural.train_model(family, TrainRequest("toy", corpus, out, "classification", seed, {**TINY, **extra}))
            dirs.append(out)
    return corpus, dirs


def test_breakdown_of_trained_classifiers(trained, tmp_path):
    corpus, dirs = trained
    output = bidirectional(corpus, dirs, None, 3, CPU, "distance")
    table = output.tables["breakdown"]
    assert set(table["split"]) == {"test"}
    assert set(table["factor"]) == {"all", "distance", "construction", "length"}
    assert (output.summary["headline"]["near"], output.summary["headline"]["far"]) == ("1–8", "9–24")
    assert table[table["model"] == "lstm-2layer"]["layers"].unique().tolist() == [2]
    for model_dir in dirs:
        seed, name = int(model_dir.name[4:]), model_dir.parent.name
        rows = table[(table["model"] == name) & (table["seed"] == seed)]
        evaluated = neural.evaluate_model(rows["family"].iloc[0],
                                          EvalRequest("toy", corpus, model_dir, "classification", seed, ("test",)))
        accuracy = next(r["value"] for r in evaluated if r["metric"] == "accuracy")
        assert rows[rows["factor"] == "all"]["accuracy"].iloc[0] == pytest.approx(accuracy)
        for factor in ("distance", "construction", "length"):
            part = rows[rows["factor"] == factor]
            assert part["n"].sum() == 36 and part["correct"].sum() == rows[rows["factor"] == "all"]["correct"].iloc[0]
    pairs = {(c["a"], c["b"]) for c in output.summary["comparisons"]}
    assert {c["level"] for c in output.summary["comparisons"]} == {0.95}
    assert {"all", "1–8", "9–24"} <= {c["factor_level"] for c in output.summary["comparisons"]}
    assert pairs == {("bilstm", "lstm"), ("lstm-2layer", "lstm")}
    assert output.summary["statements"][0].startswith("accuracy (%) overall: lstm ")
    write_output(tmp_path / "out", output, "bidirectional")
    assert {"breakdown.csv", "bidirectional.png", "bidirectional.txt"} <= {p.name for p in (tmp_path / "out").iterdir()}
    write_output(tmp_path / "tables", output)
    [(name, figure, caption)] = redraw("bidirectional", tmp_path / "tables")
    assert name == "bidirectional" and caption == (tmp_path / "out" / "bidirectional.txt").read_text().strip()
    # One panel per factor other than "all": distance, construction, length.
    assert len(figure.axes) == 3


def test_language_models_are_refused(trained, tmp_path):
    corpus, _ = trained
    lm_corpus = tmp_path / "lm"
    lm_corpus.mkdir()
    (lm_corpus / "vocab.json").write_bytes((corpus / "vocab.json").read_bytes())
    for split in ("train", "valid"):
        (lm_corpus / f"{split}.txt").write_text("very good film\nbad film\n" * 5)
    out = tmp_path / "models" / "rnn" / "seed1"
    neural.train_model("rnn", TrainRequest("toy", lm_corpus, out, "lm", 1, {**TINY, "bptt": 4, "batch_size": 2}))
    with pytest.raises(RnnlabError, match="a lm model; this analysis needs classifiers"):
        bidirectional(corpus, [out], None, 3, CPU)
