import pytest

from rnnlab.data.corpus_io import (
    Example,
    Probe,
    TextLine,
    format_probes,
    read_probes,
    read_text_lines,
    read_tsv,
    tsv_line,
)
from rnnlab.errors import CorpusError


def write(path, text):
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_text_lines_skip_blank_and_keep_line_numbers(tmp_path):
    path = write(tmp_path / "train.txt", "\ufeffone two\n\n   \nthree\r\n")
    assert read_text_lines(path) == [TextLine(1, "one two"), TextLine(4, "three")]


def test_missing_file(tmp_path):
    with pytest.raises(CorpusError) as exc:
        read_text_lines(tmp_path / "train.txt")
    assert str(tmp_path / "train.txt") in str(exc.value) and "not found" in str(exc.value)


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(CorpusError, match="is a folder, not a regular file; name the corpus file inside it"):
        read_text_lines(tmp_path)


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_text_file(tmp_path, content):
    path = write(tmp_path / "valid.txt", content)
    with pytest.raises(CorpusError, match="empty") as exc:
        read_text_lines(path)
    assert str(path) in str(exc.value)


def test_not_utf8_names_line(tmp_path):
    path = write(tmp_path / "test.txt", b"fine\nalso fine\ncaf\xe9 au lait\n")
    with pytest.raises(CorpusError) as exc:
        read_text_lines(path)
    assert f"{path}:3:" in str(exc.value)
    assert "0xe9" in str(exc.value) and "UTF-8" in str(exc.value)


def test_tsv_reads_examples_and_extra_columns(tmp_path):
    path = write(tmp_path / "train.tsv", "sentence\tlabel\tposition\nnice film\tpos\tfront\n\nbad one\tneg\tend\n")
    split = read_tsv(path)
    assert split.columns == ("sentence", "label", "position")
    assert split.extra_columns == ("position",)
    assert split.examples == [Example(2, "nice film", "pos", ("front",)), Example(4, "bad one", "neg", ("end",))]


@pytest.mark.parametrize(
    "content, where, words",
    [
        ("nice film\tpos\n", ":1:", "header"),
        ("label\tsentence\nnice\tpos\n", ":1:", "header"),
        ("sentence\nnice\n", ":1:", "header"),
        ("sentence\tlabel\nnice film\tpos\nbad\n", ":3:", "1 tab-separated column"),
        ("sentence\tlabel\nnice film\tpos\textra\n", ":2:", "3 tab-separated column"),
        ("sentence\tlabel\n  \tpos\n", ":2:", "empty sentence"),
        ("sentence\tlabel\nnice\t\n", ":2:", "empty label"),
    ],
)
def test_tsv_errors_name_file_and_line(tmp_path, content, where, words):
    path = write(tmp_path / "train.tsv", content)
    with pytest.raises(CorpusError) as exc:
        read_tsv(path)
    assert f"{path}{where}" in str(exc.value)
    assert words in str(exc.value)


def test_tsv_empty_and_header_only(tmp_path):
    with pytest.raises(CorpusError, match="empty"):
        read_tsv(write(tmp_path / "a.tsv", "\n\n"))
    with pytest.raises(CorpusError, match="no example"):
        read_tsv(write(tmp_path / "b.tsv", "sentence\tlabel\n"))


def test_tsv_not_utf8(tmp_path):
    path = write(tmp_path / "valid.tsv", b"sentence\tlabel\nok\tpos\n\xff\xfe\tneg\n")
    with pytest.raises(CorpusError) as exc:
        read_tsv(path)
    assert f"{path}:3:" in str(exc.value)


def test_tsv_label_outside_declared_set(tmp_path):
    path = write(tmp_path / "valid.tsv", "sentence\tlabel\nok\tpos\nhmm\tneutral\n")
    with pytest.raises(CorpusError) as exc:
        read_tsv(path, allowed_labels=["neg", "pos"], label_hint="; declare labels")
    message = str(exc.value)
    assert f"{path}:3:" in message
    assert "'neutral'" in message and "'neg', 'pos'" in message and message.endswith("; declare labels")


def test_tsv_line_rejects_tabs():
    assert tsv_line(["a b", 1]) == "a b\t1\n"
    with pytest.raises(ValueError):
        tsv_line(["a\tb"])


def test_probes_round_trip_and_errors(tmp_path):
    probes = [Probe(0, 7, 3, "tickets", "tickets"), Probe(4, 12, 10, "maps", "maps")]
    path = write(tmp_path / "valid.probes.tsv", format_probes(probes))
    assert path.read_text().splitlines()[0] == "line\tposition\tdistance\tcue\ttarget"
    assert read_probes(path) == probes
    bad = write(tmp_path / "bad.probes.tsv", "line\tposition\tdistance\tcue\ttarget\n0\tx\t3\ta\ta\n")
    with pytest.raises(CorpusError, match=r"bad\.probes\.tsv:2: column 'position'"):
        read_probes(bad)
    no_header = write(tmp_path / "nohead.probes.tsv", "0\t1\t1\ta\ta\n")
    with pytest.raises(CorpusError, match=r"nohead\.probes\.tsv:1: the header"):
        read_probes(no_header)
