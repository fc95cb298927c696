"""Parsers that turn downloaded archives into the raw layout.

Each parser takes the verified files (canonical file name -> local path), the output folder and
the registry entry, writes the split files and returns how many lines/examples/sentences each
output file holds. Archives are read member by member (never ``extractall``), so member paths
cannot escape the output folder. Parsers are looked up by name in :data:`PARSERS`.

Raw layout written here:

* lm: ``train.txt valid.txt test.txt`` (text lines exactly as released);
* classification: ``train.tsv valid.tsv [test.tsv]`` with header ``sentence<TAB>label``;
* tagging: ``train.conllu valid.conllu test.conllu`` (CoNLL-U as released);
* ner: ``train.iob2 valid.iob2 test.iob2`` (IOB2 as released).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import posixpath
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Callable, Iterator, Mapping

from ..errors import CorpusError

if TYPE_CHECKING:
    from .registry import CorpusEntry

Parser = Callable[[Mapping[str, Path], Path, "CorpusEntry"], dict[str, int]]

SPLIT_MEMBERS_WIKITEXT = MappingProxyType(
    {"train": "wiki.train.tokens", "valid": "wiki.valid.tokens", "test": "wiki.test.tokens"}
)
SPLIT_MEMBERS_PTB = MappingProxyType({"train": "ptb.train.txt", "valid": "ptb.valid.txt", "test": "ptb.test.txt"})
# GLUE's SST-2 test.tsv has no labels, so only train and dev (-> valid) are kept.
SPLIT_MEMBERS_SST2 = MappingProxyType({"train": "train.tsv", "valid": "dev.tsv"})
SPLIT_SUFFIXES_UD = MappingProxyType(
    {"train": "-ud-train.conllu", "valid": "-ud-dev.conllu", "test": "-ud-test.conllu"}
)
SPLIT_SUFFIXES_UNER = MappingProxyType({"train": "-ud-train.iob2", "valid": "-ud-dev.iob2", "test": "-ud-test.iob2"})
IMDB_POLARITY_LABELS = MappingProxyType({"neg": "0", "pos": "1"})
# Share of each label's training reviews held out as the validation split (1,250 of 12,500).
IMDB_VALID_FRACTION = 0.1
TSV_HEADER = "sentence\tlabel"


@dataclass(frozen=True)
class ArchiveView:
    """The file members of an open zip or tar archive, with a way to read each one."""

    path: Path
    names: tuple[str, ...]
    open: Callable[[str], IO[bytes]]


def _normalise(name: str) -> str:
    return name[2:] if name.startswith("./") else name


# Errors raised when an archive's structure or compressed data is damaged.
_ARCHIVE_ERRORS = (zipfile.BadZipFile, tarfile.TarError, gzip.BadGzipFile, zlib.error, EOFError)


def _view(path: Path, stack: contextlib.ExitStack) -> ArchiveView:
    if zipfile.is_zipfile(path):
        zf = stack.enter_context(zipfile.ZipFile(path))
        names = {_normalise(i.filename): i.filename for i in zf.infolist() if not i.is_dir()}
        return ArchiveView(path, tuple(names), lambda n: zf.open(names[n]))
    if tarfile.is_tarfile(path):
        tf = stack.enter_context(tarfile.open(path, "r:*"))
        members = {_normalise(m.name): m for m in tf.getmembers() if m.isfile()}

        def _open(name: str) -> IO[bytes]:
            fh = tf.extractfile(members[name])
            assert fh is not None  # regular files always have a body
            return fh

        return ArchiveView(path, tuple(members), _open)
    raise CorpusError(f"{path} is neither a zip nor a tar archive; delete it and download it again")


@contextlib.contextmanager
def open_archive(path: Path) -> Iterator[ArchiveView]:
    """Open a zip or (compressed) tar archive; CorpusError if it is neither or is damaged."""
    with contextlib.ExitStack() as stack:
        try:
            view = _view(path, stack)
        except _ARCHIVE_ERRORS as exc:
            raise CorpusError(f"archive {path} cannot be read ({exc}); delete it and download it again") from None
        try:
            yield view
        except _ARCHIVE_ERRORS as exc:
            raise CorpusError(f"archive {path} is damaged ({exc}); delete it and download it again") from None


def find_member(view: ArchiveView, basename: str) -> str:
    """The one member whose file name is ``basename``; CorpusError if none or several."""
    hits = [n for n in view.names if posixpath.basename(n) == basename]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        listing = ", ".join(sorted(view.names)[:10]) + (", ..." if len(view.names) > 10 else "")
        raise CorpusError(f"archive {view.path.name} has no member named {basename} (members: {listing or 'none'})")
    raise CorpusError(f"archive {view.path.name} has several members named {basename}: {', '.join(sorted(hits))}")


def _copy_lines(src: IO[bytes], dest: Path, label: str) -> Iterator[bytes]:
    """Copy ``src`` to ``dest`` byte for byte, checking UTF-8 line by line; yields each line."""
    with open(dest, "wb") as out:
        for lineno, line in enumerate(src, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise CorpusError(f"{label}: line {lineno} is not UTF-8 (byte {exc.start + 1})") from None
            out.write(line)
            yield line


def _single_archive(files: Mapping[str, Path], parser: str) -> Path:
    if len(files) != 1:
        raise CorpusError(f"parser {parser} expects one archive, got {len(files)}: {', '.join(files)}")
    return next(iter(files.values()))


def _text_splits(files: Mapping[str, Path], out_dir: Path, members: Mapping[str, str], parser: str) -> dict[str, int]:
    archive = _single_archive(files, parser)
    counts: dict[str, int] = {}
    with open_archive(archive) as view:
        for split, basename in members.items():
            member = find_member(view, basename)
            with view.open(member) as src:
                name = f"{split}.txt"
                counts[name] = sum(1 for _ in _copy_lines(src, out_dir / name, f"{archive.name}:{member}"))
    return counts


def wikitext_tokens(files: Mapping[str, Path], out_dir: Path, entry: CorpusEntry) -> dict[str, int]:
    """WikiText v1 (tokenized) zip: ``wiki.{train,valid,test}.tokens`` -> ``{split}.txt``."""
    return _text_splits(files, out_dir, SPLIT_MEMBERS_WIKITEXT, "wikitext_tokens")


def ptb_simple_examples(files: Mapping[str, Path], out_dir: Path, entry: CorpusEntry) -> dict[str, int]:
    """Mikolov's ``simple-examples.tgz``: ``data/ptb.{train,valid,test}.txt`` -> ``{split}.txt``."""
    return _text_splits(files, out_dir, SPLIT_MEMBERS_PTB, "ptb_simple_examples")


