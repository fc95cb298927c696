"""Scores of a tagger on one split, shared by every tagging model.

Rows (all in percent): ``accuracy`` over all words; ``accuracy_oov`` over words not in the
training vocabulary (``vocab.json``); ``accuracy_right_context`` over words marked
``RightContext=Yes`` (only when the split marks some); ``macro_f1``, the unweighted mean F1 over
the tags present in the gold standard; and ``tag_f1.<TAG>`` for each of those tags.
"""

from __future__ import annotations

from typing import Container, Sequence

from .. import metrics
from ..data.conllu_io import TaggedSentence

TAGGING_METRICS = ("accuracy", "accuracy_oov", "accuracy_right_context", "macro_f1")


def tagging_scores(gold: Sequence[TaggedSentence], predicted: Sequence[Sequence[str]],
                   vocabulary: Container[str]) -> dict[str, float]:
    """Metric name -> value (%) for predicted tag sequences against the gold sentences."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(predicted)} predicted sentences for {len(gold)} gold ones")
    gold_tags, pred_tags, oov, right = [], [], [], []
    for sentence, tags in zip(gold, predicted):
        if len(tags) != len(sentence.tags):
            raise ValueError(f"a sentence of {len(sentence.tags)} words got {len(tags)} predicted tags")
        gold_tags += sentence.tags
        pred_tags += tags
        oov += [w not in vocabulary for w in sentence.words]
        right += sentence.right_context
    scores = {"accuracy": 100 * metrics.accuracy(gold_tags, pred_tags)}
    for name, mask in (("accuracy_oov", oov), ("accuracy_right_context", right)):
        picked = [(g, p) for g, p, m in zip(gold_tags, pred_tags, mask) if m]
        if picked:
            scores[name] = 100 * metrics.accuracy(*zip(*picked))
    present = sorted(set(gold_tags))
    per_tag = metrics.f1_per_class(gold_tags, pred_tags, present)
    scores["macro_f1"] = 100 * sum(per_tag.values()) / len(per_tag)
    scores.update({f"tag_f1.{tag}": 100 * f1 for tag, f1 in per_tag.items()})
    return scores
