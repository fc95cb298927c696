import numpy as np
import pytest
import torch

from rnnlab.analysis.common import trained_arpa
from rnnlab.analysis.context_perturb import PERTURBATIONS, perturbed, train_unigram
from rnnlab.analysis.context_scorers import NgramContextScorer, RecurrentContextScorer, WindowContextScorer
from rnnlab.data.batching import encode_lm_split
from rnnlab.data.vocab import Vocab
from rnnlab.errors import RnnlabError
from rnnlab.layout import parse_run_dir
from rnnlab.data.prepare import prepare_corpus, raw_files
from rnnlab.data.processed import read_lm_split, split_path
from rnnlab.data.synthetic import generate
from rnnlab.models.rnn_lm import RNNLM, RNNLMConfig
from rnnlab.models.window import WindowConfig, WindowLM
from rnnlab.ngram import ArpaModel, fit_arpa

CPU = torch.device("cpu")
MAX_D = 40


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("ctx")
    generate("synthetic-lm", root / "raw", seed=5, overrides={"n_train": 60, "n_valid": 10, "n_test": 30,
                                                              "n_cue_nouns": 3, "distances": [4, 9],
                                                              "filler_vocab_size": 20})
    prepare_corpus(raw_files(root / "raw", "lm"), "lm", root / "corpus", "whitespace")
    corpus = root / "corpus"
    vocab = Vocab.for_corpus(corpus)
    return corpus, vocab, encode_lm_split(corpus, "test", vocab).numpy(), train_unigram(corpus, vocab)


def contexts_for(stream, unigram, vocab, name, d, targets):
    return [perturbed(stream, int(t), MAX_D, name, d, 1, unigram, vocab.eos) for t in targets]


@pytest.mark.parametrize("order", [2, 3])
def test_kneser_ney_loss_is_unchanged_exactly_by_any_perturbation_beyond_n_minus_1(corpus, tmp_path, order):
    corpus_dir, vocab, stream, unigram = corpus
    fit_arpa(split_path(corpus_dir, "lm", "train"), order, tmp_path / "model.arpa")
    scorer = NgramContextScorer(ArpaModel.load(tmp_path / "model.arpa"), vocab)
    targets = np.arange(MAX_D, stream.size)
    full = scorer.losses(contexts_for(stream, unigram, vocab, "truncate", MAX_D, targets), stream[targets])
    for name in PERTURBATIONS:
        for d in range(order - 1, 12):
            got = scorer.losses(contexts_for(stream, unigram, vocab, name, d, targets), stream[targets])
            assert np.array_equal(got, full), (name, d)
    shorter = scorer.losses(contexts_for(stream, unigram, vocab, "truncate", order - 2, targets), stream[targets])
    assert not np.array_equal(shorter, full)


def test_kneser_ney_scores_the_stream_as_evaluation_does(corpus, tmp_path):
    corpus_dir, vocab, stream, unigram = corpus
    fit_arpa(split_path(corpus_dir, "lm", "train"), 3, tmp_path / "model.arpa")
    model = ArpaModel.load(tmp_path / "model.arpa")
    lines = read_lm_split(corpus_dir, "test")
    evaluation = -np.concatenate([s.logprobs for s in model.score_sentences(lines)]) * np.log(10)
    targets = np.arange(MAX_D, stream.size)
    got = NgramContextScorer(model, vocab).losses(contexts_for(stream, unigram, vocab, "truncate", MAX_D, targets),
                                                  stream[targets])
    assert got == pytest.approx(evaluation[MAX_D:])


def test_the_window_model_uses_its_window_and_nothing_beyond(corpus):
    _, vocab, stream, unigram = corpus
    torch.manual_seed(0)
    model = WindowLM(len(vocab), WindowConfig(emb=8, hidden=16, window=4, dropout=0.0)).eval()
    scorer = WindowContextScorer(model, CPU, 16, vocab.eos)
    targets = np.arange(MAX_D, MAX_D + 60)
    full = scorer.losses(contexts_for(stream, unigram, vocab, "truncate", MAX_D, targets), stream[targets])
    for name in PERTURBATIONS:
        for d in (4, 5, 20):
            got = scorer.losses(contexts_for(stream, unigram, vocab, name, d, targets), stream[targets])
            assert np.array_equal(got, full), (name, d)
    assert not np.array_equal(scorer.losses(contexts_for(stream, unigram, vocab, "shuffle", 2, targets),
                                            stream[targets]), full)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_batched_and_one_at_a_time_agree(corpus, cell):
    _, vocab, stream, unigram = corpus
    torch.manual_seed(1)
    model = RNNLM(cell, len(vocab), RNNLMConfig(emb=8, hidden=12, layers=2, dropout=0.0), "torch").eval()
    targets = np.arange(MAX_D, MAX_D + 30)
    # Contexts of every length at once, so that the batches are padded.
    ctx = [c for d in (0, 1, 3, 10, MAX_D) for c in contexts_for(stream, unigram, vocab, "truncate", d, targets)]
    ids = np.tile(stream[targets], 5)
    batched = RecurrentContextScorer(model, CPU, 64, vocab.pad).losses(ctx, ids)
    single = RecurrentContextScorer(model, CPU, 1, vocab.pad).losses(ctx, ids)
    assert batched == pytest.approx(single, abs=1e-5)
    with torch.no_grad():  # the last output of a plain forward pass over the context
        first = ctx[-1]
        logits, _ = model(torch.from_numpy(first).view(-1, 1), model.initial_state(1, CPU))
        expected = -torch.log_softmax(logits[-1, 0], -1)[ids[-1]].item()
    assert single[-1] == pytest.approx(expected, abs=1e-5)


def test_an_untrained_ngram_run_says_to_train_it(tmp_path):
    run = parse_run_dir(tmp_path / "toy" / "ngram-kn3" / "seed0")
    with pytest.raises(RnnlabError, match=r"seed0/model.arpa is missing: train the n-gram model first"):
        trained_arpa(run)
