"""Vectorised counting and Kneser-Ney adjusted counts."""

from __future__ import annotations

from rnnlab.ngram.corpus import encode, new_vocab
from rnnlab.ngram.counts import count_ngrams


def _tables(sentences: list[list[str]], order: int):
    vocab = new_vocab()
    corpus = encode(sentences, vocab, grow=True)
    names = list(vocab)
    tables = count_ngrams(corpus, order, len(vocab))
    result = []
    for n, table in enumerate(tables, 1):
        words = {}
        for row in range(table.size):
            ids, r = [], row
            for k in range(n - 1, -1, -1):
                ids.append(tables[k].word[r])
                r = tables[k].prefix[r]
            words[" ".join(names[i] for i in reversed(ids))] = (int(table.raw[row]), int(table.adjusted[row]))
        result.append(words)
    return result


def test_raw_and_adjusted_counts() -> None:
    # Two sentences: "x a b" and "y a b" and "a b".
    uni, bi, tri = _tables([["x", "a", "b"], ["y", "a", "b"], ["a", "b"]], 3)
    # trigrams (highest order) keep raw counts
    assert tri["x a b"] == (1, 1) and tri["<s> a b"] == (1, 1) and tri["a b </s>"] == (3, 3)
    # bigram "a b" is preceded by x, y and <s>: continuation count 3
    assert bi["a b"] == (3, 3)
    # bigrams starting with <s> keep raw counts
    assert bi["<s> a"] == (1, 1) and bi["<s> x"] == (1, 1)
    # unigram "a" is preceded by x, y, <s>; "b" only by a
    assert uni["a"] == (3, 3) and uni["b"] == (3, 1)
    # <s> and <unk> are in the vocabulary with count 0
    assert uni["<s>"] == (0, 0) and uni["<unk>"] == (0, 0)
    assert "<s>" not in " ".join(k for k in tri if not k.startswith("<s>"))


def test_prefix_and_suffix_ids_are_consistent() -> None:
    vocab = new_vocab()
    corpus = encode([["a", "b", "a", "b", "c"], ["b", "c"]], vocab, grow=True)
    tables = count_ngrams(corpus, 3, len(vocab))
    for lower, higher in zip(tables[:-1], tables[1:]):
        keys = higher.prefix * len(vocab) + higher.word
        assert (keys[1:] > keys[:-1]).all()  # sorted, distinct
        assert (higher.prefix < lower.size).all() and (higher.suffix < lower.size).all()
        assert (lower.word[higher.suffix] == higher.word).all()
