"""The corpus table: entries are complete and valid, lookups fail clearly, numbers match real data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from rnnlab.data.extract import PARSERS
from rnnlab.data.registry import (
    Checksum,
    get_corpus,
    human_size,
    load_registry,
    parse_checksum,
    registry_table,
)
from rnnlab.errors import ConfigError

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"
EXPECTED = {"wikitext2", "wikitext103", "ptb", "sst2", "imdb", "ud-ewt", "uner-ewt"}
# Corpora with a file whose size is not published (verified by its git blob id instead).
SIZE_UNKNOWN = {"uner-ewt"}


@pytest.fixture(scope="module")
def table():
    return load_registry()


def test_table_has_every_corpus_with_complete_entries(table):
    assert set(table) == EXPECTED
    for name, e in table.items():
        assert e.parser in PARSERS, name
        assert e.tokenizer in ("whitespace", "lower", "basic"), name
        assert e.license and e.citation.key and len(e.citation.reference) > 40, name
        if name in SIZE_UNKNOWN:
            assert e.size is None and any(f.checksum.algorithm == "git-blob-sha1" for f in e.files), name
        else:
            assert e.size is not None and e.size > 1_000_000, name
        for f in e.files:
            assert f.urls and all(u.startswith(("http://", "https://")) for u in f.urls), name
            assert f.urls[0].endswith("/" + f.name), name


def test_task_tokenizer_and_labels(table):
    assert {n: e.task for n, e in table.items()} == {
        "wikitext2": "lm", "wikitext103": "lm", "ptb": "lm",
        "sst2": "classification", "imdb": "classification", "ud-ewt": "tagging",
        "uner-ewt": "ner",
    }
    assert (table["wikitext2"].tokenizer, table["sst2"].tokenizer, table["imdb"].tokenizer) == ("whitespace", "lower", "basic")
    assert dict(table["sst2"].labels) == dict(table["imdb"].labels) == {"0": "negative", "1": "positive"}


def test_published_checksums_and_sizes(table):
    def only(name):
        (f,) = table[name].files
        return f

    assert only("wikitext2").checksum == Checksum("sha256", "92675f1d63015c1c8b51f1656a52d5bdbc33aafa60cc47a218a66e7ee817488c")
    assert only("wikitext2").size == 4_475_746
    assert only("sst2").checksum.hexdigest.startswith("d67e16fb") and only("sst2").size == 7_439_277
    assert only("imdb").checksum.hexdigest.startswith("c40f74a1") and only("imdb").size == 84_125_825
    # Only an md5 is published for Mikolov's archive.
    assert only("ptb").checksum == Checksum("md5", "30177ea32e27c525793142b6bf2c8e2d")
    assert [f.name for f in table["ud-ewt"].files] == [f"en_ewt-ud-{s}.conllu" for s in ("train", "dev", "test")]
    assert all(f.checksum.algorithm == "sha256" for n in EXPECTED - {"ptb", "uner-ewt"} for f in table[n].files)
    train, dev, test = table["uner-ewt"].files
    assert train.checksum == Checksum("git-blob-sha1", "b2423d72f37f2226e56cbe750da76f820e6c36a9") and train.size is None
    assert dev.checksum.hexdigest.startswith("0cafd881") and dev.size == 620_415
    assert test.checksum.hexdigest.startswith("821ad826") and test.size == 623_751


def test_published_split_sizes(table):
    assert dict(table["wikitext2"].splits) == {"train": 2_088_628, "valid": 217_646, "test": 245_569}
    assert dict(table["ptb"].splits) == {"train": 887_521, "valid": 70_390, "test": 78_669}
    assert dict(table["sst2"].splits) == {"train": 67_349, "valid": 872}
    assert "<eos>" in table["wikitext2"].split_unit
    assert "no labels" in table["sst2"].notes and "2,500" in table["imdb"].notes


@pytest.mark.parametrize("text, expected", [
    ("92675f1d63015c1c8b51f1656a52d5bdbc33aafa60cc47a218a66e7ee817488c", "sha256"),
    ("SHA256:92675F1D63015C1C8B51F1656A52D5BDBC33AAFA60CC47A218A66E7EE817488C", "sha256"),
    ("md5:30177ea32e27c525793142b6bf2c8e2d", "md5"),
    ("sha1:" + hashlib.sha1(b"").hexdigest(), "sha1"),
])
def test_parse_checksum(text, expected):
    parsed = parse_checksum(text)
    assert parsed.algorithm == expected and parsed.hexdigest == text.rpartition(":")[2].lower()


@pytest.mark.parametrize("text, problem", [
    ("md5:1234", "not a md5 digest"),
    ("sha256:" + "z" * 64, "not a sha256 digest"),
    ("crc99:abcd", "unknown hash algorithm 'crc99'"),
])
def test_bad_checksums_are_refused(text, problem):
    with pytest.raises(ConfigError, match=problem):
        parse_checksum(text, "x.checksum")


def test_unknown_corpus_lists_the_known_ones(table):
    with pytest.raises(ConfigError, match="unknown corpus 'wiki'; known corpora: imdb, ptb, sst2, ud-ewt, uner-ewt, wikitext103, wikitext2"):
        get_corpus("wiki", table)
    assert get_corpus("ptb").name == "ptb"


ENTRY = """
mini:
  task: lm
  files:
    - name: mini.zip
      urls: [https://example.org/mini.zip]
      checksum: sha256:{digest}
      size: 10
  license: CC0
  citation: {{key: k, reference: A reference.}}
  tokenizer: whitespace
  parser: wikitext_tokens
"""


def test_custom_table_loads(tmp_path):
    path = tmp_path / "table.yaml"
    path.write_text(ENTRY.format(digest="a" * 64))
    (entry,) = load_registry(path).values()
    assert entry.files[0].checksum == Checksum("sha256", "a" * 64) and entry.size == 10


@pytest.mark.parametrize("edit, problem", [
    (("parser: wikitext_tokens", "parser: unzip_all"), r"mini.parser: unknown parser 'unzip_all'; known parsers: aclimdb"),
    (("task: lm", "task: parsing"), "mini.task: 'parsing' is not one of lm, classification, tagging"),
    (("  license: CC0\n", ""), "mini: missing key 'license'"),
    (("size: 10", "size: -1"), r"mini.files\[0\].size: expected a positive number of bytes"),
    (("name: mini.zip", "name: ../mini.zip"), r"mini.files\[0\].name: '../mini.zip' must be a plain file name"),
    (("task: lm", "task: classification"), "mini.labels: a classification corpus needs at least two labels"),
])
def test_invalid_entries_name_file_and_key(tmp_path, edit, problem):
    path = tmp_path / "table.yaml"
    path.write_text(ENTRY.format(digest="a" * 64).replace(*edit))
    with pytest.raises(ConfigError, match=f"{path}: " + problem):
        load_registry(path)


def test_table_text_lists_name_task_size_license(table):
    text = registry_table(table)
    header, *rows = text.splitlines()
    assert header.split()[:4] == ["name", "task", "size", "license"]
    assert [r.split()[0] for r in rows] == sorted(EXPECTED)
    assert any(r.startswith("wikitext2 ") and "lm" in r and "4.5 MB" in r and "CC BY-SA 3.0" in r for r in rows)
    assert (human_size(999), human_size(34_869_662), human_size(None)) == ("999 B", "34.9 MB", "?")


def _lm_tokens_with_eos(path: Path) -> int:
    with open(path, encoding="utf-8") as fh:
        return sum(len(line.split()) + 1 for line in fh)


def _lines(path: Path) -> int:
    with open(path, encoding="utf-8") as fh:
        return sum(1 for _ in fh)


@pytest.mark.skipif(not (SHARED / "wikitext-2").is_dir(), reason="shared WikiText-2 copy not present at ../shared/corpora")
def test_wikitext2_published_counts_match_real_text(table):
    # Merity et al. count one <eos> per line, blank lines included.
    splits = table["wikitext2"].splits
    assert _lm_tokens_with_eos(SHARED / "wikitext-2" / "valid.txt") == splits["valid"]
    assert _lm_tokens_with_eos(SHARED / "wikitext-2" / "test.txt") == splits["test"]


@pytest.mark.skipif(not (SHARED / "sst-2").is_dir(), reason="shared SST-2 copy not present at ../shared/corpora")
def test_sst2_published_counts_match_real_files(table):
    splits = table["sst2"].splits
    assert _lines(SHARED / "sst-2" / "train.tsv") - 1 == splits["train"]
    assert _lines(SHARED / "sst-2" / "dev.tsv") - 1 == splits["valid"]
