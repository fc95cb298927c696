import json
from collections import Counter
from itertools import product

import pytest

from rnnlab.data import synthetic
from rnnlab.data.corpus_io import read_tsv
from rnnlab.data.synthetic import generate, make_params
from rnnlab.data.synthetic_sentiment import (
    CONSTRUCTIONS,
    LABELS,
    NEGATIVE,
    POSITIONS,
    POSITIVE,
    REVERSALS,
    SyntheticSentimentParams,
)
from rnnlab.errors import ConfigError

POLARITY = {**{w: "positive" for w in POSITIVE}, **{w: "negative" for w in NEGATIVE}}
SMALL = {"n_train": 90, "n_valid": 36, "n_test": 18}


def flip(label):
    return "negative" if label == "positive" else "positive"


def evidence_span(tokens, construction):
    """(start, end, label) of the evidence by the construction's rule, read off the tokens."""
    sentiment = [i for i, t in enumerate(tokens) if t in POLARITY]
    first, last = sentiment[0], sentiment[-1]
    start = first - (4 if tokens[first - 4:first - 2] == ["i", "found"] else 3)
    if construction == "plain":
        assert len(sentiment) == 1 and "not" not in tokens and "but" not in tokens and "?" not in tokens
        return start, first, POLARITY[tokens[first]]
    if construction == "negation":
        assert len(sentiment) == 1 and "but" not in tokens
        reversal = next(r.split() for r in REVERSALS if tokens[first + 1:first + 1 + len(r.split())] == r.split())
        return start, first + len(reversal), flip(POLARITY[tokens[first]])
    assert construction == "contrast" and len(sentiment) == 2 and "not" not in tokens
    assert tokens[first + 1:first + 3] == [",", "but"]
    assert POLARITY[tokens[first]] != POLARITY[tokens[last]]
    return start, last, POLARITY[tokens[last]]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("sent") / "raw"
    generate("synthetic-sentiment", out, overrides=SMALL)
    return out


def test_same_seed_same_bytes(tmp_path):
    generate("synthetic-sentiment", tmp_path / "a", seed=9, overrides=SMALL)
    generate("synthetic-sentiment", tmp_path / "b", seed=9, overrides=SMALL)
    generate("synthetic-sentiment", tmp_path / "c", seed=10, overrides=SMALL)
    read = lambda d: {p.name: p.read_bytes() for p in sorted(d.iterdir())}  # noqa: E731
    a, b, c = read(tmp_path / "a"), read(tmp_path / "b"), read(tmp_path / "c")
    assert sorted(a) == ["GENERATOR.json", "test.tsv", "train.tsv", "valid.tsv"]
    assert a == b and a["train.tsv"] != c["train.tsv"]
    assert json.loads(a["GENERATOR.json"])["params"]["seed"] == 9


@pytest.mark.parametrize("split, n", [("train", 90), ("valid", 36), ("test", 18)])
def test_balanced_cells(corpus, split, n):
    data = read_tsv(corpus / f"{split}.tsv", allowed_labels=LABELS)
    assert data.extra_columns == ("position", "construction")
    cells = Counter((ex.label, *ex.extra) for ex in data.examples)
    assert len(data.examples) == n
    assert set(cells) == set(product(LABELS, POSITIONS, CONSTRUCTIONS))
    assert len(set(cells.values())) == 1


@pytest.mark.parametrize("split", ["train", "valid", "test"])
def test_label_follows_construction_and_position(corpus, split):
    for ex in read_tsv(corpus / f"{split}.tsv").examples:
        position, construction = ex.extra
        tokens = ex.sentence.split()
        start, end, label = evidence_span(tokens, construction)
        assert label == ex.label, ex.sentence
        assert tokens[-1] == "."
        if position == "front":
            assert start == 0 and len(tokens) - 1 - end >= SyntheticSentimentParams.filler_min
        elif position == "end":
            assert end == len(tokens) - 2 and start > 0
        else:
            assert start > 0 and end < len(tokens) - 2


def test_filler_is_neutral(corpus):
    markers = {"not", "but", "?", "hardly", *POSITIVE, *NEGATIVE}
    for ex in read_tsv(corpus / "train.tsv").examples:
        tokens = ex.sentence.split()
        start, end, _ = evidence_span(tokens, ex.extra[1])
        assert not markers & set(tokens[:start] + tokens[end + 1:])


@pytest.mark.parametrize(
    "overrides, message",
    [({"filler_min": 10, "filler_max": 5}, "filler_min"), ({"filler_min": -1}, "filler_min"), ({"n_valid": 0}, "n_valid")],
)
def test_bad_params(overrides, message):
    with pytest.raises(ConfigError, match=message):
        make_params("synthetic-sentiment", overrides)


def test_no_filler_gives_bare_evidence(tmp_path):
    generate("synthetic-sentiment", tmp_path / "z", overrides={**SMALL, "filler_min": 0, "filler_max": 0})
    for ex in read_tsv(tmp_path / "z" / "valid.tsv").examples:
        tokens = ex.sentence.split()
        start, end, _ = evidence_span(tokens, ex.extra[1])
        assert (start, end) == (0, len(tokens) - 2)


def test_example():
    text = synthetic.example("synthetic-sentiment", 1)
    assert text == synthetic.example("synthetic-sentiment", 1)
    header, *rows = text.splitlines()
    assert header == "sentence\tlabel\tposition\tconstruction"
    assert sorted(r.split("\t")[3] for r in rows) == ["contrast", "negation", "plain"]
    for r in rows:
        sentence, label, _, construction = r.split("\t")
        assert evidence_span(sentence.split(), construction)[2] == label
