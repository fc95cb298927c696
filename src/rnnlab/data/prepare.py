"""``rnnlab prepare``: from raw corpus files to the processed folder the models read.

The processed folder holds ``vocab.json`` (built on the training split), the tokenized splits
with out-of-vocabulary tokens replaced by ``<unk>`` (``{split}.txt`` for language modelling,
``{split}.tsv`` for classification, plus ``labels.json``; ``{split}.conllu`` for tagging and
``{split}.iob2`` for named-entity recognition, with the words as in the source, plus ``labels.json``
with the tag set), any ``{split}.probes.tsv`` found next to the raw files, and ``stats.json``. It is
written as a whole or not at all.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Iterable, Iterator, Mapping

from ..errors import ConfigError, CorpusError
from ..io import atomic_dir, write_json
from .conllu_io import TaggedSentence, read_conllu, write_conllu
from .corpus_io import Probe, format_probes, iter_text_lines, read_probes, read_tsv, tsv_line
from .iob_io import LAYOUTS, OUTSIDE, read_iob2, split_tag, write_iob2
from .processed import EXTENSIONS, SPLITS
from .stats import CorpusStats, SplitCounter, SplitStats, oov_warning
from .tokenize import TOKENIZERS, Tokenizer, describe_tokenizers, get_tokenizer
from .vocab import UNK, Vocab, check_limits

REQUIRED_SPLITS = MappingProxyType({"lm": ("train", "valid", "test"), "classification": ("train", "valid"),
                                     "tagging": ("train", "valid"), "ner": ("train", "valid")})
IOB_MODES = ("strict", "lenient")


@dataclass(frozen=True)
class PrepareSettings:
    corpus: str
    task: str
    tokenizer: Tokenizer
    min_freq: int = 1
    max_size: int | None = None
    labels: tuple[str, ...] | None = None
    iob: str = "strict"  # ner: strict stops at an IOB2 violation, lenient repairs it (I-X -> B-X)
    iob_layout: str = "uner"
    tag_column: int | None = None


# What a task's preparation returns: the vocabulary, the statistics per split, the label order.
Prepared = tuple[Vocab, dict[str, SplitStats], list[str] | None]


def _tokens_or_fail(settings: PrepareSettings, path: Path, lineno: int, text: str) -> list[str]:
    tokens = settings.tokenizer(text)
    if not tokens:
        raise CorpusError(
            f"{path}:{lineno}: the sentence has no tokens after tokenization with {settings.tokenizer.name!r}; "
            "remove the line or choose another tokenizer"
        )
    return tokens


def _build_vocab(settings: PrepareSettings, sentences: list[list[str]]) -> Vocab:
    return Vocab.build(sentences, settings.min_freq, settings.max_size, settings.tokenizer.name)


def _probe_path(raw_split: Path) -> Path:
    return raw_split.with_name(f"{raw_split.stem}.probes.tsv")


def _write_probes(raw_split: Path, split: str, out_dir: Path, out_lines: dict[int, list[str]]) -> None:
    """Copy ``{split}.probes.tsv`` from beside the raw file, with line indices of the processed file.

    ``out_lines`` maps a raw 0-based line index to the processed tokens of that line.
    """
    probe_path = _probe_path(raw_split)
    index = {raw: i for i, raw in enumerate(sorted(out_lines))}
    remapped: list[Probe] = []
    for row, probe in enumerate(read_probes(probe_path), start=1):
        where = f"{probe_path}: probe {row} (line {probe.line}, position {probe.position})"
        tokens = out_lines.get(probe.line)
        if tokens is None:
            raise CorpusError(f"{where} points at a line that {raw_split} does not have (or that is blank)")
        start = probe.position - probe.distance
        if probe.position >= len(tokens) or start < 0:
            raise CorpusError(f"{where}: the line has only {len(tokens)} tokens; the probe does not fit it")
        if tokens[probe.position] not in (probe.target, UNK) or tokens[start] not in (probe.cue, UNK):
            raise CorpusError(
                f"{where}: after tokenization the target is {tokens[probe.position]!r} and the cue "
                f"{tokens[start]!r}, not {probe.target!r} and {probe.cue!r}; prepare probe corpora with "
                "the whitespace tokenizer"
            )
        remapped.append(Probe(index[probe.line], probe.position, probe.distance, probe.cue, probe.target))
    (out_dir / f"{split}.probes.tsv").write_text(format_probes(remapped), encoding="utf-8")


def _iter_tokenized(settings: PrepareSettings, path: Path) -> Iterator[tuple[int, list[str]]]:
    """``(lineno, tokens)`` per line; lines without tokens are dropped like blank ones.

    Tokens are interned, so a large training split holds one copy of each word type.
    """
    for line in iter_text_lines(path):
        tokens = [sys.intern(tok) for tok in settings.tokenizer(line.text)]
        if tokens:
            yield line.lineno, tokens


def _write_lm_split(
    settings: PrepareSettings, vocab: Vocab, split: str, path: Path, lines: Iterable[tuple[int, list[str]]], out_dir: Path
) -> SplitStats:
    """Write ``{split}.txt`` (and its probes) line by line; return the split's statistics."""
    counter = SplitCounter(vocab, "lm")
    with_probes = _probe_path(path).exists()
    out_lines: dict[int, list[str]] = {}
    with open(out_dir / f"{split}.txt", "w", encoding="utf-8") as fh:
        for lineno, tokens in lines:
            counter.add(tokens)
            mapped = vocab.map_oov(tokens)
            fh.write(" ".join(mapped) + "\n")
            if with_probes:
                out_lines[lineno - 1] = mapped
    if counter.lines == 0:
        raise CorpusError(
            f"{path}: no line with a token (the file is blank, or the {settings.tokenizer.name!r} tokenizer "
            "keeps nothing of it); put one sentence or paragraph per line"
        )
    if with_probes:
        _write_probes(path, split, out_dir, out_lines)
    return counter.result()


