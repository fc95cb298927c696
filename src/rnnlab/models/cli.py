"""``rnnlab train`` and ``rnnlab models``: train any registered model by name."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import ConfigError
from .registry import TASKS, EvalRequest, TrainRequest, build_registry, get_model


def _params(text: str | None) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--params-json is not valid JSON ({exc.msg}); pass an object like '{{\"lr\": 0.1}}'") from None
    if not isinstance(value, dict):
        raise ConfigError("--params-json must be a JSON object of hyperparameters")
    return value


def _cmd_train(args: argparse.Namespace) -> int:
    entry = get_model(args.model, args.task)
    entry.train(TrainRequest(
        corpus=args.corpus, corpus_dir=Path(args.corpus_dir), out_dir=Path(args.out), task=args.task,
        seed=args.seed, params=_params(args.params_json), device=args.device, backend=args.backend,
        checkpoint_dir=Path(args.checkpoint_dir) if args.checkpoint_dir else None, threads=args.threads,
        memory=args.memory,
    ))
    print(f"trained {args.model} on {args.corpus} (seed {args.seed}) -> {args.out}")
    if args.metrics_out:
        # Scored in the same process: a second `rnnlab evaluate` job would start Python, torch and the
        # model again for every run.
        from ..evaluate import evaluate_to_csv

        req = EvalRequest(corpus=args.corpus, corpus_dir=Path(args.corpus_dir), model_dir=Path(args.out),
                          task=args.task, seed=args.seed, device=args.device, backend=args.backend)
        evaluate_to_csv(req, args.model, Path(args.metrics_out))
        print(f"scored {args.model} on the valid and test splits -> {args.metrics_out}")
    return 0


def _cmd_models(args: argparse.Namespace) -> int:
    for name, e in sorted(build_registry().items()):
        print(f"{name:14s} {e.family:7s} {','.join(e.tasks):22s} {e.description}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="Train one model on one processed corpus.",
                       description="Train a registered model (see `rnnlab models`) and write it to --out.")
    p.add_argument("--model", required=True, help="Model name, e.g. ngram-kn3, ngram-nb, lstm.")
    p.add_argument("--task", required=True, choices=TASKS, help="Task the model is trained for.")
    p.add_argument("--corpus", required=True, help="Corpus name (recorded in the metrics).")
    p.add_argument("--corpus-dir", required=True, help="Processed corpus folder (from `rnnlab prepare`).")
    p.add_argument("--out", required=True, help="Output folder for the trained model.")
    p.add_argument("--seed", type=int, default=0, help="Random seed (default 0).")
    p.add_argument("--params-json", help="Hyperparameters as a JSON object; unknown keys are refused.")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (neural models only).")
    p.add_argument("--backend", default=None,
                   help="Recurrent backend: auto or one of the registered ones (loop, torch, triton where "
                        "installed); default: auto on CUDA (triton checked against torch and timed before the "
                        "first step), torch otherwise.")
    p.add_argument("--checkpoint-dir", help="Folder for resumable checkpoints (neural models).")
    p.add_argument("--threads", type=int, default=1, help="CPU threads for this job (default 1).")
    p.add_argument("--memory", help="Memory budget of n-gram LM counting, e.g. 2G (config ngram.memory); "
                   "other models ignore it.")
    p.add_argument("--metrics-out", help="Also score the trained model on the valid and test splits and write "
                   "its tidy metric rows here (CSV), as `rnnlab evaluate` does.")
    p.set_defaults(func=_cmd_train)
    m = sub.add_parser("models", help="List the registered models.", description="List every registered model.")
    m.set_defaults(func=_cmd_models)
