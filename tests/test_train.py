import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from safetensors.torch import load_file

from rnnlab import checkpoint
from rnnlab.errors import ConfigError, RnnlabError
from rnnlab.models import neural
from rnnlab.models.registry import TrainRequest
from rnnlab.train import CHECKPOINT, GradGroups, TrainConfig, parameter_group_of

REPO = Path(__file__).resolve().parents[1]
TIMING = {"seconds", "tokens_per_s"}
TINY_LM = {"emb": 12, "hidden": 12, "layers": 2, "dropout": 0.3, "bptt": 6, "batch_size": 4}
TINY_CLS = {"emb": 10, "hidden": 8, "dropout": 0.3, "batch_size": 8}


def write_lm_corpus(root: Path) -> Path:
    rng = random.Random(0)
    words = [f"w{i}" for i in range(20)]
    root.mkdir(parents=True, exist_ok=True)
    (root / "vocab.json").write_text(json.dumps({"itos": ["<pad>", "<unk>", "<eos>"] + words}))
    for split, n in (("train", 60), ("valid", 12), ("test", 12)):
        lines = []
        for _ in range(n):
            start = rng.randrange(20)
            lines.append(" ".join(words[(start + 3 * j) % 20] for j in range(rng.randint(3, 7))))
        (root / f"{split}.txt").write_text("\n".join(lines) + "\n")
    return root


def write_classification_corpus(root: Path) -> Path:
    rng = random.Random(1)
    words = [f"w{i}" for i in range(15)]
    root.mkdir(parents=True, exist_ok=True)
    (root / "vocab.json").write_text(json.dumps({"itos": ["<pad>", "<unk>", "<eos>"] + words + ["good", "bad"]}))
    (root / "labels.json").write_text(json.dumps(["neg", "pos"]))
    for split, n in (("train", 60), ("valid", 16)):
        rows = ["sentence\tlabel"]
        for _ in range(n):
            label = rng.randint(0, 1)
            tokens = [rng.choice(words) for _ in range(rng.randint(1, 6))]
            tokens.insert(rng.randrange(len(tokens) + 1), "good" if label else "bad")
            rows.append(" ".join(tokens) + "\t" + ("pos" if label else "neg"))
        (root / f"{split}.tsv").write_text("\n".join(rows) + "\n")
    return root


def request(corpus_dir: Path, out_dir: Path, task: str, params: dict, seed: int = 1,
            checkpoint_dir: Path | None = None) -> TrainRequest:
    return TrainRequest("toy", corpus_dir, out_dir, task, seed, params, checkpoint_dir=checkpoint_dir)


def outcome(out_dir: Path) -> dict:
    """Everything a run produced that must not depend on interruptions or wall time."""
    status = json.loads((out_dir / "status.json").read_text())
    history = json.loads((out_dir / "history.json").read_text())
    with np.load(out_dir / "steps.npz") as steps:
        arrays = {k: steps[k].tolist() for k in steps.files}
    return {
        "status": {k: status[k] for k in ("status", "epochs_run", "best_epoch", "best_valid_loss", "steps", "params")},
        "history": [{k: v for k, v in row.items() if k not in TIMING} for row in history],
        "steps": arrays,
        "weights": {k: v.tolist() for k, v in load_file(str(out_dir / "model.safetensors")).items()},
    }


@pytest.fixture
def lm_corpus(tmp_path):
    return write_lm_corpus(tmp_path / "lm")


@pytest.fixture
def cls_corpus(tmp_path):
    return write_classification_corpus(tmp_path / "cls")


def test_same_seed_gives_identical_results_and_another_seed_does_not(lm_corpus, tmp_path):
    params = {**TINY_LM, "epochs": 2}
    for name, seed in (("a", 1), ("b", 1), ("c", 2)):
        neural.train_model("lstm", request(lm_corpus, tmp_path / name, "lm", params, seed))
    a, b, c = (outcome(tmp_path / n) for n in "abc")
    assert a == b
    assert a["history"] != c["history"]
    assert a["status"]["status"] == "completed" and a["status"]["epochs_run"] == 2


