"""Trigram Viterbi on a hand-computed example, deleted interpolation, the suffix model."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from rnnlab.models.hmm import SuffixModel, deleted_interpolation, transition_table, viterbi

N, V, BOS, EOS = 0, 1, 2, 3


def _hand_tables() -> tuple[np.ndarray, np.ndarray]:
    # P(w | u, v) depends on v only, except after (N, N), where V is very likely.
    by_v = {BOS: {N: 0.6, V: 0.4, EOS: 0.0}, N: {N: 0.3, V: 0.5, EOS: 0.2}, V: {N: 0.6, V: 0.1, EOS: 0.3}}
    q = np.zeros((4, 4, 4))
    for u in range(4):
        for v, row in by_v.items():
            for w, p in row.items():
                q[u, v, w] = p
    q[N, N, N], q[N, N, V], q[N, N, EOS] = 0.05, 0.9, 0.05
    emit = np.array([[0.5, 0.1], [0.4, 0.3], [0.4, 0.3]])  # P(word_i | N), P(word_i | V)
    with np.errstate(divide="ignore"):
        return np.log(q), np.log(emit)


def test_viterbi_hand_example():
    log_q, log_e = _hand_tables()
    path, logp = viterbi(log_q, log_e)
    # By hand, N N V: q(N|BOS,BOS) e1(N) · q(N|BOS,N) e2(N) · q(V|N,N) e3(V) · q(EOS|N,V)
    #                = 0.6·0.5 · 0.3·0.4 · 0.9·0.3 · 0.3 = 0.3 · 0.12 · 0.27 · 0.3 = 0.002916.
    # The runner-up N V N: 0.3 · (0.5·0.3) · (0.6·0.4) · 0.2 = 0.3 · 0.15 · 0.24 · 0.2 = 0.00216.
    # A bigram model (no (N, N) exception) would prefer N V N: N N V would be 0.3·0.12·0.15·0.3 = 0.00162.
    assert path == [N, N, V]
    assert logp == pytest.approx(math.log(0.002916))


def test_viterbi_one_word():
    log_q, log_e = _hand_tables()
    path, logp = viterbi(log_q, log_e[:1])
    # N: 0.6·0.5·q(EOS|BOS,N)=0.2 -> 0.06; V: 0.4·0.1·0.3 = 0.012.
    assert path == [N] and logp == pytest.approx(math.log(0.06))


def test_deleted_interpolation_counts_best_estimate():
    # One sequence "A A" (0 0) padded: (B,B,0), (B,0,0), (0,0,E).
    uni = Counter({0: 2, 9: 1})
    bi = Counter({(8, 0): 1, (0, 0): 1, (0, 9): 1})
    tri = Counter({(8, 8, 0): 1, (8, 8, 0): 1, (8, 0, 0): 1, (0, 0, 9): 1})
    # (B,B,0): uni (2-1)/(3-1)=0.5, bi (1-1)/(1-1)->0, tri 0 -> λ1; (B,0,0): uni 0.5, bi (1-1)/(2-1)=0 -> λ1;
    # (0,0,E): uni (1-1)/2 = 0, bi 0/0 -> 0, tri 0/0 -> 0: ties go to λ1.
    assert deleted_interpolation(uni, bi, tri, 3) == (1.0, 0.0, 0.0)


def test_transition_table_is_a_distribution_for_seen_histories():
    log_q, lam = transition_table([[0, 1, 0], [1, 1]], 2)
    assert sum(lam) == pytest.approx(1.0)
    assert np.exp(log_q[2, 2]).sum() == pytest.approx(1.0)  # (BOS, BOS) was seen


def test_suffix_model_prefers_the_suffix_tag():
    counts = SuffixModel.count(["running", "jumping", "nation", "station"], [1, 1, 0, 0], suffix_max=3)
    model = SuffixModel(counts, 2, 3)
    assert model.probs("singing")[1] > 0.9 and model.probs("motion")[0] > 0.9
    assert model.probs("xyz").sum() == pytest.approx(1.0)
