from pathlib import Path

import pytest

from rnnlab.data.conllu_io import TaggedSentence
from rnnlab.data.iob_io import invalid_transitions, read_iob2, repair, write_iob2
from rnnlab.errors import CorpusError

SHARED_DEV = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "uner-ewt" / "dev.iob2"

UNER = (
    "# sent_id = a-1\n"
    "# text = Jordan said hi\n"
    "1\tJordan\tB-PER\t-\t-\n"
    "2\tsaid\tO\t-\t-\n"
    "3\thi\tO\t-\t-\n"
    "\n"
    "# sent_id = a-2\n"
    "1\tJordan\tB-LOC\tRightContext=Yes\t-\n"
    "2\tRiver\tI-LOC\tRightContext=Yes\t-\n"
    "\n"
)


def write(tmp_path: Path, text: str, name: str = "x.iob2") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_uner_layout(tmp_path):
    data = read_iob2(write(tmp_path, UNER))
    assert [s.words for s in data.sentences] == [("Jordan", "said", "hi"), ("Jordan", "River")]
    assert data.sentences[0].tags == ("B-PER", "O", "O")
    assert data.sentences[1].right_context == (True, True)
    assert data.sentences[0].line == 1 and data.sentences[1].line == 7
    assert data.repairs == 0


def test_reads_conll2003_layout_with_a_configurable_tag_column(tmp_path):
    text = "-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n"
    path = write(tmp_path, text)
    assert read_iob2(path, layout="conll2003").sentences[0].tags == ("B-ORG", "O")
    with pytest.raises(CorpusError, match=r"x\.iob2:1: 'I-NP' follows 'O'"):
        read_iob2(write(tmp_path, "EU NNP I-NP B-ORG\n\n"), layout="conll2003", tag_column=2)
    chunks = read_iob2(write(tmp_path, text), layout="conll2003", tag_column=2).sentences[0].tags
    assert chunks == ("B-NP", "B-VP")


def test_round_trip(tmp_path):
    sentences = read_iob2(write(tmp_path, UNER)).sentences
    write_iob2(tmp_path / "out.iob2", sentences)
    again = read_iob2(tmp_path / "out.iob2").sentences
    assert [(s.words, s.tags, s.right_context) for s in again] == [(s.words, s.tags, s.right_context) for s in sentences]


@pytest.mark.parametrize("body, line, message", [
    ("1\ta\tO\n2\tb\tI-PER\n", 2, "'I-PER' follows 'O'"),
    ("1\ta\tI-PER\n", 1, "'I-PER' follows 'O'"),
    ("1\ta\tB-LOC\n2\tb\tI-PER\n", 2, "'I-PER' follows 'B-LOC'"),
    ("1\ta\tB-MISC\n", 1, "'B-MISC' is not one of"),
    ("1\ta\tPER\n", 1, "not IOB2"),
    ("1\ta\tO\n2\tb\n", 2, "2 columns where"),
    ("1\ta\n", 1, "at least 3 columns"),
    ("1\ta\tO\t-\n2\tb\tO\n", 2, "3 columns where the file's first token line has 4"),
    ("1\t\tO\n", 1, "FORM column"),
])
def test_bad_input_names_file_and_line(tmp_path, body, line, message):
    path = write(tmp_path, "# text = t\n" + body + "\n")
    with pytest.raises(CorpusError) as err:
        read_iob2(path, tags=["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])
    assert f"{path}:{line + 1}:" in str(err.value) and message in str(err.value)


def test_empty_file_is_an_error(tmp_path):
    with pytest.raises(CorpusError, match="no sentence"):
        read_iob2(write(tmp_path, "# only a comment\n\n"))


def test_unknown_layout_is_an_error(tmp_path):
    with pytest.raises(CorpusError, match="unknown IOB2 layout"):
        read_iob2(write(tmp_path, UNER), layout="conllu")


def test_lenient_mode_repairs_and_counts(tmp_path):
    path = write(tmp_path, "1\ta\tI-PER\n2\tb\tO\n3\tc\tI-LOC\n4\td\tI-LOC\n5\te\tB-PER\n6\tf\tI-LOC\n\n")
    data = read_iob2(path, strict=False)
    assert data.sentences[0].tags == ("B-PER", "O", "B-LOC", "I-LOC", "B-PER", "B-LOC")
    assert data.repairs == 3


def test_repair_and_invalid_transitions_agree():
    tags = ["I-PER", "I-PER", "O", "B-LOC", "I-ORG", "I-ORG"]
    fixed, count = repair(tags)
    assert fixed == ["B-PER", "I-PER", "O", "B-LOC", "B-ORG", "I-ORG"]
    assert count == invalid_transitions(tags) == 2
    assert invalid_transitions(fixed) == 0


def test_right_context_marker_is_per_token(tmp_path):
    s = TaggedSentence(("Jordan", "said"), ("B-PER", "O"), (True, False))
    write_iob2(tmp_path / "m.iob2", [s])
    assert read_iob2(tmp_path / "m.iob2").sentences[0].right_context == (True, False)


@pytest.mark.skipif(not SHARED_DEV.is_file(), reason="the shared UNER English-EWT dev file is absent")
def test_reads_the_real_uner_dev_file():
    data = read_iob2(SHARED_DEV)
    tags = {t for s in data.sentences for t in s.tags}
    assert tags == {"O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"}
    assert len(data.sentences) == 2001
    assert sum(len(s.words) for s in data.sentences) == 25149
    assert data.sentences[0].words[6:8] == ("tampa", "bay") and data.sentences[0].tags[6:8] == ("B-LOC", "I-LOC")