def test_seeds_trained_in_one_process_match_a_process_per_seed(lm_corpus, tmp_path):
    """`rnnlab train --seed 2 1` (one process, as a `train_seeds` job) trains the runs that a process per
    seed trains: each run seeds every generator itself, so nothing carries over from the one before."""
    params = json.dumps({**TINY_LM, "epochs": 2, "dropout": 0.3})
    base = [sys.executable, "-m", "rnnlab.cli", "train", "--model", "lstm", "--task", "lm", "--corpus", "toy",
            "--corpus-dir", str(lm_corpus), "--params-json", params]
    together = [tmp_path / "two" / s for s in ("seed2", "seed1")]
    subprocess.run([*base, "--seed", "2", "1", "--out", *map(str, together),
                    "--metrics-out", *(str(p) + ".csv" for p in together)], check=True, capture_output=True)
    for seed in (1, 2):
        alone = tmp_path / "alone" / f"seed{seed}"
        subprocess.run([*base, "--seed", str(seed), "--out", str(alone), "--metrics-out", str(alone) + ".csv"],
                       check=True, capture_output=True)
        both = tmp_path / "two" / f"seed{seed}"
        assert (both / "model.safetensors").read_bytes() == (alone / "model.safetensors").read_bytes()
        assert outcome(both)["history"] == outcome(alone)["history"]
        scores = [pd.read_csv(str(p) + ".csv")[["seed", "split", "metric", "value"]] for p in (both, alone)]
        assert scores[0].equals(scores[1]) and set(scores[0]["seed"]) == {seed}


def test_artefacts_and_history(lm_corpus, tmp_path):
    out = tmp_path / "run"
    neural.train_model("lstm", request(lm_corpus, out, "lm", {**TINY_LM, "epochs": 2, "tie": False}))
    names = {p.name for p in out.iterdir()}
    assert {"model.safetensors", "model.json", "status.json", "history.csv", "history.json", "steps.npz"} <= names
    assert CHECKPOINT not in names  # a finished run keeps only its artefacts
    status = json.loads((out / "status.json").read_text())
    assert status["backend"] == "cpu" and status["device"] == "cpu" and status["tokens_per_s"] > 0
    assert status["params"] == sum(v.numel() for v in load_file(str(out / "model.safetensors")).values())
    header = (out / "history.csv").read_text().splitlines()[0].split(",")
    assert header == ["epoch", "train_loss", "valid_loss", "valid_ppl", "lr", "seconds", "tokens", "tokens_per_s"]
    meta = json.loads((out / "model.json").read_text())
    assert meta["family"] == "lstm" and meta["vocab_size"] == 23 and meta["config"]["layers"] == 2


def test_kill_9_mid_epoch_then_rerun_resumes_exactly(lm_corpus, tmp_path):
    params = {**TINY_LM, "epochs": 3, "checkpoint_every_batches": 6}  # 15 batches an epoch
    neural.train_model("lstm", request(lm_corpus, tmp_path / "straight", "lm", params))

    out, ckpt = tmp_path / "killed", tmp_path / "checkpoints" / "killed"
    # The child trains normally but SIGKILLs itself when it is about to write its 6th checkpoint,
    # i.e. after training past the 5th one (written in the middle of epoch 2).
    script = f"""
import os, signal, sys
from pathlib import Path
from rnnlab import checkpoint
from rnnlab.models import neural
from rnnlab.models.registry import TrainRequest
real_save, count = checkpoint.save, [0]
def save(path, state):
    count[0] += 1
    if count[0] == 6:
        os.kill(os.getpid(), signal.SIGKILL)
    real_save(path, state)
checkpoint.save = save
neural.train_model("lstm", TrainRequest("toy", Path({str(lm_corpus)!r}), Path({str(out)!r}), "lm", 1, {params!r},
                                        checkpoint_dir=Path({str(ckpt)!r})))
"""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    child = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert not (out / "status.json").exists()
    saved = checkpoint.load(ckpt / CHECKPOINT)
    assert saved["progress"]["epoch"] == 1 and saved["progress"]["batch"] > 0  # mid-epoch

    shutil.rmtree(out)  # what a workflow manager does with the outputs of a failed job
    neural.train_model("lstm", request(lm_corpus, out, "lm", params, checkpoint_dir=ckpt))
    assert outcome(out) == outcome(tmp_path / "straight")
    assert not ckpt.exists()


def test_crash_mid_epoch_resume_is_exact_for_a_classifier(cls_corpus, tmp_path, monkeypatch):
    params = {**TINY_CLS, "epochs": 3, "checkpoint_every_batches": 3}
    neural.train_model("bilstm", request(cls_corpus, tmp_path / "straight", "classification", params))

    out = tmp_path / "crashed"
    real_save, count = checkpoint.save, [0]

    def failing_save(path, state):
        count[0] += 1
        if count[0] == 5:
            raise KeyboardInterrupt
        real_save(path, state)

    monkeypatch.setattr(checkpoint, "save", failing_save)
    with pytest.raises(KeyboardInterrupt):
        neural.train_model("bilstm", request(cls_corpus, out, "classification", params))
    monkeypatch.setattr(checkpoint, "save", real_save)
    random.seed(99)  # the global RNGs are in some other state now; resuming must restore them
    torch.manual_seed(99)
    neural.train_model("bilstm", request(cls_corpus, out, "classification", params))
    assert outcome(out) == outcome(tmp_path / "straight")


