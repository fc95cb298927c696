"""Vectorised line building."""

from __future__ import annotations

import numpy as np
import pytest

from rnnlab.ngram.formatting import LineBuilder


def _numbers(values: list[float]) -> list[str]:
    builder = LineBuilder(["w"])
    array = np.array(values)
    return builder.join(builder.number(array) + [builder.newline(array.size)]).decode().splitlines()


def test_numbers_round_to_seven_decimals_without_trailing_zeros() -> None:
    values = [-0.50360537, -2.0, 0.0, -0.0000123, -4.28375, -12.5, 0.1, -1e-9, -99.99999999, 3.14159265358979]
    assert _numbers(values) == ["-0.5036054", "-2", "0", "-0.0000123", "-4.28375", "-12.5", "0.1", "0", "-100",
                                "3.1415927"]


def test_numbers_match_python_formatting() -> None:
    values = np.random.default_rng(0).uniform(-50, 5, size=2000)
    expected = [f"{v:.7f}".rstrip("0").rstrip(".") for v in values]
    expected = ["0" if e in ("-0", "") else e for e in expected]
    assert _numbers(values.tolist()) == expected


def test_lines_with_words_and_tabbed_number() -> None:
    builder = LineBuilder(["<s>", "ça", "b"])
    ids = np.array([[0, 1], [2, 2]])
    text = builder.join(builder.number(np.array([-1.5, -0.25])) + builder.words(ids)
                        + builder.number(np.array([0.0, -0.125]), tab=True) + [builder.newline(2)])
    assert text.decode("utf-8") == "-1.5\t<s> ça\t0\n-0.25\tb b\t-0.125\n"


def test_out_of_range_numbers_are_refused() -> None:
    builder = LineBuilder(["w"])
    for bad in (np.nan, -np.inf, -1e4):
        with pytest.raises(ValueError):
            builder.number(np.array([bad]))


def test_empty_join() -> None:
    builder = LineBuilder(["w"])
    assert builder.join([builder.newline(0)]) == b""
