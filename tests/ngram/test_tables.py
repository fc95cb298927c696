"""Lookups in the array-backed backoff model."""

from __future__ import annotations

import numpy as np

from rnnlab.ngram import build_model


def test_lookup_and_words() -> None:
    model = build_model([["a", "b", "c"], ["a", "c"]], 3)[0]
    ids = {w: i for i, w in enumerate(model.vocab)}
    ab = model.lookup(2, np.array([ids["a"]]), np.array([ids["b"]]))
    assert ab[0] >= 0
    assert model.ngram_words(2, ab).tolist() == [[ids["a"], ids["b"]]]
    abc = model.lookup(3, ab, np.array([ids["c"]]))
    assert model.ngram_words(3, abc).tolist() == [[ids["a"], ids["b"], ids["c"]]]
    missing = model.lookup(2, np.array([ids["b"], -1]), np.array([ids["a"], ids["a"]]))
    assert missing.tolist() == [-1, -1]
    assert model.lookup(1, np.array([0]), np.array([ids["c"]])).tolist() == [ids["c"]]
    assert (model.order, model.vocab_size) == (3, 6)
