import json
import math

import numpy as np
import pytest
import torch

from rnnlab.analysis.common import write_output
from rnnlab.analysis.registry import redraw
from rnnlab.analysis.long_distance import (
    FIRST, NgramScorer, RecurrentScorer, Text, WindowScorer, bucket, long_distance, probe_results,
    recurrence_distances,
)
from rnnlab.data.corpus_io import read_probes
from rnnlab.data.prepare import prepare_corpus, raw_files
from rnnlab.data.processed import split_path
from rnnlab.data.synthetic import generate
from rnnlab.errors import CorpusError, RnnlabError
from rnnlab.models import neural
from rnnlab.models.registry import TrainRequest
from rnnlab.models.rnn_lm import lm_nll
from rnnlab.models.window import window_nll
from rnnlab.ngram import ArpaModel, fit_arpa

CPU = torch.device("cpu")
TINY = {"emb": 8, "hidden": 8, "dropout": 0.0, "epochs": 1, "max_batches": 4, "batch_size": 4}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("ld")
    raw = root / "raw"
    generate("synthetic-lm", raw, seed=4, overrides={"n_train": 40, "n_valid": 12, "n_test": 14, "n_cue_nouns": 3,
                                                     "distances": [4, 9], "filler_vocab_size": 20})
    prepare_corpus(raw_files(raw, "lm"), "lm", root / "corpus", "whitespace")
    return root / "corpus"


