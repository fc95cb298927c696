"""Scoring text with a backoff model loaded from an ARPA file, the way KenLM's ``query`` does.

log10 p(w | h) is the probability of the longest n-gram ``h' w`` present in the model plus the
backoff weights of every context of ``h`` longer than ``h'`` (absent contexts weigh 0).
Each sentence is scored on its own from ``<s>``; ``</s>`` is a scored token. A word outside
the vocabulary is scored as ``<unk>`` and counted as an OOV, as is a literal ``<unk>``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from .arpa import read_arpa
from .binary import read_binary
from .corpus import EOS, UNK_ID, EncodedCorpus, encode, read_sentences
from .tables import NgramModel


@dataclass(frozen=True)
class SentenceScore:
    total: float  # log10 probability of the sentence, </s> included
    oovs: int
    logprobs: np.ndarray  # (k+1,) log10 probability of each word, then of </s>


@dataclass(frozen=True)
class ScoreSummary:
    """Corpus totals, in KenLM's definitions (``</s>`` counts as a token)."""

    totals: np.ndarray  # (S,) log10 probability of each sentence
    sentence_oovs: np.ndarray  # (S,) OOVs per sentence
    log10_total: float
    log10_oov: float  # part of log10_total contributed by OOV tokens
    oovs: int
    tokens: int

    @property
    def perplexity(self) -> float:
        return float(10.0 ** (-self.log10_total / self.tokens))

    @property
    def perplexity_excluding_oovs(self) -> float:
        kept = self.tokens - self.oovs
        return float(10.0 ** (-(self.log10_total - self.log10_oov) / kept)) if kept else float("nan")

    def summary_lines(self) -> list[str]:
        return [
            f"Perplexity including OOVs:\t{self.perplexity!r}",
            f"Perplexity excluding OOVs:\t{self.perplexity_excluding_oovs!r}",
            f"OOVs:\t{self.oovs}",
            f"Tokens:\t{self.tokens}",
        ]

    def sentence_lines(self) -> list[str]:
        """``Total: <log10> OOV: <n>`` per sentence, like ``query -v sentence``."""
        pairs = zip(self.totals.tolist(), self.sentence_oovs.tolist())
        return [f"Total: {str(np.float32(t))} OOV: {n}" for t, n in pairs]

    def to_dict(self, per_sentence: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "perplexity": self.perplexity,
            "perplexity_excluding_oovs": self.perplexity_excluding_oovs,
            "oovs": self.oovs,
            "tokens": self.tokens,
            "sentences": int(self.totals.size),
            "log10_total": self.log10_total,
        }
        if per_sentence:
            out["sentence_log10"] = self.totals.tolist()
            out["sentence_oovs"] = self.sentence_oovs.tolist()
        return out


class ArpaModel:
    """A backoff n-gram model with vectorised scoring."""

    def __init__(self, tables: NgramModel) -> None:
        self.tables = tables
        self.vocab = {w: i for i, w in enumerate(tables.vocab)}

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "ArpaModel":
        """The model of an ARPA file, from its binary copy (binary.py) when one matches it."""
        return cls(read_binary(path) or read_arpa(path))

    @property
    def order(self) -> int:
        return self.tables.order

    def _position_logprobs(self, corpus: EncodedCorpus) -> np.ndarray:
        """log10 p of the token at every scored position (all but each ``<s>``), in order."""
        tables, seq, depth = self.tables, corpus.seq, corpus.depth
        rows = [seq]  # rows[n-1][i]: row of the n-gram ending at i in order n, or -1
        for n in range(2, self.order + 1):
            ends = np.flatnonzero(depth >= n - 1)
            found = np.full(seq.size, -1, dtype=np.int64)
            found[ends] = tables.lookup(n, rows[-1][ends - 1], seq[ends])
            rows.append(found)
        scored = corpus.scored_positions()  # (T,)
        logprob = tables.orders[0].logprob[seq[scored]]
        longest = np.ones(scored.size, dtype=np.int64)
        for n in range(2, self.order + 1):
            hit = rows[n - 1][scored]
            use = hit >= 0
            logprob[use] = tables.orders[n - 1].logprob[hit[use]]
            longest[use] = n
        for k in range(1, self.order):
            backoff = tables.orders[k - 1].backoff
            context = rows[k - 1][scored - 1]  # row of the k words before each token
            use = (context >= 0) & (k >= longest)
            logprob[use] += backoff[context[use]]
        return logprob

    def _encode(self, sentences: Iterable[Sequence[str]]) -> EncodedCorpus:
        return encode(sentences, self.vocab, grow=False)

    def score_sentences(self, sentences: Iterable[Sequence[str]]) -> list[SentenceScore]:
        """Score many tokenised sentences at once."""
        corpus = self._encode(sentences)
        if not corpus.sentences:
            return []
        logprob = self._position_logprobs(corpus)
        oov = corpus.seq[corpus.scored_positions()] == UNK_ID
        bounds = np.cumsum(corpus.lengths + 1)
        return [
            SentenceScore(total=float(lp.sum()), oovs=int(o.sum()), logprobs=lp)
            for lp, o in zip(np.split(logprob, bounds[:-1]), np.split(oov, bounds[:-1]))
        ]

    def score_sentence(self, tokens: Sequence[str]) -> SentenceScore:
        """Score one sentence; ``logprobs`` has one entry per token plus one for ``</s>``."""
        return self.score_sentences([tokens])[0]

    def word_logprob(self, history: Sequence[str], word: str) -> float:
        """log10 p(word | <s> history): the probability of ``word`` right after ``history``.

        ``word`` may be ``</s>`` (end of sentence); an unknown word is scored as ``<unk>``.
        """
        if word == EOS:
            return float(self.score_sentence(history).logprobs[-1])
        return float(self.score_sentence([*history, word]).logprobs[-2])

    def score_corpus(self, sentences: Iterable[Sequence[str]]) -> ScoreSummary:
        """Totals over tokenised sentences (see ScoreSummary)."""
        corpus = self._encode(sentences)
        logprob = self._position_logprobs(corpus)
        oov = corpus.seq[corpus.scored_positions()] == UNK_ID
        sentence = np.repeat(np.arange(corpus.sentences), corpus.lengths + 1)  # (T,)
        return ScoreSummary(
            totals=np.bincount(sentence, weights=logprob, minlength=corpus.sentences),
            sentence_oovs=np.bincount(sentence, weights=oov, minlength=corpus.sentences).astype(np.int64),
            log10_total=float(logprob.sum()),
            log10_oov=float(logprob[oov].sum()),
            oovs=int(oov.sum()),
            tokens=int(logprob.size),
        )

    def score_file(self, path: str | os.PathLike[str]) -> ScoreSummary:
        """Score a text file, one sentence per line (blank lines skipped)."""
        return self.score_corpus(read_sentences(path))
