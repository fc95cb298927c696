"""Reading and encoding one-sentence-per-line text."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnlab.errors import CorpusError
from rnnlab.ngram.corpus import BOS_ID, EOS_ID, UNK_ID, encode, new_vocab, read_sentences


def test_blank_lines_are_skipped_and_whitespace_splits(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("a  b\tc\n\n   \nd\r\n", encoding="utf-8")
    assert read_sentences(path) == [["a", "b", "c"], ["d"]]


def test_encode_pads_sentences() -> None:
    vocab = new_vocab()
    corpus = encode([["a", "b"], ["b"]], vocab, grow=True)
    a, b = vocab["a"], vocab["b"]
    assert (a, b) == (3, 4)  # after <unk>, <s>, </s>, in order of first appearance
    assert corpus.seq.tolist() == [BOS_ID, a, b, EOS_ID, BOS_ID, b, EOS_ID]
    assert corpus.depth.tolist() == [0, 1, 2, 3, 0, 1, 2]
    assert corpus.starts.tolist() == [0, 4]
    assert (corpus.sentences, corpus.words) == (2, 3)
    assert corpus.scored_positions().tolist() == [1, 2, 3, 5, 6]


def test_encode_without_growing_maps_unknown_words_to_unk() -> None:
    vocab = new_vocab()
    encode([["a"]], vocab, grow=True)
    corpus = encode([["a", "zz", "<unk>"]], vocab, grow=False)
    assert corpus.seq.tolist() == [BOS_ID, vocab["a"], UNK_ID, UNK_ID, EOS_ID]
    assert "zz" not in vocab


def test_literal_unk_is_the_unknown_word() -> None:
    vocab = new_vocab()
    corpus = encode([["<unk>", "x"]], vocab, grow=True)
    assert corpus.seq[1] == UNK_ID
    assert len(vocab) == 4


def test_empty_sentence_list() -> None:
    corpus = encode([], new_vocab(), grow=False)
    assert corpus.sentences == 0 and corpus.seq.size == 0
    assert np.array_equal(corpus.scored_positions(), np.empty(0, dtype=np.int64))


@pytest.mark.parametrize(("content", "message"), [(b"", "no tokens"), (b"\n \n\t\n", "no tokens"),
                                                  (b"ok\nbad \xff byte\n", "line 2: not valid UTF-8"),
                                                  (b"a\nb </s> c\n", "line 2: the token </s> is reserved"),
                                                  (b"<s> a\n", "line 1: the token <s> is reserved")])
def test_bad_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message) as info:
        read_sentences(path)
    assert str(path) in str(info.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="file not found"):
        read_sentences(tmp_path / "absent.txt")
    with pytest.raises(CorpusError, match="cannot read"):
        read_sentences(tmp_path)


def test_reserved_tokens_in_memory() -> None:
    with pytest.raises(CorpusError, match="sentence 2 contains </s>"):
        encode([["a"], ["b", "</s>"]], new_vocab(), grow=True)
