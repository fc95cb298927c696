import argparse
import json
from pathlib import Path

import pytest

from rnnlab.data import prepare
from rnnlab.data.prepare import prepare_corpus, raw_files
from rnnlab.data.stats import load_stats
from rnnlab.data.vocab import Vocab
from rnnlab.errors import ConfigError, CorpusError

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"


def write_files(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def lm_raw(tmp_path):
    return write_files(
        tmp_path / "raw",
        {
            "train.txt": "a b a\n\n  \nc a <unk>\n",
            "valid.txt": "a d\n\nb b e\n",
            "test.txt": "<unk> z\n",
        },
    )


def cls_raw(tmp_path, valid="sentence\tlabel\tsource\ngreat film\tpos\tq\n"):
    return write_files(
        tmp_path / "raw",
        {
            "train.tsv": "sentence\tlabel\tsource\nGood film\tpos\tx\nbad film\tneg\ty\ngood GOOD plot\tpos\tz\n",
            "valid.tsv": valid,
        },
    )


def read(path):
    return Path(path).read_text(encoding="utf-8")


def test_lm_outputs_and_stats_hand_checked(tmp_path):
    out = tmp_path / "out"
    stats = prepare_corpus(raw_files(lm_raw(tmp_path), "lm"), "lm", out, "whitespace", name="tiny")
    assert sorted(p.name for p in out.iterdir()) == ["stats.json", "test.txt", "train.txt", "valid.txt", "vocab.json"]
    assert Vocab.load(out / "vocab.json").itos == ["<pad>", "<unk>", "<eos>", "a", "b", "c"]
    assert read(out / "train.txt") == "a b a\nc a <unk>\n"
    assert read(out / "valid.txt") == "a <unk>\nb b <unk>\n"
    assert read(out / "test.txt") == "<unk> <unk>\n"
    assert stats.vocab_size == 6 and stats.corpus == "tiny"
    train, valid, test = (stats.splits[s] for s in ("train", "valid", "test"))
    # train: 2 lines, 6 words + 2 <eos>; types a, b, c, <unk>; one literal <unk>
    assert (train.lines, train.tokens, train.types, train.oov_rate) == (2, 8, 4, 0.0)
    assert train.unk_rate == pytest.approx(1 / 6)
    # valid: 5 words, d and e not in the vocabulary
    assert (valid.lines, valid.tokens, valid.types) == (2, 7, 4)
    assert (valid.oov_rate, valid.unk_rate) == (pytest.approx(0.4), pytest.approx(0.4))
    # test: z is OOV, <unk> was already there
    assert (test.lines, test.tokens, test.oov_rate, test.unk_rate) == (1, 3, 0.5, 1.0)
    on_disk = json.loads(read(out / "stats.json"))
    assert on_disk["task"] == "lm" and "<eos>" in on_disk["tokens_note"]
    assert load_stats(out / "stats.json") == stats


def test_lm_min_freq_and_max_size(tmp_path):
    raw = lm_raw(tmp_path)
    prepare_corpus(raw_files(raw, "lm"), "lm", tmp_path / "f2", "whitespace", min_freq=2)
    assert Vocab.load(tmp_path / "f2" / "vocab.json").itos[3:] == ["a"]
    assert read(tmp_path / "f2" / "train.txt") == "a <unk> a\n<unk> a <unk>\n"
    stats = prepare_corpus(raw_files(raw, "lm"), "lm", tmp_path / "m2", "whitespace", max_size=2)
    vocab = Vocab.load(tmp_path / "m2" / "vocab.json")
    assert vocab.itos[3:] == ["a", "b"] and (vocab.max_size, vocab.min_freq) == (2, 1)
    assert stats.splits["train"].oov_rate == pytest.approx(1 / 6)


def test_classification_outputs(tmp_path):
    out = tmp_path / "out"
    stats = prepare_corpus(raw_files(cls_raw(tmp_path), "classification"), "classification", out, "lower")
    assert sorted(p.name for p in out.iterdir()) == ["labels.json", "stats.json", "train.tsv", "valid.tsv", "vocab.json"]
    assert Vocab.load(out / "vocab.json").itos[3:] == ["good", "film", "bad", "plot"]
    assert read(out / "train.tsv") == (
        "sentence\tlabel\tsource\ngood film\tpos\tx\nbad film\tneg\ty\ngood good plot\tpos\tz\n"
    )
    assert read(out / "valid.tsv") == "sentence\tlabel\tsource\n<unk> film\tpos\tq\n"
    assert json.loads(read(out / "labels.json")) == ["neg", "pos"]
    assert stats.labels == ["neg", "pos"]
    train, valid = stats.splits["train"], stats.splits["valid"]
    assert (train.lines, train.tokens, train.types, train.label_counts) == (3, 7, 4, {"neg": 1, "pos": 2})
    assert (valid.tokens, valid.oov_rate) == (2, 0.5)


def test_classification_declared_label_order(tmp_path):
    out = tmp_path / "out"
    prepare_corpus(raw_files(cls_raw(tmp_path), "classification"), "classification", out, "lower", labels=["pos", "neg"])
    assert json.loads(read(out / "labels.json")) == ["pos", "neg"]


def test_classification_unknown_label_leaves_nothing(tmp_path):
    raw = cls_raw(tmp_path, valid="sentence\tlabel\tsource\nfine\tpos\ta\nmeh\tneutral\tb\n")
    out = write_files(tmp_path / "out", {"keep.txt": "old"})
    with pytest.raises(CorpusError) as exc:
        prepare_corpus(raw_files(raw, "classification"), "classification", out, "lower")
    message = str(exc.value)
    assert f"{raw / 'valid.tsv'}:3:" in message and "'neutral'" in message and "--labels" in message
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
    with pytest.raises(CorpusError, match=r"train\.tsv:2: label 'pos' is not one of \['neg', 'neutral'\]"):
        prepare_corpus(raw_files(raw, "classification"), "classification", tmp_path / "o2", "lower", labels=["neg", "neutral"])


def test_sentence_without_tokens(tmp_path):
    raw = cls_raw(tmp_path, valid="sentence\tlabel\tsource\n<br />\tpos\tq\n")
    with pytest.raises(CorpusError, match=r"valid\.tsv:2: the sentence has no tokens after tokenization with 'basic'"):
        prepare_corpus(raw_files(raw, "classification"), "classification", tmp_path / "out", "basic")


def test_probes_are_remapped_past_blank_lines(tmp_path):
    raw = write_files(
        tmp_path / "raw",
        {
            "train.txt": "x y .\n\np q cue r target .\n",
            "train.probes.tsv": "line\tposition\tdistance\tcue\ttarget\n2\t4\t2\tcue\ttarget\n",
            "valid.txt": "p q cue r target .\n",
            "test.txt": "x q .\n",
        },
    )
    prepare_corpus(raw_files(raw, "lm"), "lm", tmp_path / "out", "whitespace")
    assert read(tmp_path / "out" / "train.probes.tsv") == "line\tposition\tdistance\tcue\ttarget\n1\t4\t2\tcue\ttarget\n"
    assert not (tmp_path / "out" / "valid.probes.tsv").exists()
    (raw / "train.txt").write_text("x y .\n\np q's cue r target .\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"train\.probes\.tsv: probe 1 .*whitespace tokenizer"):
        prepare_corpus(raw_files(raw, "lm"), "lm", tmp_path / "out2", "basic")
    (raw / "train.probes.tsv").write_text("line\tposition\tdistance\tcue\ttarget\n1\t4\t2\tcue\ttarget\n")
    with pytest.raises(CorpusError, match="does not have"):
        prepare_corpus(raw_files(raw, "lm"), "lm", tmp_path / "out3", "whitespace")


def test_required_splits_and_inputs(tmp_path):
    raw = lm_raw(tmp_path)
    with pytest.raises(ConfigError, match="needs a test split"):
        prepare_corpus({"train": raw / "train.txt", "valid": raw / "valid.txt"}, "lm", tmp_path / "o", "whitespace")
    with pytest.raises(ConfigError, match="unknown task"):
        prepare_corpus(raw_files(raw, "lm"), "parsing", tmp_path / "o", "whitespace")
    with pytest.raises(ConfigError, match="unknown tokenizer 'nltk'"):
        prepare_corpus(raw_files(raw, "lm"), "lm", tmp_path / "o", "nltk")
    with pytest.raises(ConfigError, match="contains the input"):
        prepare_corpus(raw_files(raw, "lm"), "lm", raw, "whitespace")
    with pytest.raises(ConfigError, match="twice"):
        prepare_corpus(raw_files(cls_raw(tmp_path), "classification"), "classification", tmp_path / "o", "lower", labels=["a", "a"])
    (raw / "test.txt").unlink()
    with pytest.raises(CorpusError, match=r"test\.txt: file not found"):
        raw_files(raw, "lm")


def _parser():
    parser = argparse.ArgumentParser(prog="rnnlab")
    prepare.register(parser.add_subparsers(dest="command"))
    return parser


def test_cli_prepare(tmp_path, capsys):
    raw = lm_raw(tmp_path)
    out = tmp_path / "processed" / "tiny"
    args = _parser().parse_args(["prepare", "--task", "lm", "--raw", str(raw), "--tokenizer", "whitespace", "--out", str(out)])
    assert args.func(args) == 0
    assert "vocabulary 6" in capsys.readouterr().out
    assert load_stats(out / "stats.json").corpus == "tiny"
    args = _parser().parse_args([
        "prepare", "--task", "classification", "--train", str(cls_raw(tmp_path) / "train.tsv"),
        "--valid", str(tmp_path / "raw" / "valid.tsv"), "--tokenizer", "lower", "--labels", "pos, neg",
        "--min-freq", "2", "--out", str(tmp_path / "c"), "--name", "mini",
    ])
    assert args.func(args) == 0
    stats = load_stats(tmp_path / "c" / "stats.json")
    assert (stats.corpus, stats.labels, stats.vocab_size) == ("mini", ["pos", "neg"], 5)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--raw", "R", "--train", "R/train.txt"], "not both"),
        ([], "no input"),
        (["--raw", "R", "--labels", "a,,b"], "empty label"),
        (["--raw", "R", "--min-freq", "0"], "min_freq"),
    ],
)
def test_cli_errors(tmp_path, extra, message):
    raw = lm_raw(tmp_path)
    argv = ["prepare", "--task", "lm", "--tokenizer", "whitespace", "--out", str(tmp_path / "o")]
    args = _parser().parse_args(argv + [e.replace("R", str(raw)) for e in extra])
    with pytest.raises(ConfigError, match=message):
        args.func(args)