def _prepare_lm(files: Mapping[str, Path], settings: PrepareSettings, out_dir: Path) -> Prepared:
    train = list(_iter_tokenized(settings, files["train"]))
    vocab = _build_vocab(settings, [tokens for _, tokens in train])
    stats: dict[str, SplitStats] = {}
    for split, path in files.items():
        lines = train if split == "train" else _iter_tokenized(settings, path)
        stats[split] = _write_lm_split(settings, vocab, split, path, lines, out_dir)
    return vocab, stats, None


def _labels_hint(settings: PrepareSettings, what: str, train: Path) -> str:
    """Where the allowed labels (``what``: labels or tags) came from, for the error naming one outside them."""
    key = f"corpora.{settings.corpus}.labels in the config (rnnlab prepare --labels)"
    if settings.labels:
        return f"; these are the {what} declared under {key}"
    return f" (the {what} of {train}); declare all {what} under {key}"


def _prepare_classification(files: Mapping[str, Path], settings: PrepareSettings, out_dir: Path) -> Prepared:
    declared = list(settings.labels) if settings.labels else None
    train = read_tsv(files["train"], declared, _labels_hint(settings, "labels", files["train"]))
    labels = declared or sorted({ex.label for ex in train.examples})
    hint = _labels_hint(settings, "labels", files["train"])
    train_tokens = [_tokens_or_fail(settings, train.path, ex.lineno, ex.sentence) for ex in train.examples]
    vocab = _build_vocab(settings, train_tokens)
    stats: dict[str, SplitStats] = {}
    for split, path in files.items():
        data = train if split == "train" else read_tsv(path, labels, hint)
        counter = SplitCounter(vocab, "classification")
        rows = [tsv_line(data.columns)]
        for i, ex in enumerate(data.examples):
            tokens = train_tokens[i] if split == "train" else _tokens_or_fail(settings, path, ex.lineno, ex.sentence)
            counter.add(tokens, ex.label)
            rows.append(tsv_line((" ".join(vocab.map_oov(tokens)), ex.label, *ex.extra)))
        (out_dir / f"{split}.tsv").write_text("".join(rows), encoding="utf-8")
        stats[split] = counter.result()
    write_json(out_dir / "labels.json", labels)
    return vocab, stats, labels


