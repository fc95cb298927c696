"""N-gram counting in bounded memory: per-chunk sorted runs on disk, merged order by order.

As in ``counts.count_ngrams``, the n-gram ending at position i is keyed ``prefix * V + word``
with ``prefix`` the row, among the (n-1)-grams, of the (n-1)-gram ending at i-1, so rows come
out in lexicographic order of the word ids. The corpus is cut into chunks of whole sentences that
fit the budget; each chunk's n-grams become one sorted run (a spill file) and the runs of an order
are merged into its table. Every chunk keeps, for the next order, the run row of each of its
n-grams (``inv``) and the merge gives each run row its table row (``row``), so the (n-1)-gram
ids of a chunk are rebuilt from two small files instead of a corpus-sized array.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from .budget import SORT_THREADS, Budget
from .corpus import BOS_ID
from .corpus_stream import StreamedCorpus
from .spill import RECORD, TempSpace, append, merge_runs, read_blocks, sorted_run


@dataclass
class CountedOrder:
    """One order's table on disk: RECORD rows in key order (unigrams: none, row == word id)."""

    n: int
    size: int
    records: Path | None
    continuation: Path | None = None  # (size,) int64 N1+(. g) of each row, below the highest order
    runs: int = 0
    raw: np.ndarray | None = field(default=None, repr=False)  # unigrams only: (V,) raw counts


class _Counter:
    def __init__(self, corpus: StreamedCorpus, order: int, budget: Budget, space: TempSpace) -> None:
        self.corpus, self.order, self.space = corpus, order, space
        self.vocab_size = len(corpus.vocab)
        # Resident while counting: the corpus and the continuation counts of the order below (at
        # most one int64 per position). The chunks are the same for every order.
        resident = corpus.seq.nbytes + 8 * corpus.seq.size
        self.bounds = corpus.sentence_bounds(budget.count_positions(resident=resident))
        self.budget = budget
        self.pool: ThreadPoolExecutor | None = None  # sorts each chunk's halves in parallel while counting

    def _file(self, kind: str, n: int, chunk: int | None = None) -> Path:
        return self.space.path(f"{kind}.{n}" if chunk is None else f"{kind}.{n}.{chunk}")

    def _context_ids(self, n: int, chunk: int, depth: np.ndarray) -> np.ndarray:
        """(L,) int64 row of the (n-1)-gram ending at each position of the chunk (-1: none)."""
        a, b = self.bounds[chunk], self.bounds[chunk + 1]
        if n == 2:
            return self.corpus.seq[a:b].astype(np.int64)
        ids = np.full(b - a, -1, dtype=np.int64)
        inverse = np.fromfile(self._file("inv", n - 1, chunk), dtype=np.int32)
        if self.counted[n - 2].runs > 1:  # one run is the table itself: its rows are the table's rows
            inverse = np.fromfile(self._file("row", n - 1, chunk), dtype=np.int64)[inverse]
        ids[np.flatnonzero(depth >= n - 2)] = inverse
        return ids

    def count(self, n: int, lower_size: int) -> CountedOrder:
        seq, last = self.corpus.seq, n == self.order
        runs = []
        for chunk in range(self.bounds.size - 1):
            a, b = int(self.bounds[chunk]), int(self.bounds[chunk + 1])
            depth = self.corpus.depth(a, b)
            ends = np.flatnonzero(depth >= n - 1)  # (E,) positions where an n-gram ends
            if ends.size == 0:  # then the chunk has no n-grams of higher orders either
                continue
            ids = self._context_ids(n, chunk, depth)
            del depth  # each array goes as soon as it is used: they make the chunk's peak memory
            keys = ids[ends - 1] * self.vocab_size + seq[a:b][ends]
            suffix = ids[ends]
            del ids
            run, inverse = sorted_run(keys, suffix, a + ends, self.pool)
            del keys, suffix
            runs.append((chunk, self._file("run", n, chunk)))
            append(runs[-1][1], run)
            if not last:
                append(self._file("inv", n, chunk), inverse.astype(np.int32))
        self.space.note_usage()
        for chunk in range(self.bounds.size - 1):
            for kind in ("inv", "row"):
                self._file(kind, n - 1, chunk).unlink(missing_ok=True)
        return self._merge(n, runs, lower_size, last)

    def _merge(self, n: int, runs: list[tuple[int, Path]], lower_size: int, last: bool) -> CountedOrder:
        records = self._file("ngrams", n)
        records.touch()
        continuation = np.zeros(lower_size, dtype=np.int64)  # (G_{n-1},) distinct left extensions
        size = 0
        block = self.budget.merge_rows(len(runs), resident=self.corpus.seq.nbytes + continuation.nbytes)
        if len(runs) == 1:
            runs[0][1].replace(records)
            merged_blocks: Iterator[tuple[np.ndarray, list[np.ndarray]]] = (
                (part, []) for part in read_blocks(records, RECORD, block))
        else:
            merged_blocks = merge_runs([path for _, path in runs], block) if runs else iter(())
        for merged, rows in merged_blocks:
            if len(runs) > 1:
                append(records, merged)
            np.add.at(continuation, merged["suffix"], 1)
            size += merged.size
            if not last:
                for (chunk, _), run_rows in zip(runs, rows):
                    append(self._file("row", n, chunk), run_rows)
        self.space.note_usage()
        for _, path in runs:
            path.unlink(missing_ok=True)
        lower = self._file("continuation", n - 1)
        continuation.tofile(lower)
        self.counted[-1].continuation = lower
        return CountedOrder(n=n, size=size, records=records, runs=len(runs))

    def run(self) -> list[CountedOrder]:
        raw = np.bincount(self.corpus.seq, minlength=self.vocab_size).astype(np.int64)
        raw[BOS_ID] = 0  # <s> is never predicted
        self.counted = [CountedOrder(n=1, size=self.vocab_size, records=None, raw=raw)]
        for n in range(2, self.order + 1):
            self.counted.append(self.count(n, self.counted[-1].size))
        return self.counted


def count_external(corpus: StreamedCorpus, order: int, budget: Budget, space: TempSpace) -> list[CountedOrder]:
    """Count every n-gram (n = 1..order) of the padded sentences, one table file per order."""
    counter = _Counter(corpus, order, budget, space)
    with ThreadPoolExecutor(SORT_THREADS) as counter.pool:
        return counter.run()

