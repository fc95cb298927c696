"""Interpolated modified Kneser-Ney smoothing (Chen & Goodman 1998) with KenLM's conventions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..errors import ConfigError
from .corpus import BOS_ID
from .counts import OrderCounts
from .tables import NgramModel, NgramOrder

DEFAULT_FALLBACK = (0.5, 1.0, 1.5)


@dataclass(frozen=True)
class Discounts:
    """D1, D2, D3+ of one order; ``fallback`` when the estimate was unusable."""

    d1: float
    d2: float
    d3: float
    fallback: bool = False

    def __iter__(self) -> Iterator[float]:
        return iter((self.d1, self.d2, self.d3))

    def table(self) -> np.ndarray:
        """(4,) discount indexed by min(adjusted count, 3); count 0 gets no discount."""
        return np.array([0.0, self.d1, self.d2, self.d3])


def check_fallback(values: tuple[float, ...] | list[float]) -> Discounts:
    """Validate ``--discount-fallback``: three numbers with 0 < Dk <= k."""
    if len(values) != 3:
        raise ConfigError(f"discount fallback needs three values D1 D2 D3+, got {len(values)}")
    for k, d in enumerate(values, 1):
        if not 0.0 < float(d) <= k:
            raise ConfigError(f"discount fallback D{k}{'+' if k == 3 else ''}={d} is out of range; "
                              f"it must satisfy 0 < D{k} <= {k}")
    return Discounts(*(float(d) for d in values), fallback=True)


def counts_of_counts(adjusted: np.ndarray) -> np.ndarray:
    """(5,) n[k] = number of n-grams with adjusted count k, for k <= 4 (n[0] unused)."""
    return np.bincount(np.minimum(adjusted, 5), minlength=6)[:5]


def estimate_discounts(adjusted: np.ndarray, fallback: Discounts) -> Discounts:
    """Discounts from the counts-of-counts of the adjusted counts (see ``discounts_from``)."""
    return discounts_from(counts_of_counts(adjusted), fallback)


def discounts_from(n: np.ndarray, fallback: Discounts) -> Discounts:
    """Discounts from the counts-of-counts n1..n4 (``n[k]``, as from ``counts_of_counts``).

    Chen & Goodman (1998), eq. 26: Y = n1 / (n1 + 2 n2), Dk = k - (k+1) Y n_{k+1} / n_k.
    Evaluated in single precision exactly as KenLM's lmplz does; if some n_k (k <= 3) is zero
    or some Dk falls outside [0, k], ``fallback`` is used instead.
    """
    if (n[1:4] == 0).any():
        return fallback
    f32 = np.float32
    y = f32(n[1]) / f32(float(n[1]) + 2.0 * float(n[2]))
    amounts = []
    for k in (1, 2, 3):
        d = f32(k) - f32(k + 1) * y * f32(n[k + 1]) / f32(n[k])
        if d < 0.0 or d > k:
            return fallback
        amounts.append(float(d))
    return Discounts(*amounts)


def smooth(group: np.ndarray, groups: int, adjusted: np.ndarray, discounts: Discounts,
           lower: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Interpolated probabilities (G,) of rows grouped by context ``group`` in [0, groups), and
    the log10 backoff (C,) of each context.

    Chen & Goodman (1998), eqs. 17 and 19 (interpolated modified Kneser-Ney):
      p(w | h) = (a(h w) - D(a(h w))) / sum_v a(h v) + gamma(h) * p(w | h'),
      gamma(h) = (D1 N1(h .) + D2 N2(h .) + D3+ N3+(h .)) / sum_v a(h v),
    where a are the adjusted counts, ``lower`` is p(w | h') (h' drops the first word of h) and
    gamma(h) is the ARPA backoff of h (log10 0 where h is never a context).
    """
    counts = adjusted.astype(np.float64)
    discount = discounts.table()[np.minimum(adjusted, 3)]  # (G,)
    denom = np.bincount(group, weights=counts, minlength=groups)  # (C,)
    mass = np.bincount(group, weights=discount, minlength=groups)  # (C,)
    has_ext = denom > 0
    gamma = np.divide(mass, denom, out=np.zeros(groups), where=has_ext)
    prob = (counts - discount) / denom[group] + gamma[group] * lower
    return prob, np.log10(np.where(has_ext, gamma, 1.0))


def log10_probs(prob: np.ndarray, words: np.ndarray | None = None) -> np.ndarray:
    """log10 of ``prob`` clamped at 0 (rounding above 1, as KenLM does); for unigrams (``words``
    given) ``<s>``, which is never predicted, gets log10 1 = 0 as KenLM writes it."""
    logprob = np.minimum(np.log10(prob), 0.0)
    if words is not None:
        logprob[words == BOS_ID] = 0.0
    return logprob


def uniform(vocab_size: int) -> float:
    """p below unigrams: uniform over the vocabulary without ``<s>``."""
    return 1.0 / (vocab_size - 1)


def interpolate(tables: list[OrderCounts], discounts: list[Discounts], vocab: list[str]) -> NgramModel:
    """Interpolated probabilities and backoff weights of every n-gram, as a backoff model (see ``smooth``)."""
    orders: list[NgramOrder] = []
    lower_prob: np.ndarray | float = uniform(len(vocab))
    for n, counts in enumerate(tables, 1):
        contexts = 1 if n == 1 else tables[n - 2].size
        lower = lower_prob if n == 1 else lower_prob[counts.suffix]
        prob, backoff = smooth(counts.prefix, contexts, counts.adjusted, discounts[n - 1], lower)
        if n > 1:
            orders[-1].backoff = backoff
        orders.append(NgramOrder(prefix=counts.prefix, word=counts.word,
                                 logprob=log10_probs(prob, counts.word if n == 1 else None),
                                 backoff=np.zeros(counts.size) if n < len(tables) else None))
        lower_prob = prob
    return NgramModel(vocab=vocab, orders=orders)
