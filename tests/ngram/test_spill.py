"""Sorted runs and their block-wise merge, against np.unique over everything at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnlab.ngram.spill import (RECORD, TempSpace, append, group, merge_runs, packed_order, parallel_argsort,
                                parallel_sort, read_blocks)


def _run(keys: np.ndarray) -> np.ndarray:
    at, counts, _ = group(keys)
    run = np.empty(at.size, dtype=RECORD)
    run["key"], run["count"], run["suffix"], run["rep"] = keys[at], counts, keys[at] * 10, at
    return run


def test_group_counts_and_inverse() -> None:
    keys = np.array([5, 3, 5, 9, 3, 5])
    at, counts, inverse = group(keys)
    assert keys[at].tolist() == [3, 5, 9] and counts.tolist() == [2, 3, 1]
    assert inverse.tolist() == [1, 0, 1, 2, 0, 1]


@pytest.mark.parametrize("keys", [np.random.default_rng(0).integers(0, 1 << 40, size=3000),  # packed
                                  np.random.default_rng(1).integers(0, 1 << 62, size=3000),  # too wide for it
                                  np.random.default_rng(2).integers(-50, 50, size=3000)])  # negative
def test_group_equals_unique_with_and_without_packed_keys(keys: np.ndarray) -> None:
    from concurrent.futures import ThreadPoolExecutor

    keys = np.concatenate([keys, keys[::3]])  # repeated keys
    packs = keys.min() >= 0 and int(keys.max()).bit_length() + int(keys.size - 1).bit_length() <= 64
    assert (packed_order(keys, None) is not None) == packs
    unique, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    with ThreadPoolExecutor(2) as pool:
        for threads in (None, pool):
            at, got_counts, got_inverse = group(keys, threads)
            assert keys[at].tolist() == unique.tolist() and got_counts.tolist() == counts.tolist()
            assert got_inverse.tolist() == inverse.tolist()


@pytest.mark.parametrize("size", [10, 1 << 17])
def test_parallel_sort_sorts_in_place(size: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    values = np.random.default_rng(size).integers(0, 1 << 63, size=size, dtype=np.uint64)
    expected = np.sort(values)
    with ThreadPoolExecutor(2) as pool:
        parallel_sort(values, pool)
    assert np.array_equal(values, expected)


@pytest.mark.parametrize("runs, block, top", [(1, 7, 40), (2, 3, 40), (9, 1, 40), (9, 64, 40), (4, 16, 1 << 58)])
def test_merge_equals_unique(tmp_path: Path, runs: int, block: int, top: int) -> None:
    rng = np.random.default_rng(runs)  # keys below 2^58 are too wide to sort packed with their position
    chunks = [rng.integers(0, top, size=rng.integers(1, 60)) // max(1, top // 40) * max(1, top // 40)
              for _ in range(runs)]
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
    assert (merged["suffix"] == (merged["key"] * 10).astype(np.int32)).all()
    for i, chunk in enumerate(chunks):  # every run row finds its merged row
        assert (merged["key"][np.concatenate(rows[i])] == _run(chunk)["key"]).all()


def test_read_blocks(tmp_path: Path) -> None:
    path = tmp_path / "a"
    append(path, np.arange(10))
    assert [b.tolist() for b in read_blocks(path, np.dtype(np.int64), 4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert RECORD.itemsize == 24


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
