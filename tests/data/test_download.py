"""Downloads against a local HTTP server: success, 404/403, truncation, bad checksum, stalls, mirrors."""

from __future__ import annotations

import argparse
import collections
import hashlib
import io
import subprocess
import threading
import zipfile
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rnnlab.data import download, registry
from rnnlab.data.download import CACHE_DIRNAME, fetch_corpus
from rnnlab.data.registry import Checksum, CorpusEntry, load_registry
from rnnlab.errors import ConfigError, CorpusError, DownloadError
from rnnlab.io import read_json

WIKI_MEMBERS = {
    "wikitext-2/wiki.train.tokens": " \n = Café = \n the cat sat on the <unk> . \n".encode("utf-8"),
    "wikitext-2/wiki.valid.tokens": b" the dog ran . \n",
    "wikitext-2/wiki.test.tokens": b" a bird sang . \n \n",
}
ARCHIVE = "wikitext-2-v1.zip"


def make_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


WIKI_ZIP = make_zip(WIKI_MEMBERS)


class Handler(BaseHTTPRequestHandler):
    """Serves ``server.routes[path] = (behaviour, body)``; unknown paths are 404."""

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        srv = self.server
        srv.hits[self.path] += 1
        kind, body = srv.routes.get(self.path, ("missing", b""))
        if kind == "missing":
            self.send_error(404, "Not Found")
        elif kind == "forbidden":
            self.send_error(403, "Forbidden")
        elif kind == "flaky" and srv.hits[self.path] == 1:
            self.send_error(503, "Service Unavailable")
        elif kind == "stall":
            srv.release.wait(10)
        else:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            sent = body[: len(body) // 2] if kind in ("truncated", "stall-body") else body
            self.wfile.write(sent)
            self.wfile.flush()
            if kind == "stall-body":
                srv.release.wait(10)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.routes = {}
    httpd.hits = collections.Counter()
    httpd.release = threading.Event()
    httpd.url = lambda path: f"http://127.0.0.1:{httpd.server_port}{path}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()


def wiki_registry(urls: list[str], archive: bytes = WIKI_ZIP, checksum: str | None = None) -> dict[str, CorpusEntry]:
    """The real wikitext2 entry, pointed at test URLs and the test archive's digest."""
    real = load_registry()["wikitext2"]
    digest = checksum or hashlib.sha256(archive).hexdigest()
    remote = replace(real.files[0], urls=tuple(urls), checksum=Checksum("sha256", digest), size=len(archive))
    return {"wikitext2": replace(real, files=(remote,))}


def stray_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if ".tmp" in p.name or p.name.endswith(".part")]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def assert_failed_cleanly(work: Path) -> None:
    assert not (work / "corpus").exists()
    assert list(work.iterdir()) == [], "a failed download must leave nothing behind"


def test_good_archive_gives_raw_layout_and_source(server, work):
    server.routes["/wt/" + ARCHIVE] = ("ok", WIKI_ZIP)
    url = server.url("/wt/" + ARCHIVE)
    out = fetch_corpus("wikitext2", work / "corpus", retries=1, registry=wiki_registry([url]))
    assert sorted(p.name for p in out.iterdir()) == ["SOURCE.json", "test.txt", "train.txt", "valid.txt"]
    for split in ("train", "valid", "test"):
        assert (out / f"{split}.txt").read_bytes() == WIKI_MEMBERS[f"wikitext-2/wiki.{split}.tokens"]
    source = read_json(out / "SOURCE.json")
    assert source["name"] == "wikitext2" and source["url"] == url and source["file"] == ARCHIVE
    assert source["sha256"] == hashlib.sha256(WIKI_ZIP).hexdigest() and source["size"] == len(WIKI_ZIP)
    assert source["license"] == "CC BY-SA 3.0" and source["citation"]["key"] == "merity2016pointer"
    assert source["counts"] == {"train.txt": 3, "valid.txt": 1, "test.txt": 2}
    assert source["date"].startswith("20")
    assert (work / CACHE_DIRNAME / ARCHIVE).read_bytes() == WIKI_ZIP
    assert stray_files(work) == []


def test_verified_cache_is_reused_without_network(server, work):
    server.routes["/wt/" + ARCHIVE] = ("ok", WIKI_ZIP)
    url = server.url("/wt/" + ARCHIVE)
    reg = wiki_registry([url])
    fetch_corpus("wikitext2", work / "corpus", retries=1, registry=reg)
    del server.routes["/wt/" + ARCHIVE]
    out = fetch_corpus("wikitext2", work / "again", retries=1, registry=reg)
    assert server.hits["/wt/" + ARCHIVE] == 1
    assert read_json(out / "SOURCE.json")["url"] == url


