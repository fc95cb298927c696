"""Vectorised building of ARPA lines as bytes (for writing large ARPA files quickly).

A block of lines is a matrix of 16-byte slots, one row per line: the log10 probability, each
word with the separator before it, the backoff with its tab, the newline. A slot holds its text
at its start and is zero after it; its length is known from the tables it comes from. Slot i
(in row order) starts in the output at the sum of the lengths of the slots before it, and all
slots are stored at once through a view of the output whose 16-byte elements start one byte
apart: stored in order, each slot overwrites the unused end of the one before. A word longer than
a slot (with its separator) gets the rest of its bytes in a second, byte-wise pass.
"""

from __future__ import annotations

import numpy as np

SLOT = 16  # bytes per slot
_DECIMALS = 7
_WHOLE_LIMIT = 1000  # integer parts come from a table of "0" .. "999"
_NEWLINE = 10


def _scaled(values: np.ndarray) -> np.ndarray:
    """|values| in units of the last written decimal."""
    return np.rint(np.abs(values) * 10**_DECIMALS).astype(np.int64)


def as_written(values: np.ndarray) -> np.ndarray:
    """The numbers that the text written by ``LineBuilder`` reads back as (digits / 10^7, which is
    the same double as the shortened digits over their power of ten)."""
    scaled = _scaled(values)
    return np.where(scaled > 0, np.copysign(scaled / 10.0**_DECIMALS, values), 0.0)