def _interrupt_after_first_checkpoint(monkeypatch, run):
    """Run ``run`` with a KeyboardInterrupt raised right after its first checkpoint is saved."""
    real_save = checkpoint.save

    def interrupt_after_save(path, state):
        real_save(path, state)
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "save", interrupt_after_save)
    with pytest.raises(KeyboardInterrupt):
        run()
    monkeypatch.setattr(checkpoint, "save", real_save)


def test_checkpoint_from_other_settings_is_not_resumed(lm_corpus, tmp_path, monkeypatch):
    out = tmp_path / "run"
    _interrupt_after_first_checkpoint(monkeypatch, lambda: neural.train_model(
        "rnn", request(lm_corpus, out, "lm", {**TINY_LM, "epochs": 2})))
    assert (out / CHECKPOINT).exists()
    changed = {**TINY_LM, "epochs": 2, "lr": 0.01}
    neural.train_model("rnn", request(lm_corpus, out, "lm", changed))
    neural.train_model("rnn", request(lm_corpus, tmp_path / "fresh", "lm", changed))
    assert outcome(out) == outcome(tmp_path / "fresh")


@pytest.mark.parametrize("every,where", [(None, "training"), (1, "update")])
def test_divergence_is_recorded_and_the_last_good_checkpoint_kept(lm_corpus, tmp_path, every, where):
    out = tmp_path / "run"
    # Decoupled weight decay multiplies the weights by (1 - lr * wd) = -99999 per step: they overflow.
    params = {**TINY_LM, "epochs": 3, "lr": 1e6, "weight_decay": 0.1, "clip": None, "checkpoint_every_batches": every}
    neural.train_model("rnn", request(lm_corpus, out, "lm", params))
    status = json.loads((out / "status.json").read_text())
    assert status["status"] == "diverged" and status["where"] == where and status["epoch"] == 1
    with np.load(out / "steps.npz") as steps:
        assert np.isfinite(steps["loss"]).all()
        # A non-finite loss is step N (not logged); non-finite weights appear after update N (logged).
        assert len(steps["loss"]) == (status["step"] - 1 if where == "training" else status["step"])
    if where == "training":
        assert not math.isfinite(float(status["loss"]))
    else:
        saved = checkpoint.load(out / CHECKPOINT)
        assert saved["progress"]["batch"] == status["step"] - 1
        assert all(torch.isfinite(v).all() for v in saved["model"].values())
    assert all(torch.isfinite(v).all() for v in load_file(str(out / "model.safetensors")).values())


def test_early_stopping_after_patience_epochs_without_improvement(lm_corpus, tmp_path):
    out = tmp_path / "run"
    neural.train_model("rnn", request(lm_corpus, out, "lm", {**TINY_LM, "epochs": 6, "lr": 0.0, "patience": 2}))
    status = json.loads((out / "status.json").read_text())
    assert status["stopped_early"] is True
    assert status["epochs_run"] == 3 and status["best_epoch"] == 1


def test_gradient_norms_are_recorded_before_clipping(lm_corpus, tmp_path):
    out = tmp_path / "run"
    neural.train_model("lstm", request(lm_corpus, out, "lm", {**TINY_LM, "epochs": 1, "clip": 1e-4}))
    with np.load(out / "steps.npz") as steps:
        norms, epochs = steps["grad_norm"], steps["epoch"]
    assert len(norms) == json.loads((out / "status.json").read_text())["steps"] > 0
    assert (norms > 1e-3).all() and (epochs == 0).all()


def test_cosine_schedule_and_sgd(lm_corpus, tmp_path):
    out = tmp_path / "run"
    params = {**TINY_LM, "epochs": 3, "optimizer": "sgd", "lr": 0.5, "momentum": 0.9, "schedule": "cosine"}
    neural.train_model("window", request(lm_corpus, out, "lm", {k: v for k, v in params.items()
                                                               if k not in ("hidden", "layers", "bptt")}))
    lrs = [row["lr"] for row in json.loads((out / "history.json").read_text())]
    assert lrs == pytest.approx([0.5 * (1 + math.cos(math.pi * e / 3)) / 2 for e in range(3)])


