"""Memory budgets: parsing and the sizes derived from them."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from rnnlab.errors import ConfigError
from rnnlab.ngram import fit_arpa
from rnnlab.ngram.budget import MIN_MEMORY, MIN_ROWS, Budget, parse_memory


@pytest.mark.parametrize("text, expected", [("2G", 2 << 30), ("512M", 512 << 20), ("1.5g", 3 << 29),
                                            ("65536", 65536), ("64K", 65536), ("1GiB", 1 << 30), (1 << 20, 1 << 20)])
def test_parse(text: str, expected: int) -> None:
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text, message", [("lots", "cannot read"), ("2X", "cannot read"), ("1K", "below")])
def test_bad_budget_names_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=f"ngram.memory: .*{message}"):
        parse_memory(text, key="ngram.memory")


def test_sizes_shrink_with_what_is_resident() -> None:
    budget = Budget(1 << 30)
    assert budget.count_positions() > budget.count_positions(resident=1 << 29) > 0
    assert budget.merge_rows(runs=10) < budget.merge_rows(runs=1)
    assert Budget(MIN_MEMORY).count_positions(resident=MIN_MEMORY - 1) == MIN_ROWS  # never below a floor


def test_what_is_held_throughout_must_fit() -> None:
    with pytest.raises(ConfigError, match="too small for this corpus.*--memory"):
        Budget(MIN_MEMORY).write_rows(resident=MIN_MEMORY + 1)


def _corpus(path: Path, sentences: int) -> Path:
    rng = np.random.default_rng(sentences)
    words = [f"w{i}" for i in range(300)]
    lines = [" ".join(words[i] for i in np.minimum(rng.zipf(1.3, size=rng.integers(1, 15)), 300) - 1)
             for _ in range(sentences)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_fit_stays_within_the_budget_whatever_the_corpus_size(tmp_path: Path) -> None:
    """Everything the fit allocates (numpy arrays and Python objects, as traced) stays within the
    budget and a constant, for a corpus and one four times its size: counting is done in more
    chunks and the blocks get smaller as the corpus takes more of the budget."""
    budget, constant = 2 << 20, 3 << 19  # the constant: tables of the line builder, zip and thread pools
    fit_arpa(_corpus(tmp_path / "warm.txt", 10), 5, tmp_path / "m.arpa")  # modules imported on the way
    peaks, runs = [], []
    for sentences in (4000, 16000):  # the larger one's ids and probabilities take half the budget
        corpus = _corpus(tmp_path / f"train{sentences}.txt", sentences)
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            stats = fit_arpa(corpus, 5, tmp_path / "m.arpa", memory=budget)
            peaks.append(tracemalloc.get_traced_memory()[1] - base)
        finally:
            tracemalloc.stop()
        runs.append(max(stats.runs))
    assert all(peak <= budget + constant for peak in peaks), [p / 2**20 for p in peaks]
    assert runs[1] > runs[0] > 1
