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
    POSITIVE,
    REVERSALS,
    SyntheticSentimentParams,
)
from rnnlab.errors import ConfigError

POLARITY = {**{w: "positive" for w in POSITIVE}, **{w: "negative" for w in NEGATIVE}}
SMALL = {"n_train": 96, "n_valid": 48, "n_test": 24}


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


@pytest.mark.parametrize("split, n", [("train", 96), ("valid", 48), ("test", 24)])
def test_balanced_cells(corpus, split, n):
    data = read_tsv(corpus / f"{split}.tsv", allowed_labels=LABELS)
    assert data.extra_columns == ("distance", "construction")
    cells = Counter((ex.label, *ex.extra) for ex in data.examples)
    assert len(data.examples) == n
    buckets = ("1–8", "9–24", "25–64", "65–150")
    assert set(cells) == set(product(LABELS, buckets, CONSTRUCTIONS))
    assert len(set(cells.values())) == 1


@pytest.mark.parametrize("split", ["train", "valid", "test"])
def test_label_follows_construction_and_distance(corpus, split):
    distances = Counter()
    for ex in read_tsv(corpus / f"{split}.tsv").examples:
        bucket, construction = ex.extra
        tokens = ex.sentence.split()
        start, end, label = evidence_span(tokens, construction)
        assert label == ex.label, ex.sentence
        assert tokens[-1] == "."
        low, high = (int(x) for x in bucket.split("–"))
        distance = len(tokens) - 1 - end  # tokens after the evidence's last word, "." included
        assert low <= distance <= high, ex.sentence
        distances[bucket] += distance > 1
        # At most one neutral clause (<= 9 tokens) and its comma before the evidence.
        assert start == 0 or (start <= 10 and tokens[start - 1] == ","), ex.sentence
    assert distances["65–150"] > 0 and distances["9–24"] > 0


def test_filler_is_neutral(corpus):
    markers = {"not", "but", "?", "hardly", *POSITIVE, *NEGATIVE}
    for ex in read_tsv(corpus / "train.tsv").examples:
        tokens = ex.sentence.split()
        start, end, _ = evidence_span(tokens, ex.extra[1])
        assert not markers & set(tokens[:start] + tokens[end + 1:])


@pytest.mark.parametrize(
    "overrides, message",
    [({"distance_edges": [5, 5]}, "distance_edges"), ({"distance_edges": [0, 9]}, "distance_edges"),
     ({"distance_edges": [1]}, "distance_edges"), ({"n_valid": 0}, "n_valid")],
)
def test_bad_params(overrides, message):
    with pytest.raises(ConfigError, match=message):
        make_params("synthetic-sentiment", overrides)


def test_distance_one_puts_the_evidence_last(tmp_path):
    generate("synthetic-sentiment", tmp_path / "z", overrides={**SMALL, "distance_edges": [1, 2]})
    for ex in read_tsv(tmp_path / "z" / "valid.tsv").examples:
        tokens = ex.sentence.split()
        _, end, _ = evidence_span(tokens, ex.extra[1])
        assert end == len(tokens) - 2 and ex.extra[0] == "1"


def test_a_bucket_no_filler_fits_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="no neutral filler fits the distance bucket 2–3"):
        generate("synthetic-sentiment", tmp_path / "z", overrides={**SMALL, "distance_edges": [1, 2, 4]})


def test_example():
    text = synthetic.example("synthetic-sentiment", 1)
    assert text == synthetic.example("synthetic-sentiment", 1)
    header, *rows = text.splitlines()
    assert header == "sentence\tlabel\tdistance\tconstruction"
    assert sorted(r.split("\t")[3] for r in rows) == ["contrast", "negation", "plain"]
    for r in rows:
        sentence, label, _, construction = r.split("\t")
        assert evidence_span(sentence.split(), construction)[2] == label
