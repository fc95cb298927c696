"""Corpus statistics (``stats.json``) and the table the report shows.

Per split: ``lines`` (non-blank lines or examples), ``tokens`` (language modelling: word tokens
plus one ``<eos>`` per line; classification: word tokens), ``word_tokens`` (without ``<eos>``),
``types`` (distinct word tokens before OOV mapping), ``oov_rate`` (fraction of word tokens not
in the vocabulary, hence mapped to ``<unk>``) and ``unk_rate`` (fraction of word tokens that are
``<unk>`` after mapping: OOV ones plus literal ``<unk>`` already in the source).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

from ..errors import CorpusError
from ..io import read_json
from .vocab import UNK, Vocab

TOKENS_NOTES = {
    "lm": "tokens = word tokens + one <eos> per line; rates are over word tokens (no <eos>)",
    "classification": "tokens = word tokens (no <eos>)",
    "tagging": "tokens = syntactic words (no <eos>); lines = sentences",
    "ner": "tokens = words (no <eos>); lines = sentences; iob_repairs = I-X tags repaired to B-X (lenient mode)",
}

TABLE_COLUMNS = ["corpus", "task", "split", "lines", "tokens", "types", "oov_rate", "unk_rate", "vocab_size"]

# Above this share of out-of-vocabulary tokens a split measures little more than <unk>: an LM
# scored a low perplexity on an all-<unk> test set.
OOV_WARNING_RATE = 0.5


@dataclass(frozen=True)
class SplitStats:
    lines: int
    tokens: int
    word_tokens: int
    types: int
    oov: int
    source_unk: int
    oov_rate: float
    unk_rate: float
    label_counts: dict[str, int] | None = None
    iob_repairs: int | None = None  # ner only


@dataclass
class SplitCounter:
    """Accumulates the statistics of one split, sentence by sentence."""

    vocab: Vocab
    task: str
    lines: int = 0
    word_tokens: int = 0
    oov: int = 0
    source_unk: int = 0
    types: set[str] = field(default_factory=set)
    labels: Counter[str] = field(default_factory=Counter)

    def add(self, tokens: Sequence[str], label: str | None = None) -> None:
        self.lines += 1
        self.word_tokens += len(tokens)
        self.types.update(tokens)
        for tok in tokens:
            if tok == UNK:
                self.source_unk += 1
            elif tok not in self.vocab:
                self.oov += 1
        if label is not None:
            self.labels[label] += 1

    def result(self) -> SplitStats:
        denom = max(self.word_tokens, 1)
        eos = self.lines if self.task == "lm" else 0
        return SplitStats(
            lines=self.lines,
            tokens=self.word_tokens + eos,
            word_tokens=self.word_tokens,
            types=len(self.types),
            oov=self.oov,
            source_unk=self.source_unk,
            oov_rate=self.oov / denom,
            unk_rate=(self.oov + self.source_unk) / denom,
            label_counts=dict(sorted(self.labels.items())) if self.task == "classification" else None,
        )


def compute_split_stats(
    sentences: Iterable[Sequence[str]], vocab: Vocab, task: str, labels: Iterable[str] | None = None
) -> SplitStats:
    """Statistics of tokenized (not yet OOV-mapped) sentences against ``vocab``."""
    counter = SplitCounter(vocab, task)
    label_iter = iter(labels) if labels is not None else None
    for tokens in sentences:
        counter.add(tokens, next(label_iter) if label_iter is not None else None)
    return counter.result()


@dataclass(frozen=True)
class CorpusStats:
    corpus: str
    task: str
    tokenizer: str
    vocab_size: int
    min_freq: int
    max_size: int | None
    splits: dict[str, SplitStats]
    labels: list[str] | None = None

    def to_json(self) -> dict[str, Any]:
        obj = asdict(self)
        obj["tokens_note"] = TOKENS_NOTES[self.task]
        for split in obj["splits"].values():
            for key in ("label_counts", "iob_repairs"):
                if split[key] is None:
                    del split[key]
        if self.labels is None:
            del obj["labels"]
        return obj

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "CorpusStats":
        return cls(
            corpus=obj["corpus"],
            task=obj["task"],
            tokenizer=obj["tokenizer"],
            vocab_size=int(obj["vocab_size"]),
            min_freq=int(obj["min_freq"]),
            max_size=obj.get("max_size"),
            splits={name: SplitStats(**s) for name, s in obj["splits"].items()},
            labels=obj.get("labels"),
        )


def load_stats(path: str | os.PathLike[str]) -> CorpusStats:
    """Read a ``stats.json`` written by ``rnnlab prepare``."""
    try:
        return CorpusStats.from_json(read_json(path))
    except FileNotFoundError:
        raise CorpusError(f"{path} is missing; run `rnnlab prepare` for this corpus first") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise CorpusError(f"{path} is not a stats.json written by `rnnlab prepare` ({exc}); prepare again") from None


def stats_table(paths: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """One row per corpus and split, from several ``stats.json`` files (or their folders)."""
    rows = []
    for path in paths:
        path = Path(path)
        stats = load_stats(path / "stats.json" if path.is_dir() else path)
        for split, s in stats.splits.items():
            rows.append(
                {
                    "corpus": stats.corpus,
                    "task": stats.task,
                    "split": split,
                    "lines": s.lines,
                    "tokens": s.tokens,
                    "types": s.types,
                    "oov_rate": s.oov_rate,
                    "unk_rate": s.unk_rate,
                    "vocab_size": stats.vocab_size,
                }
            )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def oov_warning(corpus: str, split: str, oov_rate: float) -> str | None:
    """What ``prepare`` and the report say about a split whose scores mostly measure ``<unk>``; None if fine."""
    if not oov_rate > OOV_WARNING_RATE:
        return None
    return (f"corpus {corpus}: {oov_rate:.1%} of the {split} split's tokens are out of the vocabulary (above "
            f"{OOV_WARNING_RATE:.0%}); its scores mostly measure <unk>. Check that the split matches the training "
            "data, or lower vocab.min_freq")
