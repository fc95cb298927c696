import json
import shutil

import numpy as np
import pytest
import torch

from rnnlab.analysis.common import write_output
from rnnlab.analysis.registry import redraw
from rnnlab.analysis.gradients import (
    GradientSettings, decay_slope, distance_norms, fresh_model, gradients, measurement_windows,
)
from rnnlab.data.prepare import prepare_corpus, raw_files
from rnnlab.data.synthetic import generate
from rnnlab.errors import ConfigError, CorpusError, RnnlabError
from rnnlab.models import neural
from rnnlab.models.registry import TrainRequest

TINY = {"emb": 8, "hidden": 8, "layers": 1, "dropout": 0.0, "bptt": 10, "batch_size": 4, "epochs": 1,
        "max_batches": 4}
SETTINGS = GradientSettings(window=6, positions=2, batch_size=2, batches=2, warmup=3)


def test_linear_rnn_gradient_is_a_matrix_power():
    # h(t) = W h(t-1) + x(t) and J(t) = u·h(t), so ∂J(t)/∂h(k) = (Wᵀ)^(t−k) u for every sequence.
    torch.manual_seed(0)
    hidden_size, batch, steps = 4, 3, 7
    w = torch.randn(hidden_size, hidden_size) * 0.7
    u = torch.randn(hidden_size)
    x = torch.randn(steps, batch, hidden_size, requires_grad=True)
    h, hidden = torch.zeros(batch, hidden_size), []
    for t in range(steps):
        h = h @ w.T + x[t]
        hidden.append(h)
    losses = torch.stack([state @ u for state in hidden])  # (T, B)
    sums, counts = distance_norms(hidden, losses, range(steps))
    expected = [float(torch.linalg.vector_norm(torch.linalg.matrix_power(w.T, d) @ u)) for d in range(steps)]
    assert counts.tolist() == [(steps - d) * batch for d in range(steps)]
    np.testing.assert_allclose(sums / counts, expected, rtol=1e-5)
    # Loss steps restricted to the last one: only that step's distances are counted.
    _, last = distance_norms(hidden, losses, [steps - 1])
    assert last.tolist() == [batch] * steps


def test_decay_slope_of_a_geometric_sequence():
    norms = 0.5 ** np.arange(10) * 3.0
    assert decay_slope(norms) == pytest.approx(np.log10(0.5))


def test_settings_are_checked():
    with pytest.raises(ConfigError, match="'positions' \\(9\\) must not exceed 'window' \\(4\\)"):
        GradientSettings(window=4, positions=9)
    with pytest.raises(ConfigError, match="'batches' must be at least 1"):
        GradientSettings(batches=0)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("grad")
    raw = root / "raw"
    generate("synthetic-lm", raw, seed=3, overrides={"n_train": 40, "n_valid": 12, "n_test": 12, "n_cue_nouns": 3,
                                                     "distances": [4, 8], "filler_vocab_size": 20})
    corpus = root / "corpus"
    prepare_corpus(raw_files(raw, "lm"), "lm", corpus, "whitespace")
    dirs = []
    for model, extra in (("rnn", {}), ("lstm", {"layers": 2})):
        for seed in (1, 2):
            out = root / "models" / model / f"seed{seed}"
            neural.train_model(model, TrainRequest("toy", corpus, out, "lm", seed, {**TINY, **extra}))
            dirs.append(out)
    return corpus, dirs


def test_fresh_model_is_the_network_training_started_from(trained, tmp_path):
    corpus, _ = trained
    out = tmp_path / "rnn" / "seed5"
    neural.train_model("rnn", TrainRequest("toy", corpus, out, "lm", 5, {**TINY, "lr": 0.0, "max_batches": 1}))
    _, loaded, meta, _ = neural.load_trained(out, torch.device("cpu"))
    fresh = fresh_model(meta, torch.device("cpu"))
    for (name, a), b in zip(loaded.state_dict().items(), fresh.state_dict().values()):
        assert torch.equal(a, b), name


def test_gradients_on_trained_models(trained, tmp_path):
    corpus, dirs = trained
    output = gradients(corpus, dirs, SETTINGS, torch.device("cpu"))
    distance = output.tables["distance"]
    # rnn: 1 layer, lstm: 2 layers; 2 seeds, 2 stages, one row per distance.
    assert len(distance) == (1 + 2) * 2 * 2 * SETTINGS.window
    assert set(distance["stage"]) == {"init", "trained"} and set(distance["layer"]) == {0, 1}
    assert np.isfinite(distance["grad_norm"]).all() and (distance["grad_norm"] > 0).all()
    params = output.tables["parameters"]
    assert {"rnn.weight_hh_l0", "encoder.weight", "decoder.weight"} <= set(params["parameter"])
    assert len(output.tables["training"]) == 4 * TINY["max_batches"]
    summary = output.summary
    assert [t["stage"] for t in summary["lstm_vs_rnn"]] == ["init", "trained"]
    assert all(t["n"] == 2 for t in summary["lstm_vs_rnn"])
    assert summary["per_layer_during_training"].startswith("recorded in steps.npz: grad_norm, grad_norm.embedding")
    layers = output.tables["layers"]
    groups = layers.groupby("model")["group"].unique().map(set).to_dict()
    assert groups == {"rnn": {"embedding", "l0", "output"}, "lstm": {"embedding", "l0", "l1", "output"}}
    assert len(layers[(layers["model"] == "lstm") & (layers["group"] == "l1")]) == 2 * TINY["max_batches"]
    assert any(s.startswith("trained: rnn gradient norm changes by a factor") for s in summary["statements"])
    write_output(tmp_path / "out", output, "gradients")
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"distance.csv", "parameters.csv", "training.csv", "summary.json", "gradients.png", "gradients.pdf",
            "gradients.svg", "gradients.txt"} <= names
    assert json.loads((tmp_path / "out" / "index.json").read_text())[0]["name"] == "gradients"


def test_figure_is_redrawn_from_the_cached_tables(trained, tmp_path):
    corpus, dirs = trained
    copies = [shutil.copytree(d, tmp_path / "models" / d.parent.name / d.name) for d in dirs]
    write_output(tmp_path / "tables", gradients(corpus, copies, SETTINGS, torch.device("cpu")))
    assert {p.suffix for p in (tmp_path / "tables").iterdir()} == {".csv", ".json"}
    shutil.rmtree(tmp_path / "models")  # the figure needs the cached tables only
    [(name, figure, caption)] = redraw("gradients", tmp_path / "tables")
    assert name == "gradients" and "parameter group" in caption
    # Four panels: init, trained, global norm and per-layer norms during training (one line per model × group).
    assert len(figure.axes) == 4 and len(figure.axes[3].get_lines()) == 3 + 4


def test_bad_inputs_are_named(trained, tmp_path):
    corpus, dirs = trained
    with pytest.raises(RnnlabError, match="must be named seed<N>"):
        gradients(corpus, [dirs[0].parent], SETTINGS, torch.device("cpu"))
    with pytest.raises(CorpusError, match="too few for 2 columns of 1010 steps"):
        measurement_windows(torch.arange(100), GradientSettings(window=1000, positions=1, batch_size=2, warmup=9))


def test_each_lstm_is_compared_with_the_rnn_of_its_variant():
    from rnnlab.analysis.gradients import _lstm_rnn_pairs

    models = ["rnn", "lstm", "rnn-small", "lstm-small", "lstm-medium", "lstm-2layer", "rnn-2layer"]
    assert _lstm_rnn_pairs(models) == [("lstm", "rnn"), ("lstm-2layer", "rnn-2layer"), ("lstm-small", "rnn-small")]
