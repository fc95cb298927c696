"""Readers for the processed corpus folder written by ``rnnlab prepare``.

Layout of ``data/processed/<corpus>/``::

    vocab.json                 itos list; <pad>=0, <unk>=1, <eos>=2
    stats.json                 lines, tokens, types, OOV rate per split
    train.txt valid.txt test.txt            (lm) one line of space-separated tokens each
    train.tsv valid.tsv [test.tsv]          (classification) header: sentence<TAB>label[<TAB>extra...]
    labels.json                             (classification, tagging, ner) label / tag names in order
    train.conllu valid.conllu [test.conllu] (tagging) CoNLL-U with ID, FORM, UPOS and MISC filled;
                                            forms as in the source (not mapped to <unk>)
    train.iob2 valid.iob2 [test.iob2]       (ner) ID FORM TAG MISC (RightContext=Yes or -), IOB2 tags,
                                            forms as in the source
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CorpusError
from ..io import read_json

SPLITS = ("train", "valid", "test")
EXTENSIONS = {"lm": ".txt", "classification": ".tsv", "tagging": ".conllu", "ner": ".iob2"}


@dataclass(frozen=True)
class LabelledSplit:
    sentences: list[list[str]]
    labels: list[str]
    extra: dict[str, list[str]] = field(default_factory=dict)


def split_path(corpus_dir: Path, task: str, split: str) -> Path:
    return Path(corpus_dir) / f"{split}{EXTENSIONS[task]}"


def available_splits(corpus_dir: Path, task: str, wanted: tuple[str, ...] = SPLITS) -> tuple[str, ...]:
    return tuple(s for s in wanted if split_path(corpus_dir, task, s).exists())


def _require(path: Path) -> Path:
    if not path.exists():
        raise CorpusError(f"{path} is missing; run `rnnlab prepare` for this corpus first")
    return path


def read_lm_split(corpus_dir: Path, split: str) -> list[list[str]]:
    with open(_require(split_path(corpus_dir, "lm", split)), encoding="utf-8") as fh:
        return [line.split() for line in fh if line.strip()]


def read_classification_split(corpus_dir: Path, split: str) -> LabelledSplit:
    path = _require(split_path(corpus_dir, "classification", split))
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        rows = list(reader)
        columns = reader.fieldnames or []
    extra_cols = [c for c in columns if c not in ("sentence", "label")]
    return LabelledSplit(
        sentences=[r["sentence"].split() for r in rows],
        labels=[r["label"] for r in rows],
        extra={c: [r[c] for r in rows] for c in extra_cols},
    )


def read_labels(corpus_dir: Path) -> list[str]:
    return list(read_json(_require(Path(corpus_dir) / "labels.json")))


def vocab_path(corpus_dir: Path) -> Path:
    """Where the vocabulary lives (read it with :meth:`rnnlab.data.vocab.Vocab.for_corpus`)."""
    return Path(corpus_dir) / "vocab.json"
