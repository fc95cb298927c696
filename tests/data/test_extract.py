"""Every archive parser on small synthetic archives laid out like the real ones."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from rnnlab.data.extract import PARSERS, find_member, open_archive
from rnnlab.data.registry import load_registry
from rnnlab.errors import CorpusError

ENTRIES = load_registry()


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def make_tgz(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def run(parser: str, files: dict[str, Path], out: Path, entry: str) -> dict[str, int]:
    out.mkdir()
    return PARSERS[parser](files, out, ENTRIES[entry])


def test_wikitext_members_are_copied_byte_for_byte(tmp_path):
    members = {
        "wikitext-2/wiki.train.tokens": " \n = Valkyria Chronicles III = \n Senjō no Valkyria 3 : <unk> \n".encode(),
        "wikitext-2/wiki.valid.tokens": b" \n = Homarus = \n",
        "wikitext-2/wiki.test.tokens": b" = Robert = \r\n last line without newline",
    }
    archive = make_zip(tmp_path / "wikitext-2-v1.zip", members)
    counts = run("wikitext_tokens", {archive.name: archive}, tmp_path / "out", "wikitext2")
    assert counts == {"train.txt": 3, "valid.txt": 2, "test.txt": 2}
    for split in ("train", "valid", "test"):
        assert (tmp_path / "out" / f"{split}.txt").read_bytes() == members[f"wikitext-2/wiki.{split}.tokens"]


def test_wikitext_103_folder_name_is_accepted(tmp_path):
    members = {f"wikitext-103/wiki.{s}.tokens": f" {s} line \n".encode() for s in ("train", "valid", "test")}
    archive = make_zip(tmp_path / "wikitext-103-v1.zip", members)
    assert run("wikitext_tokens", {archive.name: archive}, tmp_path / "out", "wikitext103")["valid.txt"] == 1


def test_ptb_picks_word_files_not_char_files(tmp_path):
    members = {
        "./simple-examples/": b"",
        "./simple-examples/data/ptb.train.txt": b" aer banknote berlitz \n the <unk> company \n",
        "./simple-examples/data/ptb.char.train.txt": b"a e r _ b a n k\n",
        "./simple-examples/data/ptb.valid.txt": b" consumers may want \n",
        "./simple-examples/data/ptb.test.txt": b" no it was n't black monday \n",
        "./simple-examples/1-train/README": b"not data\n",
    }
    archive = make_tgz(tmp_path / "simple-examples.tgz", members)
    counts = run("ptb_simple_examples", {archive.name: archive}, tmp_path / "out", "ptb")
    assert counts == {"train.txt": 2, "valid.txt": 1, "test.txt": 1}
    assert (tmp_path / "out" / "train.txt").read_bytes() == members["./simple-examples/data/ptb.train.txt"]


def sst2_archive(tmp_path: Path, train: bytes) -> Path:
    return make_zip(tmp_path / "SST-2.zip", {
        "SST-2/train.tsv": train,
        "SST-2/dev.tsv": b"sentence\tlabel\nit 's a charming journey . \t1\nunflinchingly bleak\t0\n",
        "SST-2/test.tsv": b"index\tsentence\n0\tuneasy mishmash of styles\n",
        "SST-2/original/README.txt": b"Stanford Sentiment Treebank\n",
    })


def test_sst2_keeps_labelled_train_and_dev_only(tmp_path):
    archive = sst2_archive(tmp_path, b'sentence\tlabel\nhide new secretions \t0\n"quoted" praise\t1\n')
    counts = run("glue_sst2", {archive.name: archive}, tmp_path / "out", "sst2")
    assert counts == {"train.tsv": 2, "valid.tsv": 2}
    assert not (tmp_path / "out" / "test.tsv").exists()
    assert (tmp_path / "out" / "train.tsv").read_text(encoding="utf-8").splitlines() == [
        "sentence\tlabel", "hide new secretions \t0", '"quoted" praise\t1',
    ]


@pytest.mark.parametrize("train, problem", [
    (b"sentence\tlabel\ngood film\t2\n", "line 2 has label '2'"),
    (b"sentence\tlabel\ngood film\n", "line 2 must be 'sentence<TAB>label'"),
    (b"text\tlabel\ngood film\t1\n", "line 1 must be the header"),
])
def test_sst2_bad_rows_name_member_and_line(tmp_path, train, problem):
    archive = sst2_archive(tmp_path, train)
    with pytest.raises(CorpusError, match="SST-2.zip:SST-2/train.tsv: " + problem.replace("(", r"\(")):
        run("glue_sst2", {archive.name: archive}, tmp_path / "out", "sst2")


def imdb_members(reverse: bool = False) -> dict[str, bytes]:
    members: dict[str, bytes] = {"aclImdb/README": b"Large Movie Review Dataset v1.0\n", "aclImdb/imdb.vocab": b"the\n"}
    for polarity, rating in (("pos", 9), ("neg", 2)):
        for i in range(20):
            members[f"aclImdb/train/{polarity}/{i}_{rating}.txt"] = f"Train {polarity} {i}.<br /><br />Line\ttwo\n".encode()
        for i in range(5):
            members[f"aclImdb/test/{polarity}/{i}_{rating}.txt"] = f"Test {polarity} {i} – fine".encode()
    members["aclImdb/train/unsup/0_0.txt"] = b"unlabelled"
    items = list(members.items())
    return dict(reversed(items)) if reverse else dict(items)


def test_imdb_holds_out_a_fixed_valid_split(tmp_path):
    archive = make_tgz(tmp_path / "aclImdb_v1.tar.gz", imdb_members())
    counts = run("aclimdb", {archive.name: archive}, tmp_path / "out", "imdb")
    assert counts == {"train.tsv": 36, "valid.tsv": 4, "test.tsv": 10}
    out = tmp_path / "out"
    rows = {s: (out / f"{s}.tsv").read_text(encoding="utf-8").splitlines() for s in ("train", "valid", "test")}
    assert all(r[0] == "sentence\tlabel" for r in rows.values())
    valid = [line.split("\t") for line in rows["valid"][1:]]
    assert sorted(label for _, label in valid) == ["0", "0", "1", "1"]
    assert not set(rows["valid"][1:]) & set(rows["train"][1:])
    assert "Train pos 3.<br /><br />Line two\t1" in rows["train"] + rows["valid"]
    assert "Test neg 4 – fine\t0" in rows["test"]
    assert not any("unlabelled" in line for r in rows.values() for line in r)

    again = make_tgz(tmp_path / "reordered.tar.gz", imdb_members(reverse=True))
    run("aclimdb", {again.name: again}, tmp_path / "out2", "imdb")
    for split in ("train", "valid", "test"):
        assert (tmp_path / "out2" / f"{split}.tsv").read_bytes() == (out / f"{split}.tsv").read_bytes()


def test_imdb_without_test_reviews_is_refused(tmp_path):
    members = {k: v for k, v in imdb_members().items() if "/test/" not in k}
    archive = make_tgz(tmp_path / "aclImdb_v1.tar.gz", members)
    with pytest.raises(CorpusError, match="no reviews under aclImdb/test/neg, aclImdb/test/pos"):
        run("aclimdb", {archive.name: archive}, tmp_path / "out", "imdb")


def test_ud_files_are_copied_and_sentences_counted(tmp_path):
    sentence = "# sent_id = {n}\n# text = Hi .\n1\tHi\thi\tINTJ\tUH\t_\t0\troot\t0:root\t_\n2\t.\t.\tPUNCT\t.\t_\t1\tpunct\t1:punct\t_\n\n"
    files = {}
    for split, n in (("train", 3), ("dev", 1), ("test", 2)):
        path = tmp_path / f"en_ewt-ud-{split}.conllu"
        path.write_text("".join(sentence.format(n=i) for i in range(n)), encoding="utf-8")
        files[path.name] = path
    counts = run("ud_conllu", files, tmp_path / "out", "ud-ewt")
    assert counts == {"train.conllu": 3, "valid.conllu": 1, "test.conllu": 2}
    assert (tmp_path / "out" / "valid.conllu").read_bytes() == files["en_ewt-ud-dev.conllu"].read_bytes()


def test_non_utf8_line_is_reported_with_its_number(tmp_path):
    members = {f"wikitext-2/wiki.{s}.tokens": b"fine\n" for s in ("train", "test")}
    members["wikitext-2/wiki.valid.tokens"] = b"fine\nbad \xff byte\n"
    archive = make_zip(tmp_path / "wikitext-2-v1.zip", members)
    with pytest.raises(CorpusError, match=r"wiki.valid.tokens: line 2 is not UTF-8 \(byte 5\)"):
        run("wikitext_tokens", {archive.name: archive}, tmp_path / "out", "wikitext2")


def test_missing_and_ambiguous_members(tmp_path):
    archive = make_zip(tmp_path / "a.zip", {"x/ptb.train.txt": b"1\n", "y/ptb.train.txt": b"2\n", "z/other.txt": b""})
    with open_archive(archive) as view:
        with pytest.raises(CorpusError, match="several members named ptb.train.txt: x/ptb.train.txt, y/ptb.train.txt"):
            find_member(view, "ptb.train.txt")
        with pytest.raises(CorpusError, match="a.zip has no member named ptb.test.txt"):
            find_member(view, "ptb.test.txt")


def test_files_that_are_not_archives_are_refused(tmp_path):
    junk = tmp_path / "wikitext-2-v1.zip"
    junk.write_bytes(b"<html>Access denied</html>")
    with pytest.raises(CorpusError, match="neither a zip nor a tar archive"):
        run("wikitext_tokens", {junk.name: junk}, tmp_path / "out", "wikitext2")


@pytest.mark.parametrize("where, problem", [(slice(70, 90), "is damaged"), (slice(-100, -80), "cannot be read")])
def test_damaged_archive_is_reported(tmp_path, where, problem):
    good = make_zip(tmp_path / "good.zip", {f"w/wiki.{s}.tokens": bytes(range(256)) * 40 for s in ("train", "valid", "test")})
    data = bytearray(good.read_bytes())
    data[where] = b"\xff" * (where.stop - where.start)
    damaged = tmp_path / "wikitext-2-v1.zip"
    damaged.write_bytes(bytes(data))
    with pytest.raises(CorpusError, match=f"wikitext-2-v1.zip {problem} .*download it again"):
        run("wikitext_tokens", {damaged.name: damaged}, tmp_path / "out", "wikitext2")


def test_parser_table_matches_registry():
    assert {e.parser for e in ENTRIES.values()} == set(PARSERS)


SHARED_WIKITEXT = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "wikitext-2"


@pytest.mark.skipif(not SHARED_WIKITEXT.is_dir(), reason="shared WikiText-2 copy not present at ../shared/corpora")
def test_wikitext_parser_reproduces_real_text(tmp_path):
    valid = (SHARED_WIKITEXT / "valid.txt").read_bytes()
    test = (SHARED_WIKITEXT / "test.txt").read_bytes()
    archive = make_zip(tmp_path / "wikitext-2-v1.zip", {
        "wikitext-2/wiki.train.tokens": valid[:2000],
        "wikitext-2/wiki.valid.tokens": valid,
        "wikitext-2/wiki.test.tokens": test,
    })
    counts = run("wikitext_tokens", {archive.name: archive}, tmp_path / "out", "wikitext2")
    assert (tmp_path / "out" / "valid.txt").read_bytes() == valid
    assert (tmp_path / "out" / "test.txt").read_bytes() == test
    assert (counts["valid.txt"], counts["test.txt"]) == (3760, 4358)
