"""``rnnlab download``: fetch a registry corpus, verify it, and lay it out as raw split files.

For every file of the entry the sources are tried in order: the mirror (a local folder or a base
URL holding the file under its canonical name), then the canonical URLs. Each source is streamed
into a temporary file in a cache folder beside the output (``<out>/../.downloads/``) with
connect/read timeouts; transient failures (connection errors, timeouts, HTTP 5xx, a body shorter
than its Content-Length) are retried with exponential backoff, others (404, 403, wrong size or
checksum) move on to the next source. A verified file is renamed into the cache and reused next
time. Extraction goes to a temporary folder that replaces ``out_dir`` only when complete, so a
failure never leaves a partial corpus behind.

Why not pooch: its retries treat every failure alike (a 404 or a wrong checksum is retried like a
timeout); it knows no mirror folders, no ``file://`` and no git blob ids; it leaves the cached file
0600; its HTTP downloader checks no Content-Length, so a truncated body surfaces only inside
urllib3's exceptions; and it hashes once per algorithm, where the expected digest and the recorded
sha256 come from one pass here. Wrapped to keep these, it made this module longer.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

from ..errors import ConfigError, DownloadError
from ..io import atomic_dir, atomic_path, read_json, write_json
from . import checksums
from . import registry as corpus_registry
from .extract import PARSERS
from .registry import CorpusEntry, RemoteFile

CACHE_DIRNAME = ".downloads"
CHUNK_BYTES = 1 << 16
USER_AGENT = "rnnlab-download/1"
# Client-side HTTP errors that are worth another try; every 5xx is retried too.
RETRIED_HTTP_CODES = frozenset({408, 425, 429})

Log = Callable[[str], None]


class _AttemptFailed(Exception):
    """One try at one source failed; ``transient`` says whether trying again may help."""

    def __init__(self, reason: str, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class Settings:
    mirror: str | None = None
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 1.0


@dataclass(frozen=True)
class Fetched:
    """A verified file in the cache and where it came from."""

    remote: RemoteFile
    path: Path
    url: str
    sha256: str
    size: int


def _is_url(location: str) -> bool:
    return urllib.parse.urlsplit(location).scheme.lower() in ("http", "https", "file", "ftp")


def candidate_sources(remote: RemoteFile, mirror: str | None) -> list[str]:
    """Where to look for ``remote``, in order: the mirror (folder or base URL), then its URLs."""
    sources: list[str] = []
    if mirror:
        if _is_url(mirror):
            sources.append(mirror.rstrip("/") + "/" + urllib.parse.quote(remote.name))
        else:
            sources.append(str(Path(mirror).expanduser() / remote.name))
    return sources + list(remote.urls)


def _stream_url(url: str, dest: Path, remote: RemoteFile, timeout: float) -> None:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    is_file = urllib.parse.urlsplit(url).scheme.lower() == "file"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            header = response.headers.get("Content-Length")
            announced = int(header) if header and header.isdigit() else None
            if remote.size is not None and announced is not None and announced != remote.size:
                raise _AttemptFailed(f"size mismatch: the server announces {announced:,} bytes, expected {remote.size:,}", False)
            received = _copy_stream(response, dest, remote.size)
            if announced is not None and received < announced:
                raise _AttemptFailed(f"truncated body: received {received:,} of {announced:,} bytes", True)
    except urllib.error.HTTPError as exc:
        raise _AttemptFailed(f"HTTP {exc.code} {exc.reason}", exc.code >= 500 or exc.code in RETRIED_HTTP_CODES) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise _AttemptFailed(f"timed out after {timeout:g} s", True) from None
        raise _AttemptFailed(f"{'cannot open' if is_file else 'cannot connect'} ({exc.reason})", not is_file) from None
    except TimeoutError:
        raise _AttemptFailed(f"timed out: no data for {timeout:g} s", True) from None
    except http.client.IncompleteRead as exc:
        raise _AttemptFailed(f"truncated body: received {len(exc.partial):,} more bytes, then the connection closed", True) from None
    except (http.client.HTTPException, OSError) as exc:
        raise _AttemptFailed(f"connection failed ({exc.__class__.__name__}: {exc})", True) from None


def _copy_stream(src: Any, dest: Path, limit: int | None) -> int:
    """Copy a response body to ``dest``; stop with a failure once it exceeds ``limit`` bytes."""
    received = 0
    try:
        out = open(dest, "wb")
    except OSError as exc:
        raise _AttemptFailed(f"cannot write {dest}: {exc.strerror}", False) from None
    with out:
        while chunk := src.read(CHUNK_BYTES):
            received += len(chunk)
            if limit is not None and received > limit:
                raise _AttemptFailed(f"size mismatch: more than the expected {limit:,} bytes", False)
            try:
                out.write(chunk)
            except OSError as exc:
                raise _AttemptFailed(f"cannot write {dest}: {exc.strerror}", False) from None
    return received


def _copy_local(path: Path, dest: Path) -> None:
    if not path.is_file():
        where = "the mirror folder does not exist" if not path.parent.is_dir() else "not in the mirror folder"
        raise _AttemptFailed(where, False)
    try:
        shutil.copyfile(path, dest)
    except OSError as exc:
        raise _AttemptFailed(f"cannot copy: {exc.strerror}", False) from None


def _digests(path: Path, algorithms: set[str]) -> dict[str, str]:
    size = path.stat().st_size
    hashers = {a: checksums.new_hasher(a, size) for a in algorithms}
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            for h in hashers.values():
                h.update(chunk)
    return {a: h.hexdigest() for a, h in hashers.items()}


def _verify(path: Path, remote: RemoteFile) -> str:
    """Check size and checksum of ``path``; return its sha256. _AttemptFailed on mismatch."""
    size = path.stat().st_size
    if remote.size is not None and size != remote.size:
        raise _AttemptFailed(f"size mismatch: expected {remote.size:,} bytes, got {size:,}", False)
    algorithm = remote.checksum.algorithm
    digests = _digests(path, {algorithm, "sha256"})
    if digests[algorithm] != remote.checksum.hexdigest:
        raise _AttemptFailed(f"checksum mismatch: expected {remote.checksum}, got {algorithm}:{digests[algorithm]}", False)
    return digests["sha256"]


def _try_source(source: str, remote: RemoteFile, cache_dir: Path, settings: Settings, log: Log) -> str:
    """Fetch ``source`` into the cache (retrying transient failures); return the sha256."""
    for attempt in range(1, settings.retries + 1):
        try:
            with atomic_path(cache_dir / remote.name, suffix=".part") as tmp:
                if _is_url(source):
                    _stream_url(source, tmp, remote, settings.timeout)
                else:
                    _copy_local(Path(source), tmp)
                return _verify(tmp, remote)
        except _AttemptFailed as exc:
            if not exc.transient or attempt == settings.retries:
                tries = f" (attempt {attempt} of {settings.retries})" if exc.transient else ""
                raise _AttemptFailed(exc.reason + tries, exc.transient) from None
            delay = settings.backoff * 2 ** (attempt - 1)
            log(f"  {exc.reason}; retrying in {delay:g} s")
            time.sleep(delay)
    raise AssertionError("retries must be at least 1")


def _from_cache(remote: RemoteFile, cache_dir: Path) -> Fetched | None:
    path, sidecar = cache_dir / remote.name, cache_dir / f"{remote.name}.source.json"
    if not path.is_file():
        return None
    try:
        sha256 = _verify(path, remote)
    except _AttemptFailed:
        path.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)
        return None
    url = read_json(sidecar).get("url", str(path)) if sidecar.is_file() else str(path)
    return Fetched(remote, path, url, sha256, path.stat().st_size)


def _failure_message(entry: CorpusEntry, remote: RemoteFile, failures: list[str]) -> str:
    tried = "\n".join(f"  - {f}" for f in failures)
    return (
        f"could not download corpus {entry.name!r}: no source gave a valid {remote.name}\n"
        f"tried, in order:\n{tried}\n"
        f"To use a copy fetched elsewhere, put {remote.name} (expected {remote.checksum}) in a folder or "
        f"under a base URL and pass --mirror DIR_OR_BASE_URL (config key download.mirror); mirror files "
        f"are looked up by their canonical file names: {', '.join(f.name for f in entry.files)}."
    )


def fetch_file(entry: CorpusEntry, remote: RemoteFile, cache_dir: Path, settings: Settings, log: Log) -> Fetched:
    """The verified file, from the cache or the first source that works; DownloadError otherwise."""
    cached = _from_cache(remote, cache_dir)
    if cached is not None:
        log(f"{remote.name}: verified copy in {cache_dir}")
        return cached
    failures: list[str] = []
    for source in candidate_sources(remote, settings.mirror):
        log(f"{remote.name}: fetching {source}")
        try:
            sha256 = _try_source(source, remote, cache_dir, settings, log)
        except _AttemptFailed as exc:
            log(f"  failed: {exc.reason}")
            failures.append(f"{source}: {exc.reason}")
            continue
        path = cache_dir / remote.name
        write_json(cache_dir / f"{remote.name}.source.json", {"url": source, "sha256": sha256})
        return Fetched(remote, path, source, sha256, path.stat().st_size)
    raise DownloadError(_failure_message(entry, remote, failures))


def source_record(entry: CorpusEntry, fetched: list[Fetched], counts: Mapping[str, int]) -> dict[str, Any]:
    """Provenance written as ``SOURCE.json`` next to the raw split files."""
    files = [
        {"file": f.remote.name, "url": f.url, "sha256": f.sha256, "size": f.size, "checksum": str(f.remote.checksum)}
        for f in fetched
    ]
    single = {k: files[0][k] for k in ("url", "file", "sha256", "size")} if len(files) == 1 else {}
    return {
        "name": entry.name,
        "task": entry.task,
        **single,
        "files": files,
        "license": entry.license,
        "citation": {"key": entry.citation.key, "reference": entry.citation.reference},
        "homepage": entry.homepage,
        "tokenizer": entry.tokenizer,
        "labels": dict(entry.labels),
        "parser": entry.parser,
        "counts": dict(counts),
        "published_splits": dict(entry.splits),
        "split_unit": entry.split_unit,
        "notes": entry.notes,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def fetch_corpus(
    name: str,
    out_dir: str | Path,
    mirror: str | None = None,
    timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 1.0,
    *,
    registry: Mapping[str, CorpusEntry] | None = None,
    log: Log | None = None,
) -> Path:
    """Download, verify and extract corpus ``name`` into ``out_dir`` (raw layout + SOURCE.json).

    ``retries`` is the number of attempts per source for transient errors; the wait before
    attempt k+1 is ``backoff * 2**(k-1)`` seconds. Raises ConfigError for an unknown name or bad
    settings, DownloadError when no source gives a verified file.
    """
    entry = corpus_registry.get_corpus(name, registry)
    if timeout <= 0 or retries < 1 or backoff < 0:
        raise ConfigError(f"download settings need timeout > 0, retries >= 1, backoff >= 0; got {timeout}, {retries}, {backoff}")
    settings = Settings(mirror=mirror or None, timeout=timeout, retries=retries, backoff=backoff)
    say: Log = log or (lambda _msg: None)
    out_dir = Path(out_dir)
    cache_dir = out_dir.parent / CACHE_DIRNAME
    try:
        fetched = [fetch_file(entry, remote, cache_dir, settings, say) for remote in entry.files]
    except DownloadError:
        if cache_dir.is_dir() and not any(cache_dir.iterdir()):
            cache_dir.rmdir()
        raise
    say(f"extracting with {entry.parser} into {out_dir}")
    with atomic_dir(out_dir) as tmp:
        counts = PARSERS[entry.parser]({f.remote.name: f.path for f in fetched}, tmp, entry)
        write_json(tmp / "SOURCE.json", source_record(entry, fetched, counts))
    return out_dir


def run_download(args: argparse.Namespace) -> int:
    if args.list:
        print(corpus_registry.registry_table(corpus_registry.load_registry()))
        return 0
    if not args.name or args.out is None:
        raise ConfigError("rnnlab download needs a corpus NAME and --out DIR (or --list to see the names)")
    out = fetch_corpus(
        args.name, args.out, mirror=args.mirror, timeout=args.timeout, retries=args.retries,
        backoff=args.backoff, log=lambda msg: print(msg, file=sys.stderr),
    )
    counts = read_json(out / "SOURCE.json")["counts"]
    print(f"wrote {out}: " + ", ".join(f"{k} ({v:,})" for k, v in counts.items()) + ", SOURCE.json")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "download",
        help="Fetch a public corpus from the registry, verify it and write its raw split files.",
        description=(
            "Fetch corpus NAME (see --list), verify size and checksum, and write the raw layout into "
            "--out DIR: train/valid/test .txt (lm), .tsv with header sentence<TAB>label "
            "(classification) or .conllu (tagging), plus SOURCE.json (URL used, sha256, license, "
            "citation, date). Archives are cached in DIR/../.downloads/ and reused."
        ),
        epilog=(
            "Offline or behind a firewall: download the files listed by --list elsewhere, put them in "
            "a folder (or on a web server) under their canonical names and pass --mirror; the mirror "
            "is tried before the canonical URLs. In a config file the same is download.mirror."
        ),
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="registry name, e.g. wikitext2, ptb, sst2, imdb")
    parser.add_argument("--out", type=Path, metavar="DIR", help="output folder for the raw split files (replaced atomically)")
    parser.add_argument(
        "--mirror", metavar="DIR_OR_BASE_URL",
        help="local folder or base URL holding the files under their canonical names; tried first",
    )
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S", help="connect/read timeout in seconds (default 30)")
    parser.add_argument(
        "--retries", type=int, default=3, metavar="N",
        help="attempts per source on transient errors: timeouts, connection errors, HTTP 5xx, truncated bodies (default 3)",
    )
    parser.add_argument(
        "--backoff", type=float, default=1.0, metavar="S",
        help="wait before the second attempt, doubled before each further one (default 1)",
    )
    parser.add_argument("--list", action="store_true", help="print the registry (name, task, size, license) and exit")
    parser.set_defaults(func=run_download)
