"""Tagging metrics on a hand-made example."""

from __future__ import annotations

import pytest

from rnnlab.data.conllu_io import TaggedSentence
from rnnlab.models.tag_metrics import tagging_scores


def test_scores_by_hand():
    gold = [TaggedSentence(("the", "kids", "book", "it"), ("DET", "NOUN", "VERB", "PRON"), (False, False, True, False)),
            TaggedSentence(("a", "zork"), ("DET", "NOUN"), (False, False))]
    predicted = [["DET", "NOUN", "NOUN", "PRON"], ["DET", "VERB"]]
    scores = tagging_scores(gold, predicted, {"the", "kids", "book", "it", "a"})
    assert scores["accuracy"] == pytest.approx(100 * 4 / 6)
    assert scores["accuracy_oov"] == pytest.approx(0.0)  # "zork" -> VERB, wrong
    assert scores["accuracy_right_context"] == pytest.approx(0.0)  # "book" -> NOUN, wrong
    # F1: DET 1; PRON 1; NOUN: tp 1, fp 1, fn 1 -> 0.5; VERB: tp 0 -> 0.
    assert scores["tag_f1.NOUN"] == pytest.approx(50.0) and scores["tag_f1.VERB"] == 0.0
    assert scores["macro_f1"] == pytest.approx(100 * (1 + 1 + 0.5 + 0) / 4)


def test_no_marked_words_no_right_context_score():
    gold = [TaggedSentence(("a",), ("DET",), (False,))]
    scores = tagging_scores(gold, [["DET"]], {"a"})
    assert "accuracy_right_context" not in scores and "accuracy_oov" not in scores
    assert scores["accuracy"] == 100.0 and scores["macro_f1"] == 100.0
