"""Memory budgets: parsing and the sizes derived from them."""

from __future__ import annotations

import pytest

from rnnlab.errors import ConfigError
from rnnlab.ngram.budget import MIN_MEMORY, Budget, parse_memory


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
    assert Budget(MIN_MEMORY).count_positions(resident=1 << 30) == 64  # never below a floor
