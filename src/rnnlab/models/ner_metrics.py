"""Scores of a named-entity tagger on one split, shared by every NER model.

Entities are the spans of IOB2 tag sequences, read by ``seqeval`` in strict IOB2 mode: an entity
starts at ``B-X`` and runs over the ``I-X`` that follow, so an ``I-X`` that continues no ``X``
entity starts none (conlleval, the CoNLL-2000 script, would start one there: the two agree on
valid sequences and differ on the invalid ones a per-word softmax can emit). A predicted entity
counts only when its type and both boundaries match a gold one.

Rows: ``span_precision``, ``span_recall``, ``span_f1`` (micro over all entities) and the same per
type (``span_f1.PER``, ...); ``accuracy`` over tokens; ``span_f1_right_context`` and
``span_f1_oov`` on the entities with a token marked ``RightContext=Yes`` or a word outside the
training vocabulary (only when the split has such entities); ``invalid_sequences``, the number of
predicted sentences that break IOB2. All in percent except the count.
"""

from __future__ import annotations

from typing import Container, Sequence

from seqeval.scheme import IOB2, Entities

from .. import metrics
from ..data.conllu_io import TaggedSentence
from ..data.iob_io import invalid_transitions

NER_METRICS = ("span_f1", "span_precision", "span_recall", "accuracy", "span_f1_right_context", "span_f1_oov",
               "invalid_sequences")

Span = tuple[int, str, int, int]  # sentence, type, start, end (exclusive)


def spans(sequences: Sequence[Sequence[str]]) -> set[Span]:
    """The entities of tag sequences, as seqeval reads them in strict IOB2 mode."""
    found = Entities([list(s) for s in sequences], IOB2, False).entities
    return {e.to_tuple() for sentence in found for e in sentence}


def subset_f1(gold: set[Span], predicted: set[Span], marked: Sequence[Sequence[bool]]) -> float | None:
    """F1 (0-1) on the entities, gold and predicted, that hold a marked token; None when no gold one does."""
    def touches(span: Span) -> bool:
        sentence, _, start, end = span
        return any(marked[sentence][start:end])

    gold_in, pred_in = {s for s in gold if touches(s)}, {s for s in predicted if touches(s)}
    if not gold_in:
        return None
    hits = len(gold_in & pred_in)
    precision, recall = hits / len(pred_in) if pred_in else 0.0, hits / len(gold_in)
    return 2 * precision * recall / (precision + recall) if hits else 0.0


def ner_scores(gold: Sequence[TaggedSentence], predicted: Sequence[Sequence[str]],
               vocabulary: Container[str]) -> dict[str, float]:
    """Metric name -> value for predicted tag sequences against the gold sentences."""
    # seqeval's metrics import scikit-learn (seconds of start-up), so only an NER evaluation loads them.
    from seqeval.metrics.v1 import precision_recall_fscore_support, unique_labels

    if len(gold) != len(predicted):
        raise ValueError(f"{len(predicted)} predicted sentences for {len(gold)} gold ones")
    for sentence, tags in zip(gold, predicted):
        if len(tags) != len(sentence.tags):
            raise ValueError(f"a sentence of {len(sentence.tags)} words got {len(tags)} predicted tags")
    y_true, y_pred = [list(s.tags) for s in gold], [list(t) for t in predicted]
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="micro", scheme=IOB2, zero_division=0)
    scores = {"span_precision": 100 * p, "span_recall": 100 * r, "span_f1": 100 * f,
              "accuracy": 100 * metrics.accuracy([t for s in y_true for t in s], [t for s in y_pred for t in s])}
    gold_spans, pred_spans = spans(y_true), spans(y_pred)
    subsets = {"span_f1_right_context": [s.right_context for s in gold],
               "span_f1_oov": [[w not in vocabulary for w in s.words] for s in gold]}
    for name, marked in subsets.items():
        value = subset_f1(gold_spans, pred_spans, marked)
        if value is not None:
            scores[name] = 100 * value
    scores["invalid_sequences"] = float(sum(invalid_transitions(t) > 0 for t in y_pred))
    kinds = unique_labels(y_true, y_pred, IOB2, False)
    per_type = precision_recall_fscore_support(y_true, y_pred, average=None, scheme=IOB2, zero_division=0)
    gold_kinds = {kind for _, kind, _, _ in gold_spans}
    for i, kind in enumerate(kinds):
        if kind in gold_kinds:
            for name, values in zip(("span_precision", "span_recall", "span_f1"), per_type[:3]):
                scores[f"{name}.{kind}"] = 100 * float(values[i])
    return scores
