"""Faults injected into a real run of the tiny DAG: killed jobs, a killed Snakemake (with or without
its jobs), a second Snakemake, a full disk, and a config asking for hardware this machine lacks."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd
import psutil
import pytest
import torch
from pandas.testing import assert_frame_equal
from safetensors.torch import load_file

from rnnlab import checkpoint

LOCK_MESSAGE = "Directory cannot be locked"


def mid_epoch_checkpoint(path: Path, min_epoch: int = 1) -> bool:
    """True once ``path`` holds a checkpoint from the middle of epoch ``min_epoch + 1`` or later."""
    if not path.exists():
        return False
    saved = checkpoint.load(path)
    return saved is not None and saved["progress"]["epoch"] >= min_epoch and saved["progress"]["batch"] > 0


def training_process(snakemake: subprocess.Popen) -> psutil.Process:
    """The `rnnlab train` process that Snakemake started for the LSTM."""
    for child in psutil.Process(snakemake.pid).children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            args = child.cmdline()
            if "train" in args and "lstm" in args and any(a.endswith("rnnlab") for a in args):
                return child
    raise AssertionError("no `rnnlab train --model lstm` process under snakemake")


def assert_nothing_corrupt(work: Path) -> None:
    """Every artefact on disk parses: atomic writes never leave a truncated file under its final name
    (a killed write leaves at most a hidden ``.NAME.*.tmp`` sibling, which nothing reads)."""
    readers = {".json": lambda p: json.loads(p.read_text()), ".csv": pd.read_csv,
               ".safetensors": lambda p: load_file(str(p))}
    checked = 0
    for path in sorted([*work.glob("results/**/*"), *work.glob("data/**/*")]):
        if path.is_file() and path.suffix in readers:
            readers[path.suffix](path)
            checked += 1
    assert checked > 0


def test_training_job_killed_mid_epoch_resumes_with_identical_metrics(tmp_path, tiny_dag, reference_metrics):
    work = tiny_dag.workdir(tmp_path / "work")
    ckpt = work / tiny_dag.lstm_checkpoint
    first = tiny_dag.start(tiny_dag.snakemake("--cores", "2", tiny_dag.metrics), work)
    try:
        tiny_dag.wait_for(lambda: mid_epoch_checkpoint(ckpt), "a mid-epoch checkpoint of the LSTM", first)
        training_process(first).send_signal(signal.SIGKILL)
        out, _ = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert first.returncode != 0
    assert "Error in rule train_model" in out
    saved = checkpoint.load(ckpt)
    assert saved["progress"]["epoch"] >= 1 and saved["progress"]["batch"] > 0
    assert not (work / "results/models/synthetic-lm/lstm/seed1").exists()  # the failed job's output is gone

    tiny_dag.run(tiny_dag.snakemake("--cores", "2", tiny_dag.metrics), work)
    log = (work / tiny_dag.lstm_log).read_text()
    assert "resuming from" in log, log
    assert not ckpt.exists()
    assert_frame_equal(tiny_dag.metric_table(work), reference_metrics)


def test_snakemake_killed_mid_dag_then_rerun_redoes_incomplete_outputs(tmp_path, tiny_dag, reference_metrics):
    work = tiny_dag.workdir(tmp_path / "work")
    first = tiny_dag.start(tiny_dag.snakemake("--cores", "2", tiny_dag.metrics), work)
    try:
        tiny_dag.wait_for(lambda: mid_epoch_checkpoint(work / tiny_dag.lstm_checkpoint, min_epoch=0),
                          "the LSTM to be training", first)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # Snakemake and every job it runs, as on a crashed node
        first.communicate(timeout=60)
    assert list((work / ".snakemake/incomplete").iterdir()), "the running job's output is marked incomplete"
    assert not (work / tiny_dag.metrics).exists()
    assert_nothing_corrupt(work)

    plain = tiny_dag.run(tiny_dag.snakemake("--cores", "2", tiny_dag.metrics), work, check=False)
    said = plain.stdout + plain.stderr
    assert plain.returncode != 0 and "--rerun-incomplete" in said
    assert "Incomplete files:\nresults/models/synthetic-lm/lstm/seed1" in said
    redo = tiny_dag.snakemake("--cores", "2", "--rerun-incomplete", tiny_dag.metrics)
    locked = tiny_dag.run(redo, work, check=False)
    assert locked.returncode != 0 and LOCK_MESSAGE in locked.stderr and "--unlock" in locked.stderr  # the dead run's
    tiny_dag.run(tiny_dag.snakemake("--unlock"), work)
    tiny_dag.run(redo, work)
    assert "resuming from" in (work / tiny_dag.lstm_log).read_text()  # redone from its last checkpoint
    assert_nothing_corrupt(work)
    assert_frame_equal(tiny_dag.metric_table(work), reference_metrics)
    dry = tiny_dag.run(tiny_dag.snakemake("-n", tiny_dag.metrics), work)
    assert "Nothing to be done" in dry.stdout + dry.stderr


@contextlib.contextmanager
def held_lstm(tiny_dag, work: Path) -> Iterator[tuple[subprocess.Popen, psutil.Process]]:
    """A run of the tiny DAG and its LSTM job, suspended mid-training; whatever is left of the run's process
    group is killed on leaving."""
    first = tiny_dag.start(tiny_dag.snakemake("--cores", "2", tiny_dag.metrics), work)
    try:
        tiny_dag.wait_for(lambda: mid_epoch_checkpoint(work / tiny_dag.lstm_checkpoint, min_epoch=0),
                          "the LSTM to be training", first)
        training = training_process(first)
        training.suspend()
        yield first, training
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)


def test_second_snakemake_is_refused_and_the_first_finishes(tmp_path, tiny_dag, reference_metrics):
    work = tiny_dag.workdir(tmp_path / "work")
    with held_lstm(tiny_dag, work) as (first, training):
        plain = tiny_dag.run(tiny_dag.snakemake("--cores", "1", tiny_dag.metrics), work, check=False)
        # --rerun-incomplete (as in profiles/slurm) would redo the running job's output.
        redo = tiny_dag.run(tiny_dag.snakemake("--cores", "1", "--rerun-incomplete", tiny_dag.metrics), work,
                            check=False)
        training.resume()
        out, _ = first.communicate(timeout=600)
    # Both are refused at the start, naming the first run's training job, before Snakemake's own checks
    # (the incomplete output, the lock) would refuse them.
    for second in (plain, redo):
        assert second.returncode != 0 and f"training job pid {training.pid} on host" in second.stdout + second.stderr
    assert first.returncode == 0, out[-4000:]
    assert_frame_equal(tiny_dag.metric_table(work), reference_metrics)


def test_snakemake_killed_alone_then_restart_names_its_running_job(tmp_path, tiny_dag, reference_metrics):
    work = tiny_dag.workdir(tmp_path / "work")
    with held_lstm(tiny_dag, work) as (first, orphan):
        os.kill(first.pid, signal.SIGKILL)  # Snakemake alone: its job lives on, holding its lock
        first.wait(timeout=60)  # (its output pipe stays open in the job)
        again = tiny_dag.run(tiny_dag.snakemake("--cores", "2", "--rerun-incomplete", tiny_dag.metrics), work,
                             check=False)
        orphan.resume()
        orphan.wait(timeout=300)
    said = again.stdout + again.stderr
    assert again.returncode != 0
    assert (f"results/checkpoints/synthetic-lm/lstm/seed1: training job pid {orphan.pid} on host" in said
            and f"kill {orphan.pid}" in said), said
    assert LOCK_MESSAGE not in said  # named first, before Snakemake's own lock check
    tiny_dag.run(tiny_dag.snakemake("--unlock"), work)
    tiny_dag.run(tiny_dag.snakemake("--cores", "2", "--rerun-incomplete", tiny_dag.metrics), work)
    assert_frame_equal(tiny_dag.metric_table(work), reference_metrics)
    assert not (work / "results/checkpoints").exists()


@contextlib.contextmanager
def small_filesystem(path: Path, options: str):
    """Mount a tmpfs with ``options`` on ``path``; yield False where mounting is not permitted."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                                                   capture_output=True).returncode == 0
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", str(path)], check=True)


