"""Training: text file -> counts -> modified Kneser-Ney model -> ARPA file."""

from __future__ import annotations

import os
import time
from pathlib import Path
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

from ..errors import ConfigError
from ..io import atomic_path
from .binary import binary_path
from .budget import DEFAULT_MEMORY, Budget, parse_memory
from .corpus import encode, new_vocab
from .corpus_stream import read_corpus
from .counts import count_ngrams
from .external_count import count_external
from .kneser_ney import DEFAULT_FALLBACK, Discounts, check_fallback, estimate_discounts, interpolate
from .spill import TempSpace
from .stream_fit import estimate_and_write
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
    runs: list[int] = field(default_factory=list)  # sorted runs (spill files) merged per order, from bigrams
    temp_peak_bytes: int = 0  # most temporary disk space in use at once
    memory: int = 0  # the budget in bytes

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


def _check_order(order: int) -> None:
    if not 1 <= order <= MAX_ORDER:
        raise ConfigError(f"n-gram order must be between 1 and {MAX_ORDER}, got {order}")


def build_model(
    sentences: Sequence[Sequence[str]], order: int, discount_fallback: Sequence[float] = DEFAULT_FALLBACK
) -> tuple[NgramModel, FitStats]:
    """Estimate an interpolated modified Kneser-Ney model from tokenised sentences."""
    _check_order(order)
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
    memory: str | int = DEFAULT_MEMORY,
    temp_dir: str | os.PathLike[str] | None = None,
) -> FitStats:
    """Train on ``input_path`` (one sentence per line) and write the model to ``arpa_path``.

    ``discount_fallback`` (D1, D2, D3+) replaces an order's discounts when its
    counts-of-counts make them invalid, like lmplz's ``--discount_fallback``. Counting and
    estimation work within ``memory`` (e.g. ``"2G"``, like lmplz's ``-S``), sorting on disk in
    ``temp_dir`` (default: the folder of ``arpa_path``); the temporary files are removed at the
    end, whether the fit succeeds or fails. The model equals ``build_model``'s at every budget.
    A binary copy for fast loading is written beside it (``binary.binary_path``).
    """
    start = time.perf_counter()
    _check_order(order)
    fallback = check_fallback(tuple(discount_fallback))
    budget = Budget(parse_memory(memory))
    with atomic_path(arpa_path) as tmp, TempSpace(temp_dir or Path(arpa_path).parent) as space:
        corpus = read_corpus(input_path, budget.text_bytes(), spill=space.path("ids"))
        tables = count_external(corpus, order, budget, space)
        discounts = estimate_and_write(corpus, tables, fallback, budget, space, tmp, binary_path(arpa_path))
    return FitStats(
        order=order,
        counts=[t.size for t in tables],
        discounts=discounts,
        tokens=corpus.words,
        types=len(corpus.vocab),
        sentences=corpus.sentences,
        seconds=time.perf_counter() - start,
        fallback_orders=[n for n, d in enumerate(discounts, 1) if d.fallback],
        runs=[t.runs for t in tables[1:]],
        temp_peak_bytes=space.peak_bytes,
        memory=budget.total,
    )
