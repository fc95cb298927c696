"""The configuration: one YAML file, validated against a JSON schema, read into dataclasses.

Snakemake reads the same file as its ``config`` and DVC as its params, so everything the
pipeline does is decided here. Validation happens before any job runs and every problem is
reported with the key that holds it.
"""

from __future__ import annotations

import argparse
import copy
import functools
import json
import math
import os
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import yaml

from .analysis.registry import ANALYSES
from .analysis.settings import entry_schema
from .errors import ConfigError
from .models.memory import MemoryEstimate

SCHEMA_RESOURCE = ("rnnlab.schemas", "config.schema.yaml")

# Largest size a generator may be asked for (every integer parameter named n_*): ten million
# sentences already take hours to generate and gigabytes on disk.
MAX_GENERATED = 10_000_000

# Largest learning rate accepted: far above any useful value, yet it keeps 1e300 from overflowing.
MAX_LR = 100.0

# Vocabulary size assumed when the config does not bound it (vocab.max_size), and label count
# assumed when a corpus does not declare its labels.
ASSUMED_VOCAB = 50_000
ASSUMED_LABELS = 100


@dataclass(frozen=True)
class VocabConfig:
    min_freq: int
    max_size: int | None


@dataclass(frozen=True)
class CorpusConfig:
    name: str
    task: str
    source: str
    seed: int
    vocab: VocabConfig
    generator: str | None = None
    registry_name: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    tokenizer: str | None = None
    labels: tuple[str, ...] | None = None
    iob: str | None = None  # task ner: how prepare treats an IOB2 violation; None: `rnnlab prepare`'s default


@dataclass(frozen=True)
class ExperimentConfig:
    task: str
    corpora: tuple[str, ...]
    models: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class DownloadConfig:
    mirror: str | None
    timeout: float
    retries: int


@dataclass(frozen=True)
class AnalysisConfig:
    """One entry of the ``analysis`` section; switched off by ``enabled: false`` or empty ``corpora``."""

    name: str
    enabled: bool
    corpora: tuple[str, ...]
    models: tuple[str, ...] | None  # None: every model of the experiment the analysis can read
    settings: Any  # the analysis' settings dataclass (beside its record in analysis/registry.py)

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
    backend: str | None  # the recurrent backend of every job; None: auto on CUDA, the device's default elsewhere
    threads: int
    seeds_in_one_job: bool  # one training job per model with every seed, instead of one per seed
    download: DownloadConfig
    vocab: VocabConfig
    corpora: dict[str, CorpusConfig]
    experiments: dict[str, ExperimentConfig]
    training: dict[str, Any]
    report: dict[str, Any]
    raw: dict[str, Any]  # as given
    filled: dict[str, Any]  # as given, with every default of the schema filled in (what the report records)
    ngram_memory: str | None = None  # ngram.memory; None: the fit's default budget
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


@functools.cache
def _schema() -> dict[str, Any]:
    text = resources.files(SCHEMA_RESOURCE[0]).joinpath(SCHEMA_RESOURCE[1]).read_text(encoding="utf-8")
    schema = yaml.safe_load(text)
    schema["properties"]["analysis"]["properties"] = {name: entry_schema(a) for name, a in ANALYSES.items()}
    return schema


def load_schema() -> dict[str, Any]:
    """The config schema, with one entry per analysis under ``analysis`` built from its record and settings
    (read once per process; each caller gets its own copy)."""
    return copy.deepcopy(_schema())


def fill_defaults(raw: dict[str, Any]) -> None:
    """Set every default of the schema that ``raw`` leaves out, in place (as Snakemake's ``validate`` does);
    ``raw`` must be valid (:func:`validate_dict`)."""
    base = jsonschema.Draft202012Validator
    check_properties = base.VALIDATORS["properties"]

    def properties(validator: Any, props: dict[str, Any], instance: Any, schema: dict[str, Any]) -> Any:
        if isinstance(instance, dict):
            for key, sub in props.items():
                if "default" in sub:
                    instance.setdefault(key, sub["default"])
        yield from check_properties(validator, props, instance, schema)

    jsonschema.validators.extend(base, {"properties": properties})(load_schema()).validate(raw)


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
    problems = _non_finite(raw, "")
    if problems:
        raise ConfigError(f"{source} is invalid:\n  " + "\n  ".join(problems))
    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = "\n  ".join(_describe(e) for e in errors)
        raise ConfigError(f"{source} is invalid:\n  {lines}")
    _check_semantics(raw, source)