def test_train_config_rejects_bad_values():
    with pytest.raises(ConfigError, match="optimizer.*adamw, sgd"):
        TrainConfig(optimizer="adam")
    with pytest.raises(ConfigError, match="clip.*positive or null"):
        TrainConfig(clip=0.0)
    with pytest.raises(ConfigError, match="schedule"):
        TrainConfig(schedule="linear")


def test_checkpoint_minutes_triggers_mid_epoch_checkpoints(lm_corpus, tmp_path, monkeypatch):
    real_save, positions = checkpoint.save, []

    def recording_save(path, state):
        positions.append((state["progress"]["epoch"], state["progress"]["batch"]))
        real_save(path, state)

    monkeypatch.setattr(checkpoint, "save", recording_save)
    # A due time of ~60 ns has always passed by the end of a batch: a checkpoint after every batch.
    # Fixed BPTT windows keep the epoch at exactly 14 batches (a shifted start drops the last one).
    neural.train_model("rnn", request(lm_corpus, tmp_path / "run", "lm", {**TINY_LM, "epochs": 1,
                                                                          "checkpoint_minutes": 1e-9,
                                                                          "shift_windows": False}))
    assert positions == [(0, b) for b in range(1, 15)] + [(1, 0)]


def test_per_layer_gradient_norms_add_up_to_the_global_norm(lm_corpus, tmp_path):
    out = tmp_path / "run"
    neural.train_model("lstm", request(lm_corpus, out, "lm", {**TINY_LM, "epochs": 1, "layers": 2, "clip": 1e-4}))
    with np.load(out / "steps.npz") as steps:
        groups = {k.removeprefix("grad_norm."): steps[k] for k in steps.files if k.startswith("grad_norm.")}
        total = steps["grad_norm"]
    assert set(groups) == {"embedding", "l0", "l1", "output"}
    assert all(len(v) == len(total) > 0 for v in groups.values())
    # Recorded before clipping (clip 1e-4 is far below every norm) and ‖g‖² = Σ ‖g_group‖².
    assert (groups["l1"] > 1e-4).all()
    assert np.sqrt(sum(v ** 2 for v in groups.values())) == pytest.approx(total, rel=1e-5)


def _grouped_models() -> dict[str, torch.nn.Module]:
    from rnnlab.models.classifier import ClassifierConfig, RNNClassifier
    from rnnlab.models.rnn_lm import RNNLM, RNNLMConfig
    from rnnlab.models.tagger import CRFTagger, CRFTaggerConfig
    from rnnlab.models.window import WindowConfig, WindowLM

    return {
        "lm": RNNLM("lstm", 20, RNNLMConfig(emb=4, hidden=4, layers=2), "torch"),
        "tied": RNNLM("rnn", 20, RNNLMConfig(emb=4, hidden=4, layers=1, tie=True), "torch"),
        "bi": RNNClassifier("lstm", True, 20, 2, ClassifierConfig(emb=4, hidden=4, layers=2), "torch"),
        "crf": CRFTagger("lstm", True, 20, ("O", "B-X", "I-X"), CRFTaggerConfig(emb=4, hidden=4), "torch"),
        "window": WindowLM(20, WindowConfig(emb=4, hidden=4, window=2)),
    }


@pytest.mark.parametrize("model,name,group", [
    ("lm", "encoder.weight", "embedding"), ("bi", "embed.weight", "embedding"), ("lm", "decoder.bias", "output"),
    ("crf", "out.weight", "output"), ("lm", "rnn.weight_hh_l1", "l1"), ("tied", "rnn.bias_ih_l0", "l0"),
    ("bi", "forward_layers.1.weight_ih_l0", "l1"), ("bi", "reverse_layers.0.bias_hh_l0", "l0_reverse"),
    ("window", "hidden.weight", "hidden"), ("crf", "crf.transitions", "crf"),
])
def test_parameter_groups(model, name, group):
    assert parameter_group_of(_grouped_models()[model])[name] == group


def test_each_model_names_its_groups_in_parameter_order():
    models = _grouped_models()
    assert {k: GradGroups.of(m).names for k, m in models.items()} == {
        "lm": ["embedding", "l0", "l1", "output"], "tied": ["embedding", "l0", "output"],
        "bi": ["embedding", "l0", "l1", "l0_reverse", "l1_reverse", "output"],
        "crf": ["embedding", "l0", "l0_reverse", "output", "crf"], "window": ["embedding", "hidden", "output"]}
    tied = models["tied"]
    assert tied.decoder.weight is tied.encoder.weight and "decoder.weight" not in parameter_group_of(tied)


