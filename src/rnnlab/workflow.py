"""What the Snakemake rules ask of the config: targets, inputs and command-line arguments.

Kept in the package (not in the .smk files) so it is typed, tested and shared by every rule.
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from . import layout, train_lock
from .analysis.registry import ANALYSES
from .config import AnalysisConfig, Config, CorpusConfig

NEVER_MATCHES = r"(?!x)x"
# Tasks whose jobs a scheduler should start first. Language models train longest (a BPTT pass over
# every token per epoch: in the default preset the RNN and LSTM LMs' five seeds are the two longest
# jobs), and the gradient, clipping and context analyses wait on them, so their corpus, training and
# analysis jobs form the longest chain of the DAG; started late, they leave a core idle at the end.
FIRST_TASKS = ("lm",)


def _alternatives(names: Iterable[str]) -> str:
    """A wildcard regex matching exactly ``names`` (none: a regex that never matches)."""
    return "|".join(re.escape(n) for n in names) or NEVER_MATCHES


@dataclass(frozen=True)
class Plan:
    cfg: Config

    def corpus(self, name: str) -> CorpusConfig:
        return self.cfg.corpora[name]

    def used_corpora(self) -> list[str]:
        names: list[str] = []
        for exp in self.cfg.experiments.values():
            names += [c for c in exp.corpora if c not in names]
        return names

    def corpus_pattern(self, source: str) -> str:
        """A wildcard regex matching exactly the corpora of one source (generate, download)."""
        names = [n for n in self.used_corpora() if self.corpus(n).source == source]
        return _alternatives(names)

    def task_of(self, corpus: str) -> str:
        return self.corpus(corpus).task

    def priority(self, corpus: str) -> int:
        """Scheduling priority of the jobs of ``corpus``: 1 on the longest chain (:data:`FIRST_TASKS`)."""
        return int(self.task_of(corpus) in FIRST_TASKS)

    def generate_args(self, corpus: str) -> str:
        c = self.corpus(corpus)
        sets = " ".join(f"--set {shlex.quote(f'{k}={_yaml_scalar(v)}')}" for k, v in sorted(c.params.items()))
        return f"{shlex.quote(c.generator or '')} --seed {c.seed} {sets}".strip()

    def download_args(self, corpus: str) -> str:
        c = self.corpus(corpus)
        d = self.cfg.download
        mirror = f" --mirror {shlex.quote(d.mirror)}" if d.mirror else ""
        return f"{shlex.quote(c.registry_name or '')} --timeout {d.timeout} --retries {d.retries}{mirror}"

    def prepare_inputs(self, corpus: str) -> list[str]:
        c = self.corpus(corpus)
        if c.source == "local":
            return [c.files[s] for s in ("train", "valid", "test") if s in c.files]
        return [layout.raw_dir(corpus)]

    def tokenizer_of(self, corpus: str) -> str:
        c = self.corpus(corpus)
        if c.tokenizer:
            return c.tokenizer
        if c.source == "download":
            from .data.registry import get_corpus

            return get_corpus(c.registry_name or "").tokenizer
        return "whitespace"

    def prepare_args(self, corpus: str) -> str:
        c = self.corpus(corpus)
        args = ["--task", c.task, "--name", corpus, "--tokenizer", self.tokenizer_of(corpus),
                "--min-freq", str(c.vocab.min_freq)]
        if c.vocab.max_size is not None:
            args += ["--max-size", str(c.vocab.max_size)]
        if c.task == "ner" and c.iob:
            args += ["--iob", c.iob]
        if c.labels:
            # JSON, not a comma-joined list: a label may itself contain a comma.
            args += ["--labels", json.dumps(list(c.labels))]
        if c.source == "local":
            for split in ("train", "valid", "test"):
                if split in c.files:
                    args += [f"--{split}", c.files[split]]
        else:
            args += ["--raw", layout.raw_dir(corpus)]
        return " ".join(shlex.quote(a) for a in args)

    @staticmethod
    def remove_empty_checkpoint_folders(root: str | Path = layout.CHECKPOINTS) -> None:
        """Remove the folders under ``root`` (and ``root``) that hold no checkpoint, deepest first."""
        root = Path(root)
        if not root.is_dir():
            return
        train_lock.remove_unheld(root)  # left by a killed trainer; a held one keeps its folder
        for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty
        with contextlib.suppress(OSError):
            root.rmdir()

    @staticmethod
    def refuse_while_training(argv: list[str], root: str | Path = layout.CHECKPOINTS) -> None:
        """At Snakemake's start: name the training jobs still running under ``root`` and refuse to start."""
        train_lock.refuse_while_training(root, argv)

    def backend_option(self) -> str:
        """``--backend NAME`` for the train and evaluate rules when the config names one, else nothing."""
        return f"--backend {shlex.quote(self.cfg.backend)}" if self.cfg.backend else ""

    def _models_by_kind(self) -> tuple[list[str], list[str]]:
        """The config's models that run once as seed 0 (counts), and those that train once per seed."""
        from .models.registry import get_model

        names = list(dict.fromkeys(m for exp in self.cfg.experiments.values() for m in exp.models))
        return [m for m in names if get_model(m).deterministic], [m for m in names if not get_model(m).deterministic]

    def per_seed_model_pattern(self) -> str:
        """A wildcard regex of the models ``train_model`` trains, one job per run: every model, or with
        ``seeds_in_one_job`` only those that run once (seed 0)."""
        once, seeded = self._models_by_kind()
        return _alternatives(once if self.cfg.seeds_in_one_job else once + seeded)

    def seeded_model_pattern(self) -> str:
        """A wildcard regex of the models ``train_seeds`` trains, every seed in one job."""
        return _alternatives(self._models_by_kind()[1])

    def processed_dirs(self) -> list[str]:
        return [layout.processed_dir(c) for c in self.used_corpora()]

    def curve_dirs(self) -> list[str]:
        """Model folders of the runs that have a per-epoch history (every non-count model)."""
        from .models.registry import get_model

        return [layout.model_dir(j.corpus, j.model, j.seed) for j in self.cfg.jobs() if get_model(j.model).trains]

    def metric_files(self) -> list[str]:
        return [layout.metrics_file(j.corpus, j.model, j.seed) for j in self.cfg.jobs()]

    def analysis(self, name: str) -> AnalysisConfig | None:
        """The enabled analysis ``name`` (None when it is left out or switched off)."""
        entry = self.cfg.analyses.get(name)
        return entry if entry is not None and entry.enabled else None

    def analysis_pattern(self, name: str) -> str:
        """A regex matching exactly the corpora analysis ``name`` runs on."""
        entry = self.analysis(name)
        return _alternatives(entry.corpora if entry else ())

    @staticmethod
    def per_corpus_analysis_pattern() -> str:
        """A wildcard regex matching the analyses that run per corpus (all but those over the metrics table)."""
        return _alternatives(name for name, a in ANALYSES.items() if a.task is not None)

    @staticmethod
    def analysis_runtime(name: str) -> int:
        """Minutes the rule of analysis ``name`` asks a cluster scheduler for."""
        return ANALYSES[name].runtime

    def analysis_dirs(self) -> list[str]:
        """Output folders of every enabled analysis: results/analysis/<name>/<corpus> (or /<name>)."""
        dirs = []
        for name, spec in ANALYSES.items():
            entry = self.analysis(name)
            if entry is None:
                continue
            if spec.task is None:
                dirs.append(layout.analysis_dir(name))
            else:
                dirs += [layout.analysis_dir(name, corpus) for corpus in entry.corpora]
        return dirs

    def analysis_models(self, name: str, corpus: str) -> list[str]:
        """Trained model folders analysis ``name`` reads on ``corpus`` (every seed of each model)."""
        from .models.registry import get_model

        entry = self.analysis(name)
        if entry is None or not ANALYSES[name].families:
            return []
        chosen = set(entry.models or ())
        return [layout.model_dir(j.corpus, j.model, j.seed) for j in self.cfg.jobs()
                if j.corpus == corpus and j.model in chosen and get_model(j.model).family in ANALYSES[name].families]

    def analysis_inputs(self, name: str, corpus: str) -> dict[str, str | list[str]]:
        """Named inputs of the rule of analysis ``name`` on ``corpus``: the processed corpus and the models."""
        if ANALYSES[name].task is None:
            return {"metrics": layout.METRICS_CSV}
        if not re.fullmatch(self.analysis_pattern(name), corpus):
            raise ValueError(f"{layout.analysis_dir(name, corpus)}: the {name} analysis is not configured for "
                             f"corpus {corpus!r}; list it under analysis.{name}.corpora in the config")
        return {"corpus": layout.processed_dir(corpus), "models": self.analysis_models(name, corpus)}

    @staticmethod
    def figure_section(name: str) -> str:
        """Report section of a figure of results/figures by its name: the analysis it comes from, or results."""
        for action in sorted(ANALYSES, key=len, reverse=True):
            if name == action.replace("-", "_") or name.startswith(action.replace("-", "_") + "_"):
                return action
        return "results"

    def analysis_args(self, name: str, corpus: str) -> str:
        """Options of ``rnnlab analyze <name>`` from the config, then the model folders (positional)."""
        entry = self.analysis(name)
        if entry is None:
            return ""
        args = entry.cli_args(self.cfg.seeds)
        if ANALYSES[name].corpus_option:
            args += ["--corpus", corpus]
        args += self.analysis_models(name, corpus)
        return " ".join(shlex.quote(a) for a in args)


def _yaml_scalar(value: object) -> str:
    """Render a parameter so that `rnnlab generate --set key=value` parses it back (YAML flow)."""
    import yaml

    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