def _words(strings: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(N,) 16-byte slots (as complex128) holding the first SLOT bytes of each string, and (N,) the
    strings' full lengths."""
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    raw = b"".join(s[:SLOT].ljust(SLOT, b"\0") for s in strings)
    return np.frombuffer(raw, dtype=np.complex128).copy(), lengths


def _short(strings: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(N,) uint64 holding strings of at most 8 bytes, and (N,) their lengths."""
    lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    assert lengths.max(initial=0) <= 8
    return np.frombuffer(b"".join(s.ljust(8, b"\0") for s in strings), dtype=np.uint64).copy(), lengths


class ByteTable:
    """Many short byte strings stored back to back in one buffer."""

    def __init__(self, strings: list[bytes]) -> None:
        self.lengths = np.fromiter((len(s) for s in strings), dtype=np.int64, count=len(strings))
        self.begin = np.cumsum(self.lengths) - self.lengths
        self.data = np.frombuffer(b"".join(strings), dtype=np.uint8)


def copy_spans(out: np.ndarray, dest: np.ndarray, source: np.ndarray, begin: np.ndarray, length: np.ndarray) -> None:
    """``out[dest[i] : dest[i] + length[i]] = source[begin[i] : begin[i] + length[i]]`` for every i."""
    ends = np.cumsum(length)
    if not ends.size or not ends[-1]:
        return
    step = np.arange(int(ends[-1])) - np.repeat(ends - length, length)
    out[np.repeat(dest, length) + step] = source[np.repeat(begin, length) + step]


class LineBuilder:
    """Assembles ARPA lines ``log10prob<TAB>w1 w2 .. wn[<TAB>log10backoff]`` for a vocabulary."""

    def __init__(self, vocab: list[str]) -> None:
        words = [w.encode("utf-8") for w in vocab]
        self.first, self.length = _words([b"\t" + w for w in words])  # the first word of a line
        self.rest, _ = _words([b" " + w for w in words])
        # The bytes of long words beyond the first slot (which holds the separator and SLOT - 1 bytes).
        self.tails = ByteTable(words) if (self.length > SLOT).any() else None
        whole = [str(i).encode() for i in range(_WHOLE_LIMIT)]
        self.whole = _short(whole + [b"-" + w for w in whole])  # index + 1000 for negative numbers
        self.tab_whole = _short([b"\t" + w for w in whole] + [b"\t-" + w for w in whole])
        hi_full = [b".%04d" % i for i in range(10_000)]  # the first four decimals, then more follow
        self.hi_full = _short(hi_full)
        self.hi_last = _short([s.rstrip(b"0") if i else b"" for i, s in enumerate(hi_full)])  # nothing follows
        lo, lo_length = _short([(b"%03d" % i).rstrip(b"0") for i in range(1000)])
        self.lo = (lo << np.uint64(40), lo_length)  # after the five bytes of hi_full
        self.newline = np.frombuffer(bytes([_NEWLINE]).ljust(SLOT, b"\0"), dtype=np.complex128)[0]

    def number(self, values: np.ndarray, tab: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Slots of ``values`` rounded to 7 decimals without trailing zeros (-0.5036054, -2, 0),
        preceded by a tab if ``tab``: (R,) first and (R,) second 8 bytes, and (R,) lengths."""
        if not (np.abs(values) < _WHOLE_LIMIT - 1).all():
            raise ValueError(f"can only format finite numbers of magnitude below {_WHOLE_LIMIT - 1}")
        scaled = _scaled(values)  # (R,)
        whole, frac = np.divmod(scaled, 10**_DECIMALS)
        hi, lo = np.divmod(frac, 1000)
        text, length = self.tab_whole if tab else self.whole
        signed = whole + _WHOLE_LIMIT * ((values < 0) & (scaled > 0))
        head, head_length = text[signed], length[signed]
        more = lo > 0  # hi keeps its trailing zeros only when lo follows
        tail = np.where(more, self.hi_full[0][hi] | self.lo[0][lo], self.hi_last[0][hi])
        tail_length = np.where(more, 5 + self.lo[1][lo], self.hi_last[1][hi])
        shift = (8 * head_length).astype(np.uint64)  # the head is 1 to 5 bytes, the tail at most 8
        return head | (tail << shift), tail >> (np.uint64(64) - shift), head_length + tail_length

    def lines(self, logprob: np.ndarray, words: np.ndarray, backoff: np.ndarray | None = None) -> np.ndarray:
        """(B,) uint8 ARPA lines of (R,) log10 probs, (R, n) word ids and (R,) log10 backoffs."""
        rows, n = words.shape
        slots = n + 2 + (backoff is not None)
        text = np.empty((rows, slots), dtype=np.complex128)
        length = np.empty((rows, slots), dtype=np.int64)
        halves = text.view(np.uint64).reshape(rows, slots, 2)
        halves[:, 0, 0], halves[:, 0, 1], length[:, 0] = self.number(logprob)
        for k in range(n):
            text[:, 1 + k] = (self.first if k == 0 else self.rest)[words[:, k]]
            length[:, 1 + k] = self.length[words[:, k]]
        if backoff is not None:
            halves[:, -2, 0], halves[:, -2, 1], length[:, -2] = self.number(backoff, tab=True)
        text[:, -1], length[:, -1] = self.newline, 1
        ends = np.cumsum(length.reshape(-1))
        total = int(ends[-1]) if ends.size else 0
        out = np.empty(total + SLOT, dtype=np.uint8)
        starts = ends - length.reshape(-1)
        # Element i of the view is the 16 bytes from out[i]; stored in order of their starts.
        np.ndarray((total + 1,), dtype=np.complex128, buffer=out, strides=(1,))[starts] = text.reshape(-1)
        if self.tails is not None:
            self._long_words(out, starts.reshape(rows, slots)[:, 1 : 1 + n], words)
        return out[:total]

    def _long_words(self, out: np.ndarray, starts: np.ndarray, words: np.ndarray) -> None:
        """The bytes of long words beyond their first slot."""
        assert self.tails is not None
        long = self.length[words] > SLOT  # (R, n)
        ids = words[long]
        # The slot held the separator and the word's first SLOT - 1 bytes.
        copy_spans(out, starts[long] + SLOT, self.tails.data, self.tails.begin[ids] + SLOT - 1,
                   self.length[ids] - SLOT)
