"""Adjusted counts, discounts, probabilities and the ARPA file, streamed from counted orders.

Each order is read block by block in key order, blocks cut at context boundaries so that every
context's rows are smoothed together. Held in memory: the corpus and the probabilities of the
order below (looked up by suffix row); those being computed, their log10 and the backoffs go to
temporary files. The ARPA file is written from them while the next orders are estimated, the
n-grams' words read from the corpus at the position where each one ends, and the binary copy at
the same time from the same files.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import numpy as np

from .arpa import FILE_END, SECTION_END, format_lines, header, section_start
from .budget import WRITE_THREADS, Budget
from .corpus_stream import StreamedCorpus
from .external_count import CONTINUATION, CountedOrder
from .binary import write_binary
from .formatting import LineBuilder, as_written
from .parallel import in_order
from .kneser_ney import Discounts, discounts_from, log10_probs, smooth, uniform
from .spill import RECORD, TempSpace, append, read_blocks


class _Stopped(Exception):
    """Another thread of the fit failed; its error is the cause."""


class _Progress:
    """How many orders are estimated, shared by the thread that estimates them and those that write
    them (order n is written once order n + 1 is estimated: that gives its backoffs)."""

    def __init__(self, orders: int) -> None:
        self.orders, self.done = orders, 0
        self.error: BaseException | None = None
        self.changed = threading.Condition()

    def advance(self, n: int) -> None:
        with self.changed:
            self.done = n
            self.changed.notify_all()

    def fail(self, error: BaseException) -> None:
        with self.changed:
            self.error = self.error or error
            self.changed.notify_all()

    def wait(self, n: int) -> None:
        """Until order n can be written."""
        with self.changed:
            self.changed.wait_for(lambda: self.done >= min(n + 1, self.orders) or self.error is not None)
            if self.error is not None:
                raise _Stopped() from self.error


class _Orders:
    def __init__(self, corpus: StreamedCorpus, tables: list[CountedOrder], budget: Budget,
                 space: TempSpace) -> None:
        self.corpus, self.tables, self.space = corpus, tables, space
        self.vocab_size = len(corpus.vocab)
        # Held throughout: the corpus (for the words of the lines) and the probabilities of the order
        # below the one being estimated.
        self.rows = budget.write_rows(resident=corpus.seq.nbytes + 8 * max(t.size for t in tables[:-1] or tables))

    def records(self, n: int) -> Iterator[np.ndarray]:
        table = self.tables[n - 1]
        if table.records is None:  # unigrams: one row per word, keyed by its id
            assert table.raw is not None
            unigrams = np.zeros(table.size, dtype=RECORD)
            unigrams["key"] = unigrams["rep"] = np.arange(table.size)
            unigrams["count"], unigrams["suffix"] = table.raw, -1
            yield unigrams
        else:
            yield from read_blocks(table.records, RECORD, self.rows)

    def with_adjusted(self, n: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Records of order n with their adjusted counts.

        Kneser & Ney (1995); Chen & Goodman (1998), sec. 3.5: below the highest order an n-gram
        counts N1+(. g), the number of distinct words seen before it; n-grams starting with
        ``<s>`` cannot be extended to the left and keep their raw counts, as in KenLM.
        """
        table = self.tables[n - 1]
        continuation = None if table.continuation is None else read_blocks(table.continuation, CONTINUATION, self.rows)
        for block in self.records(n):
            if continuation is None:
                yield block, block["count"]
                continue
            lower = np.concatenate([next(continuation) for _ in range(-(-block.size // self.rows))])
            # 0 exactly for the n-grams starting with <s>, which keep their raw count (external_count.py)
            yield block, np.where(lower > 0, lower, block["count"])

    def by_context(self, n: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``with_adjusted`` cut into blocks that hold whole contexts."""
        carry: tuple[np.ndarray, np.ndarray] | None = None
        for block, adjusted in self.with_adjusted(n):
            if carry is not None:
                block, adjusted = np.concatenate([carry[0], block]), np.concatenate([carry[1], adjusted])
            context = block["key"] // self.vocab_size
            cut = int(np.searchsorted(context, context[-1]))
            carry = (block[cut:], adjusted[cut:])
            if cut:
                yield block[:cut], adjusted[:cut]
        if carry is not None and carry[0].size:
            yield carry

    def estimate(self, discounts: list[Discounts], progress: _Progress) -> None:
        """Write ``logprob.n`` for every order and ``backoff.n`` below the highest, reporting each
        order to ``progress`` once both files of the order below are complete."""
        try:
            lower: np.ndarray | None = None
            for n in range(1, len(self.tables) + 1):
                self._estimate(n, lower, discounts[n - 1])
                del lower  # the probabilities of order n are read once those of n - 1 are gone
                lower = np.fromfile(self.space.path(f"prob.{n}")) if n < len(self.tables) else None
                self.space.path(f"prob.{n}").unlink(missing_ok=True)
                progress.advance(n - 1)
            self.space.note_usage()
            progress.advance(len(self.tables))
        except BaseException as exc:
            progress.fail(exc)
            raise

    def _estimate(self, n: int, lower: np.ndarray | None, discounts: Discounts) -> None:
        """Probabilities of order n (``prob.n`` below the highest order, read by the next), their
        log10 (``logprob.n``) and the backoffs of order n - 1 (``backoff.{n-1}``)."""
        next_context = 0
        logprobs, backoffs = self.space.path(f"logprob.{n}"), self.space.path(f"backoff.{n - 1}")
        logprobs.touch()
        for block, adjusted in self.by_context(n):
            context = block["key"] // self.vocab_size
            new = np.empty(context.size, dtype=bool)
            new[:1], new[1:] = True, context[1:] != context[:-1]
            group = np.cumsum(new) - 1
            below = uniform(self.vocab_size) if lower is None else lower[block["suffix"]]
            prob, backoff = smooth(group, int(group[-1]) + 1, adjusted, discounts, below)
            if n < len(self.tables):  # only lower orders are looked up
                append(self.space.path(f"prob.{n}"), prob)
            append(logprobs, log10_probs(prob, block["key"] if n == 1 else None))
            if n > 1:
                contexts = context[new]
                gap = np.zeros(int(contexts[-1]) + 1 - next_context)
                gap[contexts - next_context] = backoff
                append(backoffs, gap)
                next_context = int(contexts[-1]) + 1
        if n > 1:
            append(backoffs, np.zeros(self.tables[n - 2].size - next_context))

    def _line_inputs(self, n: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        """(log10 probs, word ids, backoffs or None) of order n, block by block."""
        logprobs = read_blocks(self.space.path(f"logprob.{n}"), np.float64, self.rows)
        has_backoff = n < len(self.tables)
        backoffs = read_blocks(self.space.path(f"backoff.{n}"), np.float64, self.rows) if has_backoff else None
        for words in self._word_blocks(n):
            yield next(logprobs), words, None if backoffs is None else next(backoffs)

    def write(self, path: Path, progress: _Progress) -> None:
        """The ARPA file, each order as soon as it is estimated; blocks are formatted on
        WRITE_THREADS threads (numpy releases the GIL) and written in order."""
        builder = LineBuilder(list(self.corpus.vocab))
        with open(path, "wb") as out, ThreadPoolExecutor(WRITE_THREADS) as pool:
            out.write(header([t.size for t in self.tables]))
            for n in range(1, len(self.tables) + 1):
                progress.wait(n)
                out.write(section_start(n))
                inputs = ((builder, *block) for block in self._line_inputs(n))
                for lines in in_order(pool, format_lines, inputs, ahead=WRITE_THREADS):
                    out.write(lines)
                out.write(SECTION_END)
            out.write(FILE_END)

    def _word_blocks(self, n: int) -> Iterator[np.ndarray]:
        """(R, n) word ids of the rows of order n, ``self.rows`` at a time."""
        if n == 1:
            for start in range(0, self.vocab_size, self.rows):
                yield np.arange(start, min(start + self.rows, self.vocab_size))[:, None]
            return
        table = self.tables[n - 1]
        assert table.records is not None
        offsets = np.arange(n) - (n - 1)
        for block in read_blocks(table.records, RECORD, self.rows):
            yield self.corpus.seq[block["rep"][:, None] + offsets].astype(np.int64)


    def write_binary(self, path: Path, progress: _Progress, arpa_bytes: Future[int]) -> None:
        write_binary(path, list(self.corpus.vocab), [t.size for t in self.tables], self._columns(progress),
                     arpa_bytes.result)

    def _columns(self, progress: _Progress) -> Iterator[tuple[str, int, Iterator[np.ndarray]]]:
        for n, table in enumerate(self.tables, 1):
            progress.wait(n)
            yield "key", n, [np.arange(table.size)] if n == 1 else (b["key"] for b in self.records(n))
            for name in ("logprob", "backoff")[: 1 + (n < len(self.tables))]:
                yield name, n, map(as_written, read_blocks(self.space.path(f"{name}.{n}"), np.float64, self.rows))


def estimate_and_write(corpus: StreamedCorpus, tables: list[CountedOrder], fallback: Discounts, budget: Budget,
                       space: TempSpace, path: Path, binary: Path) -> list[Discounts]:
    """Discounts per order (unigrams first); the ARPA model is written to ``path`` and its binary
    copy (binary.py) to ``binary``."""
    orders = _Orders(corpus, tables, budget, space)
    discounts = [discounts_from(table.counts_of_counts, fallback) for table in tables]
    progress, arpa_bytes = _Progress(len(tables)), Future()
    # Orders are estimated on one thread, the binary copy written on another, while this one writes
    # the ARPA file: each order as soon as the order above it is estimated (it gives the backoffs).
    with ThreadPoolExecutor(2) as background:
        tasks = [background.submit(orders.estimate, discounts, progress),
                 background.submit(orders.write_binary, binary, progress, arpa_bytes)]
        try:
            orders.write(path, progress)
            arpa_bytes.set_result(path.stat().st_size)
        except BaseException as exc:
            progress.fail(exc)
            arpa_bytes.set_exception(exc)
            raise exc.__cause__ if isinstance(exc, _Stopped) else exc  # the error of the thread that failed
        for task in tasks:
            task.result()
    return discounts