def test_a_bidirectional_recurrent_module_has_a_group_per_layer_and_direction():
    from rnnlab.models.cells import layer_groups

    lstm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    groups = layer_groups(lstm)
    assert list(groups) == ["l0", "l0_reverse", "l1", "l1_reverse"]
    assert any(p is lstm.weight_hh_l0_reverse for p in groups["l0_reverse"])
    assert sum(len(ps) for ps in groups.values()) == len(list(lstm.parameters()))


def test_a_parameter_left_out_of_the_groups_is_named():
    model = _grouped_models()["window"]
    model.parameter_groups = lambda: {"embedding": list(model.embed.parameters())}
    with pytest.raises(ValueError, match="leaves out hidden.weight, hidden.bias, out.weight, out.bias"):
        parameter_group_of(model)


def test_bilstm_classifier_records_reverse_layers(tmp_path):
    out = tmp_path / "run"
    corpus = write_classification_corpus(tmp_path / "cls")
    neural.train_model("bilstm", request(corpus, out, "classification", {**TINY_CLS, "epochs": 1}))
    with np.load(out / "steps.npz") as steps:
        assert {"grad_norm.embedding", "grad_norm.l0", "grad_norm.l0_reverse", "grad_norm.output"} <= set(steps.files)


def test_interrupt_says_the_checkpoint_is_kept_and_a_rerun_resumes(lm_corpus, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    _interrupt_after_first_checkpoint(monkeypatch, lambda: neural.train_model(
        "rnn", request(lm_corpus, out, "lm", {**TINY_LM, "epochs": 2})))
    assert capsys.readouterr().err.strip().endswith(
        f"training interrupted: the checkpoint {out / CHECKPOINT} is kept; rerun the same command to resume from it")
    neural.train_model("rnn", request(lm_corpus, out, "lm", {**TINY_LM, "epochs": 2}))
    assert f"resuming from {out / CHECKPOINT} at epoch 2" in capsys.readouterr().err


def test_interrupt_before_the_first_checkpoint_says_a_rerun_starts_afresh(lm_corpus, tmp_path, monkeypatch, capsys):
    def interrupt(path, state):
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint, "save", interrupt)
    with pytest.raises(KeyboardInterrupt):
        neural.train_model("rnn", request(lm_corpus, tmp_path / "run", "lm", {**TINY_LM, "epochs": 1}))
    assert capsys.readouterr().err.strip().endswith(
        "training interrupted before its first checkpoint; a rerun starts from the beginning")


def test_corrupt_checkpoint_is_reported_and_training_starts_afresh(lm_corpus, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / CHECKPOINT).write_bytes(b"not a checkpoint")
    neural.train_model("rnn", request(lm_corpus, out, "lm", {**TINY_LM, "epochs": 1}))
    err = capsys.readouterr().err
    assert f"unreadable checkpoint {out / CHECKPOINT}: " in err and "; starting afresh" in err
    assert (out / (CHECKPOINT + ".corrupt")).read_bytes() == b"not a checkpoint"
    neural.train_model("rnn", request(lm_corpus, tmp_path / "fresh", "lm", {**TINY_LM, "epochs": 1}))
    assert outcome(out) == outcome(tmp_path / "fresh")


def test_unwritable_output_folder_is_one_clear_error(lm_corpus, tmp_path):
    blocker = tmp_path / "file.txt"  # a folder under a regular file cannot be made, even by root
    blocker.write_text("x")
    message = f"cannot create output folder {blocker / 'run'}: Not a directory; choose a writable output folder"
    with pytest.raises(RnnlabError, match=f"^{re.escape(message)}$"):
        neural.train_model("rnn", request(lm_corpus, blocker / "run", "lm", {**TINY_LM, "epochs": 1}))


def test_deterministic_switch_is_set_and_restored_without_importing_the_compiler():
    code = ("import sys, torch\n"
            "from rnnlab.train import deterministic_torch\n"
            "with deterministic_torch(1):\n"
            "    assert torch.are_deterministic_algorithms_enabled()\n"
            "    assert torch.is_deterministic_algorithms_warn_only_enabled()\n"
            "    assert torch.get_num_threads() == 1\n"
            "assert not torch.are_deterministic_algorithms_enabled()\n"
            "print('torch._inductor' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
