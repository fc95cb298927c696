"""Vectorised line building, against Python's own formatting."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.ngram.formatting import SLOT, LineBuilder


def _number(value: float) -> str:
    text = f"{value:.7f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _expected(vocab: list[str], logprob: np.ndarray, words: np.ndarray, backoff: np.ndarray | None) -> bytes:
    lines = []
    for i in range(logprob.size):
        line = _number(logprob[i]) + "\t" + " ".join(vocab[w] for w in words[i])
        lines.append(line + ("" if backoff is None else "\t" + _number(backoff[i])) + "\n")
    return "".join(lines).encode("utf-8")


def _numbers(values: list[float]) -> list[str]:
    lines = LineBuilder(["w"]).lines(np.array(values), np.zeros((len(values), 1), dtype=np.int64))
    return [line.split("\t")[0] for line in lines.tobytes().decode().splitlines()]


def test_numbers_round_to_seven_decimals_without_trailing_zeros() -> None:
    values = [-0.50360537, -2.0, 0.0, -0.0000123, -4.28375, -12.5, 0.1, -1e-9, -99.99999999, 3.14159265358979,
              -998.1234567, -0.0001]
    assert _numbers(values) == ["-0.5036054", "-2", "0", "-0.0000123", "-4.28375", "-12.5", "0.1", "0", "-100",
                                "3.1415927", "-998.1234567", "-0.0001"]


def test_numbers_match_python_formatting() -> None:
    values = np.random.default_rng(0).uniform(-50, 5, size=2000)
    assert _numbers(values.tolist()) == [_number(v) for v in values]


@pytest.mark.parametrize("order", [1, 2, 5])
@pytest.mark.parametrize("backoff", [True, False])
def test_lines_match_python_formatting(order: int, backoff: bool) -> None:
    # Words that fill a slot with their separator, that overflow it by one byte or by several slots,
    # multi-byte UTF-8 and a NUL byte inside a word.
    vocab = ["<s>", "ça", "b", "x" * (SLOT - 1), "y" * SLOT, "z" * (3 * SLOT + 5), "né" * 9, "a\0b", "<unk>"]
    rng = np.random.default_rng(order)
    rows = 500
    words = rng.integers(0, len(vocab), size=(rows, order))
    logprob, weights = -rng.exponential(2.0, size=rows), -rng.exponential(0.5, size=rows)
    logprob[:3] = 0.0, -1e-9, -7.0
    weights = weights if backoff else None
    builder = LineBuilder(vocab)
    assert builder.lines(logprob, words, weights).tobytes() == _expected(vocab, logprob, words, weights)


def test_short_vocabulary_takes_no_second_pass() -> None:
    assert LineBuilder(["a", "b" * (SLOT - 1)]).tails is None
    assert LineBuilder(["a", "b" * SLOT]).tails is not None


def test_out_of_range_numbers_are_refused() -> None:
    builder = LineBuilder(["w"])
    for bad in (np.nan, -np.inf, -1e4):
        with pytest.raises(ValueError):
            builder.number(np.array([bad]))


def test_empty_block() -> None:
    builder = LineBuilder(["w"])
    assert builder.lines(np.zeros(0), np.zeros((0, 3), dtype=np.int64), np.zeros(0)).tobytes() == b""
