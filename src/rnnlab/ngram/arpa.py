"""ARPA backoff language model files: writing (vectorised, atomic) and reading.

Format: a ``\\data\\`` header with ``ngram N=count`` lines, then one ``\\N-grams:`` section per
order whose lines are ``log10prob<TAB>w1 .. wN[<TAB>log10backoff]``, then ``\\end\\``. Lower
orders always carry a backoff (0 for n-grams that are never a context), the highest order none.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..errors import CorpusError
from ..io import atomic_path
from .arpa_parse import HashIndex, SpanHasher, parse_fast, parse_lines
from .corpus import BOS, EOS, SPECIALS, UNK, decode_utf8, read_bytes
from .formatting import LineBuilder
from .tables import NgramModel, NgramOrder

CHUNK_ROWS = 1 << 18
MISSING_UNK_LOGPROB = -100.0  # KenLM's substitute when a model has no <unk>
_COUNT_LINE = re.compile(rb"^ngram\s+(\d+)\s*=\s*(\d+)$")
_BLANK = b" \t\r\n"


def format_lines(builder: LineBuilder, logprob: np.ndarray, words: np.ndarray,
                 backoff: np.ndarray | None) -> np.ndarray:
    """(B,) uint8 ARPA lines ``log10prob<TAB>w1 .. wn[<TAB>backoff]`` of (R,) values and (R, n) word ids."""
    return builder.lines(logprob, words, backoff)


def header(counts: list[int]) -> bytes:
    """The ``\\data\\`` block with one ``ngram N=count`` line per order."""
    lines = ["", "\\data\\"] + [f"ngram {n}={count}" for n, count in enumerate(counts, 1)] + [""]
    return "\n".join(lines).encode("utf-8") + b"\n"


def section_start(n: int) -> bytes:
    return f"\\{n}-grams:\n".encode("ascii")


SECTION_END = b"\n"
FILE_END = b"\\end\\\n"


def write_arpa(model: NgramModel, path: str | os.PathLike[str]) -> None:
    """Write ``model`` as an ARPA file, atomically; values rounded to 7 decimals."""
    builder = LineBuilder(model.vocab)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as out:
            out.write(header([t.size for t in model.orders]))
            for n, table in enumerate(model.orders, 1):
                out.write(section_start(n))
                for start in range(0, table.size, CHUNK_ROWS):
                    rows = np.arange(start, min(start + CHUNK_ROWS, table.size), dtype=np.int64)
                    backoff = None if table.backoff is None else table.backoff[rows]
                    out.write(format_lines(builder, table.logprob[rows], model.ngram_words(n, rows), backoff))
                out.write(SECTION_END)
            out.write(FILE_END)


class _Reader:
    """Locates the parts of an ARPA file and turns problems into CorpusErrors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = read_bytes(path)

    def fail(self, message: str, line: int | None = None) -> CorpusError:
        where = f"{self.path}, line {line}" if line else str(self.path)
        return CorpusError(f"{where}: {message}; the file is not a valid ARPA language model")

    def line_of(self, offset: int) -> int:
        return self.data.count(b"\n", 0, offset) + 1

    def header(self) -> tuple[list[int], int]:
        """The n-gram counts and the offset where the header ends."""
        start = self.data.find(b"\\data\\")
        end = self.data.find(b"\n\\1-grams:", max(start, 0))
        if start < 0 or end < 0:
            raise self.fail("no \\data\\ header followed by a \\1-grams: section")
        counts: list[int] = []
        first_line = self.line_of(start)
        for i, line in enumerate(self.data[start + 6 : end].split(b"\n")[1:], 1):
            match = _COUNT_LINE.match(line.strip())
            if match and int(match.group(1)) == len(counts) + 1:
                counts.append(int(match.group(2)))
            elif line.strip():
                raise self.fail(f"expected 'ngram {len(counts) + 1}=<count>' in the header", first_line + i)
        if not counts:
            raise self.fail("no 'ngram N=count' lines after \\data\\", first_line)
        return counts, end

    def _marker(self, marker: bytes, at: int) -> tuple[int, int]:
        """Start and end of the line holding ``marker``, searching from ``at``."""
        begin = self.data.find(b"\n" + marker, at)
        if begin < 0:
            raise self.fail(f"missing the line {marker.decode()}")
        stop = self.data.find(b"\n", begin + 1)
        stop = len(self.data) if stop < 0 else stop
        if self.data[begin + 1 + len(marker) : stop].strip():
            raise self.fail(f"unexpected text after {marker.decode()}", self.line_of(begin + 1))
        return begin + 1, stop

    def sections(self, counts: list[int], at: int) -> list[tuple[int, int, int]]:
        """(start, end, first line) of each order's lines, checked against the header."""
        markers = [b"\\%d-grams:" % n for n in range(1, len(counts) + 1)] + [b"\\end\\"]
        spans = []
        for marker in markers:
            spans.append(self._marker(marker, at))
            at = spans[-1][1]
        bodies = []
        line, counted = 1, 0
        for n, ((_, start), (end, _)) in enumerate(zip(spans, spans[1:]), 1):
            while start < end and self.data[start] in _BLANK:
                start += 1
            while end > start and self.data[end - 1] in _BLANK:
                end -= 1
            line += self.data.count(b"\n", counted, start)
            counted = start
            lines = self.data.count(b"\n", start, end) + 1 if end > start else 0
            if lines != counts[n - 1]:
                raise self.fail(f"the header promises {counts[n - 1]} {n}-grams but the section has {lines} lines",
                                line)
            bodies.append((start, end, line))
        return bodies

    def text_lines(self, start: int, end: int, first_line: int) -> list[str]:
        return decode_utf8(self.data[start:end], self.path, first_line).split("\n")