def test_damaged_cache_copy_is_replaced(server, work):
    server.routes["/wt/" + ARCHIVE] = ("ok", WIKI_ZIP)
    (work / CACHE_DIRNAME).mkdir()
    (work / CACHE_DIRNAME / ARCHIVE).write_bytes(b"x" * len(WIKI_ZIP))
    fetch_corpus("wikitext2", work / "corpus", retries=1, registry=wiki_registry([server.url("/wt/" + ARCHIVE)]))
    assert server.hits["/wt/" + ARCHIVE] == 1
    assert (work / CACHE_DIRNAME / ARCHIVE).read_bytes() == WIKI_ZIP


@pytest.mark.parametrize("kind, code", [("missing", 404), ("forbidden", 403)])
def test_client_errors_are_not_retried(server, work, kind, code):
    server.routes["/wt/" + ARCHIVE] = (kind, b"")
    url = server.url("/wt/" + ARCHIVE)
    with pytest.raises(DownloadError) as err:
        fetch_corpus("wikitext2", work / "corpus", retries=3, backoff=0, registry=wiki_registry([url]))
    message = str(err.value)
    assert f"{url}: HTTP {code}" in message
    assert "--mirror DIR_OR_BASE_URL" in message and "download.mirror" in message and ARCHIVE in message
    assert server.hits["/wt/" + ARCHIVE] == 1
    assert_failed_cleanly(work)


def test_truncated_body_is_retried_then_reported(server, work):
    server.routes["/wt/" + ARCHIVE] = ("truncated", WIKI_ZIP)
    url = server.url("/wt/" + ARCHIVE)
    with pytest.raises(DownloadError, match="truncated body") as err:
        fetch_corpus("wikitext2", work / "corpus", retries=2, backoff=0, registry=wiki_registry([url]))
    assert f"received {len(WIKI_ZIP) // 2:,} of {len(WIKI_ZIP):,} bytes" in str(err.value)
    assert server.hits["/wt/" + ARCHIVE] == 2
    assert_failed_cleanly(work)


def test_server_error_is_retried_until_it_works(server, work):
    server.routes["/wt/" + ARCHIVE] = ("flaky", WIKI_ZIP)
    logged: list[str] = []
    url = server.url("/wt/" + ARCHIVE)
    out = fetch_corpus("wikitext2", work / "corpus", retries=3, backoff=0.01, registry=wiki_registry([url]), log=logged.append)
    assert server.hits["/wt/" + ARCHIVE] == 2
    assert any("HTTP 503" in line and "retrying" in line for line in logged)
    assert (out / "valid.txt").exists()


def test_wrong_checksum_shows_expected_and_actual(server, work):
    server.routes["/wt/" + ARCHIVE] = ("ok", WIKI_ZIP)
    expected = hashlib.sha256(b"another archive").hexdigest()
    url = server.url("/wt/" + ARCHIVE)
    with pytest.raises(DownloadError) as err:
        fetch_corpus("wikitext2", work / "corpus", retries=3, registry=wiki_registry([url], checksum=expected))
    message = str(err.value)
    assert f"expected sha256:{expected}" in message
    assert f"got sha256:{hashlib.sha256(WIKI_ZIP).hexdigest()}" in message
    assert server.hits["/wt/" + ARCHIVE] == 1
    assert_failed_cleanly(work)


def test_wrong_announced_size_is_refused(server, work):
    server.routes["/wt/" + ARCHIVE] = ("ok", WIKI_ZIP + b"extra")
    url = server.url("/wt/" + ARCHIVE)
    with pytest.raises(DownloadError, match=f"announces {len(WIKI_ZIP) + 5:,} bytes, expected {len(WIKI_ZIP):,}"):
        fetch_corpus("wikitext2", work / "corpus", retries=1, registry=wiki_registry([url]))
    assert_failed_cleanly(work)


@pytest.mark.parametrize("kind", ["stall", "stall-body"])
def test_stalled_server_times_out(server, work, kind):
    server.routes["/wt/" + ARCHIVE] = (kind, WIKI_ZIP)
    url = server.url("/wt/" + ARCHIVE)
    with pytest.raises(DownloadError, match="timed out") as err:
        fetch_corpus("wikitext2", work / "corpus", timeout=0.5, retries=1, registry=wiki_registry([url]))
    assert url in str(err.value)
    assert_failed_cleanly(work)


def test_mirror_folder_is_tried_first(server, work, tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / ARCHIVE).write_bytes(WIKI_ZIP)
    server.routes["/wt/" + ARCHIVE] = ("ok", WIKI_ZIP)
    reg = wiki_registry([server.url("/wt/" + ARCHIVE)])
    out = fetch_corpus("wikitext2", work / "corpus", mirror=str(mirror), retries=1, registry=reg)
    assert read_json(out / "SOURCE.json")["url"] == str(mirror / ARCHIVE)
    assert server.hits["/wt/" + ARCHIVE] == 0


