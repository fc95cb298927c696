import json
import math
import random
from pathlib import Path

import pandas as pd
import pytest
import torch

from rnnlab.errors import ConfigError, RnnlabError
from rnnlab.evaluate import split_timings
from rnnlab.metrics import TIDY_COLUMNS
from rnnlab.models import neural
from rnnlab.models.backend_choice import AUTO, BackendChoice
from rnnlab.models.registry import EvalRequest, TrainRequest

EXTRA_COLUMNS = {"params", "train_seconds", "tokens_per_s", "backend", "device", "status"}
TINY = {"epochs": 1, "emb": 8, "hidden": 8, "batch_size": 8}


def write_corpus(root: Path, task: str) -> Path:
    rng = random.Random(2)
    words = [f"w{i}" for i in range(12)]
    root.mkdir(parents=True, exist_ok=True)
    (root / "vocab.json").write_text(json.dumps({"itos": ["<pad>", "<unk>", "<eos>"] + words}))
    if task == "lm":
        for split in ("train", "valid", "test"):
            lines = [" ".join(rng.choices(words, k=rng.randint(2, 6))) for _ in range(30)]
            (root / f"{split}.txt").write_text("\n".join(lines) + "\n")
    else:
        (root / "labels.json").write_text(json.dumps(["a", "b", "c"]))
        for split in ("train", "valid"):  # no test split: evaluation skips it
            rows = [f"{' '.join(rng.choices(words, k=rng.randint(1, 5)))}\t{rng.choice('abc')}" for _ in range(30)]
            (root / f"{split}.tsv").write_text("sentence\tlabel\n" + "\n".join(rows) + "\n")
    return root


def entry(name):
    return {e.name: e for e in neural.entries()}[name]


def test_entries_and_refusals():
    entries = {e.name: e for e in neural.entries()}
    assert {name: e.tasks for name, e in entries.items()} == {
        "window": ("lm",), "rnn": ("lm", "classification", "tagging", "ner"),
        "lstm": ("lm", "classification", "tagging", "ner"), "bilstm": ("classification", "tagging", "ner"),
        "bilstm-crf": ("ner",),
    }
    assert "cannot be a language model" in entries["bilstm"].refused["lm"]
    assert entries["bilstm-crf"].family == "bilstm"
    assert all(e.family == e.name.split("-")[0] and not e.deterministic for e in entries.values())
    assert [name for name, e in entries.items() if e.fixed_window] == ["window"]


def test_a_models_family_is_the_start_of_its_name():
    from rnnlab.models.registry import family_of, get_model

    assert [family_of(m) for m in ("ngram-kn5", "lstm-2layer", "bilstm-crf", "window")] == [
        "ngram", "lstm", "bilstm", "window"]
    assert get_model("window-wide").fixed_window and not get_model("ngram-kn3").fixed_window


def test_parse_params_applies_family_defaults():
    model_cfg, train_cfg = neural.parse_params("lstm", "lm", {"layers": 3, "lr": 1})
    assert model_cfg.layers == 3 and model_cfg.bptt == 35
    assert train_cfg.batch_size == 20 and train_cfg.lr == 1.0 and isinstance(train_cfg.lr, float)
    _, cls_cfg = neural.parse_params("bilstm", "classification", {})
    assert cls_cfg.batch_size == 32


def test_unknown_parameter_is_named_with_the_valid_ones():
    with pytest.raises(ConfigError) as info:
        neural.parse_params("bilstm", "classification", {"bptt": 35})
    message = str(info.value)
    assert "'bptt'" in message and "'bilstm'" in message and "pooling" in message and "lr" in message


