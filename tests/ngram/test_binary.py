"""The binary copy written by fit_arpa: same scores as the ARPA file, ignored when it is stale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnlab.ngram import ArpaModel, fit_arpa
from rnnlab.ngram.arpa import read_arpa
from rnnlab.ngram.binary import binary_path, read_binary
from rnnlab.ngram.formatting import LineBuilder, as_written


@pytest.fixture
def fitted(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(25)] + ["caf\u00e9"]
    lines = [" ".join(rng.choice(words, size=rng.integers(1, 9))) for _ in range(300)]
    train, test = tmp_path / "train.txt", tmp_path / "test.txt"
    train.write_text("\n".join(lines[:250]) + "\n", encoding="utf-8")
    test.write_text("\n".join(lines[250:]) + "\nzebra w1\n", encoding="utf-8")
    fit_arpa(train, 4, tmp_path / "m.arpa", memory="64K")
    return tmp_path / "m.arpa", test


def test_scores_equal_those_from_the_arpa_file(fitted: tuple[Path, Path]) -> None:
    arpa, test = fitted
    binary, text = read_binary(arpa), read_arpa(arpa)
    assert binary is not None and binary.vocab == text.vocab
    for ours, theirs in zip(binary.orders, text.orders):
        for field in ("prefix", "word", "logprob", "keys"):
            assert np.array_equal(getattr(ours, field), getattr(theirs, field)), field
        assert (ours.backoff is None) == (theirs.backoff is None)
        assert ours.backoff is None or np.array_equal(ours.backoff, theirs.backoff)
    from_binary = ArpaModel(binary).score_file(test)
    from_text = ArpaModel(text).score_file(test)
    assert np.array_equal(from_binary.totals, from_text.totals) and from_binary.oovs == from_text.oovs == 1
    assert ArpaModel.load(arpa).score_file(test).log10_total == from_text.log10_total


def test_stale_or_missing_copy_is_ignored(fitted: tuple[Path, Path]) -> None:
    arpa, _ = fitted
    arpa.write_bytes(arpa.read_bytes() + b"\n")  # the ARPA file changed after the fit
    assert read_binary(arpa) is None
    binary_path(arpa).unlink()
    assert read_binary(arpa) is None
    assert ArpaModel.load(arpa).order == 4


@pytest.mark.parametrize("value", [-0.50360541, -2.0, 0.0, -1e-9, 3.25e-8, -99.9999999])
def test_as_written_is_what_the_text_reads_back(value: float) -> None:
    text = LineBuilder(["x"]).lines(np.array([value]), np.zeros((1, 1), dtype=np.int64)).tobytes()
    assert as_written(np.array([value]))[0] == float(text.split(b"\t")[0])


def test_copy_of_an_older_layout_is_ignored(fitted: tuple[Path, Path]) -> None:
    arpa, _ = fitted
    size = arpa.stat().st_size
    np.savez(binary_path(arpa), meta=np.array([size, 1, 3]), vocab=np.frombuffer(b"a", dtype=np.uint8),
             prefix1=np.zeros(3, dtype=np.int64))
    assert read_binary(arpa) is None
    assert ArpaModel.load(arpa).order == 4
