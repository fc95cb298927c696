"""Registry entries of the neural models: window LM, RNN/LSTM LMs, RNN/LSTM/BiLSTM classifiers and taggers,
and the BiLSTM-CRF entity tagger.

Each (model, task) pair is a :class:`Spec`: its hyperparameter dataclass, training defaults,
how to build the network and its training objective, and how to score a split. Training
goes through :func:`rnnlab.train.fit`; evaluation reads the artefacts it wrote.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import types
import typing
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch
from safetensors.torch import load_file
from torch import nn

from .. import metrics
from ..data.batching import LabelledIds, encode_classification_split, encode_lm_split
from ..data.processed import available_splits, read_labels, split_path, vocab_path
from ..data.vocab import Vocab
from ..errors import ConfigError, CorpusError
from ..io import read_json
from ..layout import META_FILE, WEIGHTS_FILE
from ..nn import available_backends, default_backend
from ..nn.dispatch import interpreter_requested
from ..train import TrainConfig, fit
from ..metrics import BACKEND_TIMINGS
from .backend_choice import AUTO, REFERENCE, choose_backend, log_choice
from .cells import CELLS
from .classifier import ClassificationObjective, ClassifierConfig, LSTMClassifierConfig, RNNClassifier, predict_logits
from .memory import MemoryEstimate, estimate
from .registry import EvalRequest, MetricRows, ModelEntry, TrainRequest
from .rnn_lm import BPTTObjective, LSTMLMConfig, RNNLM, RNNLMConfig, lm_nll, lm_scores
from .sequence_tasks import SEQUENCE_TASKS, read_split
from .tagger import (CRFTagger, CRFTaggerConfig, LSTMTaggerConfig, RNNTagger, TaggedIds, TaggerConfig,
                     TaggingObjective, predict_tags)
from .window import WindowConfig, WindowLM, WindowObjective, window_nll


@dataclass(frozen=True)
class Data:
    """A processed corpus in ids: LM streams (N,) or labelled sentences, per split."""

    vocab: Vocab
    labels: tuple[str, ...]
    splits: dict[str, Any]


def load_lm(corpus_dir: Path, splits: tuple[str, ...]) -> Data:
    vocab = Vocab.for_corpus(corpus_dir)
    return Data(vocab, (), {s: encode_lm_split(corpus_dir, s, vocab) for s in splits})


def load_classification(corpus_dir: Path, splits: tuple[str, ...]) -> Data:
    vocab = Vocab.for_corpus(corpus_dir)
    return Data(vocab, tuple(read_labels(corpus_dir)),
                {s: encode_classification_split(corpus_dir, s, vocab) for s in splits})


def encode_tagging_split(corpus_dir: Path, task: str, split: str, vocab: Vocab, tags: tuple[str, ...]) -> TaggedIds:
    """Words and tags of a split (``{split}.conllu`` or ``{split}.iob2``) as id tensors (OOV words -> <unk>)."""
    index = {t: i for i, t in enumerate(tags)}
    path = split_path(corpus_dir, task, split)
    sentences = read_split(corpus_dir, task, split)
    for s in sentences:
        unknown = [t for t in s.tags if t not in index]
        if unknown:
            raise CorpusError(f"{path}:{s.line}: tag {unknown[0]!r} is not in labels.json; rerun `rnnlab prepare`")
    return TaggedIds([torch.from_numpy(vocab.encode(s.words)) for s in sentences],
                     [torch.tensor([index[t] for t in s.tags], dtype=torch.long) for s in sentences], sentences)


def tagging_loader(task: str) -> Callable[[Path, tuple[str, ...]], Data]:
    def load(corpus_dir: Path, splits: tuple[str, ...]) -> Data:
        vocab = Vocab.for_corpus(corpus_dir)
        tags = tuple(read_labels(corpus_dir))
        return Data(vocab, tags, {s: encode_tagging_split(corpus_dir, task, s, vocab, tags) for s in splits})
    return load


def score_window(model: WindowLM, data: Data, split: str, cfg: TrainConfig, device: torch.device) -> dict[str, float]:
    return lm_scores(*window_nll(model, data.splits[split], data.vocab, device))


def score_rnn_lm(model: RNNLM, data: Data, split: str, cfg: TrainConfig, device: torch.device) -> dict[str, float]:
    return lm_scores(*lm_nll(model, data.splits[split], data.vocab, cfg.eval_batch_size, device))


def score_classifier(model: RNNClassifier, data: Data, split: str, cfg: TrainConfig,
                     device: torch.device) -> dict[str, float]:
    split_data: LabelledIds = data.splits[split]
    predicted = predict_logits(model, split_data, data.vocab.pad, device).argmax(1).tolist()
    gold, pred = split_data.gold_names, [data.labels[i] for i in predicted]
    return {"accuracy": 100 * metrics.accuracy(gold, pred), "macro_f1": 100 * metrics.macro_f1(gold, pred, data.labels)}


def tagging_scorer(task: str) -> Callable[[nn.Module, Data, str, TrainConfig, torch.device], dict[str, float]]:
    def score(model: nn.Module, data: Data, split: str, cfg: TrainConfig, device: torch.device) -> dict[str, float]:
        split_data: TaggedIds = data.splits[split]
        predicted, _ = predict_tags(model, split_data, data.vocab.pad, device)
        names = [[data.labels[i] for i in tags] for tags in predicted]
        return SEQUENCE_TASKS[task].score(split_data.sentences, names, data.vocab.stoi)
    return score


@dataclass(frozen=True)
class Spec:
    family: str
    task: str
    description: str
    config: type
    train_defaults: Mapping[str, Any]
    load: Callable[[Path, tuple[str, ...]], Data]
    build: Callable[[Any, int, tuple[str, ...], str], nn.Module]  # (config, vocab size, label names, backend)
    objective: Callable[[nn.Module, TrainConfig, Data, torch.device, int], Any]
    score: Callable[[nn.Module, Data, str, TrainConfig, torch.device], dict[str, float]]
    metric_names: tuple[str, ...]
    cell: str | None = None  # a key of CELLS; None: no recurrence (the window LM)
    directions: int = 1
    fixed_window: bool = False  # see ModelEntry.fixed_window


LM_METRICS = ("perplexity", "cross_entropy")
CLASSIFICATION_METRICS = ("accuracy", "macro_f1")
RNN_LM_DEFAULTS = types.MappingProxyType(
    {"batch_size": 20, "lr": 2e-3, "clip": 0.25, "epochs": 6, "eval_batch_size": 1})
CLASSIFIER_DEFAULTS = types.MappingProxyType({"batch_size": 32, "lr": 2e-3, "clip": 5.0, "epochs": 8})
TAGGER_DEFAULTS = types.MappingProxyType({"batch_size": 32, "lr": 2e-3, "clip": 5.0, "epochs": 10})


def _rnn_lm_spec(cell: str, config: type, description: str) -> Spec:
    return Spec(
        cell, "lm", description, config, RNN_LM_DEFAULTS, load_lm,
        lambda cfg, vocab_size, _labels, backend: RNNLM(cell, vocab_size, cfg, backend),
        lambda model, tc, data, device, seed: BPTTObjective(
            model, data.splits["train"], data.splits["valid"], data.vocab, tc.batch_size, tc.eval_batch_size, device,
            seed),
        score_rnn_lm, LM_METRICS, cell,
    )


def _classifier_spec(family: str, cell: str, bidirectional: bool, config: type, description: str) -> Spec:
    return Spec(
        family, "classification", description, config, CLASSIFIER_DEFAULTS, load_classification,
        lambda cfg, vocab_size, labels, backend: RNNClassifier(cell, bidirectional, vocab_size, len(labels), cfg,
                                                               backend),
        lambda model, tc, data, device, seed: ClassificationObjective(
            model, data.splits["train"], data.splits["valid"], data.vocab.pad, tc.batch_size, device, seed),
        score_classifier, CLASSIFICATION_METRICS, cell, 2 if bidirectional else 1,
    )


def _tagger_spec(family: str, task: str, cell: str, bidirectional: bool, config: type, description: str) -> Spec:
    return Spec(
        family, task, description, config, TAGGER_DEFAULTS, tagging_loader(task),
        lambda cfg, vocab_size, tags, backend: RNNTagger(cell, bidirectional, vocab_size, len(tags), cfg, backend),
        _tagging_objective, tagging_scorer(task), SEQUENCE_TASKS[task].metric_names, cell, 2 if bidirectional else 1,
    )


def _tagging_objective(model: nn.Module, tc: TrainConfig, data: Data, device: torch.device, seed: int) -> TaggingObjective:
    return TaggingObjective(model, data.splits["train"], data.splits["valid"], data.vocab.pad, tc.batch_size, device, seed)


# Huang, Xu & Yu (2015); Lample et al. (2016): a BiLSTM's per-word scores as the emissions of a
# linear-chain CRF, trained on the sentence's log-likelihood and decoded with Viterbi.
BILSTM_CRF = Spec(
    "bilstm", "ner", "BiLSTM-CRF entity tagger: linear-chain CRF over IOB2 tags, BIO-forbidden transitions at -inf "
    "(Huang et al. 2015; Lample et al. 2016)", CRFTaggerConfig, TAGGER_DEFAULTS, tagging_loader("ner"),
    lambda cfg, vocab_size, tags, backend: CRFTagger("lstm", True, vocab_size, tags, cfg, backend),
    _tagging_objective, tagging_scorer("ner"), SEQUENCE_TASKS["ner"].metric_names, "lstm", 2,
)


SPECS: Mapping[tuple[str, str], Spec] = types.MappingProxyType({
    ("window", "lm"): Spec(
        "window", "lm", "Fixed-window neural LM: concatenated embeddings -> tanh -> softmax (Bengio et al. 2003)",
        WindowConfig, types.MappingProxyType({"batch_size": 128, "lr": 2e-3, "epochs": 6}), load_lm,
        lambda cfg, vocab_size, _labels, _backend: WindowLM(vocab_size, cfg),
        lambda model, tc, data, device, seed: WindowObjective(
            model, data.splits["train"], data.splits["valid"], data.vocab, tc.batch_size, device, seed),
        score_window, LM_METRICS, fixed_window=True,
    ),
    ("rnn", "lm"): _rnn_lm_spec("rnn", RNNLMConfig, "Elman RNN LM (tanh), truncated BPTT, optional tied embeddings"),
    ("lstm", "lm"): _rnn_lm_spec("lstm", LSTMLMConfig,
                                 "LSTM LM, truncated BPTT, optional tied embeddings (Zaremba et al. 2014)"),
    ("rnn", "classification"): _classifier_spec("rnn", "rnn", False, ClassifierConfig, "Elman RNN sentence classifier"),
    ("lstm", "classification"): _classifier_spec("lstm", "lstm", False, LSTMClassifierConfig,
                                                 "LSTM sentence classifier"),
    ("bilstm", "classification"): _classifier_spec("bilstm", "lstm", True, LSTMClassifierConfig,
                                                   "Bidirectional LSTM sentence classifier"),
    ("rnn", "tagging"): _tagger_spec("rnn", "tagging", "rnn", False, TaggerConfig, "Elman RNN tagger"),
    ("lstm", "tagging"): _tagger_spec("lstm", "tagging", "lstm", False, LSTMTaggerConfig, "LSTM tagger"),
    ("bilstm", "tagging"): _tagger_spec("bilstm", "tagging", "lstm", True, LSTMTaggerConfig,
                                        "Bidirectional LSTM tagger (Plank et al. 2016)"),
    ("rnn", "ner"): _tagger_spec("rnn", "ner", "rnn", False, TaggerConfig, "Elman RNN entity tagger (softmax per word)"),
    ("lstm", "ner"): _tagger_spec("lstm", "ner", "lstm", False, LSTMTaggerConfig,
                                  "LSTM entity tagger (softmax per word)"),
    ("bilstm", "ner"): _tagger_spec("bilstm", "ner", "lstm", True, LSTMTaggerConfig,
                                    "Bidirectional LSTM entity tagger (softmax per word)"),
    ("bilstm-crf", "ner"): BILSTM_CRF,
})

# Tasks a family cannot serve, and why (shown when a config asks for them).
REFUSALS: Mapping[str, Mapping[str, str]] = types.MappingProxyType({
    "bilstm": {"lm": "a bidirectional model sees the words to the right, i.e. the future it must predict: "
                     "it cannot be a language model"},
})


def _check_type(key: str, value: Any, hint: Any) -> Any:
    allowed = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    if value is None and type(None) in allowed:
        return None
    if bool in allowed and isinstance(value, bool):
        return value
    if int in allowed and isinstance(value, int) and not isinstance(value, bool):
        return value
    if float in allowed and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if str in allowed and isinstance(value, str):
        return value
    names = " or ".join("null" if t is type(None) else t.__name__ for t in allowed)
    raise ConfigError(f"parameter {key!r} must be {names}, got {value!r}")


def _typed(cls: type, values: dict[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {k: _check_type(k, v, hints[k]) for k, v in values.items()}


def parse_params(name: str, task: str, params: Mapping[str, Any]) -> tuple[Any, TrainConfig]:
    """Split a flat params dict into the family's model config and the training config."""
    spec = SPECS[(name, task)]
    model_keys = {f.name for f in fields(spec.config)}
    train_keys = {f.name for f in fields(TrainConfig)}
    unknown = sorted(set(params) - model_keys - train_keys)
    if "backend" in unknown:
        raise ConfigError("'backend' is a run-time setting, not a hyperparameter: set it at the top level of the "
                          "config (backend: torch, beside device) or pass --backend to rnnlab train")
    if unknown:
        raise ConfigError(f"unknown parameter {unknown[0]!r} for model {name!r} on task {task!r}; "
                          f"valid parameters: {', '.join(sorted(model_keys | train_keys))}")
    model_cfg = spec.config(**_typed(spec.config, {k: v for k, v in params.items() if k in model_keys}))
    train_values = {**spec.train_defaults, **{k: v for k, v in params.items() if k in train_keys}}
    return model_cfg, TrainConfig(**_typed(TrainConfig, train_values))


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"device {name!r} is not a torch device; use cpu, cuda or auto") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} was requested but no CUDA GPU is available; set device: cpu or auto")
    return device


