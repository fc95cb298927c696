import json

import numpy as np
import pandas as pd
import pytest
import torch

from rnnlab.analysis.common import write_output
from rnnlab.analysis.context import context_usage, contexts, run_rows
from rnnlab.analysis.context_reach import reach_table
from rnnlab.analysis.context_scorers import RecurrentContextScorer
from rnnlab.analysis.registry import ContextSettings, redraw
from rnnlab.data.prepare import prepare_corpus, raw_files
from rnnlab.data.processed import split_path
from rnnlab.data.synthetic import generate
from rnnlab.errors import ConfigError
from rnnlab.models import neural
from rnnlab.models.registry import TrainRequest
from rnnlab.models.rnn_lm import RNNLM, RNNLMConfig
from rnnlab.ngram import fit_arpa

CPU = torch.device("cpu")
V = 12  # ids 0-2: <pad>, <unk>, <eos>; the stream cycles through 3..11
TINY = {"emb": 8, "hidden": 8, "dropout": 0.0, "epochs": 1, "max_batches": 4, "batch_size": 4}


def last_token_lstm() -> RNNLM:
    """An LSTM whose prediction depends only on its last input: no recurrent weights, forget gate shut.

    Its input, cell and output gates are open, its cell holds the one-hot input, and the decoder predicts
    the id after the input's (the stream below), so only the last token of a context matters.
    """
    model = RNNLM("lstm", V, RNNLMConfig(emb=V, hidden=V, layers=1, dropout=0.0), "torch").eval()
    rnn = model.rnn
    with torch.no_grad():
        model.encoder.weight.copy_(torch.eye(V) * 10)
        rnn.weight_hh_l0.zero_()
        rnn.bias_hh_l0.zero_()
        w = torch.zeros(4 * V, V)  # (4H, E): gates i, f, g, o
        w[2 * V : 3 * V] = torch.eye(V)
        rnn.weight_ih_l0.copy_(w)
        rnn.bias_ih_l0.copy_(torch.cat([torch.full((V,), 10.0), torch.full((V,), -1e4), torch.zeros(V),
                                        torch.full((V,), 10.0)]))
        shift = torch.zeros(V, V)  # (V, H): input j predicts j + 1 (11 wraps to 3)
        for j in range(3, V):
            shift[3 + (j - 2) % (V - 3), j] = 12.0
        model.decoder.weight.copy_(shift)
        model.decoder.bias.zero_()
    return model


def test_an_lstm_that_sees_only_the_last_token_has_effective_context_1():
    stream = 3 + np.arange(400) % (V - 3)
    settings = ContextSettings(targets=50, max_distance=60, distances=(0, 1, 2, 5, 20, 50), seed=3)
    targets = np.arange(100, 150)
    unigram = np.bincount(stream, minlength=V) / stream.size
    scorer = RecurrentContextScorer(last_token_lstm(), CPU, 32, pad_id=0)
    losses = {(name, d): scorer.losses(ctx, stream[targets])
              for name, d, ctx in contexts(stream, targets, settings, unigram, start_id=2)}
    assert losses["full", 60].mean() < 0.01  # it predicts the stream
    rows = pd.DataFrame(run_rows(losses, settings.distances)).assign(model="lstm", seed=1)
    far = rows[rows["distance"] >= 1]
    assert far["increase"].abs().max() < 1e-6
    assert (rows[rows["distance"] == 0]["increase"] > 1).all()
    reach = reach_table(rows, settings.threshold)
    assert reach.set_index("perturbation")["distance"].to_dict() == {"truncate": 1, "shuffle": 1, "replace": 1}


def test_settings_refuse_distances_that_leave_nothing_to_perturb():
    with pytest.raises(ConfigError, match="'distances' must list increasing distances"):
        ContextSettings(distances=(5, 2))
    with pytest.raises(ConfigError, match=r"largest distance \(300\) must be below 'max_distance' \(300\)"):
        ContextSettings(distances=(1, 300))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("context")
    generate("synthetic-lm", root / "raw", seed=4, overrides={"n_train": 40, "n_valid": 12, "n_test": 30,
                                                              "n_cue_nouns": 3, "distances": [4, 9],
                                                              "filler_vocab_size": 20})
    corpus = root / "corpus"
    prepare_corpus(raw_files(root / "raw", "lm"), "lm", corpus, "whitespace")
    kn = root / "models" / "ngram-kn3" / "seed0"
    kn.mkdir(parents=True)
    fit_arpa(split_path(corpus, "lm", "train"), 3, kn / "model.arpa")
    dirs = [kn]
    for name, extra in (("lstm", {"bptt": 8}), ("window", {"window": 3})):
        for seed in (1, 2):
            folder = root / "models" / name / f"seed{seed}"
            neural.train_model(name, TrainRequest("toy", corpus, folder, "lm", seed, {**TINY, **extra}))
            dirs.append(folder)
    return corpus, dirs


def test_context_usage_end_to_end_with_its_figure(trained, tmp_path):
    corpus, dirs = trained
    settings = ContextSettings(targets=40, max_distance=30, distances=(1, 2, 3, 5, 10, 20))
    output = context_usage(corpus, dirs, settings, CPU)
    increase, reach = output.tables["increase"], output.tables["reach"]
    assert set(increase["model"]) == {"ngram-kn3", "lstm", "window"}
    assert len(increase) == 5 * 3 * 6 and (increase["targets"] == 40).all()
    kn = increase[(increase["model"] == "ngram-kn3") & (increase["distance"] >= 2)]
    window = increase[(increase["model"] == "window") & (increase["distance"] >= 3)]
    assert (kn["increase"] == 0).all() and (window["increase"] == 0).all()
    assert reach[reach["model"] == "ngram-kn3"]["distance"].max() <= 2
    assert any(s.startswith("ngram-kn3: effective context") for s in output.summary["statements"])
    # On the probes: a model that cannot see the cue (3-gram, window of 3; cues 4 and 9 tokens back) loses
    # nothing when truncation drops it.
    cue = output.tables["cue"]
    assert sorted(cue["distance"].unique()) == [4, 9] and output.summary["probes"] == cue["probes"].sum() / 5
    assert (cue[cue["model"].isin(["ngram-kn3", "window"])]["increase"] == 0).all()
    assert any(s.startswith("lstm: dropping the cue raises") for s in output.summary["statements"])

    write_output(tmp_path / "out", output, "context")
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert [e["name"] for e in index] == ["context_perturbation"]
    assert (tmp_path / "out" / "context_perturbation.png").stat().st_size > 0
    assert [name for name, _, _ in redraw("context", tmp_path / "out")] == ["context_perturbation"]
    again = context_usage(corpus, dirs, settings, CPU).tables["increase"]
    pd.testing.assert_frame_equal(again, increase)
