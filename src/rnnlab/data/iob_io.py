"""Reading and writing IOB2 files for named-entity recognition.

Two layouts are read:

- ``uner`` (Universal NER): ``#`` comments (``# sent_id``, ``# text``), then one token per line,
  ``ID<TAB>FORM<TAB>TAG<TAB>...``; a fourth column holding ``RightContext=Yes`` marks a token of
  an entity whose type only the words to its right decide (the marker of :mod:`conllu_io`);
- ``conll2003``: whitespace-separated ``FORM ... TAG`` columns, the tag in the last column unless
  ``tag_column`` (0-based) says otherwise; ``-DOCSTART-`` lines are skipped.

A blank line ends a sentence, and every token line of a file has the same number of columns.
A tag is ``O``, ``B-TYPE`` or ``I-TYPE``; an ``I-X`` must continue a ``B-X`` or ``I-X``. In strict
mode a violation stops with file:line; in lenient mode it is repaired to ``B-X`` and counted.
Files written here use the ``uner`` layout with four columns (ID FORM TAG MISC).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Sequence

from ..errors import CorpusError
from .conllu_io import RIGHT_CONTEXT, TaggedSentence
from .corpus_io import iter_decoded_lines

OUTSIDE = "O"
DOCSTART = "-DOCSTART-"


@dataclass(frozen=True)
class Layout:
    """Where FORM and TAG sit on a token line (0-based; ``tag`` -1 = last column)."""

    separator: str | None  # None: any run of whitespace
    form: int
    tag: int
    misc: int | None  # column that may hold RightContext=Yes
    comments: bool  # '#' lines are comments
    min_columns: int


LAYOUTS = MappingProxyType({
    "uner": Layout("\t", 1, 2, 3, True, 3),
    "conll2003": Layout(None, 0, -1, None, False, 2),
})


@dataclass(frozen=True)
class IOBFile:
    """The sentences of a file and how many ``I-`` tags lenient mode turned into ``B-``."""

    sentences: list[TaggedSentence]
    repairs: int = 0


def split_tag(tag: str) -> tuple[str, str]:
    """``B-PER`` -> ("B", "PER"); ``O`` -> ("O", "")."""
    if tag == OUTSIDE:
        return OUTSIDE, ""
    prefix, _, kind = tag.partition("-")
    return prefix, kind


def is_well_formed(tag: str) -> bool:
    prefix, kind = split_tag(tag)
    return prefix == OUTSIDE or (prefix in ("B", "I") and bool(kind))


def continues(previous: str, tag: str) -> bool:
    """Whether ``tag`` may follow ``previous`` in IOB2 (an ``I-X`` only after ``B-X`` or ``I-X``)."""
    prefix, kind = split_tag(tag)
    if prefix != "I":
        return True
    before, before_kind = split_tag(previous)
    return before in ("B", "I") and before_kind == kind


def repair(tags: Sequence[str]) -> tuple[list[str], int]:
    """The tags with every ``I-X`` that does not continue an ``X`` entity turned into ``B-X``, and how many."""
    fixed: list[str] = []
    count = 0
    for tag in tags:
        if not continues(fixed[-1] if fixed else OUTSIDE, tag):
            tag = "B-" + split_tag(tag)[1]
            count += 1
        fixed.append(tag)
    return fixed, count


def invalid_transitions(tags: Sequence[str]) -> int:
    """How many tags of a sequence break IOB2 (an ``I-X`` that does not continue an ``X`` entity)."""
    return sum(not continues(tags[i - 1] if i else OUTSIDE, tag) for i, tag in enumerate(tags))


TAGS_HINT = "; declare it under corpora.<name>.labels in the config (rnnlab prepare --labels)"


@dataclass
class _Reader:
    path: Path
    layout: Layout
    tag_column: int
    declared: frozenset[str] | None
    strict: bool
    tags_hint: str
    columns: int | None = None
    repairs: int = 0

    def fields(self, lineno: int, line: str) -> list[str]:
        parts = line.split(self.layout.separator)
        if self.columns is None:
            need = max(self.layout.min_columns, self.layout.form + 1, self.tag_column + 1)
            if len(parts) < need:
                raise CorpusError(f"{self.path}:{lineno}: a token line needs at least {need} columns "
                                  f"({self._layout_hint()}), found {len(parts)}: {line[:60]!r}")
            self.columns = len(parts)
        if len(parts) != self.columns:
            raise CorpusError(f"{self.path}:{lineno}: {len(parts)} columns where the file's first token line has "
                              f"{self.columns}; every token line needs the same columns ({self._layout_hint()})")
        return parts

    def _layout_hint(self) -> str:
        return "ID<TAB>FORM<TAB>TAG<TAB>..." if self.layout.comments else "FORM ... TAG, whitespace-separated"

    def tag(self, lineno: int, tag: str, previous: str) -> str:
        if not is_well_formed(tag):
            raise CorpusError(f"{self.path}:{lineno}: tag {tag!r} is not IOB2; write O, B-TYPE or I-TYPE")
        if self.declared is not None and tag not in self.declared:
            raise CorpusError(f"{self.path}:{lineno}: tag {tag!r} is not one of {', '.join(sorted(self.declared))}"
                              f"{self.tags_hint}")
        if continues(previous, tag):
            return tag
        if self.strict:
            raise CorpusError(f"{self.path}:{lineno}: {tag!r} follows {previous!r}, which IOB2 forbids (an I-X "
                              "must continue a B-X or I-X); fix the file or prepare it in lenient mode "
                              "(corpora.<name>.iob: lenient in the config, rnnlab prepare --iob lenient), which turns such a "
                              "tag into B-X")
        self.repairs += 1
        return "B-" + split_tag(tag)[1]

    def sentence(self, start: int, lines: list[tuple[int, str]]) -> TaggedSentence | None:
        words: list[str] = []
        tags: list[str] = []
        right: list[bool] = []
        for lineno, line in lines:
            parts = self.fields(lineno, line)
            form = parts[self.layout.form].strip()
            if not form or any(c.isspace() for c in form):
                raise CorpusError(f"{self.path}:{lineno}: the FORM column must be one non-empty word, got {form!r}")
            if form == DOCSTART and not self.layout.comments:
                continue
            tags.append(self.tag(lineno, parts[self.tag_column].strip(), tags[-1] if tags else OUTSIDE))
            words.append(form)
            misc = parts[self.layout.misc] if self.layout.misc is not None and len(parts) > self.layout.misc else ""
            right.append(f"{RIGHT_CONTEXT}=Yes" in misc.strip().split("|"))
        if not words:
            return None
        return TaggedSentence(tuple(words), tuple(tags), tuple(right), start)


def _blocks(path: Path, comments: bool) -> Iterable[tuple[int, list[tuple[int, str]]]]:
    start, lines = 0, []
    for lineno, text in iter_decoded_lines(path):
        if not text.strip():
            if lines:
                yield start, lines
            start, lines = 0, []
            continue
        start = start or lineno
        if comments and text.startswith("#"):
            continue
        lines.append((lineno, text))
    if lines:
        yield start, lines


def read_iob2(path: str | Path, tags: Iterable[str] | None = None, strict: bool = True, layout: str = "uner",
              tag_column: int | None = None, tags_hint: str = TAGS_HINT) -> IOBFile:
    """The sentences of an IOB2 file; CorpusError naming file:line for every problem.

    ``tags``: the declared tag set (any other tag is an error); ``strict`` False repairs an ``I-X``
    that does not continue an ``X`` entity to ``B-X`` and counts it; ``tag_column`` (0-based)
    moves the tag column of the ``conll2003`` layout; ``tags_hint`` follows the error for a tag outside ``tags``.
    """
    path = Path(path)
    if layout not in LAYOUTS:
        raise CorpusError(f"unknown IOB2 layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    spec = LAYOUTS[layout]
    column = spec.tag if tag_column is None else tag_column
    if column < 0 and column != -1:
        raise CorpusError(f"tag column {column} is not a column; count columns from 0 (or -1 for the last)")
    reader = _Reader(path, spec, column, None if tags is None else frozenset(tags), strict, tags_hint)
    sentences = [s for start, lines in _blocks(path, spec.comments) if (s := reader.sentence(start, lines))]
    if not sentences:
        raise CorpusError(f"{path}: no sentence with a token; an IOB2 file holds one token per line and a blank "
                          "line after each sentence")
    return IOBFile(sentences, reader.repairs)


def format_sentence(sentence: TaggedSentence) -> str:
    """One block in the ``uner`` layout (ID FORM TAG MISC) with its blank line."""
    rows = [f"{i}\t{word}\t{tag}\t{f'{RIGHT_CONTEXT}=Yes' if right else '-'}"
            for i, (word, tag, right) in enumerate(zip(sentence.words, sentence.tags, sentence.right_context), 1)]
    return "\n".join(rows) + "\n\n"


def write_iob2(path: str | Path, sentences: Iterable[TaggedSentence]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for sentence in sentences:
            fh.write(format_sentence(sentence))
