"""The model registry: every model the pipeline can train, by name.

A model name starts with its family (``ngram``, ``window``, ``rnn``, ``lstm``, ``bilstm``). Each
entry says which tasks it serves and how to train and evaluate it, so the CLI, the DAG and the
config validation look models up here instead of branching on names.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import ConfigError, RnnlabError
from ..io import read_json
from ..layout import STATUS_FILE
from .memory import MemoryEstimate

# The families in the lecture's order, which every figure and table follows.
FAMILIES = ("ngram", "window", "rnn", "lstm", "bilstm")
TASKS = ("lm", "classification", "tagging", "ner")

# Modules that contribute entries through an ``entries() -> list[ModelEntry]`` function.
ENTRY_MODULES = (
    "rnnlab.models.ngram_lm",
    "rnnlab.models.naive_bayes",
    "rnnlab.models.ngram_tagger",
    "rnnlab.models.neural",
)


@dataclass(frozen=True)
class TrainRequest:
    """What a training job gets: processed corpus, output folder, seed and hyperparameters."""

    corpus: str
    corpus_dir: Path
    out_dir: Path
    task: str
    seed: int
    params: dict[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    backend: str | None = None
    # Where resumable checkpoints live. Kept apart from out_dir on purpose: Snakemake deletes the
    # declared outputs of a job that died, but a rerun must still find the checkpoints to resume.
    checkpoint_dir: Path | None = None
    # Keep the checkpoint of a run that completed; the caller removes it (train.discard_checkpoint). A
    # job training several seeds keeps each until all are done, so a rerun after a later seed failed
    # restores the finished seeds from their checkpoints instead of training them again.
    keep_checkpoint: bool = False
    threads: int = 1
    memory: str | None = None  # memory budget of n-gram counting (e.g. "2G"); None: the fit's default


@dataclass(frozen=True)
class EvalRequest:
    """What an evaluation job gets: the trained model's folder and the processed corpus."""

    corpus: str
    corpus_dir: Path
    model_dir: Path
    task: str
    seed: int
    splits: tuple[str, ...] = ("valid", "test")
    device: str = "cpu"
    backend: str | None = None  # None: the backend training recorded

    def status(self) -> dict[str, Any]:
        """The run's status.json: how training ended, its time and size; an error if training never finished."""
        path = Path(self.model_dir) / STATUS_FILE
        if not path.exists():
            raise RnnlabError(f"{path} is missing: the model was not trained (or training was interrupted); "
                              "run training first")
        return read_json(path)


MetricRows = list[dict[str, Any]]


@dataclass(frozen=True)
class ModelEntry:
    name: str
    family: str
    tasks: tuple[str, ...]
    train: Callable[[TrainRequest], None]
    evaluate: Callable[[EvalRequest], MetricRows]
    description: str
    # Deterministic models (counts) are trained once; their metrics carry seed 0.
    deterministic: bool = False
    # Trained by gradient descent: takes the config's `training:` defaults and leaves a per-epoch history.
    trains: bool = True
    # Conditions on a fixed window of the previous words and carries no state from one word to the next.
    fixed_window: bool = False
    # Why a task is refused, e.g. a bidirectional model cannot be a language model.
    refused: dict[str, str] = field(default_factory=dict)
    # check(task, params, device, backend) raises ConfigError for hyperparameters or a device/backend
    # request that training would refuse; called at config validation, before any job runs.
    check: Callable[[str, dict[str, Any], str, str | None], None] | None = None
    # estimate(task, params, vocab size, label count): the training memory, from the model's own spec;
    # None for models whose memory the config does not bound (the counting ones budget their own).
    estimate: Callable[[str, dict[str, Any], int, int], MemoryEstimate] | None = None


def family_of(model: str) -> str:
    """The family of a model name: the part before its first '-' (every registered name starts with its family)."""
    return model.split("-")[0]


def order_of(name: str) -> int | None:
    """The number a model's last name part carries (n-gram order: ``ngram-kn5`` -> 5), if any."""
    digits = "".join(ch for ch in name.split("-")[-1] if ch.isdigit())
    return int(digits) if digits else None


def model_sort_key(model: str) -> tuple[int, str]:
    """Order model names as the lecture does (FAMILIES); variants after their base, by name."""
    family = family_of(model)
    return (FAMILIES.index(family) if family in FAMILIES else len(FAMILIES), model)


def _module_entries(module_name: str) -> list[ModelEntry]:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("rnnlab"):
            raise
        return []
    entries = module.entries()
    for entry in entries:
        if entry.family not in FAMILIES or family_of(entry.name) != entry.family:
            raise ValueError(f"model {entry.name!r} must start with one of the families {FAMILIES}")
    return entries


def build_registry() -> dict[str, ModelEntry]:
    """Collect entries from every entry module whose dependencies are installed."""
    return {e.name: e for module_name in ENTRY_MODULES for e in _module_entries(module_name)}


def _find(name: str) -> ModelEntry | None:
    # Modules are imported in order and only until the name is found, so an n-gram job never
    # imports torch.
    for module_name in ENTRY_MODULES:
        for entry in _module_entries(module_name):
            if entry.name == name:
                return entry
    return None


def base_name(name: str) -> str | None:
    """The registered model a config key names: itself, or the longest registered prefix before a '-'.

    ``lstm-medium`` and ``lstm-2layer`` are variants of ``lstm`` (their own hyperparameters, their
    own rows in the metrics), while ``ngram-kn3`` is a registered name of its own.
    """
    parts = name.split("-")
    for i in range(len(parts), 0, -1):
        candidate = "-".join(parts[:i])
        if _find(candidate) is not None:
            return candidate
    return None


def get_model(name: str, task: str | None = None) -> ModelEntry:
    """Look a model (or a variant ``<model>-<variant>``) up and check that it serves ``task``."""
    base = base_name(name)
    entry = _find(base) if base else None
    if entry is None:
        raise ConfigError(f"unknown model {name!r}; known models: {', '.join(sorted(build_registry()))} "
                          "(or a variant of one, named <model>-<variant>)")
    if task is not None and task not in entry.tasks:
        reason = entry.refused.get(task, f"it serves only {', '.join(entry.tasks)}")
        raise ConfigError(f"model {name!r} cannot be used for task {task!r}: {reason}")
    return entry
