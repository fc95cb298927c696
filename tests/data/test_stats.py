import json

import pytest

from rnnlab.data.stats import CorpusStats, compute_split_stats, load_stats, stats_table
from rnnlab.data.vocab import Vocab
from rnnlab.errors import CorpusError

VOCAB = Vocab.build([["a", "b", "a"], ["c"]])  # a, b, c


def test_lm_split_stats_hand_checked():
    # 2 lines, 5 word tokens (+2 <eos>), 1 not in the vocabulary (z), 1 literal <unk>
    stats = compute_split_stats([["a", "z", "a"], ["<unk>", "b"]], VOCAB, "lm")
    assert (stats.lines, stats.tokens, stats.word_tokens, stats.types) == (2, 7, 5, 4)
    assert (stats.oov, stats.source_unk) == (1, 1)
    assert stats.oov_rate == pytest.approx(1 / 5)
    assert stats.unk_rate == pytest.approx(2 / 5)
    assert stats.label_counts is None


def test_classification_split_stats_count_labels_and_no_eos():
    stats = compute_split_stats([["a", "b"], ["q"], ["c"]], VOCAB, "classification", ["pos", "neg", "pos"])
    assert (stats.lines, stats.tokens, stats.word_tokens, stats.types) == (3, 4, 4, 4)
    assert stats.oov_rate == pytest.approx(0.25)
    assert stats.label_counts == {"neg": 1, "pos": 2}


def _corpus(name, task, vocab_size):
    split = compute_split_stats([["a", "q"]], VOCAB, task, ["x"] if task == "classification" else None)
    return CorpusStats(name, task, "whitespace", vocab_size, 1, None, {"train": split, "valid": split},
                       ["x"] if task == "classification" else None)


def test_json_round_trip_and_note(tmp_path):
    stats = _corpus("tiny", "lm", 6)
    obj = stats.to_json()
    assert "<eos>" in obj["tokens_note"]
    assert "labels" not in obj and "label_counts" not in obj["splits"]["train"]
    (tmp_path / "stats.json").write_text(json.dumps(obj))
    assert load_stats(tmp_path / "stats.json") == stats


def test_stats_table_from_several_files(tmp_path):
    for name, task, size in (("one", "lm", 6), ("two", "classification", 9)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "stats.json").write_text(json.dumps(_corpus(name, task, size).to_json()))
    table = stats_table([tmp_path / "one", tmp_path / "two" / "stats.json"])
    assert list(table.columns) == ["corpus", "task", "split", "lines", "tokens", "types", "oov_rate", "unk_rate", "vocab_size"]
    assert table[["corpus", "split"]].values.tolist() == [["one", "train"], ["one", "valid"], ["two", "train"], ["two", "valid"]]
    assert table["tokens"].tolist() == [3, 3, 2, 2]
    assert table["oov_rate"].tolist() == [0.5] * 4
    assert table["vocab_size"].tolist() == [6, 6, 9, 9]


def test_load_stats_errors(tmp_path):
    with pytest.raises(CorpusError, match="missing"):
        load_stats(tmp_path / "stats.json")
    (tmp_path / "stats.json").write_text('{"corpus": "x"}')
    with pytest.raises(CorpusError, match="not a stats.json"):
        load_stats(tmp_path / "stats.json")
