"""Where the pipeline keeps its files: every path under data/, results/ and logs/ is built here, and
the run folder ``results/models/<corpus>/<model>/seed<n>`` is parsed here.

Each builder takes concrete values or Snakemake wildcards, so the rules and the code that reads
their outputs spell a path the same way::

    model_dir("{corpus}", "{model}", "{seed}")  # the train rule's output pattern
    model_dir("ptb", "lstm", 1)                 # results/models/ptb/lstm/seed1

Only the folders and files that one rule hands to another are named here, with the files of a run
folder that later steps read; what else a command writes inside its own output folder (the report's
figures, a checkpoint's tensors) is its own business.
Paths are strings, relative to the workflow's directory, as Snakemake takes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import RnnlabError

DATA = "data"
RESULTS = "results"
LOGS = "logs"

RAW = f"{DATA}/raw"  # <corpus>/: generated or downloaded corpora
PROCESSED = f"{DATA}/processed"  # <corpus>/: tokenised splits and vocabulary (rnnlab prepare)
MODELS = f"{RESULTS}/models"  # <corpus>/<model>/seed<n>/: trained runs
CHECKPOINTS = f"{RESULTS}/checkpoints"  # <corpus>/<model>/seed<n>/: resumable state of unfinished runs
METRICS = f"{RESULTS}/metrics"  # <corpus>/<model>/seed<n>.csv: one run's evaluation
ANALYSIS = f"{RESULTS}/analysis"  # <analysis>/<corpus>/ or <analysis>/: the analyses' tables
BENCHMARKS = f"{RESULTS}/benchmarks"  # <rule>/<item>.tsv or <rule>.tsv: Snakemake's job wall times
PLOTS = f"{RESULTS}/plots"  # the DVC plots' tables
FIGURES = f"{RESULTS}/figures"
REPORT = f"{RESULTS}/report"

METRICS_CSV = f"{RESULTS}/metrics.csv"
METRICS_JSON = f"{RESULTS}/metrics.json"
TIMINGS_CSV = f"{RESULTS}/timings.csv"
CURVES_CSV = f"{RESULTS}/curves.csv"
CLAIMS_JSON = f"{RESULTS}/claims.json"

REPORT_HTML = f"{REPORT}/index.html"
REPORT_MD = f"{REPORT}/report.md"
REPORT_CLAIMS_CSV = f"{REPORT}/claims.csv"
REPORT_CLAIMS_TEX = f"{REPORT}/claims.tex"

# The files of a run folder (model_dir) that evaluation and the analyses read.
STATUS_FILE = "status.json"  # written last: how training ended (completed, diverged), its time and size
META_FILE = "model.json"  # what rebuilds the model: family, configuration, vocabulary size
WEIGHTS_FILE = "model.safetensors"  # a neural model's trained weights
STEPS_FILE = "steps.npz"  # per-step training loss and gradient norms
HISTORY_CSV = "history.csv"  # per-epoch metrics (and HISTORY_JSON, the same as JSON)
HISTORY_JSON = "history.json"
ARPA_FILE = "model.arpa"  # an n-gram LM in ARPA format

Value = str | int


def seed_name(seed: Value) -> str:
    """The last part of a run's folder: ``seed<n>``."""
    return f"seed{seed}"


def run_key(corpus: Value, model: Value, seed: Value) -> str:
    """``<corpus>/<model>/seed<n>``: one run, as every per-run folder, file, log and benchmark names it."""
    return f"{model_key(corpus, model)}/{seed_name(seed)}"


def model_key(corpus: Value, model: Value) -> str:
    """``<corpus>/<model>``: every seed of one model, as the log and benchmark of a job training them all
    name it."""
    return f"{corpus}/{model}"


def raw_dir(corpus: Value) -> str:
    return f"{RAW}/{corpus}"


def processed_dir(corpus: Value) -> str:
    return f"{PROCESSED}/{corpus}"


def model_dir(corpus: Value, model: Value, seed: Value) -> str:
    return f"{MODELS}/{run_key(corpus, model, seed)}"


def checkpoint_dir(corpus: Value, model: Value, seed: Value) -> str:
    return f"{CHECKPOINTS}/{run_key(corpus, model, seed)}"


def metrics_file(corpus: Value, model: Value, seed: Value) -> str:
    return f"{METRICS}/{run_key(corpus, model, seed)}.csv"


def analysis_dir(name: Value, corpus: Value | None = None) -> str:
    """``results/analysis/<name>/<corpus>``, or ``results/analysis/<name>`` for an analysis over all corpora."""
    return f"{ANALYSIS}/{name}" if corpus is None else f"{ANALYSIS}/{name}/{corpus}"


def log_file(step: Value, item: Value | None = None) -> str:
    """The log of one job of rule ``step``: ``logs/<step>/<item>.log``, or ``logs/<step>.log`` without an item."""
    return f"{LOGS}/{step}.log" if item is None else f"{LOGS}/{step}/{item}.log"


def benchmark_file(step: Value, item: Value | None = None) -> str:
    """Snakemake's benchmark of one job, named like its log (:func:`log_file`) under results/benchmarks."""
    return f"{BENCHMARKS}/{step}.tsv" if item is None else f"{BENCHMARKS}/{step}/{item}.tsv"


@dataclass(frozen=True)
class RunId:
    """A trained run's folder ``.../<corpus>/<model>/seed<n>``: its corpus, the model's name in the config
    and the seed."""

    path: Path
    corpus: str
    model: str
    seed: int


_RUN = re.compile(r"(?:^|/)(?P<corpus>[^/]+)/(?P<model>[^/]+)/seed(?P<seed>\d+)/?$")


def match_run(path: str | Path) -> RunId | None:
    """The run a path ending in ``<corpus>/<model>/seed<n>`` names (:func:`run_key`), else None."""
    match = _RUN.search(Path(path).as_posix())
    if match is None:
        return None
    return RunId(Path(path), match["corpus"], match["model"], int(match["seed"]))


def parse_run_dir(path: str | Path) -> RunId:
    """Inverse of :func:`model_dir`; an error naming the expected layout for any other folder."""
    run = match_run(path)
    if run is None:
        raise RnnlabError(f"{path}: a model folder must be named seed<N> inside its model's folder, inside its "
                          f"corpus' folder, e.g. {model_dir('<corpus>', '<model>', 1)}")
    return run
