"""fit_arpa at any memory budget writes the very file build_model + write_arpa write."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnlab.ngram import build_model, fit_arpa
from rnnlab.ngram import fit as fit_module
from rnnlab.ngram.arpa import write_arpa
from rnnlab.ngram.budget import COUNT_BYTES_PER_POSITION
from rnnlab.ngram.corpus import read_sentences
from rnnlab.ngram.corpus_stream import read_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "train.txt"
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(40)]
    lines = [" ".join(words[i] for i in np.minimum(rng.zipf(1.5, size=rng.integers(1, 14)), 40) - 1)
             for _ in range(600)]
    path.write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    return path


def _budget_for_runs(corpus: Path, runs: int) -> int:
    positions = read_corpus(corpus, 1 << 20).seq.size
    resident = 12 * positions  # the corpus (4 bytes a position) and continuation counts (at most 8)
    return int(resident + COUNT_BYTES_PER_POSITION * positions * 0.6) if runs == 2 else 1 << 24


@pytest.mark.parametrize("order", [1, 3, 5])
@pytest.mark.parametrize("runs", ["one", "two", "many"])
def test_same_file_at_every_budget(corpus: Path, tmp_path: Path, order: int, runs: str) -> None:
    expected = tmp_path / "in_memory.arpa"
    model, want = build_model(read_sentences(corpus), order)
    write_arpa(model, expected)
    memory = {"one": 1 << 24, "two": _budget_for_runs(corpus, 2), "many": "64K"}[runs]
    stats = fit_arpa(corpus, order, tmp_path / "streamed.arpa", memory=memory)
    assert (tmp_path / "streamed.arpa").read_bytes() == expected.read_bytes()
    assert (stats.counts, stats.discounts, stats.tokens, stats.types) == (want.counts, want.discounts, want.tokens,
                                                                          want.types)
    assert len(stats.runs) == order - 1
    assert all({"one": r == 1, "two": r == 2, "many": r > 5}[runs] for r in stats.runs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in_memory.arpa", "streamed.arpa", "streamed.arpa.npz"]


def test_temp_dir_is_used_and_emptied(corpus: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    stats = fit_arpa(corpus, 3, tmp_path / "out" / "m.arpa", memory="64K", temp_dir=scratch)
    assert stats.temp_peak_bytes > 0
    assert list(scratch.iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["m.arpa", "m.arpa.npz"]


def test_failure_removes_temporary_files(corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Path] = []

    def fail(corpus, tables, fallback, budget, space, path, binary):  # noqa: ANN001, ANN202
        seen.extend(space.path("").iterdir())
        raise RuntimeError("disk full")

    monkeypatch.setattr(fit_module, "estimate_and_write", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        fit_arpa(corpus, 3, tmp_path / "m.arpa", memory="64K")
    assert seen  # the runs and tables were on disk when it failed
    assert list(tmp_path.iterdir()) == []


def test_keys_beyond_32_bits_at_a_budget_of_many_runs(tmp_path: Path) -> None:
    # Table rows times the vocabulary size pass 2^31, in chunks merged from several runs.
    path = tmp_path / "wide.txt"
    rng = np.random.default_rng(5)
    words = np.array([f"v{i}" for i in range(30_000)])
    ids = rng.integers(0, 30_000, size=120_000)
    lines = [" ".join(words[ids[i : i + 12]]) for i in range(0, ids.size, 12)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model, want = build_model(read_sentences(path), 3)
    assert want.counts[1] * want.types > 2**31
    write_arpa(model, tmp_path / "in_memory.arpa")
    stats = fit_arpa(path, 3, tmp_path / "streamed.arpa", memory="6M")
    assert min(stats.runs) > 1
    assert (tmp_path / "streamed.arpa").read_bytes() == (tmp_path / "in_memory.arpa").read_bytes()