def limit_file_size(limit: int = 16 * 1024) -> Callable[[], None]:
    """Make every write past ``limit`` bytes fail with EFBIG (Python ignores SIGXFSZ): no
    checkpoint of the tiny LSTM fits, while Snakemake's own small files and the logs do."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


@pytest.mark.parametrize("folder, options", [
    ("results/models", "size=4k"),  # full when the artefacts are written
    ("results/checkpoints", "size=4k"),  # full at the first checkpoint
    ("results/checkpoints", "ro"),  # not writable
])
def test_full_or_read_only_disk_gives_one_clear_error_and_no_half_written_artefact(tmp_path, tiny_dag, folder,
                                                                                     options):
    work = tiny_dag.workdir(tmp_path / "work")
    target = "results/models/synthetic-lm/lstm/seed1"
    with small_filesystem(work / folder, options) as mounted:
        if not mounted:
            # Mounting is not permitted here: the same fault comes from a per-process file-size
            # limit, once the corpus (larger than the limit) is in place.
            tiny_dag.run(tiny_dag.snakemake("--cores", "1", "data/processed/synthetic-lm"), work)
        proc = tiny_dag.run(tiny_dag.snakemake("--cores", "1", target), work, check=False,
                            preexec_fn=None if mounted else limit_file_size())
        log = (work / tiny_dag.lstm_log).read_text()
        assert proc.returncode != 0 and "Error in rule train_model" in proc.stdout + proc.stderr
        errors = [line for line in log.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "Traceback" not in log, log
        assert errors[0].startswith("error: cannot ") and f" {folder}/" in errors[0], errors
        assert "check free space" in errors[0] or "writable" in errors[0], errors
        assert not (work / target).exists()  # no half-filled model folder
        assert [p for p in (work / "results").rglob("*.tmp")] == []  # no temporary left behind
        assert_nothing_corrupt(work)  # what is there (e.g. the last checkpoint) is whole


@pytest.mark.parametrize("change, message", [
    ({"device": "cuda"}, "no CUDA GPU is available"),
    ({"backend": "triton"}, "asks for backend 'triton'"),
])
def test_hardware_this_machine_lacks_is_refused_before_any_job(tmp_path, tiny_dag, change, message):
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU, so the config is valid here")
    work = tiny_dag.workdir(tmp_path / "work", {**tiny_dag.config, **change})
    proc = tiny_dag.run(tiny_dag.snakemake("--cores", "1"), work, check=False)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr
    assert not (work / "data").exists() and not (work / "results").exists() and not (work / "logs").exists()