@pytest.mark.parametrize("params,match", [
    ({"layers": 1.5}, "'layers' must be int"),
    ({"tie": 1}, "'tie' must be bool"),
    ({"clip": "off"}, "'clip' must be float or null"),
    ({"epochs": True}, "'epochs' must be int"),
    ({"backend": "torch"}, "'backend' is a run-time setting, not a hyperparameter: set it at the top level"),
])
def test_bad_parameter_values(tmp_path, params, match):
    corpus = write_corpus(tmp_path / "c", "lm")
    with pytest.raises(ConfigError, match=match):
        neural.train_model("lstm", TrainRequest("toy", corpus, tmp_path / "out", "lm", 0, {**TINY, **params}))


def test_unknown_backend_is_refused_where_the_device_is_resolved(tmp_path):
    corpus = write_corpus(tmp_path / "c", "lm")
    with pytest.raises(ConfigError, match="unknown backend 'cudnn-magic'; registered backends: .*torch"):
        neural.train_model("lstm", TrainRequest("toy", corpus, tmp_path / "out", "lm", 0, TINY, backend="cudnn-magic"))


def test_evaluation_uses_the_backend_training_recorded(tmp_path):
    corpus = write_corpus(tmp_path / "c", "lm")
    neural.train_model("lstm", TrainRequest("toy", corpus, tmp_path / "out", "lm", 0, TINY, backend="loop"))
    _, model, meta, _ = neural.load_trained(tmp_path / "out", torch.device("cpu"))
    assert meta["backend"] == "loop" and model.rnn.backend == "loop"
    _, model, _, _ = neural.load_trained(tmp_path / "out", torch.device("cpu"), backend="torch")
    assert model.rnn.backend == "torch"


def test_scoring_with_auto_runs_what_training_chose(tmp_path):
    """`rnnlab train --backend auto --metrics-out` scores in the same job: auto was decided before training,
    so the trained model runs on the recorded choice, not on the device's default."""
    corpus = write_corpus(tmp_path / "c", "lm")
    neural.train_model("lstm", TrainRequest("toy", corpus, tmp_path / "out", "lm", 0, TINY, backend="loop"))
    _, model, _, _ = neural.load_trained(tmp_path / "out", torch.device("cpu"), backend=AUTO)
    assert model.rnn.backend == "loop"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_cuda_request_without_gpu_is_a_config_error():
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        neural.resolve_device("cuda")
    assert neural.resolve_device("auto").type == "cpu"


@pytest.mark.parametrize("name,task,params", [
    ("window", "lm", {"window": 2}),
    ("rnn", "lm", {"bptt": 5, "layers": 1}),
    ("lstm", "lm", {"bptt": 5, "tie": True, "eval_batch_size": 3}),
    ("rnn", "classification", {"pooling": "mean"}),
    ("lstm", "classification", {"pooling": "max", "layers": 2}),
    ("bilstm", "classification", {}),
])
def test_train_then_evaluate_gives_tidy_rows(tmp_path, name, task, params):
    corpus = write_corpus(tmp_path / "c", task)
    out = tmp_path / "model"
    entry(name).train(TrainRequest("toy", corpus, out, task, 3, {**TINY, **params}))
    rows = entry(name).evaluate(EvalRequest("toy", corpus, out, task, 3))
    expected_splits = ("valid", "test") if task == "lm" else ("valid",)
    metric_names = neural.LM_METRICS if task == "lm" else neural.CLASSIFICATION_METRICS
    assert len(rows) == len(expected_splits) * len(metric_names)
    assert {(r["split"], r["metric"]) for r in rows} == {(s, m) for s in expected_splits for m in metric_names}
    for row in rows:
        assert list(row)[: len(TIDY_COLUMNS)] == list(TIDY_COLUMNS)
        assert EXTRA_COLUMNS <= set(row)
        assert (row["task"], row["corpus"], row["model"], row["seed"]) == (task, "toy", name, 3)
        assert row["status"] == "completed" and row["device"] == "cpu" and row["params"] > 0
        assert math.isfinite(row["value"])
    if task == "lm":
        by = {(r["split"], r["metric"]): r["value"] for r in rows}
        assert by[("test", "perplexity")] == pytest.approx(math.exp(by[("test", "cross_entropy")]))
        assert 1 < by[("test", "perplexity")] < 100
    else:
        assert all(0 <= r["value"] <= 100 for r in rows)
    recorded = json.loads((out / "model.json").read_text())["config"]
    assert ("forget_bias" in recorded) == ("lstm" in name)
    if "lstm" in name:
        assert recorded["forget_bias"] == 1.0


