"""Scoring with ArpaModel: per-token values, OOVs, summaries."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rnnlab.errors import CorpusError
from rnnlab.ngram import ArpaModel, build_model

CORPUS = [s.split() for s in ["the cat sat", "the dog sat down", "a cat and a dog", "the cat"]]


@pytest.fixture(scope="module")
def model() -> ArpaModel:
    return ArpaModel(build_model(CORPUS, 3)[0])


def test_sentence_score_parts(model: ArpaModel) -> None:
    score = model.score_sentence(["the", "zebra", "sat"])
    assert score.logprobs.shape == (4,)
    assert score.total == pytest.approx(float(score.logprobs.sum()))
    assert score.oovs == 1
    assert (score.logprobs < 0).all()


def test_word_logprob_matches_sentence_scores(model: ArpaModel) -> None:
    sentence = ["the", "dog", "sat", "down"]
    score = model.score_sentence(sentence)
    for i, word in enumerate(sentence):
        assert model.word_logprob(sentence[:i], word) == pytest.approx(score.logprobs[i])
    assert model.word_logprob(sentence, "</s>") == pytest.approx(score.logprobs[-1])


def test_batch_and_single_scores_agree(model: ArpaModel) -> None:
    sentences = [["the", "cat"], [], ["a", "dog", "and", "unknown"]]
    batch = model.score_sentences(sentences)
    assert [s.total for s in batch] == pytest.approx([model.score_sentence(s).total for s in sentences])
    assert batch[1].logprobs.shape == (1,)
    assert model.score_sentences([]) == []


def test_score_file_summary(model: ArpaModel, tmp_path: Path) -> None:
    path = tmp_path / "test.txt"
    path.write_text("the cat sat\n\nthe zebra\n", encoding="utf-8")
    summary = model.score_file(path)
    first, second = model.score_sentence(["the", "cat", "sat"]), model.score_sentence(["the", "zebra"])
    assert summary.tokens == 4 + 3
    assert summary.oovs == 1
    assert summary.totals.tolist() == pytest.approx([first.total, second.total])
    assert summary.sentence_oovs.tolist() == [0, 1]
    total = first.total + second.total
    assert summary.perplexity == pytest.approx(10 ** (-total / 7))
    assert summary.perplexity_excluding_oovs == pytest.approx(10 ** (-(total - second.logprobs[1]) / 6))
    lines = summary.summary_lines()
    assert lines[0].startswith("Perplexity including OOVs:\t") and lines[2:] == ["OOVs:\t1", "Tokens:\t7"]
    assert float(lines[0].split("\t")[1]) == summary.perplexity
    assert summary.sentence_lines()[1] == f"Total: {str(np.float32(second.total))} OOV: 1"
    data = summary.to_dict(per_sentence=True)
    assert data["sentences"] == 2 and data["sentence_oovs"] == [0, 1]


def test_history_longer_than_order_is_truncated(model: ArpaModel) -> None:
    assert model.word_logprob(["a", "dog", "the", "cat"], "sat") == pytest.approx(
        model.word_logprob(["x", "the", "cat"], "sat"))
    assert not math.isclose(model.word_logprob(["the", "cat"], "sat"), model.word_logprob(["cat"], "sat"))


def test_reserved_tokens_rejected(model: ArpaModel) -> None:
    with pytest.raises(CorpusError, match="reserved"):
        model.score_sentence(["the", "<s>"])