def _write_tsv_rows(dest: Path, rows: Iterator[tuple[str, str]]) -> int:
    n = 0
    with open(dest, "w", encoding="utf-8", newline="\n") as out:
        out.write(TSV_HEADER + "\n")
        for sentence, label in rows:
            out.write(f"{sentence}\t{label}\n")
            n += 1
    return n


def _glue_rows(src: IO[bytes], label: str, labels: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    for lineno, raw in enumerate(src, start=1):
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:
            raise CorpusError(f"{label}: line {lineno} is not UTF-8") from None
        if lineno == 1:
            if line != TSV_HEADER:
                raise CorpusError(f"{label}: line 1 must be the header 'sentence<TAB>label', got {line!r}")
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0].strip():
            raise CorpusError(f"{label}: line {lineno} must be 'sentence<TAB>label', got {line!r}")
        if fields[1] not in labels:
            raise CorpusError(f"{label}: line {lineno} has label {fields[1]!r}; allowed: {', '.join(labels)}")
        yield fields[0], fields[1]


def glue_sst2(files: Mapping[str, Path], out_dir: Path, entry: CorpusEntry) -> dict[str, int]:
    """GLUE ``SST-2.zip``: ``train.tsv`` and ``dev.tsv`` (labelled) -> ``train.tsv``, ``valid.tsv``."""
    archive = _single_archive(files, "glue_sst2")
    counts: dict[str, int] = {}
    with open_archive(archive) as view:
        for split, basename in SPLIT_MEMBERS_SST2.items():
            member = find_member(view, basename)
            with view.open(member) as src:
                rows = _glue_rows(src, f"{archive.name}:{member}", entry.labels)
                counts[f"{split}.tsv"] = _write_tsv_rows(out_dir / f"{split}.tsv", rows)
    return counts


def _imdb_reviews(archive: Path) -> dict[tuple[str, str], dict[str, str]]:
    """(split, polarity) -> {file name: review text with whitespace runs made single spaces}."""
    reviews: dict[tuple[str, str], dict[str, str]] = {
        (s, p): {} for s in ("train", "test") for p in IMDB_POLARITY_LABELS
    }
    try:
        with tarfile.open(archive, "r:*") as tf:
            for member in tf:
                parts = _normalise(member.name).split("/")
                if not member.isfile() or len(parts) != 4 or (parts[1], parts[2]) not in reviews:
                    continue
                fh = tf.extractfile(member)
                assert fh is not None  # regular files always have a body
                try:
                    text = fh.read().decode("utf-8")
                except UnicodeDecodeError:
                    raise CorpusError(f"{archive.name}:{member.name} is not UTF-8") from None
                reviews[parts[1], parts[2]][parts[3]] = " ".join(text.split())
    except _ARCHIVE_ERRORS as exc:
        raise CorpusError(f"archive {archive} cannot be read ({exc}); delete it and download it again") from None
    empty = [f"aclImdb/{s}/{p}" for (s, p), texts in reviews.items() if not texts]
    if empty:
        raise CorpusError(f"archive {archive.name} has no reviews under {', '.join(empty)}")
    return reviews


