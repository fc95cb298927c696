"""Training: text file -> counts -> modified Kneser-Ney model -> ARPA file."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from ..errors import ConfigError
from .arpa import write_arpa
from .corpus import encode, new_vocab, read_sentences
from .counts import count_ngrams
from .kneser_ney import DEFAULT_FALLBACK, Discounts, check_fallback, estimate_discounts, interpolate
from .tables import NgramModel

MAX_ORDER = 5


@dataclass
class FitStats:
    """What a fit saw and estimated; ``counts``/``discounts`` are per order, unigrams first."""

    order: int
    counts: list[int]
    discounts: list[Discounts]
    tokens: int  # words in the training text, without <s> and </s>
    types: int  # vocabulary size, with <unk>, <s> and </s>
    sentences: int
    seconds: float
    fallback_orders: list[int] = field(default_factory=list)

    def statistics_lines(self) -> list[str]:
        """The ``Statistics:`` block of KenLM's lmplz: order, n-gram count, discounts."""
        lines = ["Statistics:"]
        for n, (count, d) in enumerate(zip(self.counts, self.discounts), 1):
            lines.append(f"{n} {count} D1={d.d1:g} D2={d.d2:g} D3+={d.d3:g}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["discounts"] = [{"D1": d.d1, "D2": d.d2, "D3+": d.d3, "fallback": d.fallback} for d in self.discounts]
        return out


def build_model(
    sentences: Sequence[Sequence[str]], order: int, discount_fallback: Sequence[float] = DEFAULT_FALLBACK
) -> tuple[NgramModel, FitStats]:
    """Estimate an interpolated modified Kneser-Ney model from tokenised sentences."""
    if not 1 <= order <= MAX_ORDER:
        raise ConfigError(f"n-gram order must be between 1 and {MAX_ORDER}, got {order}")
    fallback = check_fallback(tuple(discount_fallback))
    start = time.perf_counter()
    vocab = new_vocab()
    corpus = encode(sentences, vocab, grow=True)
    tables = count_ngrams(corpus, order, len(vocab))
    discounts = [estimate_discounts(t.adjusted, fallback) for t in tables]
    model = interpolate(tables, discounts, list(vocab))
    stats = FitStats(
        order=order,
        counts=[t.size for t in tables],
        discounts=discounts,
        tokens=corpus.words,
        types=len(vocab),
        sentences=corpus.sentences,
        seconds=time.perf_counter() - start,
        fallback_orders=[n for n, d in enumerate(discounts, 1) if d.fallback],
    )
    return model, stats


def fit_arpa(
    input_path: str | os.PathLike[str],
    order: int,
    arpa_path: str | os.PathLike[str],
    discount_fallback: Sequence[float] = DEFAULT_FALLBACK,
) -> FitStats:
    """Train on ``input_path`` (one sentence per line) and write the model to ``arpa_path``.

    ``discount_fallback`` (D1, D2, D3+) replaces an order's discounts when its
    counts-of-counts make them invalid, like lmplz's ``--discount_fallback``.
    """
    start = time.perf_counter()
    if not 1 <= order <= MAX_ORDER:
        raise ConfigError(f"n-gram order must be between 1 and {MAX_ORDER}, got {order}")
    model, stats = build_model(read_sentences(input_path), order, discount_fallback)
    write_arpa(model, arpa_path)
    stats.seconds = time.perf_counter() - start
    return stats
