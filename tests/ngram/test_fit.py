"""Reproduction of the KenLM reference (lmplz + query) and fit_arpa's own behaviour."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from rnnlab.errors import ConfigError, CorpusError
from rnnlab.ngram import ArpaModel, build_model, fit_arpa
from rnnlab.ngram.arpa import read_arpa

KENLM = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "kenlm"


@pytest.fixture(scope="module")
def reference() -> Path:
    if not (KENLM / "train.txt").is_file():
        pytest.skip(f"KenLM reference not found at {KENLM.resolve()} (it sits beside the checkout)")
    return KENLM


@pytest.fixture(scope="module")
def fitted(reference: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("kenlm")
    fits = {}
    for order in (3, 5):
        arpa = out / f"order{order}.arpa"
        stats = fit_arpa(reference / "train.txt", order, arpa)
        fits[order] = (stats, arpa, ArpaModel.load(arpa).score_file(reference / "test.txt"))
    return fits


def _lmplz_statistics(log: Path) -> list[tuple[int, int, str, str, str]]:
    rows = re.findall(r"^(\d+) (\d+) D1=(\S+) D2=(\S+) D3\+=(\S+)$", log.read_text(), flags=re.MULTILINE)
    return [(int(n), int(c), d1, d2, d3) for n, c, d1, d2, d3 in rows]


@pytest.mark.parametrize("order", [3, 5])
def test_counts_and_discounts_match_lmplz(reference: Path, fitted: dict, order: int) -> None:
    stats = fitted[order][0]
    expected = _lmplz_statistics(reference / f"lmplz-order{order}.log")
    assert len(expected) == order
    got = [(n, c, f"{d.d1:g}", f"{d.d2:g}", f"{d.d3:g}") for n, (c, d) in
           enumerate(zip(stats.counts, stats.discounts), 1)]
    assert got == expected
    assert f"Unigram tokens {stats.tokens} types {stats.types}" in (reference / f"lmplz-order{order}.log").read_text()
    assert stats.fallback_orders == []


@pytest.mark.parametrize("order", [3, 5])
def test_sentence_totals_match_query(reference: Path, fitted: dict, order: int) -> None:
    summary = fitted[order][2]
    rows = [line.split() for line in (reference / f"query-order{order}.txt").read_text().splitlines()]
    totals = np.array([float(r[1]) for r in rows])
    oovs = np.array([int(r[3]) for r in rows])
    assert summary.totals.shape == totals.shape
    assert np.abs(summary.totals - totals).max() < 1e-4
    assert (summary.sentence_oovs == oovs).all()


@pytest.mark.parametrize("order", [3, 5])
def test_summary_matches_query(reference: Path, fitted: dict, order: int) -> None:
    summary = fitted[order][2]
    expected = dict(line.split("\t") for line in (reference / f"summary-order{order}.txt").read_text().splitlines())
    assert summary.perplexity == pytest.approx(float(expected["Perplexity including OOVs:"]), rel=1e-4)
    assert summary.perplexity_excluding_oovs == pytest.approx(float(expected["Perplexity excluding OOVs:"]), rel=1e-4)
    assert summary.oovs == int(expected["OOVs:"])
    assert summary.tokens == int(expected["Tokens:"])
    assert [line.split("\t")[0] for line in summary.summary_lines()] == list(expected)


def _entries(path: Path) -> dict[tuple[str, ...], tuple[float, float]]:
    model = read_arpa(path)
    out = {}
    for n, table in enumerate(model.orders, 1):
        words = model.ngram_words(n, np.arange(table.size))
        backoff = table.backoff if table.backoff is not None else np.zeros(table.size)
        for ids, p, b in zip(words.tolist(), table.logprob.tolist(), backoff.tolist()):
            out[tuple(model.vocab[i] for i in ids)] = (p, b)
    return out


def test_order3_arpa_matches_reference(reference: Path, fitted: dict) -> None:
    ours_path = fitted[3][1]
    header = re.findall(r"^ngram (\d+)=(\d+)$", ours_path.read_text(), flags=re.MULTILINE)
    expected_header = re.findall(r"^ngram (\d+)=(\d+)$", (reference / "order3.arpa").read_text(), flags=re.MULTILINE)
    assert header == expected_header
    ours, theirs = _entries(ours_path), _entries(reference / "order3.arpa")
    assert ours.keys() == theirs.keys()
    prob_diff = max(abs(ours[k][0] - theirs[k][0]) for k in theirs)
    backoff_diff = max(abs(ours[k][1] - theirs[k][1]) for k in theirs)
    assert prob_diff < 1e-5
    assert backoff_diff < 1e-5
    assert ours[("<s>",)][0] == 0.0


def test_fit_stats_and_fallback(tmp_path: Path) -> None:
    train = tmp_path / "train.txt"
    train.write_text("a a b\n\n  \n", encoding="utf-8")
    stats = fit_arpa(train, 2, tmp_path / "m.arpa")
    assert (stats.order, stats.tokens, stats.types, stats.sentences) == (2, 3, 5, 1)
    assert stats.counts == [5, 4]
    assert stats.fallback_orders == [1, 2]
    assert [(d.d1, d.d2, d.d3) for d in stats.discounts] == [(0.5, 1.0, 1.5)] * 2
    assert stats.seconds > 0
    assert stats.to_dict()["discounts"][0] == {"D1": 0.5, "D2": 1.0, "D3+": 1.5, "fallback": True}
    custom = fit_arpa(train, 1, tmp_path / "m1.arpa", discount_fallback=(0.25, 0.5, 0.75))
    assert (custom.discounts[0].d1, custom.discounts[0].d3) == (0.25, 0.75)


@pytest.mark.parametrize("order", [0, 6])
def test_order_out_of_range(tmp_path: Path, order: int) -> None:
    train = tmp_path / "train.txt"
    train.write_text("a b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="order"):
        fit_arpa(train, order, tmp_path / "m.arpa")
    assert not (tmp_path / "m.arpa").exists()


@pytest.mark.parametrize("fallback", [(0.5, 1.0), (0.0, 1.0, 1.5), (0.5, 2.5, 1.5)])
def test_bad_fallback(fallback: tuple[float, ...]) -> None:
    with pytest.raises(ConfigError, match="fallback"):
        build_model([["a"]], 2, fallback)


def test_missing_input_leaves_no_output(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not found"):
        fit_arpa(tmp_path / "absent.txt", 3, tmp_path / "m.arpa")
    assert list(tmp_path.iterdir()) == []


def test_literal_unk_is_the_unknown_word() -> None:
    model, stats = build_model([["a", "<unk>", "b"], ["<unk>", "a"]], 2)
    assert stats.types == 5  # <unk>, <s>, </s>, a, b: no separate entry for the literal
    scorer = ArpaModel(model)
    # <unk> now has a real count: more probable than a zero-count word would be
    zero_count = ArpaModel(build_model([["a", "b"], ["a"]], 2)[0])
    assert scorer.word_logprob([], "<unk>") > zero_count.word_logprob([], "<unk>")
    assert scorer.score_sentence(["zzz"]).oovs == 1
    assert math.isclose(scorer.word_logprob([], "zzz"), scorer.word_logprob([], "<unk>"))