def test_evaluation_matches_the_last_validation(tmp_path):
    corpus = write_corpus(tmp_path / "c", "lm")
    out = tmp_path / "model"
    entry("lstm").train(TrainRequest("toy", corpus, out, "lm", 0, {**TINY, "epochs": 2, "patience": None}))
    history = json.loads((out / "history.json").read_text())
    best = min(history, key=lambda row: row["valid_loss"])
    rows = entry("lstm").evaluate(EvalRequest("toy", corpus, out, "lm", 0, splits=("valid",)))
    assert {r["metric"]: r["value"] for r in rows}["cross_entropy"] == pytest.approx(best["valid_loss"], rel=1e-6)


def test_diverged_model_evaluates_to_nan_rows(tmp_path):
    corpus = write_corpus(tmp_path / "c", "lm")
    out = tmp_path / "model"
    entry("rnn").train(TrainRequest("toy", corpus, out, "lm", 0,
                                    {**TINY, "lr": 1e6, "weight_decay": 0.1, "clip": None, "epochs": 3, "bptt": 4}))
    rows = entry("rnn").evaluate(EvalRequest("toy", corpus, out, "lm", 0))
    assert len(rows) == 4
    assert all(math.isnan(r["value"]) and r["status"] == "diverged" for r in rows)


def test_evaluating_an_untrained_model_says_what_to_do(tmp_path):
    corpus = write_corpus(tmp_path / "c", "lm")
    with pytest.raises(RnnlabError, match="status.json is missing.*run training first"):
        entry("lstm").evaluate(EvalRequest("toy", corpus, tmp_path / "nothing", "lm", 0))


SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"


def processed_from_real_text(root: Path, task: str, splits: dict[str, list[str]]) -> Path:
    """A processed corpus folder in `rnnlab prepare`'s format, vocabulary from the training lines."""
    root.mkdir(parents=True)
    texts = splits["train"] if task == "lm" else [line.split("\t")[0] for line in splits["train"]]
    words = sorted({w for line in texts for w in line.split()} - {"<unk>"})
    (root / "vocab.json").write_text(json.dumps({"itos": ["<pad>", "<unk>", "<eos>"] + words}))
    for split, lines in splits.items():
        if task == "lm":
            (root / f"{split}.txt").write_text("\n".join(lines) + "\n")
        else:
            (root / f"{split}.tsv").write_text("sentence\tlabel\n" + "\n".join(lines) + "\n")
    if task == "classification":
        (root / "labels.json").write_text(json.dumps(["0", "1"]))
    return root


