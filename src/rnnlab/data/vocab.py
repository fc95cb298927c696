"""The vocabulary: token <-> integer id, built on the training split only.

Ids 0, 1, 2 are the specials ``<pad>``, ``<unk>``, ``<eos>``; then come the training tokens
by descending frequency, ties broken alphabetically, so the same text always gives the same ids.
``rnnlab prepare`` builds and saves it; the models and analyses read it back with
:meth:`Vocab.for_corpus`.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ..errors import ConfigError, CorpusError
from ..io import read_json, write_json
from .processed import vocab_path

PAD, UNK, EOS = "<pad>", "<unk>", "<eos>"
SPECIALS = (PAD, UNK, EOS)
PAD_ID, UNK_ID, EOS_ID = 0, 1, 2


def check_limits(min_freq: int, max_size: int | None) -> None:
    """ConfigError unless ``min_freq >= 1`` and ``max_size`` is None or at least 1."""
    if min_freq < 1:
        raise ConfigError(f"min_freq must be at least 1, got {min_freq}")
    if max_size is not None and max_size < 1:
        raise ConfigError(f"max_size must be at least 1 (or unset for no limit), got {max_size}")


@dataclass
class Vocab:
    """Token list ``itos`` plus how it was built; ``counts`` are training counts of regular tokens."""

    itos: list[str]
    min_freq: int = 1
    max_size: int | None = None
    tokenizer: str = "whitespace"
    counts: dict[str, int] = field(default_factory=dict)
    stoi: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for i, special in enumerate(SPECIALS):
            if len(self.itos) <= i or self.itos[i] != special:
                raise CorpusError(f"entry {i} of itos must be {special!r}: a vocabulary must start with "
                                  f"{', '.join(SPECIALS)}; got {list(self.itos[:3])}")
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            dupes = sorted(t for t, c in Counter(self.itos).items() if c > 1)
            raise CorpusError(f"the vocabulary lists these tokens twice: {', '.join(dupes[:10])}")

    @classmethod
    def from_counts(
        cls, counts: Counter[str], min_freq: int = 1, max_size: int | None = None, tokenizer: str = "whitespace"
    ) -> "Vocab":
        """Keep tokens seen at least ``min_freq`` times; at most ``max_size`` besides the specials."""
        check_limits(min_freq, max_size)
        kept = [(tok, n) for tok, n in counts.items() if n >= min_freq and tok not in SPECIALS]
        kept.sort(key=lambda item: (-item[1], item[0]))
        if max_size is not None:
            kept = kept[:max_size]
        return cls(
            itos=list(SPECIALS) + [tok for tok, _ in kept],
            min_freq=min_freq,
            max_size=max_size,
            tokenizer=tokenizer,
            counts=dict(kept),
        )

    @classmethod
    def build(
        cls,
        sentences: Iterable[Sequence[str]],
        min_freq: int = 1,
        max_size: int | None = None,
        tokenizer: str = "whitespace",
    ) -> "Vocab":
        """Count tokens of the (training) sentences and keep the frequent ones."""
        counts: Counter[str] = Counter()
        for tokens in sentences:
            counts.update(tokens)
        return cls.from_counts(counts, min_freq=min_freq, max_size=max_size, tokenizer=tokenizer)

    def __len__(self) -> int:
        return len(self.itos)

    @property
    def pad(self) -> int:
        return PAD_ID

    @property
    def unk(self) -> int:
        return UNK_ID

    @property
    def eos(self) -> int:
        return EOS_ID

    def __contains__(self, token: object) -> bool:
        return token in self.stoi

    def index(self, token: str) -> int:
        """Id of ``token``; ``<unk>``'s id when it is not in the vocabulary."""
        return self.stoi.get(token, UNK_ID)

    def map_oov(self, tokens: Sequence[str]) -> list[str]:
        """The tokens with every out-of-vocabulary one replaced by ``<unk>``."""
        return [tok if tok in self.stoi else UNK for tok in tokens]

    def encode(self, tokens: Sequence[str], add_eos: bool = False) -> np.ndarray:
        """Ids of ``tokens`` as an int64 array, optionally followed by ``<eos>``."""
        ids = [self.stoi.get(tok, UNK_ID) for tok in tokens]
        if add_eos:
            ids.append(EOS_ID)
        return np.asarray(ids, dtype=np.int64)

    def encode_stream(self, sentences: Iterable[Sequence[str]]) -> np.ndarray:
        """All sentences as one int64 stream, each followed by ``<eos>`` (language modelling)."""
        ids: list[int] = []
        for tokens in sentences:
            ids.extend(self.stoi.get(tok, UNK_ID) for tok in tokens)
            ids.append(EOS_ID)
        return np.asarray(ids, dtype=np.int64)

    def decode(self, ids: Iterable[int] | np.ndarray) -> list[str]:
        """Tokens of ``ids``; an id outside the vocabulary raises IndexError."""
        return [self.itos[int(i)] for i in np.asarray(ids).ravel()]

    def to_json(self) -> dict[str, Any]:
        return {
            "itos": list(self.itos),
            "min_freq": self.min_freq,
            "max_size": self.max_size,
            "tokenizer": self.tokenizer,
            "counts": dict(self.counts),
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "Vocab":
        return cls(
            itos=list(obj["itos"]),
            min_freq=int(obj.get("min_freq", 1)),
            max_size=obj.get("max_size"),
            tokenizer=str(obj.get("tokenizer", "whitespace")),
            counts={str(k): int(v) for k, v in obj.get("counts", {}).items()},
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write ``vocab.json`` atomically."""
        write_json(path, self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "Vocab":
        """The vocabulary saved in the file ``path`` (see :meth:`for_corpus` for a processed corpus)."""
        try:
            obj = read_json(path)
        except FileNotFoundError:
            raise CorpusError(f"{path} is missing; run `rnnlab prepare` for this corpus first") from None
        except ValueError as exc:
            raise CorpusError(f"{path} is not valid JSON ({exc}); run `rnnlab prepare` again") from None
        if not isinstance(obj, dict) or "itos" not in obj:
            raise CorpusError(f"{path} has no 'itos' list; run `rnnlab prepare` again")
        try:
            return cls.from_json(obj)
        except CorpusError as exc:
            raise CorpusError(f"{path}: {exc}; rerun `rnnlab prepare`") from None

    @classmethod
    def for_corpus(cls, corpus_dir: str | os.PathLike[str]) -> "Vocab":
        """The vocabulary of the processed corpus folder ``corpus_dir`` (its vocab.json)."""
        return cls.load(vocab_path(Path(corpus_dir)))
