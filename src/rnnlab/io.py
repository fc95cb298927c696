"""Atomic file output: a job that dies never leaves a half-written artefact behind.

Everything is written to a temporary sibling (same directory, so ``os.replace`` is an
atomic rename on POSIX) and moved into place only when complete. The temporaries are created
private (``mkstemp`` 0600, ``mkdtemp`` 0700); before the rename they get the modes an ordinary
``open``/``mkdir`` would give (0666/0777 less the umask), so the group can read the results.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from .errors import RnnlabError

FILE_MODE = 0o666
DIR_MODE = 0o777


def make_dir(path: str | os.PathLike[str]) -> Path:
    """Create the output folder ``path`` (and its parents); one clear error when that is impossible."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RnnlabError(f"cannot create output folder {folder}: {exc.strerror}; "
                          "choose a writable output folder") from exc
    return folder


def current_umask() -> int:
    """The process umask. Linux (4.7+) shows it in /proc/self/status, read without changing it;
    elsewhere POSIX can only read it by setting it, so it is set back at once."""
    with contextlib.suppress(OSError):
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _belongs_to(exc: OSError, tmp: Path) -> bool:
    """Whether ``exc`` came from writing the temporary ``tmp``: an error on an open handle names no
    file (a full disk, say); any other names the file it concerns, which is then ``tmp``, inside it,
    or a sibling named after it (``tmp.npz``)."""
    names = [name for name in (exc.filename, exc.filename2) if name is not None]
    if not names:
        return True
    prefix = os.path.abspath(tmp)
    return any(isinstance(name, (str, bytes, os.PathLike))
               and os.path.abspath(os.fsdecode(name)).startswith(prefix) for name in names)


def _write_error(final: Path, exc: OSError) -> RnnlabError:
    return RnnlabError(f"cannot write {final}: {exc.strerror}; check free space and permissions")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left untouched. Only errors
    in writing the temporary become "cannot write ``path``"; others (reading an input) pass as they are.
    """
    final = Path(path)
    make_dir(final.parent)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=suffix + ".tmp", dir=final.parent)
    except OSError as exc:
        raise RnnlabError(f"cannot write {final}: {exc.strerror}; check that {final.parent} is writable") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, FILE_MODE & ~current_umask())
        os.replace(tmp, final)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if _belongs_to(exc, tmp):
            raise _write_error(final, exc) from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory next to ``path``; swap it in as ``path`` on success.

    As in :func:`atomic_path`, only errors in writing the output become "cannot write ``path``".
    """
    final = Path(path)
    make_dir(final.parent)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    except OSError as exc:
        raise RnnlabError(f"cannot write {final}: {exc.strerror}; check that {final.parent} is writable") from exc
    try:
        yield tmp
        os.chmod(tmp, DIR_MODE & ~current_umask())
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if _belongs_to(exc, tmp):
            raise _write_error(final, exc) from exc
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _swap_in(tmp, final)


def _swap_in(tmp: Path, final: Path) -> None:
    """Replace ``final`` by the finished folder ``tmp``; every failure here is the output's."""
    try:
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _write_error(final, exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON atomically."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)
