"""Parsing the n-gram lines of ARPA sections into arrays.

``parse_fast`` works on raw bytes with numpy: fields are located from separator positions,
numbers are decoded column by column, and word spans are matched by 64-bit polynomial hashes
computed from prefix sums, H(s, e) = sum_{s <= i < e} b_i M^(e-1-i) mod 2^64 = M^(e-1) (S[e] - S[s])
with S[i] = sum_{k < i} b_k M^-k. The first n-1 words of an n-gram are looked up as one span
among the (n-1)-grams, the last word in the vocabulary. Anything irregular makes it return
None; ``parse_lines`` is then the line-by-line path that names the offending line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import CorpusError

_M = 0x100000001B3
_M_INV = pow(_M, -1, 1 << 64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_CHUNK_BYTES = 1 << 22
_NEWLINE, _TAB, _SPACE, _CR, _DOT, _MINUS = 10, 9, 32, 13, 46, 45


class SpanHasher:
    """Powers of M and M^-1 (grown on demand) for span hashes of byte arrays."""

    def __init__(self) -> None:
        self.pow = np.ones(1, dtype=np.uint64)
        self.inv = np.ones(1, dtype=np.uint64)

    def reserve(self, size: int) -> None:
        if size > self.pow.size:
            self.pow, self.inv = np.empty(size, dtype=np.uint64), np.empty(size, dtype=np.uint64)
            self.pow[0], self.pow[1:] = 1, np.uint64(_M)
            self.inv[0], self.inv[1:] = 1, np.uint64(_M_INV)
            np.cumprod(self.pow, out=self.pow)
            np.cumprod(self.inv, out=self.inv)

    def prefix_sums(self, data: np.ndarray) -> np.ndarray:
        """(L+1,) S[i] = sum_{k<i} data[k] M^-k (mod 2^64)."""
        self.reserve(data.size + 1)
        sums = np.zeros(data.size + 1, dtype=np.uint64)
        np.cumsum(data.astype(np.uint64) * self.inv[: data.size], out=sums[1:])
        return sums

    def spans(self, sums: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """(R,) hash of each non-empty span [start, end), mixed with its length."""
        raw = (sums[end] - sums[start]) * self.pow[end - 1]
        return (raw ^ (end - start).astype(np.uint64)) * _MIX

    def strings(self, words: list[str]) -> np.ndarray:
        encoded = [w.encode("utf-8") for w in words]
        lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
        ends = np.cumsum(lengths)
        sums = self.prefix_sums(np.frombuffer(b"".join(encoded), dtype=np.uint8))
        return self.spans(sums, ends - lengths, ends)


class HashIndex:
    """Linear-probing table from distinct uint64 hashes to rows, built without a Python loop.

    Hashes sorted by home slot take positions p_i = max(home_i, p_(i-1) + 1), i.e.
    p = i + running max of (home - i); the table extends past its last home slot instead of
    wrapping around and ends with an empty slot.
    """

    def __init__(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        bits = max(4, int(2 * max(hashes.size, 1) - 1).bit_length())
        self.shift = np.uint64(64 - bits)
        order = np.argsort(hashes)  # also orders by home slot
        ordered = hashes[order]
        self.unique = bool((ordered[1:] != ordered[:-1]).all())
        rank = np.arange(hashes.size)
        place = np.maximum.accumulate(self._home(ordered) - rank) + rank if hashes.size else rank
        size = max(int(place[-1]) + 2 if hashes.size else 0, (1 << bits) + 1)  # every home slot, then one empty
        self.keys = np.zeros(size, dtype=np.uint64)
        self.rows = np.full(size, -1, dtype=np.int64)
        self.keys[place], self.rows[place] = ordered, rows[order]

    def _home(self, hashes: np.ndarray) -> np.ndarray:
        return (hashes >> self.shift).astype(np.int64)

    def get(self, hashes: np.ndarray) -> np.ndarray:
        """(Q,) row of each hash, -1 where absent."""
        found = np.full(hashes.size, -1, dtype=np.int64)
        active = np.arange(hashes.size)
        slot = self._home(hashes)
        while active.size:
            rows = self.rows[slot]
            hit = (rows >= 0) & (self.keys[slot] == hashes[active])
            found[active[hit]] = rows[hit]
            go_on = ~hit & (rows >= 0)
            active, slot = active[go_on], slot[go_on] + 1
        return found


def parse_decimals(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray | None:
    """Numbers written ``-?digits[.digits]`` (others via numpy's parser); None if unreadable."""
    width = int(lengths.max())
    cols = np.arange(width)[:, None]
    text = data[np.minimum(starts[None, :] + cols, data.size - 1)]  # (W, R): one row per character column
    text[cols >= lengths[None, :]] = 0
    digit = text - np.uint8(48)  # wraps for non-digits
    is_digit = digit < 10
    is_dot = text == _DOT
    allowed = is_digit | is_dot | (text == 0)
    allowed[0] |= text[0] == _MINUS
    simple = allowed.all() and width <= 17 and (is_dot.sum(axis=0) <= 1).all() and is_digit.any(axis=0).all()
    if not simple:
        try:
            return np.ascontiguousarray(text.T).view(f"S{width}").reshape(-1).astype(np.float64)
        except ValueError:
            return None
    mantissa = np.zeros(starts.size, dtype=np.int64)
    decimals = np.zeros(starts.size, dtype=np.int64)
    after_dot = np.zeros(starts.size, dtype=bool)
    for j in range(width):
        mantissa = np.where(is_digit[j], mantissa * 10 + digit[j], mantissa)
        decimals += is_digit[j] & after_dot
        after_dot |= is_dot[j]
    value = mantissa / 10.0**decimals
    return np.where(text[0] == _MINUS, -value, value)


@dataclass(frozen=True)
class FastSection:
    prefix: np.ndarray  # (G,) int64 row of the first n-1 words among the (n-1)-grams
    word: np.ndarray  # (G,) int64 id of the last word
    logprob: np.ndarray  # (G,) float64
    backoff: np.ndarray  # (G,) float64, 0 where the line has none
    span: np.ndarray  # (G,) uint64 hash of the words "w1 .. wn" as written


def _parse_chunk(data: np.ndarray, n: int, hasher: SpanHasher, words: HashIndex,
                 prefixes: HashIndex) -> FastSection | None:
    if data[-1] != _NEWLINE:
        data = np.append(data, np.uint8(_NEWLINE))
    is_newline = data == _NEWLINE
    ends = np.flatnonzero(is_newline | (data == _TAB) | (data == _SPACE))  # (F,) end of each field
    starts = np.empty_like(ends)
    starts[0], starts[1:] = 0, ends[:-1] + 1
    if (ends == starts).any() or (data == _CR).any():
        return None
    line = np.zeros(ends.size, dtype=np.int64)
    np.cumsum(is_newline[ends[:-1]], out=line[1:])  # (F,) line of each field
    per_line = np.bincount(line)
    if not ((per_line == n + 1) | (per_line == n + 2)).all():
        return None
    column = np.arange(ends.size) - (np.cumsum(per_line) - per_line)[line]  # (F,) field index in its line
    sums = hasher.prefix_sums(data)
    first_word, last_word = starts[column == 1], column == n
    word = words.get(hasher.spans(sums, starts[last_word], ends[last_word]))
    prefix = prefixes.get(hasher.spans(sums, first_word, ends[column == n - 1]))
    has_backoff = column == n + 1
    probs = parse_decimals(data, starts[column == 0], ends[column == 0] - starts[column == 0])
    backoff = np.zeros(per_line.size)
    if has_backoff.any():
        values = parse_decimals(data, starts[has_backoff], ends[has_backoff] - starts[has_backoff])
        if values is None:
            return None
        backoff[line[has_backoff]] = values
    if probs is None or (word < 0).any() or (prefix < 0).any():
        return None
    span = hasher.spans(sums, first_word, ends[last_word])
    return FastSection(prefix=prefix, word=word, logprob=probs, backoff=backoff, span=span)


def parse_fast(data: bytes, start: int, end: int, n: int, hasher: SpanHasher, words: HashIndex,
               prefixes: HashIndex) -> FastSection | None:
    """Parse the lines ``data[start:end]`` of the section of order n >= 2; None if anything looks irregular.

    ``prefixes`` maps span hashes of the (n-1)-grams to their rows (the vocabulary when n == 2).
    """
    if end <= start or not words.unique or not prefixes.unique:
        return None
    bounds = [start]
    while bounds[-1] < end:
        stop = data.find(b"\n", min(bounds[-1] + _CHUNK_BYTES, end - 1), end)
        bounds.append(end if stop < 0 else stop + 1)
    hasher.reserve(max(b - a for a, b in zip(bounds, bounds[1:])) + 2)
    parts: list[FastSection] = []
    for begin, stop in zip(bounds, bounds[1:]):
        part = _parse_chunk(np.frombuffer(data, dtype=np.uint8, count=stop - begin, offset=begin), n, hasher,
                            words, prefixes)
        if part is None:
            return None
        parts.append(part)
    return FastSection(*(np.concatenate([getattr(p, f) for p in parts]) for f in FastSection.__dataclass_fields__))


@dataclass(frozen=True)
class Section:
    ids: np.ndarray  # (G, n) int64 word ids, -1 for a word missing from the vocabulary
    logprob: np.ndarray  # (G,) float64
    backoff: np.ndarray  # (G,) float64, 0 where the line has none
    first_words: list[str]


def parse_lines(lines: list[str], n: int, index: dict[str, int],
                fail: Callable[[str, int], CorpusError]) -> Section:
    """Line-by-line parse; ``fail(message, line_offset)`` builds the error to raise."""
    count = len(lines)
    probs = np.empty(count)
    backoffs = np.zeros(count)
    ids = np.empty((count, n), dtype=np.int64)
    first_words: list[str] = []
    for i, line in enumerate(lines):
        fields = line.split()
        if len(fields) not in (n + 1, n + 2):
            raise fail(f"expected a log10 probability, {n} word(s) and an optional backoff, got '{line}'", i)
        try:
            probs[i] = float(fields[0])
            if len(fields) == n + 2:
                backoffs[i] = float(fields[-1])
        except ValueError:
            raise fail(f"bad number in '{line}'", i) from None
        ids[i] = [index.get(w, -1) for w in fields[1 : n + 1]]
        first_words.append(fields[1])
    bad = np.flatnonzero((ids < 0).any(axis=1)) if n > 1 else np.empty(0, dtype=np.int64)
    if bad.size:
        raise fail(f"the {n}-gram line '{lines[bad[0]]}' uses a word that is not among the unigrams", int(bad[0]))
    return Section(ids=ids, logprob=probs, backoff=backoffs, first_words=first_words)