def test_help_mentions_layout_and_tokenizers():
    help_text = _parser()._subparsers._group_actions[0].choices["prepare"].format_help()
    for word in ("--raw", "--min-freq", "--max-size", "--labels", "train.tsv", "basic", "lower"):
        assert word in help_text


@pytest.mark.skipif(not (SHARED / "sst-2" / "dev.tsv").exists(), reason="real corpora not present in ../shared/corpora")
def test_real_sst2_small_splits(tmp_path):
    sst = SHARED / "sst-2"
    stats = prepare_corpus({"train": sst / "dev.tsv", "valid": sst / "test.tsv"}, "classification", tmp_path / "sst", "lower")
    assert stats.labels == ["0", "1"]
    assert stats.splits["train"].lines == 872 and stats.splits["valid"].lines == 1821
    assert stats.splits["train"].oov_rate == 0.0 and 0.0 < stats.splits["valid"].oov_rate < 0.5
    assert stats.splits["valid"].tokens == 35023  # as counted in the KenLM reference README


@pytest.mark.skipif(not (SHARED / "wikitext-2" / "valid.txt").exists(), reason="real corpora not present in ../shared/corpora")
def test_real_wikitext_literal_unk_counts_in_unk_rate_only(tmp_path):
    wt = SHARED / "wikitext-2"
    files = {"train": wt / "valid.txt", "valid": wt / "test.txt", "test": wt / "test.txt"}
    stats = prepare_corpus(files, "lm", tmp_path / "wt", "whitespace")
    train = stats.splits["train"]
    assert train.oov_rate == 0.0 and train.unk_rate > 0.01
    # The README counts 217,646 tokens with one line end per line, blank lines included;
    # prepare drops blank lines, so only non-blank lines add an <eos>.
    n_lines = len((wt / "valid.txt").read_text(encoding="utf-8").splitlines())
    assert train.word_tokens + n_lines == 217646
    assert train.tokens == train.word_tokens + train.lines < 217646
    assert stats.splits["valid"].unk_rate > stats.splits["valid"].oov_rate > 0


