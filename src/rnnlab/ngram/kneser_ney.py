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


def estimate_discounts(adjusted: np.ndarray, fallback: Discounts) -> Discounts:
    """Discounts from the counts-of-counts n1..n4 of the adjusted counts.

    Chen & Goodman (1998), eq. 26: Y = n1 / (n1 + 2 n2), Dk = k - (k+1) Y n_{k+1} / n_k.
    Evaluated in single precision exactly as KenLM's lmplz does; if some n_k (k <= 3) is zero
    or some Dk falls outside [0, k], ``fallback`` is used instead.
    """
    n = np.bincount(np.minimum(adjusted, 5), minlength=6)[:5]  # (5,) n[k] = #{count == k}, k <= 4
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


def interpolate(tables: list[OrderCounts], discounts: list[Discounts], vocab: list[str]) -> NgramModel:
    """Interpolated probabilities and backoff weights of every n-gram, as a backoff model.

    Chen & Goodman (1998), eqs. 17 and 19 (interpolated modified Kneser-Ney):
      p(w | h) = (a(h w) - D(a(h w))) / sum_v a(h v) + gamma(h) * p(w | h'),
      gamma(h) = (D1 N1(h .) + D2 N2(h .) + D3+ N3+(h .)) / sum_v a(h v),
    where a are the adjusted counts, h' drops the first word of h, and below unigrams
    p is uniform over the vocabulary without ``<s>``. gamma(h) is the ARPA backoff of h.
    """
    uniform = 1.0 / (len(vocab) - 1)
    orders: list[NgramOrder] = []
    lower_prob = np.empty(0)
    for n, counts in enumerate(tables, 1):
        adjusted = counts.adjusted.astype(np.float64)
        discount = discounts[n - 1].table()[np.minimum(counts.adjusted, 3)]  # (G,)
        contexts = 1 if n == 1 else tables[n - 2].size
        denom = np.bincount(counts.prefix, weights=adjusted, minlength=contexts)  # (C,)
        mass = np.bincount(counts.prefix, weights=discount, minlength=contexts)  # (C,)
        has_ext = denom > 0
        gamma = np.divide(mass, denom, out=np.zeros(contexts), where=has_ext)
        lower = uniform if n == 1 else lower_prob[counts.suffix]
        prob = (adjusted - discount) / denom[counts.prefix] + gamma[counts.prefix] * lower
        if n > 1:
            orders[-1].backoff = np.log10(np.where(has_ext, gamma, 1.0))  # 0 where never a context
        logprob = np.minimum(np.log10(prob), 0.0)  # clamp rounding above 1, as KenLM does
        if n == 1:
            logprob[BOS_ID] = 0.0  # <s> is never predicted; KenLM writes log10 1 = 0
        orders.append(NgramOrder(prefix=counts.prefix, word=counts.word, logprob=logprob,
                                 backoff=np.zeros(counts.size) if n < len(tables) else None))
        lower_prob = prob
    return NgramModel(vocab=vocab, orders=orders)

