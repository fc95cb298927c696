"""Count-based taggers: the most-frequent-tag baseline and a trigram HMM (TnT) with Viterbi.

``ngram-mft``: each known word gets its most frequent training tag; an unknown word gets the
most frequent tag of rare training words (seen at most ``rare_max`` times) that share its word
shape and longest suffix (up to ``suffix_max`` letters), backing off to shorter suffixes, then to
the shape alone. ``ngram-mft-span`` (NER): the same tags, then every ``I-X`` that continues no
``X`` entity turned into ``B-X``, so its output is always valid IOB2. ``ngram-hmm``: see
:mod:`rnnlab.models.hmm`. Each serves POS tagging and NER alike (tags are just labels to them);
:mod:`rnnlab.models.sequence_tasks` says how each task reads and scores a split.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..data.conllu_io import TaggedSentence
from ..data.iob_io import repair
from ..data.processed import available_splits, read_labels
from ..data.vocab import Vocab
from ..errors import ConfigError, RnnlabError
from ..io import make_dir, write_json
from ..layout import STATUS_FILE
from .hmm import HMMParams, SuffixModel, transition_table, viterbi
from .params import require_positive
from .registry import EvalRequest, MetricRows, ModelEntry, TrainRequest
from .sequence_tasks import read_split, score_rows


@dataclass(frozen=True)
class MFTParams:
    rare_max: int = 1  # words seen at most this often train the unknown-word backoff
    suffix_max: int = 3

    def __post_init__(self) -> None:
        require_positive(self, "rare_max", "suffix_max")


def word_shape(word: str) -> str:
    if any(c.isdigit() for c in word):
        return "digit"
    if not any(c.isalnum() for c in word):
        return "punct"
    return "upper" if word[:1].isupper() else "lower"


def backoff_keys(word: str, suffix_max: int) -> list[str]:
    """Shape + suffix keys, longest suffix first, ending with the shape alone."""
    shape = word_shape(word)
    return [f"{shape}|{word[len(word) - i:]}" for i in range(min(suffix_max, len(word)), 0, -1)] + [f"{shape}|"]


def _best(counts: Mapping[str, int], prior: Mapping[str, int]) -> str:
    """The most frequent tag; ties go to the tag more frequent overall, then alphabetical order."""
    return min(counts, key=lambda t: (-counts[t], -prior.get(t, 0), t))


@dataclass(frozen=True)
class MostFrequentTagger:
    known: dict[str, str]
    backoff: dict[str, str]
    default: str
    params: MFTParams

    @classmethod
    def fit(cls, sentences: Sequence[TaggedSentence], params: MFTParams) -> "MostFrequentTagger":
        by_word: dict[str, Counter] = {}
        for s in sentences:
            for word, tag in zip(s.words, s.tags):
                by_word.setdefault(word, Counter())[tag] += 1
        prior: Counter = Counter(tag for s in sentences for tag in s.tags)
        by_key: dict[str, Counter] = {}
        rare: Counter = Counter()
        for word, counts in by_word.items():
            if sum(counts.values()) <= params.rare_max:
                rare.update(counts)
                for key in backoff_keys(word, params.suffix_max):
                    by_key.setdefault(key, Counter()).update(counts)
        known = {w: _best(c, prior) for w, c in by_word.items()}
        return cls(known, {k: _best(c, prior) for k, c in by_key.items()}, _best(rare or prior, prior), params)

    @property
    def n_params(self) -> int:
        return len(self.known) + len(self.backoff) + 1

    def tag_word(self, word: str) -> str:
        if word in self.known:
            return self.known[word]
        return next((self.backoff[k] for k in backoff_keys(word, self.params.suffix_max) if k in self.backoff),
                    self.default)

    def predict(self, sentences: Sequence[TaggedSentence]) -> list[list[str]]:
        return [[self.tag_word(w) for w in s.words] for s in sentences]

    def to_json(self) -> dict[str, Any]:
        return {"known": self.known, "backoff": self.backoff, "default": self.default, "params": asdict(self.params)}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "MostFrequentTagger":
        return cls(obj["known"], obj["backoff"], obj["default"], MFTParams(**obj["params"]))


class SpanMostFrequentTagger(MostFrequentTagger):
    """The most-frequent-tag baseline with its IOB2 output repaired into valid spans."""

    def predict(self, sentences: Sequence[TaggedSentence]) -> list[list[str]]:
        return [repair(tags)[0] for tags in super().predict(sentences)]


@dataclass(frozen=True)
class HMMTagger:
    tags: tuple[str, ...]
    log_trans: np.ndarray  # (K, K, K)
    lambdas: tuple[float, ...]
    emissions: dict[str, dict[int, float]]  # word -> tag index -> log P(word | tag)
    log_prior: np.ndarray  # (T,) log P(t)
    suffix_counts: dict[str, dict[int, int]]
    params: HMMParams

    @classmethod
    def fit(cls, sentences: Sequence[TaggedSentence], tags: Sequence[str], params: HMMParams) -> "HMMTagger":
        index = {t: i for i, t in enumerate(tags)}
        sequences = [[index[t] for t in s.tags] for s in sentences]
        log_trans, lambdas = transition_table(sequences, len(tags))
        pairs: Counter = Counter((w, index[t]) for s in sentences for w, t in zip(s.words, s.tags))
        tag_counts = np.bincount([i for seq in sequences for i in seq], minlength=len(tags)).astype(float)
        emissions: dict[str, dict[int, float]] = {}
        for (word, tag), n in pairs.items():
            emissions.setdefault(word, {})[tag] = math.log(n / tag_counts[tag])
        word_counts: Counter = Counter()
        for (word, _), n in pairs.items():
            word_counts[word] += n
        rare = [(w, t) for (w, t), n in pairs.items() if word_counts[w] <= params.rare_max for _ in range(n)]
        suffix_counts = SuffixModel.count([w for w, _ in rare], [t for _, t in rare], params.suffix_max)
        with np.errstate(divide="ignore"):
            log_prior = np.log(tag_counts / tag_counts.sum())
        return cls(tuple(tags), log_trans, lambdas, emissions, log_prior, suffix_counts, params)

    @property
    def n_params(self) -> int:
        """Transition cells, emission entries, suffix-table entries and the λs."""
        return (self.log_trans.size + sum(map(len, self.emissions.values()))
                + sum(map(len, self.suffix_counts.values())) + len(self.lambdas))

    def emission_rows(self, words: Sequence[str], suffixes: SuffixModel) -> np.ndarray:
        """log P(word | tag) (n, T); unknown words: log P(t | suffix) − log P(t) (P(suffix) drops out)."""
        rows = np.full((len(words), len(self.tags)), -math.inf)
        for i, word in enumerate(words):
            known = self.emissions.get(word)
            if known is not None:
                for tag, logp in known.items():
                    rows[i, tag] = logp
            else:
                with np.errstate(divide="ignore"):
                    rows[i] = np.log(suffixes.probs(word)) - self.log_prior
        return rows

    def predict(self, sentences: Sequence[TaggedSentence]) -> list[list[str]]:
        suffixes = SuffixModel(self.suffix_counts, len(self.tags), self.params.suffix_max)
        out = []
        for s in sentences:
            path, _ = viterbi(self.log_trans, self.emission_rows(s.words, suffixes))
            out.append([self.tags[i] for i in path])
        return out

    def to_json(self) -> dict[str, Any]:
        return {"tags": list(self.tags), "log_trans": np.where(np.isfinite(self.log_trans), self.log_trans, None).tolist(),
                "lambdas": list(self.lambdas), "emissions": self.emissions,
                "log_prior": np.where(np.isfinite(self.log_prior), self.log_prior, None).tolist(),
                "suffix_counts": self.suffix_counts, "params": asdict(self.params)}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "HMMTagger":
        def array(values: Any) -> np.ndarray:
            return np.array(values, dtype=float)  # JSON null (log 0) becomes nan ...

        log_trans, log_prior = array(obj["log_trans"]), array(obj["log_prior"])
        log_trans[np.isnan(log_trans)] = -math.inf  # ... and back to log 0
        log_prior[np.isnan(log_prior)] = -math.inf
        emissions = {w: {int(t): p for t, p in d.items()} for w, d in obj["emissions"].items()}
        suffix_counts = {k: {int(t): n for t, n in d.items()} for k, d in obj["suffix_counts"].items()}
        return cls(tuple(obj["tags"]), log_trans, tuple(obj["lambdas"]), emissions, log_prior, suffix_counts,
                   HMMParams(**obj["params"]))


@dataclass(frozen=True)
class TaggerKind:
    params: type
    fit: Callable[[Sequence[TaggedSentence], Sequence[str], Any], Any]
    load: Callable[[dict[str, Any]], Any]
    description: str
    tasks: tuple[str, ...] = ("tagging", "ner")


KINDS: Mapping[str, TaggerKind] = MappingProxyType({
    "ngram-mft": TaggerKind(MFTParams, lambda s, _tags, p: MostFrequentTagger.fit(s, p), MostFrequentTagger.from_json,
                            "Most-frequent-tag baseline; unknown words by word shape + suffix of rare words"),
    "ngram-mft-span": TaggerKind(MFTParams, lambda s, _tags, p: SpanMostFrequentTagger.fit(s, p),
                                 SpanMostFrequentTagger.from_json,
                                 "Most-frequent-tag baseline whose IOB2 output is repaired into valid spans",
                                 tasks=("ner",)),
    "ngram-hmm": TaggerKind(HMMParams, HMMTagger.fit, HMMTagger.from_json,
                            "Trigram HMM tagger (TnT: deleted interpolation, suffix model), Viterbi decoding "
                            "(Brants 2000)"),
})
MODEL_FILE = "tagger.json"


def parse_params(name: str, params: Mapping[str, Any]) -> Any:
    kind = KINDS[name]
    valid = {f.name for f in fields(kind.params)}
    unknown = sorted(set(params) - valid)
    if unknown:
        raise ConfigError(f"unknown parameter {unknown[0]!r} for model {name!r}; valid parameters: {', '.join(sorted(valid))}")
    for key, value in params.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"parameter {key!r} of model {name!r} must be an integer, got {value!r}")
    return kind.params(**params)


def train(name: str, req: TrainRequest) -> None:
    params = parse_params(name, req.params)
    start = time.perf_counter()
    sentences = read_split(req.corpus_dir, req.task, "train")
    model = KINDS[name].fit(sentences, read_labels(req.corpus_dir), params)
    seconds = time.perf_counter() - start
    make_dir(req.out_dir)
    write_json(req.out_dir / MODEL_FILE, model.to_json())
    tokens = sum(len(s.words) for s in sentences)
    write_json(req.out_dir / STATUS_FILE, {"status": "completed", "train_seconds": seconds,
                                              "tokens_per_s": tokens / seconds if seconds > 0 else None,
                                              "params": model.n_params,
                                              "backend": "numpy", "device": "cpu"})


def evaluate(name: str, req: EvalRequest) -> MetricRows:
    status = req.status()  # first: a run that never finished says so before its files are read
    path = Path(req.model_dir) / MODEL_FILE
    if not path.exists():
        raise RnnlabError(f"{path} is missing: the model was not trained; run training first")
    model = KINDS[name].load(json.loads(path.read_text(encoding="utf-8")))
    vocabulary = Vocab.for_corpus(req.corpus_dir)
    extra = {k: status.get(k) for k in ("params", "train_seconds", "tokens_per_s", "backend", "device", "status")}
    rows: MetricRows = []
    for split in available_splits(req.corpus_dir, req.task, req.splits):
        gold = read_split(req.corpus_dir, req.task, split)
        rows += score_rows(req.task, req.corpus, name, req.seed, split, gold, model.predict(gold), vocabulary, **extra)
    return rows


def entries() -> list[ModelEntry]:
    return [ModelEntry(name, "ngram", kind.tasks, lambda r, n=name: train(n, r), lambda r, n=name: evaluate(n, r),
                       kind.description, deterministic=True, trains=False,
                       check=lambda task, params, device, backend, n=name: parse_params(n, params))
            for name, kind in KINDS.items()]