def test_mirror_base_url_is_tried_first(server, work):
    server.routes["/mirror/" + ARCHIVE] = ("ok", WIKI_ZIP)
    server.routes["/wt/" + ARCHIVE] = ("ok", WIKI_ZIP)
    reg = wiki_registry([server.url("/wt/" + ARCHIVE)])
    out = fetch_corpus("wikitext2", work / "corpus", mirror=server.url("/mirror/"), retries=1, registry=reg)
    assert read_json(out / "SOURCE.json")["url"] == server.url("/mirror/" + ARCHIVE)
    assert server.hits["/wt/" + ARCHIVE] == 0


def test_falls_back_to_canonical_when_mirror_misses(server, work, tmp_path):
    (tmp_path / "empty-mirror").mkdir()
    server.routes["/wt/" + ARCHIVE] = ("ok", WIKI_ZIP)
    url = server.url("/wt/" + ARCHIVE)
    out = fetch_corpus("wikitext2", work / "corpus", mirror=str(tmp_path / "empty-mirror"), registry=wiki_registry([url]))
    assert read_json(out / "SOURCE.json")["url"] == url


def test_every_source_is_named_with_its_failure(server, work, tmp_path):
    server.routes["/b/" + ARCHIVE] = ("truncated", WIKI_ZIP)
    first, second = server.url("/a/" + ARCHIVE), server.url("/b/" + ARCHIVE)
    mirror = tmp_path / "no-such-folder"
    with pytest.raises(DownloadError) as err:
        fetch_corpus("wikitext2", work / "corpus", mirror=str(mirror), retries=1, registry=wiki_registry([first, second]))
    lines = str(err.value).splitlines()
    tried = [line for line in lines if line.startswith("  - ")]
    assert tried == [
        f"  - {mirror / ARCHIVE}: the mirror folder does not exist",
        f"  - {first}: HTTP 404 Not Found",
        f"  - {second}: truncated body: received {len(WIKI_ZIP) // 2:,} of {len(WIKI_ZIP):,} bytes (attempt 1 of 1)",
    ]
    assert_failed_cleanly(work)


def test_failure_leaves_existing_output_untouched(server, work):
    out = work / "corpus"
    out.mkdir()
    (out / "train.txt").write_text("previous\n")
    with pytest.raises(DownloadError):
        fetch_corpus("wikitext2", out, retries=1, registry=wiki_registry([server.url("/gone")]))
    assert [p.name for p in out.iterdir()] == ["train.txt"]
    assert (out / "train.txt").read_text() == "previous\n"
    assert stray_files(work) == []


def test_success_replaces_previous_output(server, work):
    out = work / "corpus"
    out.mkdir()
    (out / "stale.txt").write_text("old\n")
    server.routes["/wt/" + ARCHIVE] = ("ok", WIKI_ZIP)
    fetch_corpus("wikitext2", out, retries=1, registry=wiki_registry([server.url("/wt/" + ARCHIVE)]))
    assert not (out / "stale.txt").exists() and (out / "train.txt").exists()


def test_archive_without_expected_members_leaves_no_output(server, work):
    broken = make_zip({"wikitext-2/wiki.train.tokens": b"x\n"})
    server.routes["/wt/" + ARCHIVE] = ("ok", broken)
    with pytest.raises(CorpusError, match="no member named wiki.valid.tokens"):
        fetch_corpus("wikitext2", work / "corpus", retries=1, registry=wiki_registry([server.url("/wt/" + ARCHIVE)], broken))
    assert not (work / "corpus").exists()
    assert stray_files(work) == []


def test_multi_file_corpus_looks_each_file_up_in_the_mirror(server, work):
    real = load_registry()["ud-ewt"]
    bodies = {f.name: f"# sent_id = {f.name}\n1\tHi\thi\tINTJ\tUH\t_\t0\troot\t0:root\t_\n\n".encode() for f in real.files}
    files = []
    for remote in real.files:
        server.routes["/ud/" + remote.name] = ("ok", bodies[remote.name])
        digest = hashlib.md5(bodies[remote.name]).hexdigest()
        files.append(replace(remote, urls=(server.url("/nowhere"),), checksum=Checksum("md5", digest), size=None))
    reg = {"ud-ewt": replace(real, files=tuple(files))}
    out = fetch_corpus("ud-ewt", work / "ud", mirror=server.url("/ud"), retries=1, registry=reg)
    source = read_json(out / "SOURCE.json")
    assert [f["url"] for f in source["files"]] == [server.url("/ud/" + f.name) for f in real.files]
    assert source["counts"] == {"train.conllu": 1, "valid.conllu": 1, "test.conllu": 1}
    assert (out / "valid.conllu").read_bytes() == bodies["en_ewt-ud-dev.conllu"]
    assert server.hits["/nowhere"] == 0


