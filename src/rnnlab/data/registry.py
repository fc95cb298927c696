"""The corpus registry: every public corpus ``rnnlab download`` can fetch, by name.

The table lives in ``corpora.yaml`` next to this module (with a comment citing where each
checksum was published). Each entry says where the files are (several URLs, tried in order),
how to verify them (checksum and size), how to turn them into the raw layout (a parser from
:mod:`rnnlab.data.extract`), which tokenizer suits the text, and whom to cite.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..errors import ConfigError
from . import checksums
from .extract import PARSERS

TASKS = ("lm", "classification", "tagging", "ner")
TABLE_RESOURCE = ("rnnlab.data", "corpora.yaml")
DEFAULT_ALGORITHM = "sha256"
_HEX = re.compile(r"^[0-9a-f]+$")


@dataclass(frozen=True)
class Checksum:
    """A digest of a file: ``algorithm`` is a hashlib name or ``git-blob-sha1``, ``hexdigest`` lowercase hex."""

    algorithm: str
    hexdigest: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hexdigest}"


@dataclass(frozen=True)
class RemoteFile:
    """One downloadable file: its canonical name, the URLs that serve it, and how to verify it."""

    name: str
    urls: tuple[str, ...]
    checksum: Checksum
    size: int | None = None


@dataclass(frozen=True)
class Citation:
    key: str
    reference: str


@dataclass(frozen=True)
class CorpusEntry:
    name: str
    task: str
    description: str
    homepage: str
    files: tuple[RemoteFile, ...]
    license: str
    citation: Citation
    tokenizer: str
    parser: str
    # Label value -> meaning, in label order (classification only).
    labels: Mapping[str, str] = field(default_factory=dict)
    # Published split sizes where known, counted in ``split_unit``.
    splits: Mapping[str, int] = field(default_factory=dict)
    split_unit: str = ""
    notes: str = ""

    @property
    def size(self) -> int | None:
        """Total bytes to download, or None when a file's size is not known."""
        sizes = [f.size for f in self.files]
        return None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)


def parse_checksum(text: str, where: str = "checksum") -> Checksum:
    """Read ``algo:hex`` (or bare hex, meaning sha256); ConfigError naming ``where`` otherwise."""
    algorithm, _, digest = text.strip().rpartition(":")
    algorithm = (algorithm or DEFAULT_ALGORITHM).lower()
    digest = digest.lower()
    if not checksums.known(algorithm):
        raise ConfigError(f"{where}: unknown hash algorithm {algorithm!r} in {text!r}; use e.g. sha256:<hex>, md5:<hex> "
                          f"or {checksums.GIT_BLOB_SHA1}:<hex>")
    expected_len = checksums.hex_length(algorithm)
    if not _HEX.match(digest) or len(digest) != expected_len:
        raise ConfigError(f"{where}: {text!r} is not a {algorithm} digest ({expected_len} hex digits expected)")
    return Checksum(algorithm, digest)


