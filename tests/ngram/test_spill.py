"""Sorted runs and their block-wise merge, against np.unique over everything at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnlab.ngram.spill import RECORD, TempSpace, append, merge_runs, parallel_argsort, read_blocks, sorted_run


def _run(keys: np.ndarray) -> np.ndarray:
    return sorted_run(keys, keys * 10, np.arange(keys.size))[0]


def test_sorted_run_counts_and_inverse() -> None:
    keys = np.array([5, 3, 5, 9, 3, 5])
    run, inverse = sorted_run(keys, keys + 100, np.arange(6) + 1000)
    assert run["key"].tolist() == [3, 5, 9] and run["count"].tolist() == [2, 3, 1]
    assert run["suffix"].tolist() == [103, 105, 109]
    assert (keys[run["rep"] - 1000] == run["key"]).all()
    assert (run["key"][inverse] == keys).all()


@pytest.mark.parametrize("runs, block", [(1, 7), (2, 3), (9, 1), (9, 64)])
def test_merge_equals_unique(tmp_path: Path, runs: int, block: int) -> None:
    rng = np.random.default_rng(runs)
    chunks = [rng.integers(0, 40, size=rng.integers(1, 60)) for _ in range(runs)]
    paths = []
    for i, chunk in enumerate(chunks):
        paths.append(tmp_path / f"run{i}")
        append(paths[-1], _run(chunk))
    merged, rows = [], [[] for _ in range(runs)]
    for part, part_rows in merge_runs(paths, block):
        merged.append(part)
        for i, r in enumerate(part_rows):
            rows[i].append(r)
    merged = np.concatenate(merged)
    keys, counts = np.unique(np.concatenate(chunks), return_counts=True)
    assert merged["key"].tolist() == keys.tolist() and merged["count"].tolist() == counts.tolist()
    assert (merged["suffix"] == merged["key"] * 10).all()
    for i, chunk in enumerate(chunks):  # every run row finds its merged row
        assert (merged["key"][np.concatenate(rows[i])] == _run(chunk)["key"]).all()


def test_read_blocks(tmp_path: Path) -> None:
    path = tmp_path / "a"
    append(path, np.arange(10))
    assert [b.tolist() for b in read_blocks(path, np.dtype(np.int64), 4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert RECORD.itemsize == 32


def test_temp_space_is_removed_even_on_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        with TempSpace(tmp_path) as space:
            append(space.path("x"), np.arange(100))
            space.note_usage()
            assert space.peak_bytes == 800
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("keys", [np.random.default_rng(0).integers(0, 1 << 40, size=1 << 17),
                                  np.random.default_rng(1).integers(0, 50, size=1 << 17),
                                  np.full(1 << 17, 7, dtype=np.int64)])
def test_parallel_argsort_sorts(keys: np.ndarray) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        order = parallel_argsort(keys, pool)
    assert np.array_equal(np.sort(order), np.arange(keys.size))
    assert np.array_equal(keys[order], np.sort(keys))
