"""N-gram counting in bounded memory: per-chunk sorted runs on disk, merged order by order.

As in ``counts.count_ngrams``, the n-gram ending at position i is keyed ``prefix * V + word``
with ``prefix`` the row, among the (n-1)-grams, of the (n-1)-gram ending at i-1, so rows come
out in lexicographic order of the word ids. The corpus is cut into chunks of whole sentences that
fit the budget; each chunk's n-grams become one sorted run (a spill file) and the runs of an order
are merged into its table. Every chunk keeps, for the next order, the run row of each of its
n-grams (``inv``) and the merge gives each run row its table row (``row``). A chunk's n-grams are
sorted by (run row of the prefix, word), which orders them as the table keys do (run rows follow
table rows) in fewer bits; the table keys are then formed for the distinct n-grams only.

Below the highest order, an n-gram's adjusted count is its continuation count N1+(. g), except for
n-grams that start with ``<s>``, which keep their raw count (KenLM's convention). Those are
exactly the n-grams whose continuation count is 0: any other occurrence has a word before it, so
some (n+1)-gram ends with it. They are also one stretch of rows (the table is in lexicographic
order), found from the stretch of the order below. Counts-of-counts for the discounts are thus
taken while counting.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import ConfigError
from .budget import MAX_MERGE_ROWS, SORT_THREADS, Budget
from .corpus import BOS_ID
from .corpus_stream import StreamedCorpus
from .kneser_ney import counts_of_counts
from .spill import MAX_POSITIONS, RECORD, ROW, Scratch, TempSpace, append, group, merge_runs, read_blocks

CONTINUATION = np.int32  # N1+(. g) is at most the vocabulary size


@dataclass
class CountedOrder:
    """One order's table on disk: RECORD rows in key order (unigrams: none, row == word id)."""

    n: int
    size: int
    records: Path | None
    continuation: Path | None = None  # (size,) CONTINUATION N1+(. g) of each row, below the highest order
    runs: int = 0
    raw: np.ndarray | None = field(default=None, repr=False)  # unigrams only: (V,) raw counts
    bos_rows: tuple[int, int] = (BOS_ID, BOS_ID + 1)  # the rows [start, stop) of n-grams starting with <s>
    # (5,) n[k] n-grams with adjusted count k (n[0] unused); below the highest order, first the raw
    # counts of the n-grams starting with <s>, then complete once the order above is counted.
    counts_of_counts: np.ndarray = field(default_factory=lambda: np.zeros(5, dtype=np.int64), repr=False)