def _prepare_tagging(files: Mapping[str, Path], settings: PrepareSettings, out_dir: Path) -> Prepared:
    """CoNLL-U splits: words are the FORM column as given (the treebank fixes the tokenization)."""
    train = read_conllu(files["train"])
    declared = list(settings.labels) if settings.labels else None
    tags = declared or sorted({tag for s in train for tag in s.tags})
    hint = _labels_hint(settings, "tags", files["train"])
    vocab = _build_vocab(settings, [list(s.words) for s in train])
    stats: dict[str, SplitStats] = {}
    for split, path in files.items():
        sentences = train if split == "train" else read_conllu(path)
        counter = SplitCounter(vocab, "tagging")
        for sentence in sentences:
            unknown = sorted(set(sentence.tags) - set(tags))
            if unknown:
                raise CorpusError(f"{path}:{sentence.line}: tag {unknown[0]!r} is not one of {', '.join(tags)}{hint}")
            counter.add(list(sentence.words))
        write_conllu(out_dir / f"{split}.conllu", sentences)
        stats[split] = counter.result()
    write_json(out_dir / "labels.json", tags)
    return vocab, stats, tags


def entity_tags(sentences: Iterable[TaggedSentence]) -> list[str]:
    """``O``, then ``B-X`` and ``I-X`` for each entity type X of the sentences, types sorted."""
    kinds = sorted({split_tag(tag)[1] for s in sentences for tag in s.tags} - {""})
    return [OUTSIDE] + [f"{prefix}-{kind}" for kind in kinds for prefix in ("B", "I")]


def _prepare_ner(files: Mapping[str, Path], settings: PrepareSettings, out_dir: Path) -> Prepared:
    """IOB2 splits: words as given; the tag set is O plus B-/I- of every entity type seen in training.

    Lenient mode (``settings.iob``) repairs each I-X that does not continue an X entity to B-X and
    records, per split, how many it repaired (``iob_repairs`` in stats.json).
    """
    def read(path: Path, tags: list[str] | None) -> tuple[list[TaggedSentence], int]:
        data = read_iob2(path, tags, settings.iob == "strict", settings.iob_layout, settings.tag_column,
                         _labels_hint(settings, "tags", files["train"]))
        return data.sentences, data.repairs

    train, train_repairs = read(files["train"], list(settings.labels) if settings.labels else None)
    tags = list(settings.labels) if settings.labels else entity_tags(train)
    vocab = _build_vocab(settings, [list(s.words) for s in train])
    stats: dict[str, SplitStats] = {}
    for split, path in files.items():
        sentences, repairs = (train, train_repairs) if split == "train" else read(path, tags)
        counter = SplitCounter(vocab, "ner")
        for sentence in sentences:
            counter.add(list(sentence.words))
        write_iob2(out_dir / f"{split}.iob2", sentences)
        stats[split] = dataclasses.replace(counter.result(), iob_repairs=repairs)
    write_json(out_dir / "labels.json", tags)
    return vocab, stats, tags


TASKS: Mapping[str, Callable[[Mapping[str, Path], PrepareSettings, Path], Prepared]] = MappingProxyType(
    {"lm": _prepare_lm, "classification": _prepare_classification, "tagging": _prepare_tagging, "ner": _prepare_ner}
)


def _check_files(task: str, files: Mapping[str, Path]) -> dict[str, Path]:
    unknown = sorted(set(files) - set(SPLITS))
    if unknown:
        raise ConfigError(f"unknown split(s) {', '.join(unknown)}; splits are {', '.join(SPLITS)}")
    for split in REQUIRED_SPLITS[task]:
        if files.get(split) is None:
            raise ConfigError(f"task {task!r} needs a {split} split; pass --{split} PATH (or --raw DIR)")
    return {split: Path(files[split]) for split in SPLITS if files.get(split) is not None}


def _check_out_dir(out_dir: Path, files: Mapping[str, Path]) -> None:
    out = out_dir.resolve()
    for path in files.values():
        if out == path.resolve() or out in path.resolve().parents:
            raise ConfigError(f"the output folder {out_dir} contains the input {path}; choose another --out")


