"""External sorting: sorted runs of n-gram records spilled to temporary files and merged.

A run is a file of RECORD rows with distinct keys in increasing order. ``merge_runs`` merges
runs block by block without a per-row heap: each round reads a block from every run, takes from
each the rows with keys up to the smallest last key among the blocks of runs not yet exhausted
(no later row can sort before it), sorts that union with numpy and sums the counts of equal keys.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import RnnlabError

PARALLEL_SORT_MIN = 1 << 16  # below this a second thread costs more than it saves
# key: packed (prefix row, word); rep: a position in the corpus where the n-gram ends; count:
# occurrences; suffix: row of the n-gram without its first word in the order below (both below
# 2^31 for corpora of fewer positions, which external_count.py checks).
RECORD = np.dtype([("key", "<i8"), ("rep", "<i8"), ("count", "<i4"), ("suffix", "<i4")])
MAX_POSITIONS = 2**31 - 1
ROW = np.int32  # a row of a table (fewer than MAX_POSITIONS)


class TempSpace:
    """A private temporary folder, removed with everything in it when the ``with`` block ends."""

    def __init__(self, parent: str | os.PathLike[str]) -> None:
        self.parent = Path(parent)
        self.root: Path | None = None
        self.peak_bytes = 0

    def __enter__(self) -> "TempSpace":
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
            self.root = Path(tempfile.mkdtemp(prefix=".rnnlab-ngram-", dir=self.parent))
        except OSError as exc:
            raise RnnlabError(f"cannot create temporary files in {self.parent}: {exc.strerror}; "
                              "give a writable folder with --temp-dir") from exc
        return self

    def __exit__(self, *exc: object) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)

    def path(self, name: str) -> Path:
        assert self.root is not None
        return self.root / name

    def note_usage(self) -> None:
        """Record the folder's current size if it is the largest so far."""
        assert self.root is not None
        used = sum(entry.stat().st_size for entry in os.scandir(self.root))
        self.peak_bytes = max(self.peak_bytes, used)


def append(path: Path, array: np.ndarray) -> None:
    with open(path, "ab") as out:
        array.tofile(out)


def read_blocks(path: Path, dtype: np.dtype, rows: int) -> Iterator[np.ndarray]:
    """The rows of a raw array file, ``rows`` at a time."""
    with open(path, "rb") as source:
        while True:
            block = np.fromfile(source, dtype=dtype, count=rows)
            if block.size == 0:
                return
            yield block