def _require(raw: Mapping[str, Any], key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if key not in raw:
        raise ConfigError(f"{where}: missing key {key!r}")
    value = raw[key]
    if not isinstance(value, kind):
        raise ConfigError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def _remote_file(raw: Any, where: str) -> RemoteFile:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping with name, urls, checksum, size")
    name = _require(raw, "name", where, str)
    if "/" in name or name in ("", ".", ".."):
        raise ConfigError(f"{where}.name: {name!r} must be a plain file name")
    urls = _require(raw, "urls", where, list)
    if not urls or not all(isinstance(u, str) and u for u in urls):
        raise ConfigError(f"{where}.urls: give at least one URL")
    size = raw.get("size")
    if size is not None and (not isinstance(size, int) or size <= 0):
        raise ConfigError(f"{where}.size: expected a positive number of bytes, got {size!r}")
    checksum = parse_checksum(_require(raw, "checksum", where, str), f"{where}.checksum")
    return RemoteFile(name=name, urls=tuple(urls), checksum=checksum, size=size)


def entry_from_dict(name: str, raw: Any, source: str = "corpus table") -> CorpusEntry:
    """Build and validate one entry; every problem is a ConfigError naming source and key."""
    where = f"{source}: {name}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping of keys to values")
    task = _require(raw, "task", where, str)
    if task not in TASKS:
        raise ConfigError(f"{where}.task: {task!r} is not one of {', '.join(TASKS)}")
    parser = _require(raw, "parser", where, str)
    if parser not in PARSERS:
        raise ConfigError(f"{where}.parser: unknown parser {parser!r}; known parsers: {', '.join(sorted(PARSERS))}")
    files_raw = _require(raw, "files", where, list)
    if not files_raw:
        raise ConfigError(f"{where}.files: list at least one file")
    files = tuple(_remote_file(f, f"{where}.files[{i}]") for i, f in enumerate(files_raw))
    citation_raw = _require(raw, "citation", where, dict)
    citation = Citation(
        key=_require(citation_raw, "key", f"{where}.citation", str),
        reference=_require(citation_raw, "reference", f"{where}.citation", str).strip(),
    )
    labels_raw = raw.get("labels") or {}
    if not isinstance(labels_raw, dict):
        raise ConfigError(f"{where}.labels: expected a mapping of label value to meaning, got {labels_raw!r}")
    labels = {str(k): str(v) for k, v in labels_raw.items()}
    if task == "classification" and len(labels) < 2:
        raise ConfigError(f"{where}.labels: a classification corpus needs at least two labels")
    splits = raw.get("splits") or {}
    if not isinstance(splits, dict) or not all(isinstance(v, int) and v > 0 for v in splits.values()):
        raise ConfigError(f"{where}.splits: sizes must be positive integers, got {splits!r}")
    return CorpusEntry(
        name=name,
        task=task,
        description=str(raw.get("description", "")).strip(),
        homepage=str(raw.get("homepage", "")),
        files=files,
        license=_require(raw, "license", where, str),
        citation=citation,
        tokenizer=_require(raw, "tokenizer", where, str),
        parser=parser,
        labels=labels,
        splits={str(k): v for k, v in splits.items()},
        split_unit=str(raw.get("split_unit", "")),
        notes=str(raw.get("notes", "")).strip(),
    )


def load_registry(path: str | Path | None = None) -> dict[str, CorpusEntry]:
    """Read the corpus table (the packaged ``corpora.yaml`` unless ``path`` is given)."""
    if path is None:
        source = "rnnlab/data/corpora.yaml"
        text = resources.files(TABLE_RESOURCE[0]).joinpath(TABLE_RESOURCE[1]).read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"corpus table {path} does not exist") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{source}: expected a mapping of corpus names to entries")
    return {str(name): entry_from_dict(str(name), value, source) for name, value in raw.items()}


def get_corpus(name: str, registry: Mapping[str, CorpusEntry] | None = None) -> CorpusEntry:
    """Look a corpus up by name; ConfigError listing the known names otherwise."""
    table = load_registry() if registry is None else registry
    if name not in table:
        known = ", ".join(sorted(table))
        raise ConfigError(f"unknown corpus {name!r}; known corpora: {known} (see `rnnlab download --list`)")
    return table[name]


def human_size(n_bytes: int | None) -> str:
    if n_bytes is None:
        return "?"
    size = float(n_bytes)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


def registry_table(registry: Mapping[str, CorpusEntry]) -> str:
    """A plain-text table: name, task, download size, license, split sizes."""
    rows = [("name", "task", "size", "license", "published splits")]
    for name in sorted(registry):
        e = registry[name]
        splits = " / ".join(f"{k} {v:,}" for k, v in e.splits.items())
        unit = f" {re.split(r'[,(]', e.split_unit)[0].strip()}" if splits and e.split_unit else ""
        rows.append((name, e.task, human_size(e.size), e.license, splits + unit))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)) + "  " + r[-1] for r in rows]
    return "\n".join(line.rstrip() for line in lines)
