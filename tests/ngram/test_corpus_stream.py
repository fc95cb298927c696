"""Reading a training text block by block gives what encode(read_sentences(...)) gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnlab.errors import CorpusError
from rnnlab.ngram.corpus import encode, new_vocab, read_sentences
from rnnlab.ngram import corpus_stream, tokenize
from rnnlab.ngram.corpus_stream import read_corpus
from rnnlab.ngram.tokenize import encode_bytes

TEXT = "the cat sat\n\n  \nthe dog\u00a0sat <unk>\na\n\u00e9t\u00e9 cat\r\nlast line without newline"


@pytest.mark.parametrize("block", [1, 5, 17, 1 << 20])
def test_same_ids_as_encode(tmp_path: Path, block: int) -> None:
    path = tmp_path / "train.txt"
    path.write_text(TEXT, encoding="utf-8")
    vocab = new_vocab()
    expected = encode(read_sentences(path), vocab, grow=True)
    corpus = read_corpus(path, block)
    assert corpus.seq.dtype == np.uint32
    assert corpus.seq.tolist() == expected.seq.tolist()
    assert corpus.vocab == vocab
    assert (corpus.sentences, corpus.words) == (expected.sentences, expected.words)
    assert corpus.depth(0, corpus.seq.size).tolist() == expected.depth.tolist()
    bounds = corpus.sentence_bounds(4)
    assert bounds[0] == 0 and bounds[-1] == corpus.seq.size and set(bounds[:-1]) <= set(expected.starts.tolist())


@pytest.mark.parametrize("content, message", [
    (b"a b\nc d\n\xff\n", "train.txt, line 3: not valid UTF-8"),
    (b"a b\nc d\ne </s>\n", "train.txt, line 3: the token </s> is reserved"),
    (b"\n \n", "train.txt: no tokens"),
])
def test_errors_name_file_and_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "train.txt"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message):
        read_corpus(path, 3)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="absent.txt: file not found"):
        read_corpus(tmp_path / "absent.txt", 100)


TRICKY = ("the cat\n\n \t \nsat on\r\nthe mat <unk> \x1c x\x1fy\x0bz\x0c\n" + "w" * 16 + " " + "w" * 17 + " "
          + "w" * 8 + " " + "w" * 9 + " caf\u00e9\n" + "long" * 9 + " nul\x00byte <unk>\n  lead and trail  \n"
          + "long" * 9 + " " + "w" * 17 + "\nno final newline")


def _by_str(data: bytes) -> tuple[list[str], np.ndarray]:
    return corpus_stream._encode_block(data, Path("x"), 1)


@pytest.mark.parametrize("text", [TRICKY, "", "\n\n", "one", " \n a \n", "<unk>\n<unk> <unk> b"])
def test_bytes_and_str_paths_agree(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    data = text.encode("utf-8")
    words, ids = encode_bytes(data)
    monkeypatch.setattr(corpus_stream, "encode_bytes", lambda data: None)
    want_words, want_ids = _by_str(data)
    assert words == want_words and ids.tolist() == want_ids.tolist()


def test_hash_collisions_fall_back_to_str(monkeypatch: pytest.MonkeyPatch) -> None:
    data = TRICKY.encode("utf-8")
    want = _by_str(data)
    monkeypatch.setattr(tokenize, "_MIX", (np.uint64(0),) * 3)  # every word gets the same hash
    assert encode_bytes(data) is None
    words, ids = _by_str(data)
    assert words == want[0] and ids.tolist() == want[1].tolist()


def test_other_whitespace_takes_the_str_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(corpus_stream, "encode_bytes", lambda data: pytest.fail("not ASCII whitespace"))
    words, ids = _by_str("a\u2003b\u00a0c\n".encode("utf-8"))
    assert words[3:] == ["a", "b", "c"] and ids.tolist() == [1, 3, 4, 5, 2]