def resolve_runtime(device: str, backend: str | None) -> tuple[torch.device, str]:
    """The device and recurrent backend a job runs on, checked once, here.

    ``backend`` None takes ``auto`` on CUDA and the device's default elsewhere (``cpu`` on the CPU).
    ``auto`` stays ``auto`` on CUDA, where :func:`train_model` checks and times triton against torch
    before the first step (``backend_choice.py``); on any other device it is the device's default, and
    triton never runs."""
    resolved = resolve_device(device)
    name = backend or (AUTO if resolved.type == "cuda" else default_backend(resolved))
    if name == AUTO:
        return resolved, AUTO if resolved.type == "cuda" else default_backend(resolved)
    if name not in available_backends():
        raise ConfigError(f"unknown backend {name!r}; registered backends: {', '.join(available_backends())}, "
                          f"or {AUTO} (on CUDA: triton where it matches torch and is fast enough)")
    if name == "triton" and resolved.type != "cuda" and not interpreter_requested():
        raise ConfigError(f"the run asks for backend 'triton' but runs on {resolved.type}: the Triton kernels need "
                          "a CUDA GPU (set device: cuda on a GPU machine) or TRITON_INTERPRET=1 for the slow CPU "
                          "interpreter; use backend: cpu, torch or loop on the CPU (or auto)")
    return resolved, name


