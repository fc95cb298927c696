"""NER scores on hand-made examples whose spans are counted by hand and by seqeval."""

import pytest
from seqeval.metrics import f1_score
from seqeval.scheme import IOB2

from rnnlab.data.conllu_io import TaggedSentence
from rnnlab.models.ner_metrics import ner_scores, spans, subset_f1


def sent(words, tags, right=None):
    return TaggedSentence(tuple(words), tuple(tags), tuple(right or [False] * len(words)))


GOLD = [
    sent("Jordan River flooded".split(), ["B-LOC", "I-LOC", "O"], [True, True, False]),
    sent("Anna Berg met Tom".split(), ["B-PER", "I-PER", "O", "B-PER"]),
    sent("shares of Acme Corp".split(), ["O", "O", "B-ORG", "I-ORG"]),
]
PRED = [
    ["B-PER", "I-LOC", "O"],  # type mismatch on the first token, then an invalid I-LOC: no entity is right
    ["B-PER", "O", "O", "B-PER"],  # boundary error (Anna only), Tom right
    ["O", "O", "B-ORG", "I-ORG"],  # right
]


def test_hand_counted_spans():
    # Gold: LOC, PER, PER, ORG (4). Predicted in strict IOB2: PER(Jordan), PER(Anna), PER(Tom), ORG (4);
    # the lone I-LOC after B-PER starts nothing. Correct: Tom, Acme Corp -> P = R = F1 = 2/4.
    scores = ner_scores(GOLD, PRED, vocabulary={"Jordan", "River", "flooded", "Anna", "met", "Tom", "shares", "of"})
    assert scores["span_precision"] == pytest.approx(50.0)
    assert scores["span_recall"] == pytest.approx(50.0)
    assert scores["span_f1"] == pytest.approx(100 * f1_score([list(s.tags) for s in GOLD], PRED, mode="strict",
                                                              scheme=IOB2)) == pytest.approx(50.0)
    assert scores["accuracy"] == pytest.approx(100 * 9 / 11)
    # PER: gold Anna Berg, Tom; predicted Jordan, Anna, Tom -> P 1/3, R 1/2, F1 0.4.
    assert scores["span_precision.PER"] == pytest.approx(100 / 3)
    assert scores["span_recall.PER"] == pytest.approx(50.0)
    assert scores["span_f1.PER"] == pytest.approx(40.0)
    assert scores["span_f1.LOC"] == 0.0 and scores["span_f1.ORG"] == 100.0
    assert scores["invalid_sequences"] == 1.0
    # Right-context entities: gold Jordan River; predictions touching it: PER(Jordan) -> F1 0.
    assert scores["span_f1_right_context"] == 0.0
    # OOV words: Berg, Acme, Corp. Gold entities holding one: Anna Berg, Acme Corp; predictions: ORG -> P 1, R 1/2.
    assert scores["span_f1_oov"] == pytest.approx(100 * 2 * 0.5 / 1.5)


def test_perfect_prediction_and_absent_subsets():
    gold = [sent(["Oslo", "is", "cold"], ["B-LOC", "O", "O"])]
    scores = ner_scores(gold, [["B-LOC", "O", "O"]], vocabulary={"Oslo", "is", "cold"})
    assert scores["span_f1"] == scores["accuracy"] == scores["span_f1.LOC"] == 100.0
    assert "span_f1_right_context" not in scores and "span_f1_oov" not in scores
    assert scores["invalid_sequences"] == 0.0


def test_a_predicted_type_missing_from_gold_lowers_precision_only():
    gold = [sent(["Oslo", "is", "cold"], ["B-LOC", "O", "O"])]
    scores = ner_scores(gold, [["B-LOC", "B-ORG", "O"]], vocabulary=set())
    assert scores["span_precision"] == 50.0 and scores["span_recall"] == 100.0
    assert "span_f1.ORG" not in scores


def test_spans_and_subset_f1():
    assert spans([["B-PER", "I-PER", "O", "I-LOC"]]) == {(0, "PER", 0, 2)}
    gold, pred = {(0, "PER", 0, 2)}, {(0, "PER", 0, 1)}
    assert subset_f1(gold, pred, [[True, False, False]]) == 0.0
    assert subset_f1(gold, gold, [[False, True, False]]) == 1.0
    assert subset_f1(gold, pred, [[False, False, True]]) is None


def test_length_mismatch_is_refused():
    with pytest.raises(ValueError, match="got 1 predicted tags"):
        ner_scores(GOLD[:1], [["O"]], vocabulary=set())
