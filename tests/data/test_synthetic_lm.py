import argparse
import json
from collections import Counter

import pytest

from rnnlab.data import synthetic, synthetic_lm
from rnnlab.data.corpus_io import read_probes
from rnnlab.data.synthetic import StableRandom, generate, make_params, parse_assignments
from rnnlab.data.synthetic_lm import CUE_NOUNS, PROBE_VERBS, SyntheticLMParams, filler_lexicon, filler_sentence, filler_span
from rnnlab.errors import ConfigError

SMALL = {"n_train": 70, "n_valid": 21, "n_test": 15}


def files_of(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_same_seed_same_bytes_other_seed_other_text(tmp_path):
    generate("synthetic-lm", tmp_path / "a", seed=5, overrides=SMALL)
    generate("synthetic-lm", tmp_path / "b", seed=5, overrides=SMALL)
    generate("synthetic-lm", tmp_path / "c", seed=6, overrides=SMALL)
    a, b, c = (files_of(tmp_path / x) for x in "abc")
    assert sorted(a) == [
        "GENERATOR.json", "test.probes.tsv", "test.txt", "train.probes.tsv", "train.txt", "valid.probes.tsv", "valid.txt",
    ]
    assert a == b
    assert a["train.txt"] != c["train.txt"]


def test_generator_json_records_params(tmp_path):
    generate("synthetic-lm", tmp_path / "g", seed=2, overrides={**SMALL, "distances": [4, 30]})
    meta = json.loads((tmp_path / "g" / "GENERATOR.json").read_text())
    assert meta["generator"] == "synthetic-lm" and meta["task"] == "lm"
    assert meta["params"] == {**SMALL, "n_cue_nouns": 10, "distances": [4, 30], "filler_vocab_size": 260, "seed": 2}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("lm") / "raw"
    generate("synthetic-lm", out, overrides={"n_train": 140, "n_valid": 45, "n_test": 30, "n_cue_nouns": 5})
    return out


@pytest.mark.parametrize("split, n", [("train", 140), ("valid", 45), ("test", 30)])
def test_probes_point_at_target_and_cue(corpus, split, n):
    lines = (corpus / f"{split}.txt").read_text().splitlines()
    probes = read_probes(corpus / f"{split}.probes.tsv")
    assert len(lines) == len(probes) == n
    for i, probe in enumerate(probes):
        tokens = lines[probe.line].split()
        assert probe.line == i
        assert probe.target == probe.cue and probe.cue in CUE_NOUNS[:5]
        assert tokens[probe.position] == probe.target
        assert tokens[probe.position - probe.distance] == probe.cue
        assert tokens[probe.position + 1:] == ["."]
        # The cue noun occurs exactly twice: as the cue and as the target; no other cue noun appears.
        assert [t for t in tokens if t in CUE_NOUNS] == [probe.cue, probe.cue]
        # The frame before the target is the same whatever the cue.
        assert tokens[probe.position - 1] in ("her", "his") and tokens[probe.position - 2] in PROBE_VERBS


@pytest.mark.parametrize("split", ["train", "valid", "test"])
def test_distances_balanced_and_cues_all_used(corpus, split):
    probes = read_probes(corpus / f"{split}.probes.tsv")
    by_distance = Counter(p.distance for p in probes)
    assert set(by_distance) == set(SyntheticLMParams.distances)
    assert max(by_distance.values()) - min(by_distance.values()) <= 1
    if split == "train":
        assert set(Counter(p.cue for p in probes)) == set(CUE_NOUNS[:5])


def test_default_train_size_in_range(tmp_path):
    lines, probes = synthetic_lm.split_passages(SyntheticLMParams(), "train", SyntheticLMParams.n_train)
    tokens = sum(len(line.split()) + 1 for line in lines)  # one <eos> per line
    assert 100_000 <= tokens <= 200_000


def test_shortest_passage_and_filler_lengths():
    rng = StableRandom(0)
    lex = filler_lexicon(260)
    tokens, probe = synthetic_lm.passage(rng, lex, "maps", 4)
    assert tokens[probe.position - 4:] == ["maps", "and", tokens[probe.position - 2], tokens[probe.position - 1], "maps", "."]
    for length in range(4, 17):
        sentence = filler_sentence(rng, lex, length)
        assert len(sentence) == length and sentence[-1] == "."
    for length in (0, 4, 5, 17, 63, 199):
        assert len(filler_span(rng, lex, length)) == length


def test_filler_vocabulary_never_holds_cue_nouns():
    lex = filler_lexicon(260)
    words = set(lex.nouns + lex.adjectives + lex.intransitive + lex.transitive + lex.adverbs)
    assert len(words) == 260
    assert not words & ({c for c in CUE_NOUNS} | {c[:-1] for c in CUE_NOUNS})
    small = filler_lexicon(40)
    assert sum(len(x) for x in (small.nouns, small.adjectives, small.intransitive, small.transitive, small.adverbs)) == 40


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"distances": [3, 10]}, "distances"),
        ({"distances": []}, "distances"),
        ({"n_cue_nouns": 21}, "n_cue_nouns"),
        ({"n_train": 0}, "n_train"),
        ({"filler_vocab_size": 5000}, "filler_vocab_size"),
        ({"n_train": "many"}, "must be of type int"),
        ({"n_train": True}, "must be of type int"),
        ({"distances": 5}, "must be a list"),
    ],
)
def test_bad_params(overrides, message):
    with pytest.raises(ConfigError, match=message):
        make_params("synthetic-lm", overrides)


