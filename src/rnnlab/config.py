"""The configuration: one YAML file, validated against a JSON schema, read into dataclasses.

Snakemake reads the same file as its ``config`` and DVC as its params, so everything the
pipeline does is decided here. Validation happens before any job runs and every problem is
reported with the key that holds it.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import yaml

from .analysis.registry import ANALYSES
from .errors import ConfigError

SCHEMA_RESOURCE = ("rnnlab.schemas", "config.schema.yaml")


@dataclass(frozen=True)
class VocabConfig:
    min_freq: int = 1
    max_size: int | None = None


@dataclass(frozen=True)
class CorpusConfig:
    name: str
    task: str
    source: str
    generator: str | None = None
    registry_name: str | None = None
    seed: int = 0
    params: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    tokenizer: str | None = None
    labels: tuple[str, ...] | None = None
    vocab: VocabConfig = VocabConfig()


@dataclass(frozen=True)
class ExperimentConfig:
    task: str
    corpora: tuple[str, ...]
    models: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class DownloadConfig:
    mirror: str | None = None
    timeout: float = 30.0
    retries: int = 3


@dataclass(frozen=True)
class AnalysisConfig:
    """One entry of the ``analysis`` section; switched off by ``enabled: false`` or empty ``corpora``."""

    name: str
    enabled: bool
    corpora: tuple[str, ...]
    models: tuple[str, ...] | None  # None: every model of the experiment the analysis can read
    settings: Any  # the analysis' settings dataclass (analysis/settings.py)

    def cli_args(self, seeds: tuple[int, ...]) -> list[str]:
        """The settings as ``rnnlab analyze <name>`` options (``params`` as --params-json)."""
        args: list[str] = []
        for f in fields(self.settings):
            value = getattr(self.settings, f.name)
            if f.name == "seeds" and value is None:
                value = seeds
            if value is None:
                continue
            if f.name == "params":
                args += ["--params-json", json.dumps(value, sort_keys=True)]
            elif isinstance(value, (tuple, list)):
                args += [f"--{f.name.replace('_', '-')}", *map(str, value)]
            else:
                args += [f"--{f.name.replace('_', '-')}", str(value)]
        return args


@dataclass(frozen=True)
class Job:
    """One training job of the DAG."""

    task: str
    corpus: str
    model: str
    seed: int


@dataclass(frozen=True)
class Config:
    preset: str
    seeds: tuple[int, ...]
    device: str
    backend: str | None  # the recurrent backend of every job; None: the device's default
    threads: int
    download: DownloadConfig
    vocab: VocabConfig
    corpora: dict[str, CorpusConfig]
    experiments: dict[str, ExperimentConfig]
    training: dict[str, Any]
    report: dict[str, Any]
    raw: dict[str, Any]
    analyses: dict[str, AnalysisConfig] = field(default_factory=dict)

    def model_params(self, task: str, model: str) -> dict[str, Any]:
        """Hyperparameters of ``model`` on ``task``: training defaults (neural models) + its own."""
        from .models.registry import get_model

        own = dict(self.experiments[task].models.get(model) or {})
        return {**self.training, **own} if get_model(model).trains else own

    def jobs(self) -> Iterator[Job]:
        from .models.registry import get_model

        for task, exp in self.experiments.items():
            for corpus in exp.corpora:
                for model in exp.models:
                    seeds = (0,) if get_model(model).deterministic else self.seeds
                    for seed in seeds:
                        yield Job(task, corpus, model, seed)


def load_schema() -> dict[str, Any]:
    text = resources.files(SCHEMA_RESOURCE[0]).joinpath(SCHEMA_RESOURCE[1]).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _key_path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        where = _key_path(error)
        keys = ", ".join(repr(k) for k in extra)
        return f"unknown key {keys} under {where}; allowed keys: {allowed}"
    return f"{_key_path(error)}: {error.message}"


def validate_dict(raw: Any, source: str = "config") -> None:
    """Check ``raw`` against the schema and the registry; ConfigError naming every problem."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the configuration must be a mapping of keys to values")
    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = "\n  ".join(_describe(e) for e in errors)
        raise ConfigError(f"{source} is invalid:\n  {lines}")
    _check_semantics(raw, source)


def _check_semantics(raw: dict[str, Any], source: str) -> None:
    from .models.registry import get_model

    problems: list[str] = []
    for task, exp in raw["experiments"].items():
        for corpus in exp["corpora"]:
            if corpus not in raw["corpora"]:
                problems.append(f"experiments.{task}.corpora: {corpus!r} is not defined under corpora")
            elif raw["corpora"][corpus]["task"] != task:
                declared = raw["corpora"][corpus]["task"]
                problems.append(f"experiments.{task}.corpora: corpus {corpus!r} is declared with task {declared!r}")
        for model, own in exp["models"].items():
            try:
                entry = get_model(model, task)
                if entry.check is not None:
                    params = {**(raw.get("training") or {}), **(own or {})} if entry.trains else dict(own or {})
                    entry.check(task, params, raw.get("device", "cpu"), raw.get("backend"))
            except ConfigError as exc:
                problems.append(f"experiments.{task}.models.{model}: {exc}")
    problems += _analysis_problems(raw)
    if problems:
        raise ConfigError(f"{source} is invalid:\n  " + "\n  ".join(problems))


