"""Splitting a block of text into padded sentences of word ids with numpy, on its raw bytes.

The result is that of splitting the decoded text into lines at ``\\n`` and each line with
``str.split()``: when the text holds none of the non-ASCII characters that ``str.split()`` also
splits at, the words are the runs of bytes between ASCII whitespace. A word of up to 16 bytes is
held exactly by its bytes in two uint64 and its length; words are told apart by a hash of those
and then checked against the first occurrence of their hash (a collision sends the block back to
the ``str`` path). Longer words, which are rare, are told apart by Python's dict.
"""

from __future__ import annotations

import re

import numpy as np

from .corpus import BOS_ID, EOS_ID, SPECIALS, UNK, UNK_ID
from .formatting import copy_spans

# The characters str.split() splits at: ASCII ones, and others that make a block take the str path.
_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
OTHER_SPACE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_HELD = 16  # bytes of a word held in two uint64
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)  # k low bytes
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


def _held(raw: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(W,) first and (W,) second 8 bytes of each word, zero past its end."""
    padded = np.zeros(raw.size + _HELD + 8, dtype=np.uint8)
    padded[: raw.size] = raw
    at_byte = np.ndarray((raw.size + _HELD,), dtype=np.uint64, buffer=padded, strides=(1,))  # 8 bytes from each
    first = at_byte[starts] & _LOW_BYTES[np.minimum(lengths, 8)]
    second = at_byte[starts + 8] & _LOW_BYTES[np.clip(lengths - 8, 0, 8)]
    return first, second


def _distinct(first: np.ndarray, second: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """For words held whole: (W,) the group of each (equal words, equal groups) and (G,) the index of
    the first word of each group; None if two different words share a hash.

    The hash's high bits and the word's index are sorted together as one uint64 (a third of the
    time of an argsort), so each group's first word comes first in it."""
    index_bits = max(1, int(first.size - 1).bit_length())
    hashes = (first * _MIX[0]) ^ (second * _MIX[1]) ^ (lengths.astype(np.uint64) * _MIX[2])
    hashes ^= hashes >> np.uint64(31)
    hashes >>= np.uint64(index_bits)
    hashes <<= np.uint64(index_bits)
    hashes |= np.arange(first.size, dtype=np.uint64)
    hashes.sort()
    index = (hashes & np.uint64((1 << index_bits) - 1)).view(np.int64)
    hashes >>= np.uint64(index_bits)
    new = np.empty(hashes.size, dtype=bool)
    new[:1] = True
    np.not_equal(hashes[1:], hashes[:-1], out=new[1:])
    del hashes
    group = np.empty(first.size, dtype=np.int64)
    group[index] = np.cumsum(new) - 1
    firsts = index[new]
    rep = firsts[group]
    if not ((first == first[rep]) & (second == second[rep]) & (lengths == lengths[rep])).all():
        return None
    return group, firsts


def encode_bytes(data: bytes) -> tuple[list[str], np.ndarray] | None:
    """The block's words in order of first appearance (after the special words, with their ids)
    and its padded sentences ``<s> w1 .. wk </s>`` (non-blank lines) as ids into that list; None
    if the block must be split as text. ``data`` is valid UTF-8 without other whitespace than ASCII."""
    raw = np.frombuffer(data, dtype=np.uint8)
    edges = np.diff(np.concatenate([[True], _ASCII_SPACE[raw], [True]]).view(np.int8))
    starts, ends = np.flatnonzero(edges == -1), np.flatnonzero(edges == 1)  # (W,) each word's bytes
    del edges
    lengths = ends - starts
    word_ids = np.empty(starts.size, dtype=np.int64)
    short = np.flatnonzero(lengths <= _HELD)
    first, second = _held(raw, starts[short], lengths[short])
    found = _distinct(first, second, lengths[short])
    if found is None:
        return None
    group, firsts = found
    # Long words: a dict, numbered after the short ones.
    long = np.flatnonzero(lengths > _HELD)
    long_words: dict[str, int] = {}
    long_group = np.fromiter((long_words.setdefault(data[starts[i] : ends[i]].decode("utf-8"), len(long_words))
                              for i in long.tolist()), dtype=np.int64, count=long.size)
    long_firsts = np.full(len(long_words), starts.size, dtype=np.int64)
    np.minimum.at(long_firsts, long_group, long)
    word_ids[short], word_ids[long] = group, long_group + firsts.size
    # Groups numbered in order of first appearance, after the special words.
    appearance = np.concatenate([short[firsts], long_firsts])
    order = np.argsort(appearance)
    texts = _texts(raw, starts[appearance[order]], lengths[appearance[order]])
    number = np.empty(order.size, dtype=np.int64)
    number[order] = np.arange(len(SPECIALS), len(SPECIALS) + order.size)
    if UNK in texts:  # a literal <unk> is the unknown word
        unk = texts.index(UNK)
        number[order[unk]] = UNK_ID
        number[order[unk + 1 :]] -= 1
        del texts[unk]
    word_ids = number[word_ids]
    return list(SPECIALS) + texts, _sentences(raw, starts, word_ids)


def _texts(raw: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> list[str]:
    """The words at these bytes, decoded at once (joined by line breaks, which no word holds)."""
    joined = np.full(int(lengths.sum()) + lengths.size, 10, dtype=np.uint8)
    copy_spans(joined, np.cumsum(lengths + 1) - lengths - 1, raw, starts, lengths)
    return joined[:-1].tobytes().decode("utf-8").split("\n") if lengths.size else []


def _sentences(raw: np.ndarray, starts: np.ndarray, word_ids: np.ndarray) -> np.ndarray:
    """``<s> w1 .. wk </s>`` for every line that has words."""
    line = np.searchsorted(np.flatnonzero(raw == 10), starts)  # (W,) number of line breaks before each word
    new = np.empty(line.size, dtype=bool)
    new[:1] = True
    np.not_equal(line[1:], line[:-1], out=new[1:])
    sentence = np.cumsum(new) - 1  # (W,)
    out = np.empty(line.size + 2 * (int(sentence[-1]) + 1 if line.size else 0), dtype=np.uint32)
    out[np.arange(line.size) + 2 * sentence + 1] = word_ids
    first = np.flatnonzero(new)
    out[first + 2 * np.arange(first.size)] = BOS_ID
    last = np.append(first[1:], line.size) - 1
    out[last + 2 * np.arange(first.size) + 2] = EOS_ID
    return out