def _non_finite(value: Any, path: str) -> list[str]:
    """Every NaN or infinite float under ``value``, by key path (YAML reads .nan and .inf as floats)."""
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{path or '(top level)'}: {value!r} is not a finite number; give a finite value"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _non_finite(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _non_finite(v, f"{path}.{i}" if path else str(i))]
    return []


def _check_semantics(raw: dict[str, Any], source: str) -> None:
    problems = (_corpus_problems(raw) + _training_problems(raw) + _model_problems(raw) + _analysis_problems(raw)
                + _ngram_problems(raw))
    if problems:
        raise ConfigError(f"{source} is invalid:\n  " + "\n  ".join(problems))


def _ngram_problems(raw: dict[str, Any]) -> list[str]:
    """A memory budget below what a fit can work in."""
    from .ngram.budget import parse_memory

    memory = (raw.get("ngram") or {}).get("memory")
    if memory is None:
        return []
    try:
        parse_memory(memory, key="ngram.memory")
    except ConfigError as exc:
        return [str(exc)]
    return []


def _corpus_problems(raw: dict[str, Any]) -> list[str]:
    """Generator names and parameters against the generators, download names against the registry."""
    from .data.registry import get_corpus
    from .data.synthetic import make_params

    problems: list[str] = []
    for name, c in raw["corpora"].items():
        key = f"corpora.{name}"
        try:
            if c["source"] == "generate":
                make_params(c["generator"], c.get("params") or {})
            elif c["source"] == "download":
                get_corpus(c["name"])
        except ConfigError as exc:
            field_key = "generator" if c["source"] == "generate" else "name"
            problems.append(f"{key}.{field_key if 'parameter' not in str(exc) else 'params'}: {exc}")
        for param, value in (c.get("params") or {}).items():
            if param.startswith("n_") and isinstance(value, int) and value > MAX_GENERATED:
                problems.append(f"{key}.params.{param}: {value} is above the limit of {MAX_GENERATED:,} "
                                "items a generator may make; use a smaller size")
    return problems