@pytest.mark.parametrize("content", ["", "\n \n", "<br />\n"])
def test_lm_split_without_tokens(tmp_path, content):
    raw = lm_raw(tmp_path)
    (raw / "valid.txt").write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError) as exc:
        prepare_corpus(raw_files(raw, "lm"), "lm", tmp_path / "out", "basic")
    assert f"{raw / 'valid.txt'}: no line with a token" in str(exc.value)
    assert not (tmp_path / "out").exists()


def test_undeclared_label_hint_names_the_config_key(tmp_path):
    raw = cls_raw(tmp_path, valid="sentence\tlabel\tsource\nmeh\tneutral\tb\n")
    with pytest.raises(CorpusError, match=r"declare all labels under corpora\.mini\.labels in the config"):
        prepare_corpus(raw_files(raw, "classification"), "classification", tmp_path / "o", "lower", name="mini")


def test_declared_label_hint_names_the_config_key(tmp_path):
    cls, ner = tmp_path / "cls", tmp_path / "ner"
    with pytest.raises(CorpusError, match=r"'pos' is not one of \['neg'\]; these are the labels declared under "
                                          r"corpora\.mini\.labels in the config"):
        prepare_corpus(raw_files(cls_raw(cls), "classification"), "classification", cls / "o", "lower",
                       labels=["neg"], name="mini")
    with pytest.raises(CorpusError, match=r"'B-PER' is not one of B-LOC, I-LOC, O; these are the tags declared under "
                                          r"corpora\.mini\.labels in the config"):
        prepare_corpus(raw_files(ner_raw(ner), "ner"), "ner", ner / "o", "whitespace",
                       labels=["O", "B-LOC", "I-LOC"], name="mini")


