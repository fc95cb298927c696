"""Memory budgets (``--memory 2G``, ``ngram.memory``) and how a fit divides one among its stages.

A budget is a number of bytes written with an optional binary suffix, as KenLM's ``lmplz -S``:
``2G`` = 2 GiB, ``512M``, ``1.5G``, ``65536`` (bytes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigError

DEFAULT_MEMORY = "2G"
_SUFFIX = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)
MIN_MEMORY = 1 << 16
MIN_ROWS = 64  # the smallest chunk or block, whatever the budget

# Working bytes per item in each stage (measured from the arrays each one holds at once).
TEXT_BYTES_PER_BYTE = 24  # decoded text, its token list and str objects, per byte of input
MAX_TEXT_BYTES = 1 << 23  # small blocks keep both reader processes busy
COUNT_BYTES_PER_POSITION = 136  # the arrays of a chunk, kept for the next (130 measured with a merge after it)
# Buffered records of every run (up to twice while refilling), their union, its sort order and
# the merged records with their temporaries.
MERGE_BYTES_PER_ROW = 10 * 24  # records of 24 bytes (spill.RECORD)
MAX_MERGE_ROWS = 1 << 16  # rows read from each run at once (blocks of a few MiB, as MAX_WRITE_ROWS)
SORT_THREADS = 2  # each chunk's n-grams are sorted as two halves at once
WRITE_THREADS = 2  # ARPA blocks formatted at once (the two cores of the target machine)
# A block being estimated, WRITE_THREADS + 1 being formatted or written and one being copied to the
# binary form, all at once (980 measured, with the line tables of a 50k-word vocabulary).
WRITE_BYTES_PER_ROW = 1280
# Rows of a block read, estimated or formatted at once: small enough that the arrays of one block
# (a few MiB) are served from memory the process already holds, as larger ones are mapped afresh
# and every new page costs a fault (a third of the fit's time with blocks of 2^18 rows).
MAX_WRITE_ROWS = 1 << 15


def parse_memory(text: str | int, key: str = "--memory") -> int:
    """Bytes in a budget such as ``2G``; a ConfigError naming ``key`` if it is unreadable or too small."""
    match = _PATTERN.match(str(text))
    if not match:
        raise ConfigError(f"{key}: cannot read the memory budget {text!r}; write bytes with an optional "
                          "K/M/G/T suffix, e.g. 2G or 512M")
    value = int(float(match.group(1)) * _SUFFIX[match.group(2).upper()])
    if value < MIN_MEMORY:
        raise ConfigError(f"{key}: the memory budget {text!r} is below the minimum of {MIN_MEMORY} bytes (64K)")
    return value


@dataclass(frozen=True)
class Budget:
    """Sizes of the pieces a fit works on, from a total number of bytes."""

    total: int

    def _rows(self, resident: int, per_row: int) -> int:
        """Rows of ``per_row`` bytes that fit beside ``resident`` bytes (at least a few)."""
        if resident > self.total:
            raise ConfigError(f"the memory budget ({self.total / 2**20:,.1f} MiB) is too small for this corpus: "
                              f"{resident / 2**20:,.1f} MiB are held throughout (4 bytes a token, and 8 bytes an "
                              "n-gram of the largest order below the highest); give a larger --memory (ngram.memory)")
        return max(MIN_ROWS, (self.total - resident) // per_row)

    def text_bytes(self, resident: int = 0) -> int:
        return min(MAX_TEXT_BYTES, self._rows(resident, TEXT_BYTES_PER_BYTE))

    def count_positions(self, resident: int = 0) -> int:
        return self._rows(resident, COUNT_BYTES_PER_POSITION)

    def merge_rows(self, runs: int, resident: int = 0) -> int:
        return self._rows(resident, MERGE_BYTES_PER_ROW * max(runs, 1))

    def write_rows(self, resident: int = 0) -> int:
        return min(MAX_WRITE_ROWS, self._rows(resident, WRITE_BYTES_PER_ROW))