def test_unknown_name_lists_known_corpora(work):
    with pytest.raises(ConfigError, match="unknown corpus 'wikitext3'.*wikitext103, wikitext2"):
        fetch_corpus("wikitext3", work / "corpus")
    assert list(work.iterdir()) == []


def test_bad_settings_are_refused(work):
    with pytest.raises(ConfigError, match="retries >= 1"):
        fetch_corpus("wikitext2", work / "corpus", retries=0)


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="rnnlab")
    download.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_list_prints_the_registry(capsys):
    assert run_cli(["download", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("wikitext2", "wikitext103", "ptb", "sst2", "imdb", "ud-ewt"):
        assert name in out
    assert "CC BY-SA 4.0" in out and "4.5 MB" in out


def test_cli_downloads_and_reports(server, work, monkeypatch, capsys):
    server.routes["/wt/" + ARCHIVE] = ("ok", WIKI_ZIP)
    reg = wiki_registry([server.url("/wt/" + ARCHIVE)])
    monkeypatch.setattr(registry, "load_registry", lambda path=None: reg)
    code = run_cli(["download", "wikitext2", "--out", str(work / "corpus"), "--retries", "1", "--timeout", "5"])
    assert code == 0
    captured = capsys.readouterr()
    assert "train.txt (3)" in captured.out and "fetching" in captured.err


def test_cli_needs_name_and_out():
    with pytest.raises(ConfigError, match="NAME and --out DIR"):
        run_cli(["download", "wikitext2"])


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_git_blob_sha1_matches_git_hash_object(tmp_path):
    path = tmp_path / "f.iob2"
    path.write_bytes(b"1\tHi\tO\n\n")
    expected = subprocess.run(["git", "hash-object", str(path)], capture_output=True, text=True, check=True).stdout.strip()
    assert download._digests(path, {"git-blob-sha1"})["git-blob-sha1"] == expected == git_blob_id(path.read_bytes())
    assert registry.parse_checksum(f"git-blob-sha1:{expected}") == Checksum("git-blob-sha1", expected)
    with pytest.raises(ConfigError, match="40 hex digits"):
        registry.parse_checksum("git-blob-sha1:abc")


def uner_bodies(real: CorpusEntry) -> dict[str, bytes]:
    return {f.name: f"# sent_id = {f.name}\n1\tJordan\tB-PER\t-\t-\n2\tsaid\tO\t-\t-\n\n".encode() for f in real.files}


def test_uner_ewt_is_verified_by_git_blob_id_and_laid_out(server, work):
    real = load_registry()["uner-ewt"]
    assert [f.name for f in real.files] == [f"en_ewt-ud-{s}.iob2" for s in ("train", "dev", "test")]
    assert all("8ed072de2fd24022cc62458997fe96a8fe191ea4" in f.urls[0] for f in real.files)
    assert real.files[0].checksum == Checksum("git-blob-sha1", "b2423d72f37f2226e56cbe750da76f820e6c36a9")
    bodies = uner_bodies(real)
    files = []
    for remote in real.files:
        server.routes["/uner/" + remote.name] = ("ok", bodies[remote.name])
        checksum = Checksum("git-blob-sha1", git_blob_id(bodies[remote.name]))
        files.append(replace(remote, urls=(server.url("/uner/" + remote.name),), checksum=checksum, size=None))
    out = fetch_corpus("uner-ewt", work / "uner", retries=1, registry={"uner-ewt": replace(real, files=tuple(files))})
    assert read_json(out / "SOURCE.json")["counts"] == {"train.iob2": 1, "valid.iob2": 1, "test.iob2": 1}
    assert (out / "valid.iob2").read_bytes() == bodies["en_ewt-ud-dev.iob2"]


def test_uner_ewt_wrong_git_blob_id_is_refused(server, work):
    real = load_registry()["uner-ewt"]
    bodies = uner_bodies(real)
    files = []
    for remote in real.files:
        server.routes["/uner/" + remote.name] = ("ok", bodies[remote.name])
        files.append(replace(remote, urls=(server.url("/uner/" + remote.name),), size=None,
                             checksum=Checksum("git-blob-sha1", git_blob_id(b"other"))))
    with pytest.raises(DownloadError, match="checksum mismatch: expected git-blob-sha1:"):
        fetch_corpus("uner-ewt", work / "uner", retries=1, registry={"uner-ewt": replace(real, files=tuple(files))})
    assert not (work / "uner").exists()
