"""CoNLL-U reading: comments, multiword tokens, empty nodes, MISC marks, and file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnlab.data.conllu_io import TaggedSentence, read_conllu, write_conllu
from rnnlab.data.prepare import prepare_corpus
from rnnlab.errors import CorpusError

GOOD = (
    "# sent_id = 1\n"
    "# text = Don't go\n"
    "1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
    "1\tDo\tdo\tAUX\t_\t_\t3\taux\t_\t_\n"
    "2\tn't\tnot\tPART\t_\t_\t3\tadvmod\t_\t_\n"
    "3\tgo\t_\tVERB\t_\t_\t0\troot\t_\tRightContext=Yes\n"
    "3.1\tgone\t_\tVERB\t_\t_\t_\t_\t3:conj\t_\n"
    "\n"
    "# sent_id = 2\n"
    "1\tHello\thello\tINTJ\t_\t_\t0\troot\t_\tSpaceAfter=No\n"
    "\n"
)


def test_reads_words_tags_and_marks(tmp_path: Path):
    path = tmp_path / "a.conllu"
    path.write_text(GOOD, encoding="utf-8")
    first, second = read_conllu(path)
    # The multiword token 1-2 and the empty node 3.1 are skipped; "_" lemmas are fine.
    assert first.words == ("Do", "n't", "go") and first.tags == ("AUX", "PART", "VERB")
    assert first.right_context == (False, False, True)
    assert first.line == 1 and second.line == 9
    assert second.words == ("Hello",) and second.right_context == (False,)


def test_round_trip(tmp_path: Path):
    sentences = [TaggedSentence(("a", "b"), ("DET", "NOUN"), (False, True))]
    write_conllu(tmp_path / "x.conllu", sentences)
    back = read_conllu(tmp_path / "x.conllu")
    assert [(s.words, s.tags, s.right_context) for s in back] == [(("a", "b"), ("DET", "NOUN"), (False, True))]


@pytest.mark.parametrize("bad_line, message", [
    ("2\tgo\t_\tVERB\n", "10 tab-separated fields"),
    ("x\tgo\t_\tVERB\t_\t_\t_\t_\t_\t_\n", "malformed CoNLL-U"),
    ("2\tgo\t_\t_\t_\t_\t_\t_\t_\t_\n", "no UPOS tag"),
    ("5\tgo\t_\tVERB\t_\t_\t_\t_\t_\t_\n", "word ID 5"),
])
def test_malformed_line_names_file_and_line(tmp_path: Path, bad_line: str, message: str):
    path = tmp_path / "bad.conllu"
    path.write_text("# c\n1\tI\t_\tPRON\t_\t_\t_\t_\t_\t_\n" + bad_line + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=rf"bad\.conllu:3: .*{message}"):
        read_conllu(path)


def test_empty_file_is_an_error(tmp_path: Path):
    path = tmp_path / "empty.conllu"
    path.write_text("# only a comment\n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no sentence"):
        read_conllu(path)


def test_prepare_tagging_keeps_forms_and_checks_tags(tmp_path: Path):
    train = tmp_path / "train.conllu"
    valid = tmp_path / "valid.conllu"
    write_conllu(train, [TaggedSentence(("the", "dog"), ("DET", "NOUN"), (False, False))])
    write_conllu(valid, [TaggedSentence(("a", "dog"), ("DET", "NOUN"), (False, True))])
    stats = prepare_corpus({"train": train, "valid": valid}, "tagging", tmp_path / "out", "whitespace")
    assert stats.labels == ["DET", "NOUN"] and stats.splits["valid"].oov == 1
    assert read_conllu(tmp_path / "out/valid.conllu")[0].words == ("a", "dog")  # forms kept, not <unk>
    write_conllu(valid, [TaggedSentence(("a", "dog"), ("DET", "VERB"), (False, False))])
    with pytest.raises(CorpusError, match=r"valid\.conllu:1: tag 'VERB' is not one of DET, NOUN"):
        prepare_corpus({"train": train, "valid": valid}, "tagging", tmp_path / "out2", "whitespace")


def test_non_utf8_byte_names_file_and_line(tmp_path: Path):
    path = tmp_path / "latin1.conllu"
    path.write_bytes("1\tI\t_\tPRON\t_\t_\t_\t_\t_\t_\n\n1\tcaf\u00e9\t_\tNOUN\t_\t_\t_\t_\t_\t_\n".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"latin1\.conllu:3: not valid UTF-8 .*re-encode the file as UTF-8"):
        read_conllu(path)


def test_a_folder_given_as_a_split_is_an_input_error(tmp_path: Path):
    train = tmp_path / "train.conllu"
    write_conllu(train, [TaggedSentence(("the", "dog"), ("DET", "NOUN"), (False, False))])
    folder = tmp_path / "my-tags"
    folder.mkdir()
    with pytest.raises(CorpusError, match=r"my-tags: is a folder, not a regular file; name the corpus file inside it"):
        prepare_corpus({"train": train, "valid": folder}, "tagging", tmp_path / "out", "whitespace")
    assert not (tmp_path / "out").exists()
