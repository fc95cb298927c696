"""The tiny preset every cluster test runs, and one uninterrupted local run of it to compare with."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# One small LM corpus, a count model and a recurrent one: every kind of job of the DAG in well
# under a minute on one core. Mid-epoch checkpoints every 2 batches give a fault something to
# resume from; checkpoint_every_batches does not change the numbers a run produces.
TINY = {
    "preset": "tiny-cluster",
    "seeds": [1],
    "device": "cpu",
    "threads": 1,
    "corpora": {
        "synthetic-lm": {"task": "lm", "source": "generate", "generator": "synthetic-lm", "seed": 3,
                         "params": {"n_train": 120, "n_valid": 30, "n_test": 30, "distances": [4, 10]}},
    },
    "training": {"epochs": 5, "batch_size": 8, "eval_batch_size": 4, "patience": None,
                 "checkpoint_every_batches": 2},
    "experiments": {
        "lm": {"corpora": ["synthetic-lm"],
               "models": {"ngram-kn2": {}, "lstm": {"emb": 8, "hidden": 8, "bptt": 10, "batch_size": 4}}},
    },
    "report": {"title": "tiny cluster run"},
}
# Columns that hold wall times, which no two runs share.
TIMING = ["train_seconds", "tokens_per_s"]


@dataclass(frozen=True)
class TinyDag:
    """Runs TINY in throw-away copies of the workflow with this interpreter's tools."""

    config: dict = field(default_factory=lambda: copy.deepcopy(TINY))
    metrics: str = "results/metrics.csv"
    lstm_checkpoint: str = "results/checkpoints/synthetic-lm/lstm/seed1/checkpoint.safetensors"
    lstm_log: str = "logs/train_model/synthetic-lm/lstm/seed1.log"

    @staticmethod
    def env() -> dict[str, str]:
        """This interpreter's scripts (rnnlab, snakemake, dvc) first on PATH."""
        return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}

    def workdir(self, dest: Path, config: dict | None = None) -> Path:
        """A runnable copy of the workflow in ``dest`` with ``config`` (default TINY) as ``tiny.yaml``."""
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "Snakefile", dest / "Snakefile")
        shutil.copytree(ROOT / "workflow", dest / "workflow", symlinks=False)
        (dest / "tiny.yaml").write_text(yaml.safe_dump(config or self.config))
        return dest

    @staticmethod
    def snakemake(*args: str) -> list[str]:
        return [str(BIN / "snakemake"), "--configfile", "tiny.yaml", *args]

    def run(self, cmd: list[str], cwd: Path, check: bool = True, timeout: float = 900,
            **kw: Any) -> subprocess.CompletedProcess:
        """Run ``cmd``; on failure show its output and every job log."""
        env = kw.pop("env", None) or self.env()
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, **kw)
        if check and proc.returncode != 0:
            logs = "\n".join(f"--- {p}\n{p.read_text(errors='replace')[-2000:]}"
                             for p in sorted(cwd.glob("logs/**/*.log")))
            raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}) in {cwd}:\n"
                                 f"{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}\n{logs}")
        return proc

    def start(self, cmd: list[str], cwd: Path) -> subprocess.Popen:
        """Start ``cmd`` in its own process group, so that a test can kill the whole tree."""
        return subprocess.Popen(cmd, cwd=cwd, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)

    @staticmethod
    def wait_for(condition: Callable[[], bool], what: str, proc: subprocess.Popen | None = None,
                 timeout: float = 300, every: float = 0.05) -> None:
        """Poll ``condition``; fail if ``proc`` ends first or ``timeout`` passes (a hang, not a timing)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if proc is not None and proc.poll() is not None:
                said = proc.stdout.read()[-4000:] if proc.stdout else ""
                raise AssertionError(f"the run ended (rc {proc.returncode}) before {what}:\n{said}")
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting for {what} after {timeout} s")
            time.sleep(every)

    def metric_table(self, workdir: Path) -> pd.DataFrame:
        """results/metrics.csv without wall times, in a fixed row order."""
        table = pd.read_csv(workdir / self.metrics).drop(columns=TIMING, errors="ignore")
        return table.sort_values(["task", "corpus", "model", "seed", "split", "metric"]).reset_index(drop=True)


@pytest.fixture(scope="session")
def tiny_dag() -> TinyDag:
    return TinyDag()


@pytest.fixture(scope="session")
def reference_metrics(tiny_dag: TinyDag, tmp_path_factory) -> pd.DataFrame:
    """The metrics of one uninterrupted local run of TINY."""
    work = tiny_dag.workdir(tmp_path_factory.mktemp("reference"))
    tiny_dag.run(tiny_dag.snakemake("--cores", "2", tiny_dag.metrics), work)
    return tiny_dag.metric_table(work)