@pytest.mark.skipif(not (SHARED / "wikitext-2" / "valid.txt").exists(), reason="shared WikiText-2 copy not present")
def test_wikitext_slice_counts_one_eos_per_non_blank_line(tmp_path):
    lines = (SHARED / "wikitext-2" / "valid.txt").read_text(encoding="utf-8").splitlines()[:240]
    corpus = processed_from_real_text(tmp_path / "wt2", "lm", {"train": lines[:160], "valid": lines[160:200],
                                                                 "test": lines[200:]})
    out = tmp_path / "model"
    entry("lstm").train(TrainRequest("wt2", corpus, out, "lm", 0, {**TINY, "bptt": 20, "eval_batch_size": 4,
                                                                   "shift_windows": False}))
    history = json.loads((out / "history.json").read_text())
    expected_tokens = sum(len(line.split()) + 1 for line in lines[:160] if line.strip())
    train_rows = (expected_tokens // 8) * 8  # batchify keeps whole rows of 8 columns; a batch predicts rows - 1
    assert history[0]["tokens"] == train_rows - 8
    rows = entry("lstm").evaluate(EvalRequest("wt2", corpus, out, "lm", 0, splits=("test",)))
    assert {r["metric"] for r in rows} == set(neural.LM_METRICS)
    assert all(math.isfinite(r["value"]) and r["value"] > 0 for r in rows)


@pytest.mark.skipif(not (SHARED / "sst-2" / "dev.tsv").exists(), reason="shared SST-2 copy not present")
def test_sst2_slice_trains_and_evaluates(tmp_path):
    lines = (SHARED / "sst-2" / "dev.tsv").read_text(encoding="utf-8").splitlines()[1:]
    corpus = processed_from_real_text(tmp_path / "sst", "classification",
                                      {"train": lines[:300], "valid": lines[300:400], "test": lines[400:500]})
    out = tmp_path / "model"
    entry("bilstm").train(TrainRequest("sst2", corpus, out, "classification", 0, TINY))
    rows = entry("bilstm").evaluate(EvalRequest("sst2", corpus, out, "classification", 0))
    assert [(r["split"], r["metric"]) for r in rows] == [("valid", "accuracy"), ("valid", "macro_f1"),
                                                         ("test", "accuracy"), ("test", "macro_f1")]
    assert all(0 <= r["value"] <= 100 for r in rows)


def test_on_the_cpu_auto_is_the_cpu_backend_and_triton_never_runs(tmp_path, monkeypatch):
    assert neural.resolve_runtime("cpu", AUTO) == (torch.device("cpu"), "cpu")
    assert neural.resolve_runtime("cpu", None) == (torch.device("cpu"), "cpu")

    def no_check(*args, **kwargs):
        raise AssertionError("auto ran the backend check on the CPU")

    monkeypatch.setattr(neural, "choose_backend", no_check)
    corpus = write_corpus(tmp_path / "c", "lm")
    neural.train_model("lstm", TrainRequest("toy", corpus, tmp_path / "out", "lm", 0, TINY, backend=AUTO))
    status = json.loads((tmp_path / "out/status.json").read_text())
    assert status["backend"] == "cpu" and "triton_step_ms" not in status


def test_the_choice_is_recorded_beside_the_timings_not_in_the_metrics(tmp_path, monkeypatch):
    """Where auto runs (CUDA), as if it had measured triton 2x slower: the job trains with torch, and the
    times reach status.json and timings.csv, not the metrics."""
    chosen = BackendChoice("torch", "triton 2.000 ms, torch 1.000 ms a step: 2.00x, more than 1.5x slower", 2.0, 1.0)
    monkeypatch.setattr(neural, "resolve_runtime", lambda device, backend: (torch.device("cpu"), AUTO))
    monkeypatch.setattr(neural, "choose_backend", lambda objective, device: chosen)
    corpus = write_corpus(tmp_path / "c", "lm")
    neural.train_model("lstm", TrainRequest("toy", corpus, tmp_path / "out", "lm", 0, TINY, backend=AUTO))
    status = json.loads((tmp_path / "out/status.json").read_text())
    assert status["backend"] == "torch" and status["backend_reason"] == chosen.reason
    assert (status["triton_step_ms"], status["torch_step_ms"], status["triton_torch_ratio"]) == (2.0, 1.0, 2.0)
    assert json.loads((tmp_path / "out/model.json").read_text())["backend"] == "torch"
    monkeypatch.setattr(neural, "resolve_runtime", lambda device, backend: (torch.device("cpu"), backend or "torch"))
    rows = neural.evaluate_model("lstm", EvalRequest("toy", corpus, tmp_path / "out", "lm", 0, device="cpu"))
    metrics, timings = split_timings(pd.DataFrame(rows))
    assert not {"triton_step_ms", "torch_step_ms", "triton_torch_ratio"} & set(metrics.columns)
    assert timings[["triton_step_ms", "torch_step_ms", "triton_torch_ratio"]].iloc[0].tolist() == [2.0, 1.0, 2.0]
    assert (metrics["backend"] == "torch").all()