def _unigrams(reader: _Reader, start: int, end: int, first_line: int) -> tuple[list[str], NgramOrder]:
    lines = reader.text_lines(start, end, first_line)
    section = parse_lines(lines, 1, {}, lambda msg, i: reader.fail(msg, first_line + i))
    names = section.first_words
    for marker in (BOS, EOS):
        if marker not in names:
            raise reader.fail(f"the unigrams lack {marker}", first_line)
    vocab = list(SPECIALS) + [w for w in names if w not in SPECIALS]
    index = {w: i for i, w in enumerate(vocab)}
    if len(index) != len(names) + (UNK not in names):
        raise reader.fail("a unigram appears twice", first_line)
    ids = np.fromiter((index[w] for w in names), dtype=np.int64, count=len(names))
    logprob = np.full(len(vocab), MISSING_UNK_LOGPROB)
    backoff = np.zeros(len(vocab))
    logprob[ids], backoff[ids] = section.logprob, section.backoff
    table = NgramOrder(prefix=np.zeros(len(vocab), dtype=np.int64), word=np.arange(len(vocab), dtype=np.int64),
                       logprob=logprob, backoff=backoff)
    return vocab, table


def _slow_order(reader: _Reader, model: NgramModel, index: dict[str, int], span: tuple[int, int, int],
                n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Prefix rows, last words, log10 probs and backoffs of order n, parsed line by line."""
    first_line = span[2]
    lines = reader.text_lines(*span)
    section = parse_lines(lines, n, index, lambda msg, i: reader.fail(msg, first_line + i))
    prefix = section.ids[:, 0]
    for k in range(1, n - 1):
        prefix = model.lookup(k + 1, prefix, section.ids[:, k])
    if (prefix < 0).any():
        bad = int(np.argmax(prefix < 0))
        raise reader.fail(f"the first {n - 1} words of '{lines[bad]}' are not among the {n - 1}-grams",
                          first_line + bad)
    return prefix, section.ids[:, -1], section.logprob, section.backoff


def read_arpa(path: str | os.PathLike[str]) -> NgramModel:
    """Load an ARPA file; ``<unk>`` is added with log10 prob -100 if the file lacks it."""
    reader = _Reader(Path(path))
    counts, at = reader.header()
    bodies = reader.sections(counts, at)
    vocab, unigrams = _unigrams(reader, *bodies[0])
    model = NgramModel(vocab=vocab, orders=[unigrams])
    index = {w: i for i, w in enumerate(vocab)}
    hasher = SpanHasher()
    words = HashIndex(hasher.strings(vocab), np.arange(len(vocab), dtype=np.int64))
    prefixes: HashIndex | None = words
    for n, (start, end, first_line) in enumerate(bodies[1:], 2):
        fast = parse_fast(reader.data, start, end, n, hasher, words, prefixes) if prefixes is not None else None
        if fast is None:
            prefix, word, logprob, backoff = _slow_order(reader, model, index, (start, end, first_line), n)
        else:
            prefix, word, logprob, backoff = fast.prefix, fast.word, fast.logprob, fast.backoff
        keys = prefix * len(vocab) + word
        order = np.arange(keys.size) if (np.diff(keys) > 0).all() else np.argsort(keys, kind="stable")
        repeated = np.flatnonzero(np.diff(keys[order]) == 0)
        if repeated.size:
            raise reader.fail(f"this {n}-gram appears twice", first_line + int(order[repeated[0] + 1]))
        model.append(NgramOrder(prefix=prefix[order], word=word[order], logprob=logprob[order],
                                backoff=backoff[order]))
        prefixes = HashIndex(fast.span[order], np.arange(keys.size)) if fast is not None and n < len(bodies) else None
    model.orders[-1].backoff = None
    return model
