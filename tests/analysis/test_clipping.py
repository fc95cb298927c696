import argparse
import json
import random
import shutil

import numpy as np
import pandas as pd
import pytest

from rnnlab.analysis import cli, registry
from rnnlab.analysis.clipping import ClippingSettings, read_run
from rnnlab.errors import ConfigError


def write_lm_corpus(root):
    rng = random.Random(3)
    words = [f"w{i}" for i in range(15)]
    root.mkdir(parents=True)
    (root / "vocab.json").write_text(json.dumps({"itos": ["<pad>", "<unk>", "<eos>"] + words}))
    for split in ("train", "valid", "test"):
        lines = [" ".join(rng.choices(words, k=rng.randint(3, 9))) for _ in range(40)]
        (root / f"{split}.txt").write_text("\n".join(lines) + "\n")
    return root


def write_run(folder, loss, status="completed"):
    folder.mkdir(parents=True)
    loss = np.asarray(loss, dtype=np.float64)
    np.savez(folder / "steps.npz", epoch=np.zeros(loss.size, dtype=np.int64), loss=loss,
             units=np.ones(loss.size, dtype=np.int64), grad_norm=np.linspace(1.0, 2.0, loss.size))
    (folder / "status.json").write_text(json.dumps({"status": status}))
    return folder


def test_read_run_flags_diverged_and_unstable_runs(tmp_path):
    trace, row = read_run("clipped", 1, write_run(tmp_path / "a", [5.0] + [4.0] * 17 + [3.0, 4.0]))
    assert list(trace.columns) == ["setting", "seed", "step", "loss", "grad_norm"] and len(trace) == 20
    assert row["final_loss"] == pytest.approx(3.5) and not row["unstable"] and not row["diverged"]
    assert row["max_grad_norm"] == pytest.approx(2.0)
    _, worse = read_run("unclipped", 1, write_run(tmp_path / "b", [5.0, 9.0, 60.0]))
    assert worse["unstable"] and not worse["diverged"]
    _, nan = read_run("unclipped", 2, write_run(tmp_path / "c", [5.0, 4.0], status="diverged"))
    assert nan["diverged"] and nan["unstable"]


def test_settings_keep_the_compared_knobs_to_themselves():
    settings = ClippingSettings(lr=3.0, clip=0.5, params={"hidden": 16})
    assert settings.run_params("unclipped")["clip"] is None
    clipped = settings.run_params("clipped")
    assert (clipped["clip"], clipped["lr"], clipped["hidden"], clipped["optimizer"]) == (0.5, 3.0, 16, "sgd")
    with pytest.raises(ConfigError, match="clip, optimizer are set by the clipping analysis itself"):
        ClippingSettings(params={"clip": 1.0, "optimizer": "adamw"})
    with pytest.raises(ConfigError, match="must be rnn or lstm"):
        ClippingSettings(model="bilstm")


def test_clipping_action_trains_both_settings_per_seed(tmp_path, capsys):
    corpus = write_lm_corpus(tmp_path / "corpus")
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    params = {"emb": 8, "hidden": 8, "bptt": 5, "batch_size": 4}
    args = parser.parse_args(["analyze", "clipping", "--corpus-dir", str(corpus), "--out", str(tmp_path / "out"),
                              "--lr", "2.0", "--clip", "0.05", "--seeds", "1", "2", "--max-batches", "4",
                              "--params-json", json.dumps(params)])
    assert args.func(args) == 0
    out = tmp_path / "out"
    runs = pd.read_csv(out / "runs.csv")
    assert sorted(zip(runs["setting"], runs["seed"])) == [("clipped", 1), ("clipped", 2), ("unclipped", 1),
                                                          ("unclipped", 2)]
    assert all((out / "runs" / s / f"seed{n}" / "status.json").exists() for s, n in zip(runs["setting"], runs["seed"]))
    traces = pd.read_csv(out / "traces.csv")
    for seed in (1, 2):
        clipped = traces[(traces["setting"] == "clipped") & (traces["seed"] == seed)].reset_index()
        unclipped = traces[(traces["setting"] == "unclipped") & (traces["seed"] == seed)].reset_index()
        # Same seed, same start, same first batch: the first step is identical until the update differs.
        assert clipped["loss"][0] == pytest.approx(unclipped["loss"][0])
        assert clipped["grad_norm"][0] == pytest.approx(unclipped["grad_norm"][0]) and clipped["grad_norm"][0] > 0.05
        assert clipped["loss"][1] != pytest.approx(unclipped["loss"][1])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"]["clipped"]["runs"] == 2 and summary["params"]["hidden"] == 8
    assert summary["final_loss_test"]["metric"] == "log10 final training loss"
    assert "rnn SGD lr 2, unclipped:" in capsys.readouterr().out
    assert {"clipping.png", "clipping.pdf", "clipping.svg", "clipping.txt"} <= {p.name for p in out.iterdir()}
    shutil.rmtree(out / "runs")  # the figure is redrawn from traces.csv and summary.json alone
    [(name, figure, caption)] = registry.redraw("clipping", out)
    assert name == "clipping" and caption == (out / "clipping.txt").read_text().strip()
    assert len(figure.axes[1].get_lines()) == 4 + 1  # 2 settings × 2 seeds and the clip threshold
