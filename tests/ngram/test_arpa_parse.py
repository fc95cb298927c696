"""The byte-level ARPA section parser and its building blocks."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.errors import CorpusError
from rnnlab.ngram.arpa_parse import HashIndex, SpanHasher, parse_decimals, parse_fast, parse_lines


def test_span_hash_depends_only_on_the_bytes() -> None:
    hasher = SpanHasher()
    data = np.frombuffer(b"xx cat dog cat", dtype=np.uint8)
    sums = hasher.prefix_sums(data)
    spans = hasher.spans(sums, np.array([3, 7, 11, 3]), np.array([6, 10, 14, 10]))
    assert spans[0] == spans[2] != spans[1]
    assert spans[0] == hasher.strings(["cat"])[0]
    assert spans[3] == hasher.strings(["cat dog"])[0]


def test_hash_index_lookup() -> None:
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 2**63, size=5000, dtype=np.uint64) | np.uint64(1)
    index = HashIndex(keys, np.arange(keys.size) * 3)
    assert index.unique
    assert (index.get(keys) == np.arange(keys.size) * 3).all()
    assert (index.get(keys + np.uint64(1)) == -1).all()
    assert not HashIndex(np.array([5, 7, 5], dtype=np.uint64), np.arange(3)).unique
    assert HashIndex(np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64)).get(keys[:3]).tolist() == [-1] * 3


def test_parse_decimals() -> None:
    text = b"-1.25 0 -0.0650352 7 -1.5e-05 12.000"
    data = np.frombuffer(text, dtype=np.uint8)
    fields = text.split(b" ")
    lengths = np.array([len(f) for f in fields])
    starts = np.cumsum(lengths + 1) - lengths - 1
    values = parse_decimals(data, starts, lengths)
    assert values.tolist() == pytest.approx([-1.25, 0, -0.0650352, 7, -1.5e-05, 12.0], abs=1e-15)
    assert parse_decimals(data, starts[:4], lengths[:4]).tolist() == [-1.25, 0, -0.0650352, 7]
    assert parse_decimals(np.frombuffer(b"1.x", dtype=np.uint8), np.array([0]), np.array([3])) is None


def test_parse_fast_and_lines_agree() -> None:
    vocab = ["<unk>", "<s>", "</s>", "a", "b"]
    hasher = SpanHasher()
    words = HashIndex(hasher.strings(vocab), np.arange(len(vocab)))
    body = b"-0.5\ta b\t-0.25\n-1\t<s> a\n-0.125\tb </s>"
    fast = parse_fast(body, 0, len(body), 2, hasher, words, words)
    assert fast is not None
    assert fast.prefix.tolist() == [3, 1, 4] and fast.word.tolist() == [4, 3, 2]
    assert fast.logprob.tolist() == [-0.5, -1, -0.125] and fast.backoff.tolist() == [-0.25, 0, 0]
    slow = parse_lines(body.decode().split("\n"), 2, {w: i for i, w in enumerate(vocab)}, None)
    assert slow.ids.tolist() == [[3, 4], [1, 3], [4, 2]]
    assert slow.logprob.tolist() == fast.logprob.tolist() and slow.backoff.tolist() == fast.backoff.tolist()
    doubled = body.replace(b"\t", b"\t\t")
    assert parse_fast(doubled, 0, len(doubled), 2, hasher, words, words) is None
    unknown = body.replace(b"b </s>", b"b zz")
    assert parse_fast(unknown, 0, len(unknown), 2, hasher, words, words) is None
    assert parse_fast(b"xx" + body, 2, len(body) + 2, 2, hasher, words, words).word.tolist() == [4, 3, 2]


def test_parse_lines_reports_offset() -> None:
    def fail(message: str, offset: int) -> CorpusError:
        return CorpusError(f"offset {offset}: {message}")

    with pytest.raises(CorpusError, match="offset 1: bad number"):
        parse_lines(["-1 a", "x a"], 1, {}, fail)
