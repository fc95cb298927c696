"""Reading and checking raw corpus files.

Each file is read once, line by line as bytes, so that a decoding error can name its line.
Every problem stops with one ``CorpusError`` of the form ``FILE:LINE: what is wrong; what to do``.

Raw layout: language modelling uses ``train.txt``/``valid.txt``/``test.txt`` (one sentence or
paragraph per line, blank lines ignored); classification uses ``train.tsv``/``valid.tsv``
[/``test.tsv``] with the header ``sentence<TAB>label`` and optional extra columns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..errors import CorpusError

TSV_HEAD = ("sentence", "label")
PROBE_COLUMNS = ("line", "position", "distance", "cue", "target")
_BOM = "\ufeff"


@dataclass(frozen=True)
class TextLine:
    """A non-blank line of a text file; ``lineno`` counts from 1 like an editor."""

    lineno: int
    text: str


@dataclass(frozen=True)
class Example:
    """One classification example; ``extra`` holds the values of the extra columns."""

    lineno: int
    sentence: str
    label: str
    extra: tuple[str, ...] = ()


@dataclass(frozen=True)
class TsvSplit:
    """A classification file: its extra column names and its examples in file order."""

    path: Path
    extra_columns: tuple[str, ...]
    examples: list[Example]

    @property
    def columns(self) -> tuple[str, ...]:
        return TSV_HEAD + self.extra_columns


@dataclass(frozen=True)
class Probe:
    """A long-distance probe: the token at ``position`` of line ``line`` (both 0-based) is ``target``,
    and ``cue`` appears ``distance`` tokens before it."""

    line: int
    position: int
    distance: int
    cue: str
    target: str


def _check_file(path: Path) -> None:
    """A corpus input must be an existing regular file; checked before it is opened, so that a
    folder is reported as a wrong input rather than as an I/O error."""
    if not path.exists():
        raise CorpusError(f"{path}: file not found; check the path or create the file")
    if path.is_dir():
        raise CorpusError(f"{path}: is a folder, not a regular file; name the corpus file inside it")
    if not path.is_file():
        raise CorpusError(f"{path}: is not a regular file; name a corpus file, not a folder")


def iter_decoded_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, str]]:
    """Yield ``(lineno, text)`` for every line, without its line ending; stop at the first non-UTF-8 byte."""
    path = Path(path)
    _check_file(path)
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CorpusError(
                    f"{path}:{lineno}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
                    "re-encode the file as UTF-8"
                ) from None
            if lineno == 1 and text.startswith(_BOM):
                text = text[1:]
            yield lineno, text.rstrip("\r\n")


def iter_text_lines(path: str | os.PathLike[str]) -> Iterator[TextLine]:
    """Yield the non-blank lines of a UTF-8 text file."""
    for lineno, text in iter_decoded_lines(path):
        if text.strip():
            yield TextLine(lineno, text)


def read_text_lines(path: str | os.PathLike[str]) -> list[TextLine]:
    """All non-blank lines of a text file; CorpusError if there are none."""
    lines = list(iter_text_lines(path))
    if not lines:
        raise CorpusError(f"{path}: the file is empty (no non-blank line); put one sentence or paragraph per line")
    return lines


def read_tsv(
    path: str | os.PathLike[str],
    allowed_labels: Sequence[str] | None = None,
    label_hint: str = "",
) -> TsvSplit:
    """Read and check a ``sentence<TAB>label[<TAB>extra...]`` file.

    ``allowed_labels``: when given, any other label is an error; ``label_hint`` is appended to
    that message (e.g. how to declare the labels). Blank lines are skipped.
    """
    path = Path(path)
    lines = ((n, t) for n, t in iter_decoded_lines(path) if t.strip())
    first = next(lines, None)
    if first is None:
        raise CorpusError(f"{path}: the file is empty; expected the header 'sentence<TAB>label' and one example per line")
    head_no, head_text = first
    header = tuple(c.strip() for c in head_text.split("\t"))
    if header[:2] != TSV_HEAD:
        raise CorpusError(
            f"{path}:{head_no}: missing or incorrect header {head_text!r}; the first line must be "
            "'sentence<TAB>label' (extra columns may follow)"
        )
    allowed = None if allowed_labels is None else set(allowed_labels)
    examples: list[Example] = []
    for lineno, text in lines:
        fields = text.split("\t")
        if len(fields) != len(header):
            raise CorpusError(
                f"{path}:{lineno}: {len(fields)} tab-separated column(s), but the header has {len(header)} "
                f"({', '.join(header)}); check for missing or extra tabs"
            )
        sentence, label = fields[0].strip(), fields[1].strip()
        if not sentence:
            raise CorpusError(f"{path}:{lineno}: empty sentence; remove the line or fill in the text")
        if not label:
            raise CorpusError(f"{path}:{lineno}: empty label; every example needs a label")
        if allowed is not None and label not in allowed:
            shown = ", ".join(repr(lab) for lab in allowed_labels or ())
            raise CorpusError(f"{path}:{lineno}: label {label!r} is not one of [{shown}]{label_hint}")
        examples.append(Example(lineno, sentence, label, tuple(f.strip() for f in fields[2:])))
    if not examples:
        raise CorpusError(f"{path}: the file has a header but no example; add one example per line")
    return TsvSplit(path, header[2:], examples)


def tsv_line(fields: Iterable[object]) -> str:
    """One TSV row with its newline; a field holding a tab or newline is a programming error."""
    values = [str(f) for f in fields]
    for value in values:
        if "\t" in value or "\n" in value:
            raise ValueError(f"TSV field contains a tab or newline: {value!r}")
    return "\t".join(values) + "\n"


def format_probes(probes: Iterable[Probe]) -> str:
    """The text of a ``{split}.probes.tsv`` file."""
    rows = [tsv_line(PROBE_COLUMNS)]
    rows.extend(tsv_line((p.line, p.position, p.distance, p.cue, p.target)) for p in probes)
    return "".join(rows)


def _probe_int(path: Path, lineno: int, column: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise CorpusError(f"{path}:{lineno}: column {column!r} must be an integer, found {value!r}") from None
    if number < 0:
        raise CorpusError(f"{path}:{lineno}: column {column!r} must not be negative, found {number}")
    return number


def read_probes(path: str | os.PathLike[str]) -> list[Probe]:
    """Read a ``{split}.probes.tsv`` file (columns: line, position, distance, cue, target)."""
    path = Path(path)
    probes: list[Probe] = []
    header_seen = False
    for lineno, text in iter_decoded_lines(path):
        if not text.strip():
            continue
        fields = [f.strip() for f in text.split("\t")]
        if not header_seen:
            if tuple(fields) != PROBE_COLUMNS:
                raise CorpusError(f"{path}:{lineno}: the header must be {'<TAB>'.join(PROBE_COLUMNS)}, found {text!r}")
            header_seen = True
            continue
        if len(fields) != len(PROBE_COLUMNS):
            raise CorpusError(f"{path}:{lineno}: expected {len(PROBE_COLUMNS)} columns, found {len(fields)}")
        line, position, distance = (_probe_int(path, lineno, c, v) for c, v in zip(PROBE_COLUMNS[:3], fields[:3]))
        probes.append(Probe(line, position, distance, fields[3], fields[4]))
    if not header_seen:
        raise CorpusError(f"{path}: the file is empty; expected the header {'<TAB>'.join(PROBE_COLUMNS)}")
    return probes