def prepare_corpus(
    files: Mapping[str, Path],
    task: str,
    out_dir: Path,
    tokenizer: str,
    min_freq: int = 1,
    max_size: int | None = None,
    labels: list[str] | None = None,
    name: str | None = None,
    iob: str = "strict",
    iob_layout: str = "uner",
    tag_column: int | None = None,
) -> CorpusStats:
    """Tokenize, build the vocabulary on ``files['train']``, write the processed folder ``out_dir``.

    ``files`` maps split names (train, valid, test) to raw files; ``labels`` fixes the label order
    for classification (default: the sorted labels of the training split); ``iob``, ``iob_layout``
    and ``tag_column`` say how task ``ner`` reads its IOB2 files (see :mod:`rnnlab.data.iob_io`).
    """
    if task not in TASKS:
        raise ConfigError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    if iob not in IOB_MODES:
        raise ConfigError(f"unknown IOB2 mode {iob!r}; choose one of {', '.join(IOB_MODES)}")
    if iob_layout not in LAYOUTS:
        raise ConfigError(f"unknown IOB2 layout {iob_layout!r}; choose one of {', '.join(LAYOUTS)}")
    if labels is not None and len(set(labels)) != len(labels):
        raise ConfigError(f"labels {labels} name a label twice; list each label once")
    out_dir = Path(out_dir)
    settings = PrepareSettings(
        corpus=name or out_dir.name,
        task=task,
        tokenizer=get_tokenizer(tokenizer),
        min_freq=min_freq,
        max_size=max_size,
        labels=tuple(labels) if labels else None,
        iob=iob,
        iob_layout=iob_layout,
        tag_column=tag_column,
    )
    check_limits(min_freq, max_size)
    checked = _check_files(task, files)
    _check_out_dir(out_dir, checked)
    with atomic_dir(out_dir) as tmp:
        vocab, split_stats, label_order = TASKS[task](checked, settings, tmp)
        vocab.save(tmp / "vocab.json")
        stats = CorpusStats(
            corpus=settings.corpus,
            task=task,
            tokenizer=settings.tokenizer.name,
            vocab_size=len(vocab),
            min_freq=min_freq,
            max_size=max_size,
            splits=split_stats,
            labels=label_order,
        )
        write_json(tmp / "stats.json", stats.to_json())
    _warn_oov(stats)
    return stats


def _warn_oov(stats: CorpusStats) -> None:
    for split, s in stats.splits.items():
        warning = oov_warning(stats.corpus, split, s.oov_rate)
        if warning:
            print(f"warning: {warning}", file=sys.stderr)


