"""A trigram HMM tagger after TnT (Brants 2000), decoded with Viterbi.

Transitions interpolate unigram, bigram and trigram relative frequencies with weights found
by deleted interpolation; emissions are relative frequencies for known words and, for unknown
words, a suffix model estimated on rare words. Tags are indices 0..T-1; two extra states mark
the sentence boundaries: BOS = T (twice before the first word) and EOS = T + 1 (after the last).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .params import require_positive


@dataclass(frozen=True)
class HMMParams:
    suffix_max: int = 10  # longest suffix of the unknown-word model (TnT: 10)
    rare_max: int = 10  # words seen at most this often train the suffix model (TnT: 10)

    def __post_init__(self) -> None:
        require_positive(self, "suffix_max", "rare_max")


def deleted_interpolation(uni: Counter, bi: Counter, tri: Counter, total: int) -> tuple[float, float, float]:
    """λ1, λ2, λ3 of P(t3|t1,t2) = λ1 P̂(t3) + λ2 P̂(t3|t2) + λ3 P̂(t3|t1,t2) (Brants 2000, Figure 1).

    Each trigram's count goes to the estimate that predicts it best once that very trigram is
    left out of the counts; a ratio with a zero denominator counts as 0.
    """
    hist_bi: Counter = Counter()
    for (t2, _), n in bi.items():
        hist_bi[t2] += n
    hist_tri: Counter = Counter()
    for (t1, t2, _), n in tri.items():
        hist_tri[t1, t2] += n
    lambdas = [0.0, 0.0, 0.0]

    def ratio(num: int, den: int) -> float:
        return (num - 1) / (den - 1) if den > 1 else 0.0

    for (t1, t2, t3), n in tri.items():
        cases = (ratio(uni[t3], total), ratio(bi[t2, t3], hist_bi[t2]), ratio(n, hist_tri[t1, t2]))
        lambdas[int(np.argmax(cases))] += n
    s = sum(lambdas)
    return (lambdas[0] / s, lambdas[1] / s, lambdas[2] / s) if s else (1.0, 0.0, 0.0)


def transition_table(sequences: Sequence[Sequence[int]], n_tags: int) -> tuple[np.ndarray, tuple[float, ...]]:
    """log P(w | u, v) as a (K, K, K) array, K = T + 2, and the λs."""
    bos, eos, k = n_tags, n_tags + 1, n_tags + 2
    uni: Counter = Counter()
    bi: Counter = Counter()
    tri: Counter = Counter()
    for tags in sequences:
        padded = [bos, bos, *tags, eos]
        for i in range(len(padded) - 2):
            u, v, w = padded[i : i + 3]
            uni[w] += 1
            bi[v, w] += 1
            tri[u, v, w] += 1
    total = sum(uni.values())
    lam = deleted_interpolation(uni, bi, tri, total)
    p_uni, p_bi, p_tri = np.zeros(k), np.zeros((k, k)), np.zeros((k, k, k))
    for w, n in uni.items():
        p_uni[w] = n / total
    for (v, w), n in bi.items():
        p_bi[v, w] = n
    for (u, v, w), n in tri.items():
        p_tri[u, v, w] = n
    p_bi /= np.maximum(p_bi.sum(1, keepdims=True), 1)
    p_tri /= np.maximum(p_tri.sum(2, keepdims=True), 1)
    probs = lam[0] * p_uni[None, None, :] + lam[1] * p_bi[None, :, :] + lam[2] * p_tri  # (K, K, K)
    with np.errstate(divide="ignore"):
        return np.log(probs), lam


def viterbi(log_trans: np.ndarray, log_emit: np.ndarray) -> tuple[list[int], float]:
    """The most probable tag sequence of a trigram HMM and its log joint probability.

    ``log_trans`` (K, K, K) holds log P(w | u, v) with BOS = K - 2 and EOS = K - 1;
    ``log_emit`` (n, T) holds log P(word_i | tag), T = K - 2. δ_i(v, w) is the best log
    probability of a path whose last two tags are v, w; δ_0 starts at (BOS, BOS).
    """
    n, n_tags = log_emit.shape
    k = n_tags + 2
    bos, eos = n_tags, n_tags + 1
    delta = np.full((k, k), -math.inf)
    delta[bos, bos] = 0.0
    back = np.zeros((n, k, n_tags), dtype=np.int64)
    for i in range(n):
        scores = delta[:, :, None] + log_trans[:, :, :n_tags] + log_emit[i][None, None, :]  # (u, v, w)
        back[i] = scores.argmax(0)  # (v, w): best u
        delta = np.full((k, k), -math.inf)
        delta[:, :n_tags] = scores.max(0)
    final = delta + log_trans[:, :, eos]  # (v, w)
    v, w = np.unravel_index(int(final.argmax()), final.shape)
    path = [int(w)] if n == 1 else [int(v), int(w)]
    for i in range(n - 1, 1, -1):
        path.insert(0, int(back[i][path[0], path[1]]))
    return path, float(final[v, w])


class SuffixModel:
    """P(t | longest known suffix of w), smoothed by successive abstraction (Brants 2000, sec. 2.3):

        P(t | l_{n-i+1..n}) = (P̂(t | l_{n-i+1..n}) + θ P(t | l_{n-i+2..n})) / (1 + θ),
        θ = 1/(s-1) Σ_j (P̂(t_j) - P̄)²,  P̄ = 1/s Σ_j P̂(t_j),

    with the relative frequencies P̂ counted over the rare training words.
    """

    # Suffix tables are kept apart for capitalised (U) and other (L) words, as in TnT.
    EMPTY = ("U|", "L|")

    def __init__(self, counts: dict[str, dict[int, int]], n_tags: int, suffix_max: int) -> None:
        self.n_tags, self.suffix_max = n_tags, suffix_max
        self.table = {key: self._dist(c) for key, c in counts.items()}
        base = np.sum([self.table[k] * sum(counts[k].values()) for k in self.EMPTY if k in counts], axis=0)
        prior = base / base.sum()
        self.theta = float(np.sum((prior - prior.mean()) ** 2) / max(n_tags - 1, 1))

    def _dist(self, counts: dict[int, int]) -> np.ndarray:
        dist = np.zeros(self.n_tags)
        for tag, n in counts.items():
            dist[int(tag)] = n
        return dist / dist.sum()

    @staticmethod
    def keys(word: str, suffix_max: int) -> list[str]:
        """Table keys from the empty suffix to the longest: "<U|L>|<suffix>"."""
        flag = "U" if word[:1].isupper() else "L"
        return [f"{flag}|{word[len(word) - i:] if i else ''}" for i in range(min(suffix_max, len(word)) + 1)]

    @classmethod
    def count(cls, words: Sequence[str], tags: Sequence[int], suffix_max: int) -> dict[str, dict[int, int]]:
        out: dict[str, dict[int, int]] = {}
        for word, tag in zip(words, tags):
            for key in cls.keys(word, suffix_max):
                out.setdefault(key, {}).setdefault(tag, 0)
                out[key][tag] += 1
        return out

    def probs(self, word: str) -> np.ndarray:
        keys = [k for k in self.keys(word, self.suffix_max) if k in self.table]
        if not keys:  # no rare word of this case was seen: back off to the other case's prior
            keys = [k for k in self.EMPTY if k in self.table][:1]
        p = self.table[keys[0]]
        for key in keys[1:]:
            p = (self.table[key] + self.theta * p) / (1 + self.theta)
        return p