def check_request(name: str, task: str, params: Mapping[str, Any], device: str, backend: str | None) -> None:
    """Refuse, before training, what training would refuse: bad params, a missing GPU or backend."""
    parse_params(name, task, params)
    resolve_runtime(device, backend)


def estimate_request(name: str, task: str, params: Mapping[str, Any], vocab: int, labels: int) -> MemoryEstimate:
    """Training memory of model ``name`` with ``params`` (the model's own defaults for the rest)."""
    spec = SPECS[(name, task)]
    model_cfg, train_cfg = parse_params(name, task, params)
    gates = CELLS[spec.cell].gates if spec.cell else None
    return estimate(task, model_cfg, train_cfg.batch_size, gates, spec.directions, vocab, labels)


def _file_digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def train_model(name: str, req: TrainRequest) -> None:
    spec = SPECS[(name, req.task)]
    model_cfg, train_cfg = parse_params(name, req.task, req.params)
    device, backend = resolve_runtime(req.device, req.backend)
    data = spec.load(req.corpus_dir, ("train", "valid"))
    random.seed(req.seed)
    np.random.seed(req.seed)
    torch.manual_seed(req.seed)
    model = spec.build(model_cfg, len(data.vocab), data.labels, REFERENCE if backend == AUTO else backend).to(device)
    meta = {"name": name, "family": spec.family, "task": req.task, "corpus": req.corpus, "seed": req.seed,
            "config": asdict(model_cfg), "train": asdict(train_cfg), "vocab_size": len(data.vocab),
            "labels": list(data.labels), "backend": backend}
    inputs = [vocab_path(req.corpus_dir)]
    inputs += [split_path(req.corpus_dir, req.task, split) for split in ("train", "valid")]
    # The requested backend ("auto" included), so a resumed job matches its checkpoint whatever auto picks.
    identity = {**meta, "train": train_cfg.results_dict(), "device": device.type, "data": _file_digest(inputs)}
    fingerprint = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    objective = spec.objective(model, train_cfg, data, device, req.seed)
    choice: dict[str, Any] = {}
    if backend == AUTO:
        chosen = choose_backend(objective, device)
        log_choice(chosen)
        backend, choice = chosen.backend, chosen.record()
    meta["backend"] = backend
    fit(objective, train_cfg, Path(req.out_dir), fingerprint=fingerprint, model_meta=meta,
        checkpoint_dir=req.checkpoint_dir, threads=req.threads, keep_checkpoint=req.keep_checkpoint,
        status_extra={"model": name, "backend": backend, **choice, "device": str(device), "seed": req.seed})


