"""A backoff n-gram model held in numpy arrays (what an ARPA file stores).

Order 1 is indexed by word id. An n-gram of order n >= 2 is stored under the packed key
``prefix * V + word``, where ``prefix`` is the row of its first n-1 words in order n-1; rows
are sorted by key, so lookups are binary searches (``np.searchsorted``) over whole arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class NgramOrder:
    """The n-grams of one order: probabilities and backoff weights in log10."""

    prefix: np.ndarray  # (G,) int64 row of the (n-1)-gram prefix; 0 for unigrams
    word: np.ndarray  # (G,) int64 last word id
    logprob: np.ndarray  # (G,) float64 log10 p(word | prefix)
    backoff: np.ndarray | None  # (G,) float64 log10 backoff weight; None at the highest order
    keys: np.ndarray = field(init=False)  # (G,) int64 sorted packed keys

    def __post_init__(self) -> None:
        self.keys = np.empty(0, dtype=np.int64)

    @property
    def size(self) -> int:
        return int(self.word.size)


@dataclass
class NgramModel:
    """Vocabulary (id -> word) and one NgramOrder per order, unigrams first."""

    vocab: list[str]
    orders: list[NgramOrder]

    def __post_init__(self) -> None:
        for table in self.orders:
            table.keys = table.prefix * self.vocab_size + table.word

    def append(self, table: NgramOrder) -> None:
        """Add the next order (rows must already be sorted by (prefix, word))."""
        table.keys = table.prefix * self.vocab_size + table.word
        self.orders.append(table)

    @property
    def order(self) -> int:
        return len(self.orders)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def lookup(self, n: int, prefix: np.ndarray, word: np.ndarray) -> np.ndarray:
        """Rows of the n-grams (prefix row in order n-1, word) in order n; -1 where absent.

        ``prefix`` may hold -1 (an absent prefix), which never matches.
        """
        if n == 1:
            return word.astype(np.int64, copy=True)
        keys = self.orders[n - 1].keys
        if keys.size == 0:
            return np.full(word.shape, -1, dtype=np.int64)
        query = prefix * self.vocab_size + word  # (Q,)
        rows = np.minimum(np.searchsorted(keys, query), keys.size - 1)
        return np.where((prefix >= 0) & (keys[rows] == query), rows, -1)

    def ngram_words(self, n: int, rows: np.ndarray) -> np.ndarray:
        """(R, n) word ids of the given rows of order n, found by following the prefixes."""
        words = np.empty((rows.size, n), dtype=np.int64)
        for k in range(n - 1, -1, -1):
            table = self.orders[k]
            words[:, k] = table.word[rows]
            rows = table.prefix[rows]
        return words
