"""Modified Kneser-Ney on corpora small enough to check by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from rnnlab.ngram import ArpaModel, build_model
from rnnlab.ngram.kneser_ney import DEFAULT_FALLBACK, Discounts, check_fallback, estimate_discounts


def _logp(model: ArpaModel, history: list[str], word: str) -> float:
    return model.word_logprob(history, word)


def test_unigram_model_by_hand() -> None:
    # "a a b": counts a=2, b=1, </s>=1; counts-of-counts n3 = 0, so D = 0.5, 1, 1.5 (fallback).
    # gamma = (0.5*2 + 1*1) / 4 = 0.5, spread over |V| = 4 words (<unk>, </s>, a, b).
    model = ArpaModel(build_model([["a", "a", "b"]], 1)[0])
    expected = {"a": (2 - 1) / 4 + 0.5 / 4, "b": (1 - 0.5) / 4 + 0.5 / 4, "</s>": 0.25, "<unk>": 0.125}
    for word, p in expected.items():
        assert _logp(model, [], word) == pytest.approx(math.log10(p), abs=1e-12)


def test_bigram_model_by_hand() -> None:
    # Bigrams <s> a, a a, a b, b </s> (all count 1, D1 = 0.5). Unigrams use continuation counts:
    # a has left contexts {<s>, a}, b {a}, </s> {b}: the same numbers as the unigram case above.
    model = ArpaModel(build_model([["a", "a", "b"]], 2)[0])
    uni = {"a": 0.375, "b": 0.25, "</s>": 0.25, "<unk>": 0.125}
    # context a: a a, a b -> denominator 2, gamma(a) = 0.5 * 2 / 2 = 0.5
    assert _logp(model, ["a"], "a") == pytest.approx(math.log10(0.5 / 2 + 0.5 * uni["a"]))
    assert _logp(model, ["a"], "b") == pytest.approx(math.log10(0.5 / 2 + 0.5 * uni["b"]))
    assert _logp(model, ["a"], "</s>") == pytest.approx(math.log10(0.5 * uni["</s>"]))
    # unseen bigram b a: backoff(b) + p(a), with gamma(b) = 0.5 / 1
    assert _logp(model, ["b"], "a") == pytest.approx(math.log10(0.5 * uni["a"]))
    p_sentence = (0.5 + 0.5 * uni["a"]) * (0.25 + 0.5 * uni["a"]) * (0.25 + 0.5 * uni["b"]) * (0.5 + 0.5 * uni["</s>"])
    score = model.score_sentence(["a", "a", "b"])
    assert score.total == pytest.approx(math.log10(p_sentence))
    assert score.oovs == 0
    backoff = model.tables.orders[0].backoff
    assert backoff is not None
    assert backoff[model.vocab["a"]] == pytest.approx(math.log10(0.5))
    assert backoff[model.vocab["</s>"]] == 0.0  # never a context


def _random_corpus(seed: int, sentences: int, vocab: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(vocab)]
    return [[words[i] for i in rng.zipf(1.6, size=rng.integers(1, 9)) % vocab] for _ in range(sentences)]


@pytest.mark.parametrize("order", [1, 2, 3])
def test_every_context_sums_to_one(order: int) -> None:
    corpus = _random_corpus(order, 60, 7)
    model = ArpaModel(build_model(corpus, order)[0])
    targets = [w for w in model.tables.vocab if w != "<s>"]
    plain = [w for w in model.tables.vocab if w not in ("<s>", "</s>", "<unk>")]
    histories = [list(h) for k in range(order) for h in itertools.product(plain, repeat=k)]
    for history in histories:
        total = sum(10 ** _logp(model, history, w) for w in targets)
        assert total == pytest.approx(1.0, abs=1e-9), history


def test_backoff_consistency() -> None:
    """A trigram missing from the model scores as backoff(u v) + log10 p(w | v)."""
    model = ArpaModel(build_model(_random_corpus(7, 80, 9), 3)[0])
    tables, vocab = model.tables, model.vocab
    words = [w for w in vocab if w.startswith("w")]
    checked = 0
    for u, v, w in itertools.product(words, repeat=3):
        uv = tables.lookup(2, np.array([vocab[u]]), np.array([vocab[v]]))
        if uv[0] < 0 or tables.lookup(3, uv, np.array([vocab[w]]))[0] >= 0:
            continue
        vw = tables.lookup(2, np.array([vocab[v]]), np.array([vocab[w]]))[0]
        if vw >= 0:
            shorter = tables.orders[1].logprob[vw]
        else:
            shorter = tables.orders[0].backoff[vocab[v]] + tables.orders[0].logprob[vocab[w]]
        expected = tables.orders[1].backoff[uv[0]] + shorter
        assert _logp(model, [words[0], u, v], w) == pytest.approx(expected, abs=1e-12)
        checked += 1
    assert checked > 10


def test_probabilities_are_log10_and_bos_is_zero() -> None:
    model = build_model(_random_corpus(3, 40, 6), 3)[0]
    for table in model.orders:
        assert (table.logprob <= 0).all()
    assert model.orders[0].logprob[model.vocab.index("<s>")] == 0.0
    assert model.orders[-1].backoff is None


def test_estimate_discounts_formula() -> None:
    # n1..n4 = 4, 3, 2, 1 -> Y = 4 / 10
    adjusted = np.array([1] * 4 + [2] * 3 + [3] * 2 + [4] + [9])
    d = estimate_discounts(adjusted, check_fallback(DEFAULT_FALLBACK))
    y = 4 / 10
    assert not d.fallback
    assert d.d1 == pytest.approx(1 - 2 * y * 3 / 4, rel=1e-6)
    assert d.d2 == pytest.approx(2 - 3 * y * 2 / 3, rel=1e-6)
    assert d.d3 == pytest.approx(3 - 4 * y * 1 / 2, rel=1e-6)


@pytest.mark.parametrize("adjusted", [[1, 1, 2], [1] * 10 + [2] + [3] * 10])
def test_estimate_discounts_falls_back(adjusted: list[int]) -> None:
    fallback = check_fallback((0.4, 0.9, 1.3))
    assert estimate_discounts(np.array(adjusted), fallback) == Discounts(0.4, 0.9, 1.3, fallback=True)
