import numpy as np
import pytest

from rnnlab.data.vocab import EOS_ID, PAD_ID, SPECIALS, UNK_ID, Vocab
from rnnlab.errors import ConfigError, CorpusError

SENTENCES = [["b", "a", "c"], ["a", "d", "b"], ["a", "<unk>", "e"], ["<unk>"]]
# counts: a 3, b 2, c 1, d 1, e 1; the literal <unk> is not a regular token


def test_specials_then_frequency_then_alphabet():
    vocab = Vocab.build(SENTENCES)
    assert vocab.itos == ["<pad>", "<unk>", "<eos>", "a", "b", "c", "d", "e"]
    assert (PAD_ID, UNK_ID, EOS_ID) == (0, 1, 2)
    assert tuple(vocab.itos[:3]) == SPECIALS
    assert vocab.counts == {"a": 3, "b": 2, "c": 1, "d": 1, "e": 1}


def test_min_freq_and_max_size():
    assert Vocab.build(SENTENCES, min_freq=2).itos[3:] == ["a", "b"]
    assert Vocab.build(SENTENCES, max_size=3).itos[3:] == ["a", "b", "c"]
    assert len(Vocab.build(SENTENCES, min_freq=1, max_size=1)) == 4
    assert Vocab.build(SENTENCES, min_freq=4).itos == list(SPECIALS)


def test_bad_limits_are_config_errors():
    with pytest.raises(ConfigError, match="min_freq"):
        Vocab.build(SENTENCES, min_freq=0)
    with pytest.raises(ConfigError, match="max_size"):
        Vocab.build(SENTENCES, max_size=0)


def test_encode_decode():
    vocab = Vocab.build(SENTENCES, min_freq=2)
    ids = vocab.encode(["a", "zzz", "b"], add_eos=True)
    assert ids.dtype == np.int64
    assert ids.tolist() == [3, UNK_ID, 4, EOS_ID]
    assert vocab.decode(ids) == ["a", "<unk>", "b", "<eos>"]
    assert vocab.encode([]).tolist() == []
    assert vocab.encode_stream([["a"], ["b", "q"]]).tolist() == [3, EOS_ID, 4, UNK_ID, EOS_ID]
    assert vocab.map_oov(["a", "c", "<unk>"]) == ["a", "<unk>", "<unk>"]
    assert "a" in vocab and "c" not in vocab
    assert vocab.index("c") == UNK_ID


def test_json_round_trip(tmp_path):
    vocab = Vocab.build(SENTENCES, min_freq=1, max_size=4, tokenizer="lower")
    vocab.save(tmp_path / "vocab.json")
    loaded = Vocab.load(tmp_path / "vocab.json")
    assert loaded == vocab
    assert loaded.stoi == vocab.stoi
    assert loaded.to_json() == {
        "itos": ["<pad>", "<unk>", "<eos>", "a", "b", "c", "d"],
        "min_freq": 1,
        "max_size": 4,
        "tokenizer": "lower",
        "counts": {"a": 3, "b": 2, "c": 1, "d": 1},
    }


def test_load_errors(tmp_path):
    with pytest.raises(CorpusError, match="missing"):
        Vocab.load(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(CorpusError, match="not valid JSON"):
        Vocab.load(tmp_path / "bad.json")
    (tmp_path / "wrong.json").write_text('{"itos": ["a", "<unk>", "<eos>"]}', encoding="utf-8")
    with pytest.raises(CorpusError, match="must start with"):
        Vocab.load(tmp_path / "wrong.json")