def _neural_entries(raw: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    from .models.registry import get_model

    for task, exp in raw["experiments"].items():
        for model in exp["models"]:
            try:
                entry = get_model(model, task)
            except ConfigError:
                continue
            if entry.trains and entry.check is not None:
                yield task, model, entry


def _training_problems(raw: dict[str, Any]) -> list[str]:
    """Each value of ``training`` checked once, named by its own key (not once per model)."""
    problems: dict[str, str] = {}
    for task, _model, entry in _neural_entries(raw):
        for key, value in (raw.get("training") or {}).items():
            if key in problems:
                continue
            try:
                entry.check(task, {key: value}, "cpu", None)
            except ConfigError as exc:
                if "unknown parameter" not in str(exc):
                    problems[key] = f"training.{key}: {exc}"
    lr = (raw.get("training") or {}).get("lr")
    if "lr" not in problems and isinstance(lr, (int, float)) and not 0 < lr <= MAX_LR:
        problems["lr"] = f"training.lr: {lr!r} must be in (0, {MAX_LR:g}]"
    return list(problems.values())


def _model_problems(raw: dict[str, Any]) -> list[str]:
    from .models.registry import get_model

    problems: list[str] = []
    bad_training = {p.split(":", 1)[0].removeprefix("training.") for p in _training_problems(raw)}
    training = {k: v for k, v in (raw.get("training") or {}).items() if k not in bad_training}
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
                    params = {**training, **(own or {})} if entry.trains else dict(own or {})
                    entry.check(task, params, raw.get("device", "cpu"), raw.get("backend"))
                    if entry.estimate is not None:
                        problems += _memory_problems(raw, task, model, entry.estimate(task, params,
                                                                                      *_output_bounds(raw, task)))
            except ConfigError as exc:
                problems.append(f"experiments.{task}.models.{model}: {exc}")
    return problems


def machine_memory() -> int:
    """Total physical memory of this machine in bytes."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def device_memory(device: str) -> tuple[int, str] | None:
    """The memory a job on ``device`` can use and what to call it; None where it is not known here."""
    if device == "auto" or device.startswith("cuda"):
        import torch

        if torch.cuda.is_available():
            index = torch.device("cuda" if device == "auto" else device).index or 0
            return torch.cuda.get_device_properties(index).total_memory, f"GPU {index}'s"
        if device != "auto":
            return None  # no GPU here: the model's check refuses the device, with its own message
    return machine_memory(), "this machine's"


def _output_bounds(raw: dict[str, Any], task: str) -> tuple[int, int]:
    """The largest vocabulary (vocab.max_size, else ASSUMED_VOCAB) and label set (declared labels, else
    ASSUMED_LABELS) among the experiment's corpora."""
    vocab, labels = [], []
    for corpus in raw["experiments"][task]["corpora"]:
        c = raw["corpora"].get(corpus) or {}
        size = (c.get("vocab") or {}).get("max_size") or (raw.get("vocab") or {}).get("max_size")
        vocab.append(size or ASSUMED_VOCAB)
        labels.append(len(c.get("labels") or ()) or ASSUMED_LABELS)
    return max(vocab, default=ASSUMED_VOCAB), max(labels, default=ASSUMED_LABELS)


def _memory_problems(raw: dict[str, Any], task: str, model: str, estimate: MemoryEstimate) -> list[str]:
    available = device_memory(str(raw.get("device", "cpu")))
    if available is None or estimate.bytes <= available[0]:
        return []
    have, whose = available
    return [f"experiments.{task}.models.{model}.{estimate.key}: training needs about {estimate.bytes / 2**30:.1f} "
            f"GiB (weights, gradients, Adam state and activations), more than {whose} {have / 2**30:.1f} GiB; "
            "use smaller emb/hidden/batch_size/bptt"]


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
        # Lists (seeds, distances) become the settings' tuples.
        own = {k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()
               if k not in ("enabled", "corpora", "models")}
        models = entry.get("models")
        if models is None and spec.families and spec.task in experiments:
            models = [m for m in experiments[spec.task].models if get_model(m).family in spec.families]
        corpora = tuple(entry.get("corpora") or ())
        enabled = bool(entry.get("enabled", True)) and (spec.task is None or bool(corpora))
        analyses[name] = AnalysisConfig(name, enabled, corpora,
                                        tuple(models) if models is not None else None, spec.settings(**own))
    return analyses


def from_dict(raw: dict[str, Any], source: str = "config") -> Config:
    """The typed config of ``raw`` (validated); every default comes from the schema, where it is written once."""
    validate_dict(raw, source)
    filled = copy.deepcopy(raw)
    fill_defaults(filled)
    vocab = VocabConfig(**filled["vocab"])
    corpora = {}
    for name, c in filled["corpora"].items():
        corpora[name] = CorpusConfig(
            name=name,
            task=c["task"],
            source=c["source"],
            seed=c["seed"],
            # A corpus' own vocab keys override the top-level ones; the raw entry, since filling in the
            # schema's defaults would make every corpus override the top-level values it leaves out.
            vocab=VocabConfig(**{**vars(vocab), **(raw["corpora"][name].get("vocab") or {})}),
            generator=c.get("generator"),
            registry_name=c.get("name"),
            params=dict(c.get("params") or {}),
            files=dict(c.get("files") or {}),
            tokenizer=c.get("tokenizer"),
            labels=tuple(c["labels"]) if c.get("labels") else None,
            iob=c.get("iob"),
        )
    experiments = {
        task: ExperimentConfig(task, tuple(e["corpora"]), {m: dict(p or {}) for m, p in e["models"].items()})
        for task, e in filled["experiments"].items()
    }
    return Config(
        preset=filled["preset"],
        seeds=tuple(filled["seeds"]),
        device=filled["device"],
        backend=filled["backend"],
        threads=filled["threads"],
        seeds_in_one_job=filled["seeds_in_one_job"],
        download=DownloadConfig(**filled["download"]),
        vocab=vocab,
        corpora=corpora,
        experiments=experiments,
        training=dict(filled.get("training") or {}),
        report=dict(filled.get("report") or {}),
        raw=raw,
        filled=filled,
        ngram_memory=(filled.get("ngram") or {}).get("memory"),
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
