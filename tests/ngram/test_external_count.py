"""Counting in chunks gives count_ngrams' tables, whatever the number of chunks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnlab.ngram.budget import Budget
from rnnlab.ngram.corpus import encode, new_vocab, read_sentences
from rnnlab.ngram.corpus_stream import read_corpus
from rnnlab.ngram.counts import count_ngrams
from rnnlab.ngram.external_count import CONTINUATION, count_external
from rnnlab.ngram.kneser_ney import counts_of_counts
from rnnlab.ngram.spill import RECORD, TempSpace


def _write_corpus(path: Path, sentences: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(30)]
    lines = []
    for _ in range(sentences):
        ids = np.minimum(rng.zipf(1.6, size=rng.integers(1, 12)), 30) - 1
        lines.append(" ".join(words[i] for i in ids))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("memory, runs", [(1 << 24, 1), (1 << 16, None)])
def test_tables_equal_in_memory_counts(tmp_path: Path, memory: int, runs: int | None) -> None:
    path = tmp_path / "train.txt"
    _write_corpus(path, 400)
    expected = count_ngrams(encode(read_sentences(path), new_vocab(), grow=True), 4, len(read_corpus(path, 99).vocab))
    corpus = read_corpus(path, 50)
    with TempSpace(tmp_path / "tmp") as space:
        tables = count_external(corpus, 4, Budget(memory), space)
        assert tables[0].raw is not None and tables[0].raw.tolist() == expected[0].raw.tolist()
        for n in range(2, 5):
            table, want = tables[n - 1], expected[n - 1]
            assert table.records is not None
            got = np.fromfile(table.records, dtype=RECORD)
            assert table.size == want.size
            assert (got["key"] // len(corpus.vocab)).tolist() == want.prefix.tolist()
            assert (got["key"] % len(corpus.vocab)).tolist() == want.word.tolist()
            assert got["count"].tolist() == want.raw.tolist() and got["suffix"].tolist() == want.suffix.tolist()
            assert table.runs == 1 if runs == 1 else table.runs > 5
        for table, want in zip(tables, expected):  # index 0 is not used
            assert table.counts_of_counts[1:].tolist() == counts_of_counts(want.adjusted)[1:].tolist()
        for lower, higher in zip(tables[:-1], tables[1:]):
            assert lower.continuation is not None
            continuation = np.fromfile(lower.continuation, dtype=CONTINUATION)
            assert continuation.tolist() == np.bincount(np.fromfile(higher.records, dtype=RECORD)["suffix"],
                                                        minlength=lower.size).tolist()
    assert not (tmp_path / "tmp").exists() or list((tmp_path / "tmp").iterdir()) == []
