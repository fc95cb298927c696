"""A training text read block by block into one compact array of padded word ids.

The result is what ``corpus.encode`` builds, ``<s> w1 .. wk </s>`` per non-blank line with ids
given in order of first appearance, but as 4-byte ids and without holding the text's tokens:
each block of whole lines is checked as UTF-8, split into words (with numpy on its bytes, see
tokenize.py, or once as text: a line break becomes the token ``</s>``, which the text itself may
not contain) and mapped to ids of its own words, which then become ids of the whole vocabulary.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

from .corpus import BOS, BOS_ID, EOS, EOS_ID, check_markers, decode_utf8, input_error, new_vocab, no_tokens
from .parallel import in_order
from .spill import append
from .tokenize import OTHER_SPACE, encode_bytes

ID_DTYPE = np.uint32
READERS = 2


@dataclass
class StreamedCorpus:
    """Padded sentences as one flat (P,) uint32 id array, and the vocabulary (word -> id)."""

    seq: np.ndarray  # (P,) uint32 word ids, every sentence as <s> w1 .. wk </s>
    vocab: dict[str, int]
    sentences: int

    @property
    def words(self) -> int:
        """Number of words, not counting ``<s>`` and ``</s>``."""
        return int(self.seq.size) - 2 * self.sentences

    def depth(self, start: int, stop: int, out: np.ndarray | None = None,
              numbers: np.ndarray | None = None) -> np.ndarray:
        """(stop - start,) int64 position inside its sentence (0 at the ``<s>``) of every position in a
        stretch that begins at a ``<s>``; into ``out`` if given, with ``numbers`` 0 .. stop - start - 1."""
        numbers = np.arange(stop - start) if numbers is None else numbers
        depth = np.multiply(numbers, self.seq[start:stop] == BOS_ID, out=out)
        np.maximum.accumulate(depth, out=depth)  # the position of the sentence's <s>
        return np.subtract(numbers, depth, out=depth)

    def sentence_bounds(self, positions: int) -> np.ndarray:
        """Chunk boundaries at sentence starts, about ``positions`` apart (at least one sentence each)."""
        starts = np.flatnonzero(self.seq == BOS_ID)
        first_after = np.searchsorted(starts, np.arange(0, self.seq.size, max(positions, 1)))
        return np.append(starts[np.unique(first_after[first_after < starts.size])], self.seq.size)


def _encode_block(data: bytes, path: Path, first_line: int) -> tuple[list[str], np.ndarray]:
    """The block's words in order of first appearance (after the special words, with their ids)
    and its padded sentences as ids into that list."""
    text = decode_utf8(data, path, first_line)
    if BOS in text or EOS in text:
        check_markers(text.split("\n"), text, path, first_line)
    if text.isascii() or not OTHER_SPACE.search(text):
        encoded = encode_bytes(data)
        if encoded is not None:
            return encoded
    tokens = text.replace("\n", f" {EOS} ").split()
    if not tokens or tokens[-1] != EOS:
        tokens.append(EOS)
    vocab = new_vocab()
    vocab.update(zip([w for w in dict.fromkeys(tokens) if w not in vocab], itertools.count(len(vocab))))
    ids = np.fromiter(map(vocab.__getitem__, tokens), dtype=ID_DTYPE, count=len(tokens))  # (T,)
    eos = ids == EOS_ID
    follows_eos = np.empty_like(eos)
    follows_eos[:1] = True
    follows_eos[1:] = eos[:-1]
    ids = ids[~(eos & follows_eos)]  # blank lines are no sentences
    starts = np.flatnonzero(np.concatenate([[True], ids[:-1] == EOS_ID])) if ids.size else np.empty(0, np.int64)
    return list(vocab), np.insert(ids, starts, BOS_ID)


def _raw_blocks(source: BinaryIO, path: Path, block_bytes: int) -> Iterator[tuple[bytes, Path, int]]:
    """Blocks of whole lines with the number of their first line."""
    line = 1
    while data := source.read(block_bytes):
        data += source.readline()
        yield data, path, line
        line += data.count(b"\n")


def read_corpus(path: str | os.PathLike[str], block_bytes: int, spill: Path | None = None) -> StreamedCorpus:
    """Read ``path`` about ``block_bytes`` at a time (whole lines); errors name the file and line.

    Blocks are split into words by READERS worker processes (one core each) while this one gives
    the words their ids. Given ``spill``, a temporary file, the ids of
    the blocks are gathered there and read back at once, so that the memory they take is the
    final array only.
    """
    p = Path(path)
    vocab = new_vocab()
    blocks: list[np.ndarray] = []
    try:
        with open(p, "rb") as source, ProcessPoolExecutor(READERS) as pool:
            several = os.fstat(source.fileno()).st_size > block_bytes
            encoded = (in_order(pool, _encode_block, _raw_blocks(source, p, block_bytes), ahead=READERS) if several
                       else (_encode_block(*block) for block in _raw_blocks(source, p, block_bytes)))
            for words, local in encoded:
                ids = np.fromiter((vocab.setdefault(w, len(vocab)) for w in words), dtype=ID_DTYPE, count=len(words))
                if spill is None:
                    blocks.append(ids[local])
                else:
                    append(spill, ids[local])
    except OSError as exc:
        raise input_error(p, exc) from None
    if spill is not None and spill.exists():
        seq = np.fromfile(spill, dtype=ID_DTYPE)  # read once into the final array, not copied again
        spill.unlink()
    else:
        seq = np.concatenate(blocks) if blocks else np.empty(0, dtype=ID_DTYPE)
    sentences = int(np.count_nonzero(seq == BOS_ID))
    if not sentences:
        raise no_tokens(p)
    return StreamedCorpus(seq=seq, vocab=vocab, sentences=sentences)
