"""Reading a training text block by block gives what encode(read_sentences(...)) gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnlab.errors import CorpusError
from rnnlab.ngram.corpus import encode, new_vocab, read_sentences
from rnnlab.ngram.corpus_stream import read_corpus

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