def load_trained(model_dir: Path, device: torch.device,
                 backend: str | None = None) -> tuple[Spec, nn.Module, dict[str, Any], TrainConfig]:
    """The network saved in ``model_dir`` (on ``device``), its spec, metadata and training config.

    It runs on ``backend``, else on the backend training recorded, else (that one cannot run on
    ``device``, e.g. triton trained on a GPU and read on a CPU) on the device's default."""
    meta = read_json(Path(model_dir) / META_FILE)
    spec = SPECS[(meta["name"], meta["task"])]
    cfg = spec.config(**meta["config"])
    # `auto` chooses before training; a trained model runs on what that choice (recorded) was.
    requested = None if backend == AUTO else backend
    _, backend = resolve_runtime(str(device), requested or _recorded_backend(meta, device))
    if backend == AUTO:  # nothing recorded that runs here, and nothing to choose between
        backend = default_backend(device)
    model = spec.build(cfg, meta["vocab_size"], tuple(meta["labels"]), backend)
    model.load_state_dict(load_file(str(Path(model_dir) / WEIGHTS_FILE)))
    known = {f.name for f in fields(TrainConfig)}
    return spec, model.to(device), meta, TrainConfig(**{k: v for k, v in meta["train"].items() if k in known})


def _recorded_backend(meta: Mapping[str, Any], device: torch.device) -> str | None:
    """The backend training recorded, if it can run on ``device``; else None (the device's default)."""
    try:
        return resolve_runtime(str(device), meta.get("backend"))[1]
    except ConfigError:
        return None