def _analysis_problems(raw: dict[str, Any]) -> list[str]:
    """Corpora of an analysis must belong to the experiment of its task, its models to that experiment and to
    the families it can read."""
    from .models.registry import get_model

    problems: list[str] = []
    for name, entry in (raw.get("analysis") or {}).items():
        spec, key = ANALYSES[name], f"analysis.{name}"
        if spec.task is None or entry.get("enabled") is False:
            continue
        exp = raw["experiments"].get(spec.task) or {"corpora": [], "models": {}}
        for corpus in entry.get("corpora") or []:
            if corpus not in exp["corpora"]:
                problems.append(f"{key}.corpora: {corpus!r} is not a corpus of experiments.{spec.task}.corpora "
                                f"(the {name} analysis needs {spec.task} corpora: "
                                f"{', '.join(exp['corpora']) or 'none configured'})")
        for model in entry.get("models") or []:
            if model not in exp["models"]:
                problems.append(f"{key}.models: {model!r} is not a model of experiments.{spec.task}.models; "
                                f"list one of {', '.join(exp['models']) or 'none configured'}")
            elif get_model(model).family not in spec.families:
                problems.append(f"{key}.models: {model!r} is a {get_model(model).family} model; the {name} "
                                f"analysis reads only {', '.join(spec.families)} models")
    return problems


def _analyses(raw: dict[str, Any], experiments: dict[str, ExperimentConfig]) -> dict[str, AnalysisConfig]:
    from .models.registry import get_model

    analyses = {}
    for name, entry in (raw.get("analysis") or {}).items():
        spec = ANALYSES[name]
        own = {k: v for k, v in entry.items() if k not in ("enabled", "corpora", "models")}
        if isinstance(own.get("seeds"), list):
            own["seeds"] = tuple(own["seeds"])
        models = entry.get("models")
        if models is None and spec.families and spec.task in experiments:
            models = [m for m in experiments[spec.task].models if get_model(m).family in spec.families]
        corpora = tuple(entry.get("corpora") or ())
        enabled = bool(entry.get("enabled", True)) and (spec.task is None or bool(corpora))
        analyses[name] = AnalysisConfig(name, enabled, corpora,
                                        tuple(models) if models is not None else None, spec.settings(**own))
    return analyses


def from_dict(raw: dict[str, Any], source: str = "config") -> Config:
    validate_dict(raw, source)
    vocab = VocabConfig(**(raw.get("vocab") or {}))
    corpora = {}
    for name, c in raw["corpora"].items():
        corpora[name] = CorpusConfig(
            name=name,
            task=c["task"],
            source=c["source"],
            generator=c.get("generator"),
            registry_name=c.get("name"),
            seed=c.get("seed", 0),
            params=dict(c.get("params") or {}),
            files=dict(c.get("files") or {}),
            tokenizer=c.get("tokenizer"),
            labels=tuple(c["labels"]) if c.get("labels") else None,
            vocab=VocabConfig(**{**vars(vocab), **(c.get("vocab") or {})}),
        )
    experiments = {
        task: ExperimentConfig(task, tuple(e["corpora"]), {m: dict(p or {}) for m, p in e["models"].items()})
        for task, e in raw["experiments"].items()
    }
    return Config(
        preset=raw["preset"],
        seeds=tuple(raw["seeds"]),
        device=raw.get("device", "cpu"),
        backend=raw.get("backend"),
        threads=raw.get("threads", 1),
        download=DownloadConfig(**(raw.get("download") or {})),
        vocab=vocab,
        corpora=corpora,
        experiments=experiments,
        training=dict(raw.get("training") or {}),
        report=dict(raw.get("report") or {}),
        raw=raw,
        analyses=_analyses(raw, experiments),
    )


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; pass an existing file (e.g. config/config.yaml)") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    return from_dict(raw, str(path))


def _cmd_validate(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    n = sum(1 for _ in cfg.jobs())
    print(f"{args.config}: valid ({len(cfg.corpora)} corpora, {n} training jobs)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("config", help="Check a configuration file.", description="Configuration tools.")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    v = csub.add_parser(
        "validate",
        help="Validate a config file against the schema and the model registry.",
        description="Validate a config file; exits 2 with a message naming each wrong key or value.",
    )
    v.add_argument("config", help="Path to the YAML config, e.g. config/config.yaml.")
    v.set_defaults(func=_cmd_validate)
