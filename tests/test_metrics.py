import math

import pytest

from rnnlab.metrics import (MINUS, MeanCI, accuracy, classification_rows, f1_per_class, macro_f1, number,
                            perplexity_from_log10, perplexity_from_nats)


def test_accuracy_and_f1_by_hand():
    gold = ["a", "a", "b", "b", "b"]
    pred = ["a", "b", "b", "b", "a"]
    assert accuracy(gold, pred) == pytest.approx(3 / 5)
    # a: tp=1 fp=1 fn=1 -> 0.5 ; b: tp=2 fp=1 fn=1 -> 4/6
    assert f1_per_class(gold, pred, ["a", "b"]) == pytest.approx({"a": 0.5, "b": 2 / 3})
    assert macro_f1(gold, pred, ["a", "b"]) == pytest.approx((0.5 + 2 / 3) / 2)


def test_label_never_seen_scores_zero():
    assert f1_per_class(["a"], ["a"], ["a", "c"])["c"] == 0.0


def test_accuracy_rejects_mismatch():
    with pytest.raises(ValueError):
        accuracy(["a"], ["a", "b"])


def test_perplexities_agree():
    # p = 1/4 for each of 8 tokens -> PPL 4 in both bases.
    assert perplexity_from_log10(8 * math.log10(0.25), 8) == pytest.approx(4.0)
    assert perplexity_from_nats(-8 * math.log(0.25), 8) == pytest.approx(4.0)


def test_classification_rows_are_tidy_and_percent():
    rows = classification_rows("classification", "c", "ngram-nb", 0, "test", ["x", "y"], ["x", "x"], ["x", "y"], params=3)
    assert [r["metric"] for r in rows] == ["accuracy", "macro_f1"]
    assert rows[0]["value"] == pytest.approx(50.0)
    assert rows[0]["params"] == 3 and rows[0]["seed"] == 0


def test_numbers_in_text_use_one_minus_sign():
    assert number(-1.234, 2) == f"{MINUS}1.23" and number(1.234, 1, sign=True) == "+1.2"
    assert number(-0.00012, 2, sign=True, kind="g") == f"{MINUS}0.00012"
    assert MeanCI(-2.5, -4.0, -1.0, 5).format(1) == f"{MINUS}2.5 ± 1.5"
    assert MeanCI(-2.5, -2.5, -2.5, 1).format(2) == f"{MINUS}2.50"
    assert "-" not in MeanCI(-2.5, -4.0, -1.0, 5).format(1)
