"""The lock a training job holds on its checkpoint folder, and the list of jobs that hold one.

A trainer holds ``train.lock`` in its checkpoint folder (``results/checkpoints/<corpus>/<model>/
seed<seed>/`` in the pipeline) with ``flock`` for as long as it trains; the file says who holds it
(pid, host, start time, SLURM job). A second trainer on the same folder is refused instead of
writing the same checkpoint, and a Snakemake started while such jobs still run (after a kill -9 of
the Snakemake that started them, say) names them instead of training the same models beside them.
The kernel drops the lock when its process dies, however it dies, so a lock file that nobody holds
is only a leftover.

File systems: on local disks and NFS (Linux emulates ``flock`` with NFS byte-range locks since
2.6.12) the lock is seen from every host. Lustre honours it across nodes only when mounted with
``-o flock``; with ``localflock`` a job on another node is not seen, and without either option
``flock`` fails, in which case training goes on unlocked (with a note) and the folder is not listed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import re
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from .errors import RnnlabError
from .io import make_dir

LOCK = "train.lock"
# errnos of a file system that cannot flock (see the module notes).
UNSUPPORTED = (errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP)
# A lock found held is tried again this often, this far apart: listing the running trainers holds
# each lock for an instant, which must not refuse a trainer that starts at that moment.
TRIES, PAUSE_S = 5, 0.05


@dataclass(frozen=True)
class Trainer:
    folder: Path
    pid: int | None
    host: str
    started: str
    slurm_job: str | None

    def describe(self) -> str:
        slurm = f", SLURM job {self.slurm_job}" if self.slurm_job else ""
        return f"training job pid {self.pid or '?'} on host {self.host} since {self.started}{slurm}"

    def kill_hint(self) -> str:
        pid = self.pid or "<pid>"
        return f"kill {pid}" + (f" (or scancel {self.slurm_job})" if self.slurm_job else "")


def _holder(path: Path) -> Trainer:
    """Who holds the lock file ``path``, as it says."""
    try:
        info = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        return Trainer(path.parent, int(info["pid"]), str(info["host"]), str(info["started"]), info.get("slurm_job"))
    except (OSError, ValueError, KeyError, TypeError):  # not written yet, or just removed
        return Trainer(path.parent, None, "?", "?", None)


def _try_lock(fd: int, shared: bool = False) -> bool:
    """Take the lock without waiting (a few tries); False while another process holds it."""
    for attempt in range(TRIES):
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if attempt + 1 < TRIES:
                time.sleep(PAUSE_S)
    return False


def _open_locked(path: Path) -> int | None:
    """A descriptor of ``path`` holding its lock, or None when a live trainer holds it. A file another
    trainer removed between our open and our lock is opened again, so that two never hold two files."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise RnnlabError(f"cannot write {path}: {exc.strerror}; check that {path.parent} is writable") from exc
        try:
            locked = _try_lock(fd)
        except OSError:
            os.close(fd)
            raise
        if not locked:
            os.close(fd)
            return None
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        os.close(fd)


@contextlib.contextmanager
def hold(folder: str | os.PathLike[str]) -> Iterator[None]:
    """Hold ``folder``'s training lock for the ``with`` block; RnnlabError naming the holder when another
    trainer has it. On leaving, the lock file goes, and the folder too if that leaves it empty."""
    folder = make_dir(folder)
    path = folder / LOCK
    try:
        fd = _open_locked(path)
    except OSError as exc:
        if exc.errno not in UNSUPPORTED:
            raise
        print(f"note: cannot lock {path} ({exc.strerror}): this file system does not support flock, so a second "
              "training job on this folder would not be stopped", file=sys.stderr)
        fd = -1
    if fd is None:
        holder = _holder(path)
        raise RnnlabError(f"{folder} is in use by {holder.describe()}; wait for it or {holder.kill_hint()}, "
                          "then rerun")
    try:
        if fd >= 0:
            info = {"pid": os.getpid(), "host": socket.gethostname(),
                    "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "slurm_job": os.environ.get("SLURM_JOB_ID")}
            try:
                os.ftruncate(fd, 0)
                os.write(fd, json.dumps(info).encode())
            except OSError as exc:
                raise RnnlabError(f"cannot write {path}: {exc.strerror}; check free space and permissions") from exc
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # while still held: a trainer that opened it meanwhile is refused, or opens anew
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty: a completed run's folder; a kept checkpoint stays


def running_trainers(root: str | os.PathLike[str]) -> list[Trainer]:
    """The training jobs that hold a lock under ``root`` now (one whose lock cannot be taken)."""
    running = []
    for path in sorted(Path(root).rglob(LOCK)) if Path(root).is_dir() else []:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue  # gone meanwhile, or not ours to read
        try:
            if not _try_lock(fd, shared=True):
                running.append(_holder(path))
        except OSError:
            pass  # no flock here: nothing can be told
        finally:
            os.close(fd)
    return running


def remove_unheld(root: str | os.PathLike[str]) -> None:
    """Remove the lock files under ``root`` that no running trainer holds (left by a killed one)."""
    for path in Path(root).rglob(LOCK) if Path(root).is_dir() else []:
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDWR)
            try:
                if _try_lock(fd):
                    path.unlink()
            finally:
                os.close(fd)


def refuse_while_training(root: str | os.PathLike[str], argv: Sequence[str]) -> None:
    """Called when Snakemake starts: name the training jobs still running under ``root`` and refuse to start
    beside them; a dry run or ``--unlock`` (neither starts a job) is told, not refused."""
    running = running_trainers(root)
    if not running:
        return
    kills = ", ".join(t.kill_hint() for t in running)
    message = (f"{len(running)} training job(s) still running in {root}:\n"
               + "".join(f"  {t.folder}: {t.describe()}\n" for t in running)
               + "Starting now would train the same models beside them. If the Snakemake that started them is "
               f"still running, let it finish; if it was killed, wait for these jobs to end or stop them ({kills}), "
               "then start Snakemake again (after `snakemake --unlock` if it says the directory is locked).")
    if any(arg in ("--unlock", "--dry-run", "--dryrun") or re.fullmatch(r"-[A-Za-z]*n[A-Za-z]*", arg)
           for arg in argv[1:]):
        print(f"warning: {message}", file=sys.stderr)
        return
    raise RnnlabError(message)
