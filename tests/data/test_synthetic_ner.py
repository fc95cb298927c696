"""synthetic-ner: deterministic, valid IOB2, and its right-decided entities really are ambiguous from the left."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from rnnlab.data.iob_io import invalid_transitions, read_iob2
from rnnlab.data.synthetic import example, generate
from rnnlab.data.synthetic_ner import AMBIGUOUS, SyntheticNerParams, split_sentences


def test_same_seed_same_bytes_and_strict_iob2(tmp_path: Path):
    sizes = {"n_train": 50, "n_valid": 10, "n_test": 10}
    generate("synthetic-ner", tmp_path / "a", seed=3, overrides=sizes)
    generate("synthetic-ner", tmp_path / "b", seed=3, overrides=sizes)
    for split in ("train", "valid", "test"):
        assert (tmp_path / "a" / f"{split}.iob2").read_bytes() == (tmp_path / "b" / f"{split}.iob2").read_bytes()
    data = read_iob2(tmp_path / "a" / "train.iob2", tags=["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"])
    assert len(data.sentences) == 50 and data.repairs == 0


def test_right_decided_entities_are_ambiguous_from_the_left():
    sentences = split_sentences(SyntheticNerParams(seed=1), "train", 2000)
    by_left: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    marked = 0
    for s in sentences:
        assert invalid_transitions(s.tags) == 0
        if not any(s.right_context):
            continue
        start = s.right_context.index(True)
        marked += 1
        assert s.words[start] in AMBIGUOUS and s.tags[start].startswith("B-")
        # Marked tokens are exactly one entity: its B- and every I- that follows.
        span = [i for i, r in enumerate(s.right_context) if r]
        assert span == list(range(start, start + len(span)))
        assert all(s.tags[i] == "I-" + s.tags[start][2:] for i in span[1:])
        by_left[s.words[:start]][s.tags[start]] += 1
    assert 0.3 < marked / len(sentences) < 0.5
    # Grouped by the words before the name, every group holds each type about a third of the time.
    big = [c for c in by_left.values() if sum(c.values()) >= 100]
    assert len(big) == 5 and all(min(c[t] for t in ("B-PER", "B-LOC", "B-ORG")) / sum(c.values()) > 0.25 for c in big)


def test_multi_token_entities_and_oov_names_in_test():
    params = SyntheticNerParams(seed=2)
    train = {w for s in split_sentences(params, "train", params.n_train) for w in s.words}
    test = split_sentences(params, "test", params.n_test)
    entity_words = [w for s in test for w, t in zip(s.words, s.tags) if t != "O"]
    assert 0 < sum(w not in train for w in entity_words) / len(entity_words) < 0.2
    assert any(t.startswith("I-") for s in test for t in s.tags)
    types = {t[2:] for s in test for t in s.tags if t != "O"}
    assert types == {"PER", "LOC", "ORG"}


def test_example_shows_every_reading():
    text = example("synthetic-ner")
    assert all(f"B-{kind}\tRightContext=Yes" in text for kind in ("PER", "LOC", "ORG"))