class _Counter:
    def __init__(self, corpus: StreamedCorpus, order: int, budget: Budget, space: TempSpace) -> None:
        self.corpus, self.order, self.space = corpus, order, space
        self.vocab_size = len(corpus.vocab)
        if corpus.seq.size > MAX_POSITIONS:
            raise ConfigError(f"the corpus has {corpus.seq.size:,} words and sentence markers; n-gram fits take "
                              f"at most {MAX_POSITIONS:,}")
        # Resident while counting: the corpus and the continuation counts of the order below (at
        # most one per position). The chunks are the same for every order.
        resident = corpus.seq.nbytes + np.dtype(CONTINUATION).itemsize * corpus.seq.size
        self.bounds = corpus.sentence_bounds(budget.count_positions(resident=resident))
        self.budget = budget
        self.pool: ThreadPoolExecutor | None = None  # sorts each chunk's halves in parallel while counting
        self.scratch = Scratch()  # the arrays of a chunk, reused by the next

    def _file(self, kind: str, n: int, chunk: int | None = None) -> Path:
        return self.space.path(f"{kind}.{n}" if chunk is None else f"{kind}.{n}.{chunk}")

    def _where(self, name: str, condition: np.ndarray) -> np.ndarray:
        """(K,) int64 indices where ``condition`` holds, in a scratch array."""
        count = int(np.count_nonzero(condition))
        return np.compress(condition, self.scratch.arange(condition.size), out=self.scratch.take(name, count, np.int64))

    def _read(self, name: str, path: Path, dtype: type) -> np.ndarray:
        """A whole file of ``dtype`` values into a scratch array."""
        values = self.scratch.take(name, path.stat().st_size // np.dtype(dtype).itemsize, dtype)
        with open(path, "rb") as source:
            source.readinto(values.data)
        return values

    def _run(self, n: int, chunk: int) -> np.ndarray | None:
        """The chunk's n-grams as one run of RECORD rows in key order (None if it has none; a scratch
        array otherwise); their run rows at every n-gram end are saved for the next order."""
        a, b = int(self.bounds[chunk]), int(self.bounds[chunk + 1])
        scratch, seq = self.scratch, self.corpus.seq[a:b]
        depth = self.corpus.depth(a, b, out=scratch.take("depth", b - a, np.int64), numbers=scratch.arange(b - a))
        mask = scratch.take("mask", b - a, bool)
        ends = self._where("ends", np.greater_equal(depth, n - 1, out=mask))  # (E,) where n-grams end
        if ends.size == 0:  # then the chunk has no n-grams of higher orders either
            return None
        # (L,) run row of the (n-1)-gram ending at each position where one ends (word ids for n = 2).
        rows = seq
        if n > 2:
            rows = scratch.take("rows", b - a, np.int32)
            rows[np.greater_equal(depth, n - 2, out=mask)] = self._read("inv", self._file("inv", n - 1, chunk), np.int32)
        before = np.subtract(ends, 1, out=scratch.take("before", ends.size, np.int64))
        prefix = np.take(rows, before, out=scratch.take("prefix", ends.size, rows.dtype), mode="clip")
        word = np.take(seq, ends, out=scratch.take("word", ends.size, seq.dtype), mode="clip")
        keys = np.multiply(prefix, self.vocab_size, out=scratch.take("keys", ends.size, np.int64), dtype=np.int64)
        keys += word
        at, counts, inverse = group(keys, self.pool, scratch)
        if n < self.order:
            append(self._file("inv", n, chunk), inverse)
        run = scratch.take("run", at.size, RECORD)
        table = self._table_rows(n - 1, chunk)
        end_at = np.take(ends, at, out=before[: at.size], mode="clip")  # where each distinct n-gram ends
        prefix_at = np.take(prefix, at, out=scratch.take("prefix_at", at.size, rows.dtype), mode="clip")
        if table is not None:
            prefix_at = np.take(table, prefix_at, out=scratch.take("table_at", at.size, table.dtype), mode="clip")
        np.multiply(prefix_at, self.vocab_size, out=run["key"], dtype=np.int64)
        run["key"] += np.take(word, at, mode="clip")
        suffix = np.take(rows, end_at, out=prefix_at, mode="clip")  # the run row of the (n-1)-gram ending there
        run["suffix"] = suffix if table is None else np.take(table, suffix, mode="clip")
        run["count"] = counts
        np.add(end_at, a, out=run["rep"])
        return run

    def _table_rows(self, n: int, chunk: int) -> np.ndarray | None:
        """The table row of every run row of order n in the chunk; None when they are the same."""
        if n == 1 or self.counted[n - 1].runs == 1:
            return None
        return self._read("table", self._file("row", n, chunk), ROW)

    def count(self, n: int) -> CountedOrder:
        runs: list[tuple[int, np.ndarray | Path]] = []
        for chunk in range(self.bounds.size - 1):
            run = self._run(n, chunk)
            if run is not None:
                runs.append((chunk, run))
                if self.bounds.size > 2:  # several chunks: every run waits on disk for the merge
                    append(self._file("run", n, chunk), run)
                    runs[-1] = (chunk, self._file("run", n, chunk))
        self.space.note_usage()
        for chunk in range(self.bounds.size - 1):
            for kind in ("inv", "row"):
                self._file(kind, n - 1, chunk).unlink(missing_ok=True)
        if len(runs) > 1:  # the merge's blocks take the memory of the chunks' arrays
            self.scratch = Scratch()
        return self._merge(n, runs)

    def _merged(self, n: int, runs: list[tuple[int, np.ndarray | Path]]) -> Iterator[np.ndarray]:
        """The table of order n in key order, block by block; the table row of every run row is
        saved per chunk (``row``) when there are several runs."""
        block = min(MAX_MERGE_ROWS, self.budget.merge_rows(len(runs), resident=self._resident()))
        paths = [path for _, path in runs if isinstance(path, Path)]
        if len(runs) <= 1:  # the table itself: its run rows are its rows
            for _, run in runs:
                yield from [run] if isinstance(run, np.ndarray) else read_blocks(run, RECORD, block)
        else:
            for merged, rows in merge_runs(paths, block):
                if n < self.order:
                    for (chunk, _), run_rows in zip(runs, rows):
                        append(self._file("row", n, chunk), run_rows)
                yield merged
        for path in paths:
            path.unlink()

    def _resident(self) -> int:
        return self.corpus.seq.nbytes + np.dtype(CONTINUATION).itemsize * self.counted[-1].size

    def _merge(self, n: int, runs: list[tuple[int, np.ndarray | Path]]) -> CountedOrder:
        records = self._file("ngrams", n)
        records.touch()
        lower = self.counted[-1]
        continuation = np.zeros(lower.size, dtype=CONTINUATION)  # (G_{n-1},) distinct left extensions
        table = CountedOrder(n=n, size=0, records=records, runs=len(runs))
        # The n-grams starting with <s>: those whose prefix starts with it.
        bos_keys = np.array(lower.bos_rows) * self.vocab_size
        first_bos, last_bos = 0, 0
        for merged in self._merged(n, runs):
            append(records, merged)
            np.add.at(continuation, merged["suffix"], CONTINUATION(1))  # 1 of the same type: no buffering
            if n == self.order:
                table.counts_of_counts += counts_of_counts(merged["count"])
            else:
                start, stop = np.searchsorted(merged["key"], bos_keys)
                table.counts_of_counts += counts_of_counts(merged["count"][start:stop])
                if stop > start:
                    first_bos = table.size + start if first_bos == last_bos else first_bos
                    last_bos = table.size + stop
            table.size += merged.size
        table.bos_rows = (int(first_bos), int(last_bos))
        self.space.note_usage()
        lower.continuation = self._file("continuation", n - 1)
        continuation.tofile(lower.continuation)
        if lower.raw is not None:  # unigrams
            lower.counts_of_counts = counts_of_counts(np.where(continuation > 0, continuation, lower.raw))
        else:
            lower.counts_of_counts += counts_of_counts(continuation)  # those starting with <s> land in n[0]
        return table

    def run(self) -> list[CountedOrder]:
        raw = np.bincount(self.corpus.seq, minlength=self.vocab_size).astype(np.int64)
        raw[BOS_ID] = 0  # <s> is never predicted
        self.counted = [CountedOrder(n=1, size=self.vocab_size, records=None, raw=raw)]
        if self.order == 1:
            self.counted[0].counts_of_counts = counts_of_counts(raw)
        for n in range(2, self.order + 1):
            self.counted.append(self.count(n))
        return self.counted


def count_external(corpus: StreamedCorpus, order: int, budget: Budget, space: TempSpace) -> list[CountedOrder]:
    """Count every n-gram (n = 1..order) of the padded sentences, one table file per order."""
    counter = _Counter(corpus, order, budget, space)
    with ThreadPoolExecutor(SORT_THREADS) as counter.pool:
        return counter.run()
