"""Whitespace-tokenised text, one sentence per line, turned into padded word-id arrays.

Conventions (those of KenLM): every non-blank line is one sentence, scored on its own as
``<s> w1 .. wk </s>``. Blank lines (only whitespace) are skipped rather than counted as empty
sentences. Tokens are separated by any run of whitespace. ``<s>`` and ``</s>`` may not appear
in the text; a literal ``<unk>`` is an occurrence of the unknown word (id 0).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from ..errors import CorpusError

UNK, BOS, EOS = "<unk>", "<s>", "</s>"
UNK_ID, BOS_ID, EOS_ID = 0, 1, 2
SPECIALS = (UNK, BOS, EOS)


@dataclass(frozen=True)
class EncodedCorpus:
    """Sentences as one flat id array, each padded as ``<s> w1 .. wk </s>``."""

    seq: np.ndarray  # (P,) int64 word ids
    depth: np.ndarray  # (P,) int64 position inside the sentence, 0 at its <s>
    starts: np.ndarray  # (S,) int64 index of each sentence's <s> in seq
    lengths: np.ndarray  # (S,) int64 number of words per sentence (without <s>, </s>)

    @property
    def sentences(self) -> int:
        return int(self.starts.size)

    @property
    def words(self) -> int:
        """Number of words, not counting ``<s>`` and ``</s>``."""
        return int(self.lengths.sum())

    def scored_positions(self) -> np.ndarray:
        """Indices of every predicted token (all but the ``<s>``), in order."""
        return np.flatnonzero(self.depth > 0)


def new_vocab() -> dict[str, int]:
    """A vocabulary holding only the special words, with KenLM's ids."""
    return {w: i for i, w in enumerate(SPECIALS)}


def input_error(path: str | os.PathLike[str], exc: OSError) -> CorpusError:
    """The CorpusError for an input file that cannot be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return CorpusError(f"{path}: file not found; check the path")
    return CorpusError(f"{path}: cannot read ({exc.strerror}); check that it is a readable file")


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """The content of ``path``; a missing or unreadable file becomes a CorpusError."""
    p = Path(path)
    try:
        return p.read_bytes()
    except OSError as exc:
        raise input_error(p, exc) from None


def decode_utf8(data: bytes, path: str | os.PathLike[str], first_line: int = 1) -> str:
    """Decode ``data`` (which starts at line ``first_line`` of ``path``), naming the line of a bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        raise CorpusError(
            f"{path}, line {line}: not valid UTF-8 (byte 0x{data[exc.start]:02x}); re-encode the file as UTF-8"
        ) from None


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a UTF-8 text file; any problem becomes a CorpusError naming the file (and line)."""
    return decode_utf8(read_bytes(path), path)


def check_markers(lines: Sequence[str], text: str, path: Path, first_line: int = 1) -> None:
    """Reject sentence markers written in the text: they are added by the model itself."""
    if BOS not in text and EOS not in text:
        return
    for lineno, line in enumerate(lines, first_line):
        tokens = line.split()
        for marker in (BOS, EOS):
            if marker in tokens:
                raise CorpusError(
                    f"{path}, line {lineno}: the token {marker} is reserved (sentence boundaries are added "
                    "automatically); remove it from the text"
                )


def read_sentences(path: str | os.PathLike[str]) -> list[list[str]]:
    """Token lists of the non-blank lines of ``path``."""
    p = Path(path)
    text = read_text(p)
    lines = text.split("\n")
    check_markers(lines, text, p)
    sentences = [tokens for tokens in (line.split() for line in lines) if tokens]
    if not sentences:
        raise no_tokens(p)
    return sentences


def no_tokens(path: Path) -> CorpusError:
    return CorpusError(f"{path}: no tokens (the file is empty or has only blank lines); give a text file "
                       "with one whitespace-tokenised sentence per line")


def encode(sentences: Iterable[Sequence[str]], vocab: dict[str, int], grow: bool) -> EncodedCorpus:
    """Map words to ids and pad every sentence with ``<s>``/``</s>``.

    With ``grow`` unseen words get the next free id (first-appearance order); otherwise they
    map to ``<unk>``.
    """
    flat: list[int] = []
    lengths: list[int] = []
    if grow:
        setdefault = vocab.setdefault
        for tokens in sentences:
            flat.extend([setdefault(w, len(vocab)) for w in tokens])
            lengths.append(len(tokens))
    else:
        get = vocab.get
        for tokens in sentences:
            flat.extend([get(w, UNK_ID) for w in tokens])
            lengths.append(len(tokens))
    ids = np.asarray(flat, dtype=np.int64)  # (W,)
    lens = np.asarray(lengths, dtype=np.int64)  # (S,)
    reserved = np.flatnonzero((ids == BOS_ID) | (ids == EOS_ID))
    if reserved.size:
        sentence = int(np.searchsorted(np.cumsum(lens), reserved[0], side="right")) + 1
        raise CorpusError(f"sentence {sentence} contains {SPECIALS[ids[reserved[0]]]}, which is reserved "
                          "(sentence boundaries are added automatically); remove it")
    padded = lens + 2
    starts = np.zeros(lens.size, dtype=np.int64)
    np.cumsum(padded[:-1], out=starts[1:])
    total = int(padded.sum())
    seq = np.empty(total, dtype=np.int64)
    is_word = np.ones(total, dtype=bool)
    is_word[starts] = False
    is_word[starts + lens + 1] = False
    seq[is_word] = ids
    seq[starts] = BOS_ID
    seq[starts + lens + 1] = EOS_ID
    depth = np.arange(total, dtype=np.int64) - np.repeat(starts, padded)
    return EncodedCorpus(seq=seq, depth=depth, starts=starts, lengths=lens)
