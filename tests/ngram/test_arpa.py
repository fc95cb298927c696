"""ARPA writing and reading: round trip, tolerant reading, clear errors, atomic output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnlab.errors import CorpusError
from rnnlab.ngram import ArpaModel, build_model
from rnnlab.ngram.arpa import read_arpa, write_arpa
from rnnlab.ngram.tables import NgramModel

CORPUS = [s.split() for s in ["the cat sat on the mat", "the dog sat", "a cat and a dog", "the cat", "ça va"]]

HANDWRITTEN = """
some free text before the header

\\data\\
ngram 1=5
ngram 2=3

\\1-grams:
-0.5 </s>
0    <s>   -0.25
-0.7 b
-0.6 a -0.1
-1.2 c
\\2-grams:
-0.3 a b
-0.2   <s> a
-0.4 b </s>

\\end\\
"""


def _entries(model: NgramModel) -> dict[tuple[str, ...], tuple[float, float]]:
    out = {}
    for n, table in enumerate(model.orders, 1):
        words = model.ngram_words(n, np.arange(table.size))
        backoff = table.backoff if table.backoff is not None else np.zeros(table.size)
        for ids, p, b in zip(words.tolist(), table.logprob.tolist(), backoff.tolist()):
            out[tuple(model.vocab[i] for i in ids)] = (p, b)
    return out


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_round_trip(tmp_path: Path, order: int) -> None:
    model = build_model(CORPUS, order)[0]
    path = tmp_path / "m.arpa"
    write_arpa(model, path)
    loaded = read_arpa(path)
    assert loaded.vocab == model.vocab
    before, after = _entries(model), _entries(loaded)
    assert before.keys() == after.keys()
    assert max(abs(before[k][0] - after[k][0]) + abs(before[k][1] - after[k][1]) for k in before) < 1e-7
    text = path.read_text(encoding="utf-8")
    assert text.startswith("\n\\data\\\n") and text.endswith("\n\\end\\\n")
    assert f"ngram {order}={model.orders[-1].size}\n" in text
    sentence = ["the", "cat", "sat", "unknown"]
    assert ArpaModel(loaded).score_sentence(sentence).total == pytest.approx(
        ArpaModel(model).score_sentence(sentence).total, abs=1e-6)


def test_written_lines_are_tab_separated(tmp_path: Path) -> None:
    path = tmp_path / "m.arpa"
    write_arpa(build_model(CORPUS, 2)[0], path)
    lines = path.read_text(encoding="utf-8").splitlines()
    unigrams = lines[lines.index("\\1-grams:") + 1 : lines.index("\\2-grams:") - 1]
    bigrams = lines[lines.index("\\2-grams:") + 1 : lines.index("\\end\\") - 1]
    assert all(len(line.split("\t")) == 3 for line in unigrams)
    assert all(len(line.split("\t")) == 2 and len(line.split("\t")[1].split(" ")) == 2 for line in bigrams)
    assert "0\t<s>\t" in "\n".join(unigrams)


def test_reads_irregular_layout_and_adds_unk(tmp_path: Path) -> None:
    path = tmp_path / "hand.arpa"
    path.write_text(HANDWRITTEN, encoding="utf-8")
    model = ArpaModel.load(path)
    entries = _entries(model.tables)
    assert entries[("<unk>",)] == (-100.0, 0.0)
    assert entries[("a",)] == (-0.6, -0.1)
    assert entries[("b",)] == (-0.7, 0.0)
    assert entries[("<s>", "a")] == (-0.2, 0.0)
    assert model.order == 2
    # <s> a b </s>: p(a|<s>) + p(b|a) + p(</s>|b)
    assert model.score_sentence(["a", "b"]).total == pytest.approx(-0.2 - 0.3 - 0.4)
    # c after <s>: backoff(<s>) + p(c); then </s> after c: backoff(c) = 0 + p(</s>)
    assert model.score_sentence(["c"]).total == pytest.approx(-0.25 - 1.2 - 0.5)


def test_fast_and_line_by_line_parsers_agree(tmp_path: Path) -> None:
    tidy = tmp_path / "tidy.arpa"
    write_arpa(build_model(CORPUS, 3)[0], tidy)
    messy = tmp_path / "messy.arpa"
    messy.write_text(tidy.read_text(encoding="utf-8").replace("\t", "  "), encoding="utf-8")
    assert _entries(read_arpa(tidy)) == _entries(read_arpa(messy))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace("ngram 2=3", "ngram 2=4"), "promises 4 2-grams"),
        (lambda t: t.replace("-0.3 a b", "-0.3 a zz"), "not among the unigrams"),
        (lambda t: t.replace("-0.3 a b", "-0.3x a b"), "bad number"),
        (lambda t: t.replace("-0.3 a b", "-0.3 a b c d"), "expected a log10 probability"),
        (lambda t: t.replace("\\end\\", ""), "missing the line \\\\end\\\\"),
        (lambda t: t.replace("\\data\\", "data"), "no \\\\data\\\\"),
        (lambda t: t.replace("0    <s>   -0.25", "0 b -0.25").replace("ngram 1=5", "ngram 1=5"), "lack <s>"),
        (lambda t: t.replace("-0.4 b </s>", "-0.4 a b"), "appears twice"),
    ],
)
def test_errors_name_file_and_problem(tmp_path: Path, change, message: str) -> None:
    path = tmp_path / "bad.arpa"
    path.write_text(change(HANDWRITTEN), encoding="utf-8")
    with pytest.raises(CorpusError, match=message) as info:
        read_arpa(path)
    assert str(path) in str(info.value)


def test_missing_context_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.arpa"
    text = HANDWRITTEN.replace("ngram 2=3", "ngram 2=3\nngram 3=1").replace(
        "\\end\\", "\\3-grams:\n-0.1 b a c\n\n\\end\\")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError, match="the first 2 words of '-0.1 b a c' are not among the 2-grams"):
        read_arpa(path)
    path.write_text(text.replace("b a c", "a b c"), encoding="utf-8")
    assert _entries(read_arpa(path))[("a", "b", "c")] == (-0.1, 0.0)


def test_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.arpa"
    path.write_text(HANDWRITTEN.replace("-0.3 a b", "-0.3 a zz"), encoding="utf-8")
    line = HANDWRITTEN.splitlines().index("-0.3 a b") + 1
    with pytest.raises(CorpusError, match=f"line {line}:"):
        read_arpa(path)


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not found"):
        read_arpa(tmp_path / "absent.arpa")
    path = tmp_path / "latin1.arpa"
    path.write_bytes(HANDWRITTEN.replace("-1.2 c", "-1.2 \xe7a").encode("latin-1"))
    line = HANDWRITTEN.splitlines().index("-1.2 c") + 1
    with pytest.raises(CorpusError, match=f"line {line}: not valid UTF-8"):
        read_arpa(path)


def test_write_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "m.arpa"
    path.write_text("previous content", encoding="utf-8")
    model = build_model(CORPUS, 2)[0]
    model.orders[1].logprob[0] = np.nan
    with pytest.raises(ValueError):
        write_arpa(model, path)
    assert path.read_text(encoding="utf-8") == "previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.arpa"]