def parallel_argsort(keys: np.ndarray, pool: ThreadPoolExecutor | None) -> np.ndarray:
    """A sorting permutation of ``keys``, sorted as two halves on two threads when ``pool`` is given.

    Keys below a pivot (the median of a sample of them) and the others are sorted apart (numpy releases
    the GIL while sorting); equal keys fall on the same side, so the two orders concatenated sort
    the whole array.
    """
    if pool is None or keys.size < PARALLEL_SORT_MIN:
        return np.argsort(keys)
    sample = np.sort(keys[:: max(1, keys.size // 1024)])
    pivot = sample[sample.size // 2]
    halves = [np.flatnonzero(keys < pivot), np.flatnonzero(keys >= pivot)]
    orders = pool.map(lambda rows: rows[np.argsort(keys[rows])], halves)
    return np.concatenate(list(orders))


def parallel_sort(values: np.ndarray, pool: ThreadPoolExecutor | None) -> None:
    """Sort ``values`` in place; given ``pool``, as two halves split by a partition, on two threads."""
    if pool is None or values.size < PARALLEL_SORT_MIN:
        values.sort()
        return
    middle = values.size // 2
    values.partition(middle)  # everything before the middle is at most everything after it
    list(pool.map(np.ndarray.sort, (values[:middle], values[middle:])))


class Scratch:
    """Arrays kept by name from one chunk (or order) to the next. Memory the process has touched
    once is reused instead of being mapped afresh: every new page costs a fault (a third of the
    time of counting, when each chunk's arrays were new)."""

    def __init__(self) -> None:
        self.buffers: dict[str, np.ndarray] = {}

    def take(self, name: str, size: int, dtype: np.dtype | type) -> np.ndarray:
        """(size,) uninitialised array of ``dtype``, the same memory until ``name`` is taken again."""
        dtype = np.dtype(dtype)
        buffer = self.buffers.get(name)
        if buffer is None or buffer.size < size * dtype.itemsize:
            self.buffers.pop(name, None)  # the old one goes first
            buffer = self.buffers[name] = np.empty(size * dtype.itemsize, dtype=np.uint8)
        return buffer[: size * dtype.itemsize].view(dtype)

    def arange(self, size: int) -> np.ndarray:
        """(size,) int64 0 .. size - 1 (not to be written to)."""
        numbers = self.buffers.get("arange")
        if numbers is None or numbers.size < 8 * size:
            self.buffers.pop("arange", None)
            numbers = self.buffers["arange"] = np.arange(size, dtype=np.int64).view(np.uint8)
        return numbers[: 8 * size].view(np.int64)


def packed_order(keys: np.ndarray, pool: ThreadPoolExecutor | None,
                 scratch: Scratch | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """``keys`` sorted and the position each came from, by sorting ``key << b | position`` as uint64
    (b bits hold a position): a third of the time of an argsort. None if the keys are negative or
    too wide for that. Given ``scratch``, the (contiguous int64) keys are sorted in place."""
    index_bits = max(1, int(keys.size - 1).bit_length())
    if keys.size == 0 or int(keys.min()) < 0 or int(keys.max()).bit_length() + index_bits > 64:
        return None
    packed = keys.astype(np.uint64) if scratch is None else keys.view(np.uint64)
    scratch = scratch or Scratch()
    packed <<= np.uint64(index_bits)
    packed |= scratch.arange(keys.size).view(np.uint64)
    parallel_sort(packed, pool)
    position = np.bitwise_and(packed, np.uint64((1 << index_bits) - 1), out=scratch.take("position", keys.size, np.uint64))
    packed >>= np.uint64(index_bits)
    return packed.view(np.int64), position.view(np.int64)


def group(keys: np.ndarray, pool: ThreadPoolExecutor | None = None,
          scratch: Scratch | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct values of ``keys`` in increasing order, as (D,) the position of one occurrence of
    each, (D,) the number of occurrences of each, and (K,) the rank among them of every key. Given
    ``scratch``, the results are its arrays and ``keys`` is overwritten."""
    size = keys.size
    packed = packed_order(keys, pool, scratch)
    scratch = scratch or Scratch()
    if packed is None:
        position = parallel_argsort(keys, pool)
        ordered = keys[position]
    else:
        ordered, position = packed
    new = scratch.take("new", size, bool)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    distinct = int(np.count_nonzero(new))
    firsts = np.compress(new, scratch.arange(size), out=scratch.take("firsts", distinct, np.int64))
    rank = np.cumsum(new, out=ordered)  # the sorted keys are no longer needed
    rank -= 1
    inverse = scratch.take("inverse", size, np.int32 if size < 2**31 else np.int64)
    inverse[position] = rank
    at = np.take(position, firsts, out=scratch.take("at", distinct, np.int64), mode="clip")
    counts = scratch.take("counts", distinct, np.int64)
    np.subtract(firsts[1:], firsts[:-1], out=counts[:-1])
    counts[-1:] = size - firsts[-1:]
    return at, counts, inverse


class _Run:
    def __init__(self, path: Path, block: int) -> None:
        self.source = open(path, "rb")
        self.block = block
        self.buffer = np.empty(0, dtype=RECORD)
        self.exhausted = False

    def fill(self) -> None:
        if not self.exhausted and self.buffer.size < self.block:
            more = np.fromfile(self.source, dtype=RECORD, count=self.block - self.buffer.size)
            self.exhausted = more.size < self.block - self.buffer.size
            self.buffer = np.concatenate([self.buffer, more]) if self.buffer.size else more

    def take(self, cutoff: int | None) -> np.ndarray:
        stop = self.buffer.size if cutoff is None else int(np.searchsorted(self.buffer["key"], cutoff, "right"))
        taken, self.buffer = self.buffer[:stop], self.buffer[stop:]
        return taken

    def close(self) -> None:
        self.source.close()


def merge_runs(paths: list[Path], block: int) -> Iterator[tuple[np.ndarray, list[np.ndarray]]]:
    """Merged records in key order, with, for every run, the merged row of each row it gave."""
    runs = [_Run(path, block) for path in paths]
    start = 0
    try:
        while True:
            for run in runs:
                run.fill()
            open_ends = [int(r.buffer["key"][-1]) for r in runs if not r.exhausted and r.buffer.size]
            cutoff = min(open_ends) if open_ends else None
            parts = [run.take(cutoff) for run in runs]
            union = np.concatenate(parts)
            if union.size == 0:
                return
            keys = union["key"]
            packed = packed_order(keys, None)
            order = np.argsort(keys) if packed is None else packed[1]
            ordered = keys[order] if packed is None else packed[0]
            new = np.empty(ordered.size, dtype=bool)
            new[:1] = True
            np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
            firsts = np.flatnonzero(new)
            merged = union[order[firsts]]
            merged["count"] = np.add.reduceat(union["count"][order], firsts)
            rows = np.empty(union.size, dtype=ROW)
            rows[order] = start + np.cumsum(new) - 1
            start += firsts.size
            yield merged, np.split(rows, np.cumsum([p.size for p in parts])[:-1])
    finally:
        for run in runs:
            run.close()
