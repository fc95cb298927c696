"""Atomic outputs: the modes an ordinary write would give, and errors that name the right file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from rnnlab.errors import RnnlabError
from rnnlab.io import atomic_dir, atomic_path, make_dir, write_json


@pytest.fixture
def restore_umask():
    """Give the umask back after a test that sets its own."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)],
                         ids=["umask-022", "umask-027"])
def test_outputs_get_the_modes_of_the_umask(tmp_path, restore_umask, mask, file_mode, dir_mode):
    os.umask(mask)
    with atomic_path(tmp_path / "metrics.csv") as tmp:
        tmp.write_text("a\n")
    write_json(tmp_path / "stats.json", {"a": 1})
    with atomic_dir(tmp_path / "figures") as tmp:
        write_json(tmp / "nested" / "summary.json", {"b": 2})
        (tmp / "plain.txt").write_text("c\n")
    assert mode(tmp_path / "metrics.csv") == mode(tmp_path / "stats.json") == file_mode
    assert mode(tmp_path / "figures") == mode(tmp_path / "figures" / "nested") == dir_mode
    assert mode(tmp_path / "figures" / "nested" / "summary.json") == mode(tmp_path / "figures" / "plain.txt") == file_mode


def test_a_read_error_inside_the_block_is_not_reported_as_a_write_error(tmp_path):
    folder = tmp_path / "input-folder"
    folder.mkdir()
    with pytest.raises(IsADirectoryError):
        with atomic_path(tmp_path / "out.txt") as tmp:
            tmp.write_text(folder.read_text())
    with pytest.raises(IsADirectoryError):
        with atomic_dir(tmp_path / "out") as tmp:
            (tmp / "copy.txt").write_text(folder.read_text())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input-folder"]  # no temporary left


def test_a_write_error_inside_the_block_names_the_output(tmp_path):
    def disk_full(*_args):
        raise OSError(28, "No space left on device")

    with pytest.raises(RnnlabError, match=r"cannot write .*out\.txt: No space left on device; check free space"):
        with atomic_path(tmp_path / "out.txt"):
            disk_full()
    with pytest.raises(RnnlabError, match=r"cannot write .*out: Is a directory; check free space"):
        with atomic_dir(tmp_path / "out") as tmp:
            (tmp / "sub").mkdir()
            (tmp / "sub").read_text()  # a file of the output itself
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("write", [
    lambda out: make_dir(out),
    lambda out: write_json(out / "status.json", {}),
    lambda out: atomic_dir(out / "figures").__enter__(),
])
def test_an_output_folder_that_cannot_be_created_gives_one_clear_error(tmp_path, write):
    blocker = tmp_path / "file.txt"  # a path under a regular file fails even for root
    blocker.write_text("x")
    with pytest.raises(RnnlabError, match=r"cannot create output folder .*file\.txt/sub: Not a directory; "
                                          r"choose a writable output folder"):
        write(blocker / "sub")


def test_a_temporary_folder_that_cannot_be_made_gives_one_clear_error(tmp_path, monkeypatch):
    def refused(**_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkdtemp", refused)
    with pytest.raises(RnnlabError, match=r"cannot write .*plots: Permission denied; check that .* is writable"):
        with atomic_dir(tmp_path / "plots"):
            pass