def test_unknown_key_and_generator():
    with pytest.raises(ConfigError) as exc:
        make_params("synthetic-lm", {"n_trian": 5})
    assert "'n_trian'" in str(exc.value) and "n_train, n_valid, n_test" in str(exc.value)
    with pytest.raises(ConfigError, match="synthetic-lm, synthetic-sentiment"):
        make_params("synthetic-wiki")


def test_parse_assignments():
    assert parse_assignments(["distances=[4, 10]", "seed=3", "name=abc"]) == {"distances": [4, 10], "seed": 3, "name": "abc"}
    with pytest.raises(ConfigError, match="key=value"):
        parse_assignments(["seed"])
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_assignments(["distances=[4,"])


def _parser():
    parser = argparse.ArgumentParser(prog="rnnlab")
    synthetic.register(parser.add_subparsers(dest="command"))
    return parser


def test_cli_generate(tmp_path, capsys):
    out = tmp_path / "raw"
    argv = ["generate", "synthetic-lm", "--out", str(out), "--seed", "4", "--set", "n_train=14", "--set", "distances=[4,8]"]
    args = _parser().parse_args(argv)
    assert args.func(args) == 0
    assert "seed 4" in capsys.readouterr().out
    params = json.loads((out / "GENERATOR.json").read_text())["params"]
    assert (params["seed"], params["n_train"], params["distances"]) == (4, 14, [4, 8])
    assert len((out / "train.txt").read_text().splitlines()) == 14
    args = _parser().parse_args(["generate", "synthetic-lm", "--out", str(tmp_path / "x"), "--set", "bogus=1"])
    with pytest.raises(ConfigError, match="'bogus'"):
        args.func(args)
    assert not (tmp_path / "x").exists()


def test_help_lists_generators_and_params():
    help_text = _parser()._subparsers._group_actions[0].choices["generate"].format_help()
    for word in ("synthetic-lm", "synthetic-sentiment", "distances", "n_cue_nouns", "--set", "--seed"):
        assert word in help_text


def test_example_is_short_deterministic_and_consistent():
    text = synthetic.example("synthetic-lm", 3)
    assert text == synthetic.example("synthetic-lm", 3)
    passage, header, row = text.splitlines()
    assert header == "line\tposition\tdistance\tcue\ttarget"
    _, position, distance, cue, target = row.split("\t")
    tokens = passage.split()
    assert tokens[int(position)] == target and tokens[int(position) - int(distance)] == cue
    assert len(tokens) < 40
