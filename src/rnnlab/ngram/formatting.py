"""Vectorised building of text lines as bytes (for writing large ARPA files quickly).

Every line is a sequence of segments of one small shared byte buffer (the vocabulary,
separators, and tables of digit strings for numbers). Given the segments' offsets and
lengths, the output is ``source[index]`` where ``index`` advances by 1 inside a segment and
jumps at segment starts: ``j + begin - dest`` for output byte j of a segment that starts at
``dest`` in the output and ``begin`` in the source.
"""

from __future__ import annotations

import numpy as np

_DECIMALS = 7
_WHOLE_LIMIT = 1000  # integer parts come from a table of "0" .. "999"


def _scaled(values: np.ndarray) -> np.ndarray:
    """|values| in units of the last written decimal."""
    return np.rint(np.abs(values) * 10**_DECIMALS).astype(np.int64)


def as_written(values: np.ndarray) -> np.ndarray:
    """The numbers that the text written by ``LineBuilder.number`` reads back as (digits / 10^7,
    which is the same double as the shortened digits over their power of ten)."""
    scaled = _scaled(values)
    return np.where(scaled > 0, np.copysign(scaled / 10.0**_DECIMALS, values), 0.0)


class ByteTable:
    """Many short byte strings stored back to back in one buffer."""

    def __init__(self, strings: list[bytes]) -> None:
        self.lengths = np.fromiter((len(s) for s in strings), dtype=np.int64, count=len(strings))
        self.begin = np.cumsum(self.lengths) - self.lengths
        self.data = np.frombuffer(b"".join(strings), dtype=np.uint8)


class LineBuilder:
    """Assembles ARPA-style lines: numbers, tab-separated fields and space-separated words."""

    def __init__(self, vocab: list[str]) -> None:
        words = [w.encode("utf-8") for w in vocab]
        whole = [str(i).encode() for i in range(_WHOLE_LIMIT)]
        hi_full = [b".%04d" % i for i in range(10_000)]
        parts = {
            "word_tab": [b"\t" + w for w in words],  # first word of a line, after the probability
            "word_space": [b" " + w for w in words],
            "whole": whole + [b"-" + w for w in whole],  # index + 1000 for negative numbers
            "tab_whole": [b"\t" + w for w in whole] + [b"\t-" + w for w in whole],
            "dot_hi_full": hi_full,
            "dot_hi_strip": [s.rstrip(b"0") for s in hi_full],
            "lo_strip": [(b"%03d" % i).rstrip(b"0") for i in range(1000)],
            "newline": [b"\n"],
        }
        table = ByteTable([s for part in parts.values() for s in part])
        self.source = table.data
        offsets = np.cumsum([0] + [len(p) for p in parts.values()])
        self._tables = {
            name: (table.begin[offsets[i] : offsets[i + 1]], table.lengths[offsets[i] : offsets[i + 1]])
            for i, name in enumerate(parts)
        }

    def words(self, ids: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Segments of ``<TAB>w1 w2 .. wn`` for the (R, n) word ids."""
        out = []
        for k in range(ids.shape[1]):
            begin, length = self._tables["word_tab" if k == 0 else "word_space"]
            out.append((begin[ids[:, k]], length[ids[:, k]]))
        return out

    def newline(self, rows: int) -> tuple[np.ndarray, np.ndarray]:
        begin, length = self._tables["newline"]
        return np.full(rows, begin[0]), np.full(rows, length[0])

    def number(self, values: np.ndarray, tab: bool = False) -> list[tuple[np.ndarray, np.ndarray]]:
        """Segments of ``values`` rounded to 7 decimals without trailing zeros (-0.5036054, -2, 0),
        preceded by a tab if ``tab``."""
        if not (np.abs(values) < _WHOLE_LIMIT - 1).all():
            raise ValueError(f"can only format finite numbers of magnitude below {_WHOLE_LIMIT - 1}")
        scaled = _scaled(values)  # (R,)
        whole, frac = np.divmod(scaled, 10**_DECIMALS)
        hi, lo = np.divmod(frac, 1000)
        negative = (values < 0) & (scaled > 0)
        begin_w, length_w = self._tables["tab_whole" if tab else "whole"]
        begin_hf, length_hf = self._tables["dot_hi_full"]
        begin_hs, length_hs = self._tables["dot_hi_strip"]
        begin_lo, length_lo = self._tables["lo_strip"]
        keep_zeros = lo > 0  # hi keeps its trailing zeros only when lo follows
        signed = whole + _WHOLE_LIMIT * negative
        return [
            (begin_w[signed], length_w[signed]),
            (np.where(keep_zeros, begin_hf[hi], begin_hs[hi]),
             np.where(frac > 0, np.where(keep_zeros, length_hf[hi], length_hs[hi]), 0)),
            (begin_lo[lo], length_lo[lo]),
        ]

    def join(self, segments: list[tuple[np.ndarray, np.ndarray]]) -> bytes:
        """Concatenate, row by row, the segments given as (begin, length) column pairs."""
        begin = np.stack([b for b, _ in segments]).T.reshape(-1)  # (R*S,) row by row
        length = np.stack([n for _, n in segments]).T.reshape(-1)
        keep = length > 0
        total = int(length.sum())
        index = np.int32 if max(total, self.source.size) < 2**31 else np.int64  # half the traffic of int64
        begin, length = begin[keep].astype(index), length[keep].astype(index)
        dest = np.cumsum(length, dtype=index) - length  # (K,) where each segment starts in the output
        source_at = np.repeat(begin - dest, length)  # (total,) byte j comes from source[j + begin - dest]
        source_at += np.arange(total, dtype=index)
        return self.source[source_at].tobytes()
