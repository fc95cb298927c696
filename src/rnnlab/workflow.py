"""What the Snakemake rules ask of the config: targets, inputs and command-line arguments.

Kept in the package (not in the .smk files) so it is typed, tested and shared by every rule.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from .config import Config, CorpusConfig

NEVER_MATCHES = r"(?!x)x"


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
        return "|".join(re.escape(n) for n in names) if names else NEVER_MATCHES

    def task_of(self, corpus: str) -> str:
        return self.corpus(corpus).task

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
        return [f"data/raw/{corpus}"]

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
        if c.labels:
            args += ["--labels", ",".join(c.labels)]
        if c.source == "local":
            for split in ("train", "valid", "test"):
                if split in c.files:
                    args += [f"--{split}", c.files[split]]
        else:
            args += ["--raw", f"data/raw/{corpus}"]
        return " ".join(shlex.quote(a) for a in args)

    def processed_dirs(self) -> list[str]:
        return [f"data/processed/{c}" for c in self.used_corpora()]

    def curve_dirs(self) -> list[str]:
        """Model folders of the runs that have a per-epoch history (every non-count model)."""
        from .models.registry import get_model

        return [f"results/models/{j.corpus}/{j.model}/seed{j.seed}" for j in self.cfg.jobs()
                if get_model(j.model).family != "ngram"]

    def metric_files(self) -> list[str]:
        return [f"results/metrics/{j.corpus}/{j.model}/seed{j.seed}.csv" for j in self.cfg.jobs()]


def _yaml_scalar(value: object) -> str:
    """Render a parameter so that `rnnlab generate --set key=value` parses it back (YAML flow)."""
    import yaml

    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