def test_cli_labels_as_json_keep_commas(tmp_path):
    raw = cls_raw(tmp_path, valid="sentence\tlabel\tsource\nfine\tpos, really\tq\n")
    args = _parser().parse_args([
        "prepare", "--task", "classification", "--raw", str(raw), "--tokenizer", "lower",
        "--labels", json.dumps(["neg", "pos", "pos, really"]), "--out", str(tmp_path / "c"),
    ])
    assert args.func(args) == 0
    assert load_stats(tmp_path / "c" / "stats.json").labels == ["neg", "pos", "pos, really"]


def test_mostly_oov_split_is_warned_and_recorded(tmp_path, capsys):
    raw = write_files(tmp_path / "raw", {"train.txt": "a b a\n", "valid.txt": "a b\n", "test.txt": "x y z\n"})
    out = tmp_path / "out"
    prepare_corpus(raw_files(raw, "lm"), "lm", out, "whitespace")
    err = capsys.readouterr().err
    assert "warning: corpus out: 100.0% of the test split's tokens are out of the vocabulary" in err
    assert "valid split" not in err
    assert json.loads(read(out / "stats.json"))["splits"]["test"]["oov_rate"] == 1.0


def ner_raw(tmp_path, valid="1\tParis\tB-LOC\n2\tsleeps\tO\n\n"):
    return write_files(
        tmp_path / "raw",
        {"train.iob2": "# text = Anna met Bob Lee\n1\tAnna\tB-PER\n2\tmet\tO\n3\tBob\tB-PER\n4\tLee\tI-PER\n\n"
                       "1\tin\tO\n2\tOslo\tI-LOC\n\n",
         "valid.iob2": valid},
    )


def test_ner_lenient_repairs_are_counted_in_stats(tmp_path):
    raw = ner_raw(tmp_path, valid="1\tParis\tI-LOC\n2\tsleeps\tO\n3\tnow\tI-PER\n\n")
    out = tmp_path / "out"
    stats = prepare_corpus(raw_files(raw, "ner"), "ner", out, "whitespace", iob="lenient")
    assert stats.splits["train"].iob_repairs == 1 and stats.splits["valid"].iob_repairs == 2
    saved = json.loads(read(out / "stats.json"))
    assert saved["splits"]["valid"]["iob_repairs"] == 2
    assert json.loads(read(out / "labels.json")) == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert "2\tOslo\tB-LOC\t-" in read(out / "train.iob2")


def test_ner_strict_violation_leaves_nothing(tmp_path):
    with pytest.raises(CorpusError, match=r"train\.iob2:8: 'I-LOC' follows 'O'.*lenient"):
        prepare_corpus(raw_files(ner_raw(tmp_path), "ner"), "ner", tmp_path / "out", "whitespace")
    assert not (tmp_path / "out").exists()


def test_ner_type_unseen_in_training_is_an_error(tmp_path):
    raw = ner_raw(tmp_path, valid="1\tACME\tB-ORG\n\n")
    with pytest.raises(CorpusError, match=r"valid\.iob2:1: tag 'B-ORG' is not one of"):
        prepare_corpus(raw_files(raw, "ner"), "ner", tmp_path / "out", "whitespace", iob="lenient")


def test_ner_conll2003_layout_and_bad_mode(tmp_path):
    raw = write_files(tmp_path / "raw", {"train.iob2": "EU NNP B-ORG\nsays VBZ O\n\n", "valid.iob2": "EU NNP B-ORG\n\n"})
    stats = prepare_corpus(raw_files(raw, "ner"), "ner", tmp_path / "out", "whitespace", iob_layout="conll2003")
    assert stats.labels == ["O", "B-ORG", "I-ORG"] and stats.splits["train"].iob_repairs == 0
    with pytest.raises(ConfigError, match="unknown IOB2 mode"):
        prepare_corpus(raw_files(raw, "ner"), "ner", tmp_path / "o2", "whitespace", iob="loose")