def evaluate_model(name: str, req: EvalRequest) -> MetricRows:
    spec = SPECS[(name, req.task)]
    status = req.status()
    splits = available_splits(req.corpus_dir, req.task, req.splits)
    extra = {"params": status.get("params"), "train_seconds": status.get("train_seconds"),
             "tokens_per_s": status.get("tokens_per_s"), "backend": status.get("backend"),
             "device": status.get("device"), "status": status["status"],
             **{key: status.get(key) for key in BACKEND_TIMINGS}}
    if status["status"] != "completed":
        return [metrics.row(req.task, req.corpus, name, req.seed, split, metric, math.nan, **extra)
                for split in splits for metric in spec.metric_names]
    device = resolve_device(req.device)
    spec, model, meta, train_cfg = load_trained(req.model_dir, device, req.backend)
    data = spec.load(req.corpus_dir, splits)
    if len(data.vocab) != meta["vocab_size"] or list(data.labels) != meta["labels"]:
        raise CorpusError(f"{req.corpus_dir}: vocabulary or labels differ from those {req.model_dir} was trained "
                          "with; evaluate on the corpus the model was trained on")
    rows: MetricRows = []
    for split in splits:
        for metric, value in spec.score(model, data, split, train_cfg, device).items():
            rows.append(metrics.row(req.task, req.corpus, name, req.seed, split, metric, value, **extra))
    return rows


def entries() -> list[ModelEntry]:
    out = []
    for name in dict.fromkeys(n for n, _ in SPECS):
        specs = [s for (n, _), s in SPECS.items() if n == name]
        out.append(ModelEntry(
            name=name, family=specs[0].family, tasks=tuple(s.task for s in specs),
            train=lambda req, n=name: train_model(n, req),
            evaluate=lambda req, n=name: evaluate_model(n, req),
            description="; ".join(s.description for s in specs), refused=dict(REFUSALS.get(name, {})),
            fixed_window=any(s.fixed_window for s in specs),
            check=lambda task, params, device, backend, n=name: check_request(n, task, params, device, backend),
            estimate=lambda task, params, vocab, labels, n=name: estimate_request(n, task, params, vocab, labels),
        ))
    return out