def raw_files(raw_dir: Path, task: str) -> dict[str, Path]:
    """The split files of a raw folder: ``{split}.txt`` (lm) or ``{split}.tsv`` (classification)."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise CorpusError(f"{raw_dir}: raw corpus folder not found; check --raw")
    files = {}
    for split in SPLITS:
        path = raw_dir / f"{split}{EXTENSIONS[task]}"
        if path.exists():
            files[split] = path
        elif split in REQUIRED_SPLITS[task]:
            raise CorpusError(
                f"{path}: file not found; a raw {task} folder holds "
                f"{', '.join(s + EXTENSIONS[task] for s in REQUIRED_SPLITS[task])} (name other files with "
                "--train/--valid/--test instead of --raw)"
            )
    return files


def _files_from_args(args: argparse.Namespace) -> dict[str, Path]:
    named = {split: getattr(args, split) for split in SPLITS if getattr(args, split) is not None}
    if args.raw is not None:
        if named:
            raise ConfigError("give either --raw DIR or --train/--valid/--test files, not both")
        return raw_files(args.raw, args.task)
    if not named:
        raise ConfigError("no input: give --raw DIR or --train PATH --valid PATH [--test PATH]")
    return named


def _parse_labels(text: str | None) -> list[str] | None:
    """``--labels`` as a JSON list (what the workflow passes, so a label may hold a comma) or ``a,b,c``."""
    if text is None:
        return None
    if text.lstrip().startswith("["):
        return _json_labels(text)
    labels = [label.strip() for label in text.split(",")]
    if not all(labels):
        raise ConfigError(f"--labels {text!r} has an empty label; write them as a,b,c")
    return labels


def _json_labels(text: str) -> list[str]:
    try:
        labels = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--labels {text!r} is not a JSON list ({exc.msg}); write it as [\"a\", \"b\"]") from None
    if not isinstance(labels, list) or not all(isinstance(x, str) and x for x in labels):
        raise ConfigError(f"--labels {text!r} must be a JSON list of non-empty strings, e.g. [\"a\", \"b\"]")
    return labels


def _run(args: argparse.Namespace) -> int:
    stats = prepare_corpus(
        files=_files_from_args(args),
        task=args.task,
        out_dir=args.out,
        tokenizer=args.tokenizer,
        min_freq=args.min_freq,
        max_size=args.max_size,
        labels=_parse_labels(args.labels),
        name=args.name,
        iob=args.iob,
        iob_layout=args.iob_layout,
        tag_column=args.tag_column,
    )
    print(f"prepared {stats.corpus} ({stats.task}) in {args.out}: vocabulary {stats.vocab_size}")
    for split, s in stats.splits.items():
        print(f"  {split:<5} lines {s.lines:>8}  tokens {s.tokens:>9}  types {s.types:>7}  oov {s.oov_rate:.2%}  unk {s.unk_rate:.2%}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``rnnlab prepare``."""
    parser = sub.add_parser(
        "prepare",
        help="tokenize a raw corpus, build its vocabulary and write the processed folder",
        description=(
            "Tokenize the raw splits, build the vocabulary on the training split, map out-of-vocabulary "
            "tokens to <unk> and write vocab.json, the processed splits, stats.json (and labels.json for "
            "classification) into --out, atomically."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "raw layout:\n"
            "  lm              train.txt valid.txt test.txt: one sentence or paragraph per line\n"
            "  classification  train.tsv valid.tsv [test.tsv]: header sentence<TAB>label[<TAB>extra...]\n"
            "  tagging         train.conllu valid.conllu [test.conllu]: CoNLL-U, UPOS tags; words are the\n"
            "                  FORM column as given (the tokenizer is recorded but not applied)\n"
            "  ner             train.iob2 valid.iob2 [test.iob2]: IOB2, ID<TAB>FORM<TAB>TAG[<TAB>...] (Universal\n"
            "                  NER) or FORM ... TAG (--iob-layout conll2003); words as given\n"
            "tokenizers:\n" + describe_tokenizers()
        ),
    )
    parser.add_argument("--task", required=True, choices=tuple(TASKS), help="lm, classification, tagging or ner")
    parser.add_argument("--raw", type=Path, metavar="DIR", help="raw folder in the layout below")
    parser.add_argument("--train", type=Path, metavar="PATH", help="training file (instead of --raw)")
    parser.add_argument("--valid", type=Path, metavar="PATH", help="validation file (instead of --raw)")
    parser.add_argument("--test", type=Path, metavar="PATH", help="test file (required for lm, optional otherwise)")
    parser.add_argument("--tokenizer", required=True, metavar="NAME", help=f"one of: {', '.join(TOKENIZERS)}")
    parser.add_argument("--min-freq", type=int, default=1, metavar="N", help="keep training tokens seen at least N times (default 1)")
    parser.add_argument("--max-size", type=int, default=None, metavar="N", help="keep at most N tokens besides <pad>, <unk>, <eos> (default: no limit)")
    parser.add_argument("--labels", metavar="LABELS", help="label (tagging: tag) order as a,b,c or a JSON list (default: sorted training labels)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="processed folder to write (replaced if present)")
    parser.add_argument("--iob", choices=IOB_MODES, default="strict",
                        help="ner: stop at an I-X that does not continue an X entity (strict, default) or "
                             "repair it to B-X and count the repairs in stats.json (lenient)")
    parser.add_argument("--iob-layout", choices=tuple(LAYOUTS), default="uner", help="ner: column layout (default uner)")
    parser.add_argument("--tag-column", type=int, default=None, metavar="N",
                        help="ner, conll2003 layout: 0-based column of the tag (default: the last)")
    parser.add_argument("--name", metavar="CORPUS", help="corpus name recorded in stats.json (default: name of --out)")
    parser.set_defaults(func=_run)
