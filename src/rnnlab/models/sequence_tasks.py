"""The two sequence-labelling tasks, by name: how each reads a processed split and scores predictions.

``tagging`` (UPOS, CoNLL-U, per-word scores) and ``ner`` (IOB2, per-span scores) are separate tasks
because the task name is what the pipeline keys a corpus's file format, its metrics and its primary
metric on (``prepare``, ``processed.EXTENSIONS``, ``analysis.stats.PRIMARY``, the report): a
``ner`` variant of ``tagging`` would need a second key threaded through all of them. What the two
share lives once: the sentence type (:class:`TaggedSentence`), the taggers (count-based and
recurrent) and their training, which look the task up here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Container, Mapping, Sequence

from .. import metrics
from ..data.conllu_io import TaggedSentence, read_conllu
from ..data.iob_io import read_iob2
from ..data.processed import split_path
from .ner_metrics import NER_METRICS, ner_scores
from .tag_metrics import TAGGING_METRICS, tagging_scores

Scorer = Callable[[Sequence[TaggedSentence], Sequence[Sequence[str]], Container[str]], dict[str, float]]


@dataclass(frozen=True)
class SequenceTask:
    read: Callable[[Path], list[TaggedSentence]]
    score: Scorer
    metric_names: tuple[str, ...]


SEQUENCE_TASKS: Mapping[str, SequenceTask] = MappingProxyType({
    "tagging": SequenceTask(read_conllu, tagging_scores, TAGGING_METRICS),
    "ner": SequenceTask(lambda path: read_iob2(path).sentences, ner_scores, NER_METRICS),
})


def read_split(corpus_dir: Path, task: str, split: str) -> list[TaggedSentence]:
    """The sentences of a processed split of a sequence-labelling corpus."""
    return SEQUENCE_TASKS[task].read(split_path(corpus_dir, task, split))


def score_rows(task: str, corpus: str, model: str, seed: int, split: str, gold: Sequence[TaggedSentence],
               predicted: Sequence[Sequence[str]], vocabulary: Container[str], **extra: Any) -> list[dict[str, Any]]:
    """The tidy metric rows of predicted tag sequences against the gold sentences of one split."""
    scores = SEQUENCE_TASKS[task].score(gold, predicted, vocabulary)
    return [metrics.row(task, corpus, model, seed, split, name, value, **extra) for name, value in scores.items()]