def _review_order(file_name: str) -> tuple[int, str]:
    # Review files are named <id>_<rating>.txt; order by id so both labels interleave.
    stem = file_name.split("_", 1)[0]
    return (int(stem) if stem.isdigit() else -1, file_name)


def _held_out(file_names: list[str]) -> set[str]:
    """The validation reviews: the first IMDB_VALID_FRACTION of names ordered by their sha256."""
    n_valid = max(1, round(len(file_names) * IMDB_VALID_FRACTION)) if len(file_names) > 1 else 0
    ranked = sorted(file_names, key=lambda n: hashlib.sha256(n.encode("utf-8")).hexdigest())
    return set(ranked[:n_valid])


def aclimdb(files: Mapping[str, Path], out_dir: Path, entry: CorpusEntry) -> dict[str, int]:
    """Maas et al.'s ``aclImdb_v1.tar.gz``: labelled train/test reviews -> train/valid/test TSV.

    ``unsup`` reviews are skipped. The validation split is a fixed 10% of each label's training
    reviews (those whose file name has the smallest sha256), so it is the same on every machine.
    """
    archive = _single_archive(files, "aclimdb")
    missing = [v for v in IMDB_POLARITY_LABELS.values() if v not in entry.labels]
    if missing:
        raise CorpusError(f"parser aclimdb writes labels {', '.join(missing)}, which entry {entry.name} does not declare")
    reviews = _imdb_reviews(archive)
    rows: dict[str, list[tuple[tuple[int, str], str, str]]] = {"train": [], "valid": [], "test": []}
    for (split, polarity), texts in reviews.items():
        valid = _held_out(list(texts)) if split == "train" else set()
        for file_name, text in texts.items():
            target = "valid" if file_name in valid else split
            rows[target].append((_review_order(file_name), text, IMDB_POLARITY_LABELS[polarity]))
    counts = {}
    for split, items in rows.items():
        items.sort(key=lambda r: (r[0], r[2]))
        counts[f"{split}.tsv"] = _write_tsv_rows(out_dir / f"{split}.tsv", ((t, lab) for _, t, lab in items))
    return counts


def _sentence_files(files: Mapping[str, Path], out_dir: Path, suffixes: Mapping[str, str], extension: str,
                    parser: str) -> dict[str, int]:
    """Copy one released file per split (found by its name's suffix) to ``{split}{extension}``.

    The returned counts are sentences (blocks ended by a blank line).
    """
    counts: dict[str, int] = {}
    for split, suffix in suffixes.items():
        hits = [name for name in files if name.endswith(suffix)]
        if len(hits) != 1:
            raise CorpusError(f"parser {parser} needs exactly one file ending in {suffix}, got: {', '.join(files)}")
        name = f"{split}{extension}"
        sentences, in_sentence = 0, False
        with open(files[hits[0]], "rb") as src:
            for line in _copy_lines(src, out_dir / name, hits[0]):
                blank = not line.strip()
                sentences += int(blank and in_sentence)
                in_sentence = not blank
        counts[name] = sentences + int(in_sentence)
    return counts


def ud_conllu(files: Mapping[str, Path], out_dir: Path, entry: CorpusEntry) -> dict[str, int]:
    """Universal Dependencies ``*-ud-{train,dev,test}.conllu`` -> ``{split}.conllu`` as released."""
    return _sentence_files(files, out_dir, SPLIT_SUFFIXES_UD, ".conllu", "ud_conllu")


def uner_iob2(files: Mapping[str, Path], out_dir: Path, entry: CorpusEntry) -> dict[str, int]:
    """Universal NER ``*-ud-{train,dev,test}.iob2`` -> ``{split}.iob2`` as released."""
    return _sentence_files(files, out_dir, SPLIT_SUFFIXES_UNER, ".iob2", "uner_iob2")


PARSERS: Mapping[str, Parser] = MappingProxyType(
    {
        "wikitext_tokens": wikitext_tokens,
        "ptb_simple_examples": ptb_simple_examples,
        "glue_sst2": glue_sst2,
        "aclimdb": aclimdb,
        "ud_conllu": ud_conllu,
        "uner_iob2": uner_iob2,
    }
)
