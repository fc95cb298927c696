"""Vectorised n-gram counting and Kneser-Ney adjusted counts.

N-grams of order n get dense ids by sorting packed keys ``prefix_id * V + last_word``, where
``prefix_id`` is the id of the (n-1)-gram formed by the first n-1 words. Ids are therefore in
lexicographic order of the word-id tuples, and order n's table is keyed by its prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .corpus import BOS_ID, EncodedCorpus


@dataclass
class OrderCounts:
    """All n-grams of one order seen in the corpus (unigrams: the whole vocabulary)."""

    prefix: np.ndarray  # (G,) int64 id of the (n-1)-gram context; 0 for unigrams
    word: np.ndarray  # (G,) int64 last word
    suffix: np.ndarray  # (G,) int64 id of the (n-1)-gram without the first word; -1 for unigrams
    first: np.ndarray  # (G,) int64 first word
    raw: np.ndarray  # (G,) int64 number of occurrences
    adjusted: np.ndarray  # (G,) int64 Kneser-Ney adjusted count (see adjust_counts)

    @property
    def size(self) -> int:
        return int(self.word.size)


def _unigrams(corpus: EncodedCorpus, vocab_size: int) -> OrderCounts:
    words = np.arange(vocab_size, dtype=np.int64)
    raw = np.bincount(corpus.seq[corpus.depth > 0], minlength=vocab_size).astype(np.int64)
    return OrderCounts(
        prefix=np.zeros(vocab_size, dtype=np.int64),
        word=words,
        suffix=np.full(vocab_size, -1, dtype=np.int64),
        first=words,
        raw=raw,
        adjusted=raw.copy(),
    )


def count_ngrams(corpus: EncodedCorpus, order: int, vocab_size: int) -> list[OrderCounts]:
    """Count every n-gram (n = 1..order) inside the padded sentences ``<s> w1 .. wk </s>``.

    The n-gram ending at position i is the (n-1)-gram ending at i-1 extended by seq[i]; it
    exists when it does not reach back past the sentence's ``<s>``. ``<s>`` alone is not an
    n-gram (it is never predicted) but stays in the unigram table with count 0, as does
    ``<unk>`` when it does not occur.
    """
    seq, depth = corpus.seq, corpus.depth
    tables = [_unigrams(corpus, vocab_size)]
    ids = seq.copy()  # (P,) id of the (n-1)-gram ending at each position; unigram id == word id
    for n in range(2, order + 1):
        ends = np.flatnonzero(depth >= n - 1)  # (E,) positions where an n-gram ends
        keys = ids[ends - 1] * vocab_size + seq[ends]
        uniq, first_at, inverse, raw = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
        rep = ends[first_at]  # (G,) one position where each n-gram ends
        tables.append(
            OrderCounts(
                prefix=uniq // vocab_size,
                word=uniq % vocab_size,
                suffix=ids[rep],
                first=seq[rep - (n - 1)],
                raw=raw.astype(np.int64),
                adjusted=raw.astype(np.int64),
            )
        )
        next_ids = np.full(seq.size, -1, dtype=np.int64)
        next_ids[ends] = inverse.reshape(-1)
        ids = next_ids
    adjust_counts(tables)
    return tables


def adjust_counts(tables: list[OrderCounts]) -> None:
    """Replace lower-order counts by continuation counts, in place.

    Kneser & Ney (1995); Chen & Goodman (1998), sec. 3.5: below the highest order an n-gram
    ``g`` counts N1+(. g), the number of distinct words seen immediately before it. N-grams
    starting with ``<s>`` cannot be extended to the left and keep their raw counts, as in KenLM.
    """
    for lower, higher in zip(tables[:-1], tables[1:]):
        continuation = np.bincount(higher.suffix, minlength=lower.size).astype(np.int64)
        lower.adjusted = np.where(lower.first == BOS_ID, lower.raw, continuation)
