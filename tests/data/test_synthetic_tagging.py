"""synthetic-tagging: deterministic, and its right-context words really are ambiguous from the left."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from rnnlab.data.conllu_io import read_conllu
from rnnlab.data.synthetic import generate
from rnnlab.data.synthetic_tagging import AMBIGUOUS, SyntheticTaggingParams, split_sentences


def test_same_seed_same_bytes(tmp_path: Path):
    generate("synthetic-tagging", tmp_path / "a", seed=3, overrides={"n_train": 50, "n_valid": 10, "n_test": 10})
    generate("synthetic-tagging", tmp_path / "b", seed=3, overrides={"n_train": 50, "n_valid": 10, "n_test": 10})
    for split in ("train", "valid", "test"):
        assert (tmp_path / "a" / f"{split}.conllu").read_bytes() == (tmp_path / "b" / f"{split}.conllu").read_bytes()
    assert len(read_conllu(tmp_path / "a" / "train.conllu")) == 50


def test_right_context_words_are_ambiguous_from_the_left():
    sentences = split_sentences(SyntheticTaggingParams(n_train=2000, seed=1), "train", 2000)
    # Group the marked words by their left context with words abstracted to tags: if the left
    # context decided the tag, each group would hold one tag only.
    by_left: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    marked = 0
    for s in sentences:
        for i, right in enumerate(s.right_context):
            if right:
                marked += 1
                assert s.words[i] in AMBIGUOUS and s.tags[i] in ("NOUN", "VERB")
                by_left[s.tags[:i] + (s.words[i],)][s.tags[i]] += 1
                # ... while the next word decides it: an auxiliary after a noun, a determiner after a verb.
                assert (s.tags[i], s.tags[i + 1]) in (("NOUN", "AUX"), ("VERB", "DET"))
    assert 0.3 < marked / len(sentences) < 0.5
    big = [c for c in by_left.values() if sum(c.values()) >= 20]
    assert big and all(min(c["NOUN"], c["VERB"]) / sum(c.values()) > 0.3 for c in big)
    # The same ambiguous word gets both tags overall.
    tags_of = defaultdict(set)
    for s in sentences:
        for w, t, r in zip(s.words, s.tags, s.right_context):
            if r:
                tags_of[w].add(t)
    assert all(tags == {"NOUN", "VERB"} for tags in tags_of.values())


def test_rare_words_give_oov_in_test():
    params = SyntheticTaggingParams(seed=2)
    train = {w for s in split_sentences(params, "train", params.n_train) for w in s.words}
    test = [w for s in split_sentences(params, "test", params.n_test) for w in s.words]
    assert 0 < sum(w not in train for w in test) / len(test) < 0.1
