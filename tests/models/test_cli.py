"""`rnnlab train`: an output folder that cannot be made is one clear error; seeds pair with their paths; a
job of several seeds that fails part-way does not train its finished seeds again when rerun."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rnnlab.cli import main
from rnnlab.data.conllu_io import TaggedSentence, write_conllu


def _lm_corpus(path: Path) -> Path:
    path.mkdir()
    (path / "train.txt").write_text("a b c\nb c a\nc a b\n" * 4, encoding="utf-8")
    return path


def _classification_corpus(path: Path) -> Path:
    path.mkdir()
    (path / "train.tsv").write_text("sentence\tlabel\ngood film\tpos\nbad film\tneg\n", encoding="utf-8")
    (path / "labels.json").write_text(json.dumps(["neg", "pos"]), encoding="utf-8")
    return path


def _tagging_corpus(path: Path) -> Path:
    path.mkdir()
    write_conllu(path / "train.conllu", [TaggedSentence(("the", "dog"), ("DET", "NOUN"), (False, False))])
    (path / "labels.json").write_text(json.dumps(["DET", "NOUN"]), encoding="utf-8")
    return path


@pytest.mark.parametrize("model, task, corpus", [
    ("ngram-kn3", "lm", _lm_corpus),
    ("ngram-nb", "classification", _classification_corpus),
    ("ngram-hmm", "tagging", _tagging_corpus),
])
def test_unwritable_output_folder_is_one_clear_error(tmp_path, capsys, model, task, corpus):
    corpus_dir = corpus(tmp_path / "corpus")
    blocker = tmp_path / "file.txt"  # a folder under a regular file cannot be made, even by root
    blocker.write_text("x")
    out = blocker / "models" / model
    code = main(["train", "--model", model, "--task", task, "--corpus", "c", "--corpus-dir", str(corpus_dir),
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip() == f"error: cannot create output folder {out}: Not a directory; choose a writable output folder"


def test_ngram_lm_takes_the_memory_budget(tmp_path, capsys):
    corpus_dir = _lm_corpus(tmp_path / "corpus")
    args = ["train", "--model", "ngram-kn3", "--task", "lm", "--corpus", "c", "--corpus-dir", str(corpus_dir)]
    assert main([*args, "--out", str(tmp_path / "small"), "--memory", "64K"]) == 0
    assert main([*args, "--out", str(tmp_path / "default")]) == 0
    assert (tmp_path / "small/model.arpa").read_bytes() == (tmp_path / "default/model.arpa").read_bytes()
    assert main([*args, "--out", str(tmp_path / "bad"), "--memory", "1K"]) == 2
    assert "--memory: the memory budget '1K' is below the minimum" in capsys.readouterr().err


def test_metrics_out_scores_the_model_as_rnnlab_evaluate_does(tmp_path):
    corpus_dir = _lm_corpus(tmp_path / "corpus")
    for split in ("valid", "test"):
        (corpus_dir / f"{split}.txt").write_text("a b c\nc b a\n", encoding="utf-8")
    out = tmp_path / "kn2"
    common = ["--model", "ngram-kn2", "--task", "lm", "--corpus", "c", "--corpus-dir", str(corpus_dir)]
    assert main(["train", *common, "--out", str(out), "--metrics-out", str(tmp_path / "trained.csv")]) == 0
    assert main(["evaluate", *common, "--model-dir", str(out), "--out", str(tmp_path / "evaluated.csv")]) == 0
    trained = (tmp_path / "trained.csv").read_text()
    assert trained == (tmp_path / "evaluated.csv").read_text() and "perplexity" in trained


@pytest.mark.parametrize("extra, message", [
    (["--out", "a", "b"], "--out names 2 path(s) but --seed names 3 seed(s); give one --out per seed"),
    (["--out", "a", "b", "c", "--metrics-out", "m.csv"], "--metrics-out names 1 path(s) but --seed names 3"),
    (["--out", "a", "b", "a"], "--out names the same folder twice; give each seed its own folder"),
])
def test_seeds_and_their_paths_must_pair_up(tmp_path, capsys, extra, message):
    corpus_dir = _lm_corpus(tmp_path / "corpus")
    code = main(["train", "--model", "ngram-kn3", "--task", "lm", "--corpus", "c", "--corpus-dir", str(corpus_dir),
                 "--seed", "1", "2", "3", *extra])
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not Path("a").exists()


def _neural_lm_corpus(path: Path) -> Path:
    path.mkdir()
    words = [f"w{i}" for i in range(8)]
    (path / "vocab.json").write_text(json.dumps({"itos": ["<pad>", "<unk>", "<eos>"] + words}))
    for split in ("train", "valid", "test"):
        (path / f"{split}.txt").write_text("\n".join(" ".join(words[i:] + words[:i]) for i in range(8)) + "\n")
    return path


def test_a_rerun_after_a_later_seed_failed_restores_the_finished_seeds(tmp_path, capsys):
    corpus_dir = _neural_lm_corpus(tmp_path / "corpus")
    params = json.dumps({"epochs": 2, "emb": 4, "hidden": 4, "batch_size": 2, "bptt": 4})
    common = ["train", "--model", "lstm", "--task", "lm", "--corpus", "c", "--corpus-dir", str(corpus_dir),
              "--params-json", params, "--seed", "1", "2"]
    checkpoints = [str(tmp_path / "ckpt" / name) for name in ("s1", "s2")]
    blocker = tmp_path / "blocker"
    blocker.write_text("x")  # seed 2's output folder cannot be made: the job fails after seed 1
    failing = [str(tmp_path / "models/s1"), str(blocker / "s2")]
    assert main([*common, "--out", *failing, "--checkpoint-dir", *checkpoints]) == 2
    assert (Path(checkpoints[0]) / "checkpoint.safetensors").exists()
    capsys.readouterr()

    outs = [str(tmp_path / "models/s1"), str(tmp_path / "models/s2")]
    (tmp_path / "models/s1/model.safetensors").unlink()  # as Snakemake removes a failed job's outputs
    assert main([*common, "--out", *outs, "--checkpoint-dir", *checkpoints]) == 0
    err = capsys.readouterr().err
    assert "this run finished training earlier" in err and err.count("epoch 1/2") == 1  # only seed 2 trained
    assert not (tmp_path / "ckpt/s1").exists() and not (tmp_path / "ckpt/s2").exists()

    fresh = [str(tmp_path / "fresh/s1"), str(tmp_path / "fresh/s2")]
    assert main([*common, "--out", *fresh]) == 0
    for restored, trained in zip(outs, fresh):
        assert (Path(restored) / "model.safetensors").read_bytes() == (Path(trained) / "model.safetensors").read_bytes()
        losses = [[{k: v for k, v in row.items() if k not in ("seconds", "tokens_per_s")}
                   for row in json.loads((Path(folder) / "history.json").read_text())] for folder in (restored, trained)]
        assert losses[0] == losses[1]
    assert not (tmp_path / "fresh/s1/checkpoint.safetensors").exists()


def test_a_diverged_seed_of_a_several_seed_job_keeps_its_last_good_checkpoint(tmp_path):
    corpus_dir = _neural_lm_corpus(tmp_path / "corpus")
    # Decoupled weight decay multiplies the weights by (1 - lr * wd) = -99999 per step: they overflow.
    params = json.dumps({"epochs": 2, "emb": 4, "hidden": 4, "batch_size": 2, "bptt": 4, "lr": 1e6,
                         "weight_decay": 0.1, "clip": None, "checkpoint_every_batches": 1})
    checkpoints = [tmp_path / "ckpt" / name for name in ("s1", "s2")]
    assert main(["train", "--model", "rnn", "--task", "lm", "--corpus", "c", "--corpus-dir", str(corpus_dir),
                 "--params-json", params, "--seed", "1", "2", "--out", str(tmp_path / "s1"), str(tmp_path / "s2"),
                 "--checkpoint-dir", *map(str, checkpoints)]) == 0
    for seed, folder in zip(("s1", "s2"), checkpoints):
        assert json.loads((tmp_path / seed / "status.json").read_text())["status"] == "diverged"
        assert (folder / "checkpoint.safetensors").exists()
