"""Reading and writing CoNLL-U for part-of-speech tagging.

A sentence is a block of lines ended by a blank line: ``#`` comments, then one line per token
with ten tab-separated fields (ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC). Tagging
uses the syntactic words (integer IDs) with their FORM and UPOS; multiword tokens (``1-2``)
and empty nodes (``1.1``) are skipped. A word whose MISC field holds ``RightContext=Yes`` is
one whose tag only the words to its right decide; evaluation scores those words separately.

Each block is parsed by the ``conllu`` package; the checks here only add what it leaves out
(the field count, a tag on every word, consecutive IDs) and the file:line of every problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import conllu
from conllu.exceptions import ParseException

from ..errors import CorpusError
from .corpus_io import iter_decoded_lines

FIELDS = 10
RIGHT_CONTEXT = "RightContext"


@dataclass(frozen=True)
class TaggedSentence:
    """The words of one sentence, their UPOS tags and which of them are right-context words."""

    words: tuple[str, ...]
    tags: tuple[str, ...]
    right_context: tuple[bool, ...]
    line: int = 0  # line of the sentence's first line in its file (0: not read from a file)

    def __post_init__(self) -> None:
        if not len(self.words) == len(self.tags) == len(self.right_context):
            raise ValueError("words, tags and right_context must have the same length")


def _blocks(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(first line number, lines) of each sentence block; blank lines separate blocks.

    The lines come from ``corpus_io``, which checks that ``path`` is a file and decodes it line
    by line, so a non-UTF-8 byte is reported with its line.
    """
    start, lines = 0, []
    for lineno, line in iter_decoded_lines(path):
        if line.strip():
            start = start or lineno
            lines.append(line)
        elif lines:
            yield start, lines
            start, lines = 0, []
    if lines:
        yield start, lines


def _check_fields(path: Path, start: int, lines: list[str]) -> None:
    for offset, line in enumerate(lines):
        if line.startswith("#"):
            continue
        n = len(line.split("\t"))
        if n != FIELDS:
            raise CorpusError(f"{path}:{start + offset}: a token line needs {FIELDS} tab-separated fields "
                              f"(ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC), found {n}: {line[:60]!r}")


def _token_line(path: Path, start: int, lines: list[str], token_index: int) -> int:
    """File line of the ``token_index``-th token line of a block."""
    seen = -1
    for offset, line in enumerate(lines):
        if not line.startswith("#"):
            seen += 1
            if seen == token_index:
                return start + offset
    return start


def _parse_block(path: Path, start: int, lines: list[str]) -> TaggedSentence | None:
    _check_fields(path, start, lines)
    try:
        tokens = conllu.parse_token_and_metadata("\n".join(lines))
    except ParseException as exc:
        where = next((start + i for i, line in enumerate(lines) if not line.startswith("#")), start)
        for i, line in enumerate(lines):
            if not line.startswith("#"):
                try:
                    conllu.parse_token_and_metadata(line)
                except ParseException:
                    where = start + i
                    break
        raise CorpusError(f"{path}:{where}: malformed CoNLL-U token line ({exc})") from None
    words, tags, right = [], [], []
    for index, token in enumerate(tokens):
        if not isinstance(token["id"], int):
            continue  # multiword token (1-2) or empty node (1.1)
        lineno = _token_line(path, start, lines, index)
        if token["id"] != len(words) + 1:
            raise CorpusError(f"{path}:{lineno}: word ID {token['id']} where {len(words) + 1} was expected; "
                              "IDs of a sentence count 1, 2, 3, ...")
        upos = token["upos"]
        if not upos or upos == "_":
            raise CorpusError(f"{path}:{lineno}: word {token['form']!r} has no UPOS tag (column 4); "
                              "every word needs one for tagging")
        if not token["form"] or any(c.isspace() for c in token["form"]):
            raise CorpusError(f"{path}:{lineno}: the FORM column must be one non-empty word without spaces, "
                              f"got {token['form']!r}")
        misc = token["misc"] or {}
        words.append(token["form"])
        tags.append(upos)
        right.append(misc.get(RIGHT_CONTEXT) == "Yes")
    if not words:
        return None
    return TaggedSentence(tuple(words), tuple(tags), tuple(right), start)


def read_conllu(path: str | Path) -> list[TaggedSentence]:
    """The tagged sentences of a CoNLL-U file; CorpusError naming file:line for a malformed one."""
    path = Path(path)
    sentences = [s for start, lines in _blocks(path) if (s := _parse_block(path, start, lines)) is not None]
    if not sentences:
        raise CorpusError(f"{path}: no sentence with a word; a CoNLL-U file holds blocks of token lines "
                          "separated by blank lines")
    return sentences


def format_sentence(sentence: TaggedSentence) -> str:
    """One CoNLL-U block (with its blank line): ID, FORM, UPOS and MISC filled, the rest ``_``."""
    rows = []
    for i, (word, tag, right) in enumerate(zip(sentence.words, sentence.tags, sentence.right_context), start=1):
        misc = f"{RIGHT_CONTEXT}=Yes" if right else "_"
        rows.append("\t".join((str(i), word, "_", tag, "_", "_", "_", "_", "_", misc)))
    return "\n".join(rows) + "\n\n"


def write_conllu(path: str | Path, sentences: Iterable[TaggedSentence]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for sentence in sentences:
            fh.write(format_sentence(sentence))