@pytest.fixture(scope="module")
def models(corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("ld-models")
    out = root / "ngram-kn3" / "seed0"
    out.mkdir(parents=True)
    fit_arpa(split_path(corpus, "lm", "train"), 3, out / "model.arpa")
    dirs = [out]
    for name, extra in (("lstm", {"bptt": 8, "eval_batch_size": 3}), ("window", {"window": 3})):
        for seed in (1, 2):
            folder = root / name / f"seed{seed}"
            neural.train_model(name, TrainRequest("toy", corpus, folder, "lm", seed, {**TINY, **extra}))
            dirs.append(folder)
    return dirs


def probe_indices(corpus, text):
    probes = read_probes(corpus / "test.probes.tsv")
    return probes, np.array([text.index(p.line, p.position) for p in probes])


def test_a_model_that_copies_the_cue_recalls_every_probe(corpus):
    text = Text.load(corpus, "test")
    probes, _ = probe_indices(corpus, text)
    logprobs = np.full((len(probes), len(text.vocab)), -20.0)
    for row, probe in enumerate(probes):
        logprobs[row, text.vocab.stoi[probe.cue]] = 0.0
    rows = probe_results(logprobs, probes, text.vocab, sorted({p.cue for p in probes}))
    assert rows["correct"].all() and rows["correct_cue"].all()
    assert rows["p_target"].to_numpy() == pytest.approx(1.0)
    assert sorted(rows["distance"].unique()) == [4, 9]

    uniform = probe_results(np.full_like(logprobs, -math.log(len(text.vocab))), probes, text.vocab, ["photos"])
    assert uniform["p_target"].to_numpy() == pytest.approx(1 / len(text.vocab))


def test_recurrence_distances_and_buckets():
    lines = [["a", "b", "a", "c", "b", "a", "<unk>", "<unk>"], ["a"]]
    got = recurrence_distances(lines)
    assert got[0].tolist() == [0, 0, 2, 0, 3, 3, 0, 0] and got[1].tolist() == [0]
    assert [bucket(d) for d in (0, 1, 2, 3, 4, 7, 8, 63, 64, 500)] == \
        [FIRST, "1", "2–3", "2–3", "4–7", "4–7", "8–15", "32–63", "64+", "64+"]


def test_recurrent_scorer_reads_the_split_as_evaluation_does(corpus, models):
    text = Text.load(corpus, "test")
    _, model, _, cfg = neural.load_trained(models[1], CPU)
    scorer = RecurrentScorer(model, text, cfg.eval_batch_size, CPU)
    per_token = scorer.token_logprobs()
    nll, tokens = lm_nll(model, text.stream, text.vocab, cfg.eval_batch_size, CPU)
    assert tokens == per_token.size and -per_token.sum() == pytest.approx(nll, rel=1e-6)
    _, indices = probe_indices(corpus, text)
    rows = scorer.distributions(indices)
    np.testing.assert_allclose(np.exp(rows).sum(1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(rows[np.arange(len(indices)), text.stream[indices].numpy()], per_token[indices],
                               rtol=1e-5)


def test_window_scorer_matches_window_nll(corpus, models):
    text = Text.load(corpus, "test")
    _, model, _, _ = neural.load_trained(models[3], CPU)
    scorer = WindowScorer(model, text, CPU)
    nll, _ = window_nll(model, text.stream, text.vocab, CPU)
    assert -scorer.token_logprobs().sum() == pytest.approx(nll, rel=1e-6)


def test_ngram_distributions_use_the_right_history(corpus, models):
    text = Text.load(corpus, "test")
    arpa = ArpaModel.load(models[0] / "model.arpa")
    scorer = NgramScorer(arpa, text)
    probes, indices = probe_indices(corpus, text)
    rows = scorer.distributions(np.concatenate([indices, [text.index(0, 0), text.index(0, 1)]]))
    np.testing.assert_allclose(np.exp(rows).sum(1), 1.0, atol=1e-4)  # all words, </s> and <unk>
    for probe, row in zip(probes[:5], rows):
        history = text.lines[probe.line][: probe.position]
        assert row[text.vocab.stoi[probe.target]] == pytest.approx(
            arpa.word_logprob(history, probe.target) * math.log(10), rel=1e-6)
    per_token = scorer.token_logprobs()
    assert per_token.size == text.stream.numel()
    np.testing.assert_allclose(rows[np.arange(len(indices)), text.stream[indices].numpy()], per_token[indices],
                               rtol=1e-6)


def test_long_distance_end_to_end(corpus, models, tmp_path):
    output = long_distance(corpus, models, "test", CPU)
    probes = output.tables["probes"]
    assert set(probes["model"]) == {"ngram-kn3", "lstm", "window"}
    assert set(probes["distance"]) == {4, 9} and (probes["probes"] == 7).all()
    assert probes[["p_target", "accuracy", "cue_accuracy"]].apply(lambda c: c.between(0, 1).all()).all()
    recurrence = output.tables["recurrence"]
    assert FIRST in set(recurrence["bucket"]) and (recurrence["loss"] > 0).all()
    assert output.summary["probes"] == 14 and len(output.summary["cue_nouns"]) <= 3
    assert output.summary["statements"][0].startswith("probes: ")
    write_output(tmp_path / "out", output, "long-distance")
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"probes.csv", "recurrence.csv", "long_distance_probes.png", "long_distance_recurrence.svg"} <= names
    # Without figures, then redrawn from the cached tables alone: the same figures, the same captions.
    write_output(tmp_path / "tables", output)
    assert not list((tmp_path / "tables").glob("*.png"))
    redrawn = redraw("long-distance", tmp_path / "tables")
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert [(n, c) for n, _, c in redrawn] == [(e["name"], e["caption"]) for e in index]
    assert all(len(fig.axes[0].get_lines()) >= 3 for _, fig, _ in redrawn)


def test_mismatched_probes_and_wrong_models_are_refused(corpus, models, tmp_path):
    broken = tmp_path / "corpus"
    broken.mkdir()
    for name in ("vocab.json", "test.txt"):
        (broken / name).write_bytes((corpus / name).read_bytes())
    (broken / "test.probes.tsv").write_text("line\tposition\tdistance\tcue\ttarget\n0\t1\t4\tphotos\tphotos\n")
    with pytest.raises(CorpusError, match="does not point at 'photos'"):
        long_distance(broken, models[:1], "test", CPU)
    odd = tmp_path / "gru" / "seed1"
    odd.mkdir(parents=True)
    with pytest.raises(RnnlabError, match="model 'gru' is not a language model this analysis reads"):
        long_distance(corpus, [odd], "test", CPU)
